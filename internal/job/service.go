package job

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"
)

// Config holds the Service's settings; zero values take the defaults.
type Config struct {
	// Clock is the time source (default SystemClock).
	Clock Clock
	// RetryCap bounds retries of a task with max_retries -1 ("retry
	// indefinitely" in the Jobs API). Default 100.
	RetryCap int
	// HeartbeatInterval is how often a runner records that it is alive
	// (real time). Default 5s; negative disables heartbeats.
	HeartbeatInterval time.Duration
	// StaleAfter is the heartbeat age after which a runner on another host
	// counts as dead. Runners on this host are checked through the OS.
	// Default 1m.
	StaleAfter time.Duration
	// AbandonAfter is how long a task that ignores its context is waited
	// for once stopped (real time) before the run moves on without it.
	// Default 10s.
	AbandonAfter time.Duration
	// QueuePoll is how often a queued run rechecks for a free slot (Clock
	// time). Runs of this process that finish wake queued runs at once.
	// Default 2s.
	QueuePoll time.Duration
	// MaxSleep bounds one wait of the scheduler, so that a machine waking
	// from suspend notices a due fire time promptly (Clock time). Default 1m.
	MaxSleep time.Duration
}

func (c *Config) setDefaults() {
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.RetryCap <= 0 {
		c.RetryCap = 100
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = 5 * time.Second
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = time.Minute
	}
	if c.AbandonAfter <= 0 {
		c.AbandonAfter = 10 * time.Second
	}
	if c.QueuePoll <= 0 {
		c.QueuePoll = 2 * time.Second
	}
	if c.MaxSleep <= 0 {
		c.MaxSleep = time.Minute
	}
}

// RunOptions are the per-call options of RunJob, Repair and Schedule.
type RunOptions struct {
	// MaxParallel bounds the tasks running at once (default: the number
	// of tasks).
	MaxParallel int
	// OnEvent, if set, receives progress events. Calls are serialized; the
	// hook must not block for long.
	OnEvent func(Event)
}

// Service runs jobs and keeps their history in a Store. It is safe for
// concurrent use.
type Service struct {
	store Store
	reg   Registry
	cfg   Config
	me    Runner

	evMu sync.Mutex // serializes OnEvent calls

	mu struct {
		sync.Mutex
		wake chan struct{} // closed and replaced when a run of this process ends
	}
}

// NewService returns a Service running the built-ins of reg and recording
// runs in store. The caller keeps ownership of store.
func NewService(store Store, reg Registry, cfg Config) *Service {
	cfg.setDefaults()
	s := &Service{store: store, reg: reg, cfg: cfg, me: self()}
	s.mu.wake = make(chan struct{})
	return s
}

func (s *Service) now() time.Time { return s.cfg.Clock.Now() }

func (s *Service) alive(r Runner) bool {
	return runnerAlive(r, s.me, s.now(), s.cfg.StaleAfter)
}

// wakeChan returns a channel closed when the next run of this process ends.
func (s *Service) wakeChan() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.wake
}

func (s *Service) notifyRunEnded() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.mu.wake)
	s.mu.wake = make(chan struct{})
}

func (s *Service) emitter(opts RunOptions, job string, runID int64, repair int) func(Event) {
	return func(e Event) {
		if opts.OnEvent == nil {
			return
		}
		e.Time, e.Job = s.now(), job
		if e.RunID == 0 {
			e.RunID, e.RepairID = runID, repair
		}
		s.evMu.Lock()
		defer s.evMu.Unlock()
		opts.OnEvent(e)
	}
}

// RunJob runs def once with the run-time parameter overrides, recording the
// run, and returns its id and final record. It honours max_concurrent_runs
// across processes sharing the history: over the limit the run waits QUEUED
// (queue.enabled) or is recorded SKIPPED. Canceling ctx cancels the run:
// running tasks are stopped and they and the tasks not started are recorded
// CANCELED.
//
// The error is non-nil if def is invalid for the registry, the history
// cannot be written, or the run did not succeed (then it is the run's Err,
// and the id and Run are valid too).
func (s *Service) RunJob(ctx context.Context, def *Job, overrides map[string]string, opts RunOptions) (int64, *Run, error) {
	if err := def.Check(s.reg); err != nil {
		return 0, nil, err
	}
	return s.runNew(ctx, def, overrides, TriggerManual, opts, runHooks{})
}

// runHooks let the scheduler follow a run it started.
type runHooks struct {
	created  func(id int64) // the run is recorded
	admitted func()         // the run left the queue and starts
}

