package parquetio

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/gen"
)

// bronzeLines returns n generated NDJSON lines as a one-column batch, the
// shape of the bronze table's raw_json.
func bronzeLines(b *testing.B, n int64) *column.Batch {
	b.Helper()
	g, err := gen.New(gen.Defaults(1, n, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		b.Fatal(err)
	}
	s := &column.Schema{Fields: []column.Field{{Name: "raw_json", Type: column.TypeString, Nullable: true}}}
	batch := column.NewBatch(s, int(n))
	err = gen.GenerateChunks(context.Background(), g, 1, func(_ int, data []byte, _ gen.Manifest) error {
		for len(data) > 0 {
			i := 0
			for data[i] != '\n' {
				i++
			}
			batch.Cols[0].AppendBytes(data[:i])
			data = data[i+1:]
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return batch
}

// BenchmarkBronzeCodecs measures writing raw NDJSON text, bronze's main
// cost, with each codec: rows/s, input MB/s and the compressed ratio.
func BenchmarkBronzeCodecs(b *testing.B) {
	batch := bronzeLines(b, 200_000)
	in := int64(len(batch.Cols[0].Data))
	for _, codec := range []string{"zstd", "snappy", "none"} {
		b.Run(codec, func(b *testing.B) {
			b.SetBytes(in)
			var out int64
			for b.Loop() {
				cw := &countWriter{w: io.Discard}
				w, err := NewWriter(cw, batch.Schema, WriterOptions{Codec: codec, Bounds: []string{}})
				if err != nil {
					b.Fatal(err)
				}
				if err := w.Write(batch); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				out = cw.n
			}
			b.ReportMetric(float64(batch.Len())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(out)/float64(in), "size-ratio")
		})
	}
}

// BenchmarkReadRawJSON measures reading the raw_json column back, copied
// into the batch or aliasing the pages (ReaderOptions.AliasPages).
func BenchmarkReadRawJSON(b *testing.B) {
	batch := bronzeLines(b, 200_000)
	for _, c := range []struct {
		codec string
		alias bool
	}{{"zstd", false}, {"snappy", false}, {"snappy", true}} {
		codec := c.codec
		name := codec
		if c.alias {
			name += "-alias"
		}
		b.Run(name, func(b *testing.B) {
			var buf bytesWriter
			w, _ := NewWriter(&buf, batch.Schema, WriterOptions{Codec: codec, Bounds: []string{}})
			w.Write(batch)
			w.Close()
			b.SetBytes(int64(len(batch.Cols[0].Data)))
			out := column.NewBatch(batch.Schema, 8192)
			for b.Loop() {
				f, err := Open(buf.reader(), int64(len(buf.b)))
				if err != nil {
					b.Fatal(err)
				}
				r, _ := f.NewReader(batch.Schema, ReaderOptions{AliasPages: c.alias})
				for r.Next(out) != io.EOF {
				}
			}
			b.ReportMetric(float64(batch.Len())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

type bytesWriter struct{ b []byte }

func (w *bytesWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
func (w *bytesWriter) reader() io.ReaderAt         { return readerAt(w.b) }

type readerAt []byte

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(r)) {
		return 0, io.EOF
	}
	n := copy(p, r[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
