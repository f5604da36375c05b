// Package idindex keeps, beside each data file a stage writes, an index of
// that file's rows: a fixed-width entry per row, in row order, starting with
// the 128-bit key of the row's event_id. Bronze's index lets
// bronze_to_silver find the repeated event_ids of a run without
// decompressing raw_json (16 bytes a row instead of ~420); silver's lets it
// find the rows silver already holds without decoding Parquet (24 bytes a
// row: key and ingest_ts).
//
// An index is a cache, never the truth. It is written before the commit
// that adds its data file, under a name derived from the file's path
// (unique: it holds a UUID), outside the table (Delta readers never see it),
// and carries the file's size, its row count, its entry width and a
// checksum: an index that is missing, damaged or does not match its file is
// ignored, and the reader falls back to the data. Readers must also check
// what they take from an index against the data before they commit
// anything that depends on it (docs/pipeline.md says how each stage does).
//
// Imported by internal/pipeline/bronze (writes bronze's indexes) and
// internal/pipeline/silver (reads bronze's, writes and reads silver's).
package idindex

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/zeebo/xxh3"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// Key identifies an event_id: its 128-bit xxh3 hash. Two different ids
// colliding has a probability around 1e-20 for a billion ids.
type Key [16]byte

// Hash returns the key of an event_id.
func Hash(id []byte) Key {
	h := xxh3.Hash128(id)
	var k Key
	binary.LittleEndian.PutUint64(k[:8], h.Hi)
	binary.LittleEndian.PutUint64(k[8:], h.Lo)
	return k
}

// An index file: the magic, an entry per row, then a trailer: the row
// count, the data file's size, the entry width, an xxh3 of the data file's
// path (an index copied under another file's name does not pass), and an
// xxh3 of all before it. It is streamed to storage as the data file is written, so memory does
// not grow with the file.
const (
	magic   = "lakehouse-ids-1\n"
	trailer = 40
)

// Index locates the indexes of one table's data files.
type Index struct {
	store  storage.Store
	prefix string
	width  int
}

// New returns the index of the table of snap, of entries width bytes wide,
// stored in root (the warehouse) under _lakehouse/index/<kind>/<table id>/.
func New(root storage.Store, kind string, snap *delta.Snapshot, width int) *Index {
	return &Index{store: root, prefix: "_lakehouse/index/" + kind + "/" + snap.Metadata().ID + "/", width: width}
}

// Prefix is where the indexes are stored.
func (x *Index) Prefix() string { return x.prefix }

// Name returns where the index of the data file at path (as its add action
// names it) is stored.
func (x *Index) Name(path string) string {
	h := xxh3.Hash128([]byte(path)).Bytes()
	return x.prefix + hex.EncodeToString(h[:]) + ".ids"
}

// ErrBad reports an index that does not describe its file.
var ErrBad = errors.New("bad event_id index")

// Load returns the entries of the index of a (width bytes per row), read
// into *buf (reallocated when too small: the caller may reuse it), or an
// error when there is no usable index.
func (x *Index) Load(ctx context.Context, a *delta.Add, buf *[]byte) ([]byte, error) {
	obj, err := x.store.Open(ctx, x.Name(a.Path))
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	size := obj.Size()
	rows, ok := a.NumRecords()
	if !ok || size != int64(len(magic)+trailer)+rows*int64(x.width) {
		return nil, ErrBad
	}
	if int64(cap(*buf)) < size {
		*buf = make([]byte, size)
	}
	data := (*buf)[:size]
	if _, err := obj.ReadAt(data, 0); err != nil {
		return nil, err
	}
	body, sum := data[:size-8], binary.LittleEndian.Uint64(data[size-8:])
	if !bytes.HasPrefix(body, []byte(magic)) || xxh3.Hash(body) != sum {
		return nil, ErrBad
	}
	t := body[len(body)-(trailer-8):]
	if int64(binary.LittleEndian.Uint64(t)) != rows || int64(binary.LittleEndian.Uint64(t[8:])) != a.Size ||
		binary.LittleEndian.Uint64(t[16:]) != uint64(x.width) || binary.LittleEndian.Uint64(t[24:]) != xxh3.HashString(a.Path) {
		return nil, ErrBad
	}
	return body[len(magic) : len(body)-(trailer-8)], nil
}

// Remove deletes the indexes of files a commit removed, best effort: an
// index left behind is never read again (its file is gone from the table).
func (x *Index) Remove(ctx context.Context, removed []*delta.Add) {
	for _, a := range removed {
		_ = x.store.Delete(ctx, x.Name(a.Path))
	}
}

