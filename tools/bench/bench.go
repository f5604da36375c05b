package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

const modulePath = "github.com/ecomm-lakehouse/lakehouse"

// Stage keys, in pipeline order, shared by both sides.
var stageKeys = []string{"bronze", "silver", "gold", "total"}

// ourStage is one of our pipeline stages: a label and the arguments after
// `lakehouse --warehouse W --quiet`.
type ourStage struct {
	key, label string
	args       func(in input) []string
}

var ourStages = []ourStage{
	{"bronze", "ingest", func(in input) []string { return []string{"ingest", in.Dir, "--format", "json"} }},
	{"silver", "bronze_to_silver", func(input) []string { return []string{"task", "bronze_to_silver", "--format", "json"} }},
	{"gold", "silver_to_gold", func(input) []string { return []string{"task", "silver_to_gold", "--format", "json"} }},
}

// stageLabel names a stage key in reports.
func stageLabel(key string) string {
	switch key {
	case "bronze":
		return "ingest (bronze)"
	case "silver":
		return "bronze_to_silver"
	case "gold":
		return "silver_to_gold"
	}
	return key
}

// stageResult is one stage of one side in one repetition.
type stageResult struct {
	Stage      string           `json:"stage"` // bronze, silver, gold or total
	WallS      float64          `json:"wall_s"`
	CPUS       float64          `json:"cpu_s"`
	PeakRSSMiB float64          `json:"peak_rss_mib"`
	Load1      float64          `json:"load1"`       // 1-minute load average at start
	OtherCores float64          `json:"other_cores"` // cores other processes kept busy meanwhile; -1 unknown
	Out        map[string]int64 `json:"out,omitempty"`
	Error      string           `json:"error,omitempty"`
}

// sideRun is one side's pipeline in one repetition: the three stages, then
// the total.
type sideRun struct {
	Stages []stageResult `json:"stages"`
	Error  string        `json:"error,omitempty"`
}

func (s *sideRun) stage(key string) (stageResult, bool) {
	if s == nil {
		return stageResult{}, false
	}
	for _, r := range s.Stages {
		if r.Stage == key {
			return r, r.Error == ""
		}
	}
	return stageResult{}, false
}

// checkResult is `lakehouse check --sample-days 1` on a warehouse.
type checkResult struct {
	WallS  float64  `json:"wall_s"`
	OK     bool     `json:"ok"`
	Failed []string `json:"failed,omitempty"`
	Error  string   `json:"error,omitempty"`
}

// runResult is one `lakehouse run`.
type runResult struct {
	Rows       int64              `json:"rows"`
	Seed       int64              `json:"seed"`
	WallS      float64            `json:"wall_s"`
	CPUS       float64            `json:"cpu_s"`
	PeakRSSMiB float64            `json:"peak_rss_mib"`
	Load1      float64            `json:"load1"`
	OtherCores float64            `json:"other_cores"`
	TasksS     map[string]float64 `json:"tasks_s,omitempty"`
	Error      string             `json:"error,omitempty"`
}

// repResult is one repetition.
type repResult struct {
	Rep    int                `json:"rep"`
	First  string             `json:"first"` // "ours" or "duckdb"
	Load   loadavg            `json:"load_at_start"`
	Ours   *sideRun           `json:"ours,omitempty"`
	Check  *checkResult       `json:"check,omitempty"`
	DuckDB *sideRun           `json:"duckdb,omitempty"`
	Ratio  map[string]float64 `json:"ratio_duckdb_over_ours,omitempty"`
	Run    *runResult         `json:"run,omitempty"`
}

// incrementalResult is K successive runs of new events on one warehouse.
type incrementalResult struct {
	Rows           int64       `json:"rows"`
	Runs           []runResult `json:"runs"`
	RatioLastFirst float64     `json:"ratio_last_first,omitempty"`
	// CPURatioLastFirst is the same for CPU seconds: less sensitive to other
	// processes than wall time, though not immune (caches, SMT).
	CPURatioLastFirst float64      `json:"cpu_ratio_last_first,omitempty"`
	Check             *checkResult `json:"check,omitempty"`
}

// report is everything one invocation measured; it is also the --json document.
type report struct {
	Schema         string             `json:"schema"`
	Started        time.Time          `json:"started"`
	Commit         string             `json:"commit"`
	Dirty          bool               `json:"dirty"`
	BinaryPrebuilt bool               `json:"binary_prebuilt"`
	BinarySHA256   string             `json:"binary_sha256"`
	Machine        machine            `json:"machine"`
	Options        options            `json:"options"`
	Input          *input             `json:"input,omitempty"`
	Reps           []repResult        `json:"reps,omitempty"`
	Summary        *summary           `json:"summary,omitempty"`
	Incremental    *incrementalResult `json:"incremental,omitempty"`
	Targets        []target           `json:"targets,omitempty"`
	Failures       []string           `json:"failures,omitempty"`
	Workdir        string             `json:"workdir,omitempty"`
}

