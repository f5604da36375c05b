package reliability

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/app"
	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/gen"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/check"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/local"
)

// dataEnd is the end of the generated time window: fixed, so that two
// generations with one seed are the same events.
var dataEnd = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

const dataEndArg = "2026-11-20T00:00:00Z"

// bin is the lakehouse binary the process tests run, built once per test
// binary into a folder TestMain removes.
var bin struct {
	dir  string
	once sync.Once
	path string
	err  error
}

// measureEnv, when set in the environment of the test binary, makes it a
// launcher: it runs the command in its arguments and writes the command's
// peak resident memory to the file the variable names (see runMeasured).
const measureEnv = "LAKEHOUSE_RELIABILITY_MAXRSS_OUT"

func TestMain(m *testing.M) {
	if out := os.Getenv(measureEnv); out != "" {
		os.Exit(launch(out, os.Args[1:]))
	}
	dir, err := os.MkdirTemp("", "lakehouse-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		os.Exit(1)
	}
	bin.dir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// lakehouseBin returns the path of the lakehouse binary, building it on
// first use.
func lakehouseBin(t testing.TB) string {
	t.Helper()
	bin.once.Do(func() {
		// go test puts its own GOROOT/bin first on PATH.
		path := filepath.Join(bin.dir, "lakehouse")
		if runtime.GOOS == "windows" {
			path += ".exe"
		}
		out, err := exec.Command("go", "build", "-o", path, "github.com/ecomm-lakehouse/lakehouse/cmd/lakehouse").CombinedOutput()
		if err != nil {
			bin.err = fmt.Errorf("go build ./cmd/lakehouse: %v\n%s", err, out)
			return
		}
		bin.path = path
	})
	if bin.err != nil {
		t.Fatal(bin.err)
	}
	return bin.path
}

// procResult is how one lakehouse process ended.
type procResult struct {
	args           []string
	stdout, stderr string
	err            error // from Wait: nil, an *exec.ExitError, or a start failure
	killed         bool  // ended by our SIGKILL
	elapsed        time.Duration
	maxRSS         int64 // peak resident set in bytes (runMeasured only)
}

func (r procResult) String() string {
	return fmt.Sprintf("lakehouse %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.err, r.stdout, r.stderr)
}

// runLakehouse runs the binary on the warehouse wh to its end, or kills it
// with SIGKILL killAfter after its start when killAfter >= 0.
func runLakehouse(t testing.TB, wh string, killAfter time.Duration, args ...string) procResult {
	t.Helper()
	all := append([]string{"--warehouse", wh, "--quiet"}, args...)
	cmd := exec.Command(lakehouseBin(t), all...)
	cmd.Env = childEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	res := procResult{args: all}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		res.err = err
		return res
	}
	var timer *time.Timer
	if killAfter >= 0 {
		timer = time.AfterFunc(killAfter, func() { cmd.Process.Kill() })
	}
	res.err = cmd.Wait()
	res.elapsed = time.Since(start)
	if timer != nil {
		timer.Stop()
	}
	res.stdout, res.stderr = stdout.String(), stderr.String()
	if cmd.ProcessState != nil {
		res.killed = killAfter >= 0 && killedBySignal(cmd.ProcessState)
	}
	return res
}

// launch runs args as a command with our stdio, writes its peak resident
// memory in bytes to out and returns its exit code.
func launch(out string, args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "launch:", err)
		return 125
	}
	if werr := os.WriteFile(out, []byte(strconv.FormatInt(maxRSS(cmd.ProcessState), 10)), 0o666); werr != nil {
		fmt.Fprintln(os.Stderr, "launch:", werr)
		return 125
	}
	return cmd.ProcessState.ExitCode()
}

