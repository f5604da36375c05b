package gold

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/keyset"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// The funnel counts distinct sessions per step and day, which cannot be
// updated from the new rows alone. So the stage keeps, per event_date, how
// many silver rows of each (session, step) there are, as of a silver
// version, in a state file beside the warehouse's tables. A run then applies
// the silver files added (+1 per row) and removed (−1 per row) since that
// version, instead of reading the whole day again: the cost follows the
// change, not the table. Copy-on-write rewrites need no special case: the
// old file counts −1 for every row and the new one +1.
//
// The state is a cache derived from silver only. It is written after the
// counts are computed, atomically, and carries its silver version; a
// missing, unreadable or unusable state (the commits since its version gone
// from the log, a deletion vector) makes the day recompute from silver.

const stateMagic = "lakehouse-funnel-state-1\n"

// funnelState holds the (session, step) row counts of one day: per step a
// slice sorted by key, plus the changes of this run appended to a list that
// merge sorts and folds in: sequential work over the state and the changes,
// no hashing per row.
type funnelState struct {
	version int64
	steps   [5][]entry
	pending [5][]change
}

type entry struct {
	k keyset.Key
	n uint32
}

// change is one row's +1 or −1 for a session.
type change struct {
	k keyset.Key
	d int64
}

// maxPending bounds the changes held per step before they are folded in,
// so a day of many rows does not hold a change per row.
const maxPending = 1 << 18

func newFunnelState(version int64) *funnelState {
	return &funnelState{version: version}
}

func keyLess(a, b keyset.Key) int {
	if a[1] != b[1] {
		return cmp.Compare(a[1], b[1])
	}
	return cmp.Compare(a[0], b[0])
}

func (fs *funnelState) add(step int, session []byte, delta int) {
	fs.pending[step] = append(fs.pending[step], change{sessionKey(session), int64(delta)})
	if len(fs.pending[step]) >= maxPending {
		fs.mergeStep(step)
	}
}

// merge folds the pending changes into the sorted counts.
func (fs *funnelState) merge() {
	for i := range fs.pending {
		fs.mergeStep(i)
	}
}

func (fs *funnelState) mergeStep(i int) {
	p := fs.pending[i]
	if len(p) == 0 {
		return
	}
	sortChanges(p)
	old := fs.steps[i]
	out := make([]entry, 0, len(old)+len(p))
	j := 0
	for a := 0; a < len(p); {
		k := p[a].k
		var n int64
		for ; a < len(p) && p[a].k == k; a++ {
			n += p[a].d
		}
		for j < len(old) && keyLess(old[j].k, k) < 0 {
			out = append(out, old[j])
			j++
		}
		if j < len(old) && old[j].k == k {
			n += int64(old[j].n)
			j++
		}
		if n > 0 {
			out = append(out, entry{k, uint32(n)})
		}
	}
	out = append(out, old[j:]...)
	fs.steps[i] = out
	fs.pending[i] = p[:0]
}

// sortChanges orders changes by key (keyLess). Keys are uniform hashes, so
// one counting pass on the top 16 bits of k[1] leaves buckets of a few
// entries, each sorted in place: two sequential passes instead of a
// comparison sort's log n.
func sortChanges(p []change) {
	if len(p) < 1<<12 {
		slices.SortFunc(p, func(a, b change) int { return keyLess(a.k, b.k) })
		return
	}
	const bits = 16
	var count [1<<bits + 1]int
	for _, c := range p {
		count[c.k[1]>>(64-bits)+1]++
	}
	for i := 1; i < len(count); i++ {
		count[i] += count[i-1]
	}
	tmp := make([]change, len(p))
	next := count
	for _, c := range p {
		b := c.k[1] >> (64 - bits)
		tmp[next[b]] = c
		next[b]++
	}
	copy(p, tmp)
	for b := 0; b < 1<<bits; b++ {
		if part := p[count[b]:count[b+1]]; len(part) > 1 {
			slices.SortFunc(part, func(a, b change) int { return keyLess(a.k, b.k) })
		}
	}
}

func (fs *funnelState) sessions() [5]int64 {
	fs.merge()
	var out [5]int64
	for i, e := range fs.steps {
		out[i] = int64(len(e))
	}
	return out
}

// applyFile adds (sign +1) or subtracts (−1) the rows of one silver file.
func (fs *funnelState) applyFile(ctx context.Context, sc *delta.Scan, a *delta.Add, sign int) error {
	return sc.ReadFile(ctx, a, func(b *column.Batch) error {
		names, sess := b.Cols[0], b.Cols[1]
		for r, n := 0, b.Len(); r < n; r++ {
			if names.IsNull(r) || sess.IsNull(r) {
				continue
			}
			if step := stepOf(names.Bytes(r)); step >= 0 {
				fs.add(step, sess.Bytes(r), sign)
			}
		}
		return nil
	})
}

// stateStore keeps the states of one silver table.
type stateStore struct {
	store  storage.Store
	prefix string
}

func newStateStore(root storage.Store, silver *delta.Snapshot) stateStore {
	return stateStore{store: root, prefix: "_lakehouse/state/gold_funnel/" + silver.Metadata().ID + "/"}
}

func (s stateStore) name(date int64) string {
	return s.prefix + delta.FormatDate(date) + ".bin"
}

// load returns the state of a day, or nil when there is none usable.
func (s stateStore) load(ctx context.Context, date int64) *funnelState {
	data, err := s.store.Get(ctx, s.name(date))
	if err != nil {
		return nil
	}
	fs, err := decodeState(data)
	if err != nil {
		return nil
	}
	return fs
}

