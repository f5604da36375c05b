package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
)

// summaryStage is one stage of one side over all repetitions: the median
// wall and CPU time, the largest peak RSS, and throughput at the median wall.
type summaryStage struct {
	Stage      string  `json:"stage"`
	Reps       int     `json:"reps"` // repetitions that succeeded
	Rows       int64   `json:"rows"` // input events
	WallS      float64 `json:"wall_s"`
	RowsPerS   float64 `json:"rows_per_s"`
	MBPerS     float64 `json:"mb_per_s"` // input NDJSON, 10^6 bytes
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	CPUS       float64 `json:"cpu_s"`
	Load1      float64 `json:"load1"` // median at start
	// OtherCores is the median of the cores other processes kept busy while
	// the stage ran (from /proc/stat); -1 when unknown.
	OtherCores float64          `json:"other_cores"`
	Out        map[string]int64 `json:"out,omitempty"`
}

// summary is the medians over repetitions.
type summary struct {
	Ours   []summaryStage     `json:"ours"`
	DuckDB []summaryStage     `json:"duckdb,omitempty"`
	Ratio  map[string]float64 `json:"ratio_duckdb_over_ours,omitempty"` // median of the per-rep ratios
	Check  *summaryCheck      `json:"check,omitempty"`
	Run    *summaryStage      `json:"run,omitempty"`
}

type summaryCheck struct {
	WallS float64 `json:"wall_s"` // median
	OK    bool    `json:"ok"`     // every rep's check passed
}

func summarize(reps []repResult, in input) summary {
	var s summary
	side := func(get func(repResult) *sideRun) []summaryStage {
		var out []summaryStage
		for _, k := range stageKeys {
			var rs []stageResult
			for _, r := range reps {
				if st, ok := get(r).stage(k); ok {
					rs = append(rs, st)
				}
			}
			if len(rs) > 0 {
				out = append(out, aggregate(k, rs, in))
			}
		}
		return out
	}
	s.Ours = side(func(r repResult) *sideRun { return r.Ours })
	s.DuckDB = side(func(r repResult) *sideRun { return r.DuckDB })
	for _, k := range stageKeys {
		var xs []float64
		for _, r := range reps {
			if v, ok := r.Ratio[k]; ok {
				xs = append(xs, v)
			}
		}
		if len(xs) > 0 {
			if s.Ratio == nil {
				s.Ratio = map[string]float64{}
			}
			s.Ratio[k] = median(xs)
		}
	}
	var checks []float64
	ok := true
	for _, r := range reps {
		if r.Check != nil {
			checks = append(checks, r.Check.WallS)
			ok = ok && r.Check.OK
		}
	}
	if len(checks) > 0 {
		s.Check = &summaryCheck{WallS: median(checks), OK: ok}
	}
	var runs []stageResult
	for _, r := range reps {
		if r.Run != nil && r.Run.Error == "" {
			runs = append(runs, stageResult{Stage: "run", WallS: r.Run.WallS, CPUS: r.Run.CPUS, PeakRSSMiB: r.Run.PeakRSSMiB, Load1: r.Run.Load1})
		}
	}
	if len(runs) > 0 {
		a := aggregate("run", runs, in)
		a.MBPerS = 0 // run generates its events: there is no NDJSON input
		s.Run = &a
	}
	return s
}

func aggregate(key string, rs []stageResult, in input) summaryStage {
	var wall, cpu, load, other []float64
	a := summaryStage{Stage: key, Reps: len(rs), Rows: in.Rows, Out: rs[0].Out, OtherCores: -1}
	for _, r := range rs {
		wall, cpu, load = append(wall, r.WallS), append(cpu, r.CPUS), append(load, r.Load1)
		if r.OtherCores >= 0 {
			other = append(other, r.OtherCores)
		}
		a.PeakRSSMiB = max(a.PeakRSSMiB, r.PeakRSSMiB)
	}
	a.WallS, a.CPUS, a.Load1 = median(wall), median(cpu), median(load)
	if len(other) > 0 {
		a.OtherCores = median(other)
	}
	if a.WallS > 0 {
		a.RowsPerS = float64(in.Rows) / a.WallS
		a.MBPerS = float64(in.Bytes) / 1e6 / a.WallS
	}
	return a
}

// target is one "done when" line of issue 5 with what this invocation
// measured. Met is nil when the measurement does not decide it (another size).
type target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  *bool  `json:"met"`
}

