package silver

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/idindex"
)

// keyFilter is a blocked Bloom filter over the candidate keys of a run, so
// that only silver rows that may be replaced are remembered: the probes of
// a key fall in one 512-bit block (one cache line). Every row silver holds
// is probed, so false positives grow with the table: at 32 bits and 5
// probes a key they are ~1 in 10^4 (at 16 bits and 3 probes they were 1 in
// 200: 46K rows remembered, and looked up by every row of the run, once
// silver held 10M).
type keyFilter struct {
	blocks [][8]uint64
	mask   uint64
}

const keyFilterProbes = 5

func newKeyFilter(expected int64) *keyFilter {
	n := uint64(1 << 10) // blocks of 512 bits: 32 bits a key
	for n*512 < uint64(expected)*32 {
		n <<= 1
	}
	return &keyFilter{blocks: make([][8]uint64, n), mask: n - 1}
}

// empty returns a filter of the same size with no keys.
func (f *keyFilter) empty() *keyFilter {
	return &keyFilter{blocks: make([][8]uint64, len(f.blocks)), mask: f.mask}
}

// or adds every key of o (a filter of the same size).
func (f *keyFilter) or(o *keyFilter) {
	for i := range o.blocks {
		for j, w := range o.blocks[i] {
			f.blocks[i][j] |= w
		}
	}
}

func (f *keyFilter) add(k key) {
	a := binary.LittleEndian.Uint64(k[:8])
	b := binary.LittleEndian.Uint64(k[8:])
	blk := &f.blocks[a&f.mask]
	for i := range keyFilterProbes {
		bit := (b >> (9 * i)) & 511
		blk[bit/64] |= 1 << (bit % 64)
	}
}

