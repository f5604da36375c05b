package delta

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// TestScanFilterRows: with FilterRows, a row filter may use a selected
// column (id), a stored column that is not selected (amount) and a
// partition column that is not selected (day); only matching rows come out.
func TestScanFilterRows(t *testing.T) {
	ctx := context.Background()
	_, s := newTestTable(t, true)
	for day, batch := range map[int64][]string{19000: {"a", "b", "c"}, 19001: {"d", "e"}} {
		r, err := s.Append(ctx, Batches(eventsBatch(s.Schema(), day, batch...)), CommitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s = r.Snapshot
	}
	filter := Or(
		Eq("id", "d"),
		And(Eq("day", "2022-01-08"), Compare("amount", OpGe, "10.01")), // day 19000, amount ≥ 1001 unscaled
	)
	sc, err := s.Scan(ScanOptions{Columns: []string{"id"}, Filter: filter, FilterRows: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = sc.Each(ctx, func(b *column.Batch) error {
		for r := 0; r < b.Len(); r++ {
			got = append(got, b.Cols[0].Str(r))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"b", "c", "d"}, sortedCopy(got)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// TestScanFilterRowsPartitionOnly: a row filter on columns constant in a
// file (partition columns, single-valued statistics) is answered once for
// the file (ReadFile, which skips no file by itself, returns all or none of
// its rows), with the same rows as row by row.
func TestScanFilterRowsPartitionOnly(t *testing.T) {
	ctx := context.Background()
	_, s := newTestTable(t, true)
	for day, batch := range map[int64][]string{19000: {"a", "b", "c"}, 19001: {"d", "e"}, 19002: {"f"}} {
		r, err := s.Append(ctx, Batches(eventsBatch(s.Schema(), day, batch...)), CommitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s = r.Snapshot
	}
	// The statistics make id constant in day 19002's file only.
	var constant []any
	for _, a := range s.Files() {
		if v, ok := s.fileRanges(a).fileConstant(s.Schema().Index("id")); ok {
			constant = append(constant, v)
		}
	}
	if diff := cmp.Diff([]any{"f"}, constant); diff != "" {
		t.Errorf("constant ids (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		filter Predicate
		want   []string
	}{
		{Or(Eq("day", "2022-01-08"), Eq("day", "2022-01-10")), []string{"a", "b", "c", "f"}}, // days 19000 and 19002
		// id is constant (min = max, no null) only in day 19002's file;
		// the other files are filtered row by row.
		{Eq("id", "f"), []string{"f"}},
		{Or(Eq("id", "f"), Eq("id", "b")), []string{"b", "f"}},
		{Not(Eq("id", "f")), []string{"a", "b", "c", "d", "e"}},
	} {
		sc, err := s.Scan(ScanOptions{Columns: []string{"id", "day"}, Filter: c.filter, FilterRows: true})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range s.Files() { // every file, not only those the filter kept
			err := sc.ReadFile(ctx, a, func(b *column.Batch) error {
				for r := 0; r < b.Len(); r++ {
					got = append(got, b.Cols[0].Str(r))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if diff := cmp.Diff(c.want, sortedCopy(got)); diff != "" {
			t.Errorf("%v: rows (-want +got):\n%s", c.filter, diff)
		}
	}
}
