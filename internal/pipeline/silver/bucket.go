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
	dir   string
	// memLimit is the most record bytes kept in memory; past it every
	// bucket moves to its spill file.
	memLimit int64
	memBytes int64

	mu    sync.Mutex // guards mem and bufs while parsing goroutines add
	mem   [][][]byte // !spill: per bucket, its chunks
	files []*os.File // spill
	bufs  []*bufio.Writer
}

func newBuckets(n int, spill bool, dir string, memLimit int64) (*buckets, error) {
	b := &buckets{n: max(1, n), dir: dir, memLimit: memLimit}
	if !spill {
		b.mem = make([][][]byte, b.n)
		return b, nil
	}
	if err := b.startSpill(); err != nil {
		return nil, err
	}
	return b, nil
}

// startSpill creates the spill files and moves what memory holds into them.
func (b *buckets) startSpill() error {
	b.spill = true
	for i := 0; i < b.n; i++ {
		f, err := os.CreateTemp(b.dir, "lakehouse-silver-bucket-*")
		if err != nil {
			b.close()
			return fmt.Errorf("silver: spill file: %w", err)
		}
		os.Remove(f.Name()) // unlinked: the space is freed when closed, even after a crash
		b.files = append(b.files, f)
		b.bufs = append(b.bufs, bufio.NewWriterSize(f, 256<<10))
	}
	for i := range b.mem {
		for _, c := range b.mem[i] {
			if _, err := b.bufs[i].Write(c); err != nil {
				return fmt.Errorf("silver: spill: %w", err)
			}
		}
	}
	b.mem = nil
	return nil
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
		b.memBytes += int64(len(recs))
		if b.memLimit <= 0 || b.memBytes <= b.memLimit {
			return nil
		}
		return b.startSpill()
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
