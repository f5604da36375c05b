package local_test

import (
	"fmt"
	"testing"

	"github.com/ecomm-lakehouse/lakehouse/internal/storage/local"
)

var syncModes = []struct {
	name string
	opts local.Options
}{
	{"sync", local.Options{}},
	{"nosync", local.Options{NoSync: true}},
}

// BenchmarkPutIfAbsent commits 1 KiB objects under new names, as a Delta
// writer commits versions.
func BenchmarkPutIfAbsent(b *testing.B) {
	data := make([]byte, 1024)
	for _, mode := range syncModes {
		b.Run(mode.name, func(b *testing.B) {
			s, err := local.New(b.TempDir(), mode.opts)
			if err != nil {
				b.Fatal(err)
			}
			ctx := b.Context()
			n := 0
			for b.Loop() {
				if err := s.PutIfAbsent(ctx, fmt.Sprintf("_delta_log/%020d.json", n), data); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

// BenchmarkCreate64MiB streams a 64 MiB object in 1 MiB writes, as a
// Parquet writer flushes row groups.
func BenchmarkCreate64MiB(b *testing.B) {
	const size, chunk = 64 << 20, 1 << 20
	buf := make([]byte, chunk)
	for i := range buf {
		buf[i] = byte(i * 31)
	}
	for _, mode := range syncModes {
		b.Run(mode.name, func(b *testing.B) {
			s, err := local.New(b.TempDir(), mode.opts)
			if err != nil {
				b.Fatal(err)
			}
			ctx := b.Context()
			b.SetBytes(size)
			for b.Loop() {
				w, err := s.Create(ctx, "t/part-00000.parquet")
				if err != nil {
					b.Fatal(err)
				}
				for range size / chunk {
					if _, err := w.Write(buf); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
