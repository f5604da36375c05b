package gen

import (
	"context"
	"testing"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/testenv"
)

var benchEnd = time.Date(2026, 11, 20, 13, 45, 12, 345e6, time.UTC)

// BenchmarkGenerate measures single-core generation with default fault
// rates: each op is one whole chunk (ChunkLines lines), filled in batches
// into a reused buffer as WriteNDJSON does ("batch"), or into one buffer
// holding the whole chunk as GenerateChunks does ("whole-chunk": ~24 MB of
// fresh writes per op, so it also measures memory bandwidth).
func BenchmarkGenerate(b *testing.B) {
	for _, bc := range []struct {
		name  string
		batch int
	}{
		{"batch", writeBatchLines},
		{"whole-chunk", ChunkLines},
	} {
		b.Run(bc.name, func(b *testing.B) { benchGenerate(b, bc.batch) })
	}
}

func benchGenerate(b *testing.B, batch int) {
	g, err := New(Defaults(42, 10_000_000, benchEnd))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, batch*512)
	var lines, bytes int64
	i := 0
	b.ReportAllocs()
	cpu := testenv.StartCPU()
	for b.Loop() {
		c := g.Chunk(i % g.NumChunks())
		i++
		for !c.Done() {
			buf, _ = c.Fill(buf[:0], batch)
			bytes += int64(len(buf))
		}
		lines += c.Lines()
	}
	b.SetBytes(bytes / int64(i))
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(lines), "ns/row")
	b.ReportMetric(float64(bytes)/float64(lines), "B/row")
	cpu.ReportNsPer(b, lines, "cpu-ns/row")
}

// BenchmarkAppendLine measures one line per op, to show the per-line cost
// and that a line allocates nothing.
func BenchmarkAppendLine(b *testing.B) {
	g, err := New(Defaults(42, 10_000_000, benchEnd))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 4096)
	chunk := 0
	c := g.Chunk(chunk)
	b.ReportAllocs()
	for b.Loop() {
		var ok bool
		buf, ok = c.AppendLine(buf[:0])
		if !ok {
			chunk = (chunk + 1) % g.NumChunks()
			c = g.Chunk(chunk)
		}
	}
}

// BenchmarkWriteNDJSONParallel measures the whole path to an io.Writer
// (io.Discard) with two workers: each op writes 1M rows.
func BenchmarkWriteNDJSONParallel(b *testing.B) {
	const rows = 1_000_000
	g, err := New(Defaults(42, rows, benchEnd))
	if err != nil {
		b.Fatal(err)
	}
	var bytes int64
	cpu := testenv.StartCPU()
	for b.Loop() {
		cw := &countingWriter{}
		if _, err := WriteNDJSONParallel(context.Background(), cw, g, 2); err != nil {
			b.Fatal(err)
		}
		bytes = cw.n
	}
	b.SetBytes(bytes)
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	cpu.ReportNsPer(b, int64(rows*b.N), "cpu-ns/row")
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}
