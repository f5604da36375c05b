package silver

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/event"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/idindex"
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
// add keys in batches, not one at a time: the loop over a batch has no
// dependency between keys, so the CPU overlaps their cache misses (atomic
// operations per key would serialize them). The words are in seenShards
// shards, each under a lock of its own, so that two workers adding files'
// keys (addOrdered) insert into different shards at once.
type seenFilter struct {
	locks      [seenShards]sync.Mutex
	words      []uint64
	mask       uint64
	shardShift int // a word's shard is its index >> shardShift
}

const seenShards = 16

func newSeenFilter(keys int64) *seenFilter {
	n := uint64(1 << 10) // 16 bits a key
	for n*64 < uint64(keys)*16 {
		n <<= 1
	}
	return &seenFilter{words: make([]uint64, n), mask: n - 1, shardShift: bits.Len64(n-1) - bits.Len(seenShards-1)}
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

// insert adds keys, calling repeat for each key that was (probably) there
// before; the caller holds the locks of the keys' shards. The filter is far
// larger than the caches and a key's word is anywhere in it: each key's
// word is prefetched prefetchAhead keys before it is needed, so that its
// cache miss overlaps the work of the keys between instead of stalling the
// loop (BenchmarkSeenFilter measures it).
func (f *seenFilter) insert(keys []key, repeat func(key)) {
	for _, k := range keys[:min(prefetchAhead, len(keys))] {
		w, _ := f.probe(k)
		prefetch(&f.words[w])
	}
	for i, k := range keys {
		if j := i + prefetchAhead; j < len(keys) {
			w, _ := f.probe(keys[j])
			prefetch(&f.words[w])
		}
		w, m := f.probe(k)
		if old := f.words[w]; old&m == m {
			repeat(k)
		} else {
			f.words[w] = old | m
		}
	}
}

// prefetchAhead is how many keys ahead insert prefetches.
const prefetchAhead = 16

// addBatch adds keys and calls repeat for each key that was (probably)
// there before, holding every shard's lock.
func (f *seenFilter) addBatch(keys []key, repeat func(key)) {
	for i := range f.locks {
		f.locks[i].Lock()
	}
	f.insert(keys, repeat)
	for i := range f.locks {
		f.locks[i].Unlock()
	}
}

// addOrdered adds keys like addBatch, grouped by the shard their words
// fall in: a counting pass scatters them into tmp (returned, to reuse), and
// each shard's keys are inserted under that shard's lock alone, a free
// shard first, so that concurrent callers seldom wait for each other. For
// many keys at once (a bronze file's index). repeat may be called by
// concurrent callers at once: give each its own.
func (f *seenFilter) addOrdered(keys, tmp []key, repeat func(key)) []key {
	var bounds [seenShards + 1]int
	for _, k := range keys {
		w, _ := f.probe(k)
		bounds[w>>f.shardShift+1]++
	}
	for sh := 1; sh <= seenShards; sh++ {
		bounds[sh] += bounds[sh-1]
	}
	// The keys of shard s: tmp[bounds[s]:bounds[s+1]].
	next := bounds
	tmp = slices.Grow(tmp[:0], len(keys))[:len(keys)]
	for _, k := range keys {
		w, _ := f.probe(k)
		sh := w >> f.shardShift
		tmp[next[sh]] = k
		next[sh]++
	}
	var done [seenShards]bool
	for left := seenShards; left > 0; {
		took := false
		for sh := range seenShards {
			if !done[sh] && f.locks[sh].TryLock() {
				f.insert(tmp[bounds[sh]:bounds[sh+1]], repeat)
				f.locks[sh].Unlock()
				done[sh], took = true, true
				left--
			}
		}
		if !took { // every shard left is busy: wait for the first
			sh := slices.Index(done[:], false)
			f.locks[sh].Lock()
			f.insert(tmp[bounds[sh]:bounds[sh+1]], repeat)
			f.locks[sh].Unlock()
			done[sh] = true
			left--
		}
	}
	return tmp
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
	return r.filter != nil && r.filter.contains(k) && r.counted(k)
}

// counted reports whether k is a repeat, without the filter.
func (r *repeats) counted(k key) bool {
	_, ok := r.m[k]
	return ok
}

// probe appends to out, for each key of entries (an index's, 16 bytes a
// key), whether the filter may hold it: has without the map, for a batch of
// keys at once (the loop's probes have no dependency between them, so the
// CPU overlaps their cache misses).
func (r *repeats) probe(entries []byte, out []bool) []bool {
	for e := 0; e+idindex.BronzeWidth <= len(entries); e += idindex.BronzeWidth {
		out = append(out, r.filter != nil && r.filter.contains(key(entries[e:e+idindex.BronzeWidth])))
	}
	return out
}

// scanIDs is the first pass: it takes the keys of the units of versions
// after lastS, from bronze's index when a unit has a usable one (marking
// the unit indexed, so that the second pass checks them), else from
// raw_json, and returns the repeated keys. When silver has rows, it also
// fills filter with every key, for loadExisting.
func scanIDs(ctx context.Context, bronze *delta.Snapshot, bx *idindex.Index, units []unit, lastS, expected int64, filter *keyFilter, needFilter bool, opts Options) (*repeats, error) {
	sc, err := bronze.Scan(delta.ScanOptions{Columns: []string{"raw_json"}, BatchRows: 4096, AliasPages: true})
	if err != nil {
		return nil, err
	}
	seen := newSeenFilter(expected)
	rep := &repeats{m: map[key]int32{}}
	var fmu sync.Mutex // guards filter and rep.m
	next := make(chan int, len(units))
	for i, u := range units {
		if u.version > lastS {
			next <- i
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
			var repeated []key // this worker's repeats, merged into rep.m at the end
			addRepeat := func(k key) { repeated = append(repeated, k) }
			// Keys go to the seen filter in batches (see seenFilter).
			add := func(k key) {
				if myFilter != nil {
					myFilter.add(k)
				}
				keys = append(keys, k)
				if len(keys) == cap(keys) {
					seen.addBatch(keys, addRepeat)
					keys = keys[:0]
				}
			}
			var buf []byte
			var fileKeys, tmp []key
			for i := range next {
				u := &units[i]
				if bx != nil {
					if entries, err := bx.Load(ectx, u.add, &buf); err == nil {
						u.indexed = true
						fileKeys = slices.Grow(fileKeys[:0], len(entries)/idindex.BronzeWidth)
						for e := 0; e+idindex.BronzeWidth <= len(entries); e += idindex.BronzeWidth {
							if k := key(entries[e : e+idindex.BronzeWidth]); k != (key{}) {
								if myFilter != nil {
									myFilter.add(k)
								}
								fileKeys = append(fileKeys, k)
							}
						}
						tmp = seen.addOrdered(fileKeys, tmp, addRepeat)
						continue
					}
				}
				err := sc.ReadFile(ectx, u.add, func(b *column.Batch) error {
					raw := b.Cols[0]
					for r := 0; r < b.Len(); r++ {
						if raw.IsNull(r) {
							continue
						}
						if k, ok := idindex.LineKey(p, &ev, raw.Bytes(r)); ok {
							add(k)
						}
					}
					return nil
				})
				if err != nil {
					return fmt.Errorf("bronze file %s: %w", u.add.Path, err)
				}
			}
			seen.addBatch(keys, addRepeat)
			fmu.Lock()
			defer fmu.Unlock()
			if myFilter != nil {
				filter.or(myFilter)
			}
			for _, k := range repeated {
				rep.m[k]++
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
