package delta

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta/deltatest"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/local"
)

// helperEnv selects a helper role when the test binary re-executes itself
// as a child process; the helpers are in concurrency_test.go and
// crash_test.go.
const helperEnv = "LAKEHOUSE_DELTA_HELPER"

// Parameters of helper processes.
const (
	envRoot  = "LAKEHOUSE_DELTA_HELPER_ROOT"
	envID    = "LAKEHOUSE_DELTA_HELPER_ID"
	envCount = "LAKEHOUSE_DELTA_HELPER_COUNT"
	envStart = "LAKEHOUSE_DELTA_HELPER_START" // Unix nanoseconds
	envSync  = "LAKEHOUSE_DELTA_HELPER_SYNC"  // "1": fsync (local.Options{})
)

func TestMain(m *testing.M) {
	if role := os.Getenv(helperEnv); role != "" {
		if err := runHelper(role); err != nil {
			fmt.Fprintf(os.Stderr, "helper %s: %v\n", role, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runHelper(role string) error {
	st, err := local.New(os.Getenv(envRoot), local.Options{NoSync: os.Getenv(envSync) != "1"})
	if err != nil {
		return err
	}
	tbl := Open(st, Options{})
	switch role {
	case "append":
		return helperAppend(tbl)
	case "commit-loop":
		return helperCommitLoop(tbl)
	}
	return fmt.Errorf("unknown helper role %q", role)
}

// raceSchema is the table the multi-process tests append to.
func raceSchema() *column.Schema {
	return &column.Schema{Fields: []column.Field{
		{Name: "id", Type: column.TypeString},
		{Name: "proc", Type: column.TypeLong},
		{Name: "seq", Type: column.TypeLong},
	}}
}

const rowsPerCommit = 3

func raceBatch(s *column.Schema, proc, seq int) *column.Batch {
	b := column.NewBatch(s, rowsPerCommit)
	for k := range rowsPerCommit {
		b.Cols[0].AppendString(fmt.Sprintf("p%d-%d-%d", proc, seq, k))
		b.Cols[1].AppendInt(int64(proc))
		b.Cols[2].AppendInt(int64(seq))
	}
	return b
}

// helperAppend waits for the shared start time, commits COUNT appends and
// prints the version of each.
func helperAppend(tbl *Table) error {
	ctx := context.Background()
	id, _ := strconv.Atoi(os.Getenv(envID))
	count, _ := strconv.Atoi(os.Getenv(envCount))
	startNS, err := strconv.ParseInt(os.Getenv(envStart), 10, 64)
	if err != nil {
		return err
	}
	s, err := tbl.Snapshot(ctx)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	time.Sleep(time.Until(time.Unix(0, startNS)))
	for seq := range count {
		r, err := s.Append(ctx, Batches(raceBatch(s.Schema(), id, seq)), CommitOptions{})
		if err != nil {
			return fmt.Errorf("append %d: %w", seq, err)
		}
		s = r.Snapshot
		fmt.Fprintln(out, r.Version)
	}
	return nil
}

// startHelper runs the test binary as a helper process.
func startHelper(t *testing.T, role string, env ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(append(os.Environ(), helperEnv+"="+role), env...)
	out := new(bytes.Buffer)
	cmd.Stdout = out
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out
}

// TestMultiProcessAppends runs 8 processes that each commit 50 appends to
// one table at once. Every commit must land exactly once: versions 1..400
// with no gap, each reported by exactly one process, every file present,
// exactly the rows written, and the checker finds nothing (checkpoints
// written by whichever process committed a multiple of 10 included).
func TestMultiProcessAppends(t *testing.T) {
	const procs, perProc = 8, 50
	ctx := context.Background()
	dir := t.TempDir()
	st, err := local.New(dir, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tbl := Open(st, Options{})
	if _, err := tbl.Create(ctx, CreateOptions{Name: "race", Schema: raceSchema()}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(500 * time.Millisecond)
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*bytes.Buffer, procs)
	for id := range procs {
		cmds[id], outs[id] = startHelper(t, "append", envRoot+"="+dir, envID+"="+strconv.Itoa(id),
			envCount+"="+strconv.Itoa(perProc), envStart+"="+strconv.FormatInt(start.UnixNano(), 10), envSync+"=1")
	}
	for id, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v", id, err)
		}
	}
	t.Logf("%d processes committed %d appends in %s (fsync on)", procs, procs*perProc, time.Since(start).Round(time.Millisecond))

	owner := map[int64]int{}
	for id, out := range outs {
		lines := strings.Fields(out.String())
		if len(lines) != perProc {
			t.Fatalf("process %d reported %d commits, want %d", id, len(lines), perProc)
		}
		prev := int64(0)
		for _, l := range lines {
			v, err := strconv.ParseInt(l, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			if v <= prev {
				t.Errorf("process %d: version %d after %d", id, v, prev)
			}
			prev = v
			if other, dup := owner[v]; dup {
				t.Errorf("version %d reported by processes %d and %d", v, other, id)
			}
			owner[v] = id
		}
	}
	for v := int64(1); v <= procs*perProc; v++ {
		if _, ok := owner[v]; !ok {
			t.Errorf("no process committed version %d", v)
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, LogDir))
	if err != nil {
		t.Fatal(err)
	}
	var commits []string
	for _, e := range entries {
		if ParseLogName(e.Name()).Kind == KindCommit {
			commits = append(commits, e.Name())
		}
	}
	if len(commits) != procs*perProc+1 || ParseLogName(commits[len(commits)-1]).Version != procs*perProc {
		t.Errorf("%d commit files, last %s; want versions 0..%d", len(commits), commits[len(commits)-1], procs*perProc)
	}

	s := mustSnapshot(t, Open(st, Options{}))
	if s.Version() != procs*perProc || s.NumFiles() != procs*perProc {
		t.Errorf("snapshot v%d with %d files, want v%d with %d", s.Version(), s.NumFiles(), procs*perProc, procs*perProc)
	}
	got, err := scanRows(t, s)
	if err != nil {
		t.Fatal(err)
	}
	var want []*column.Batch
	for id := range procs {
		for seq := range perProc {
			want = append(want, raceBatch(s.Schema(), id, seq))
		}
	}
	if diff := cmp.Diff(rowStrings(s.Schema(), want), got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	deltatest.Check(t, dir)
}

// conflictTable creates a table partitioned by day with rows in days
// 20000 and 20001, and returns the snapshot both racers read.
func conflictTable(t *testing.T) (*Table, *Snapshot) {
	t.Helper()
	tbl, s := newTestTable(t, true)
	r, err := s.Append(context.Background(), Batches(eventsBatch(s.Schema(), 20000, "a0", "a1"), eventsBatch(s.Schema(), 20001, "b0")), CommitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tbl, r.Snapshot
}

// race runs the operations at once (released together) and returns their errors.
func race(ops ...func() error) []error {
	errs := make([]error, len(ops))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = op()
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// outcome checks that exactly the operations marked ok succeeded and the
// others failed with a *ConflictError of kind.
func checkOutcome(t *testing.T, errs []error, wantConflicts int, kind string) {
	t.Helper()
	conflicts := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		var ce *ConflictError
		if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) {
			t.Errorf("err = %v, want a *ConflictError", err)
			continue
		}
		if ce.Kind != kind {
			t.Errorf("conflict kind %s (%v), want %s", ce.Kind, err, kind)
		}
		conflicts++
	}
	if conflicts != wantConflicts {
		t.Errorf("%d conflicts (%v), want %d", conflicts, errs, wantConflicts)
	}
}

func replaceDay(ctx context.Context, s *Snapshot, day int64, ids ...string) func() error {
	return func() error {
		_, err := s.ReplaceWhere(ctx, Eq("day", day), Batches(eventsBatch(s.Schema(), day, ids...)), CommitOptions{})
		return err
	}
}

func appendDay(ctx context.Context, s *Snapshot, day int64, o CommitOptions, ids ...string) func() error {
	return func() error {
		_, err := s.Append(ctx, Batches(eventsBatch(s.Schema(), day, ids...)), o)
		return err
	}
}

func TestConcurrentReplaceWhereSamePartition(t *testing.T) {
	ctx := context.Background()
	for round := range 5 {
		tbl, s := conflictTable(t)
		errs := race(replaceDay(ctx, s, 20000, "x"), replaceDay(ctx, s, 20000, "y"))
		checkOutcome(t, errs, 1, "ConcurrentDeleteDelete")
		want := []string{"b0", "x"}
		if errs[0] != nil {
			want = []string{"b0", "y"}
		}
		latest := mustSnapshot(t, tbl)
		if diff := cmp.Diff(want, ids(t, latest)); diff != "" || latest.Version() != 2 {
			t.Errorf("round %d: v%d rows (-want +got):\n%s", round, latest.Version(), diff)
		}
	}
}

func TestConcurrentReplaceWhereDifferentPartitions(t *testing.T) {
	ctx := context.Background()
	tbl, s := conflictTable(t)
	checkOutcome(t, race(replaceDay(ctx, s, 20000, "x"), replaceDay(ctx, s, 20001, "y")), 0, "")
	latest := mustSnapshot(t, tbl)
	if diff := cmp.Diff([]string{"x", "y"}, ids(t, latest)); diff != "" || latest.Version() != 3 {
		t.Errorf("v%d rows (-want +got):\n%s", latest.Version(), diff)
	}
}

// TestBlindAppendRacingReplaceWhere: a blind append reads nothing, so it
// always rebases over a replaceWhere. The replaceWhere read its partition:
// under Serializable (what our commits record) it conflicts when a
// concurrent append put files into that partition first, and not when the
// append went elsewhere.
func TestBlindAppendRacingReplaceWhere(t *testing.T) {
	ctx := context.Background()
	t.Run("different partitions at once", func(t *testing.T) {
		tbl, s := conflictTable(t)
		checkOutcome(t, race(replaceDay(ctx, s, 20000, "x"), appendDay(ctx, s, 20001, CommitOptions{}, "n")), 0, "")
		if diff := cmp.Diff([]string{"b0", "n", "x"}, ids(t, mustSnapshot(t, tbl))); diff != "" {
			t.Error(diff)
		}
	})
	t.Run("same partition, replaceWhere first", func(t *testing.T) {
		tbl, s := conflictTable(t)
		if err := replaceDay(ctx, s, 20000, "x")(); err != nil {
			t.Fatal(err)
		}
		if err := appendDay(ctx, s, 20000, CommitOptions{}, "n")(); err != nil {
			t.Fatalf("stale blind append: %v", err)
		}
		if diff := cmp.Diff([]string{"b0", "n", "x"}, ids(t, mustSnapshot(t, tbl))); diff != "" {
			t.Error(diff)
		}
	})
	t.Run("same partition, append first", func(t *testing.T) {
		tbl, s := conflictTable(t)
		if err := appendDay(ctx, s, 20000, CommitOptions{}, "n")(); err != nil {
			t.Fatal(err)
		}
		checkOutcome(t, []error{replaceDay(ctx, s, 20000, "x")()}, 1, "ConcurrentAppend")
		if diff := cmp.Diff([]string{"a0", "a1", "b0", "n"}, ids(t, mustSnapshot(t, tbl))); diff != "" {
			t.Error(diff)
		}
	})
}

func TestConcurrentMergesSameKeys(t *testing.T) {
	ctx := context.Background()
	tbl, s := conflictTable(t)
	merge := func(ids ...string) func() error {
		return func() error {
			_, err := s.Merge(ctx, eventsBatch(s.Schema(), 20000, ids...), MergeOptions{Keys: []string{"id"}})
			return err
		}
	}
	errs := race(merge("a0", "m1"), merge("a0", "a1", "m2"))
	conflicts := slices.IndexFunc(errs, func(err error) bool { return err != nil })
	if conflicts < 0 || errs[1-conflicts] != nil {
		t.Fatalf("errs %v, want exactly one conflict", errs)
	}
	var ce *ConflictError
	if !errors.As(errs[conflicts], &ce) {
		t.Fatalf("err = %v, want a *ConflictError", errs[conflicts])
	}
	want := []string{"a0", "a1", "b0", "m1"}
	if conflicts == 0 {
		want = []string{"a0", "a1", "b0", "m2"}
	}
	if diff := cmp.Diff(want, ids(t, mustSnapshot(t, tbl))); diff != "" {
		t.Error(diff)
	}
	deltatest.Check(t, tbl.Store().(interface{ Root() string }).Root())
}

// TestConcurrentMergesDisjointScopes: merges scoped to different
// partitions do not read each other's files and both commit.
func TestConcurrentMergesDisjointScopes(t *testing.T) {
	ctx := context.Background()
	tbl, s := conflictTable(t)
	merge := func(day int64, ids ...string) func() error {
		return func() error {
			_, err := s.Merge(ctx, eventsBatch(s.Schema(), day, ids...), MergeOptions{Keys: []string{"id"}, Scope: Eq("day", day)})
			return err
		}
	}
	checkOutcome(t, race(merge(20000, "a0", "m1"), merge(20001, "b0", "m2")), 0, "")
	if diff := cmp.Diff([]string{"a0", "a1", "b0", "m1", "m2"}, ids(t, mustSnapshot(t, tbl))); diff != "" {
		t.Error(diff)
	}
}

func TestConcurrentAppID(t *testing.T) {
	ctx := context.Background()
	tbl, s := conflictTable(t)
	errs := race(appendDay(ctx, s, 20001, CommitOptions{AppID: "loader", AppVersion: 7}, "t1"),
		appendDay(ctx, s, 20001, CommitOptions{AppID: "loader", AppVersion: 8}, "t2"))
	checkOutcome(t, errs, 1, "ConcurrentTransaction")
	latest := mustSnapshot(t, tbl)
	v, _ := latest.TxnVersion("loader")
	if (errs[0] == nil && v != 7) || (errs[1] == nil && v != 8) || latest.Version() != 2 {
		t.Errorf("v%d with txn loader=%d after %v", latest.Version(), v, errs)
	}
	// Other applications' appends still rebase.
	checkOutcome(t, race(appendDay(ctx, latest, 20001, CommitOptions{AppID: "a", AppVersion: 1}, "u1"),
		appendDay(ctx, latest, 20001, CommitOptions{AppID: "b", AppVersion: 1}, "u2")), 0, "")
}
