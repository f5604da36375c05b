package job

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMain(m *testing.M) {
	if db := os.Getenv("JOB_TEST_CHILD_DB"); db != "" {
		os.Exit(crashChild(db, os.Getenv("JOB_TEST_CHILD_MARKER")))
	}
	os.Exit(m.Run())
}

const crashJob = `{"name": "crashy", "tasks": [
	{"task_key": "a", "notebook_task": {"notebook_path": "/x/01_a"}},
	{"task_key": "b", "depends_on": [{"task_key": "a"}], "notebook_task": {"notebook_path": "/x/02_b"}},
	{"task_key": "c", "depends_on": [{"task_key": "b"}], "notebook_task": {"notebook_path": "/x/03_c"}}]}`

// crashChild runs crashJob in a child process whose task b blocks until the
// parent kills the process.
func crashChild(db, marker string) int {
	ctx := context.Background()
	st, err := OpenSQLite(ctx, db)
	if err != nil {
		return 2
	}
	reg := Registry{
		"a": func(ctx context.Context, p map[string]string) (Metrics, error) { return Metrics{"rows": 1}, nil },
		"b": func(ctx context.Context, p map[string]string) (Metrics, error) {
			if err := os.WriteFile(marker, []byte("started"), 0o644); err != nil {
				return nil, err
			}
			<-ctx.Done()
			return nil, ctx.Err()
		},
		"c": func(ctx context.Context, p map[string]string) (Metrics, error) { return nil, nil },
	}
	def, err := Parse([]byte(crashJob))
	if err != nil {
		return 2
	}
	svc := NewService(st, reg, Config{HeartbeatInterval: 20 * time.Millisecond})
	svc.RunJob(ctx, def, map[string]string{"rows": "7"}, RunOptions{})
	return 0
}

