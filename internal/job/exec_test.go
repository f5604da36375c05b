package job

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func defaultRegistry(c *calls) Registry {
	return Registry{
		"generate_bronze":  okTask(c, "generate_bronze"),
		"bronze_to_silver": okTask(c, "bronze_to_silver"),
		"silver_to_gold":   okTask(c, "silver_to_gold"),
	}
}

func TestDefaultJobRunsInOrderWithOverrides(t *testing.T) {
	c := newCalls()
	clk := newFakeClock(t0)
	svc, _ := newTestService(t, defaultRegistry(c), Config{Clock: clk})
	def, err := DefaultJob()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events []string
	opts := RunOptions{OnEvent: func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e.String())
	}}
	id, run, err := svc.RunJob(context.Background(), def, map[string]string{"rows": "50000"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"generate_bronze", "bronze_to_silver", "silver_to_gold"}, c.sequence()); diff != "" {
		t.Fatalf("call order (-want +got):\n%s", diff)
	}
	wantParams := map[string]map[string]string{
		"generate_bronze":  {"rows": "50000"},
		"bronze_to_silver": {"rows": "50000"},
		"silver_to_gold":   {"rows": "50000"},
	}
	if diff := cmp.Diff(wantParams, c.params); diff != "" {
		t.Fatalf("task parameters (-want +got):\n%s", diff)
	}
	if run.ID != id || run.State != StateSuccess || run.Trigger != TriggerManual {
		t.Fatalf("run %d state %s trigger %s, want %d SUCCESS manual", run.ID, run.State, run.Trigger, id)
	}
	if diff := cmp.Diff(map[string]string{"rows": "50000"}, run.Parameters); diff != "" {
		t.Fatalf("run parameters (-want +got):\n%s", diff)
	}
	wantStates := map[string]State{"generate_bronze": StateSuccess, "bronze_to_silver": StateSuccess, "silver_to_gold": StateSuccess}
	if diff := cmp.Diff(wantStates, taskStates(run)); diff != "" {
		t.Fatalf("task states (-want +got):\n%s", diff)
	}
	if got := run.Task("generate_bronze").History[0].Attempts[0].Metrics["rows_out"]; got != float64(10) {
		t.Fatalf("metrics rows_out = %v", got)
	}
	if got := run.Task("bronze_to_silver").DependsOn; !cmp.Equal(got, []string{"generate_bronze"}) {
		t.Fatalf("depends on %v", got)
	}
	wantEvents := []string{
		"run 1 of ecomm_lakehouse_daily started",
		"task generate_bronze started",
		"task generate_bronze succeeded in 0s",
		"task bronze_to_silver started",
		"task bronze_to_silver succeeded in 0s",
		"task silver_to_gold started",
		"task silver_to_gold succeeded in 0s",
		"run 1 of ecomm_lakehouse_daily ended SUCCESS in 0s",
	}
	if diff := cmp.Diff(wantEvents, events); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name         string
		failures     int
		taskSettings string
		wantAttempts []State
		wantState    State
	}{
		{
			name: "fails twice then succeeds", failures: 2, taskSettings: `"max_retries": 3`,
			wantAttempts: []State{StateFailed, StateFailed, StateSuccess}, wantState: StateSuccess,
		},
		{
			name: "retries exhausted", failures: 5, taskSettings: `"max_retries": 1`,
			wantAttempts: []State{StateFailed, StateFailed}, wantState: StateFailed,
		},
		{
			name: "no retries by default", failures: 1, taskSettings: ``,
			wantAttempts: []State{StateFailed}, wantState: StateFailed,
		},
		{
			name: "minus one retries until success", failures: 4, taskSettings: `"max_retries": -1`,
			wantAttempts: []State{StateFailed, StateFailed, StateFailed, StateFailed, StateSuccess}, wantState: StateSuccess,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCalls()
			svc, _ := newTestService(t, Registry{"flaky": failTask(c, "flaky", tt.failures)}, Config{Clock: newFakeClock(t0)})
			def := mustParse(t, jobJSON("j", "", nbTask("flaky", nil, tt.taskSettings)))
			_, run, err := svc.RunJob(context.Background(), def, nil, RunOptions{})
			if tt.wantState == StateSuccess && err != nil {
				t.Fatal(err)
			}
			if tt.wantState != StateSuccess && !errors.Is(err, ErrRunFailed) {
				t.Fatalf("error %v, want ErrRunFailed", err)
			}
			if diff := cmp.Diff(tt.wantAttempts, attemptStates(run, "flaky", 0)); diff != "" {
				t.Fatalf("attempts (-want +got):\n%s", diff)
			}
			if got := run.Task("flaky").State; got != tt.wantState {
				t.Fatalf("task state %s, want %s", got, tt.wantState)
			}
		})
	}
}

