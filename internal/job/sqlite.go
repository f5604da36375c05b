package job

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// SQLiteStore is the Store kept in one SQLite file (modernc.org/sqlite, pure
// Go) in WAL mode with synchronous=NORMAL: a committed write survives a crash
// of the process; the last writes before a power loss may not. Writers in
// other processes wait up to the busy timeout for the file lock. Every write
// is one transaction.
type SQLiteStore struct {
	db *sql.DB
}

var _ Store = (*SQLiteStore)(nil)

// busyTimeout is how long a write waits for another process's lock.
const busyTimeout = 10 * time.Second

// OpenSQLite opens (creating if needed, with its parent directory) the run
// history at path and brings its schema up to date.
func OpenSQLite(ctx context.Context, path string) (*SQLiteStore, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open run history %s: %w", path, err)
		}
	}
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_foreign_keys", "1")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open run history %s: %w", path, err)
	}
	// One connection: SQLite has one writer at a time anyway, and a single
	// connection keeps this process's writes in order without SQLITE_BUSY
	// between its own goroutines.
	db.SetMaxOpenConns(1)
	s := &SQLiteStore{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open run history %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *SQLiteStore) Close() error { return s.db.Close() }

// migrations[i] brings the schema from version i to i+1. Append only.
var migrations = []string{
	`
CREATE TABLE runs (
	run_id        INTEGER PRIMARY KEY AUTOINCREMENT,
	job_name      TEXT    NOT NULL,
	job_json      TEXT    NOT NULL,
	trigger       TEXT    NOT NULL,
	state         TEXT    NOT NULL,
	state_message TEXT    NOT NULL DEFAULT '',
	parameters    TEXT    NOT NULL DEFAULT '{}',
	overrides     TEXT    NOT NULL DEFAULT '{}',
	queued_at     INTEGER,
	start_time    INTEGER,
	end_time      INTEGER,
	runner_host   TEXT    NOT NULL DEFAULT '',
	runner_pid    INTEGER NOT NULL DEFAULT 0,
	runner_start  TEXT    NOT NULL DEFAULT '',
	heartbeat_at  INTEGER,
	repair_count  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_by_job ON runs (job_name, run_id DESC);
CREATE INDEX runs_by_state ON runs (state);
CREATE TABLE repairs (
	run_id     INTEGER NOT NULL REFERENCES runs (run_id),
	repair_id  INTEGER NOT NULL,
	trigger    TEXT    NOT NULL,
	state      TEXT    NOT NULL,
	start_time INTEGER,
	end_time   INTEGER,
	rerun      TEXT    NOT NULL DEFAULT '[]',
	PRIMARY KEY (run_id, repair_id)
);
CREATE TABLE task_runs (
	run_id        INTEGER NOT NULL REFERENCES runs (run_id),
	repair_id     INTEGER NOT NULL,
	task_key      TEXT    NOT NULL,
	state         TEXT    NOT NULL,
	state_message TEXT    NOT NULL DEFAULT '',
	params        TEXT    NOT NULL DEFAULT '{}',
	start_time    INTEGER,
	end_time      INTEGER,
	PRIMARY KEY (run_id, repair_id, task_key)
);
CREATE TABLE attempts (
	run_id     INTEGER NOT NULL REFERENCES runs (run_id),
	repair_id  INTEGER NOT NULL,
	task_key   TEXT    NOT NULL,
	attempt    INTEGER NOT NULL,
	state      TEXT    NOT NULL,
	start_time INTEGER,
	end_time   INTEGER,
	error      TEXT    NOT NULL DEFAULT '',
	metrics    TEXT    NOT NULL DEFAULT 'null',
	PRIMARY KEY (run_id, repair_id, task_key, attempt)
);
`,
}

