package delta

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// recorder is a FileObserver that keeps what it was told.
type recorder struct {
	rows      map[string][]string // path → ids in the order reported
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
	r.closed = append(r.closed, a)
	return r.fail
}

func (r *recorder) Discarded(path string) { r.discarded = append(r.discarded, path) }

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
