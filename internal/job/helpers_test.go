package job

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a Clock that moves only when a test advances it.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*fakeTimer
}

type fakeTimer struct {
	c  *fakeClock
	at time.Time
	ch chan time.Time
	fn func()
}

func newFakeClock(now time.Time) *fakeClock { return &fakeClock{now: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) add(d time.Duration, fn func()) *fakeTimer {
	c.mu.Lock()
	t := &fakeTimer{c: c, at: c.now.Add(d), ch: make(chan time.Time, 1), fn: fn}
	if d > 0 {
		c.waiters = append(c.waiters, t)
		c.mu.Unlock()
		return t
	}
	now := c.now
	c.mu.Unlock()
	t.fire(now)
	return t
}

func (c *fakeClock) NewTimer(d time.Duration) Timer { return c.add(d, nil) }

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer { return c.add(d, f) }

func (t *fakeTimer) fire(now time.Time) {
	if t.fn != nil {
		t.fn()
		return
	}
	select {
	case t.ch <- now:
	default:
	}
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	for i, w := range t.c.waiters {
		if w == t {
			t.c.waiters = slices.Delete(t.c.waiters, i, i+1)
			return true
		}
	}
	return false
}

// Advance moves the clock by d and fires every timer due by then, in order.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	var due, rest []*fakeTimer
	for _, w := range c.waiters {
		if !w.at.After(now) {
			due = append(due, w)
		} else {
			rest = append(rest, w)
		}
	}
	c.waiters = rest
	c.mu.Unlock()
	sort.SliceStable(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, w := range due {
		w.fire(now)
	}
}

// AdvanceTo moves the clock to t.
func (c *fakeClock) AdvanceTo(t time.Time) { c.Advance(t.Sub(c.Now())) }

func (c *fakeClock) hasWaiterAt(at time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.waiters {
		if w.at.Equal(at) {
			return true
		}
	}
	return false
}

// waitFor polls cond until it holds, failing the test after 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitTimer waits until some goroutine waits on the clock for instant at.
func waitTimer(t *testing.T, c *fakeClock, at time.Time) {
	t.Helper()
	waitFor(t, "a timer at "+at.String(), func() bool { return c.hasWaiterAt(at) })
}

var t0 = time.Date(2026, 3, 6, 17, 0, 0, 0, time.UTC)

// newTestService opens a history in a temporary directory.
func newTestService(t *testing.T, reg Registry, cfg Config) (*Service, *SQLiteStore) {
	t.Helper()
	st, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "_lakehouse", "jobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if cfg.HeartbeatInterval == 0 {
		cfg.HeartbeatInterval = -1
	}
	return NewService(st, reg, cfg), st
}

func mustParse(t *testing.T, js string) *Job {
	t.Helper()
	j, err := Parse([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// calls counts the calls of fake tasks and records their order and params.
type calls struct {
	mu     sync.Mutex
	order  []string
	params map[string]map[string]string
	n      map[string]int
}

func newCalls() *calls {
	return &calls{params: map[string]map[string]string{}, n: map[string]int{}}
}

func (c *calls) record(name string, p map[string]string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order = append(c.order, name)
	c.params[name] = p
	c.n[name]++
	return c.n[name]
}

func (c *calls) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[name]
}

func (c *calls) sequence() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.order)
}

// okTask succeeds with a rows_out metric.
func okTask(c *calls, name string) TaskFunc {
	return func(ctx context.Context, p map[string]string) (Metrics, error) {
		c.record(name, p)
		return Metrics{"rows_out": 10}, nil
	}
}

// failTask fails its first n calls, then succeeds.
func failTask(c *calls, name string, n int) TaskFunc {
	return func(ctx context.Context, p map[string]string) (Metrics, error) {
		if c.record(name, p) <= n {
			return nil, fmt.Errorf("%s: transient failure", name)
		}
		return Metrics{"ok": true}, nil
	}
}

// blockTask waits for ctx to end and returns its error.
func blockTask(c *calls, name string, started chan<- string) TaskFunc {
	return func(ctx context.Context, p map[string]string) (Metrics, error) {
		c.record(name, p)
		if started != nil {
			started <- name
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
}

// gateTask reports its start on started and returns when a token arrives on
// release (or ctx ends).
func gateTask(c *calls, name string, started chan<- string, release <-chan struct{}) TaskFunc {
	return func(ctx context.Context, p map[string]string) (Metrics, error) {
		c.record(name, p)
		started <- name
		select {
		case <-release:
			return Metrics{}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func panicTask(c *calls, name string) TaskFunc {
	return func(ctx context.Context, p map[string]string) (Metrics, error) {
		c.record(name, p)
		panic("boom in " + name)
	}
}

// concurrency tracks how many fake tasks run at once.
type concurrency struct {
	cur, peak atomic.Int32
}

// task runs until target tasks have been running at once (or 5s pass), so
// the peak reaches target whenever the runner allows that much parallelism.
func (k *concurrency) task(c *calls, name string, target int32) TaskFunc {
	return func(ctx context.Context, p map[string]string) (Metrics, error) {
		c.record(name, p)
		n := k.cur.Add(1)
		defer k.cur.Add(-1)
		for {
			old := k.peak.Load()
			if n <= old || k.peak.CompareAndSwap(old, n) {
				break
			}
		}
		deadline := time.Now().Add(5 * time.Second)
		for k.peak.Load() < target && time.Now().Before(deadline) {
			select {
			case <-time.After(time.Millisecond):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return nil, nil
	}
}

// nbTask returns a notebook task JSON object.
func nbTask(key string, deps []string, extra string) string {
	d := ""
	if len(deps) > 0 {
		var parts []string
		for _, x := range deps {
			parts = append(parts, fmt.Sprintf(`{"task_key": %q}`, x))
		}
		d = fmt.Sprintf(`"depends_on": [%s],`, strings.Join(parts, ","))
	}
	if extra != "" {
		extra += ","
	}
	return fmt.Sprintf(`{"task_key": %q, %s %s "notebook_task": {"notebook_path": "/Shared/%s"}}`, key, d, extra, key)
}

func jobJSON(name, extra string, tasks ...string) string {
	if extra != "" {
		extra += ","
	}
	return fmt.Sprintf(`{"name": %q, %s "tasks": [%s]}`, name, extra, strings.Join(tasks, ","))
}

// taskStates returns key → latest state of a run.
func taskStates(r *Run) map[string]State {
	out := map[string]State{}
	for _, t := range r.Tasks {
		out[t.TaskKey] = t.State
	}
	return out
}

// attemptStates returns the states of a task's attempts in one pass.
func attemptStates(r *Run, key string, repair int) []State {
	var out []State
	t := r.Task(key)
	if t == nil {
		return nil
	}
	for _, p := range t.History {
		if p.RepairID == repair {
			for _, a := range p.Attempts {
				out = append(out, a.State)
			}
		}
	}
	return out
}

// runAsync runs RunJob in a goroutine.
func runAsync(ctx context.Context, s *Service, def *Job, overrides map[string]string, opts RunOptions) <-chan asyncResult {
	ch := make(chan asyncResult, 1)
	go func() {
		id, run, err := s.RunJob(ctx, def, overrides, opts)
		ch <- asyncResult{id, run, err}
	}()
	return ch
}

type asyncResult struct {
	id  int64
	run *Run
	err error
}

func wait(t *testing.T, ch <-chan asyncResult) asyncResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("run did not finish")
	}
	return asyncResult{}
}
