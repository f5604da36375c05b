package job

// State is the state of a run or of a task in a run. Runs and tasks share the
// names the Jobs API uses; the comments say which side uses which.
type State string

// States. PENDING, QUEUED and RUNNING are not terminal.
const (
	// StatePending: a task waiting for its dependencies, a free slot or its
	// next retry; a run created but not yet admitted.
	StatePending State = "PENDING"
	// StateQueued: a run waiting because max_concurrent_runs runs are active.
	StateQueued State = "QUEUED"
	// StateRunning: a run or task attempt in progress.
	StateRunning State = "RUNNING"
	// StateSuccess: a task that succeeded; a run whose tasks all succeeded
	// (or were excluded).
	StateSuccess State = "SUCCESS"
	// StateSuccessWithFailures: a run where some tasks failed but every leaf
	// task succeeded.
	StateSuccessWithFailures State = "SUCCESS_WITH_FAILURES"
	// StateFailed: a task whose last attempt failed; a run with a failed leaf.
	StateFailed State = "FAILED"
	// StateTimedOut: a task stopped by its timeout; a run stopped by the job
	// timeout.
	StateTimedOut State = "TIMEDOUT"
	// StateCanceled: a run canceled (Ctrl-C, scheduler shutdown) and the
	// tasks it stopped or never started.
	StateCanceled State = "CANCELED"
	// StateSkipped: a run not started because max_concurrent_runs was
	// reached and queueing is off, and the tasks of such a run.
	StateSkipped State = "SKIPPED"
	// StateUpstreamFailed: a task not run because its run_if condition
	// needed successes its dependencies did not deliver.
	StateUpstreamFailed State = "UPSTREAM_FAILED"
	// StateUpstreamCanceled: like StateUpstreamFailed, when the unmet
	// dependencies were canceled.
	StateUpstreamCanceled State = "UPSTREAM_CANCELED"
	// StateExcluded: a task not run because its failure-handling condition
	// (AT_LEAST_ONE_FAILED, ALL_FAILED) was not met, or because all its
	// dependencies were excluded. Excluded counts as success downstream.
	StateExcluded State = "EXCLUDED"
)

// Terminal reports whether s is final.
func (s State) Terminal() bool {
	switch s {
	case StatePending, StateQueued, StateRunning, "":
		return false
	}
	return true
}

// Succeeded reports whether a run in state s counts as successful.
func (s State) Succeeded() bool {
	return s == StateSuccess || s == StateSuccessWithFailures
}

// okForDownstream reports whether a task state counts as success for its
// dependents (Databricks treats excluded tasks as successful).
func (s State) okForDownstream() bool { return s == StateSuccess || s == StateExcluded }

// repairable reports whether Repair reruns a task whose latest state is s.
func (s State) repairable() bool {
	switch s {
	case StateFailed, StateTimedOut, StateCanceled, StateSkipped, StateUpstreamFailed, StateUpstreamCanceled:
		return true
	}
	return !s.Terminal()
}

// decide evaluates a task's run_if once all its dependencies are terminal.
// It returns whether the task runs and, if not, the state it gets instead.
//
// The rules, after the Databricks "Run if dependencies" page:
//   - a task without dependencies runs;
//   - a task whose dependencies were all EXCLUDED is EXCLUDED, whatever its
//     condition; otherwise EXCLUDED counts as a success;
//   - ALL_SUCCESS: every dependency succeeded;
//   - AT_LEAST_ONE_SUCCESS: at least one succeeded;
//   - NONE_FAILED: no dependency ran and failed (FAILED, TIMEDOUT,
//     CANCELED) and at least one ran and succeeded; dependencies that did not
//     run (UPSTREAM_*) are neither;
//   - ALL_DONE: always, once the dependencies are done;
//     these four leave an unmet task UPSTREAM_FAILED (UPSTREAM_CANCELED when
//     no dependency failed but some were canceled);
//   - AT_LEAST_ONE_FAILED: at least one dependency is FAILED, TIMEDOUT,
//     UPSTREAM_FAILED, CANCELED or UPSTREAM_CANCELED (a failure upstream, or a
//     cancellation, is what a cleanup task handles);
//   - ALL_FAILED: every dependency is one of those;
//     these two leave an unmet task EXCLUDED.
func decide(cond RunIf, deps []State) (bool, State) {
	if len(deps) == 0 {
		return true, ""
	}
	var excluded, succeeded, ranAndFailed, failedish, canceled int
	for _, s := range deps {
		switch s {
		case StateExcluded:
			excluded++
		case StateSuccess:
			succeeded++
		case StateFailed, StateTimedOut:
			ranAndFailed++
			failedish++
		case StateUpstreamFailed:
			failedish++
		case StateCanceled:
			ranAndFailed++
			failedish++
			canceled++
		case StateUpstreamCanceled, StateSkipped:
			failedish++
			canceled++
		}
	}
	if excluded == len(deps) {
		return false, StateExcluded
	}
	notMet := StateUpstreamFailed
	if canceled > 0 && failedish == canceled {
		notMet = StateUpstreamCanceled
	}
	ok := succeeded + excluded
	switch cond {
	case AllSuccess, "":
		if ok == len(deps) {
			return true, ""
		}
		return false, notMet
	case AtLeastOneSuccess:
		if ok > 0 {
			return true, ""
		}
		return false, notMet
	case NoneFailed:
		if ranAndFailed == 0 && succeeded > 0 {
			return true, ""
		}
		return false, notMet
	case AllDone:
		return true, ""
	case AtLeastOneFailed:
		if failedish > 0 {
			return true, ""
		}
		return false, StateExcluded
	case AllFailed:
		if failedish == len(deps) {
			return true, ""
		}
		return false, StateExcluded
	}
	return false, notMet
}

// resultState derives a finished run's state from its tasks' latest states,
// as Databricks does from the leaf tasks (tasks nothing depends on):
// SUCCESS if every task succeeded or was excluded, SUCCESS_WITH_FAILURES if
// only non-leaf tasks failed, else FAILED.
func resultState(j *Job, states map[string]State) State {
	succ := j.successors()
	all, leaves := true, true
	for _, t := range j.Tasks {
		ok := states[t.TaskKey].okForDownstream()
		if !ok {
			all = false
			if len(succ[t.TaskKey]) == 0 {
				leaves = false
			}
		}
	}
	switch {
	case all:
		return StateSuccess
	case leaves:
		return StateSuccessWithFailures
	}
	return StateFailed
}
