package job

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"
)

var (
	errJobTimeout  = errors.New("job timeout")
	errTaskTimeout = errors.New("task timeout")
	errStore       = errors.New("run history write failed")
)

// execution is one pass over a run's DAG: the original run (repair 0) or a
// repair. Tasks in rerun execute; the others keep the states in states.
type execution struct {
	s        *Service
	def      *Job
	runID    int64
	repair   int
	rerun    map[string]bool
	params   map[string]map[string]string
	maxPar   int
	emit     func(Event)
	storeCtx context.Context

	// Owned by the coordinating goroutine (run).
	states   map[string]State
	messages map[string]string

	mu struct {
		sync.Mutex
		storeErr error
	}
	cancelRun context.CancelCauseFunc
}

type taskResult struct {
	key   string
	state State
	msg   string
}

// run executes the pass and returns the run's resulting state and message.
// The error is set only when the history could not be written.
func (e *execution) run(ctx context.Context) (State, string, error) {
	e.storeCtx = context.WithoutCancel(ctx)
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	e.cancelRun = cancel
	if e.def.TimeoutSeconds > 0 {
		t := e.s.cfg.Clock.AfterFunc(time.Duration(e.def.TimeoutSeconds)*time.Second, func() { cancel(errJobTimeout) })
		defer t.Stop()
	}
	maxPar := e.maxPar
	if maxPar <= 0 {
		maxPar = len(e.def.Tasks)
	}

	order := e.def.order()
	pending := map[string]bool{}
	for _, k := range order {
		if e.rerun[k] {
			pending[k] = true
			e.states[k] = StatePending
		}
	}
	done := make(chan taskResult)
	var wg sync.WaitGroup
	running := 0
	for {
		for progress := runCtx.Err() == nil; progress && runCtx.Err() == nil; {
			progress = false
			for _, k := range order {
				if !pending[k] {
					continue
				}
				deps, ok := e.depStates(k)
				if !ok {
					continue
				}
				t := e.def.Task(k)
				if run, skip := decide(t.condition(), deps); !run {
					delete(pending, k)
					e.skip(k, skip, e.skipReason(t, skip))
					progress = true
					continue
				}
				if running >= maxPar {
					if e.states[k] != StateQueued {
						e.states[k] = StateQueued
						e.putTask(TaskRecord{TaskKey: k, State: StateQueued, Params: e.params[k],
							StateMessage: fmt.Sprintf("waiting for a free slot (%d tasks at most run at once)", maxPar)})
					}
					continue
				}
				delete(pending, k)
				e.states[k] = StateRunning
				running++
				wg.Add(1)
				go func() {
					defer wg.Done()
					done <- e.runTask(runCtx, k)
				}()
			}
		}
		if running == 0 {
			break
		}
		select {
		case r := <-done:
			running--
			e.states[r.key], e.messages[r.key] = r.state, r.msg
		case <-runCtx.Done():
			for running > 0 {
				r := <-done
				running--
				e.states[r.key], e.messages[r.key] = r.state, r.msg
			}
		}
	}
	wg.Wait()

	if runCtx.Err() != nil {
		state, msg := e.stopped(runCtx)
		for _, k := range order {
			if pending[k] {
				e.finishUnstarted(k, state, msg)
			}
		}
	}
	if err := e.storeErr(); err != nil {
		return "", "", err
	}
	if runCtx.Err() != nil {
		state, msg := e.stopped(runCtx)
		return state, msg, nil
	}
	state := resultState(e.def, e.states)
	return state, failureSummary(e.def, e.states, e.messages), nil
}

// depStates returns the states of k's dependencies, and false while one of
// them has not finished.
func (e *execution) depStates(k string) ([]State, bool) {
	t := e.def.Task(k)
	deps := make([]State, 0, len(t.DependsOn))
	for _, d := range t.DependsOn {
		st := e.states[d.TaskKey]
		if !st.Terminal() {
			return nil, false
		}
		deps = append(deps, st)
	}
	return deps, true
}

func (e *execution) skipReason(t *Task, state State) string {
	var parts []string
	for _, d := range t.DependsOn {
		parts = append(parts, fmt.Sprintf("%s %s", d.TaskKey, e.states[d.TaskKey]))
	}
	return fmt.Sprintf("run_if %s not met (%s)", t.condition(), strings.Join(parts, ", "))
}

// stopped returns the state and message for work stopped by runCtx.
func (e *execution) stopped(runCtx context.Context) (State, string) {
	cause := context.Cause(runCtx)
	switch {
	case errors.Is(cause, errJobTimeout):
		return StateTimedOut, fmt.Sprintf("job timed out after %s", time.Duration(e.def.TimeoutSeconds)*time.Second)
	case errors.Is(cause, errStore):
		return StateCanceled, "stopped: " + cause.Error()
	}
	return StateCanceled, "run canceled"
}

func (e *execution) storeErr() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mu.storeErr
}

// check remembers the first failed history write and stops the run: going on
// would leave the history behind the truth.
func (e *execution) check(err error) {
	if err == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.mu.storeErr == nil {
		e.mu.storeErr = err
		e.cancelRun(fmt.Errorf("%w: %w", errStore, err))
	}
}

func (e *execution) putTask(t TaskRecord) {
	t.RepairID = e.repair
	e.check(e.s.store.PutTask(e.storeCtx, e.runID, t))
}

func (e *execution) putAttempt(a AttemptRecord) {
	a.RepairID = e.repair
	e.check(e.s.store.PutAttempt(e.storeCtx, e.runID, a))
}