func TestRetryCap(t *testing.T) {
	c := newCalls()
	svc, _ := newTestService(t, Registry{"flaky": failTask(c, "flaky", 100)}, Config{Clock: newFakeClock(t0), RetryCap: 3})
	def := mustParse(t, jobJSON("j", "", nbTask("flaky", nil, `"max_retries": -1`)))
	_, _, err := svc.RunJob(context.Background(), def, nil, RunOptions{})
	if !errors.Is(err, ErrRunFailed) {
		t.Fatalf("error %v, want ErrRunFailed", err)
	}
	if got := c.count("flaky"); got != 4 {
		t.Fatalf("%d calls, want 4 (1 + RetryCap 3)", got)
	}
}

// TestRetryInterval checks that a retry starts min_retry_interval_millis
// after the start of the failed attempt, on the fake clock.
func TestRetryInterval(t *testing.T) {
	c := newCalls()
	clk := newFakeClock(t0)
	work := 2 * time.Second
	flaky := func(ctx context.Context, p map[string]string) (Metrics, error) {
		n := c.record("flaky", p)
		clk.Advance(work) // the attempt itself takes 2s
		if n <= 2 {
			return nil, errors.New("transient")
		}
		return nil, nil
	}
	svc, _ := newTestService(t, Registry{"flaky": flaky}, Config{Clock: clk})
	def := mustParse(t, jobJSON("j", "", nbTask("flaky", nil, `"max_retries": 2, "min_retry_interval_millis": 5000`)))
	done := runAsync(context.Background(), svc, def, nil, RunOptions{})

	// Attempt 1 starts at t0 and ends at t0+2s; the retry is due at t0+5s.
	waitTimer(t, clk, t0.Add(5*time.Second))
	if got := c.count("flaky"); got != 1 {
		t.Fatalf("%d calls before the interval elapsed, want 1", got)
	}
	clk.AdvanceTo(t0.Add(5 * time.Second))
	waitTimer(t, clk, t0.Add(10*time.Second))
	clk.AdvanceTo(t0.Add(10 * time.Second))
	r := wait(t, done)
	if r.err != nil {
		t.Fatal(r.err)
	}
	var starts []time.Duration
	for _, a := range r.run.Task("flaky").History[0].Attempts {
		starts = append(starts, a.StartTime.Sub(t0))
	}
	if diff := cmp.Diff([]time.Duration{0, 5 * time.Second, 10 * time.Second}, starts); diff != "" {
		t.Fatalf("attempt start offsets (-want +got):\n%s", diff)
	}
}

