package silver

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/event"
)

// Most events of a run occur once. A first pass over the run's bronze rows
// reads only their event_ids and finds the ids that may occur more than
// once (repeats); the second pass validates every row and writes the rows
// of the other ids straight to silver, and only the repeats go through the
// dedup buckets. Without the first pass every row would be encoded, kept
// (spilled past the memory budget) and decoded again before it could be
// written.

// seenFilter is a Bloom filter that tells, while adding a key, whether it
// was there before. The probes of a key fall in one 64-bit word. Workers
// add keys in batches under one lock: the loop over a batch has no
// dependency between keys, so the CPU overlaps their cache misses (atomic
// operations per key would serialize them).
type seenFilter struct {
	mu    sync.Mutex
	words []uint64
	mask  uint64
}

func newSeenFilter(keys int64) *seenFilter {
	n := uint64(1 << 10) // 16 bits a key
	for n*64 < uint64(keys)*16 {
		n <<= 1
	}
	return &seenFilter{words: make([]uint64, n), mask: n - 1}
}

// probe returns the word index and the bits of k.
func (f *seenFilter) probe(k key) (uint64, uint64) {
	a := binary.LittleEndian.Uint64(k[8:])
	b := binary.LittleEndian.Uint64(k[:8]) >> 32
	var m uint64
	for i := range 4 {
		m |= 1 << ((b >> (6 * i)) & 63)
	}
	return a & f.mask, m
}

// addBatch adds keys and calls repeat for each key that was (probably)
// there before, under the filter's lock.
func (f *seenFilter) addBatch(keys []key, repeat func(key)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range keys {
		w, m := f.probe(k)
		if old := f.words[w]; old&m == m {
			repeat(k)
		} else {
			f.words[w] = old | m
		}
	}
}

// contains reports whether k may have been added.
func (f *seenFilter) contains(k key) bool {
	w, m := f.probe(k)
	return f.words[w]&m == m
}

// repeats are the keys seen more than once by the first pass (true repeats
// and the filter's false positives), with how many rows beyond the first
// each has, and a small filter of them that answers most lookups from the
// cache. Read-only once the first pass is done.
type repeats struct {
	m      map[key]int32
	filter *seenFilter
	rows   int64 // rows the keys of m cover: the size of the dedup buckets
}

func (r *repeats) has(k key) bool {
	if r.filter == nil || !r.filter.contains(k) {
		return false
	}
	_, ok := r.m[k]
	return ok
}

// idPrefix starts the lines whose event_id quickID reads without the parser.
const idPrefix = `{"event_id":"`

// quickID returns the event_id of an NDJSON line without parsing it, when
// it is sure the full parser returns the same id if the line is valid: the
// line starts with {"event_id":" (the contract's field order, which writers
// keep), holds no backslash (so no escaped key or quote) and no second
// "event_id" (a later duplicate key would win). A line it reads wrongly is
// one the parser rejects, which only sends its id to the dedup buckets
// needlessly. ok=false means: ask the parser.
func quickID(line []byte) (id []byte, ok bool) {
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

// firstKeyID reports whether the parser's id is the value of the line's
// first key written as quickID reads it ({"event_id":"...): the id aliases
// the line right after that prefix. Then quickID, if sure, read the same
// id, and the second pass need not run it again.
func firstKeyID(line, id []byte) bool {
	n := len(idPrefix)
	return len(id) > 0 && len(line) > n && bytes.HasPrefix(line, []byte(idPrefix)) && &line[n] == &id[0]
}

// scanIDs is the first pass: it reads the raw_json of the units of
// versions after lastS and returns the repeated keys. When silver has rows,
// it also fills filter with every key, for loadExisting.
func scanIDs(ctx context.Context, bronze *delta.Snapshot, units []unit, lastS, expected int64, filter *keyFilter, needFilter bool, opts Options) (*repeats, error) {
	sc, err := bronze.Scan(delta.ScanOptions{Columns: []string{"raw_json"}, BatchRows: 4096, AliasPages: true})
	if err != nil {
		return nil, err
	}
	seen := newSeenFilter(expected)
	rep := &repeats{m: map[key]int32{}}
	addRepeat := func(k key) { rep.m[k]++ } // under seen's lock
	var fmu sync.Mutex                      // guards filter
	next := make(chan unit, len(units))
	for _, u := range units {
		if u.version > lastS {
			next <- u
		}
	}
	close(next)
	eg, ectx := errgroup.WithContext(ctx)
	for range max(1, opts.Workers) {
		eg.Go(func() error {
			p := event.NewParser(event.ParserOptions{MaxRecordBytes: opts.MaxRecordBytes})
			var ev event.Event
			myFilter := filter.empty()
			if !needFilter {
				myFilter = nil
			}
			keys := make([]key, 0, 4096)
			for u := range next {
				err := sc.ReadFile(ectx, u.add, func(b *column.Batch) error {
					raw := b.Cols[0]
					keys = keys[:0]
					for r := 0; r < b.Len(); r++ {
						if raw.IsNull(r) {
							continue
						}
						line := raw.Bytes(r)
						id, ok := quickID(line)
						if !ok {
							if !p.Parse(line, &ev).Valid() {
								continue
							}
							id = ev.EventID
						}
						k := hashID(id)
						if myFilter != nil {
							myFilter.add(k)
						}
						keys = append(keys, k)
					}
					seen.addBatch(keys, addRepeat)
					return nil
				})
				if err != nil {
					return fmt.Errorf("bronze file %s: %w", u.add.Path, err)
				}
			}
			if myFilter != nil {
				fmu.Lock()
				filter.or(myFilter)
				fmu.Unlock()
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	all := make([]key, 0, len(rep.m))
	for k, n := range rep.m {
		rep.rows += int64(n) + 1
		all = append(all, k)
	}
	rep.filter = newSeenFilter(int64(len(all)))
	rep.filter.addBatch(all, func(key) {})
	return rep, nil
}
