package job

import (
	"context"
	"time"
)

// Store keeps the run history. Every method is one durable write or one
// consistent read; the runner calls it at every state change, so what a
// crash leaves behind is the truth up to that instant. Implementations must
// be safe for concurrent use by the goroutines of one process and by other
// processes sharing the same history.
//
// The SQLite implementation is OpenSQLite; a Delta-table backend could
// replace it by implementing these methods.
type Store interface {
	// CreateRun inserts a run (its repair 0 and a PENDING row per task of
	// rec.Tasks) and returns its id, larger than any id issued before.
	CreateRun(ctx context.Context, rec RunRecord) (int64, error)
	// Admit moves run id to RUNNING (start time at) if fewer than limit
	// runs of the same job are RUNNING and no older run of the job is still
	// waiting for admission, counting only runs whose runner alive reports
	// as alive. It reports whether it did; it is atomic across processes.
	Admit(ctx context.Context, id int64, limit int, alive func(Runner) bool, at time.Time) (bool, error)
	// SetRunState records a run's state. A terminal state also sets the
	// end time of the run and of its latest repair.
	SetRunState(ctx context.Context, id int64, state State, message string, at time.Time) error
	// Heartbeat records that the run's runner is alive at time at.
	Heartbeat(ctx context.Context, id int64, at time.Time) error
	// StartRepair opens repair rep.ID of run id for runner, provided the run
	// has had exactly rep.ID-1 repairs (else ErrConflict), and inserts a
	// PENDING row per task of rep.Tasks.
	StartRepair(ctx context.Context, id int64, runner Runner, rep RepairRecord) error
	// PutTask inserts or replaces a task's row in one repair of a run.
	PutTask(ctx context.Context, id int64, t TaskRecord) error
	// PutAttempt inserts or replaces one attempt of a task.
	PutAttempt(ctx context.Context, id int64, a AttemptRecord) error
	// Run returns a run with its repairs, tasks and attempts, or
	// ErrRunNotFound.
	Run(ctx context.Context, id int64) (*RunRecord, error)
	// Runs returns run summaries, newest first (no tasks, no job JSON).
	Runs(ctx context.Context, f RunFilter) ([]RunRecord, error)
	Close() error
}

// Runner identifies the process executing a run, so a reader can tell a run
// whose runner died from one in progress.
type Runner struct {
	Host string `json:"host"`
	PID  int    `json:"pid"`
	// Start is the process start time as the OS reports it ("" when
	// unknown); it tells a recycled PID from the original process.
	Start     string    `json:"process_start,omitempty"`
	Heartbeat time.Time `json:"heartbeat,omitzero"`
}

// Trigger says what started a run or a repair.
type Trigger string

// Triggers.
const (
	TriggerManual   Trigger = "manual"
	TriggerSchedule Trigger = "schedule"
	TriggerRepair   Trigger = "repair"
)

// RunRecord is a run as stored.
type RunRecord struct {
	ID           int64
	JobName      string
	JobJSON      []byte
	Trigger      Trigger
	State        State
	StateMessage string
	Parameters   map[string]string // job-level, effective
	Overrides    map[string]string
	QueuedAt     time.Time
	StartTime    time.Time
	EndTime      time.Time
	Runner       Runner
	RepairCount  int
	Repairs      []RepairRecord // repair 0 is the original run
	Tasks        []TaskRecord   // every task of every repair (CreateRun: repair 0's)
	Attempts     []AttemptRecord
}

// RepairRecord is one pass over a run: repair 0 is the original run, later
// ones rerun some tasks.
type RepairRecord struct {
	ID        int
	Trigger   Trigger
	State     State
	StartTime time.Time
	EndTime   time.Time
	Rerun     []string     // task keys this pass runs
	Tasks     []TaskRecord // StartRepair: the PENDING rows to insert
}

// TaskRecord is a task's outcome in one repair of a run.
type TaskRecord struct {
	RepairID     int
	TaskKey      string
	State        State
	StateMessage string
	Params       map[string]string
	StartTime    time.Time
	EndTime      time.Time
}

// AttemptRecord is one attempt of a task in one repair of a run. Attempts
// are numbered from 1 within a repair.
type AttemptRecord struct {
	RepairID  int
	TaskKey   string
	Number    int
	State     State
	StartTime time.Time
	EndTime   time.Time
	Error     string
	Metrics   Metrics
}

// RunFilter selects runs for ListRuns.
type RunFilter struct {
	JobName string  // "" = every job
	States  []State // nil = every state (as stored, before runner-death detection)
	Limit   int     // 0 = 25
}
