package bronze_test

import (
	"context"
	"slices"
	"testing"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
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
