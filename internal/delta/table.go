package delta

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// Options configure a Table handle.
type Options struct {
	// Now returns the current time (commit timestamps, file mtimes); default
	// time.Now. Writers call it from several goroutines at once.
	Now func() time.Time
	// EngineInfo is written into commitInfo.engineInfo.
	EngineInfo string
	// MaxCommitAttempts bounds retries of a commit that loses the race (default 1000).
	MaxCommitAttempts int
	// CheckpointInterval overrides delta.checkpointInterval when > 0.
	CheckpointInterval int
	// Rand returns a float in [0,1) for backoff jitter; default math/rand.
	Rand func() float64
	// SessionTimeZone is the zone in which timestamp partition values
	// written without an offset (Spark's legacy form) are read; default UTC.
	SessionTimeZone *time.Location
}

// Table is a handle on a Delta table stored under a store's root. It holds
// no state about the log: every read lists the log again, so one handle can
// be shared by goroutines and sees other processes' commits.
type Table struct {
	store storage.Store
	opts  Options
}

// Open returns a handle on the table rooted at store (see storage.Sub).
// It does no IO.
func Open(store storage.Store, opts Options) *Table {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.EngineInfo == "" {
		opts.EngineInfo = "lakehouse/0.1.0"
	}
	if opts.SessionTimeZone == nil {
		opts.SessionTimeZone = time.UTC
	}
	if opts.MaxCommitAttempts <= 0 {
		opts.MaxCommitAttempts = 1000
	}
	return &Table{store: store, opts: opts}
}

// Store returns the store the table lives in.
func (t *Table) Store() storage.Store { return t.store }

// Exists reports whether the table has a log.
func (t *Table) Exists(ctx context.Context) (bool, error) {
	files, err := t.store.List(ctx, LogDir+"/", "")
	if err != nil {
		return false, fmt.Errorf("list %s: %w", LogDir, err)
	}
	for _, f := range files {
		switch ParseLogName(baseName(f.Name)).Kind {
		case KindCommit, KindCheckpoint, KindMultiPartCheckpoint, KindUUIDCheckpoint:
			return true, nil
		}
	}
	return false, nil
}

// Snapshot loads the latest version of the table.
func (t *Table) Snapshot(ctx context.Context) (*Snapshot, error) {
	return t.load(ctx, -1)
}

// SnapshotAt loads the table as of version v.
func (t *Table) SnapshotAt(ctx context.Context, v int64) (*Snapshot, error) {
	if v < 0 {
		return nil, fmt.Errorf("%w: version %d", ErrVersionNotFound, v)
	}
	return t.load(ctx, v)
}

// SnapshotAsOf loads the latest version committed at or before ts.
func (t *Table) SnapshotAsOf(ctx context.Context, ts time.Time) (*Snapshot, error) {
	v, err := t.VersionAsOf(ctx, ts)
	if err != nil {
		return nil, err
	}
	return t.load(ctx, v)
}

func baseName(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			return name[i+1:]
		}
	}
	return name
}

func notExist(err error) bool { return errors.Is(err, storage.ErrNotExist) }

// partitionValue parses a partition value of this table.
func (t *Table) partitionValue(ct *column.Type, p *string) (any, error) {
	return parsePartitionValueIn(ct, p, t.opts.SessionTimeZone)
}
