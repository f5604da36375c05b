package silver

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/zeebo/xxh3"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// Each run must find the silver rows whose event_id it brings again, which
// means looking at every event_id of the table. Reading them from Parquet
// (decompress, decode, hash 36-byte strings) made that cost grow with the
// table: 0.7 s of a 1M-event run once silver held 9M rows. So silver
// writes, beside each data file it adds, an index of that file's rows in
// row order: the 128-bit key of the event_id (hashID) and the ingest_ts,
// 24 bytes a row. A run reads these instead of the Parquet columns.
//
// The index is a cache, never the truth:
//   - it is stored before the commit that adds its data file, keyed by
//     the file's path (unique: it holds a UUID), and carries the file's
//     size, row count and a checksum; an index that is missing, damaged or
//     does not match its file is ignored, and that file is read from
//     Parquet as before;
//   - a key match found through the index is provisional: before the run
//     commits, the matched rows' event_ids are read from their files and
//     compared byte for byte (existingRows.verify), so a hash collision or
//     an index that lies fails the run instead of replacing a wrong row.
//
// Indexes of files a commit removes are deleted after it (best effort);
// those of files never committed (a crash) stay as unreferenced objects.

// An index file: the magic, then an entry per row (key, ingest_ts), then a
// trailer: the row count, the data file's size, and an xxh3 of all before it.
// It is streamed to storage as the data file is written, so memory does not
// grow with the file.
const (
	idIndexMagic   = "lakehouse-silver-ids-2\n"
	idIndexEntry   = 24 // key (16 bytes) + ingest_ts (8)
	idIndexTrailer = 24
)

// idIndex locates the event_id indexes of one silver table.
type idIndex struct {
	store  storage.Store
	prefix string
}

func newIDIndex(root storage.Store, silver *delta.Snapshot) *idIndex {
	return &idIndex{store: root, prefix: "_lakehouse/index/silver_ids/" + silver.Metadata().ID + "/"}
}

// name returns where the index of the data file at path (as its add action
// names it) is stored.
func (x *idIndex) name(path string) string {
	h := xxh3.Hash128([]byte(path)).Bytes()
	return x.prefix + hex.EncodeToString(h[:]) + ".ids"
}

var errBadIndex = errors.New("bad event_id index")

// load returns the entries of the index of a, read into buf (reallocated
// when too small: the caller reuses it), or an error when there is no usable
// index.
func (x *idIndex) load(ctx context.Context, a *delta.Add, buf *[]byte) ([]byte, error) {
	obj, err := x.store.Open(ctx, x.name(a.Path))
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	size := obj.Size()
	if size > 64<<30 {
		return nil, errBadIndex
	}
	if int64(cap(*buf)) < size {
		*buf = make([]byte, size)
	}
	data := (*buf)[:size]
	if _, err := obj.ReadAt(data, 0); err != nil {
		return nil, err
	}
	rows, ok := a.NumRecords()
	if !ok || len(data) < len(idIndexMagic)+idIndexTrailer || string(data[:len(idIndexMagic)]) != idIndexMagic {
		return nil, errBadIndex
	}
	body, sum := data[:len(data)-8], binary.LittleEndian.Uint64(data[len(data)-8:])
	if xxh3.Hash(body) != sum {
		return nil, errBadIndex
	}
	t := body[len(body)-16:]
	entries := body[len(idIndexMagic) : len(body)-16]
	if int64(binary.LittleEndian.Uint64(t)) != rows || int64(binary.LittleEndian.Uint64(t[8:])) != a.Size ||
		int64(len(entries)) != rows*idIndexEntry {
		return nil, errBadIndex
	}
	return entries, nil
}

// entry decodes entry i of an index's entries.
func indexEntry(entries []byte, i int) (key, int64) {
	e := entries[i*idIndexEntry:]
	return key(e[:16]), int64(binary.LittleEndian.Uint64(e[16:24]))
}

// remove deletes the indexes of files a commit removed, best effort: an
// index left behind is never read again (its file is gone from the table).
func (x *idIndex) remove(ctx context.Context, removed []*delta.Add) {
	for _, a := range removed {
		_ = x.store.Delete(ctx, x.name(a.Path))
	}
}

// indexWriter is the delta.FileObserver that streams the index of each
// file one silver FileWriter writes. A FileWriter uses it from one
// goroutine; an error writing an index is kept and returned by Closed.
type indexWriter struct {
	ctx   context.Context // governs the index writes, as the data file's
	x     *idIndex
	files map[string]*indexFile
}

type indexFile struct {
	up   storage.Writer
	buf  *bufio.Writer
	sum  *xxh3.Hasher
	rows int64
	err  error
}

func (x *idIndex) writer(ctx context.Context) *indexWriter {
	return &indexWriter{ctx: ctx, x: x, files: map[string]*indexFile{}}
}

func (f *indexFile) write(p []byte) {
	if f.err == nil {
		f.sum.Write(p)
		_, f.err = f.buf.Write(p)
	}
}

func (w *indexWriter) Rows(path string, b *column.Batch, start, end int) {
	f, ok := w.files[path]
	if !ok {
		f = &indexFile{sum: xxh3.New()}
		f.up, f.err = w.x.store.Create(w.ctx, w.x.name(path))
		if f.err == nil {
			f.buf = bufio.NewWriterSize(f.up, 64<<10)
		}
		w.files[path] = f
		f.write([]byte(idIndexMagic))
	}
	ids, ts := b.Cols[pipeline.SEventID], b.Cols[pipeline.SIngestTS]
	var e [idIndexEntry]byte
	for r := start; r < end; r++ {
		var k key // a null event_id (never in silver) as the zero key
		if !ids.IsNull(r) {
			k = hashID(ids.Bytes(r))
		}
		var t int64
		if !ts.IsNull(r) {
			t = ts.Ints[r]
		}
		copy(e[:16], k[:])
		binary.LittleEndian.PutUint64(e[16:], uint64(t))
		f.write(e[:])
	}
	f.rows += int64(end - start)
}

func (w *indexWriter) Closed(ctx context.Context, a *delta.Add) error {
	f := w.files[a.Path]
	delete(w.files, a.Path)
	if f == nil {
		return nil // a file of no rows is never written
	}
	var t [16]byte
	binary.LittleEndian.PutUint64(t[:], uint64(f.rows))
	binary.LittleEndian.PutUint64(t[8:], uint64(a.Size))
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

func (w *indexWriter) Discarded(path string) {
	if f := w.files[path]; f != nil && f.up != nil {
		f.up.Abort()
	}
	delete(w.files, path)
}
