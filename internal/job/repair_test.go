package job

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRepairRerunsFailedAndDownstream: a -> b -> c, d independent, and e
// after a. b fails once, so c is UPSTREAM_FAILED; the repair reruns b and c
// only, in the same run, and the history shows both passes.
func TestRepairRerunsFailedAndDownstream(t *testing.T) {
	c := newCalls()
	reg := Registry{"a": okTask(c, "a"), "b": failTask(c, "b", 1), "c": okTask(c, "c"), "d": okTask(c, "d"), "e": okTask(c, "e")}
	svc, _ := newTestService(t, reg, Config{Clock: newFakeClock(t0)})
	def := mustParse(t, jobJSON("j", "", nbTask("a", nil, ""), nbTask("b", []string{"a"}, ""), nbTask("c", []string{"b"}, ""),
		nbTask("d", nil, ""), nbTask("e", []string{"a"}, "")))
	ctx := context.Background()

	id, run, err := svc.RunJob(ctx, def, map[string]string{"rows": "5"}, RunOptions{})
	if !errors.Is(err, ErrRunFailed) {
		t.Fatalf("first pass: error %v, want ErrRunFailed", err)
	}
	want := map[string]State{"a": StateSuccess, "b": StateFailed, "c": StateUpstreamFailed, "d": StateSuccess, "e": StateSuccess}
	if diff := cmp.Diff(want, taskStates(run)); diff != "" {
		t.Fatalf("first pass states (-want +got):\n%s", diff)
	}

	var events []string
	repaired, err := svc.Repair(ctx, id, RunOptions{OnEvent: func(e Event) { events = append(events, e.String()) }})
	if err != nil {
		t.Fatal(err)
	}
	if repaired.ID != id || repaired.State != StateSuccess {
		t.Fatalf("repaired run %d %s, want %d SUCCESS", repaired.ID, repaired.State, id)
	}
	gotCalls := map[string]int{"a": c.count("a"), "b": c.count("b"), "c": c.count("c"), "d": c.count("d"), "e": c.count("e")}
	if diff := cmp.Diff(map[string]int{"a": 1, "b": 2, "c": 1, "d": 1, "e": 1}, gotCalls); diff != "" {
		t.Fatalf("calls per task (-want +got):\n%s", diff)
	}
	if got := c.params["b"]["rows"]; got != "5" {
		t.Fatalf("the repair ran b with rows=%q, want the run's 5", got)
	}

	// History: repair 1 is recorded, with the tasks it reran.
	stored, err := svc.GetRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var reps []string
	for _, r := range stored.Repairs {
		reps = append(reps, string(r.Trigger)+" "+string(r.State)+" "+joinKeys(r.Rerun))
	}
	wantReps := []string{"manual FAILED a, b, c, d, e", "repair SUCCESS b, c"}
	if diff := cmp.Diff(wantReps, reps); diff != "" {
		t.Fatalf("repairs (-want +got):\n%s", diff)
	}
	type pass struct {
		Repair   int
		State    State
		Attempts []State
	}
	passes := func(key string) []pass {
		var out []pass
		for _, p := range stored.Task(key).History {
			var as []State
			for _, a := range p.Attempts {
				as = append(as, a.State)
			}
			out = append(out, pass{p.RepairID, p.State, as})
		}
		return out
	}
	wantPasses := map[string][]pass{
		"a": {{0, StateSuccess, []State{StateSuccess}}},
		"b": {{0, StateFailed, []State{StateFailed}}, {1, StateSuccess, []State{StateSuccess}}},
		"c": {{0, StateUpstreamFailed, nil}, {1, StateSuccess, []State{StateSuccess}}},
		"d": {{0, StateSuccess, []State{StateSuccess}}},
		"e": {{0, StateSuccess, []State{StateSuccess}}},
	}
	for key, w := range wantPasses {
		if diff := cmp.Diff(w, passes(key)); diff != "" {
			t.Errorf("task %s passes (-want +got):\n%s", key, diff)
		}
	}
	wantEvents := []string{
		"repair 1 of run 1 of j started: rerunning b, c",
		"task b started",
		"task b succeeded in 0s",
		"task c started",
		"task c succeeded in 0s",
		"repair 1 of run 1 of j ended SUCCESS in 0s",
	}
	if diff := cmp.Diff(wantEvents, events); diff != "" {
		t.Errorf("repair events (-want +got):\n%s", diff)
	}

	// Nothing left to repair.
	if _, err := svc.Repair(ctx, id, RunOptions{}); !errors.Is(err, ErrNothingToRepair) {
		t.Fatalf("second repair: error %v, want ErrNothingToRepair", err)
	}
}