func (s *SQLiteStore) migrate(ctx context.Context) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version    INTEGER PRIMARY KEY,
			applied_at INTEGER NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_version: %w", err)
		}
		var v int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if v > len(migrations) {
			return fmt.Errorf("schema version %d is newer than this program knows (%d); upgrade lakehouse", v, len(migrations))
		}
		for i := v; i < len(migrations); i++ {
			if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
				return fmt.Errorf("migrate schema to version %d: %w", i+1, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`,
				i+1, time.Now().UnixMicro()); err != nil {
				return fmt.Errorf("record schema version %d: %w", i+1, err)
			}
		}
		return nil
	})
}

// SchemaVersion returns the schema version of the open database.
func (s *SQLiteStore) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	return v, err
}

func (s *SQLiteStore) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// micros encodes a time as Unix microseconds, NULL for the zero time.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func mapText(m map[string]string) string {
	if m == nil {
		m = map[string]string{}
	}
	s, _ := jsonText(m) // a map of strings always marshals
	return s
}

func parseMap(s string) map[string]string {
	m := map[string]string{}
	_ = json.Unmarshal([]byte(s), &m) // written by mapText
	return m
}

// metricsText marshals metrics; values JSON cannot hold are recorded as an
// error note rather than failing the run.
func metricsText(m Metrics) string {
	s, err := jsonText(m)
	if err != nil {
		s, _ = jsonText(map[string]string{"metrics_error": err.Error()})
	}
	return s
}

// CreateRun implements Store.
func (s *SQLiteStore) CreateRun(ctx context.Context, rec RunRecord) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO runs (job_name, job_json, trigger, state, state_message,
			parameters, overrides, queued_at, start_time, end_time, runner_host, runner_pid, runner_start, heartbeat_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			rec.JobName, string(rec.JobJSON), string(rec.Trigger), string(rec.State), rec.StateMessage,
			mapText(rec.Parameters), mapText(rec.Overrides), micros(rec.QueuedAt), micros(rec.StartTime), micros(rec.EndTime),
			rec.Runner.Host, rec.Runner.PID, rec.Runner.Start, micros(rec.Runner.Heartbeat))
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO repairs (run_id, repair_id, trigger, state, start_time, rerun)
			VALUES (?, 0, ?, ?, ?, ?)`, id, string(rec.Trigger), string(rec.State), micros(rec.StartTime), rerunText(rec.Tasks)); err != nil {
			return err
		}
		return insertTasks(ctx, tx, id, rec.Tasks)
	})
	if err != nil {
		return 0, fmt.Errorf("create run of job %q: %w", rec.JobName, err)
	}
	return id, nil
}

func rerunText(tasks []TaskRecord) string {
	keys := make([]string, len(tasks))
	for i, t := range tasks {
		keys[i] = t.TaskKey
	}
	s, _ := jsonText(keys)
	return s
}

