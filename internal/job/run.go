package job

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration that reads as 1.2s in text and marshals to
// JSON as whole milliseconds.
type Duration time.Duration

// MarshalJSON writes the duration in milliseconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, time.Duration(d).Milliseconds(), 10), nil
}

// UnmarshalJSON reads milliseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	ms, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("duration_ms %s: %w", b, err)
	}
	*d = Duration(time.Duration(ms) * time.Millisecond)
	return nil
}

// String rounds to a readable precision: 850ms, 1.2s, 2m3s.
func (d Duration) String() string {
	t := time.Duration(d)
	switch {
	case t < time.Second:
		return t.Round(time.Millisecond).String()
	case t < time.Minute:
		return t.Round(100 * time.Millisecond).String()
	}
	return t.Round(time.Second).String()
}

// Run is one run of a job with its whole history: the original pass,
// every repair, every task attempt.
type Run struct {
	ID           int64             `json:"run_id"`
	JobName      string            `json:"job_name"`
	State        State             `json:"state"`
	StateMessage string            `json:"state_message,omitempty"`
	Trigger      Trigger           `json:"trigger"`
	QueuedAt     time.Time         `json:"queued_time,omitzero"`
	StartTime    time.Time         `json:"start_time,omitzero"`
	EndTime      time.Time         `json:"end_time,omitzero"`
	Duration     Duration          `json:"duration_ms"`
	Parameters   map[string]string `json:"parameters"`
	Overrides    map[string]string `json:"overrides,omitempty"`
	Runner       Runner            `json:"runner"`
	// RunnerDied is set when the run never finished and its runner process
	// is gone; State is then FAILED and StateMessage says so.
	RunnerDied bool            `json:"runner_died,omitempty"`
	Repairs    []Repair        `json:"repair_history"`
	Tasks      []TaskRun       `json:"tasks"` // in dependency order
	Job        json.RawMessage `json:"job,omitempty"`
}

// Repair is one pass over a run; ID 0 is the original run.
type Repair struct {
	ID        int       `json:"repair_id"`
	Trigger   Trigger   `json:"trigger"`
	State     State     `json:"state"`
	StartTime time.Time `json:"start_time,omitzero"`
	EndTime   time.Time `json:"end_time,omitzero"`
	Duration  Duration  `json:"duration_ms"`
	Rerun     []string  `json:"rerun_tasks,omitempty"`
}

// TaskRun is a task of a run: its definition, latest outcome and history.
type TaskRun struct {
	TaskKey      string            `json:"task_key"`
	Builtin      string            `json:"builtin,omitempty"`
	NotebookPath string            `json:"notebook_path,omitempty"`
	DependsOn    []string          `json:"depends_on,omitempty"`
	RunIf        RunIf             `json:"run_if,omitempty"`
	State        State             `json:"state"`
	StateMessage string            `json:"state_message,omitempty"`
	StartTime    time.Time         `json:"start_time,omitzero"`
	EndTime      time.Time         `json:"end_time,omitzero"`
	Duration     Duration          `json:"duration_ms"`
	Parameters   map[string]string `json:"parameters"`
	// History has one entry per pass (original run, repairs) that included
	// the task, oldest first; the last one is the latest outcome.
	History []TaskPass `json:"history"`
}

// TaskPass is a task's outcome in one pass over the run.
type TaskPass struct {
	RepairID     int       `json:"repair_id"`
	State        State     `json:"state"`
	StateMessage string    `json:"state_message,omitempty"`
	StartTime    time.Time `json:"start_time,omitzero"`
	EndTime      time.Time `json:"end_time,omitzero"`
	Duration     Duration  `json:"duration_ms"`
	Attempts     []Attempt `json:"attempts,omitempty"`
}

// Attempt is one call of a task's function.
type Attempt struct {
	Number    int       `json:"attempt"`
	State     State     `json:"state"`
	StartTime time.Time `json:"start_time,omitzero"`
	EndTime   time.Time `json:"end_time,omitzero"`
	Duration  Duration  `json:"duration_ms"`
	Error     string    `json:"error,omitempty"`
	Metrics   Metrics   `json:"metrics,omitempty"`
}

