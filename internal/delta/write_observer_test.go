package delta

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/faultstore"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/local"
)

// recorder is a FileObserver that keeps what it was told.
type recorder struct {
	rows      map[string][]string // path → ids in the order reported
	mu        sync.Mutex          // Closed and Discarded run on other goroutines
	closed    []*Add
	discarded []string
	fail      error
}

func (r *recorder) Rows(path string, b *column.Batch, start, end int) {
	for i := start; i < end; i++ {
		r.rows[path] = append(r.rows[path], b.Cols[0].Str(i))
	}
}

func (r *recorder) Closed(ctx context.Context, a *Add) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = append(r.closed, a)
	return r.fail
}

func (r *recorder) Discarded(path string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.discarded = append(r.discarded, path)
}

// The observer hears, per data file and in row order, exactly the rows the
// file holds, across partitions and file rolls, and each file's add before
// Close returns it.
func TestFileObserver(t *testing.T) {
	ctx := context.Background()
	_, s := newTestTable(t, true)
	rec := &recorder{rows: map[string][]string{}}
	w, err := s.NewFileWriter(ctx, WriteOptions{TargetFileRows: 3, Observer: rec})
	if err != nil {
		t.Fatal(err)
	}
	b := eventsBatch(s.Schema(), 1, "a", "b")
	for i, id := range []string{"c", "d", "e", "f", "g"} {
		b.Cols[0].AppendString(id)
		b.Cols[1].AppendInt(int64(i))
		b.Cols[2].AppendNull()
		b.Cols[3].AppendInt(int64(1 + i%2)) // days 1 and 2 interleaved
	}
	if err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(eventsBatch(s.Schema(), 2, "h", "i", "j", "k")); err != nil {
		t.Fatal(err)
	}
	adds, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.closed) != len(adds) || len(adds) < 4 {
		t.Fatalf("%d adds, %d reported closed", len(adds), len(rec.closed))
	}
	sc, err := s.Scan(ScanOptions{Columns: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, a := range adds {
		if !slices.Contains(rec.closed, a) {
			t.Errorf("%s not reported closed", a.Path)
		}
		var got []string
		if err := sc.ReadFile(ctx, a, func(b *column.Batch) error {
			for r := 0; r < b.Len(); r++ {
				got = append(got, b.Cols[0].Str(r))
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, rec.rows[a.Path]) {
			t.Errorf("%s holds %v, the observer heard %v", a.Path, got, rec.rows[a.Path])
		}
		total += len(got)
	}
	if total != 11 || len(rec.rows) != len(adds) {
		t.Errorf("%d rows in %d files; the observer heard of %d files", total, len(adds), len(rec.rows))
	}

	// Abort: the open files are reported discarded.
	rec2 := &recorder{rows: map[string][]string{}}
	w, _ = s.NewFileWriter(ctx, WriteOptions{Observer: rec2})
	if err := w.Write(eventsBatch(s.Schema(), 1, "x")); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	if len(rec2.discarded) != 1 || len(rec2.rows[rec2.discarded[0]]) != 1 {
		t.Errorf("discarded %v after rows %v", rec2.discarded, rec2.rows)
	}

	// An error from Closed fails the write.
	rec3 := &recorder{rows: map[string][]string{}, fail: errors.New("index store down")}
	w, _ = s.NewFileWriter(ctx, WriteOptions{Observer: rec3})
	if err := w.Write(eventsBatch(s.Schema(), 1, "y")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err == nil || err.Error() != fmt.Sprint(rec3.fail) {
		t.Errorf("Close with a failing observer: %v", err)
	}
}

// A file rolled over is published while the next one is written; when that
// publish fails, the error (with its cause) fails the writer, the observer
// hears the file discarded, and no add is returned.
func TestFileWriterBackgroundPublishFails(t *testing.T) {
	ctx := context.Background()
	inner, err := local.New(t.TempDir(), local.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fst := faultstore.New(inner)
	s, err := Open(fst, Options{}).Create(ctx, CreateOptions{Name: "events", Schema: eventsSchema()})
	if err != nil {
		t.Fatal(err)
	}
	fst.Inject(faultstore.Rule{Ops: []faultstore.Op{faultstore.OpClose}, Name: "part-00000-*", Nth: 1, Err: faultstore.ENOSPC("publish")})
	rec := &recorder{rows: map[string][]string{}}
	w, err := s.NewFileWriter(ctx, WriteOptions{TargetFileRows: 2, Observer: rec})
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for i := 0; i < 6 && werr == nil; i++ {
		werr = w.Write(eventsBatch(s.Schema(), 1, fmt.Sprint("a", i), fmt.Sprint("b", i)))
	}
	adds, err := w.Close()
	if werr != nil {
		err = werr // the failure surfaced at a later Write
	}
	if !errors.Is(err, syscall.ENOSPC) || adds != nil {
		t.Fatalf("Close after a failed publish: %d adds, %v", len(adds), err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.discarded) == 0 || !strings.HasPrefix(rec.discarded[0], "part-00000-") {
		t.Errorf("discarded %v, want part-00000-… first", rec.discarded)
	}
	for _, a := range rec.closed {
		if a.Path == rec.discarded[0] {
			t.Errorf("%s reported both closed and discarded", a.Path)
		}
	}
	// Nothing runs on after the writer has returned: the store's log is final.
	n := len(fst.Log())
	time.Sleep(10 * time.Millisecond)
	if m := len(fst.Log()); m != n {
		t.Errorf("%d storage operations after Close returned", m-n)
	}
}