func (f *keyFilter) mayContain(k key) bool {
	a := binary.LittleEndian.Uint64(k[:8])
	b := binary.LittleEndian.Uint64(k[8:])
	blk := &f.blocks[a&f.mask]
	for i := range keyFilterProbes {
		bit := (b >> (9 * i)) & 511
		if blk[bit/64]&(1<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}

// existingRow locates a silver row whose event_id may be among the candidates.
type existingRow struct {
	file     int32
	row      int32
	ingestTS int64
	key      key
	id       []byte // the event_id, when read from Parquet
	indexed  bool   // found through an index: matched by key, the id is checked by verify
}

// existingRows indexes the silver rows that may collide with the run's
// candidates, and collects the rows the run replaces.
type existingRows struct {
	files      []*delta.Add
	m          map[key]existingRow
	drops      map[int32][]int32
	unverified []pendingCheck // guarded, like drops, by the caller's lock
}

// pendingCheck is a match made by key through an index: the row's event_id
// must be id.
type pendingCheck struct {
	row existingRow
	id  []byte
}

// loadExisting finds the silver rows whose key passes the filter: from each
// file's event_id index (idindex.go) when it has a usable one, otherwise
// from the file's event_id column, then its ingest_ts for those rows only.
// Files are read on goroutines, one file at a time each.
func loadExisting(ctx context.Context, snap *delta.Snapshot, filter *keyFilter, workers int, x *idindex.Index) (*existingRows, error) {
	e := &existingRows{m: map[key]existingRow{}, drops: map[int32][]int32{}}
	// The ids are read aliasing the pages: the few kept are cloned.
	sc, err := snap.Scan(delta.ScanOptions{Columns: []string{"event_id"}, BatchRows: 8192, AliasPages: true})
	if err != nil {
		return nil, err
	}
	e.files = sc.Files()
	hits := make([][]existingRow, len(e.files))
	bufs := sync.Pool{New: func() any { return new([]byte) }}
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(max(1, workers))
	for fi, a := range e.files {
		eg.Go(func() error {
			buf := bufs.Get().(*[]byte)
			defer bufs.Put(buf)
			if entries, err := x.Load(ectx, a, buf); err == nil {
				for r, n := 0, len(entries)/silverIndexWidth; r < n; r++ {
					if k, ts := silverIndexEntry(entries, r); k != (key{}) && filter.mayContain(k) {
						hits[fi] = append(hits[fi], existingRow{file: int32(fi), row: int32(r), ingestTS: ts, key: k, indexed: true})
					}
				}
				return nil
			}
			row := int32(0)
			var keys []key
			err := sc.ReadFile(ectx, a, func(b *column.Batch) error {
				ids := b.Cols[0]
				// Hash the batch first, then probe: the probes, cache
				// misses with no dependency between them, overlap.
				keys = keys[:0]
				for r, n := 0, b.Len(); r < n; r++ {
					var k key
					if !ids.IsNull(r) {
						k = hashID(ids.Bytes(r))
					}
					keys = append(keys, k)
				}
				for r, k := range keys {
					if !ids.IsNull(r) && filter.mayContain(k) {
						hits[fi] = append(hits[fi], existingRow{file: int32(fi), row: row + int32(r), key: k, id: bytes.Clone(ids.Bytes(r))})
					}
				}
				row += int32(len(keys))
				return nil
			})
			if err != nil {
				return fmt.Errorf("read silver: %w", err)
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	ts, err := snap.Scan(delta.ScanOptions{Columns: []string{"ingest_ts"}, BatchRows: 8192})
	if err != nil {
		return nil, err
	}
	for fi, hs := range hits {
		if len(hs) > 0 && !hs[0].indexed { // read from Parquet: ingest_ts too
			row, i := int32(0), 0
			err := ts.ReadFile(ctx, e.files[fi], func(b *column.Batch) error {
				v := b.Cols[0]
				for r, n := 0, b.Len(); r < n && i < len(hs); r++ {
					if hs[i].row == row && !v.IsNull(r) {
						hs[i].ingestTS = v.Ints[r]
					}
					if hs[i].row == row {
						i++
					}
					row++
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("read silver: %w", err)
			}
		}
		for _, h := range hs {
			e.m[h.key] = h
		}
	}
	return e, nil
}

// lookup returns the silver row of event_id id (key k). A row found through
// an index matches by key alone until verify has read its event_id.
func (e *existingRows) lookup(k key, id []byte) (existingRow, bool) {
	r, ok := e.m[k]
	if !ok || (!r.indexed && !bytes.Equal(r.id, id)) {
		return existingRow{}, false
	}
	return r, true
}

// matched records that the run's event_id id was matched to r; a match by
// key alone is checked by verify. The caller holds the lock of drops.
func (e *existingRows) matched(r existingRow, id []byte) {
	if r.indexed {
		e.unverified = append(e.unverified, pendingCheck{row: r, id: bytes.Clone(id)})
	}
}

// verify reads the event_id of every row matched by key alone and fails
// when one is not the event_id the run matched it with (a 128-bit hash
// collision, or an index that does not describe its file): the run then
// commits nothing.
func (e *existingRows) verify(ctx context.Context, snap *delta.Snapshot, x *idindex.Index) error {
	if len(e.unverified) == 0 {
		return nil
	}
	byFile := map[int32][]pendingCheck{}
	for _, p := range e.unverified {
		byFile[p.row.file] = append(byFile[p.row.file], p)
	}
	sc, err := snap.Scan(delta.ScanOptions{Columns: []string{"event_id"}, BatchRows: 8192, AliasPages: true})
	if err != nil {
		return err
	}
	for fi, ps := range byFile {
		slices.SortFunc(ps, func(a, b pendingCheck) int { return int(a.row.row - b.row.row) })
		a := e.files[fi]
		row, i := int32(0), 0
		err := sc.ReadFile(ctx, a, func(b *column.Batch) error {
			ids := b.Cols[0]
			for n := row + int32(b.Len()); i < len(ps) && ps[i].row.row < n; i++ {
				r := int(ps[i].row.row - row)
				if ids.IsNull(r) || !bytes.Equal(ids.Bytes(r), ps[i].id) {
					return fmt.Errorf("silver file %s, row %d: the event_id index (%s) matched it to event_id %q, but it holds another event_id; delete that index to have it ignored",
						a.Path, ps[i].row.row, x.Name(a.Path), ps[i].id)
				}
			}
			row += int32(b.Len())
			return nil
		})
		if err == nil && i < len(ps) {
			err = fmt.Errorf("silver file %s has %d rows, but its event_id index (%s) matched row %d", a.Path, row, x.Name(a.Path), ps[i].row.row)
		}
		if err != nil {
			return fmt.Errorf("verify event_id matches: %w", err)
		}
	}
	return nil
}

func (e *existingRows) drop(r existingRow) {
	e.drops[r.file] = append(e.drops[r.file], r.row)
}

// rewrite writes every file that lost rows again without them, and
// returns the files to remove.
func (e *existingRows) rewrite(ctx context.Context, snap *delta.Snapshot, sw *silverWriters) ([]*delta.Add, error) {
	files := make([]int32, 0, len(e.drops))
	for f := range e.drops {
		files = append(files, f)
	}
	slices.Sort(files)
	sc, err := snap.Scan(delta.ScanOptions{BatchRows: 8192})
	if err != nil {
		return nil, err
	}
	var removed []*delta.Add
	for _, fi := range files {
		drop := e.drops[fi]
		slices.Sort(drop)
		a := e.files[fi]
		row := int32(0)
		outs := [2]*column.Batch{column.NewBatch(snap.Schema(), 8192), column.NewBatch(snap.Schema(), 1024)}
		err := sc.ReadFile(ctx, a, func(b *column.Batch) error {
			outs[0].Reset()
			outs[1].Reset()
			names := b.Cols[pipeline.SEventName]
			for r := 0; r < b.Len(); r++ {
				if _, found := slices.BinarySearch(drop, row); !found {
					k := 0
					if !names.IsNull(r) && string(names.Bytes(r)) == "purchase" {
						k = 1
					}
					outs[k].AppendRow(b, r)
				}
				row++
			}
			for k, out := range outs {
				if out.Len() > 0 {
					if err := sw.write(out, nil, k == 1); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("rewrite silver file %s: %w", a.Path, err)
		}
		removed = append(removed, a)
	}
	return removed, nil
}