// runMeasured runs the binary like runLakehouse (without a kill) and
// measures its peak resident memory through a launcher: a fresh copy of
// this test binary that starts the command and reads its rusage. On Linux
// a child started straight from this process would inherit our own peak
// (exec records the old address space's high-water mark, and os/exec
// spawns with CLONE_VM), so after a test allocated a lot every child
// would look that big.
func runMeasured(t testing.TB, wh string, args ...string) procResult {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "maxrss")
	all := append([]string{"--warehouse", wh, "--quiet"}, args...)
	cmd := exec.Command(self, append([]string{lakehouseBin(t)}, all...)...)
	cmd.Env = append(childEnv(), measureEnv+"="+out)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	res := procResult{args: all}
	res.err = cmd.Run()
	res.elapsed = time.Since(start)
	res.stdout, res.stderr = stdout.String(), stderr.String()
	b, rerr := os.ReadFile(out)
	if rerr != nil {
		t.Fatalf("peak memory of lakehouse %s: %v (launcher: %v, stderr %s)", strings.Join(all, " "), rerr, res.err, res.stderr)
	}
	if res.maxRSS, rerr = strconv.ParseInt(string(b), 10, 64); rerr != nil {
		t.Fatal(rerr)
	}
	if res.maxRSS <= 0 { // a bound on 0 bytes would pass whatever the run used
		t.Fatalf("no peak memory measured: %s", res)
	}
	return res
}

// mustLakehouse runs the binary and fails the test unless it succeeds.
func mustLakehouse(t testing.TB, wh string, args ...string) procResult {
	t.Helper()
	r := runLakehouse(t, wh, -1, args...)
	if r.err != nil {
		t.Fatalf("%s", r)
	}
	return r
}

// childEnv is the environment of the processes: ours without a warehouse
// default, so only --warehouse decides.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LAKEHOUSE_WAREHOUSE=") {
			env = append(env, kv)
		}
	}
	return env
}

// generateFiles writes the generator's NDJSON files for (seed, rows) into
// dir with the binary.
func generateFiles(t testing.TB, dir string, rows, files int, seed int64) {
	t.Helper()
	mustLakehouse(t, filepath.Join(t.TempDir(), "unused"), "generate", "--out", dir, "--rows", strconv.Itoa(rows),
		"--files", strconv.Itoa(files), "--seed", strconv.FormatInt(seed, 10), "--end", dataEndArg)
}