// runNew creates, admits and executes a run.
func (s *Service) runNew(ctx context.Context, def *Job, overrides map[string]string, trigger Trigger, opts RunOptions, hooks runHooks) (int64, *Run, error) {
	storeCtx := context.WithoutCancel(ctx)
	now := s.now()
	me := s.me
	me.Heartbeat = now
	rec := RunRecord{
		JobName: def.Name, JobJSON: def.raw, Trigger: trigger, State: StatePending,
		Parameters: def.RunParameters(overrides), Overrides: maps.Clone(overrides),
		QueuedAt: now, Runner: me,
	}
	params := map[string]map[string]string{}
	for _, k := range def.order() {
		params[k] = def.TaskParameters(def.Task(k), overrides)
		rec.Tasks = append(rec.Tasks, TaskRecord{TaskKey: k, State: StatePending, Params: params[k]})
	}
	id, err := s.store.CreateRun(storeCtx, rec)
	if err != nil {
		return 0, nil, err
	}
	if hooks.created != nil {
		hooks.created(id)
	}
	emit := s.emitter(opts, def.Name, id, 0)
	stopBeat := s.heartbeat(storeCtx, id)
	defer stopBeat()
	defer s.notifyRunEnded()

	ok, err := s.admit(ctx, id, def, params, emit)
	if err != nil {
		return id, nil, err
	}
	if ok {
		if hooks.admitted != nil {
			hooks.admitted()
		}
		emit(Event{Kind: EventRunStarted, State: StateRunning})
		ex := &execution{s: s, def: def, runID: id, params: params, states: map[string]State{},
			messages: map[string]string{}, rerun: map[string]bool{}, maxPar: opts.MaxParallel, emit: emit}
		for k := range params {
			ex.rerun[k] = true
		}
		if err := s.execute(ctx, ex); err != nil {
			return id, nil, err
		}
	}
	run, err := s.GetRun(storeCtx, id)
	if err != nil {
		return id, nil, err
	}
	emit(Event{Kind: EventRunFinished, State: run.State, Duration: run.Duration, Message: run.StateMessage})
	return id, run, run.Err()
}

// execute runs the pass ex and records the run's resulting state. The error
// is set only when the history could not be written.
func (s *Service) execute(ctx context.Context, ex *execution) error {
	storeCtx := context.WithoutCancel(ctx)
	state, msg, err := ex.run(ctx)
	if err != nil {
		_ = s.store.SetRunState(storeCtx, ex.runID, StateFailed, err.Error(), s.now()) // best effort: the history is failing
		return err
	}
	return s.store.SetRunState(storeCtx, ex.runID, state, msg, s.now())
}

// admit waits until run id may start. It returns false when the run was
// recorded SKIPPED or CANCELED instead.
func (s *Service) admit(ctx context.Context, id int64, def *Job, params map[string]map[string]string, emit func(Event)) (bool, error) {
	storeCtx := context.WithoutCancel(ctx)
	limit := def.MaxConcurrent()
	queued := false
	for {
		wake := s.wakeChan()
		ok, err := s.store.Admit(storeCtx, id, limit, s.alive, s.now())
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
		if limit == 0 || !def.Queued() {
			msg := fmt.Sprintf("max_concurrent_runs (%d) reached and queue.enabled is false", limit)
			if limit == 0 {
				msg = "max_concurrent_runs is 0: every run is skipped"
			}
			return false, s.endUnstarted(storeCtx, id, def, params, StateSkipped, msg)
		}
		if !queued {
			queued = true
			msg := fmt.Sprintf("waiting: max_concurrent_runs (%d) reached", limit)
			if err := s.store.SetRunState(storeCtx, id, StateQueued, msg, s.now()); err != nil {
				return false, err
			}
			emit(Event{Kind: EventRunQueued, State: StateQueued, Message: msg})
		}
		t := s.cfg.Clock.NewTimer(s.cfg.QueuePoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, s.endUnstarted(storeCtx, id, def, params, StateCanceled, "canceled while queued")
		case <-wake:
			t.Stop()
		case <-t.C():
		}
	}
}

// endUnstarted records a run that never started, and its tasks, as state.
func (s *Service) endUnstarted(ctx context.Context, id int64, def *Job, params map[string]map[string]string, state State, msg string) error {
	now := s.now()
	for _, k := range def.order() {
		if err := s.store.PutTask(ctx, id, TaskRecord{TaskKey: k, State: state, StateMessage: msg,
			Params: params[k], EndTime: now}); err != nil {
			return err
		}
	}
	return s.store.SetRunState(ctx, id, state, msg, now)
}

// heartbeat records, every HeartbeatInterval until stopped, that this
// process still runs run id.
func (s *Service) heartbeat(ctx context.Context, id int64) (stop func()) {
	if s.cfg.HeartbeatInterval < 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(s.cfg.HeartbeatInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				// A failed heartbeat is retried on the next tick; readers
				// on this host do not depend on it.
				_ = s.store.Heartbeat(ctx, id, s.now())
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// GetRun returns run id with its tasks in dependency order, every repair
// and attempt. A run that never finished and whose runner is gone is
// reported FAILED ("runner died") with RunnerDied set, its running tasks
// FAILED and its unstarted tasks CANCELED; the history itself is rewritten
// only when the run is repaired.
func (s *Service) GetRun(ctx context.Context, id int64) (*Run, error) {
	rec, err := s.store.Run(ctx, id)
	if err != nil {
		return nil, err
	}
	died := s.markIfDead(rec)
	r := buildRun(rec, s.now())
	r.RunnerDied = died
	return r, nil
}

// ListRuns returns run summaries, newest first, with the same runner-death
// detection as GetRun.
func (s *Service) ListRuns(ctx context.Context, f RunFilter) ([]RunSummary, error) {
	recs, err := s.store.Runs(ctx, f)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]RunSummary, 0, len(recs))
	for i := range recs {
		rec := &recs[i]
		died := s.markIfDead(rec)
		sum := summarize(rec, now)
		sum.RunnerDied = died
		out = append(out, sum)
	}
	return out, nil
}