// bench runs one invocation.
type bench struct {
	opts options
	log  io.Writer
	bin  string
	work string
	rep  *report
}

// run measures what the options ask for. It returns the report even on
// error, holding what was measured until then.
func (b *bench) run(ctx context.Context) (*report, error) {
	b.rep = &report{Schema: "lakehouse-bench/1", Started: time.Now().UTC(), Options: b.opts, Machine: readMachine()}
	root, rootErr := findModuleRoot()

	work, err := os.MkdirTemp(b.opts.Workdir, "lakehouse-bench-")
	if err != nil {
		return b.rep, fmt.Errorf("work folder: %w", err)
	}
	b.work = work
	if b.opts.Keep {
		b.rep.Workdir = work
	} else {
		defer os.RemoveAll(work)
	}

	if rootErr == nil { // before building: the lead may commit meanwhile
		b.rep.Commit, b.rep.Dirty = gitState(ctx, root)
	}
	if err := b.binary(ctx, root, rootErr); err != nil {
		return b.rep, err
	}

	var ref duckRef
	useDuck := b.opts.Pipeline && !b.opts.SkipDuckDB
	if useDuck {
		if ref, err = findDuckDBRef(b.opts.DuckDBRef, root); err != nil {
			return b.rep, err
		}
		v, err := ensureDuckDB(ctx, ref, b.opts.NPMTimeout, b.log)
		if err != nil {
			return b.rep, err
		}
		b.rep.Machine.DuckDBVersion = v
	}

	if b.opts.Pipeline {
		in, err := prepareInput(ctx, b.opts, b.bin, b.log)
		if err != nil {
			return b.rep, err
		}
		b.rep.Input = &in
		for i := 1; i <= b.opts.Reps; i++ {
			r, err := b.repetition(ctx, i, in, useDuck, ref)
			b.rep.Reps = append(b.rep.Reps, r)
			if err != nil {
				return b.rep, err
			}
		}
		s := summarize(b.rep.Reps, in)
		b.rep.Summary = &s
	}
	if b.opts.Incremental > 0 {
		inc, err := b.incremental(ctx)
		b.rep.Incremental = inc
		if err != nil {
			return b.rep, err
		}
	}
	b.rep.Targets = targets(b.rep)
	return b.rep, nil
}

// binary builds ./cmd/lakehouse into the work folder, or takes --bin.
func (b *bench) binary(ctx context.Context, root string, rootErr error) error {
	if b.opts.Bin != "" {
		abs, err := filepath.Abs(b.opts.Bin)
		if err != nil {
			return fmt.Errorf("--bin: %w", err)
		}
		b.bin, b.rep.BinaryPrebuilt = abs, true
	} else {
		if rootErr != nil {
			return fmt.Errorf("build lakehouse: %w (run from the repository, or pass --bin)", rootErr)
		}
		b.bin = filepath.Join(b.work, "lakehouse")
		fmt.Fprintf(b.log, "bench: building ./cmd/lakehouse\n")
		if _, err := run(ctx, child{dir: root, argv: []string{"go", "build", "-o", b.bin, "./cmd/lakehouse"}}); err != nil {
			return fmt.Errorf("build lakehouse: %w", err)
		}
	}
	sum, err := fileSHA256(b.bin)
	if err != nil {
		return fmt.Errorf("lakehouse binary: %w", err)
	}
	b.rep.BinarySHA256 = sum
	return nil
}

