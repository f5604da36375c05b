package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// duckRef locates the DuckDB reference pipeline and the cache its run.sh
// installs @duckdb/node-api into.
type duckRef struct {
	Dir   string // holds run.sh, package.json, package-lock.json
	Cache string // run.sh's DUCKDB_REF_CACHE
}

// findDuckDBRef resolves the reference folder: the flag, else
// $LAKEHOUSE_SHARED/bench/duckdb-reference, else ../shared beside the module.
func findDuckDBRef(flagDir, moduleRoot string) (duckRef, error) {
	dir := flagDir
	if dir == "" {
		shared := os.Getenv("LAKEHOUSE_SHARED")
		if shared == "" {
			shared = filepath.Join(moduleRoot, "..", "shared")
		}
		dir = filepath.Join(shared, "bench", "duckdb-reference")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return duckRef{}, fmt.Errorf("duckdb reference folder: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "run.sh")); err != nil {
		return duckRef{}, fmt.Errorf("%w: %s has no run.sh (pass --duckdb-ref DIR, or --skip-duckdb): %v", errDuckDBUnavailable, dir, err)
	}
	return duckRef{Dir: dir, Cache: duckCacheDir()}, nil
}

// duckCacheDir is where run.sh installs node modules; it mirrors run.sh.
func duckCacheDir() string {
	if d := os.Getenv("DUCKDB_REF_CACHE"); d != "" {
		return d
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "duckdb-reference")
}

// ensureDuckDB installs @duckdb/node-api on first use, saying so while npm
// runs, and returns the DuckDB version. The install is done here rather than
// inside the first timed run.sh so that it never counts in a measurement and
// a slow or missing registry fails early with a hint.
func ensureDuckDB(ctx context.Context, ref duckRef, timeout time.Duration, log io.Writer) (string, error) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", fmt.Errorf("%w: node is not on PATH (install Node.js 18+, or pass --skip-duckdb)", errDuckDBUnavailable)
	}
	if _, err := os.Stat(filepath.Join(ref.Cache, "node_modules", "@duckdb", "node-api")); errors.Is(err, fs.ErrNotExist) {
		if err := installDuckDB(ctx, ref, timeout, log); err != nil {
			return "", err
		}
	}
	m, err := run(ctx, child{dir: ref.Cache, argv: []string{"node", "--input-type=module", "-e",
		"import { version } from '@duckdb/node-api'; console.log(version())"}})
	if err != nil {
		return "", fmt.Errorf("%w: the copy installed in %s does not load (remove %s and retry, or pass --skip-duckdb): %v",
			errDuckDBUnavailable, ref.Cache, filepath.Join(ref.Cache, "node_modules"), err)
	}
	return strings.TrimSpace(string(m.Stdout)), nil
}

func installDuckDB(ctx context.Context, ref duckRef, timeout time.Duration, log io.Writer) error {
	if _, err := exec.LookPath("npm"); err != nil {
		return fmt.Errorf("%w: @duckdb/node-api is not installed in %s and npm is not on PATH (pass --skip-duckdb)", errDuckDBUnavailable, ref.Cache)
	}
	if err := os.MkdirAll(ref.Cache, 0o755); err != nil {
		return fmt.Errorf("%w: %v", errDuckDBUnavailable, err)
	}
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(ref.Dir, f))
		if err != nil {
			return fmt.Errorf("%w: %v", errDuckDBUnavailable, err)
		}
		if err := os.WriteFile(filepath.Join(ref.Cache, f), b, 0o644); err != nil {
			return fmt.Errorf("%w: %v", errDuckDBUnavailable, err)
		}
	}
	fmt.Fprintf(log, "bench: installing the DuckDB reference (npm ci of @duckdb/node-api, about 60 MB) into %s\n", ref.Cache)
	fmt.Fprintf(log, "bench: this happens once; it waits up to %v for npm (--npm-timeout). Offline? Stop and pass --skip-duckdb.\n", timeout)
	ictx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	start := time.Now()
	go func() {
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(log, "bench: still installing DuckDB with npm (%v so far)…\n", time.Since(start).Round(time.Second))
			}
		}
	}()
	_, err := run(ictx, child{dir: ref.Cache, argv: []string{"npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"}})
	if err != nil {
		why := err.Error()
		if ictx.Err() == context.DeadlineExceeded {
			why = fmt.Sprintf("no result after %v", timeout)
		}
		os.RemoveAll(filepath.Join(ref.Cache, "node_modules")) // never leave a half install that looks complete
		return fmt.Errorf("%w: npm ci in %s failed: %s. Check the network or npm registry (npm config get registry), or pass --skip-duckdb",
			errDuckDBUnavailable, ref.Cache, why)
	}
	fmt.Fprintf(log, "bench: DuckDB installed in %v\n", time.Since(start).Round(time.Second))
	return nil
}