func TestTaskTimeout(t *testing.T) {
	tests := []struct {
		name         string
		settings     string
		wantAttempts []State
	}{
		{name: "no retry on timeout", settings: `"timeout_seconds": 10, "max_retries": 2`,
			wantAttempts: []State{StateTimedOut}},
		{name: "retry_on_timeout", settings: `"timeout_seconds": 10, "max_retries": 1, "retry_on_timeout": true`,
			wantAttempts: []State{StateTimedOut, StateTimedOut}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCalls()
			clk := newFakeClock(t0)
			reg := Registry{"slow": blockTask(c, "slow", nil), "after": okTask(c, "after")}
			svc, _ := newTestService(t, reg, Config{Clock: clk})
			def := mustParse(t, jobJSON("j", "", nbTask("slow", nil, tt.settings), nbTask("after", []string{"slow"}, "")))
			done := runAsync(context.Background(), svc, def, nil, RunOptions{})
			for i := range tt.wantAttempts {
				waitFor(t, "the next attempt", func() bool { return c.count("slow") == i+1 })
				deadline := clk.Now().Add(10 * time.Second)
				waitTimer(t, clk, deadline)
				clk.AdvanceTo(deadline)
			}
			r := wait(t, done)
			if !errors.Is(r.err, ErrRunFailed) {
				t.Fatalf("error %v, want ErrRunFailed", r.err)
			}
			if diff := cmp.Diff(tt.wantAttempts, attemptStates(r.run, "slow", 0)); diff != "" {
				t.Fatalf("attempts (-want +got):\n%s", diff)
			}
			want := map[string]State{"slow": StateTimedOut, "after": StateUpstreamFailed}
			if diff := cmp.Diff(want, taskStates(r.run)); diff != "" {
				t.Fatalf("task states (-want +got):\n%s", diff)
			}
			if got := r.run.Task("slow").History[0].Attempts[0].Error; got != "timed out after 10s" {
				t.Fatalf("attempt error %q", got)
			}
		})
	}
}

func TestJobTimeout(t *testing.T) {
	c := newCalls()
	clk := newFakeClock(t0)
	reg := Registry{"slow": blockTask(c, "slow", nil), "after": okTask(c, "after")}
	svc, _ := newTestService(t, reg, Config{Clock: clk})
	def := mustParse(t, jobJSON("j", `"timeout_seconds": 30`, nbTask("slow", nil, `"max_retries": 3`), nbTask("after", []string{"slow"}, "")))
	done := runAsync(context.Background(), svc, def, nil, RunOptions{})
	waitTimer(t, clk, t0.Add(30*time.Second))
	waitFor(t, "the task to start", func() bool { return c.count("slow") == 1 })
	clk.Advance(30 * time.Second)
	r := wait(t, done)
	if !errors.Is(r.err, ErrRunFailed) {
		t.Fatalf("error %v, want ErrRunFailed", r.err)
	}
	if r.run.State != StateTimedOut {
		t.Fatalf("run state %s, want TIMEDOUT", r.run.State)
	}
	want := map[string]State{"slow": StateTimedOut, "after": StateCanceled}
	if diff := cmp.Diff(want, taskStates(r.run)); diff != "" {
		t.Fatalf("task states (-want +got):\n%s", diff)
	}
	if got := c.count("slow"); got != 1 {
		t.Fatalf("%d attempts; a job timeout must not retry", got)
	}
	if got := r.run.StateMessage; got != "job timed out after 30s" {
		t.Fatalf("run message %q", got)
	}
}

func TestCancel(t *testing.T) {
	c := newCalls()
	started := make(chan string, 1)
	reg := Registry{"slow": blockTask(c, "slow", started), "other": okTask(c, "other"), "after": okTask(c, "after")}
	svc, _ := newTestService(t, reg, Config{Clock: newFakeClock(t0)})
	def := mustParse(t, jobJSON("j", "", nbTask("slow", nil, ""), nbTask("after", []string{"slow"}, "")))
	ctx, cancel := context.WithCancel(context.Background())
	done := runAsync(ctx, svc, def, nil, RunOptions{})
	<-started
	cancel()
	r := wait(t, done)
	if !errors.Is(r.err, ErrRunCanceled) {
		t.Fatalf("error %v, want ErrRunCanceled", r.err)
	}
	want := map[string]State{"slow": StateCanceled, "after": StateCanceled}
	if diff := cmp.Diff(want, taskStates(r.run)); diff != "" {
		t.Fatalf("task states (-want +got):\n%s", diff)
	}
	if r.run.State != StateCanceled {
		t.Fatalf("run state %s", r.run.State)
	}
	if got := r.run.Task("after").StateMessage; got != "not started: run canceled" {
		t.Fatalf("message of the task never started: %q", got)
	}
	// The history agrees with what RunJob returned.
	again, err := svc.GetRun(context.Background(), r.id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r.run, again); diff != "" {
		t.Fatalf("history differs from the returned run (-returned +stored):\n%s", diff)
	}
}

