package silver

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// buckets holds candidate records split by key into n buckets. With one
// bucket everything stays in memory; with more, each bucket is a temporary
// file written through a buffer, read back one at a time.
type buckets struct {
	n     int
	mem   [][]byte   // n == 1: the records
	files []*os.File // n > 1
	bufs  []*bufio.Writer
	rows  int64
}

func newBuckets(n int, dir string) (*buckets, error) {
	b := &buckets{n: max(1, n)}
	if b.n == 1 {
		b.mem = make([][]byte, 1)
		return b, nil
	}
	for i := 0; i < b.n; i++ {
		f, err := os.CreateTemp(dir, "lakehouse-silver-bucket-*")
		if err != nil {
			b.close()
			return nil, fmt.Errorf("silver: spill file: %w", err)
		}
		os.Remove(f.Name()) // unlinked: the space is freed when closed, even after a crash
		b.files = append(b.files, f)
		b.bufs = append(b.bufs, bufio.NewWriterSize(f, 256<<10))
	}
	return b, nil
}

func (b *buckets) bucketOf(k key) int {
	return int(binary.LittleEndian.Uint64(k[:8]) % uint64(b.n))
}

// add appends encoded records (a run of whole records) to bucket i.
func (b *buckets) add(i int, recs []byte, rows int64) error {
	b.rows += rows
	if b.n == 1 {
		b.mem[0] = append(b.mem[0], recs...)
		return nil
	}
	if _, err := b.bufs[i].Write(recs); err != nil {
		return fmt.Errorf("silver: spill: %w", err)
	}
	return nil
}

// load returns the records of bucket i.
func (b *buckets) load(i int) ([]byte, error) {
	if b.n == 1 {
		return b.mem[0], nil
	}
	if err := b.bufs[i].Flush(); err != nil {
		return nil, fmt.Errorf("silver: spill: %w", err)
	}
	f := b.files[i]
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	data := make([]byte, size)
	if _, err := f.ReadAt(data, 0); err != nil && err != io.EOF {
		return nil, fmt.Errorf("silver: read spill: %w", err)
	}
	return data, nil
}

// release frees bucket i.
func (b *buckets) release(i int) {
	if b.n == 1 {
		b.mem[0] = nil
		return
	}
	b.files[i].Close()
	b.files[i] = nil
}

func (b *buckets) close() {
	for _, f := range b.files {
		if f != nil {
			f.Close()
		}
	}
}
