package silver

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/event"
	"github.com/ecomm-lakehouse/lakehouse/internal/gen"
	"github.com/ecomm-lakehouse/lakehouse/internal/parquetio"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/idindex"
)

// benchLines returns n generated NDJSON lines (with the generator's 0.5%
// re-sends).
func benchLines(b *testing.B, n int64) [][]byte {
	b.Helper()
	g, err := gen.New(gen.Defaults(1, n, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		b.Fatal(err)
	}
	var lines [][]byte
	err = gen.GenerateChunks(context.Background(), g, 1, func(_ int, data []byte, _ gen.Manifest) error {
		for _, l := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
			lines = append(lines, bytes.Clone(l))
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return lines
}

// BenchmarkIDScan measures the first pass of bronze_to_silver per row:
// QuickID (the parser for the rest), the 128-bit hash, and the Bloom filter
// of seen ids in batches, as scanIDs runs them.
func BenchmarkIDScan(b *testing.B) {
	lines := benchLines(b, 200_000)
	p := event.NewParser(event.ParserOptions{})
	var ev event.Event
	keys := make([]key, 0, 4096)
	for b.Loop() {
		seen := newSeenFilter(int64(len(lines)))
		repeats := 0
		for i := 0; i < len(lines); i += 4096 {
			keys = keys[:0]
			for _, line := range lines[i:min(i+4096, len(lines))] {
				if k, ok := idindex.LineKey(p, &ev, line); ok {
					keys = append(keys, k)
				}
			}
			seen.addBatch(keys, func(key) { repeats++ })
		}
		if repeats == 0 {
			b.Fatal("no repeats found in generated input with re-sends")
		}
	}
	b.ReportMetric(float64(len(lines))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkSeenFilter measures the id scan's Bloom filter alone at 10M
// keys (20 MB of filter, far beyond the caches), added as scanIDs adds a
// bronze file's index: 330K random keys at a time through addOrdered.
func BenchmarkSeenFilter(b *testing.B) {
	const total, perFile = 10_000_000, 330_000
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([]key, total)
	for i := range keys {
		binary.LittleEndian.PutUint64(keys[i][:8], rng.Uint64())
		binary.LittleEndian.PutUint64(keys[i][8:], rng.Uint64())
	}
	var tmp []key
	for b.Loop() {
		f := newSeenFilter(total)
		for i := 0; i < total; i += perFile {
			tmp = f.addOrdered(keys[i:min(i+perFile, total)], tmp, func(key) {})
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/total, "ns/key")
}

// BenchmarkFindLosers measures dedup within a bucket: 512K records, a
// tenth of them second copies, through the open-addressing key table.
func BenchmarkFindLosers(b *testing.B) {
	const n = 512 << 10
	var chunk []byte
	for i := range n {
		id := i
		if i%10 == 9 {
			id = i / 2 // a second copy of an earlier event
		}
		ev := &event.Event{EventID: []byte("event-" + strconv.Itoa(id))}
		chunk = appendRecord(chunk, hashID(ev.EventID), ev, int64(i), int64(i), nil)
	}
	chunks := [][]byte{chunk}
	var best keyTable
	for b.Loop() {
		if losers := findLosers(chunks, &best); len(losers) == 0 {
			b.Fatal("no losers")
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkQuickID(b *testing.B) {
	lines := benchLines(b, 200_000)
	for b.Loop() {
		for _, line := range lines {
			idindex.QuickID(line)
		}
	}
	b.ReportMetric(float64(len(lines))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkParseAppendWrite measures the second pass's cost per row on one
// core: the validator, the row copied into a silver batch (appendEvent),
// and the batch encoded as silver Parquet (snappy, silver's dictionary
// columns) into io.Discard.
func BenchmarkParseAppendWrite(b *testing.B) {
	lines := benchLines(b, 200_000)
	p := event.NewParser(event.ParserOptions{})
	var ev event.Event
	batch := column.NewBatch(pipeline.SilverSchema, emitBatchRows)
	batchID := []byte("batch-0001")
	d := newDicts()
	for b.Loop() {
		pw, err := parquetio.NewWriter(io.Discard, pipeline.SilverSchema, SilverWriteOptions().Parquet)
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range lines {
			if !p.Parse(line, &ev).Valid() {
				continue
			}
			appendEvent(batch, &ev, 1, batchID, d)
			if batch.Len() == emitBatchRows {
				if err := pw.Write(batch); err != nil {
					b.Fatal(err)
				}
				batch.Reset()
			}
		}
		if err := pw.Write(batch); err != nil {
			b.Fatal(err)
		}
		batch.Reset()
		if err := pw.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(lines))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