// generateFilesInProcess does the same without the binary.
func generateFilesInProcess(t testing.TB, dir string, rows, files int, seed int64) []string {
	t.Helper()
	a, err := app.Open(app.Options{Warehouse: filepath.Join(t.TempDir(), "unused")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.GenerateFiles(context.Background(), dir, files, gen.Defaults(seed, int64(rows), dataEnd))
	if err != nil {
		t.Fatal(err)
	}
	return res.Files
}

// openWarehouse opens the warehouse folder dir on a plain local store.
func openWarehouse(t testing.TB, dir string) *pipeline.Warehouse {
	t.Helper()
	st, err := local.New(dir, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return pipeline.NewWarehouse(st, delta.Options{})
}

// facts is what the pipeline produced, in terms that do not depend on when
// it ran: every count the crash-free run is compared on.
type facts struct {
	Rows           map[string]int64 // per table
	BronzeBySource map[string]int64 // bronze rows per source (file base name)
	SilverIDs      uint64           // sum of FNV-64a of the silver event_ids: the set, in any order
	SilverByName   map[string]int64 // silver rows per event_name
	Quarantine     map[string]int64 // quarantine rows per reason
	FactRevenue    map[string]int64 // gold_fact_purchases revenue per currency, in cents
	Funnel         map[string][5]int64
	RevenueDaily   map[string][3]int64 // "date currency" → orders, units, revenue cents
}

// readWarehouse loads every pipeline table that exists, scans every column
// of every row (so every data file must be readable), and returns the facts
// and the table versions.
func readWarehouse(ctx context.Context, wh *pipeline.Warehouse) (facts, map[string]int64, error) {
	f := facts{Rows: map[string]int64{}, BronzeBySource: map[string]int64{}, SilverByName: map[string]int64{},
		Quarantine: map[string]int64{}, FactRevenue: map[string]int64{}, Funnel: map[string][5]int64{},
		RevenueDaily: map[string][3]int64{}}
	versions := map[string]int64{}
	for _, def := range pipeline.Tables {
		snap, err := wh.Snapshot(ctx, def.Name)
		if err != nil {
			return f, versions, fmt.Errorf("load %s: %w", def.Name, err)
		}
		if snap == nil {
			continue
		}
		versions[def.Name] = snap.Version()
		var stated int64
		for _, a := range snap.Files() {
			n, _ := a.NumRecords()
			stated += n
		}
		sc, err := snap.Scan(delta.ScanOptions{})
		if err != nil {
			return f, versions, fmt.Errorf("scan %s: %w", def.Name, err)
		}
		var rows int64
		err = sc.Each(ctx, func(b *column.Batch) error {
			rows += int64(b.Len())
			for r := 0; r < b.Len(); r++ {
				f.addRow(def.Name, b, r)
			}
			return nil
		})
		if err != nil {
			return f, versions, fmt.Errorf("scan %s at version %d: %w", def.Name, snap.Version(), err)
		}
		if rows != stated {
			return f, versions, fmt.Errorf("table %s at version %d: scanned %d rows, the log's stats say %d", def.Name, snap.Version(), rows, stated)
		}
		f.Rows[def.Name] = rows
	}
	return f, versions, nil
}

func (f *facts) addRow(table string, b *column.Batch, r int) {
	str := func(name string) string {
		v := b.Col(name)
		if v.IsNull(r) {
			return "<null>"
		}
		return v.Str(r)
	}
	num := func(name string) int64 {
		v := b.Col(name)
		if v.IsNull(r) {
			return 0
		}
		return v.Ints[r]
	}
	date := func() string { return column.FormatDate(num("event_date")) }
	switch table {
	case pipeline.Bronze:
		f.BronzeBySource[filepath.Base(str("source"))]++
	case pipeline.Silver:
		h := fnv.New64a()
		h.Write([]byte(str("event_id")))
		f.SilverIDs += h.Sum64()
		f.SilverByName[str("event_name")]++
	case pipeline.Quarantine:
		f.Quarantine[str("reason")]++
	case pipeline.FactPurchases:
		f.FactRevenue[str("currency")] += num("revenue")
	case pipeline.FunnelDaily:
		f.Funnel[date()] = [5]int64{num("sessions_with_page_view"), num("sessions_with_product_view"),
			num("sessions_with_add_to_cart"), num("sessions_with_checkout"), num("sessions_with_purchase")}
	case pipeline.RevenueDaily:
		f.RevenueDaily[date()+" "+str("currency")] = [3]int64{num("orders"), num("units"), num("revenue")}
	}
}

// mustFacts reads the warehouse folder dir, failing the test on any error.
func mustFacts(t testing.TB, dir string) facts {
	t.Helper()
	f, _, err := readWarehouse(context.Background(), openWarehouse(t, dir))
	if err != nil {
		t.Fatalf("warehouse %s: %v", dir, err)
	}
	return f
}

// checkInProcess runs `lakehouse check` (every gold day) on wh and returns
// an error describing the failed checks.
func checkInProcess(ctx context.Context, wh *pipeline.Warehouse) error {
	r, err := check.Run(ctx, wh, check.Options{SampleDays: 0, Seed: 1})
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if !r.OK() {
		var b strings.Builder
		for _, it := range r.Items {
			if !it.OK {
				fmt.Fprintf(&b, "FAIL %s: %s; ", it.Name, it.Detail)
			}
		}
		return errors.New("check failed: " + b.String())
	}
	return nil
}

// envInt reads a positive integer from the environment, or def.
func envInt(t testing.TB, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a non-negative integer", name, s)
	}
	return n
}
