package reliability

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/bronze"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/gold"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/silver"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/faultstore"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/local"
)

// faultStage is one stage of the pipeline, called in process with the
// options internal/app gives it (app/tasks.go, app/ingest.go).
type faultStage struct {
	name string
	run  func(ctx context.Context, wh *pipeline.Warehouse) error
}

func faultStages(data string) []faultStage {
	const workers = 2 // as on the 2-core CI machine: concurrent writers and readers
	return []faultStage{
		{"ingest", func(ctx context.Context, wh *pipeline.Warehouse) error {
			_, err := bronze.Ingest(ctx, wh, []string{data}, bronze.IngestOptions{Workers: workers, Now: time.Now})
			return err
		}},
		{"bronze_to_silver", func(ctx context.Context, wh *pipeline.Warehouse) error {
			_, err := silver.Run(ctx, wh, silver.Options{Workers: workers})
			return err
		}},
		{"silver_to_gold", func(ctx context.Context, wh *pipeline.Warehouse) error {
			_, err := gold.Run(ctx, wh, gold.Options{Workers: workers})
			return err
		}},
	}
}

// fault is one kind of storage fault; the sweep fires it on the Nth
// matching operation for N over the range the healthy stage performs.
type fault struct {
	name   string
	ops    []faultstore.Op // nil: every operation
	action faultstore.Action
	err    error // what the rule returns (nil: faultstore.ErrInjected)
}

// cause is the error a failure must keep (errors.Is) so that the user sees
// what went wrong.
func (f fault) cause() error {
	switch {
	case f.action == faultstore.CrashBefore || f.action == faultstore.CrashAfter:
		return faultstore.ErrCrashed
	case f.err != nil:
		return f.err
	}
	return faultstore.ErrInjected
}

var (
	opsWrite  = []faultstore.Op{faultstore.OpWrite}
	opsClose  = []faultstore.Op{faultstore.OpClose}
	opsCommit = []faultstore.Op{faultstore.OpPutIfAbsent}
	enospc    = faultstore.ENOSPC("disk")
)

var faults = []fault{
	{name: "write-error", ops: opsWrite},
	{name: "short-write", ops: opsWrite, action: faultstore.ShortWrite},
	{name: "write-ENOSPC", ops: opsWrite, err: enospc},
	{name: "create-error", ops: []faultstore.Op{faultstore.OpCreate}},
	{name: "close-error", ops: opsClose},
	{name: "close-ENOSPC", ops: opsClose, err: enospc},
	{name: "close-lost-reply", ops: opsClose, action: faultstore.FailAfter},
	{name: "commit-error", ops: opsCommit},
	{name: "commit-ENOSPC", ops: opsCommit, err: enospc},
	{name: "commit-lost-reply", ops: opsCommit, action: faultstore.FailAfter},
	{name: "put-error", ops: []faultstore.Op{faultstore.OpPut}},
	{name: "list-error", ops: []faultstore.Op{faultstore.OpList}},
	{name: "get-error", ops: []faultstore.Op{faultstore.OpGet}},
	{name: "stat-error", ops: []faultstore.Op{faultstore.OpStat}},
	{name: "open-error", ops: []faultstore.Op{faultstore.OpOpen}},
	{name: "read-at-error", ops: []faultstore.Op{faultstore.OpReadAt}},
	{name: "delete-error", ops: []faultstore.Op{faultstore.OpDelete}},
	{name: "crash-after", action: faultstore.CrashAfter},
	{name: "crash-before", action: faultstore.CrashBefore},
}

// sweepPoints picks the N to try among 1..count: all of them when full,
// otherwise the first, the last and evenly spread ones between, points in
// all.
func sweepPoints(count, points int, full bool) []int {
	if full || count <= points {
		out := make([]int, count)
		for i := range out {
			out[i] = i + 1
		}
		return out
	}
	out := make([]int, 0, points)
	for i := range points {
		n := 1 + i*(count-1)/(points-1)
		if len(out) == 0 || out[len(out)-1] != n {
			out = append(out, n)
		}
	}
	return out
}

// copyDir copies the warehouse folder src to a new folder and returns it.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "wh")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func localStore(t *testing.T, dir string) storage.Store {
	t.Helper()
	st, err := local.New(dir, local.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// runStage runs a stage, turning a panic of the calling goroutine into a
// test failure that names it.
func runStage(ctx context.Context, st faultStage, wh *pipeline.Warehouse) (panicked any, err error) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return nil, st.run(ctx, wh)
}

