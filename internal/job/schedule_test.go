package job

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func scheduledJob(queue bool, pause string) string {
	return fmt.Sprintf(`{"name": "sched", "max_concurrent_runs": 1, "queue": {"enabled": %v},
		"schedule": {"quartz_cron_expression": "0 * * * * ?", "timezone_id": "UTC", "pause_status": %q},
		"tasks": [{"task_key": "gate", "notebook_task": {"notebook_path": "/x/gate"}}]}`, queue, pause)
}

type schedFixture struct {
	t       *testing.T
	clk     *fakeClock
	svc     *Service
	c       *calls
	started chan string
	release chan struct{}
	cancel  context.CancelFunc
	done    chan error
	mu      sync.Mutex
	events  []string
}

func startScheduler(t *testing.T, js string, grace time.Duration) *schedFixture {
	f := &schedFixture{t: t, clk: newFakeClock(t0), c: newCalls(), started: make(chan string, 10),
		release: make(chan struct{}), done: make(chan error, 1)}
	reg := Registry{"gate": gateTask(f.c, "gate", f.started, f.release)}
	// Long MaxSleep and QueuePoll: the only clock waiters are fire times,
	// retries and the grace period, so the test can step the clock exactly.
	f.svc, _ = newTestService(t, reg, Config{Clock: f.clk, MaxSleep: 24 * time.Hour, QueuePoll: time.Hour})
	def := mustParse(t, js)
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	t.Cleanup(cancel)
	opts := ScheduleOptions{GracePeriod: grace, RunOptions: RunOptions{OnEvent: func(e Event) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.events = append(f.events, e.String())
	}}}
	go func() { f.done <- f.svc.Schedule(ctx, def, opts) }()
	return f
}

// fire advances the clock to the n-th minute after t0, once the scheduler
// waits for it.
func (f *schedFixture) fire(n int) {
	f.t.Helper()
	at := t0.Add(time.Duration(n) * time.Minute)
	waitTimer(f.t, f.clk, at)
	f.clk.AdvanceTo(at)
}

func (f *schedFixture) state(id int64) State {
	f.t.Helper()
	runs, err := f.svc.ListRuns(context.Background(), RunFilter{})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, r := range runs {
		if r.ID == id {
			return r.State
		}
	}
	return ""
}

func (f *schedFixture) waitState(id int64, want State) {
	f.t.Helper()
	waitFor(f.t, fmt.Sprintf("run %d to be %s", id, want), func() bool { return f.state(id) == want })
}

func (f *schedFixture) stop() {
	f.t.Helper()
	f.cancel()
	select {
	case err := <-f.done:
		if err != nil {
			f.t.Fatalf("Schedule returned %v", err)
		}
	case <-time.After(10 * time.Second):
		f.t.Fatal("Schedule did not return")
	}
}

