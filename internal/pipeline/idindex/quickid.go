package idindex

import (
	"bytes"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/event"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// idPrefix starts the lines whose event_id quickID reads without the parser.
const idPrefix = `{"event_id":"`

// QuickID returns the event_id of an NDJSON line without parsing it, when
// it is sure the full parser returns the same id if the line is valid: the
// line starts with {"event_id":" (the contract's field order, which writers
// keep), holds no backslash (so no escaped key or quote) and no second
// "event_id" (a later duplicate key would win). A line it reads wrongly is
// one the parser rejects, which only sends its id to the dedup buckets
// needlessly. ok=false means: ask the parser.
func QuickID(line []byte) (id []byte, ok bool) {
	if !bytes.HasPrefix(line, []byte(idPrefix)) || bytes.IndexByte(line, '\\') >= 0 {
		return nil, false
	}
	rest := line[len(idPrefix):]
	end := bytes.IndexByte(rest, '"')
	if end <= 0 {
		return nil, false
	}
	// Look for another "event_id" at each 'v', the rarest of its letters in
	// this data (5 a line, against 11 '_' and 53 '"').
	for tail := rest[end:]; ; {
		i := bytes.IndexByte(tail, 'v')
		if i < 0 {
			break
		}
		if i >= 2 && len(tail) >= i+8 && string(tail[i-2:i+8]) == `"event_id"` {
			return nil, false
		}
		tail = tail[i+1:]
	}
	return rest[:end], true
}

// FirstKeyID reports whether the parser's id is the value of the line's
// first key written as quickID reads it ({"event_id":"...): the id aliases
// the line right after that prefix. Then QuickID, if sure, read the same
// id, and the second pass need not run it again.
func FirstKeyID(line, id []byte) bool {
	n := len(idPrefix)
	return len(id) > 0 && len(line) > n && bytes.HasPrefix(line, []byte(idPrefix)) && &line[n] == &id[0]
}

// LineKey returns the key bronze_to_silver dedups a raw NDJSON line by:
// the key of QuickID's id when it is sure, else of the parser's when the
// line is valid; ok=false for an invalid line. p and ev are the caller's
// scratch parser and event.
func LineKey(p *event.Parser, ev *event.Event, line []byte) (Key, bool) {
	id, ok := QuickID(line)
	if !ok {
		if !p.Parse(line, ev).Valid() {
			return Key{}, false
		}
		id = ev.EventID
	}
	return Hash(id), true
}

// BronzeWidth is the entry width of bronze's index: a key.
const BronzeWidth = 16

// Bronze returns the index of the bronze table of snap, whose entry for a
// row is the key of its raw line (LineKey; zero for an invalid line).
func Bronze(root storage.Store, snap *delta.Snapshot) *Index {
	return New(root, "bronze_ids", snap, BronzeWidth)
}

// LineEntries returns the EntryFunc of bronze's index, for raw lines in
// column col. It has a parser of its own: use one per FileWriter.
func LineEntries(col int) EntryFunc {
	p := event.NewParser(event.ParserOptions{})
	var ev event.Event
	return func(b *column.Batch, r int, dst []byte) {
		var k Key
		if raw := b.Cols[col]; !raw.IsNull(r) {
			k, _ = LineKey(p, &ev, raw.Bytes(r))
		}
		copy(dst, k[:])
	}
}
