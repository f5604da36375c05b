package silver

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync"
)

// buckets holds candidate records split by key into n buckets. In memory
// each bucket is a list of chunks (whole records, never split); spilled,
// each bucket is a temporary file written through a buffer and read back
// once.
type buckets struct {
	n     int
	spill bool

	mu    sync.Mutex // guards mem and bufs while parsing goroutines add
	mem   [][][]byte // !spill: per bucket, its chunks
	files []*os.File // spill
	bufs  []*bufio.Writer
}

func newBuckets(n int, spill bool, dir string) (*buckets, error) {
	b := &buckets{n: max(1, n), spill: spill}
	if !spill {
		b.mem = make([][][]byte, b.n)
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

// add appends a run of whole records to bucket i. In memory the slice is
// kept, so the caller must not reuse it.
func (b *buckets) add(i int, recs []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.spill {
		b.mem[i] = append(b.mem[i], recs)
		return nil
	}
	if _, err := b.bufs[i].Write(recs); err != nil {
		return fmt.Errorf("silver: spill: %w", err)
	}
	return nil
}

// load returns the record chunks of bucket i.
func (b *buckets) load(i int) ([][]byte, error) {
	if !b.spill {
		return b.mem[i], nil
	}
	b.mu.Lock()
	err := b.bufs[i].Flush()
	b.mu.Unlock()
	if err != nil {
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
	return [][]byte{data}, nil
}

// release frees bucket i.
func (b *buckets) release(i int) {
	if !b.spill {
		b.mem[i] = nil
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
