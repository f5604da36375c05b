package delta

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/local"
)

func eventsSchema() *column.Schema {
	return &column.Schema{Fields: []column.Field{
		{Name: "id", Type: column.TypeString, Nullable: false},
		{Name: "amount", Type: column.DecimalType(18, 2), Nullable: true},
		{Name: "ts", Type: column.TypeTimestamp, Nullable: true},
		{Name: "day", Type: column.TypeDate, Nullable: true},
	}}
}

func eventsBatch(s *column.Schema, day int64, ids ...string) *column.Batch {
	b := column.NewBatch(s, len(ids))
	for i, id := range ids {
		b.Cols[0].AppendString(id)
		b.Cols[1].AppendInt(int64(1000 + i))
		b.Cols[2].AppendInt(day*86400_000_000 + int64(i)*1_000_001)
		b.Cols[3].AppendInt(day)
	}
	return b
}

func newTestTable(t *testing.T, partitioned bool) (*Table, *Snapshot) {
	t.Helper()
	st, err := local.New(t.TempDir(), local.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	tbl := Open(st, Options{})
	opts := CreateOptions{Name: "events", Schema: eventsSchema()}
	if partitioned {
		opts.PartitionColumns = []string{"day"}
	}
	s, err := tbl.Create(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return tbl, s
}

func ids(t *testing.T, s *Snapshot) []string {
	t.Helper()
	var out []string
	sc, err := s.Scan(ScanOptions{Columns: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Each(context.Background(), func(b *column.Batch) error {
		for r := 0; r < b.Len(); r++ {
			out = append(out, b.Cols[0].Str(r))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return sortedCopy(out)
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			if c[j] < c[i] {
				c[i], c[j] = c[j], c[i]
			}
		}
	}
	return c
}

func TestCreateAppendReplaceMerge(t *testing.T) {
	ctx := context.Background()
	tbl, s := newTestTable(t, true)
	if _, err := tbl.Create(ctx, CreateOptions{Schema: eventsSchema()}); !errors.Is(err, ErrTableExists) {
		t.Fatalf("second create: %v, want ErrTableExists", err)
	}
	r, err := s.Append(ctx, Batches(eventsBatch(s.Schema(), 20000, "a", "b"), eventsBatch(s.Schema(), 20001, "c")), CommitOptions{AppID: "test", AppVersion: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 1 || r.FilesAdded != 2 || r.RowsWritten != 3 {
		t.Fatalf("append result %+v", r)
	}
	again, err := r.Snapshot.Append(ctx, Batches(eventsBatch(s.Schema(), 20000, "zzz")), CommitOptions{AppID: "test", AppVersion: 1})
	if err != nil || !again.Skipped {
		t.Fatalf("idempotent append: %+v %v", again, err)
	}
	latest, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, ids(t, latest)); diff != "" {
		t.Error(diff)
	}
	rw, err := latest.ReplaceWhere(ctx, Eq("day", "2024-10-04"), Batches(eventsBatch(s.Schema(), 20000, "d")), CommitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"c", "d"}, ids(t, rw.Snapshot)); diff != "" {
		t.Error(diff)
	}
	if _, err := rw.Snapshot.ReplaceWhere(ctx, Eq("day", "2024-10-04"), Batches(eventsBatch(s.Schema(), 20001, "x")), CommitOptions{}); err == nil {
		t.Error("replaceWhere accepted rows outside its predicate")
	}
	m, err := rw.Snapshot.Merge(ctx, eventsBatch(s.Schema(), 20001, "c", "e"), MergeOptions{Keys: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	if m.RowsUpdated != 1 || m.RowsInserted != 1 {
		t.Errorf("merge counts %+v", m)
	}
	fresh, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"c", "d", "e"}, ids(t, fresh)); diff != "" {
		t.Error(diff)
	}
	if fresh.Version() != m.Version || fresh.NumFiles() != m.Snapshot.NumFiles() {
		t.Errorf("post-commit snapshot v%d/%d files, reloaded v%d/%d", m.Version, m.Snapshot.NumFiles(), fresh.Version(), fresh.NumFiles())
	}
	old, err := tbl.SnapshotAt(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, ids(t, old)); diff != "" {
		t.Error(diff)
	}
}

func TestCheckpointEqualsReplay(t *testing.T) {
	ctx := context.Background()
	tbl, s := newTestTable(t, true)
	for i := 0; i < 23; i++ {
		r, err := s.Append(ctx, Batches(eventsBatch(s.Schema(), int64(20000+i%3), fmt.Sprintf("id%02d", i))), CommitOptions{AppID: "app", AppVersion: int64(i)})
		if err != nil {
			t.Fatal(err)
		}
		s = r.Snapshot
		if i%5 == 4 {
			rw, err := s.ReplaceWhere(ctx, Eq("day", int64(20000+i%3)), Batches(eventsBatch(s.Schema(), int64(20000+i%3), fmt.Sprintf("rw%02d", i))), CommitOptions{})
			if err != nil {
				t.Fatal(err)
			}
			s = rw.Snapshot
		}
	}
	if hint := tbl.readLastCheckpoint(ctx); hint != 20 {
		t.Fatalf("_last_checkpoint = %d, want 20", hint)
	}
	withCP, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tbl.list(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	l.checkpoints = nil
	noCP, err := tbl.replayFrom(ctx, l, withCP.Version(), -1, checkpointRef{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids(t, noCP), ids(t, withCP)); diff != "" {
		t.Error(diff)
	}
	if withCP.NumFiles() != noCP.NumFiles() || len(withCP.Tombstones()) != len(noCP.Tombstones()) {
		t.Errorf("checkpoint state %d files %d tombstones, replay %d/%d", withCP.NumFiles(), len(withCP.Tombstones()), noCP.NumFiles(), len(noCP.Tombstones()))
	}
	if v, _ := withCP.TxnVersion("app"); v != 22 {
		t.Errorf("txn app = %d, want 22", v)
	}
	for _, a := range withCP.Files() {
		b := noCP.files[fileKey(a.Path, nil)]
		if b == nil || b.Stats != a.Stats || b.Size != a.Size || describePartition(b.PartitionValues) != describePartition(a.PartitionValues) {
			t.Errorf("file %s differs between checkpoint and replay", a.Path)
		}
	}
}