// duckStage is one JSON line of the reference's pipeline.mjs.
type duckStage struct {
	Stage           string  `json:"stage"`
	WallS           float64 `json:"wall_s"`
	CPUS            float64 `json:"cpu_s"`
	OtherProcsCores float64 `json:"other_procs_cores"`
	PeakRSSMB       float64 `json:"peak_rss_mb"`
	OutputBytes     int64   `json:"output_bytes"`
	DuckDBVersion   string  `json:"duckdb_version"`
	Threads         int     `json:"threads"`
	ZstdLevel       int     `json:"zstd_level"`

	RowsWritten         *int64 `json:"rows_written"`
	BronzeRows          *int64 `json:"bronze_rows"`
	ValidRows           *int64 `json:"valid_rows"`
	QuarantineRows      *int64 `json:"quarantine_rows"`
	CleanRows           *int64 `json:"clean_rows"`
	DuplicatesRemoved   *int64 `json:"duplicates_removed"`
	FactPurchasesRows   *int64 `json:"fact_purchases_rows"`
	MartFunnelDailyRows *int64 `json:"mart_funnel_daily_rows"`
}

// duckOutput is what one run.sh printed.
type duckOutput struct {
	Stages map[string]duckStage // by stage: bronze, silver, gold
	TotalS float64              // duckdb_total_s: the three node processes, start-up included
}

// parseDuckDB reads run.sh's stdout: one JSON object per stage, then
// duckdb_total_s=<seconds>. Other lines (npm noise) are ignored.
func parseDuckDB(out []byte) (duckOutput, error) {
	d := duckOutput{Stages: map[string]duckStage{}, TotalS: -1}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "{"):
			var s duckStage
			if err := json.Unmarshal([]byte(line), &s); err != nil {
				return d, fmt.Errorf("duckdb stage line %.80q: %w", line, err)
			}
			d.Stages[s.Stage] = s
		case strings.HasPrefix(line, "duckdb_total_s="):
			v, err := strconv.ParseFloat(strings.TrimPrefix(line, "duckdb_total_s="), 64)
			if err != nil {
				return d, fmt.Errorf("duckdb total %q: %w", line, err)
			}
			d.TotalS = v
		}
	}
	if err := sc.Err(); err != nil {
		return d, fmt.Errorf("duckdb output: %w", err)
	}
	for _, s := range []string{"bronze", "silver", "gold"} {
		if _, ok := d.Stages[s]; !ok {
			return d, fmt.Errorf("duckdb output has no %s line: %w", s, errBadOutput)
		}
	}
	if d.TotalS < 0 {
		return d, fmt.Errorf("duckdb output has no duckdb_total_s line: %w", errBadOutput)
	}
	return d, nil
}

// outRows is what a DuckDB stage wrote, under the names our stages use.
func (s duckStage) outRows() map[string]int64 {
	m := map[string]int64{}
	put := func(k string, v *int64) {
		if v != nil {
			m[k] = *v
		}
	}
	put("bronze", s.RowsWritten)
	put("silver", s.CleanRows)
	put("quarantine", s.QuarantineRows)
	put("superseded", s.DuplicatesRemoved)
	put("fact_purchases", s.FactPurchasesRows)
	put("mart_funnel_daily", s.MartFunnelDailyRows)
	return m
}
