package bronze_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/event"
	"github.com/ecomm-lakehouse/lakehouse/internal/gen"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/bronze"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/idindex"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/pipelinetest"
)

// generate_bronze writes exactly the lines the generator's NDJSON holds for
// the same configuration (several chunks, generated on two goroutines into
// batches that run across chunks), each once, with one batch id and
// ingest_ts, and reports their count, bytes and manifest.
func TestGenerateWritesTheGeneratorsLines(t *testing.T) {
	ctx := context.Background()
	cfg := gen.Defaults(7, 2*gen.ChunkLines+1234, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	cfg.DuplicateRate = 0.05
	g, err := gen.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ndjson bytes.Buffer
	wantManifest, err := gen.WriteNDJSON(ctx, &ndjson, g)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSuffix(ndjson.String(), "\n"), "\n")

	wh := pipelinetest.Warehouse(t)
	res, err := bronze.Generate(ctx, wh, bronze.GenerateOptions{Config: cfg, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != int64(len(want)) || res.Bytes != int64(ndjson.Len()) {
		t.Errorf("reported %d rows, %d bytes; the NDJSON has %d lines, %d bytes", res.Rows, res.Bytes, len(want), ndjson.Len())
	}
	if diff := cmp.Diff(wantManifest, res.Manifest); diff != "" {
		t.Errorf("manifest (-NDJSON's +generate_bronze's):\n%s", diff)
	}
	s, err := wh.Snapshot(ctx, pipeline.Bronze)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := s.Scan(delta.ScanOptions{Columns: []string{"raw_json", "source", "ingest_batch_id", "ingest_ts"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	ts := map[int64]bool{}
	if err := sc.Each(ctx, func(b *batchT) error {
		for r := 0; r < b.Len(); r++ {
			got = append(got, b.Cols[0].Str(r))
			if src, id := b.Cols[1].Str(r), b.Cols[2].Str(r); src != pipeline.SourceGenerate || id != res.BatchID {
				t.Fatalf("row %d: source %q, batch %q; want %q, %q", len(got), src, id, pipeline.SourceGenerate, res.BatchID)
			}
			ts[b.Cols[3].Ints[r]] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sortStrings(want), sortStrings(got)); diff != "" {
		t.Errorf("bronze rows (-NDJSON +bronze):\n%s", diff)
	}
	if len(ts) != 1 {
		t.Errorf("%d distinct ingest_ts values, want 1", len(ts))
	}

	// Each file's event_id index holds, row by row, the key ingest would
	// compute from the line (idindex.LineKey), though generate_bronze
	// takes the valid lines' keys from the generator.
	x := idindex.Bronze(wh.Root(), s)
	p := event.NewParser(event.ParserOptions{})
	var ev event.Event
	var buf []byte
	for _, a := range s.Files() {
		entries, err := x.Load(ctx, a, &buf)
		if err != nil {
			t.Fatal(err)
		}
		lines := fileLines(t, sc, a)
		if len(lines)*idindex.BronzeWidth != len(entries) {
			t.Fatalf("%s: %d rows, %d index entries", a.Path, len(lines), len(entries)/idindex.BronzeWidth)
		}
		for row, line := range lines {
			want, _ := idindex.LineKey(p, &ev, []byte(line))
			if got := entries[row*idindex.BronzeWidth : (row+1)*idindex.BronzeWidth]; string(got) != string(want[:]) {
				t.Fatalf("%s row %d (%s): index key %x, want %x", a.Path, row, line, got, want)
			}
		}
	}
}
