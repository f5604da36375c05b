package bronze_test

import (
	"context"
	"slices"
	"testing"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
)

type batchT = column.Batch

func sortStrings(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// fileLines returns the first column (raw_json) of the data file of a, in
// file order, read through sc.
func fileLines(t *testing.T, sc *delta.Scan, a *delta.Add) []string {
	t.Helper()
	var out []string
	if err := sc.ReadFile(context.Background(), a, func(b *batchT) error {
		for r := 0; r < b.Len(); r++ {
			out = append(out, b.Cols[0].Str(r))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// commitLines returns the raw_json lines of the data files actions add, in
// add order, read through sc, and how many files they add.
func commitLines(t *testing.T, sc *delta.Scan, actions []delta.Action) (lines []string, files int) {
	t.Helper()
	for _, act := range actions {
		if act.Add != nil {
			files++
			lines = append(lines, fileLines(t, sc, act.Add)...)
		}
	}
	return lines, files
}

// bronzeRawScan returns the bronze table's snapshot and a scan of its
// raw_json, for fileLines and commitLines.
func bronzeRawScan(t *testing.T, wh *pipeline.Warehouse) (*delta.Snapshot, *delta.Scan) {
	t.Helper()
	s, err := wh.Snapshot(context.Background(), pipeline.Bronze)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := s.Scan(delta.ScanOptions{Columns: []string{"raw_json"}})
	if err != nil {
		t.Fatal(err)
	}
	return s, sc
}

// lastCommitLines returns commitLines of the bronze table's last commit,
// with the table's snapshot.
func lastCommitLines(t *testing.T, wh *pipeline.Warehouse) (s *delta.Snapshot, lines []string, files int) {
	t.Helper()
	s, sc := bronzeRawScan(t, wh)
	changes, err := s.Table().Changes(context.Background(), s.Version()-1, s.Version())
	if err != nil {
		t.Fatal(err)
	}
	lines, files = commitLines(t, sc, changes[0].Actions)
	return s, lines, files
}
