package job

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// ScheduleOptions configure Schedule.
type ScheduleOptions struct {
	RunOptions
	// GracePeriod is how long runs still going when the scheduler stops may
	// continue before they are canceled (Clock time). Default 30s; negative
	// cancels them at once.
	GracePeriod time.Duration
}

// scheduledRun is a run the scheduler started and still follows.
type scheduledRun struct {
	cancel   context.CancelFunc
	admitted atomic.Bool
	done     chan struct{}
}

// Schedule runs def in the foreground at the fire times of its schedule,
// until ctx is canceled or the expression fires no more (a past year field),
// and returns nil then.
//
//   - A PAUSED schedule does not start: Schedule returns ErrSchedulePaused
//     with a message saying so, rather than sitting idle.
//   - Fire times follow the DST policy of NextFireTimes. A fire time missed
//     while the machine slept fires once, late; the fire times between are
//     not caught up (Quartz's default misfire rule for cron triggers).
//   - Each fire starts a run (trigger "schedule") that counts against
//     max_concurrent_runs with every other active run of the job sharing the
//     history: over the limit it waits QUEUED if queue.enabled, else it is
//     recorded SKIPPED. Queued runs start oldest first as slots free.
//   - When ctx is canceled the scheduler stops firing, cancels queued runs
//     (recorded CANCELED), lets running runs go on for GracePeriod, then
//     cancels them (their running tasks are recorded CANCELED), and returns
//     once every run has recorded its end.
func (s *Service) Schedule(ctx context.Context, def *Job, opts ScheduleOptions) error {
	if err := def.Check(s.reg); err != nil {
		return err
	}
	sch := def.Schedule
	if sch == nil {
		return fmt.Errorf("schedule job %q: %w; add a schedule block with quartz_cron_expression and timezone_id", def.Name, ErrNoSchedule)
	}
	if sch.PauseStatus == "PAUSED" {
		return fmt.Errorf("schedule job %q: %w (pause_status is PAUSED); set it to UNPAUSED to let the scheduler fire, or start one run with: lakehouse job run",
			def.Name, ErrSchedulePaused)
	}
	c, err := newCron(sch.QuartzCronExpression, sch.TimezoneID)
	if err != nil {
		return fmt.Errorf("schedule job %q: %w", def.Name, err)
	}
	emit := s.emitter(opts.RunOptions, def.Name, 0, 0)
	clock := s.cfg.Clock

	var (
		mu   sync.Mutex
		runs []*scheduledRun
	)
	prune := func() {
		mu.Lock()
		defer mu.Unlock()
		kept := runs[:0]
		for _, r := range runs {
			select {
			case <-r.done:
			default:
				kept = append(kept, r)
			}
		}
		runs = kept
	}

	from := s.now()
	stopped := false
	for !stopped {
		next, ok := c.next(from)
		if !ok {
			emit(Event{Kind: EventScheduleStop, Message: "the expression fires no more"})
			break
		}
		emit(Event{Kind: EventScheduleNext, FireTime: next})
		for !stopped {
			wait := next.Sub(clock.Now())
			if wait <= 0 {
				break
			}
			t := clock.NewTimer(min(wait, s.cfg.MaxSleep))
			select {
			case <-ctx.Done():
				t.Stop()
				stopped = true
			case <-t.C():
			}
		}
		if stopped {
			break
		}
		prune()
		s.fire(ctx, def, opts.RunOptions, next, emit, func(r *scheduledRun) {
			mu.Lock()
			defer mu.Unlock()
			runs = append(runs, r)
		})
		from = next
		if now := clock.Now(); now.After(from) {
			from = now // skip fire times missed while asleep
		}
	}

	prune()
	mu.Lock()
	active := append([]*scheduledRun(nil), runs...)
	mu.Unlock()
	if len(active) == 0 {
		return nil
	}
	if ctx.Err() != nil {
		grace := opts.GracePeriod
		if grace == 0 {
			grace = 30 * time.Second
		}
		grace = max(grace, 0)
		emit(Event{Kind: EventScheduleStop, Message: fmt.Sprintf("waiting up to %s for %d active run(s), then canceling them", grace, len(active))})
		for _, r := range active {
			if !r.admitted.Load() {
				r.cancel()
			}
		}
		t := clock.NewTimer(grace)
		select {
		case <-allDone(active):
			t.Stop()
		case <-t.C():
			for _, r := range active {
				r.cancel()
			}
		}
	}
	<-allDone(active)
	return nil
}

// fire starts the run for one fire time and hands its handle to track
// before the run is recorded, so shutdown always sees it.
func (s *Service) fire(ctx context.Context, def *Job, opts RunOptions, at time.Time, emit func(Event), track func(*scheduledRun)) {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &scheduledRun{cancel: cancel, done: make(chan struct{})}
	track(r)
	go func() {
		defer close(r.done)
		defer cancel()
		hooks := runHooks{
			created: func(id int64) {
				emit(Event{Kind: EventScheduleFired, FireTime: at, RunID: id})
			},
			admitted: func() { r.admitted.Store(true) },
		}
		_, _, err := s.runNew(runCtx, def, nil, TriggerSchedule, opts, hooks)
		// A run's own failure is in its record and its run_finished event;
		// anything else (the history could not be written) is reported.
		var runErr *RunError
		if err != nil && !errors.As(err, &runErr) {
			emit(Event{Kind: EventScheduleError, FireTime: at, Message: err.Error()})
		}
	}()
}

// allDone returns a channel closed when every run is done.
func allDone(runs []*scheduledRun) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		for _, r := range runs {
			<-r.done
		}
		close(ch)
	}()
	return ch
}