// repetition runs both sides, alternating which goes first, then `run`.
func (b *bench) repetition(ctx context.Context, i int, in input, useDuck bool, ref duckRef) (repResult, error) {
	r := repResult{Rep: i, First: "ours", Load: readLoadavg()}
	if useDuck && i%2 == 0 {
		r.First = "duckdb"
	}
	fmt.Fprintf(b.log, "bench: rep %d/%d (%s first), load %s\n", i, b.opts.Reps, r.First, r.Load)
	dir := filepath.Join(b.work, fmt.Sprintf("rep%d", i))
	ours := func() error {
		wh := filepath.Join(dir, "warehouse")
		side := b.ours(ctx, in, wh)
		r.Ours = &side
		if side.Error != "" {
			b.fail("rep %d ours: %s", i, side.Error)
		} else if b.opts.Check {
			c := b.check(ctx, wh)
			r.Check = &c
			if !c.OK {
				b.fail("rep %d check: %s", i, checkText(c))
			}
		}
		if !b.opts.Keep {
			os.RemoveAll(wh)
		}
		return ctx.Err()
	}
	duck := func() error {
		if !useDuck {
			return nil
		}
		out := filepath.Join(dir, "duckdb")
		side := b.duckdb(ctx, ref, in, out)
		r.DuckDB = &side
		if side.Error != "" {
			b.fail("rep %d duckdb: %s", i, side.Error)
		}
		if !b.opts.Keep {
			os.RemoveAll(out)
		}
		return ctx.Err()
	}
	order := []func() error{ours, duck}
	if r.First == "duckdb" {
		order = []func() error{duck, ours}
	}
	for _, f := range order {
		if err := f(); err != nil {
			return r, err
		}
	}
	r.Ratio = ratios(r.Ours, r.DuckDB)

	wh := filepath.Join(dir, "run-warehouse")
	run := b.lakehouseRun(ctx, wh, in.Rows, 1)
	r.Run = &run
	if run.Error != "" {
		b.fail("rep %d lakehouse run: %s", i, run.Error)
	}
	if !b.opts.Keep {
		os.RemoveAll(dir)
	}
	return r, ctx.Err()
}

// ours runs our three stages as separate processes on a fresh warehouse. A
// failed stage ends the side: later stages would measure nothing useful.
func (b *bench) ours(ctx context.Context, in input, wh string) sideRun {
	var side sideRun
	total := stageResult{Stage: "total", OtherCores: -1}
	var otherCPU float64
	for i, st := range ourStages {
		argv := append([]string{b.bin, "--warehouse", wh, "--quiet"}, st.args(in)...)
		m, err := run(ctx, child{argv: argv})
		res := fromMeasurement(st.key, m)
		if err == nil {
			res.Out, err = ourOutRows(st.key, m.Stdout, in.Rows)
		}
		if err != nil {
			res.Error = err.Error()
			side.Stages = append(side.Stages, res)
			side.Error = fmt.Sprintf("%s: %v", st.label, err)
			fmt.Fprintf(b.log, "bench:   ours %-17s FAILED after %.2f s (peak RSS %.0f MiB): %v\n", st.label, res.WallS, res.PeakRSSMiB, err)
			return side
		}
		fmt.Fprintf(b.log, "bench:   ours %-17s %7.2f s  %6.0f MiB  cpu %6.2f s\n", st.label, res.WallS, res.PeakRSSMiB, res.CPUS)
		side.Stages = append(side.Stages, res)
		if i == 0 {
			total.Load1 = res.Load1
		}
		total.WallS += res.WallS
		total.CPUS += res.CPUS
		total.PeakRSSMiB = max(total.PeakRSSMiB, res.PeakRSSMiB)
		if res.OtherCores >= 0 {
			otherCPU += res.OtherCores * res.WallS
		}
	}
	if total.WallS > 0 {
		total.OtherCores = otherCPU / total.WallS
	}
	side.Stages = append(side.Stages, total)
	fmt.Fprintf(b.log, "bench:   ours %-17s %7.2f s\n", "total", total.WallS)
	return side
}