const (
	targetRows        = 10_000_000
	targetWallS       = 12
	targetRatio       = 3
	targetRSSMiB      = 1024
	targetIncRatio    = 1.5
	targetIncRuns     = 10
	targetIncRowsEach = 1_000_000
)

func targets(r *report) []target {
	var ts []target
	decided := func(ok, applies bool) *bool {
		if !applies {
			return nil
		}
		return &ok
	}
	if s := r.Summary; s != nil && r.Input != nil {
		at10M := r.Input.Rows == targetRows
		at := fmt.Sprintf(" at %s rows", thousands(r.Input.Rows))
		if t, ok := findStage(s.Ours, "total"); ok {
			ts = append(ts, target{"NDJSON → gold wall (ingest + silver + gold)", "≤ 12 s at 10M rows",
				fmt.Sprintf("%.2f s%s", t.WallS, at), decided(t.WallS <= targetWallS, at10M)})
		}
		if v, ok := s.Ratio["total"]; ok {
			ts = append(ts, target{"DuckDB wall / ours, total, same invocation", "≥ 3× at 10M rows",
				fmt.Sprintf("%.2f×%s", v, at), decided(v >= targetRatio, at10M)})
		}
		if s.Run != nil {
			ts = append(ts, target{"lakehouse run --rows N (generate → gold)", "≤ 12 s at 10M rows",
				fmt.Sprintf("%.2f s%s", s.Run.WallS, at), decided(s.Run.WallS <= targetWallS, at10M)})
		}
		peak := 0.0
		for _, st := range s.Ours {
			peak = max(peak, st.PeakRSSMiB)
		}
		if s.Run != nil {
			peak = max(peak, s.Run.PeakRSSMiB)
		}
		// Exceeding the bound at a smaller size already fails it.
		ts = append(ts, target{"peak RSS, largest of our stages and run", "≤ 1024 MiB at 10M rows",
			fmt.Sprintf("%.0f MiB%s", peak, at), decided(peak <= targetRSSMiB, at10M || peak > targetRSSMiB)})
	}
	if inc := r.Incremental; inc != nil && inc.RatioLastFirst > 0 {
		applies := len(inc.Runs) == targetIncRuns && inc.Rows == targetIncRowsEach
		ts = append(ts, target{"incremental: last / first run wall", "≤ 1.5× (10th run of 1M new events vs the first)",
			fmt.Sprintf("%.2f× (run %d of %s rows)", inc.RatioLastFirst, len(inc.Runs), thousands(inc.Rows)),
			decided(inc.RatioLastFirst <= targetIncRatio, applies)})
	}
	return ts
}

func findStage(ss []summaryStage, key string) (summaryStage, bool) {
	for _, s := range ss {
		if s.Stage == key {
			return s, true
		}
	}
	return summaryStage{}, false
}

