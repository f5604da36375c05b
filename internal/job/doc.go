// Package job runs Databricks-style jobs on one machine: it parses Jobs API
// 2.1 job JSON (Parse, DefaultJob), runs the task DAG with run_if
// conditions, retries and timeouts (Service.RunJob), keeps a run history that
// outlives the process (Store, OpenSQLite), repairs a failed run in place
// (Service.Repair), fires runs on a Quartz cron schedule (Service.Schedule,
// NextFireTimes) and renders runs as text or JSON (RenderRuns, RenderRun).
//
// Tasks are notebook tasks. Each maps to a built-in TaskFunc of a Registry by
// the last element of its notebook_path, an ordering prefix such as "01_"
// dropped. Other task types are rejected when the job is parsed.
//
// # Semantics (after the Databricks documentation)
//
//   - Parameters: base_parameters < job-level parameter defaults < run-time
//     overrides, which reach every task (see params.go).
//   - run_if is evaluated once a task's dependencies are all done; a task
//     whose condition is not met becomes UPSTREAM_FAILED / UPSTREAM_CANCELED
//     (ALL_SUCCESS, AT_LEAST_ONE_SUCCESS, NONE_FAILED) or EXCLUDED
//     (AT_LEAST_ONE_FAILED, ALL_FAILED); EXCLUDED counts as success
//     downstream (see decide in state.go).
//   - A run ends SUCCESS when every task succeeded or was excluded,
//     SUCCESS_WITH_FAILURES when only non-leaf tasks failed, FAILED when a
//     leaf did not succeed, TIMEDOUT on the job timeout, CANCELED when its
//     context was canceled, SKIPPED when max_concurrent_runs was reached
//     without queueing.
//   - Retries: max_retries more attempts after a FAILED one (-1 means
//     "indefinitely", capped by Config.RetryCap), each starting at least
//     min_retry_interval_millis after the start of the failed attempt; a
//     TIMEDOUT attempt is retried only with retry_on_timeout. A panic in a
//     task is a FAILED attempt with the panic text.
//   - Repair reruns, in the same run, the tasks whose latest state is not a
//     success (or that never finished because the runner died) and all
//     their downstream tasks, as a numbered repair with its own attempts.
//   - Schedules: Quartz syntax through go-quartz on wall-clock time; DST
//     gaps fire at the first valid instant after the named time, repeated
//     hours fire once (see cron.go).
//
// # Invariants
//
// Every state change of a run, task or attempt is written to the Store when
// it happens, before the next step, so a crash leaves the truth on disk up
// to that instant. Run ids only grow. A run records the job JSON and the
// effective parameters it ran with; a repair uses those, not the current
// file. A run that is not terminal names its runner (host, PID, process
// start time) and carries a heartbeat, so readers report a run whose runner
// is gone as FAILED ("runner died") instead of RUNNING forever.
//
// # History store
//
// Store is the small interface the Service needs; SQLiteStore implements it
// with modernc.org/sqlite (pure Go, so CGO_ENABLED=0 builds work) in WAL mode
// with synchronous=NORMAL, a busy timeout and one connection, with a
// versioned schema (table schema_version). SQLite was chosen over a Delta
// table because run history is small, updated in place many times per run
// (every state change) and read by id and by job, by several processes at
// once: a row update under a file lock costs microseconds, while a Delta
// table would add a commit (and a log file) per state change and need
// compaction. A Delta backend stays possible behind Store, e.g. to share
// history through object storage.
//
// # Imports
//
// job imports no other package of the module: the task bodies arrive as
// functions. internal/app wires a Registry and a Store into a Service, and
// internal/cli renders with RenderRuns and RenderRun.
package job