func TestScheduleQueuesOverMaxConcurrentRuns(t *testing.T) {
	f := startScheduler(t, scheduledJob(true, "UNPAUSED"), 0)
	f.fire(1)
	<-f.started // run 1 holds the only slot
	f.fire(2)
	f.waitState(2, StateQueued)
	f.fire(3)
	f.waitState(3, StateQueued)

	f.release <- struct{}{} // run 1 ends: the oldest queued run starts
	<-f.started
	f.waitState(2, StateRunning)
	if got := f.state(3); got != StateQueued {
		t.Fatalf("run 3 is %s while run 2 runs, want QUEUED", got)
	}
	f.release <- struct{}{}
	<-f.started
	f.waitState(3, StateRunning)
	f.release <- struct{}{}
	f.waitState(3, StateSuccess)
	f.stop()

	ctx := context.Background()
	var runs []*Run
	for id := int64(1); id <= 3; id++ {
		r, err := f.svc.GetRun(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	for i, r := range runs {
		if r.State != StateSuccess || r.Trigger != TriggerSchedule {
			t.Errorf("run %d: %s %s", r.ID, r.State, r.Trigger)
		}
		if want := t0.Add(time.Duration(i+1) * time.Minute); !r.QueuedAt.Equal(want) {
			t.Errorf("run %d queued at %v, want the fire time %v", r.ID, r.QueuedAt, want)
		}
		if i > 0 && r.StartTime.Before(runs[i-1].EndTime) {
			t.Errorf("run %d started before run %d ended", r.ID, runs[i-1].ID)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// The fired event comes from the run's goroutine, so only the set of
	// events is fixed, not their interleaving.
	for _, want := range []string{
		"sched: next run at 2026-03-06 17:01:00 UTC",
		"sched: fired for 2026-03-06 17:01:00 UTC as run 1",
		"run 2 of sched queued: waiting: max_concurrent_runs (1) reached",
		"sched: fired for 2026-03-06 17:03:00 UTC as run 3",
		"run 3 of sched ended SUCCESS in 0s",
	} {
		if !slices.Contains(f.events, want) {
			t.Errorf("no event %q in:\n%s", want, strings.Join(f.events, "\n"))
		}
	}
}

func TestScheduleSkipsWithoutQueue(t *testing.T) {
	f := startScheduler(t, scheduledJob(false, "UNPAUSED"), 0)
	f.fire(1)
	<-f.started
	f.fire(2)
	f.waitState(2, StateSkipped)
	f.release <- struct{}{}
	f.waitState(1, StateSuccess)
	f.stop()
	r, err := f.svc.GetRun(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if r.StateMessage != "max_concurrent_runs (1) reached and queue.enabled is false" || r.Task("gate").State != StateSkipped {
		t.Fatalf("skipped run: %q, task %s", r.StateMessage, r.Task("gate").State)
	}
	if !errors.Is(r.Err(), ErrRunSkipped) {
		t.Fatalf("Err() = %v, want ErrRunSkipped", r.Err())
	}
	if got := f.c.count("gate"); got != 1 {
		t.Fatalf("gate ran %d times, want 1", got)
	}
}

func TestScheduleShutdown(t *testing.T) {
	f := startScheduler(t, scheduledJob(true, "UNPAUSED"), 10*time.Second)
	f.fire(1)
	<-f.started
	f.fire(2)
	f.waitState(2, StateQueued)

	f.cancel()
	// The queued run is canceled at once; the running one gets the grace period.
	f.waitState(2, StateCanceled)
	if got := f.state(1); got != StateRunning {
		t.Fatalf("run 1 is %s during the grace period", got)
	}
	graceEnd := t0.Add(2*time.Minute + 10*time.Second)
	waitTimer(t, f.clk, graceEnd)
	f.clk.AdvanceTo(graceEnd)
	select {
	case err := <-f.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Schedule did not return after the grace period")
	}
	r, err := f.svc.GetRun(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != StateCanceled || r.Task("gate").State != StateCanceled {
		t.Fatalf("run 1 %s, task %s; want CANCELED", r.State, r.Task("gate").State)
	}
	q, err := f.svc.GetRun(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if q.StateMessage != "canceled while queued" {
		t.Fatalf("queued run message %q", q.StateMessage)
	}
}

func TestScheduleShutdownLetsRunsFinish(t *testing.T) {
	f := startScheduler(t, scheduledJob(true, "UNPAUSED"), 10*time.Second)
	f.fire(1)
	<-f.started
	f.cancel()
	f.release <- struct{}{} // finishes within the grace period
	select {
	case err := <-f.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Schedule did not return")
	}
	if got := f.state(1); got != StateSuccess {
		t.Fatalf("run 1 %s, want SUCCESS", got)
	}
}

func TestScheduleRefuses(t *testing.T) {
	svc, _ := newTestService(t, Registry{"gate": okTask(newCalls(), "gate")}, Config{})
	tests := []struct {
		name string
		js   string
		want error
		text string
	}{
		{name: "paused", js: scheduledJob(true, "PAUSED"), want: ErrSchedulePaused,
			text: `schedule job "sched": schedule is paused (pause_status is PAUSED); set it to UNPAUSED to let the scheduler fire, or start one run with: lakehouse job run`},
		{name: "no schedule", js: jobJSON("plain", "", nbTask("gate", nil, "")), want: ErrNoSchedule,
			text: `schedule job "plain": job has no schedule; add a schedule block with quartz_cron_expression and timezone_id`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := svc.Schedule(context.Background(), mustParse(t, tt.js), ScheduleOptions{})
			if !errors.Is(err, tt.want) || err.Error() != tt.text {
				t.Fatalf("error %q, want %q", err, tt.text)
			}
		})
	}
}

// TestRunJobHonoursMaxConcurrentRuns: a manual run of a job that already runs
// waits QUEUED (queue enabled) until the first ends, or is SKIPPED.
func TestRunJobHonoursMaxConcurrentRuns(t *testing.T) {
	tests := []struct {
		name      string
		queue     bool
		wantState State
		wantErr   error
	}{
		{name: "queued", queue: true, wantState: StateSuccess},
		{name: "skipped", queue: false, wantState: StateSkipped, wantErr: ErrRunSkipped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCalls()
			started := make(chan string, 2)
			release := make(chan struct{})
			svc, _ := newTestService(t, Registry{"gate": gateTask(c, "gate", started, release)},
				Config{Clock: newFakeClock(t0), QueuePoll: time.Hour})
			def := mustParse(t, scheduledJob(tt.queue, "UNPAUSED"))
			ctx := context.Background()
			first := runAsync(ctx, svc, def, nil, RunOptions{})
			<-started
			second := runAsync(ctx, svc, def, nil, RunOptions{})
			if tt.queue {
				waitFor(t, "the second run to queue", func() bool {
					r, err := svc.GetRun(ctx, 2)
					return err == nil && r.State == StateQueued
				})
				release <- struct{}{} // the first run ends, the second starts
				<-started
				release <- struct{}{}
			}
			r2 := wait(t, second)
			if !tt.queue {
				release <- struct{}{}
			}
			r1 := wait(t, first)
			if r1.err != nil {
				t.Fatal(r1.err)
			}
			if r2.run.State != tt.wantState || !errors.Is(r2.err, tt.wantErr) {
				t.Fatalf("second run %s, %v; want %s, %v", r2.run.State, r2.err, tt.wantState, tt.wantErr)
			}
			if tt.queue && r2.run.StartTime.Before(r1.run.EndTime) {
				t.Fatal("the queued run started before the first one ended")
			}
		})
	}
}
