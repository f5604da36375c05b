package silver

import (
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

const (
	idIndexMagic = "lakehouse-silver-ids-1\n"
	idIndexEntry = 24 // key (16 bytes) + ingest_ts (8)
	idIndexHead  = len(idIndexMagic) + 16
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
	if !ok || len(data) < idIndexHead+8 || string(data[:len(idIndexMagic)]) != idIndexMagic {
		return nil, errBadIndex
	}
	body, sum := data[:len(data)-8], binary.LittleEndian.Uint64(data[len(data)-8:])
	if xxh3.Hash(body) != sum {
		return nil, errBadIndex
	}
	h := body[len(idIndexMagic):]
	if int64(binary.LittleEndian.Uint64(h)) != rows || int64(binary.LittleEndian.Uint64(h[8:])) != a.Size ||
		int64(len(body)-idIndexHead) != rows*idIndexEntry {
		return nil, errBadIndex
	}
	return body[idIndexHead:], nil
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

// indexWriter is the delta.FileObserver that builds the index of each file
// one silver FileWriter writes. A FileWriter uses it from one goroutine.
type indexWriter struct {
	x     *idIndex
	files map[string][]byte
}

func (x *idIndex) writer() *indexWriter {
	return &indexWriter{x: x, files: map[string][]byte{}}
}

func (w *indexWriter) Rows(path string, b *column.Batch, start, end int) {
	buf, ok := w.files[path]
	if !ok {
		buf = make([]byte, idIndexHead, idIndexHead+idIndexEntry*(end-start))
		copy(buf, idIndexMagic)
	}
	ids, ts := b.Cols[pipeline.SEventID], b.Cols[pipeline.SIngestTS]
	for r := start; r < end; r++ {
		var k key // a null event_id (never in silver) as the zero key
		if !ids.IsNull(r) {
			k = hashID(ids.Bytes(r))
		}
		var t int64
		if !ts.IsNull(r) {
			t = ts.Ints[r]
		}
		buf = append(buf, k[:]...)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(t))
	}
	w.files[path] = buf
}

func (w *indexWriter) Closed(ctx context.Context, a *delta.Add) error {
	buf := w.files[a.Path]
	delete(w.files, a.Path)
	if buf == nil {
		return nil // a file of no rows is never written
	}
	rows := (len(buf) - idIndexHead) / idIndexEntry
	binary.LittleEndian.PutUint64(buf[len(idIndexMagic):], uint64(rows))
	binary.LittleEndian.PutUint64(buf[len(idIndexMagic)+8:], uint64(a.Size))
	buf = binary.LittleEndian.AppendUint64(buf, xxh3.Hash(buf))
	if err := w.x.store.Put(ctx, w.x.name(a.Path), buf); err != nil {
		return fmt.Errorf("write event_id index of %s: %w", a.Path, err)
	}
	return nil
}

func (w *indexWriter) Discarded(path string) { delete(w.files, path) }