func TestRepairErrors(t *testing.T) {
	c := newCalls()
	svc, _ := newTestService(t, Registry{"a": okTask(c, "a")}, Config{Clock: newFakeClock(t0)})
	ctx := context.Background()
	id, _, err := svc.RunJob(ctx, mustParse(t, jobJSON("j", "", nbTask("a", nil, ""))), nil, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   int64
		want error
		text string
	}{
		{name: "successful run", id: id, want: ErrNothingToRepair,
			text: "repair run 1: nothing to repair: it ended SUCCESS and no task failed, timed out, was canceled or skipped"},
		{name: "unknown run", id: 99, want: ErrRunNotFound, text: "run 99: run not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.Repair(ctx, tt.id, RunOptions{})
			if !errors.Is(err, tt.want) || err.Error() != tt.text {
				t.Fatalf("error %q, want %q (%v)", err, tt.text, tt.want)
			}
		})
	}
}

// TestRepairCanceledRun: a repair reruns the canceled task and the one never
// started, and leaves the success alone.
func TestRepairCanceledRun(t *testing.T) {
	c := newCalls()
	started := make(chan string, 1)
	block := true
	slow := func(ctx context.Context, p map[string]string) (Metrics, error) {
		c.record("slow", p)
		if block {
			started <- "slow"
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return nil, nil
	}
	reg := Registry{"first": okTask(c, "first"), "slow": slow, "last": okTask(c, "last")}
	svc, _ := newTestService(t, reg, Config{Clock: newFakeClock(t0)})
	def := mustParse(t, jobJSON("j", "", nbTask("first", nil, ""), nbTask("slow", []string{"first"}, ""), nbTask("last", []string{"slow"}, "")))
	ctx, cancel := context.WithCancel(context.Background())
	done := runAsync(ctx, svc, def, nil, RunOptions{})
	<-started
	cancel()
	r := wait(t, done)
	if !errors.Is(r.err, ErrRunCanceled) {
		t.Fatalf("error %v", r.err)
	}
	block = false
	repaired, err := svc.Repair(context.Background(), r.id, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]State{"first": StateSuccess, "slow": StateSuccess, "last": StateSuccess}
	if diff := cmp.Diff(want, taskStates(repaired)); diff != "" {
		t.Fatalf("states (-want +got):\n%s", diff)
	}
	if got := c.count("first"); got != 1 {
		t.Fatalf("first ran %d times, want 1", got)
	}
	if diff := cmp.Diff([]string{"slow", "last"}, repaired.Repairs[1].Rerun); diff != "" {
		t.Fatalf("rerun (-want +got):\n%s", diff)
	}
}

// TestRunKeySharedByRetriesAndRepairs: every attempt of every pass of one run
// sees the same RunKey, so tasks can make their writes idempotent.
func TestRunKeySharedByRetriesAndRepairs(t *testing.T) {
	var mu sync.Mutex
	var keys []string
	n := 0
	task := func(ctx context.Context, p map[string]string) (Metrics, error) {
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, RunKey(ctx))
		n++
		if n <= 2 {
			return nil, errors.New("fails in the run and its retry")
		}
		return nil, nil
	}
	svc, _ := newTestService(t, Registry{"t": task}, Config{Clock: newFakeClock(t0)})
	def := mustParse(t, jobJSON("j", "", nbTask("t", nil, `"max_retries": 1`)))
	ctx := context.Background()
	id, _, err := svc.RunJob(ctx, def, nil, RunOptions{})
	if !errors.Is(err, ErrRunFailed) {
		t.Fatalf("error %v", err)
	}
	if _, err := svc.Repair(ctx, id, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"run-1", "run-1", "run-1"}, keys); diff != "" {
		t.Fatalf("run keys (-want +got):\n%s", diff)
	}
	if got := RunKey(ctx); got != "" {
		t.Fatalf("RunKey outside a run = %q", got)
	}
}
