package bronze_test

import (
	"slices"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

type batchT = column.Batch

func sortStrings(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