// RunSummary is a run as `job runs` lists it.
type RunSummary struct {
	ID           int64     `json:"run_id"`
	JobName      string    `json:"job_name"`
	State        State     `json:"state"`
	StateMessage string    `json:"state_message,omitempty"`
	Trigger      Trigger   `json:"trigger"`
	QueuedAt     time.Time `json:"queued_time,omitzero"`
	StartTime    time.Time `json:"start_time,omitzero"`
	EndTime      time.Time `json:"end_time,omitzero"`
	Duration     Duration  `json:"duration_ms"`
	Repairs      int       `json:"repair_count"`
	RunnerDied   bool      `json:"runner_died,omitempty"`
}

// RunError is the error for a run that did not succeed.
type RunError struct {
	RunID   int64
	Job     string
	State   State
	Message string
	kind    error
}

func (e *RunError) Error() string {
	s := fmt.Sprintf("run %d of %s ended %s", e.RunID, e.Job, e.State)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.State != StateSkipped {
		s += fmt.Sprintf(" (rerun what failed with: lakehouse job repair %d)", e.RunID)
	}
	return s
}

func (e *RunError) Unwrap() error { return e.kind }

// Err returns nil for a run that ended SUCCESS or SUCCESS_WITH_FAILURES and
// a *RunError otherwise, wrapping ErrRunCanceled, ErrRunSkipped or
// ErrRunFailed.
func (r *Run) Err() error {
	if r.State.Succeeded() {
		return nil
	}
	kind := ErrRunFailed
	switch r.State {
	case StateCanceled:
		kind = ErrRunCanceled
	case StateSkipped:
		kind = ErrRunSkipped
	}
	return &RunError{RunID: r.ID, Job: r.JobName, State: r.State, Message: r.StateMessage, kind: kind}
}

// Task returns the task run with the given key, or nil.
func (r *Run) Task(key string) *TaskRun {
	for i := range r.Tasks {
		if r.Tasks[i].TaskKey == key {
			return &r.Tasks[i]
		}
	}
	return nil
}

func span(start, end, now time.Time) Duration {
	if start.IsZero() {
		return 0
	}
	if end.IsZero() {
		end = now
	}
	if end.Before(start) {
		return 0
	}
	return Duration(end.Sub(start))
}

// latestTasks returns each task's record in the latest pass that included it.
func latestTasks(rec *RunRecord) map[string]TaskRecord {
	out := map[string]TaskRecord{}
	for _, t := range rec.Tasks {
		if cur, ok := out[t.TaskKey]; !ok || t.RepairID >= cur.RepairID {
			out[t.TaskKey] = t
		}
	}
	return out
}

// markDead rewrites, in memory, a run whose runner died before it finished:
// running tasks and attempts become FAILED, tasks not started CANCELED, the
// run FAILED. It returns the task and attempt records it changed.
func markDead(rec *RunRecord) ([]TaskRecord, []AttemptRecord) {
	at := rec.Runner.Heartbeat
	if at.IsZero() {
		at = rec.StartTime
	}
	var tasks []TaskRecord
	var attempts []AttemptRecord
	for i := range rec.Attempts {
		a := &rec.Attempts[i]
		if !a.State.Terminal() {
			a.State = StateFailed
			a.Error = "runner died during the attempt"
			a.EndTime = at
			attempts = append(attempts, *a)
		}
	}
	for i := range rec.Tasks {
		t := &rec.Tasks[i]
		if t.State.Terminal() {
			continue
		}
		if t.State == StateRunning || !t.StartTime.IsZero() {
			t.State, t.StateMessage = StateFailed, "runner died while the task ran"
		} else {
			t.State, t.StateMessage = StateCanceled, "not started: runner died"
		}
		t.EndTime = at
		tasks = append(tasks, *t)
	}
	where := "process"
	if rec.State == StateQueued || rec.State == StatePending {
		where = "queued run's process"
	}
	rec.StateMessage = fmt.Sprintf("runner died: %s %d on %s is gone (last heartbeat %s)",
		where, rec.Runner.PID, rec.Runner.Host, formatTime(rec.Runner.Heartbeat))
	rec.State = StateFailed
	rec.EndTime = at
	for i := range rec.Repairs {
		if rec.Repairs[i].ID == rec.RepairCount {
			rec.Repairs[i].State, rec.Repairs[i].EndTime = StateFailed, at
		}
	}
	return tasks, attempts
}