// KeyedBatch is a batch of rows with the key of each row's event_id,
// computed by whoever filled it, so that the index written with the rows
// takes the keys rather than reading every event_id again.
type KeyedBatch struct {
	*column.Batch
	Keys []Key
}

// NewKeyedBatch returns an empty KeyedBatch with room for rows rows.
func NewKeyedBatch(s *column.Schema, rows int) *KeyedBatch {
	return &KeyedBatch{Batch: column.NewBatch(s, rows), Keys: make([]Key, 0, rows)}
}

// Reset empties the batch and its keys.
func (b *KeyedBatch) Reset() {
	b.Batch.Reset()
	b.Keys = b.Keys[:0]
}

// EntryFunc writes the index entry of row r of b (table schema) into dst,
// which is the index's width long.
type EntryFunc func(b *column.Batch, r int, dst []byte)

// Writer returns a delta.FileObserver that streams the index of every file
// one FileWriter writes, with entries from entry. Like the FileWriter's
// observer it follows that writer's concurrency: Rows from one goroutine at
// a time, Closed and Discarded from others. ctx governs the index writes.
func (x *Index) Writer(ctx context.Context, entry EntryFunc) delta.FileObserver {
	return &writer{ctx: ctx, x: x, entry: entry, files: map[string]*file{}, e: make([]byte, x.width)}
}

type writer struct {
	ctx   context.Context
	x     *Index
	entry EntryFunc
	e     []byte // Rows' scratch entry

	mu    sync.Mutex
	files map[string]*file // a file's own fields belong to Rows until Closed
}

// take removes and returns the index being written for path.
func (w *writer) take(path string) *file {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.files[path]
	delete(w.files, path)
	return f
}

type file struct {
	up   storage.Writer
	buf  *bufio.Writer
	sum  *xxh3.Hasher
	rows int64
	err  error // the first error: kept, returned by Closed
}

func (f *file) write(p []byte) {
	if f.err == nil {
		f.sum.Write(p)
		_, f.err = f.buf.Write(p)
	}
}

func (w *writer) Rows(path string, b *column.Batch, start, end int) {
	w.mu.Lock()
	f, ok := w.files[path]
	w.mu.Unlock()
	if !ok {
		f = &file{sum: xxh3.New()}
		f.up, f.err = w.x.store.Create(w.ctx, w.x.Name(path))
		if f.err == nil {
			f.buf = bufio.NewWriterSize(f.up, 64<<10)
		}
		w.mu.Lock()
		w.files[path] = f
		w.mu.Unlock()
		f.write([]byte(magic))
	}
	for r := start; r < end; r++ {
		w.entry(b, r, w.e)
		f.write(w.e)
	}
	f.rows += int64(end - start)
}

func (w *writer) Closed(ctx context.Context, a *delta.Add) error {
	f := w.take(a.Path)
	if f == nil {
		return nil // a file of no rows is never written
	}
	var t [trailer - 8]byte
	binary.LittleEndian.PutUint64(t[:], uint64(f.rows))
	binary.LittleEndian.PutUint64(t[8:], uint64(a.Size))
	binary.LittleEndian.PutUint64(t[16:], uint64(w.x.width))
	binary.LittleEndian.PutUint64(t[24:], xxh3.HashString(a.Path))
	f.write(t[:])
	sum := binary.LittleEndian.AppendUint64(nil, f.sum.Sum64())
	if f.err == nil {
		_, f.err = f.buf.Write(sum)
	}
	if f.err == nil {
		f.err = f.buf.Flush()
	}
	if f.err == nil {
		f.err = f.up.Close()
	} else if f.up != nil {
		f.up.Abort()
	}
	if f.err != nil {
		return fmt.Errorf("write event_id index of %s: %w", a.Path, f.err)
	}
	return nil
}

func (w *writer) Discarded(path string) {
	if f := w.take(path); f != nil && f.up != nil {
		f.up.Abort()
	}
}

// Rewrite replaces the entries of a's index by edit's changes under a valid
// checksum: an index that lies about its file, for the tests of the stages
// that must not trust one.
func (x *Index) Rewrite(ctx context.Context, a *delta.Add, edit func(entries []byte)) error {
	data, err := x.store.Get(ctx, x.Name(a.Path))
	if err != nil {
		return err
	}
	if len(data) < len(magic)+trailer {
		return ErrBad
	}
	body := data[:len(data)-8]
	edit(body[len(magic) : len(body)-(trailer-8)])
	return x.store.Put(ctx, x.Name(a.Path), binary.LittleEndian.AppendUint64(body, xxh3.Hash(body)))
}