// skip records a task that does not run because of its run_if condition.
func (e *execution) skip(k string, state State, msg string) {
	e.states[k], e.messages[k] = state, msg
	e.putTask(TaskRecord{TaskKey: k, State: state, StateMessage: msg, Params: e.params[k], EndTime: e.s.now()})
	e.emit(Event{Kind: EventTaskSkipped, Task: k, State: state, Message: msg})
}

// finishUnstarted records a task the run stopped before it started.
func (e *execution) finishUnstarted(k string, state State, msg string) {
	if state == StateTimedOut {
		state = StateCanceled // it never ran, so it cannot have timed out
	}
	msg = "not started: " + msg
	e.states[k], e.messages[k] = state, msg
	e.putTask(TaskRecord{TaskKey: k, State: state, StateMessage: msg, Params: e.params[k], EndTime: e.s.now()})
	e.emit(Event{Kind: EventTaskSkipped, Task: k, State: state, Message: msg})
}

// runTask runs a task's attempts: the first, then retries while the policy
// allows, waiting min_retry_interval_millis from the start of the failed
// attempt.
func (e *execution) runTask(runCtx context.Context, k string) taskResult {
	t := e.def.Task(k)
	name, _ := t.BuiltinName(e.s.reg)
	fn := e.s.reg[name]
	params := e.params[k]
	maxAttempts := t.MaxRetries + 1
	if t.MaxRetries < 0 {
		maxAttempts = e.s.cfg.RetryCap + 1
	}
	interval := time.Duration(t.MinRetryIntervalMillis) * time.Millisecond
	clock := e.s.cfg.Clock

	var taskStart time.Time
	for n := 1; ; n++ {
		start := clock.Now()
		if n == 1 {
			taskStart = start
		}
		e.putTask(TaskRecord{TaskKey: k, State: StateRunning, Params: params, StartTime: taskStart})
		e.putAttempt(AttemptRecord{TaskKey: k, Number: n, State: StateRunning, StartTime: start})
		e.emit(Event{Kind: EventTaskStarted, Task: k, Attempt: n, State: StateRunning})

		state, errText, metrics := e.attempt(runCtx, t, fn, params)
		end := clock.Now()
		e.putAttempt(AttemptRecord{TaskKey: k, Number: n, State: state, StartTime: start, EndTime: end, Error: errText, Metrics: metrics})
		e.emit(Event{Kind: EventTaskFinished, Task: k, Attempt: n, State: state, Duration: Duration(end.Sub(start)), Message: errText})

		retry := runCtx.Err() == nil && n < maxAttempts &&
			(state == StateFailed || (state == StateTimedOut && t.RetryOnTimeout))
		if !retry {
			msg := errText
			if n > 1 && msg != "" {
				msg = fmt.Sprintf("%s (attempt %d of %d)", msg, n, maxAttempts)
			}
			e.putTask(TaskRecord{TaskKey: k, State: state, StateMessage: msg, Params: params, StartTime: taskStart, EndTime: end})
			return taskResult{key: k, state: state, msg: msg}
		}

		wait := max(start.Add(interval).Sub(clock.Now()), 0)
		msg := fmt.Sprintf("attempt %d %s; attempt %d of %d after %s", n, state, n+1, maxAttempts, Duration(wait))
		e.putTask(TaskRecord{TaskKey: k, State: StatePending, StateMessage: msg, Params: params, StartTime: taskStart})
		e.emit(Event{Kind: EventTaskRetrying, Task: k, Attempt: n, State: StatePending, Duration: Duration(wait),
			Message: fmt.Sprintf("attempt %d of %d", n+1, maxAttempts)})
		if wait > 0 {
			timer := clock.NewTimer(wait)
			select {
			case <-timer.C():
			case <-runCtx.Done():
				timer.Stop()
			}
		}
		if runCtx.Err() != nil {
			state, msg := e.stopped(runCtx)
			msg = "stopped while waiting to retry: " + msg
			e.putTask(TaskRecord{TaskKey: k, State: state, StateMessage: msg, Params: params, StartTime: taskStart, EndTime: clock.Now()})
			return taskResult{key: k, state: state, msg: msg}
		}
	}
}

// attempt calls fn once under the task timeout, turning a panic into a
// failure, and classifies the outcome.
func (e *execution) attempt(runCtx context.Context, t *Task, fn TaskFunc, params map[string]string) (State, string, Metrics) {
	taskCtx, cancel := context.WithCancelCause(runCtx)
	defer cancel(nil)
	timeout := time.Duration(t.TimeoutSeconds) * time.Second
	if timeout > 0 {
		timer := e.s.cfg.Clock.AfterFunc(timeout, func() { cancel(errTaskTimeout) })
		defer timer.Stop()
	}

	type result struct {
		m   Metrics
		err error
	}
	ch := make(chan result, 1) // buffered: an abandoned call must not block
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- result{err: fmt.Errorf("panic: %v", p)}
			}
		}()
		m, err := fn(withRunKey(taskCtx, e.runID), maps.Clone(params))
		ch <- result{m: m, err: err}
	}()
	var r result
	select {
	case r = <-ch:
	case <-taskCtx.Done():
		select {
		case r = <-ch:
		case <-time.After(e.s.cfg.AbandonAfter):
			r = result{err: fmt.Errorf("task ignored cancellation for %s and was abandoned", e.s.cfg.AbandonAfter)}
		}
	}

	switch {
	case r.err == nil:
		return StateSuccess, "", r.m
	case errors.Is(context.Cause(taskCtx), errTaskTimeout):
		return StateTimedOut, fmt.Sprintf("timed out after %s", timeout), r.m
	case runCtx.Err() != nil:
		state, msg := e.stopped(runCtx)
		return state, msg, r.m
	}
	return StateFailed, r.err.Error(), r.m
}