func TestCancelWhileWaitingToRetry(t *testing.T) {
	c := newCalls()
	clk := newFakeClock(t0)
	svc, _ := newTestService(t, Registry{"flaky": failTask(c, "flaky", 5)}, Config{Clock: clk})
	def := mustParse(t, jobJSON("j", "", nbTask("flaky", nil, `"max_retries": 3, "min_retry_interval_millis": 60000`)))
	ctx, cancel := context.WithCancel(context.Background())
	done := runAsync(ctx, svc, def, nil, RunOptions{})
	waitTimer(t, clk, t0.Add(time.Minute))
	cancel()
	r := wait(t, done)
	if got := r.run.Task("flaky"); got.State != StateCanceled || !strings.HasPrefix(got.StateMessage, "stopped while waiting to retry") {
		t.Fatalf("task %s %q", got.State, got.StateMessage)
	}
	if diff := cmp.Diff([]State{StateFailed}, attemptStates(r.run, "flaky", 0)); diff != "" {
		t.Fatalf("attempts (-want +got):\n%s", diff)
	}
}

func TestPanicBecomesFailure(t *testing.T) {
	c := newCalls()
	svc, _ := newTestService(t, Registry{"bad": panicTask(c, "bad")}, Config{Clock: newFakeClock(t0)})
	def := mustParse(t, jobJSON("j", "", nbTask("bad", nil, "")))
	_, run, err := svc.RunJob(context.Background(), def, nil, RunOptions{})
	if !errors.Is(err, ErrRunFailed) {
		t.Fatalf("error %v, want ErrRunFailed", err)
	}
	a := run.Task("bad").History[0].Attempts[0]
	if a.State != StateFailed || a.Error != "panic: boom in bad" {
		t.Fatalf("attempt %s %q", a.State, a.Error)
	}
	if want := "task bad FAILED: panic: boom in bad"; run.StateMessage != want {
		t.Fatalf("run message %q, want %q", run.StateMessage, want)
	}
}

func TestTaskIgnoringCancellationIsAbandoned(t *testing.T) {
	clk := newFakeClock(t0)
	release := make(chan struct{})
	defer close(release)
	stubborn := func(ctx context.Context, p map[string]string) (Metrics, error) {
		<-release // ignores ctx
		return nil, nil
	}
	svc, _ := newTestService(t, Registry{"stubborn": stubborn}, Config{Clock: clk, AbandonAfter: 20 * time.Millisecond})
	def := mustParse(t, jobJSON("j", "", nbTask("stubborn", nil, `"timeout_seconds": 5`)))
	done := runAsync(context.Background(), svc, def, nil, RunOptions{})
	waitTimer(t, clk, t0.Add(5*time.Second))
	clk.Advance(5 * time.Second)
	r := wait(t, done)
	if got := r.run.Task("stubborn").State; got != StateTimedOut {
		t.Fatalf("state %s, want TIMEDOUT", got)
	}
}