func fromMeasurement(key string, m measurement) stageResult {
	return stageResult{Stage: key, WallS: m.Wall.Seconds(), CPUS: m.CPU.Seconds(),
		PeakRSSMiB: mib(m.MaxRSS), Load1: m.Load[0], OtherCores: m.OtherCores}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// ourOutRows reads the rows a stage reports (--format json) and checks that
// ingest landed every input line.
func ourOutRows(key string, stdout []byte, inputRows int64) (map[string]int64, error) {
	var v map[string]any
	if err := json.Unmarshal(stdout, &v); err != nil {
		return nil, fmt.Errorf("%s output %.80q: %w", key, stdout, errBadOutput)
	}
	num := func(k string) (int64, bool) {
		f, ok := v[k].(float64)
		return int64(f), ok
	}
	out := map[string]int64{}
	var want []string
	switch key {
	case "bronze":
		want = []string{"Rows:bronze"}
	case "silver":
		want = []string{"rows_out:silver", "quarantined:quarantine", "superseded:superseded"}
	case "gold":
		want = []string{"fact_rows:fact_purchases", "funnel_rows:mart_funnel_daily", "revenue_rows:mart_revenue_daily"}
	}
	for _, w := range want {
		from, to, _ := strings.Cut(w, ":")
		n, ok := num(from)
		if !ok {
			return nil, fmt.Errorf("%s output has no %q: %w", key, from, errBadOutput)
		}
		out[to] = n
	}
	if key == "bronze" && out["bronze"] != inputRows {
		return out, fmt.Errorf("ingest landed %d rows, the input has %d", out["bronze"], inputRows)
	}
	return out, nil
}

// check runs `lakehouse check --sample-days 1`.
func (b *bench) check(ctx context.Context, wh string) checkResult {
	m, err := run(ctx, child{argv: []string{b.bin, "--warehouse", wh, "--quiet", "check", "--sample-days", "1", "--format", "json"}})
	c := checkResult{WallS: m.Wall.Seconds()}
	var doc struct {
		OK    bool `json:"ok"`
		Items []struct {
			Name   string
			OK     bool
			Detail string
		}
	}
	if jerr := json.Unmarshal(m.Stdout, &doc); jerr == nil {
		c.OK = doc.OK && err == nil
		for _, it := range doc.Items {
			if !it.OK {
				c.Failed = append(c.Failed, it.Name+": "+it.Detail)
			}
		}
	}
	if err != nil && len(c.Failed) == 0 {
		c.Error = err.Error()
	}
	state := "ok"
	if !c.OK {
		state = "FAILED: " + checkText(c)
	}
	fmt.Fprintf(b.log, "bench:   ours %-17s %7.2f s  %s\n", "check", c.WallS, state)
	return c
}

func checkText(c checkResult) string {
	if c.OK {
		return "ok"
	}
	if c.Error != "" {
		return c.Error
	}
	return strings.Join(c.Failed, "; ")
}

// duckdb runs the reference's run.sh into out and reads its JSON lines.
func (b *bench) duckdb(ctx context.Context, ref duckRef, in input, out string) sideRun {
	var side sideRun
	if err := os.MkdirAll(out, 0o755); err != nil {
		side.Error = err.Error()
		return side
	}
	m, runErr := run(ctx, child{dir: out, argv: []string{"bash", filepath.Join(ref.Dir, "run.sh"), in.Dir, out},
		env: []string{"DUCKDB_REF_CACHE=" + ref.Cache}})
	// The stages that finished printed their line even when a later one
	// failed: keep their figures and name the stage that failed.
	d, parseErr := parseDuckDB(m.Stdout)
	total := fromMeasurement("total", m)
	total.WallS = d.TotalS // run.sh's timing of its three node processes, not its setup
	for _, key := range []string{"bronze", "silver", "gold"} {
		s, ok := d.Stages[key]
		if !ok {
			err := runErr
			if err == nil {
				err = parseErr
			}
			if strings.Contains(err.Error(), "Overflow in multiplication of DECIMAL") {
				err = fmt.Errorf("%w (known: the reference's silver lets through the generator's out-of-range prices, e.g. 12345678901234567.5, and its gold overflows; generate with --invalid-rate 0, see docs/performance.md)", err)
			}
			side.Stages = append(side.Stages, stageResult{Stage: key, Error: err.Error()})
			side.Error = fmt.Sprintf("%s: %v", key, err)
			fmt.Fprintf(b.log, "bench:   duckdb %-15s FAILED (run.sh ran %.2f s): %v\n", stageLabel(key), m.Wall.Seconds(), err)
			return side
		}
		res := stageResult{Stage: key, WallS: s.WallS, CPUS: s.CPUS, PeakRSSMiB: s.PeakRSSMB,
			Load1: m.Load[0], OtherCores: s.OtherProcsCores, Out: s.outRows()}
		total.PeakRSSMiB = max(total.PeakRSSMiB, res.PeakRSSMiB)
		side.Stages = append(side.Stages, res)
		fmt.Fprintf(b.log, "bench:   duckdb %-15s %7.2f s  %6.0f MiB  cpu %6.2f s\n", stageLabel(key), res.WallS, res.PeakRSSMiB, res.CPUS)
	}
	if err := errors.Join(runErr, parseErr); err != nil {
		side.Error = fmt.Sprintf("total: %v", err)
		side.Stages = append(side.Stages, stageResult{Stage: "total", Error: err.Error()})
		return side
	}
	side.Stages = append(side.Stages, total)
	fmt.Fprintf(b.log, "bench:   duckdb %-15s %7.2f s\n", "total", total.WallS)
	return side
}

// ratios is DuckDB wall / our wall per stage, within one repetition.
func ratios(ours, duck *sideRun) map[string]float64 {
	if ours == nil || duck == nil {
		return nil
	}
	m := map[string]float64{}
	for _, k := range stageKeys {
		o, ok1 := ours.stage(k)
		d, ok2 := duck.stage(k)
		if ok1 && ok2 && o.WallS > 0 {
			m[k] = d.WallS / o.WallS
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// lakehouseRun runs `lakehouse run --rows N --seed S` (generate -> gold in one
// process) on wh.
func (b *bench) lakehouseRun(ctx context.Context, wh string, rows, seed int64) runResult {
	m, err := run(ctx, child{argv: []string{b.bin, "--warehouse", wh, "--quiet", "run",
		"--rows", fmt.Sprint(rows), "--seed", fmt.Sprint(seed), "--format", "json"}})
	r := runResult{Rows: rows, Seed: seed, WallS: m.Wall.Seconds(), CPUS: m.CPU.Seconds(),
		PeakRSSMiB: mib(m.MaxRSS), Load1: m.Load[0], OtherCores: m.OtherCores}
	var doc struct {
		State string `json:"state"`
		Tasks []struct {
			Task    string  `json:"task"`
			State   string  `json:"state"`
			Seconds float64 `json:"seconds"`
		} `json:"tasks"`
	}
	if jerr := json.Unmarshal(m.Stdout, &doc); jerr == nil {
		r.TasksS = map[string]float64{}
		for _, t := range doc.Tasks {
			r.TasksS[t.Task] = t.Seconds
		}
		if err == nil && doc.State != "SUCCESS" {
			err = fmt.Errorf("run state %s", doc.State)
		}
	} else if err == nil {
		err = fmt.Errorf("run summary %.80q: %w", m.Stdout, errBadOutput)
	}
	if err != nil {
		r.Error = err.Error()
		fmt.Fprintf(b.log, "bench:   lakehouse run --rows %d --seed %d FAILED after %.2f s: %v\n", rows, seed, r.WallS, err)
		return r
	}
	fmt.Fprintf(b.log, "bench:   lakehouse run --rows %d --seed %d  %7.2f s  %6.0f MiB  cpu %6.2f s\n", rows, seed, r.WallS, r.PeakRSSMiB, r.CPUS)
	return r
}

// incremental runs K successive `lakehouse run --rows M --seed i` on one
// warehouse, then checks it.
func (b *bench) incremental(ctx context.Context) (*incrementalResult, error) {
	k, rows := b.opts.Incremental, b.opts.IncrementalRows
	fmt.Fprintf(b.log, "bench: incremental: %d runs of %d new events on one warehouse\n", k, rows)
	inc := &incrementalResult{Rows: rows}
	wh := filepath.Join(b.work, "incremental-warehouse")
	for i := 1; i <= k; i++ {
		r := b.lakehouseRun(ctx, wh, rows, int64(i))
		inc.Runs = append(inc.Runs, r)
		if err := ctx.Err(); err != nil {
			return inc, err
		}
		if r.Error != "" {
			b.fail("incremental run %d: %s", i, r.Error)
			return inc, nil
		}
	}
	if first, last := inc.Runs[0], inc.Runs[len(inc.Runs)-1]; k > 1 {
		if first.WallS > 0 {
			inc.RatioLastFirst = last.WallS / first.WallS
		}
		if first.CPUS > 0 {
			inc.CPURatioLastFirst = last.CPUS / first.CPUS
		}
	}
	if b.opts.Check {
		c := b.check(ctx, wh)
		inc.Check = &c
		if !c.OK {
			b.fail("incremental check: %s", checkText(c))
		}
	}
	if !b.opts.Keep {
		os.RemoveAll(wh)
	}
	return inc, ctx.Err()
}

func (b *bench) fail(format string, args ...any) {
	b.rep.Failures = append(b.rep.Failures, fmt.Sprintf(format, args...))
}

// findModuleRoot walks up from the working folder to the lakehouse go.mod.
func findModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("module root: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module "+modulePath+"\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("module root: no go.mod of %s above the working folder", modulePath)
		}
		dir = parent
	}
}

// gitState is the short commit and whether the tree has changes, tracked or
// not; both are empty/false when git is unavailable.
func gitState(ctx context.Context, root string) (string, bool) {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "log", "-1", "--format=%h").Output()
	if err != nil {
		return "", false
	}
	st, err := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain").Output()
	return strings.TrimSpace(string(out)), err == nil && len(strings.TrimSpace(string(st))) > 0
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// median of xs; NaN when empty.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
