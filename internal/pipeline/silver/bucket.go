package silver

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
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

	// mu is held shared by add and exclusively by the switch to spilling;
	// locks[i] guards bucket i's chunks or buffer, so goroutines adding to
	// different buckets do not wait for each other.
	mu    sync.RWMutex
	locks []sync.Mutex
	used  atomic.Int64 // record bytes held in memory
	mem   [][][]byte   // !spill: per bucket, its chunks
	files []*os.File   // spill
	bufs  []*bufio.Writer
}

func newBuckets(n int, spill bool, dir string, memLimit int64) (*buckets, error) {
	b := &buckets{n: max(1, n), dir: dir, memLimit: memLimit}
	b.locks = make([]sync.Mutex, b.n)
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

// add appends a run of whole records to bucket i. It reports whether the
// slice was retained (in memory): the caller must then not reuse it.
func (b *buckets) add(i int, recs []byte) (retained bool, err error) {
	b.mu.RLock()
	b.locks[i].Lock()
	over := false
	if !b.spill {
		b.mem[i] = append(b.mem[i], recs)
		retained = true
		over = b.memLimit > 0 && b.used.Add(int64(len(recs))) > b.memLimit
	} else if _, werr := b.bufs[i].Write(recs); werr != nil {
		err = fmt.Errorf("silver: spill: %w", werr)
	}
	b.locks[i].Unlock()
	b.mu.RUnlock()
	if over {
		b.mu.Lock()
		defer b.mu.Unlock()
		if !b.spill {
			return retained, b.startSpill()
		}
	}
	return retained, err
}

// load returns the record chunks of bucket i.
func (b *buckets) load(i int) ([][]byte, error) {
	if !b.spill {
		return b.mem[i], nil
	}
	b.locks[i].Lock()
	err := b.bufs[i].Flush()
	b.locks[i].Unlock()
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