// TestRunnerKilled kills a runner with SIGKILL in the middle of a task and
// checks that the history reports the run as failed ("runner died") and that
// Repair completes it without redoing what succeeded.
func TestRunnerKilled(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("process liveness checks are Unix-only; Windows relies on heartbeats")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "jobs.db")
	marker := filepath.Join(dir, "b-started")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "JOB_TEST_CHILD_DB="+db, "JOB_TEST_CHILD_MARKER="+marker)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "task b to start in the child", func() bool {
		_, err := os.Stat(marker)
		return err == nil
	})
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup runs
		t.Fatal(err)
	}

	c := newCalls()
	reg := Registry{"a": okTask(c, "a"), "b": okTask(c, "b"), "c": okTask(c, "c")}
	st, err := OpenSQLite(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := NewService(st, reg, Config{HeartbeatInterval: -1})
	ctx := context.Background()
	if runtime.GOOS == "linux" {
		// Killed but not yet reaped, the child is a zombie: still dead.
		waitFor(t, "the unreaped runner to be reported dead", func() bool {
			r, err := svc.GetRun(ctx, 1)
			return err == nil && r.RunnerDied
		})
	}
	cmd.Wait()

	run, err := svc.GetRun(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !run.RunnerDied || run.State != StateFailed || !strings.HasPrefix(run.StateMessage, "runner died: process ") {
		t.Fatalf("run: died=%v state=%s message=%q", run.RunnerDied, run.State, run.StateMessage)
	}
	want := map[string]State{"a": StateSuccess, "b": StateFailed, "c": StateCanceled}
	if diff := cmp.Diff(want, taskStates(run)); diff != "" {
		t.Fatalf("task states after the kill (-want +got):\n%s", diff)
	}
	if got := run.Task("b").StateMessage; got != "runner died while the task ran" {
		t.Fatalf("task b message %q", got)
	}
	runs, err := svc.ListRuns(ctx, RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].State != StateFailed || !runs[0].RunnerDied {
		t.Fatalf("ListRuns = %+v", runs)
	}

	repaired, err := svc.Repair(ctx, 1, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if repaired.State != StateSuccess || repaired.RunnerDied {
		t.Fatalf("repaired run %s died=%v", repaired.State, repaired.RunnerDied)
	}
	gotCalls := map[string]int{"a": c.count("a"), "b": c.count("b"), "c": c.count("c")}
	if diff := cmp.Diff(map[string]int{"a": 0, "b": 1, "c": 1}, gotCalls); diff != "" {
		t.Fatalf("calls in the repair (-want +got):\n%s", diff)
	}
	if got := c.params["b"]["rows"]; got != "7" {
		t.Fatalf("repair ran b with rows=%q, want the original 7", got)
	}
	b := repaired.Task("b")
	if len(b.History) != 2 || b.History[0].Attempts[0].Error != "runner died during the attempt" {
		t.Fatalf("task b history %+v", b.History)
	}
	if got := repaired.Repairs[0].State; got != StateFailed {
		t.Fatalf("the original pass is recorded %s, want FAILED", got)
	}
}

func TestRunnerAlive(t *testing.T) {
	me := Runner{Host: "h1", PID: 100, Start: "555"}
	now := t0
	tests := []struct {
		name string
		r    Runner
		want bool
	}{
		{name: "this process", r: Runner{Host: "h1", PID: 100, Start: "555"}, want: true},
		{name: "this PID, other process start", r: Runner{Host: "h1", PID: 100, Start: "111"}, want: false},
		{name: "no PID", r: Runner{}, want: false},
		{name: "other host, fresh heartbeat", r: Runner{Host: "h2", PID: 7, Heartbeat: now.Add(-10 * time.Second)}, want: true},
		{name: "other host, stale heartbeat", r: Runner{Host: "h2", PID: 7, Heartbeat: now.Add(-2 * time.Minute)}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runnerAlive(tt.r, me, now, time.Minute); got != tt.want {
				t.Fatalf("runnerAlive = %v, want %v", got, tt.want)
			}
		})
	}
	if runtime.GOOS != "windows" {
		real := self()
		if !runnerAlive(real, Runner{Host: real.Host, PID: -1}, now, time.Minute) {
			t.Fatal("a live process on this host is reported dead")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		gone := Runner{Host: real.Host, PID: cmd.ProcessState.Pid()}
		if runnerAlive(gone, real, now, time.Minute) {
			t.Fatal("an exited process is reported alive")
		}
	}
}

func TestHistorySurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jobs.db")
	ctx := context.Background()
	c := newCalls()
	reg := Registry{"a": okTask(c, "a"), "b": failTask(c, "b", 1)}
	def := mustParse(t, jobJSON("j", "", nbTask("a", nil, ""), nbTask("b", []string{"a"}, `"max_retries": 1`)))

	st, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService(st, reg, Config{Clock: newFakeClock(t0), HeartbeatInterval: -1})
	var ids []int64
	var last *Run
	for range 3 {
		id, run, err := svc.RunJob(ctx, def, map[string]string{"k": "v"}, RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		last = run
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st2, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	svc2 := NewService(st2, reg, Config{Clock: newFakeClock(t0), HeartbeatInterval: -1})
	got, err := svc2.GetRun(ctx, ids[2])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(last, got); diff != "" {
		t.Fatalf("run after reopen (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{1, 2, 3}, ids); diff != "" {
		t.Fatalf("run ids (-want +got):\n%s", diff)
	}
	first, err := svc2.GetRun(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]State{StateFailed, StateSuccess}, attemptStates(first, "b", 0)); diff != "" {
		t.Fatalf("attempts of b in the first run (-want +got):\n%s", diff)
	}
	v, err := st2.SchemaVersion(ctx)
	if err != nil || v != len(migrations) {
		t.Fatalf("schema version %d, %v; want %d", v, err, len(migrations))
	}
}

func TestListRuns(t *testing.T) {
	ctx := context.Background()
	c := newCalls()
	svc, _ := newTestService(t, Registry{"a": okTask(c, "a"), "b": failTask(c, "b", 100)}, Config{Clock: newFakeClock(t0)})
	one := mustParse(t, jobJSON("one", "", nbTask("a", nil, "")))
	two := mustParse(t, jobJSON("two", "", nbTask("b", nil, "")))
	for _, def := range []*Job{one, two, one} {
		svc.RunJob(ctx, def, nil, RunOptions{})
	}
	tests := []struct {
		name string
		f    RunFilter
		want []string
	}{
		{name: "all, newest first", f: RunFilter{}, want: []string{"3 one SUCCESS", "2 two FAILED", "1 one SUCCESS"}},
		{name: "by job", f: RunFilter{JobName: "one"}, want: []string{"3 one SUCCESS", "1 one SUCCESS"}},
		{name: "by state", f: RunFilter{States: []State{StateFailed}}, want: []string{"2 two FAILED"}},
		{name: "limit", f: RunFilter{Limit: 1}, want: []string{"3 one SUCCESS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs, err := svc.ListRuns(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range runs {
				got = append(got, strconv.FormatInt(r.ID, 10)+" "+r.JobName+" "+string(r.State))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("runs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jobs.db")
	ctx := context.Background()
	st, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.db.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (99, 0)`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	_, err = OpenSQLite(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "schema version 99 is newer than this program knows (1); upgrade lakehouse") {
		t.Fatalf("error %v", err)
	}
}

func TestGetRunNotFound(t *testing.T) {
	svc, _ := newTestService(t, Registry{}, Config{})
	if _, err := svc.GetRun(context.Background(), 42); !errors.Is(err, ErrRunNotFound) {
		t.Fatalf("error %v, want ErrRunNotFound", err)
	}
}
