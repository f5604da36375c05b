package delta

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// CommitEntry is one version of the table's history.
type CommitEntry struct {
	Version   int64
	Timestamp time.Time // commit timestamp (in-commit timestamp or file mtime)
	Info      *CommitInfo
}

// VersionAsOf returns the latest version whose commit timestamp is at or
// before ts. File mtimes are made monotonic the way Spark does: a commit
// whose time is not after its predecessor's counts as predecessor + 1 ms;
// in-commit timestamps are used as written (see commitTimes).
func (t *Table) VersionAsOf(ctx context.Context, ts time.Time) (int64, error) {
	times, err := t.commitTimes(ctx)
	if err != nil {
		return 0, err
	}
	if len(times) == 0 {
		return 0, ErrNotATable
	}
	best := int64(-1)
	for _, ct := range times {
		if !ct.Timestamp.After(ts) {
			best = ct.Version
		}
	}
	if best < 0 {
		return 0, fmt.Errorf("%w: %s is before the earliest commit (version %d at %s)", ErrVersionNotFound,
			ts.UTC().Format(time.RFC3339Nano), times[0].Version, times[0].Timestamp.UTC().Format(time.RFC3339Nano))
	}
	return best, nil
}

// commitTimes returns the commit timestamps of the commits present. When
// the newest commit carries an in-commit timestamp, ICT is enabled
// (protocol digest §13): the unbroken run of commits that carry one, back
// from the newest, is timed by inCommitTimestamp as written (writers keep
// them increasing; a reader must not rewrite them). Older commits, written
// before ICT was enabled, are timed by file mtime made monotonic the way
// Spark does.
func (t *Table) commitTimes(ctx context.Context) ([]CommitEntry, error) {
	l, err := t.list(ctx, 0)
	if err != nil {
		return nil, err
	}
	versions := make([]int64, 0, len(l.commits))
	for v := range l.commits {
		versions = append(versions, v)
	}
	slices.Sort(versions)
	ict := map[int64]time.Time{}
	for i := len(versions) - 1; i >= 0; i-- {
		ts, ok := t.inCommitTimestamp(ctx, versions[i])
		if !ok {
			break
		}
		ict[versions[i]] = ts
	}
	out := make([]CommitEntry, 0, len(versions))
	var prev time.Time
	for _, v := range versions {
		if ts, ok := ict[v]; ok {
			out = append(out, CommitEntry{Version: v, Timestamp: ts})
			continue
		}
		ts := l.commits[v].ModTime
		if !prev.IsZero() && !ts.After(prev) {
			ts = prev.Add(time.Millisecond)
		}
		prev = ts
		out = append(out, CommitEntry{Version: v, Timestamp: ts})
	}
	return out, nil
}

// inCommitTimestamp returns the in-commit timestamp of commit v, if it has one.
func (t *Table) inCommitTimestamp(ctx context.Context, v int64) (time.Time, bool) {
	acts, err := t.readCommit(ctx, v)
	if err != nil {
		return time.Time{}, false
	}
	for i := range acts {
		if ci := acts[i].CommitInfo; ci != nil && ci.InCommitTimestamp != nil {
			return time.UnixMilli(*ci.InCommitTimestamp), true
		}
	}
	return time.Time{}, false
}

// History returns up to limit commits, newest first (limit ≤ 0: all).
func (t *Table) History(ctx context.Context, limit int) ([]CommitEntry, error) {
	times, err := t.commitTimes(ctx)
	if err != nil {
		return nil, err
	}
	if len(times) == 0 {
		return nil, ErrNotATable
	}
	slices.Reverse(times)
	if limit > 0 && len(times) > limit {
		times = times[:limit]
	}
	for i := range times {
		acts, err := t.readCommit(ctx, times[i].Version)
		if err != nil {
			return nil, err
		}
		for j := range acts {
			if acts[j].CommitInfo != nil {
				times[i].Info = acts[j].CommitInfo
				break
			}
		}
	}
	return times, nil
}

// VersionChanges is the actions of one commit.
type VersionChanges struct {
	Version int64
	Actions []Action
}

// Changes returns the actions of commits from+1 … to, in order. It fails
// with ErrVersionNotFound if one of them is no longer in the log.
func (t *Table) Changes(ctx context.Context, from, to int64) ([]VersionChanges, error) {
	out := make([]VersionChanges, 0, max(0, to-from))
	for v := from + 1; v <= to; v++ {
		data, err := t.store.Get(ctx, CommitName(v))
		if err != nil {
			if notExist(err) {
				return nil, fmt.Errorf("%w: commit %d is no longer in the log", ErrVersionNotFound, v)
			}
			return nil, fmt.Errorf("read commit %d: %w", v, err)
		}
		acts, err := ParseCommit(data)
		if err != nil {
			return nil, fmt.Errorf("read commit %d: %w", v, err)
		}
		out = append(out, VersionChanges{Version: v, Actions: acts})
	}
	return out, nil
}
