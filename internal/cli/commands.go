package cli

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecomm-lakehouse/lakehouse/internal/app"
	"github.com/ecomm-lakehouse/lakehouse/internal/job"
)

func runCmd(e *env) *cobra.Command {
	var rows, seed int64
	var params []string
	var format string
	c := &cobra.Command{
		Use:   "run",
		Short: "Run the default job (generate → silver → gold) and print a summary",
		Long: `Run the default job, ecomm_lakehouse_daily (the seed project's Databricks
Workflows job, embedded in the binary): generate_bronze, then bronze_to_silver,
then silver_to_gold, on the warehouse. The run is recorded in the run history
(lakehouse job runs).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			overrides, err := parseParams(params)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("rows") {
				if rows < 0 {
					return usagef("--rows must not be negative")
				}
				overrides["rows"] = strconv.FormatInt(rows, 10)
			}
			if cmd.Flags().Changed("seed") {
				overrides["seed"] = strconv.FormatInt(seed, 10)
			}
			a, err := e.open()
			if err != nil {
				return err
			}
			run, runErr := a.RunJob(e.ctx, nil, overrides)
			if run == nil {
				return runErr
			}
			s, err := a.Summarize(e.ctx, run)
			if err != nil {
				return err
			}
			if err := app.WriteSummary(e.stdout, s, format); err != nil {
				return err
			}
			return runErr
		},
	}
	c.Flags().Int64Var(&rows, "rows", 1_000_000, "bronze rows to generate")
	c.Flags().Int64Var(&seed, "seed", 0, "generator seed (default: a new one each run, printed in the summary)")
	c.Flags().StringArrayVar(&params, "param", nil, "job parameter override key=value (repeatable): days, end, duplicate_rate, …")
	c.Flags().StringVar(&format, "format", "text", "summary format: text or json")
	return c
}

func generateCmd(e *env) *cobra.Command {
	var out string
	var rows, seed int64
	var files, days int
	var end string
	var dup, inv, mal float64
	c := &cobra.Command{
		Use:   "generate --out DIR --rows N",
		Short: "Write generated clickstream events as NDJSON files",
		Long: `Write the synthetic clickstream that generate_bronze lands in bronze as NDJSON
files part-00000.ndjson … in DIR, plus _manifest.json (what was injected). The
output is deterministic for (seed, rows, days, end).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("--out DIR is required")
			}
			if !cmd.Flags().Changed("rows") {
				return usagef("--rows N is required")
			}
			params := map[string]string{"rows": fmt.Sprint(rows), "days": fmt.Sprint(days),
				"duplicate_rate": fmt.Sprint(dup), "invalid_rate": fmt.Sprint(inv), "malformed_rate": fmt.Sprint(mal)}
			if cmd.Flags().Changed("seed") {
				params["seed"] = fmt.Sprint(seed)
			}
			if end != "" {
				params["end"] = end
			}
			cfg, err := app.GenConfig(params, time.Now())
			if err != nil {
				return usageError{err}
			}
			a, err := e.open()
			if err != nil {
				return err
			}
			res, err := a.GenerateFiles(e.ctx, out, files, cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "wrote %d rows in %d files to %s (seed %d)\n", res.Manifest.Rows, len(res.Files), out, cfg.Seed)
			return nil
		},
	}
	c.Flags().StringVar(&out, "out", "", "output folder")
	c.Flags().Int64Var(&rows, "rows", 0, "number of lines")
	c.Flags().IntVar(&files, "files", 1, "number of files")
	c.Flags().Int64Var(&seed, "seed", 0, "generator seed (default: from the clock)")
	c.Flags().IntVar(&days, "days", 7, "days of events, ending at --end")
	c.Flags().StringVar(&end, "end", "", "end of the time window, RFC 3339 (default: now)")
	c.Flags().Float64Var(&dup, "duplicate-rate", 0.005, "share of duplicate re-sends")
	c.Flags().Float64Var(&inv, "invalid-rate", 0.002, "share of records that break the contract")
	c.Flags().Float64Var(&mal, "malformed-rate", 0.0005, "share of malformed lines")
	return c
}

func ingestCmd(e *env) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "ingest PATH...",
		Short: "Append NDJSON files (or folders of them, .gz too) to bronze, each file exactly once",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			a, err := e.open()
			if err != nil {
				return err
			}
			start := time.Now()
			res, err := a.Ingest(e.ctx, args)
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(e.stdout, res)
			}
			skipped := 0
			for _, f := range res.Files {
				if f.Skipped {
					skipped++
				}
			}
			secs := time.Since(start).Seconds()
			fmt.Fprintf(e.stdout, "ingested %d rows from %d files (%d already ingested, skipped) in %.2fs, %.0f rows/s, batch %s\n",
				res.Rows, len(res.Files)-skipped, skipped, secs, float64(res.Rows)/max(secs, 1e-9), res.BatchID)
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return c
}

func taskCmd(e *env) *cobra.Command {
	var params []string
	var format string
	c := &cobra.Command{
		Use:   "task NAME",
		Short: "Run one built-in task: generate_bronze, bronze_to_silver or silver_to_gold",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			p, err := parseParams(params)
			if err != nil {
				return err
			}
			a, err := e.open()
			if err != nil {
				return err
			}
			reg := a.Registry()
			name, ok := (&job.Task{NotebookTask: &job.NotebookTask{NotebookPath: args[0]}}).BuiltinName(reg)
			if !ok {
				return usagef("unknown task %q: built-ins are %v", args[0], reg.Names())
			}
			fn := reg[name]
			start := time.Now()
			m, err := fn(e.ctx, p)
			if err != nil {
				return fmt.Errorf("task %s: %w", name, err)
			}
			if format == "json" {
				return writeJSON(e.stdout, m)
			}
			fmt.Fprintf(e.stdout, "task %s succeeded in %.2fs\n", name, time.Since(start).Seconds())
			for _, k := range sortedKeys(m) {
				fmt.Fprintf(e.stdout, "  %s: %v\n", k, m[k])
			}
			return nil
		},
	}
	c.Flags().StringArrayVar(&params, "param", nil, "task parameter key=value (repeatable)")
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return c
}

func checkCmd(e *env) *cobra.Command {
	var format string
	var sample int
	c := &cobra.Command{
		Use:   "check",
		Short: "Reconcile bronze, silver and quarantine, and check silver and gold",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			a, err := e.open()
			if err != nil {
				return err
			}
			r, err := a.Check(e.ctx, sample)
			if err != nil {
				return err
			}
			if err := app.WriteCheck(e.stdout, r, format); err != nil {
				return err
			}
			if !r.OK() {
				return exitError{code: ExitFailure, msg: "check failed"}
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	c.Flags().IntVar(&sample, "sample-days", 7, "event_dates of gold to recompute from silver (0 = all)")
	return c
}

func writeJSON(w io.Writer, v any) error { return app.WriteJSON(w, v) }

func sortedKeys(m job.Metrics) []string { return app.SortedKeys(m) }