func TestMaxParallel(t *testing.T) {
	tests := []struct {
		name        string
		maxParallel int
		wantPeak    int32
	}{
		{name: "default runs independent tasks together", maxParallel: 0, wantPeak: 3},
		{name: "bounded to one", maxParallel: 1, wantPeak: 1},
		{name: "bounded to two", maxParallel: 2, wantPeak: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCalls()
			var k concurrency
			reg := Registry{"a": k.task(c, "a", tt.wantPeak), "b": k.task(c, "b", tt.wantPeak), "c": k.task(c, "c", tt.wantPeak), "d": okTask(c, "d")}
			svc, _ := newTestService(t, reg, Config{})
			def := mustParse(t, jobJSON("j", "", nbTask("a", nil, ""), nbTask("b", nil, ""), nbTask("c", nil, ""),
				nbTask("d", []string{"a", "b", "c"}, "")))
			_, _, err := svc.RunJob(context.Background(), def, nil, RunOptions{MaxParallel: tt.maxParallel})
			if err != nil {
				t.Fatal(err)
			}
			if got := k.peak.Load(); got != tt.wantPeak {
				t.Fatalf("peak concurrency %d, want %d", got, tt.wantPeak)
			}
			if seq := c.sequence(); seq[len(seq)-1] != "d" {
				t.Fatalf("d ran before its dependencies: %v", seq)
			}
		})
	}
}

// TestRunIfInRunner runs a DAG with failure handlers end to end.
func TestRunIfInRunner(t *testing.T) {
	c := newCalls()
	reg := Registry{"bad": failTask(c, "bad", 10), "good": okTask(c, "good"), "x": okTask(c, "x"),
		"cleanup": okTask(c, "cleanup"), "notify": okTask(c, "notify"), "any": okTask(c, "any"), "handler": okTask(c, "handler")}
	svc, _ := newTestService(t, reg, Config{Clock: newFakeClock(t0)})
	def := mustParse(t, jobJSON("j", "",
		nbTask("bad", nil, ""),
		nbTask("good", nil, ""),
		nbTask("x", []string{"bad"}, ""),                                           // ALL_SUCCESS: upstream failed
		nbTask("cleanup", []string{"x"}, `"run_if": "ALL_DONE"`),                   // runs regardless
		nbTask("any", []string{"bad", "good"}, `"run_if": "AT_LEAST_ONE_SUCCESS"`), // good succeeded
		nbTask("handler", []string{"good"}, `"run_if": "AT_LEAST_ONE_FAILED"`),     // excluded
		nbTask("notify", []string{"handler"}, ""),                                  // all deps excluded
	))
	_, run, err := svc.RunJob(context.Background(), def, nil, RunOptions{})
	if err != nil {
		t.Fatalf("leaves all succeeded or were excluded, yet: %v", err)
	}
	want := map[string]State{"bad": StateFailed, "good": StateSuccess, "x": StateUpstreamFailed, "cleanup": StateSuccess,
		"any": StateSuccess, "handler": StateExcluded, "notify": StateExcluded}
	if diff := cmp.Diff(want, taskStates(run)); diff != "" {
		t.Fatalf("task states (-want +got):\n%s", diff)
	}
	if run.State != StateSuccessWithFailures {
		t.Fatalf("run state %s, want SUCCESS_WITH_FAILURES", run.State)
	}
	if got := run.Task("x").StateMessage; got != "run_if ALL_SUCCESS not met (bad FAILED)" {
		t.Fatalf("message %q", got)
	}
}

func TestRunJobRejectsUnknownBuiltin(t *testing.T) {
	svc, _ := newTestService(t, Registry{"a": okTask(newCalls(), "a")}, Config{})
	def := mustParse(t, jobJSON("j", "", nbTask("zzz", nil, "")))
	if _, _, err := svc.RunJob(context.Background(), def, nil, RunOptions{}); !errors.Is(err, ErrInvalidJob) {
		t.Fatalf("error %v, want ErrInvalidJob", err)
	}
	runs, err := svc.ListRuns(context.Background(), RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 0 {
		t.Fatalf("an invalid job was recorded: %v", runs)
	}
}