// TestStorageFaults runs each stage on a store that fails its Nth
// operation of a kind (every kind of faults, N swept over what the healthy
// stage does), as the product runs it and writing a checkpoint after every
// commit. Each failure must be an error keeping its cause, never a
// panic; every table must then load at its version before the stage or
// after it (row counts either the old or the new ones, nothing between);
// and rerunning the stage and the rest of the pipeline on a healthy store
// must give exactly the fault-free result and pass `lakehouse check`.
//
// LAKEHOUSE_FAULT_SWEEP=full tries every N instead of a spread of them.
func TestStorageFaults(t *testing.T) {
	ctx := context.Background()
	full := os.Getenv("LAKEHOUSE_FAULT_SWEEP") == "full"
	points := envInt(t, "LAKEHOUSE_FAULT_POINTS", 4)
	data := filepath.Join(t.TempDir(), "data")
	generateFilesInProcess(t, data, 1500, 2, 7)
	stages := faultStages(data)

	// The healthy pipeline: the warehouse before each stage, the row
	// counts before and after it, and the operations it performs.
	states := make([]string, len(stages)+1)
	states[0] = filepath.Join(t.TempDir(), "empty")
	if err := os.Mkdir(states[0], 0o777); err != nil {
		t.Fatal(err)
	}
	rows := make([]map[string]int64, len(stages)+1)
	rows[0] = map[string]int64{}
	logs := make([][]faultstore.Record, len(stages))
	for i, st := range stages {
		states[i+1] = copyDir(t, states[i])
		fst := faultstore.New(localStore(t, states[i+1]))
		if err := st.run(ctx, pipeline.NewWarehouse(fst, delta.Options{})); err != nil {
			t.Fatalf("healthy %s: %v", st.name, err)
		}
		logs[i] = fst.Log()
		f, _, err := readWarehouse(ctx, pipeline.NewWarehouse(localStore(t, states[i+1]), delta.Options{}))
		if err != nil {
			t.Fatalf("after healthy %s: %v", st.name, err)
		}
		rows[i+1] = f.Rows
	}
	want, _, err := readWarehouse(ctx, pipeline.NewWarehouse(localStore(t, states[len(stages)]), delta.Options{}))
	if err != nil {
		t.Fatal(err)
	}

	// Each stage runs as the product runs it, and again writing a
	// checkpoint after every commit (delta.Options.CheckpointInterval), so
	// that faults also hit checkpoint files and _last_checkpoint.
	variants := []struct {
		name   string
		opts   delta.Options
		faults []string // nil: all
	}{
		{"", delta.Options{}, nil},
		{"checkpoint-every-commit/", delta.Options{CheckpointInterval: 1},
			// What writing and reading checkpoints adds to the operations.
			[]string{"put-error", "get-error", "list-error", "open-error", "read-at-error", "crash-after", "crash-before"}},
	}
	var tried, failed, absorbed int
	for _, v := range variants {
		for i, st := range stages {
			ops := logs[i]
			if v.name != "" {
				fst := faultstore.New(localStore(t, copyDir(t, states[i])))
				if err := st.run(ctx, pipeline.NewWarehouse(fst, v.opts)); err != nil {
					t.Fatalf("healthy %s%s: %v", v.name, st.name, err)
				}
				ops = fst.Log()
			}
			for _, ft := range faults {
				if v.faults != nil && !slices.Contains(v.faults, ft.name) {
					continue
				}
				count := 0
				for _, r := range ops {
					if len(ft.ops) == 0 || slices.Contains(ft.ops, r.Op) {
						count++
					}
				}
				if count == 0 {
					t.Logf("%s%s/%s: the stage performs no such operation", v.name, st.name, ft.name)
					continue
				}
				t.Run(v.name+st.name+"/"+ft.name, func(t *testing.T) {
					ns := sweepPoints(count, points, full)
					for _, n := range ns {
						outcome := faultTrial(t, stages, i, states[i], rows[i], rows[i+1], ft, n, v.opts, want)
						tried++
						switch outcome {
						case "failed":
							failed++
						case "absorbed":
							absorbed++
						}
					}
					t.Logf("%d matching operations; fired on N = %v", count, ns)
				})
			}
		}
	}
	t.Logf("%d fault trials: %d surfaced as an error keeping its cause, %d were absorbed with a correct result, %d fired nothing",
		tried, failed, absorbed, tried-failed-absorbed)
	if tried > 0 && failed+absorbed == 0 {
		t.Errorf("no injected fault fired in %d trials: the sweep only reran healthy stages", tried)
	}
}