// writeText prints the report for people.
func writeText(w io.Writer, r *report) error {
	p := &printer{w: w}
	commit := r.Commit
	if commit == "" {
		commit = "unknown"
	}
	if r.Dirty {
		commit += " + uncommitted changes"
	}
	bin := "built from the checkout"
	if r.BinaryPrebuilt {
		bin = "prebuilt (--bin)"
	}
	p.f("lakehouse bench — commit %s; binary %s, sha256 %s\n", commit, bin, r.BinarySHA256)
	m := r.Machine
	p.f("machine: %d CPUs (%s), %.1f GiB RAM, Linux %s, %s", m.CPUs, m.CPUModel, float64(m.MemTotalBytes)/(1<<30), m.Kernel, m.GoVersion)
	if m.DuckDBVersion != "" {
		p.f(", DuckDB %s", m.DuckDBVersion)
	}
	p.f("\n")
	if in := r.Input; in != nil {
		how := "reused"
		if in.Generated {
			how = fmt.Sprintf("generated in %.1f s", in.GenerateS)
		}
		p.f("input: %s — %d files, %s rows (%s), %s, %s; cat from the page cache %.2f s\n",
			in.Dir, len(in.Files), thousands(in.Rows), in.RowsFrom, mb(in.Bytes), how, in.CatS)
	}
	if s := r.Summary; s != nil {
		writeSummary(p, r, s)
	}
	if inc := r.Incremental; inc != nil {
		writeIncremental(p, inc)
	}
	if len(r.Targets) > 0 {
		p.f("\nissue 5 targets:\n")
		tw := tabwriter.NewWriter(p, 2, 8, 2, ' ', 0)
		for _, t := range r.Targets {
			state := "not decided at this size"
			if t.Met != nil && *t.Met {
				state = "met"
			} else if t.Met != nil {
				state = "NOT MET"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", t.Name, t.Want, t.Got, state)
		}
		tw.Flush()
	}
	if len(r.Failures) > 0 {
		p.f("\nFAILURES:\n")
		for _, f := range r.Failures {
			p.f("  %s\n", f)
		}
	}
	if r.Workdir != "" {
		p.f("\nkept: %s\n", r.Workdir)
	}
	return p.err
}

func writeSummary(p *printer, r *report, s *summary) {
	n := len(r.Reps)
	p.f("\npipeline: median of %d rep(s), alternating sides; rows/s and MB/s are input events and input NDJSON (10^6 B)\n", n)
	p.f("per wall second; peak RSS is the largest over the reps; load1 is the 1-minute load average at the start;\n")
	p.f("cores is CPU s / wall s (median CPU over median wall); other cores is how many cores other processes kept\n")
	p.f("busy meanwhile (/proc/stat): on a shared machine they fill whatever a stage leaves idle.\n")
	p.f("Ours: one process per stage (start-up included). DuckDB: stage wall_s from pipeline.mjs (node start-up\n")
	p.f("excluded), total = duckdb_total_s (three node processes, start-up included).\n\n")
	tw := tabwriter.NewWriter(p, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "stage\tside\twall s\trows/s\tMB/s\tpeak RSS MiB\tCPU s\tcores\tload1\tother cores\tduckdb/ours\trows out\t\n")
	for _, k := range stageKeys {
		for _, side := range []struct {
			name string
			ss   []summaryStage
		}{{"ours", s.Ours}, {"duckdb", s.DuckDB}} {
			st, ok := findStage(side.ss, k)
			if !ok {
				if e := stageError(r.Reps, side.name, k); e != "" {
					fmt.Fprintf(tw, "%s\t%s\tFAILED (see below)\t\t\t\t\t\t\t\t\t\t\n", stageLabel(k), side.name)
				}
				continue
			}
			ratio := ""
			if v, ok := s.Ratio[k]; ok && side.name == "ours" {
				ratio = fmt.Sprintf("%.2f×", v)
			}
			other := "?"
			if st.OtherCores >= 0 {
				other = fmt.Sprintf("%.2f", st.OtherCores)
			}
			cores := 0.0
			if st.WallS > 0 {
				cores = st.CPUS / st.WallS
			}
			fmt.Fprintf(tw, "%s\t%s\t%.2f\t%s\t%.1f\t%.0f\t%.2f\t%.2f\t%.2f\t%s\t%s\t%s\t\n", stageLabel(k), side.name, st.WallS,
				thousands(int64(math.Round(st.RowsPerS))), st.MBPerS, st.PeakRSSMiB, st.CPUS, cores, st.Load1, other, ratio, outText(k, st.Out))
		}
	}
	tw.Flush()
	if c := s.Check; c != nil {
		state := "passed"
		if !c.OK {
			state = "FAILED"
		}
		p.f("\nlakehouse check --sample-days 1 (not in the pipeline time): %.2f s (median), %s\n", c.WallS, state)
	}
	if n > 1 && len(s.DuckDB) > 0 {
		p.f("\nper rep, wall s ours / duckdb (ratio):\n")
		for _, rr := range r.Reps {
			var parts []string
			for _, k := range stageKeys {
				o, ok1 := rr.Ours.stage(k)
				d, ok2 := rr.DuckDB.stage(k)
				if ok1 && ok2 {
					parts = append(parts, fmt.Sprintf("%s %.2f / %.2f (%.2f×)", k, o.WallS, d.WallS, rr.Ratio[k]))
				}
			}
			p.f("  rep %d, %s first, load %s: %s\n", rr.Rep, rr.First, rr.Load, strings.Join(parts, ", "))
		}
	} else if n > 1 {
		p.f("\nper rep, our wall s:\n")
		for _, rr := range r.Reps {
			var parts []string
			for _, k := range stageKeys {
				if o, ok := rr.Ours.stage(k); ok {
					parts = append(parts, fmt.Sprintf("%s %.2f", k, o.WallS))
				}
			}
			p.f("  rep %d, load %s: %s\n", rr.Rep, rr.Load, strings.Join(parts, ", "))
		}
	}
	if run := s.Run; run != nil {
		p.f("\nlakehouse run --rows %s --seed 1 (generate → gold, one process, fresh warehouse): %.2f s (median of %d), %s rows/s, peak RSS %.0f MiB, CPU %.2f s, load1 %.2f\n",
			thousands(run.Rows), run.WallS, run.Reps, thousands(int64(math.Round(run.RowsPerS))), run.PeakRSSMiB, run.CPUS, run.Load1)
		for _, rr := range r.Reps {
			if rr.Run != nil && rr.Run.Error == "" {
				p.f("  rep %d: %.2f s; tasks %s\n", rr.Rep, rr.Run.WallS, tasksText(rr.Run.TasksS))
			}
		}
	}
}

// stageError is the first error of side's stage key over the reps.
func stageError(reps []repResult, side, key string) string {
	for _, r := range reps {
		s := r.Ours
		if side == "duckdb" {
			s = r.DuckDB
		}
		if s == nil {
			continue
		}
		for _, st := range s.Stages {
			if st.Stage == key && st.Error != "" {
				return st.Error
			}
		}
		if s.Error != "" && len(s.Stages) > 0 && s.Stages[len(s.Stages)-1].Stage != "total" {
			return s.Error // an earlier stage failed, so this one never ran
		}
	}
	return ""
}

func writeIncremental(p *printer, inc *incrementalResult) {
	p.f("\nincremental: %d × lakehouse run --rows %s --seed i on one warehouse (new events each run)\n\n", len(inc.Runs), thousands(inc.Rows))
	tw := tabwriter.NewWriter(p, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "run\twall s\tvs run 1\tpeak RSS MiB\tCPU s\tload1\tgenerate s\tsilver s\tgold s\t\n")
	for i, r := range inc.Runs {
		if r.Error != "" {
			fmt.Fprintf(tw, "%d\tFAILED after %.2f s: %s\t\n", i+1, r.WallS, r.Error)
			continue
		}
		rel := ""
		if inc.Runs[0].WallS > 0 {
			rel = fmt.Sprintf("%.2f×", r.WallS/inc.Runs[0].WallS)
		}
		fmt.Fprintf(tw, "%d\t%.2f\t%s\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", i+1, r.WallS, rel, r.PeakRSSMiB, r.CPUS, r.Load1,
			r.TasksS["generate_bronze"], r.TasksS["bronze_to_silver"], r.TasksS["silver_to_gold"])
	}
	tw.Flush()
	if inc.RatioLastFirst > 0 {
		p.f("last / first: %.2f× wall (criterion ≤ %.1f×), %.2f× CPU\n", inc.RatioLastFirst, targetIncRatio, inc.CPURatioLastFirst)
	}
	if c := inc.Check; c != nil {
		p.f("lakehouse check --sample-days 1 after the last run: %.2f s, %s\n", c.WallS, checkText(*c))
	}
}

func outText(key string, out map[string]int64) string {
	switch key {
	case "bronze":
		return thousands(out["bronze"])
	case "silver":
		if _, ok := out["silver"]; ok {
			return fmt.Sprintf("%s + %s quarantined", thousands(out["silver"]), thousands(out["quarantine"]))
		}
	case "gold":
		if _, ok := out["fact_purchases"]; ok {
			return fmt.Sprintf("%s purchases", thousands(out["fact_purchases"]))
		}
	}
	return ""
}

func tasksText(m map[string]float64) string {
	var parts []string
	for _, k := range []string{"generate_bronze", "bronze_to_silver", "silver_to_gold"} {
		if v, ok := m[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %.2f s", k, v))
		}
	}
	return strings.Join(parts, ", ")
}

// thousands renders n with comma separators.
func thousands(n int64) string { return humanize.Comma(n) }

// printer writes formatted text and keeps the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.w.Write(b)
	p.err = err
	return n, err
}

func (p *printer) f(format string, args ...any) { fmt.Fprintf(p, format, args...) }

// writeJSONFile writes the report as indented JSON, atomically.
func writeJSONFile(path string, r *report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("report json: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("report json: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("report json: %w", err)
	}
	return nil
}