func (s stateStore) save(ctx context.Context, date int64, fs *funnelState) error {
	if err := s.store.Put(ctx, s.name(date), encodeState(fs)); err != nil {
		return fmt.Errorf("save funnel state of %s: %w", delta.FormatDate(date), err)
	}
	return nil
}

func encodeState(fs *funnelState) []byte {
	fs.merge()
	size := len(stateMagic) + 8
	for _, e := range fs.steps {
		size += 4 + 20*len(e)
	}
	out := make([]byte, 0, size)
	out = append(out, stateMagic...)
	out = binary.LittleEndian.AppendUint64(out, uint64(fs.version))
	for _, es := range fs.steps {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(es)))
		for _, e := range es {
			out = binary.LittleEndian.AppendUint64(out, e.k[0])
			out = binary.LittleEndian.AppendUint64(out, e.k[1])
			out = binary.LittleEndian.AppendUint32(out, e.n)
		}
	}
	return out
}

var errBadState = errors.New("bad funnel state")

func decodeState(data []byte) (*funnelState, error) {
	if !bytes.HasPrefix(data, []byte(stateMagic)) || len(data) < len(stateMagic)+8 {
		return nil, errBadState
	}
	data = data[len(stateMagic):]
	fs := newFunnelState(int64(binary.LittleEndian.Uint64(data)))
	data = data[8:]
	for i := range fs.steps {
		if len(data) < 4 {
			return nil, errBadState
		}
		n := int(binary.LittleEndian.Uint32(data))
		data = data[4:]
		if len(data) < 20*n {
			return nil, errBadState
		}
		es := make([]entry, n)
		for j := range es {
			rec := data[20*j:]
			es[j] = entry{keyset.Key{binary.LittleEndian.Uint64(rec), binary.LittleEndian.Uint64(rec[8:])}, binary.LittleEndian.Uint32(rec[16:])}
			if j > 0 && keyLess(es[j-1].k, es[j].k) >= 0 {
				return nil, errBadState
			}
		}
		fs.steps[i] = es
		data = data[20*n:]
	}
	if len(data) != 0 {
		return nil, errBadState
	}
	return fs, nil
}

// funnelChanges are the silver file changes of a range of versions,
// grouped by event_date.
type funnelChanges struct {
	from  int64 // changes are for versions (from, to]
	byDay map[int64][]fileChange
}

type fileChange struct {
	version int64
	add     *delta.Add
	sign    int
}

// readChanges reads the silver log in (from, to]; ok=false when a commit is
// gone or a change cannot be applied row by row (a deletion vector).
func readChanges(ctx context.Context, silver *delta.Snapshot, from, to int64) (*funnelChanges, bool, error) {
	fc := &funnelChanges{from: from, byDay: map[int64][]fileChange{}}
	if from >= to {
		return fc, true, nil
	}
	changes, err := silver.Table().Changes(ctx, from, to)
	if errors.Is(err, delta.ErrVersionNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read silver log: %w", err)
	}
	for _, c := range changes {
		for _, a := range c.Actions {
			var add *delta.Add
			sign := 1
			switch {
			case a.Add != nil && a.Add.DataChange:
				add = a.Add
			case a.Remove != nil && a.Remove.DataChange:
				r := a.Remove
				if r.DeletionVector != nil {
					return nil, false, nil
				}
				add, sign = &delta.Add{Path: r.Path, PartitionValues: r.PartitionValues, Size: derefOr(r.Size)}, -1
			default:
				continue
			}
			if add.DeletionVector != nil {
				return nil, false, nil
			}
			v, err := delta.ParsePartitionValue(column.TypeDate, add.PartitionValues["event_date"])
			if err != nil || v == nil {
				return nil, false, nil
			}
			d := v.(int64)
			fc.byDay[d] = append(fc.byDay[d], fileChange{version: c.Version, add: add, sign: sign})
		}
	}
	return fc, true, nil
}

func derefOr(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// computeFunnel returns the funnel of a day at the silver snapshot's
// version, from the day's state and the changes since when it can,
// otherwise from the whole day; it saves the new state.
func computeFunnel(ctx context.Context, silver *delta.Snapshot, states stateStore, fs *funnelState, changes *funnelChanges, date int64) (Funnel, bool, error) {
	target := silver.Version()
	incremental := fs != nil && changes != nil && fs.version >= changes.from && fs.version <= target
	if incremental {
		// The scan reads each changed file by its add action (ReadFile),
		// files removed since included.
		sc, err := silver.Scan(delta.ScanOptions{Columns: []string{"event_name", "session_id"}, BatchRows: 8192})
		if err != nil {
			return Funnel{}, false, err
		}
		for _, ch := range changes.byDay[date] {
			if ch.version <= fs.version {
				continue
			}
			if err := fs.applyFile(ctx, sc, ch.add, ch.sign); err != nil {
				return Funnel{}, false, err
			}
		}
	} else {
		fs = newFunnelState(target)
		day, err := silver.Scan(delta.ScanOptions{Columns: []string{"event_name", "session_id"}, Filter: delta.Eq("event_date", date), BatchRows: 8192})
		if err != nil {
			return Funnel{}, false, err
		}
		for _, a := range day.Files() {
			if err := fs.applyFile(ctx, day, a, 1); err != nil {
				return Funnel{}, false, err
			}
		}
	}
	fs.version = target
	if err := states.save(ctx, date, fs); err != nil {
		return Funnel{}, false, err
	}
	return Funnel{Date: date, Sessions: fs.sessions()}, incremental, nil
}
