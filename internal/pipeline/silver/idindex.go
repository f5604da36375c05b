package silver

import (
	"encoding/binary"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/idindex"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// The stage uses two event_id indexes (internal/pipeline/idindex), both
// caches checked against the data before anything that depends on them is
// committed:
//
//   - Bronze's (written at ingest): the key of each raw line, zero for an
//     invalid one. The first pass reads it instead of decompressing
//     raw_json; the second pass, which parses every line anyway, requires
//     each valid line's key to be the one the index gave, and fails the run
//     otherwise (an index that lies could let a repeat slip past dedup).
//   - Silver's (written here): the key and ingest_ts of each row. Finding
//     the rows silver already holds reads it instead of decoding the
//     event_id column, which made each run's cost grow with the table (0.7 s
//     of a 1M-event run once silver held 9M rows). A key match found
//     through it is provisional: before the run commits, the matched rows'
//     event_ids are read from their files and compared byte for byte
//     (existingRows.verify).
//
// A missing, damaged or mismatched index is ignored: the stage reads that
// file's data instead. Indexes of silver files a commit removes are deleted
// after it (best effort).

const silverIndexWidth = 24 // key, ingest_ts

func silverIndex(root storage.Store, silver *delta.Snapshot) *idindex.Index {
	return idindex.New(root, "silver_ids", silver, silverIndexWidth)
}

// silverEntries makes the entries of a silver index: the row's key (zero
// for a null event_id, which silver never holds) and ingest_ts. keys, when
// set, are the keys of the rows of the batch being written, so that the
// event_ids the stage already hashed are not hashed again.
type silverEntries struct {
	keys []key
}

func (s *silverEntries) entry(b *column.Batch, r int, dst []byte) {
	var k key
	switch ids := b.Cols[pipeline.SEventID]; {
	case s.keys != nil:
		k = s.keys[r]
	case !ids.IsNull(r):
		k = hashID(ids.Bytes(r))
	}
	copy(dst, k[:])
	var t int64
	if ts := b.Cols[pipeline.SIngestTS]; !ts.IsNull(r) {
		t = ts.Ints[r]
	}
	binary.LittleEndian.PutUint64(dst[16:], uint64(t))
}

// silverIndexEntry decodes entry i of a silver index.
func silverIndexEntry(entries []byte, i int) (key, int64) {
	e := entries[i*silverIndexWidth:]
	return key(e[:16]), int64(binary.LittleEndian.Uint64(e[16:24]))
}