func insertTasks(ctx context.Context, tx *sql.Tx, id int64, tasks []TaskRecord) error {
	for _, t := range tasks {
		if err := putTask(ctx, tx, id, t); err != nil {
			return err
		}
	}
	return nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func putTask(ctx context.Context, db execer, id int64, t TaskRecord) error {
	_, err := db.ExecContext(ctx, `INSERT OR REPLACE INTO task_runs
		(run_id, repair_id, task_key, state, state_message, params, start_time, end_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id, t.RepairID, t.TaskKey, string(t.State), t.StateMessage, mapText(t.Params), micros(t.StartTime), micros(t.EndTime))
	return err
}

// Admit implements Store.
func (s *SQLiteStore) Admit(ctx context.Context, id int64, limit int, alive func(Runner) bool, at time.Time) (bool, error) {
	admitted := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var job, state string
		if err := tx.QueryRowContext(ctx, `SELECT job_name, state FROM runs WHERE run_id = ?`, id).Scan(&job, &state); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("run %d: %w", id, ErrRunNotFound)
			}
			return err
		}
		if State(state) == StateRunning {
			admitted = true
			return nil
		}
		if State(state).Terminal() {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT run_id, state, runner_host, runner_pid, runner_start, heartbeat_at
			FROM runs WHERE job_name = ? AND state IN ('PENDING', 'QUEUED', 'RUNNING') AND run_id <> ?`, job, id)
		if err != nil {
			return err
		}
		active, olderWaiting := 0, false
		for rows.Next() {
			var other int64
			var st string
			var r Runner
			var hb sql.NullInt64
			if err := rows.Scan(&other, &st, &r.Host, &r.PID, &r.Start, &hb); err != nil {
				rows.Close()
				return err
			}
			r.Heartbeat = fromMicros(hb)
			if !alive(r) {
				continue
			}
			if State(st) == StateRunning {
				active++
			} else if other < id {
				olderWaiting = true
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if active >= limit || olderWaiting {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET state = 'RUNNING', state_message = '', start_time = ?, heartbeat_at = ?
			WHERE run_id = ?`, micros(at), micros(at), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE repairs SET state = 'RUNNING', start_time = ? WHERE run_id = ? AND repair_id = 0`,
			micros(at), id); err != nil {
			return err
		}
		admitted = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("admit run %d: %w", id, err)
	}
	return admitted, nil
}

// SetRunState implements Store.
func (s *SQLiteStore) SetRunState(ctx context.Context, id int64, state State, message string, at time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var end any
		if state.Terminal() {
			end = micros(at)
		}
		res, err := tx.ExecContext(ctx, `UPDATE runs SET state = ?, state_message = ?, end_time = ?,
			start_time = CASE WHEN ? = 'RUNNING' AND start_time IS NULL THEN ? ELSE start_time END
			WHERE run_id = ?`, string(state), message, end, string(state), micros(at), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrRunNotFound
		}
		_, err = tx.ExecContext(ctx, `UPDATE repairs SET state = ?, end_time = ?,
			start_time = CASE WHEN ? = 'RUNNING' AND start_time IS NULL THEN ? ELSE start_time END
			WHERE run_id = ? AND repair_id = (SELECT repair_count FROM runs WHERE run_id = ?)`,
			string(state), end, string(state), micros(at), id, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("record run %d state %s: %w", id, state, err)
	}
	return nil
}

// Heartbeat implements Store.
func (s *SQLiteStore) Heartbeat(ctx context.Context, id int64, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE runs SET heartbeat_at = ? WHERE run_id = ?`, micros(at), id); err != nil {
		return fmt.Errorf("record heartbeat of run %d: %w", id, err)
	}
	return nil
}

// StartRepair implements Store.
func (s *SQLiteStore) StartRepair(ctx context.Context, id int64, runner Runner, rep RepairRecord) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET state = 'RUNNING', state_message = '', end_time = NULL,
			repair_count = ?, runner_host = ?, runner_pid = ?, runner_start = ?, heartbeat_at = ?
			WHERE run_id = ? AND repair_count = ?`,
			rep.ID, runner.Host, runner.PID, runner.Start, micros(rep.StartTime), id, rep.ID-1)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		rerun, err := jsonText(rep.Rerun)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO repairs (run_id, repair_id, trigger, state, start_time, rerun)
			VALUES (?, ?, ?, 'RUNNING', ?, ?)`, id, rep.ID, string(rep.Trigger), micros(rep.StartTime), rerun); err != nil {
			return err
		}
		return insertTasks(ctx, tx, id, rep.Tasks)
	})
	if err != nil {
		return fmt.Errorf("start repair %d of run %d: %w", rep.ID, id, err)
	}
	return nil
}

// PutTask implements Store.
func (s *SQLiteStore) PutTask(ctx context.Context, id int64, t TaskRecord) error {
	if err := putTask(ctx, s.db, id, t); err != nil {
		return fmt.Errorf("record task %s of run %d: %w", t.TaskKey, id, err)
	}
	return nil
}

// PutAttempt implements Store.
func (s *SQLiteStore) PutAttempt(ctx context.Context, id int64, a AttemptRecord) error {
	_, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO attempts
		(run_id, repair_id, task_key, attempt, state, start_time, end_time, error, metrics)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, a.RepairID, a.TaskKey, a.Number, string(a.State), micros(a.StartTime), micros(a.EndTime), a.Error, metricsText(a.Metrics))
	if err != nil {
		return fmt.Errorf("record attempt %d of task %s in run %d: %w", a.Number, a.TaskKey, id, err)
	}
	return nil
}

const runColumns = `run_id, job_name, trigger, state, state_message, parameters, overrides,
	queued_at, start_time, end_time, runner_host, runner_pid, runner_start, heartbeat_at, repair_count`

type scanner interface{ Scan(dest ...any) error }

func scanRun(row scanner, extra ...any) (*RunRecord, error) {
	var r RunRecord
	var trigger, state, params, overrides string
	var queued, start, end, hb sql.NullInt64
	dest := append([]any{&r.ID, &r.JobName, &trigger, &state, &r.StateMessage, &params, &overrides,
		&queued, &start, &end, &r.Runner.Host, &r.Runner.PID, &r.Runner.Start, &hb, &r.RepairCount}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	r.Trigger, r.State = Trigger(trigger), State(state)
	r.Parameters, r.Overrides = parseMap(params), parseMap(overrides)
	r.QueuedAt, r.StartTime, r.EndTime, r.Runner.Heartbeat = fromMicros(queued), fromMicros(start), fromMicros(end), fromMicros(hb)
	return &r, nil
}

// Run implements Store.
func (s *SQLiteStore) Run(ctx context.Context, id int64) (*RunRecord, error) {
	var r *RunRecord
	// A read transaction gives one consistent snapshot across the tables.
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var jobJSON string
		var err error
		r, err = scanRun(tx.QueryRowContext(ctx, `SELECT `+runColumns+`, job_json FROM runs WHERE run_id = ?`, id), &jobJSON)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("run %d: %w", id, ErrRunNotFound)
		}
		if err != nil {
			return err
		}
		r.JobJSON = []byte(jobJSON)
		if r.Repairs, err = readRepairs(ctx, tx, id); err != nil {
			return err
		}
		if r.Tasks, err = readTasks(ctx, tx, id); err != nil {
			return err
		}
		r.Attempts, err = readAttempts(ctx, tx, id)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrRunNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("read run %d: %w", id, err)
	}
	return r, nil
}

func readRepairs(ctx context.Context, tx *sql.Tx, id int64) ([]RepairRecord, error) {
	rows, err := tx.QueryContext(ctx, `SELECT repair_id, trigger, state, start_time, end_time, rerun
		FROM repairs WHERE run_id = ? ORDER BY repair_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RepairRecord
	for rows.Next() {
		var rep RepairRecord
		var trigger, state, rerun string
		var start, end sql.NullInt64
		if err := rows.Scan(&rep.ID, &trigger, &state, &start, &end, &rerun); err != nil {
			return nil, err
		}
		rep.Trigger, rep.State = Trigger(trigger), State(state)
		rep.StartTime, rep.EndTime = fromMicros(start), fromMicros(end)
		_ = json.Unmarshal([]byte(rerun), &rep.Rerun) // written by jsonText
		out = append(out, rep)
	}
	return out, rows.Err()
}

func readTasks(ctx context.Context, tx *sql.Tx, id int64) ([]TaskRecord, error) {
	rows, err := tx.QueryContext(ctx, `SELECT repair_id, task_key, state, state_message, params, start_time, end_time
		FROM task_runs WHERE run_id = ? ORDER BY repair_id, task_key`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TaskRecord
	for rows.Next() {
		var t TaskRecord
		var state, params string
		var start, end sql.NullInt64
		if err := rows.Scan(&t.RepairID, &t.TaskKey, &state, &t.StateMessage, &params, &start, &end); err != nil {
			return nil, err
		}
		t.State, t.Params = State(state), parseMap(params)
		t.StartTime, t.EndTime = fromMicros(start), fromMicros(end)
		out = append(out, t)
	}
	return out, rows.Err()
}

func readAttempts(ctx context.Context, tx *sql.Tx, id int64) ([]AttemptRecord, error) {
	rows, err := tx.QueryContext(ctx, `SELECT repair_id, task_key, attempt, state, start_time, end_time, error, metrics
		FROM attempts WHERE run_id = ? ORDER BY repair_id, task_key, attempt`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AttemptRecord
	for rows.Next() {
		var a AttemptRecord
		var state, metrics string
		var start, end sql.NullInt64
		if err := rows.Scan(&a.RepairID, &a.TaskKey, &a.Number, &state, &start, &end, &a.Error, &metrics); err != nil {
			return nil, err
		}
		a.State = State(state)
		a.StartTime, a.EndTime = fromMicros(start), fromMicros(end)
		_ = json.Unmarshal([]byte(metrics), &a.Metrics) // written by metricsText
		out = append(out, a)
	}
	return out, rows.Err()
}

// Runs implements Store.
func (s *SQLiteStore) Runs(ctx context.Context, f RunFilter) ([]RunRecord, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 25
	}
	query := `SELECT ` + runColumns + ` FROM runs WHERE (? = '' OR job_name = ?)`
	args := []any{f.JobName, f.JobName}
	if len(f.States) > 0 {
		query += ` AND state IN (?` + strings.Repeat(", ?", len(f.States)-1) + `)`
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	query += ` ORDER BY run_id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []RunRecord
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		out = append(out, *r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}
