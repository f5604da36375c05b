package silver_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/pipelinetest"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/silver"
)

// silverRows renders silver as sorted JSON rows.
func silverRows(t *testing.T, wh *pipeline.Warehouse) []string {
	t.Helper()
	s, err := wh.Snapshot(context.Background(), pipeline.Silver)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := s.Scan(delta.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	err = sc.Each(context.Background(), func(b *column.Batch) error {
		for r := 0; r < b.Len(); r++ {
			buf := []byte{}
			for i, c := range b.Cols {
				if i == pipeline.SIngestTS || i == pipeline.SIngestBatchID {
					continue // differ between the two warehouses
				}
				buf = column.AppendJSON(buf, c.Type, c.Value(r))
				buf = append(buf, ',')
			}
			out = append(out, string(buf))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// Spilled, multi-bucket runs (small buckets, tiny memory budget, several
// workers) give exactly the rows of an in-memory single-bucket run.
func TestSpillAndBucketsGiveTheSameSilver(t *testing.T) {
	ctx := context.Background()
	a, b, c := pipelinetest.Warehouse(t), pipelinetest.Warehouse(t), pipelinetest.Warehouse(t)
	for _, wh := range []*pipeline.Warehouse{a, b, c} {
		pipelinetest.GenerateBronze(t, wh, 1, 12000)
		pipelinetest.GenerateBronze(t, wh, 1, 12000) // the same events again: every one is superseded
		pipelinetest.GenerateBronze(t, wh, 2, 8000)
	}
	ra, err := silver.Run(ctx, a, silver.Options{Workers: 1, BucketRows: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := silver.Run(ctx, b, silver.Options{Workers: 3, BucketRows: 1000, MemoryRows: 5000, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if ra.Inserted != rb.Inserted || ra.Superseded != rb.Superseded || ra.Quarantined != rb.Quarantined {
		t.Errorf("counts differ: in-memory %+v, spilled %+v", ra, rb)
	}
	if diff := cmp.Diff(silverRows(t, a), silverRows(t, b)); diff != "" {
		t.Errorf("silver differs (-in-memory +spilled):\n%s", diff)
	}
	// Starting in memory and spilling half-way (byte budget) gives the same too.
	if _, err := silver.Run(ctx, c, silver.Options{Workers: 2, BucketRows: 4000, MemoryBytes: 256 << 10, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(silverRows(t, a), silverRows(t, c)); diff != "" {
		t.Errorf("silver differs (-in-memory +spilled midway):\n%s", diff)
	}
	// A second batch merged into existing rows, again both ways.
	for _, wh := range []*pipeline.Warehouse{a, b} {
		pipelinetest.GenerateBronze(t, wh, 2, 8000)
	}
	if _, err := silver.Run(ctx, a, silver.Options{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	r2, err := silver.Run(ctx, b, silver.Options{Workers: 2, BucketRows: 700, MemoryRows: 1000, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Updated == 0 {
		t.Errorf("the re-sent batch replaced no rows: %+v", r2)
	}
	if diff := cmp.Diff(silverRows(t, a), silverRows(t, b)); diff != "" {
		t.Errorf("silver differs after the merge (-in-memory +spilled):\n%s", diff)
	}
}