// faultTrial runs stage i on a copy of the warehouse state before it with
// the fault on the nth matching operation, checks what it left, then
// finishes the pipeline on a healthy store and compares with want. It
// returns "failed" when the stage returned an error, "absorbed" when the
// fault fired but the stage succeeded, "" when it did not fire.
func faultTrial(t *testing.T, stages []faultStage, i int, state string, before, after map[string]int64,
	ft fault, n int, opts delta.Options, want facts) string {
	t.Helper()
	ctx := context.Background()
	st := stages[i]
	dir := copyDir(t, state)
	fst := faultstore.New(localStore(t, dir))
	if err := fst.Inject(faultstore.Rule{Ops: ft.ops, Nth: n, Action: ft.action, Err: ft.err}); err != nil {
		t.Fatal(err)
	}
	panicked, err := runStage(ctx, st, pipeline.NewWarehouse(fst, opts))
	if panicked != nil {
		t.Fatalf("%s with %s on op %d: panic: %v", st.name, ft.name, n, panicked)
	}
	log := fst.Log()
	firedAt := slices.IndexFunc(log, func(r faultstore.Record) bool {
		return r.Outcome == faultstore.Injected || r.Outcome == faultstore.InjectedAfter || r.Outcome == faultstore.Crashed
	})
	fired := firedAt >= 0
	outcome := ""
	switch {
	case err != nil:
		outcome = "failed"
		// The message must say what failed, and the chain keep it for
		// callers (errors.Is: a full disk stays syscall.ENOSPC).
		if !strings.Contains(err.Error(), ft.cause().Error()) {
			t.Errorf("%s with %s on op %d: the error does not name its cause %q: %v", st.name, ft.name, n, ft.cause(), err)
		}
		if !errors.Is(err, ft.cause()) {
			t.Errorf("%s with %s on op %d: errors.Is(err, %q) = false: %v", st.name, ft.name, n, ft.cause(), err)
		}
	case fired:
		outcome = "absorbed"
		t.Logf("%s with %s on op %d: absorbed (first failed operation: %v), the stage succeeded", st.name, ft.name, n, log[firedAt])
	}

	// Every table loads at its old or its new rows, nothing between.
	healthy := pipeline.NewWarehouse(localStore(t, dir), delta.Options{})
	got, _, rerr := readWarehouse(ctx, healthy)
	if rerr != nil {
		t.Fatalf("%s with %s on op %d (stage error: %v): a table does not load: %v", st.name, ft.name, n, err, rerr)
	}
	for _, def := range pipeline.Tables {
		g, ok := got.Rows[def.Name]
		if !ok {
			continue // not created yet: it was not before either, or creation failed
		}
		if g != before[def.Name] && g != after[def.Name] {
			t.Errorf("%s with %s on op %d (stage error: %v): %s holds %d rows, want %d (before the stage) or %d (after it)",
				st.name, ft.name, n, err, def.Name, g, before[def.Name], after[def.Name])
		}
	}
	if err == nil {
		if diff := cmp.Diff(after, got.Rows); diff != "" {
			t.Errorf("%s with %s on op %d succeeded but its rows differ from a healthy run (-want +got):\n%s", st.name, ft.name, n, diff)
		}
	}

	// A retry on a healthy store finishes the work exactly once.
	for _, s := range stages[i:] {
		if err := s.run(ctx, healthy); err != nil {
			t.Fatalf("%s with %s on op %d: retry of %s on a healthy store: %v", st.name, ft.name, n, s.name, err)
		}
	}
	final, _, rerr := readWarehouse(ctx, healthy)
	if rerr != nil {
		t.Fatalf("%s with %s on op %d: after the retry: %v", st.name, ft.name, n, rerr)
	}
	if diff := cmp.Diff(want, final); diff != "" {
		t.Errorf("%s with %s on op %d: after the retry the facts differ from a fault-free run (-want +got):\n%s", st.name, ft.name, n, diff)
	}
	if err := checkInProcess(ctx, healthy); err != nil {
		t.Errorf("%s with %s on op %d: after the retry: %v", st.name, ft.name, n, err)
	}
	return outcome
}