// buildRun turns a stored run into a Run. now sizes durations of what is
// still running.
func buildRun(rec *RunRecord, now time.Time) *Run {
	r := &Run{
		ID: rec.ID, JobName: rec.JobName, State: rec.State, StateMessage: rec.StateMessage,
		Trigger: rec.Trigger, QueuedAt: rec.QueuedAt, StartTime: rec.StartTime, EndTime: rec.EndTime,
		Duration: span(rec.StartTime, rec.EndTime, now), Parameters: rec.Parameters, Overrides: rec.Overrides,
		Runner: rec.Runner,
	}
	if json.Valid(rec.JobJSON) {
		r.Job = json.RawMessage(rec.JobJSON)
	}
	for _, rep := range rec.Repairs {
		r.Repairs = append(r.Repairs, Repair{ID: rep.ID, Trigger: rep.Trigger, State: rep.State,
			StartTime: rep.StartTime, EndTime: rep.EndTime, Duration: span(rep.StartTime, rep.EndTime, now), Rerun: rep.Rerun})
	}

	attempts := map[string][]Attempt{} // by repair/task
	for _, a := range rec.Attempts {
		k := fmt.Sprintf("%d/%s", a.RepairID, a.TaskKey)
		attempts[k] = append(attempts[k], Attempt{Number: a.Number, State: a.State, StartTime: a.StartTime,
			EndTime: a.EndTime, Duration: span(a.StartTime, a.EndTime, now), Error: a.Error, Metrics: a.Metrics})
	}
	passes := map[string][]TaskRecord{}
	for _, t := range rec.Tasks {
		passes[t.TaskKey] = append(passes[t.TaskKey], t)
	}

	def, _ := Parse(rec.JobJSON) // stored by us from a parsed definition
	var keys []string
	if def != nil {
		keys = def.order()
	}
	for k := range passes {
		if def == nil || def.Task(k) == nil {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		tr := TaskRun{TaskKey: k}
		if def != nil {
			if t := def.Task(k); t != nil {
				tr.RunIf = t.condition()
				if len(t.DependsOn) == 0 {
					tr.RunIf = ""
				}
				for _, d := range t.DependsOn {
					tr.DependsOn = append(tr.DependsOn, d.TaskKey)
				}
				tr.NotebookPath = t.NotebookTask.NotebookPath
				tr.Builtin = orderPrefix.ReplaceAllString(t.notebookName(), "")
			}
		}
		ps := passes[k]
		sort.Slice(ps, func(i, j int) bool { return ps[i].RepairID < ps[j].RepairID })
		for _, p := range ps {
			tr.History = append(tr.History, TaskPass{RepairID: p.RepairID, State: p.State, StateMessage: p.StateMessage,
				StartTime: p.StartTime, EndTime: p.EndTime, Duration: span(p.StartTime, p.EndTime, now),
				Attempts: attempts[fmt.Sprintf("%d/%s", p.RepairID, k)]})
		}
		if n := len(ps); n > 0 {
			last := ps[n-1]
			tr.State, tr.StateMessage, tr.Parameters = last.State, last.StateMessage, last.Params
			tr.StartTime, tr.EndTime, tr.Duration = last.StartTime, last.EndTime, span(last.StartTime, last.EndTime, now)
		}
		r.Tasks = append(r.Tasks, tr)
	}
	return r
}

func summarize(rec *RunRecord, now time.Time) RunSummary {
	return RunSummary{ID: rec.ID, JobName: rec.JobName, State: rec.State, StateMessage: rec.StateMessage,
		Trigger: rec.Trigger, QueuedAt: rec.QueuedAt, StartTime: rec.StartTime, EndTime: rec.EndTime,
		Duration: span(rec.StartTime, rec.EndTime, now), Repairs: rec.RepairCount}
}

// failureSummary names the first task, in dependency order, that failed or
// timed out, with its last error, for a run's state message.
func failureSummary(def *Job, states map[string]State, messages map[string]string) string {
	var parts []string
	for _, k := range def.order() {
		switch states[k] {
		case StateFailed, StateTimedOut:
			msg := fmt.Sprintf("task %s %s", k, states[k])
			if m := messages[k]; m != "" {
				msg += ": " + m
			}
			parts = append(parts, msg)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	if len(parts) > 1 {
		return fmt.Sprintf("%s (and %d more)", parts[0], len(parts)-1)
	}
	return parts[0]
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

func joinKeys(keys []string) string { return strings.Join(keys, ", ") }
