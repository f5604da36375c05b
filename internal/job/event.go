package job

import (
	"fmt"
	"strings"
	"time"
)

// EventKind names what happened.
type EventKind string

// Event kinds.
const (
	EventRunQueued     EventKind = "run_queued"     // a run waits for a free slot
	EventRunStarted    EventKind = "run_started"    // a run or repair began executing tasks
	EventRunFinished   EventKind = "run_finished"   // a run or repair ended (State)
	EventTaskStarted   EventKind = "task_started"   // an attempt began
	EventTaskFinished  EventKind = "task_finished"  // an attempt ended (State, Duration, Message = error)
	EventTaskRetrying  EventKind = "task_retrying"  // a task waits Duration before its next attempt
	EventTaskSkipped   EventKind = "task_skipped"   // a task did not run (State says why)
	EventScheduleNext  EventKind = "schedule_next"  // the scheduler waits for FireTime
	EventScheduleFired EventKind = "schedule_fired" // a fire time came; RunID is its run
	EventScheduleStop  EventKind = "schedule_stop"  // the scheduler is shutting down (Message)
	EventScheduleError EventKind = "schedule_error" // a fired run could not be run or recorded (Message)
)

// Event is a progress report for OnEvent hooks, e.g. the CLI's
// "task X succeeded in 1.2s" lines.
type Event struct {
	Kind     EventKind
	Time     time.Time
	Job      string
	RunID    int64
	RepairID int
	Task     string
	Attempt  int
	State    State
	Duration Duration
	FireTime time.Time
	Message  string
}

// String renders the event as one line of progress text.
func (e Event) String() string {
	run := fmt.Sprintf("run %d", e.RunID)
	if e.RepairID > 0 {
		run = fmt.Sprintf("repair %d of run %d", e.RepairID, e.RunID)
	}
	task := "task " + e.Task
	if e.Attempt > 1 {
		task += fmt.Sprintf(" (attempt %d)", e.Attempt)
	}
	withMsg := func(s string) string {
		if e.Message != "" {
			return s + ": " + e.Message
		}
		return s
	}
	switch e.Kind {
	case EventRunQueued:
		return withMsg(fmt.Sprintf("%s of %s queued", run, e.Job))
	case EventRunStarted:
		return withMsg(fmt.Sprintf("%s of %s started", run, e.Job))
	case EventRunFinished:
		return withMsg(fmt.Sprintf("%s of %s ended %s in %s", run, e.Job, e.State, e.Duration))
	case EventTaskStarted:
		return task + " started"
	case EventTaskFinished:
		verb := map[State]string{
			StateSuccess:  "succeeded",
			StateFailed:   "failed",
			StateTimedOut: "timed out",
			StateCanceled: "was canceled",
		}[e.State]
		if verb == "" {
			verb = "ended " + string(e.State)
		}
		return withMsg(fmt.Sprintf("%s %s in %s", task, verb, e.Duration))
	case EventTaskRetrying:
		return withMsg(fmt.Sprintf("task %s retries in %s", e.Task, e.Duration))
	case EventTaskSkipped:
		return withMsg(fmt.Sprintf("task %s %s", e.Task, e.State))
	case EventScheduleNext:
		return fmt.Sprintf("%s: next run at %s", e.Job, e.FireTime.Format("2006-01-02 15:04:05 MST"))
	case EventScheduleFired:
		return withMsg(fmt.Sprintf("%s: fired for %s as run %d", e.Job, e.FireTime.Format("2006-01-02 15:04:05 MST"), e.RunID))
	case EventScheduleStop:
		return withMsg(e.Job + ": scheduler stopping")
	case EventScheduleError:
		return withMsg(fmt.Sprintf("%s: run for %s", e.Job, e.FireTime.Format("2006-01-02 15:04:05 MST")))
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", e.Kind, run, e.Message))
}