// markIfDead rewrites, in memory (markDead), a run that never finished and
// whose runner is gone, and reports whether it did.
func (s *Service) markIfDead(rec *RunRecord) bool {
	if rec.State.Terminal() || s.alive(rec.Runner) {
		return false
	}
	markDead(rec)
	return true
}

// Repair reruns, within the same run id, every task whose latest state is
// FAILED, TIMEDOUT, CANCELED, SKIPPED, UPSTREAM_FAILED or UPSTREAM_CANCELED
// (or that never finished because the runner died), and every task
// downstream of those, with the parameters and job definition the run was
// recorded with. Successful tasks keep their results. The repair is recorded
// as repair N of the run (Run.Repairs), its attempts under that repair id.
//
// Repair returns ErrNothingToRepair (wrapped) when no task qualifies,
// ErrRunActive when the run's runner is alive, and otherwise the repaired
// run with its Err.
func (s *Service) Repair(ctx context.Context, runID int64, opts RunOptions) (*Run, error) {
	storeCtx := context.WithoutCancel(ctx)
	rec, err := s.store.Run(storeCtx, runID)
	if err != nil {
		return nil, err
	}
	if !rec.State.Terminal() {
		if s.alive(rec.Runner) {
			return nil, fmt.Errorf("repair run %d: %w: it is %s in process %d on %s; wait for it to end or stop it first",
				runID, ErrRunActive, rec.State, rec.Runner.PID, rec.Runner.Host)
		}
		// The runner died: write down what GetRun reports before
		// repairing, so the history shows how the first pass ended.
		tasks, attempts := markDead(rec)
		for _, a := range attempts {
			if err := s.store.PutAttempt(storeCtx, runID, a); err != nil {
				return nil, err
			}
		}
		for _, t := range tasks {
			if err := s.store.PutTask(storeCtx, runID, t); err != nil {
				return nil, err
			}
		}
		if err := s.store.SetRunState(storeCtx, runID, rec.State, rec.StateMessage, rec.EndTime); err != nil {
			return nil, err
		}
	}
	def, err := Parse(rec.JobJSON)
	if err != nil {
		return nil, fmt.Errorf("repair run %d: recorded job definition: %w", runID, err)
	}
	if err := def.Check(s.reg); err != nil {
		return nil, fmt.Errorf("repair run %d: %w", runID, err)
	}

	latest := latestTasks(rec)
	var roots []string
	for _, k := range def.order() {
		if t, ok := latest[k]; !ok || t.State.repairable() {
			roots = append(roots, k)
		}
	}
	if len(roots) == 0 {
		return nil, fmt.Errorf("repair run %d: %w: it ended %s and no task failed, timed out, was canceled or skipped",
			runID, ErrNothingToRepair, rec.State)
	}
	rerun := def.downstream(roots)

	now := s.now()
	repID := rec.RepairCount + 1
	me := s.me
	me.Heartbeat = now
	rep := RepairRecord{ID: repID, Trigger: TriggerRepair, StartTime: now}
	ex := &execution{s: s, def: def, runID: runID, repair: repID, params: map[string]map[string]string{},
		states: map[string]State{}, messages: map[string]string{}, rerun: rerun, maxPar: opts.MaxParallel}
	for _, k := range def.order() {
		p := latest[k].Params
		if p == nil {
			p = def.TaskParameters(def.Task(k), rec.Overrides)
		}
		ex.params[k] = p
		if rerun[k] {
			rep.Rerun = append(rep.Rerun, k)
			rep.Tasks = append(rep.Tasks, TaskRecord{RepairID: repID, TaskKey: k, State: StatePending, Params: p})
		} else {
			ex.states[k], ex.messages[k] = latest[k].State, latest[k].StateMessage
		}
	}
	if err := s.store.StartRepair(storeCtx, runID, me, rep); err != nil {
		return nil, err
	}
	emit := s.emitter(opts, def.Name, runID, repID)
	ex.emit = emit
	stopBeat := s.heartbeat(storeCtx, runID)
	defer stopBeat()
	defer s.notifyRunEnded()
	emit(Event{Kind: EventRunStarted, State: StateRunning, Message: "rerunning " + joinKeys(rep.Rerun)})

	if err := s.execute(ctx, ex); err != nil {
		return nil, err
	}
	run, err := s.GetRun(storeCtx, runID)
	if err != nil {
		return nil, err
	}
	var d Duration
	if n := len(run.Repairs); n > 0 {
		d = run.Repairs[n-1].Duration
	}
	emit(Event{Kind: EventRunFinished, State: run.State, Duration: d, Message: run.StateMessage})
	return run, run.Err()
}
