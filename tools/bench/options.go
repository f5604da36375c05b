package main

import (
	"flag"
	"fmt"
	"io"
	"time"
)

// options is the command line. parseOptions fills the defaults.
type options struct {
	Rows            int64         `json:"rows"`
	Files           int           `json:"files"`
	Reps            int           `json:"reps"`
	Input           string        `json:"input,omitempty"`
	SkipDuckDB      bool          `json:"skip_duckdb"`
	Pipeline        bool          `json:"pipeline"`
	Incremental     int           `json:"incremental"`
	IncrementalRows int64         `json:"incremental_rows"`
	Bin             string        `json:"bin,omitempty"`
	Keep            bool          `json:"keep"`
	JSON            string        `json:"-"`
	Cache           string        `json:"cache,omitempty"`
	Workdir         string        `json:"-"`
	DuckDBRef       string        `json:"duckdb_ref,omitempty"`
	NPMTimeout      time.Duration `json:"-"`
	Check           bool          `json:"check"`
	InvalidRate     float64       `json:"invalid_rate"` // <0: the generator's default
}

const usageText = `usage: go run ./tools/bench [flags]

Measures the lakehouse pipeline (ingest -> bronze_to_silver -> silver_to_gold,
one process per stage) beside the DuckDB reference on the same NDJSON files,
alternating them; then the generate-based 'lakehouse run'; then, with
--incremental K, K successive runs of new events on one warehouse.

flags:
`

// parseOptions parses args. The error wraps errUsage.
func parseOptions(args []string, stderr io.Writer) (options, error) {
	o := options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	fs.Int64Var(&o.Rows, "rows", 1_000_000, "events to generate as input (ignored with --input)")
	fs.IntVar(&o.Files, "files", 8, "NDJSON files to generate the input into (ignored with --input)")
	fs.IntVar(&o.Reps, "reps", 1, "repetitions; figures are medians, ratios are formed within a repetition")
	fs.StringVar(&o.Input, "input", "", "folder of *.ndjson made earlier (default: generate, or reuse the cached copy)")
	fs.BoolVar(&o.SkipDuckDB, "skip-duckdb", false, "do not run the DuckDB reference (no node or npm needed)")
	fs.BoolVar(&o.Pipeline, "pipeline", true, "measure the stages and 'lakehouse run' (--pipeline=false: only --incremental)")
	fs.IntVar(&o.Incremental, "incremental", 0, "successive 'lakehouse run's of new events on one warehouse (0: skip; 10: issue 5's criterion)")
	fs.Int64Var(&o.IncrementalRows, "incremental-rows", 1_000_000, "events per incremental run")
	fs.StringVar(&o.Bin, "bin", "", "prebuilt lakehouse binary (default: go build ./cmd/lakehouse into the work folder)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the work folder (warehouses, DuckDB outputs) and print where it is")
	fs.StringVar(&o.JSON, "json", "", "also write the figures as one JSON document to this file")
	fs.StringVar(&o.Cache, "cache", "", "where generated input is cached (default $LAKEHOUSE_BENCH_CACHE, else the user cache folder/lakehouse-bench)")
	fs.StringVar(&o.Workdir, "workdir", "", "parent of the temporary work folder (default $TMPDIR)")
	fs.StringVar(&o.DuckDBRef, "duckdb-ref", "", "the DuckDB reference folder with run.sh (default $LAKEHOUSE_SHARED/bench/duckdb-reference, else ../shared/bench/duckdb-reference)")
	fs.DurationVar(&o.NPMTimeout, "npm-timeout", 20*time.Minute, "longest wait for the first-use npm install of DuckDB")
	fs.Float64Var(&o.InvalidRate, "invalid-rate", -1, "share of contract-breaking records in generated input; negative: the generator's default, 0.002")
	fs.BoolVar(&o.Check, "check", true, "run 'lakehouse check --sample-days 1' after each of our repetitions")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return o, err
		}
		return o, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	switch {
	case o.Rows <= 0:
		return o, fmt.Errorf("%w: --rows must be positive", errUsage)
	case o.Files <= 0:
		return o, fmt.Errorf("%w: --files must be positive", errUsage)
	case o.Reps <= 0:
		return o, fmt.Errorf("%w: --reps must be positive", errUsage)
	case o.Incremental < 0:
		return o, fmt.Errorf("%w: --incremental must not be negative", errUsage)
	case o.IncrementalRows <= 0:
		return o, fmt.Errorf("%w: --incremental-rows must be positive", errUsage)
	case o.InvalidRate > 1:
		return o, fmt.Errorf("%w: --invalid-rate is a share between 0 and 1", errUsage)
	case !o.Pipeline && o.Incremental == 0:
		return o, fmt.Errorf("%w: nothing to measure: --pipeline=false needs --incremental K", errUsage)
	}
	return o, nil
}
