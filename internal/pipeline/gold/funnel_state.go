package gold

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/zeebo/xxh3"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/keyset"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// The funnel counts distinct sessions per step and day, which cannot be
// updated from the new rows alone. So the stage keeps, per event_date, how
// many silver rows of each (session, step) there are, as of a silver
// version, in a state beside the warehouse's tables. A run then applies the
// silver files added (+1 per row) and removed (−1 per row) since that
// version, instead of reading the whole day again. Copy-on-write rewrites
// need no special case: the old file counts −1 for every row and the new
// one +1.
//
// A day's state is a small head plus a chain of immutable segments, an LSM
// (under _lakehouse/state/gold_funnel/<silver table id>/):
//
//   - <date>/<name>.seg, a segment: per step, entries sorted by key
//     (keyLess), each a 16-byte session key and a signed 32-bit count delta,
//     then the number of entries of each step. The first segment of a chain
//     is the base (positive counts only); the others hold one run's
//     aggregated changes each. A segment is never rewritten, and its name is
//     new (silver versions and a random part).
//   - <date>.bin, the head: its silver version, the distinct sessions per
//     step at that version, and the chain: each segment's name, size and
//     xxh3. It carries its own xxh3 and is written (atomically) after its
//     segments.
//
// A run sums its changes per key, finds each changed key's old count by one
// merge walk of the sorted changes against each segment's raw bytes (no
// decoding, no search per key), adjusts the distinct counts of the keys
// that cross 0, and writes the changes as one new segment and a new head.
// The state is read and checksummed, sequentially, but neither decoded nor
// rewritten: that work follows the change. When the deltas hold as many
// entries as the base, or the chain would pass maxSegments, the run merges
// the whole chain into a new base instead (doubling: each entry is
// rewritten O(1) times amortized), then deletes, best effort, the day's
// segments that the new head does not list (the old chain, and orphans of
// a run stopped before its head). A run that changes nothing writes only a
// head. Two runs updating a day at once leave the last head written; one's
// compaction may delete a segment the other's head lists, which makes that
// day recompute once.
//
// The state is a cache derived from silver only. A missing, unreadable or
// unusable state (a size or checksum that does not match, a missing segment,
// a count that would go negative, the commits since its version gone from
// the log, a deletion vector) makes the day recompute from silver, which
// writes a single base segment and a head.

const (
	headMagic = "lakehouse-funnel-state-2\n"
	segMagic  = "lakehouse-funnel-seg-1\n"
	entrySize = 20                        // key (2 × 8 bytes) + int32 count
	segFooter = 5 * 8                     // entries per step
	segMin    = len(segMagic) + segFooter // an empty segment
	segBuffer = 256 << 10                 // bytes gathered per segment write
)

// maxSegments bounds a day's chain (base included).
const maxSegments = 8

// change is a session's count change in one step: +1 or −1 for a row, or
// the sum of many.
type change struct {
	k keyset.Key
	d int64
}

// maxPending bounds the rows held per step before they are folded in, so a
// day of many rows does not hold a change per row.
const maxPending = 1 << 18

// changeSet gathers a day's changes: rows are appended to pending and
// folded (sorted, summed per key) into steps, which holds per step one
// change per key, sorted by key, none of them zero.
type changeSet struct {
	steps   [5][]change
	pending [5][]change
	sort    sortScratch
}

func keyLess(a, b keyset.Key) int {
	if a[1] != b[1] {
		return cmp.Compare(a[1], b[1])
	}
	return cmp.Compare(a[0], b[0])
}

func (cs *changeSet) add(step int, session []byte, delta int) {
	cs.addKey(step, sessionKey(session), int64(delta))
}

func (cs *changeSet) addKey(step int, k keyset.Key, d int64) {
	// A session's rows are mostly next to each other in a file: sum them
	// here rather than sort them apart.
	if p := cs.pending[step]; len(p) > 0 && p[len(p)-1].k == k {
		p[len(p)-1].d += d
		return
	}
	if p := cs.pending[step]; len(p) == cap(p) {
		// Double (append grows big slices by a quarter: many more copies).
		cs.pending[step] = slices.Grow(p, max(len(p), 1024))
	}
	cs.pending[step] = append(cs.pending[step], change{k, d})
	if len(cs.pending[step]) >= maxPending {
		cs.foldStep(step)
	}
}

// fold folds the pending rows into steps.
func (cs *changeSet) fold() {
	for i := range cs.pending {
		cs.foldStep(i)
	}
}

func (cs *changeSet) foldStep(i int) {
	p := cs.pending[i]
	if len(p) == 0 {
		return
	}
	sortChanges(p, &cs.sort)
	// Merge from the back into the room after the folded changes, so that
	// a day's changes are not copied into a new array at every fold: the
	// write position stays past every folded change not yet read.
	old := cs.steps[i]
	n := len(old) + len(p)
	if cap(old) < n {
		grown := make([]change, len(old), n+n/2)
		copy(grown, old)
		old = grown
	}
	out := old[:n]
	w := n
	j := len(old) - 1
	for a := len(p) - 1; a >= 0; {
		k := p[a].k
		var sum int64
		for ; a >= 0 && p[a].k == k; a-- {
			sum += p[a].d
		}
		for j >= 0 && keyLess(old[j].k, k) > 0 {
			w--
			out[w] = old[j]
			j--
		}
		if j >= 0 && old[j].k == k {
			sum += old[j].d
			j--
		}
		if sum != 0 {
			w--
			out[w] = change{k, sum}
		}
	}
	// old[:j+1] are already in place (w > j); move the rest down to them.
	kept := copy(out[j+1:], out[w:])
	cs.steps[i] = out[:j+1+kept]
	cs.pending[i] = p[:0]
}

// entries returns the number of folded changes.
func (cs *changeSet) entries() int64 {
	var n int64
	for _, s := range cs.steps {
		n += int64(len(s))
	}
	return n
}

// sortScratch is sortChanges' memory, kept between calls.
type sortScratch struct {
	tmp         []change
	count, next []int
}

// sortChanges orders changes by key (keyLess). Keys are uniform hashes, so
// one counting pass on the top bits of k[1] (about one bucket per change,
// at most 2^16) leaves buckets of a few entries, each sorted in place: two
// sequential passes instead of a comparison sort's log n.
func sortChanges(p []change, sc *sortScratch) {
	if len(p) < 1<<12 {
		slices.SortFunc(p, func(a, b change) int { return keyLess(a.k, b.k) })
		return
	}
	shift := 64 - min(16, bits.Len(uint(len(p)))-1)
	buckets := 1 << (64 - shift)
	sc.count = slices.Grow(sc.count[:0], buckets+1)[:buckets+1]
	count := sc.count
	clear(count)
	for _, c := range p {
		count[c.k[1]>>shift+1]++
	}
	for i := 1; i < len(count); i++ {
		count[i] += count[i-1]
	}
	sc.tmp = slices.Grow(sc.tmp[:0], len(p))[:len(p)]
	tmp := sc.tmp
	sc.next = append(sc.next[:0], count...)
	next := sc.next
	for _, c := range p {
		b := c.k[1] >> shift
		tmp[next[b]] = c
		next[b]++
	}
	copy(p, tmp)
	for b := 0; b < len(count)-1; b++ {
		if part := p[count[b]:count[b+1]]; len(part) > 1 {
			slices.SortFunc(part, func(a, b change) int { return keyLess(a.k, b.k) })
		}
	}
}

// funnelScan reads what the funnel needs of silver rows: session_id, whose
// values alias the file's pages (read in the callback only), and
// event_name.
func funnelScan(filter delta.Predicate) delta.ScanOptions {
	return delta.ScanOptions{Columns: []string{"session_id", "event_name"}, Filter: filter, BatchRows: 8192, AliasPages: true}
}

// applyFile adds (sign +1) or subtracts (−1) the rows of one silver file
// (a funnelScan).
func (cs *changeSet) applyFile(ctx context.Context, sc *delta.Scan, a *delta.Add, sign int) error {
	return sc.ReadFile(ctx, a, func(b *column.Batch) error {
		sess, names := b.Cols[0], b.Cols[1]
		var last []byte // the session of the row before, hashed into k
		var k keyset.Key
		for r, n := 0, b.Len(); r < n; r++ {
			if names.IsNull(r) || sess.IsNull(r) {
				continue
			}
			if step := stepOf(names.Bytes(r)); step >= 0 {
				if s := sess.Bytes(r); last == nil || string(s) != string(last) {
					last, k = s, sessionKey(s)
				}
				cs.addKey(step, k, int64(sign))
			}
		}
		return nil
	})
}

// funnelState is a day's head: the silver version it is as of, the
// distinct sessions per step then, and its chain of segments (base first).
type funnelState struct {
	version  int64
	sessions [5]int64
	segs     []segment
}

// segment is one segment of a chain as the head lists it, with its raw
// bytes once read.
type segment struct {
	name  string // in the day's folder
	size  int64
	sum   uint64    // xxh3 of its bytes
	steps [5][]byte // each step's entries, raw, once read
}

func (s *segment) entries() int64 { return (s.size - int64(segMin)) / entrySize }

var (
	errBadState   = errors.New("bad funnel state")
	errCountRange = errors.New("funnel state count out of range")
)

func encodeHead(fs *funnelState) []byte {
	out := []byte(headMagic)
	out = binary.LittleEndian.AppendUint64(out, uint64(fs.version))
	for _, n := range fs.sessions {
		out = binary.LittleEndian.AppendUint64(out, uint64(n))
	}
	out = binary.LittleEndian.AppendUint32(out, uint32(len(fs.segs)))
	for _, s := range fs.segs {
		out = binary.LittleEndian.AppendUint16(out, uint16(len(s.name)))
		out = append(out, s.name...)
		out = binary.LittleEndian.AppendUint64(out, uint64(s.size))
		out = binary.LittleEndian.AppendUint64(out, s.sum)
	}
	return binary.LittleEndian.AppendUint64(out, xxh3.Hash(out))
}

func decodeHead(data []byte) (*funnelState, error) {
	if len(data) < len(headMagic)+8+40+4+8 || !bytes.HasPrefix(data, []byte(headMagic)) {
		return nil, errBadState
	}
	body := data[:len(data)-8]
	if xxh3.Hash(body) != binary.LittleEndian.Uint64(data[len(body):]) {
		return nil, errBadState
	}
	p := body[len(headMagic):]
	fs := &funnelState{version: int64(binary.LittleEndian.Uint64(p))}
	p = p[8:]
	for i := range fs.sessions {
		if fs.sessions[i] = int64(binary.LittleEndian.Uint64(p)); fs.sessions[i] < 0 {
			return nil, errBadState
		}
		p = p[8:]
	}
	n := binary.LittleEndian.Uint32(p)
	p = p[4:]
	if n == 0 || n > maxSegments {
		return nil, errBadState
	}
	for range n {
		if len(p) < 2 {
			return nil, errBadState
		}
		l := int(binary.LittleEndian.Uint16(p))
		p = p[2:]
		if len(p) < l+16 {
			return nil, errBadState
		}
		s := segment{name: string(p[:l]), size: int64(binary.LittleEndian.Uint64(p[l:])), sum: binary.LittleEndian.Uint64(p[l+8:])}
		if !validSegmentName(s.name) || s.size < int64(segMin) || (s.size-int64(segMin))%entrySize != 0 {
			return nil, errBadState
		}
		fs.segs = append(fs.segs, s)
		p = p[l+16:]
	}
	if len(p) != 0 {
		return nil, errBadState
	}
	return fs, nil
}

func validSegmentName(name string) bool {
	return len(name) > len(".seg") && strings.HasSuffix(name, ".seg") && !strings.ContainsAny(name, "/\x00") && utf8.ValidString(name)
}

// parse checks a segment's bytes against its head entry and finds its
// steps.
func (s *segment) parse(data []byte) error {
	if int64(len(data)) != s.size || xxh3.Hash(data) != s.sum || len(data) < segMin || !bytes.HasPrefix(data, []byte(segMagic)) {
		return errBadState
	}
	end := len(data) - segFooter
	foot := data[end:]
	off := len(segMagic)
	for i := range s.steps {
		n := binary.LittleEndian.Uint64(foot[8*i:])
		if n > uint64(end-off)/entrySize {
			return errBadState
		}
		s.steps[i] = data[off : off+int(n)*entrySize]
		off += int(n) * entrySize
	}
	if off != end {
		return errBadState
	}
	return nil
}

// release drops the segments' bytes.
func (fs *funnelState) release() {
	for i := range fs.segs {
		fs.segs[i].steps = [5][]byte{}
	}
}

// chain returns the head entries of the segments, without their bytes.
func (fs *funnelState) chain() []segment {
	out := make([]segment, len(fs.segs))
	for i, s := range fs.segs {
		out[i] = segment{name: s.name, size: s.size, sum: s.sum}
	}
	return out
}

// entryKey returns the key of a raw entry.
func entryKey(e []byte) keyset.Key {
	return keyset.Key{binary.LittleEndian.Uint64(e), binary.LittleEndian.Uint64(e[8:])}
}

// entryCount returns the count of a raw entry.
func entryCount(e []byte) int64 { return int64(int32(binary.LittleEndian.Uint32(e[16:]))) }

// addCounts adds to old[j] the count that the raw entries of one segment's
// step hold for changes[j].k: one merge walk, both being sorted by key.
func addCounts(raw []byte, changes []change, old []int64) {
	for j := range changes {
		k := changes[j].k
		for len(raw) >= entrySize {
			hi := binary.LittleEndian.Uint64(raw[8:])
			if hi < k[1] {
				raw = raw[entrySize:]
				continue
			}
			if hi == k[1] {
				lo := binary.LittleEndian.Uint64(raw)
				if lo < k[0] {
					raw = raw[entrySize:]
					continue
				}
				if lo == k[0] {
					old[j] += entryCount(raw)
					raw = raw[entrySize:]
				}
			}
			break
		}
		if len(raw) < entrySize {
			return
		}
	}
}

// lookup returns the distinct sessions per step once the changes are
// applied to the state, whose segments have been read; false when a count
// is or would go negative (the state does not match silver).
func (fs *funnelState) lookup(cs *changeSet) ([5]int64, bool) {
	sessions := fs.sessions
	var old []int64
	for i, chs := range cs.steps {
		if len(chs) == 0 {
			continue
		}
		old = slices.Grow(old[:0], len(chs))[:len(chs)]
		clear(old)
		for _, s := range fs.segs {
			addCounts(s.steps[i], chs, old)
		}
		for j, c := range chs {
			o := old[j]
			n := o + c.d
			switch {
			case o < 0 || n < 0:
				return sessions, false
			case o == 0 && n > 0:
				sessions[i]++
			case o > 0 && n == 0:
				sessions[i]--
			}
		}
		if sessions[i] < 0 {
			return sessions, false
		}
	}
	return sessions, true
}

// cursor walks one sorted input of a merge: a segment step's raw entries
// or a changeSet step.
type cursor struct {
	raw []byte
	chs []change
	k   keyset.Key
	d   int64
}

func (c *cursor) next() bool {
	if len(c.raw) >= entrySize {
		c.k, c.d = entryKey(c.raw), entryCount(c.raw)
		c.raw = c.raw[entrySize:]
		return true
	}
	if len(c.chs) > 0 {
		c.k, c.d = c.chs[0].k, c.chs[0].d
		c.chs = c.chs[1:]
		return true
	}
	return false
}

// mergeStep merges sorted inputs, summing the counts of equal keys, and
// emits the keys whose sum is positive in order; errBadState when a sum is
// negative or an input is out of order.
func mergeStep(cur []cursor, emit func(k keyset.Key, n int64)) error {
	act := cur[:0]
	for _, c := range cur {
		if c.next() {
			act = append(act, c)
		}
	}
	var prev keyset.Key
	first := true
	for len(act) > 0 {
		m := act[0].k
		for _, c := range act[1:] {
			if keyLess(c.k, m) < 0 {
				m = c.k
			}
		}
		if !first && keyLess(prev, m) >= 0 {
			return errBadState
		}
		prev, first = m, false
		var sum int64
		for j := 0; j < len(act); {
			c := &act[j]
			if c.k == m {
				sum += c.d
				if !c.next() {
					act[j] = act[len(act)-1]
					act = act[:len(act)-1]
					continue
				}
			}
			j++
		}
		switch {
		case sum < 0:
			return errBadState
		case sum > 0:
			emit(m, sum)
		}
	}
	return nil
}

// stateStore keeps the states of one silver table.
type stateStore struct {
	store  storage.Store
	prefix string
}

func newStateStore(root storage.Store, silver *delta.Snapshot) stateStore {
	return stateStore{store: root, prefix: "_lakehouse/state/gold_funnel/" + silver.Metadata().ID + "/"}
}

func (s stateStore) headName(date int64) string {
	return s.prefix + delta.FormatDate(date) + ".bin"
}

// dir is the folder of a day's segments.
func (s stateStore) dir(date int64) string {
	return s.prefix + delta.FormatDate(date) + "/"
}

// load returns the head of a day, or nil when there is none usable. The
// segments are read by update, when there are changes to apply.
func (s stateStore) load(ctx context.Context, date int64) *funnelState {
	data, err := s.store.Get(ctx, s.headName(date))
	if err != nil {
		return nil
	}
	fs, err := decodeHead(data)
	if err != nil {
		return nil
	}
	return fs
}

// readSegments reads the chain of a head and checks it.
func (s stateStore) readSegments(ctx context.Context, date int64, fs *funnelState) error {
	for i := range fs.segs {
		data, err := s.store.Get(ctx, s.dir(date)+fs.segs[i].name)
		if err != nil {
			return err
		}
		if err := fs.segs[i].parse(data); err != nil {
			return err
		}
	}
	return nil
}

func (s stateStore) saveHead(ctx context.Context, date int64, fs *funnelState) error {
	if err := s.store.Put(ctx, s.headName(date), encodeHead(fs)); err != nil {
		return fmt.Errorf("save funnel state of %s: %w", delta.FormatDate(date), err)
	}
	return nil
}

// cleanup deletes, best effort, the segments of a day that its new head
// does not list: the chain it replaced, and orphans of runs that stopped
// before writing their head.
func (s stateStore) cleanup(ctx context.Context, date int64, fs *funnelState) {
	objs, err := s.store.List(ctx, s.dir(date), "")
	if err != nil {
		return
	}
	for _, o := range objs {
		name := strings.TrimPrefix(o.Name, s.dir(date))
		if !slices.ContainsFunc(fs.segs, func(sg segment) bool { return sg.name == name }) {
			_ = s.store.Delete(ctx, o.Name) // a segment left behind is only space
		}
	}
}

// segWriter streams a new segment to the store, step by step in key order.
type segWriter struct {
	w      storage.Writer
	h      *xxh3.Hasher
	buf    []byte
	size   int64
	counts [5]uint64
	err    error
}

func (s stateStore) createSegment(ctx context.Context, date int64, name string) (*segWriter, error) {
	w, err := s.store.Create(ctx, s.dir(date)+name)
	if err != nil {
		return nil, fmt.Errorf("save funnel state of %s: %w", delta.FormatDate(date), err)
	}
	sw := &segWriter{w: w, h: xxh3.New(), buf: make([]byte, 0, segBuffer)}
	sw.buf = append(sw.buf, segMagic...)
	return sw, nil
}

func (sw *segWriter) put(step int, k keyset.Key, n int64) {
	if n < math.MinInt32 || n > math.MaxInt32 {
		sw.err = cmp.Or(sw.err, errCountRange)
	}
	sw.counts[step]++
	sw.buf = binary.LittleEndian.AppendUint64(sw.buf, k[0])
	sw.buf = binary.LittleEndian.AppendUint64(sw.buf, k[1])
	sw.buf = binary.LittleEndian.AppendUint32(sw.buf, uint32(int32(n)))
	if len(sw.buf) > segBuffer-entrySize {
		sw.flush()
	}
}

func (sw *segWriter) flush() {
	if sw.err == nil {
		sw.h.Write(sw.buf)
		_, sw.err = sw.w.Write(sw.buf)
		sw.size += int64(len(sw.buf))
	}
	sw.buf = sw.buf[:0]
}

// close publishes the segment and returns its head entry.
func (sw *segWriter) close(name string) (segment, error) {
	for _, n := range sw.counts {
		sw.buf = binary.LittleEndian.AppendUint64(sw.buf, n)
	}
	sw.flush()
	if sw.err != nil {
		sw.w.Abort()
		return segment{}, sw.err
	}
	if err := sw.w.Close(); err != nil {
		return segment{}, err
	}
	return segment{name: name, size: sw.size, sum: sw.h.Sum64()}, nil
}

func segmentName(kind string, from, to int64) string {
	if kind == "base" {
		return fmt.Sprintf("base-%d-%016x.seg", to, rand.Uint64())
	}
	return fmt.Sprintf("delta-%d-%d-%016x.seg", from, to, rand.Uint64())
}

// update applies a day's changes since its head's version to the state and
// saves the new state as of target; it returns nil (and saves nothing)
// when the state is unusable. An error is the store's.
func (s stateStore) update(ctx context.Context, date int64, fs *funnelState, cs *changeSet, target int64) (*funnelState, error) {
	cs.fold()
	defer fs.release()
	next := &funnelState{version: target, sessions: fs.sessions, segs: fs.chain()}
	if cs.entries() == 0 {
		if fs.version == target {
			return next, nil
		}
		return next, s.saveHead(ctx, date, next)
	}
	if err := s.readSegments(ctx, date, fs); err != nil {
		return nil, nil
	}
	sessions, ok := fs.lookup(cs)
	if !ok {
		return nil, nil
	}
	next.sessions = sessions
	deltas := cs.entries()
	for _, sg := range fs.segs[1:] {
		deltas += sg.entries()
	}
	if deltas >= fs.segs[0].entries() || len(fs.segs) >= maxSegments {
		base, err := s.compact(ctx, date, fs, cs, target, sessions)
		if errors.Is(err, errBadState) || errors.Is(err, errCountRange) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		next.segs = []segment{base}
		if err := s.saveHead(ctx, date, next); err != nil {
			return nil, err
		}
		s.cleanup(ctx, date, next)
		return next, nil
	}
	name := segmentName("delta", fs.version, target)
	sw, err := s.createSegment(ctx, date, name)
	if err != nil {
		return nil, err
	}
	for i, chs := range cs.steps {
		for _, c := range chs {
			sw.put(i, c.k, c.d)
		}
	}
	seg, err := sw.close(name)
	if errors.Is(err, errCountRange) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("save funnel state of %s: %w", delta.FormatDate(date), err)
	}
	next.segs = append(next.segs, seg)
	return next, s.saveHead(ctx, date, next)
}

// compact merges a chain and the changes into one new base segment, whose
// entries per step must be the sessions counted.
func (s stateStore) compact(ctx context.Context, date int64, fs *funnelState, cs *changeSet, target int64, sessions [5]int64) (segment, error) {
	name := segmentName("base", 0, target)
	sw, err := s.createSegment(ctx, date, name)
	if err != nil {
		return segment{}, err
	}
	cur := make([]cursor, 0, len(fs.segs)+1)
	for i := range cs.steps {
		cur = cur[:0]
		for _, sg := range fs.segs {
			cur = append(cur, cursor{raw: sg.steps[i]})
		}
		cur = append(cur, cursor{chs: cs.steps[i]})
		err := mergeStep(cur, func(k keyset.Key, n int64) { sw.put(i, k, n) })
		if err == nil && int64(sw.counts[i]) != sessions[i] {
			err = errBadState
		}
		if err != nil {
			sw.w.Abort()
			return segment{}, err
		}
	}
	seg, err := sw.close(name)
	if err != nil && !errors.Is(err, errCountRange) {
		err = fmt.Errorf("save funnel state of %s: %w", delta.FormatDate(date), err)
	}
	return seg, err
}

// rebuild saves the state of a day from all of its rows (cs, every count
// positive) as one base segment and a head, and returns the distinct
// sessions per step.
func (s stateStore) rebuild(ctx context.Context, date int64, cs *changeSet, target int64) ([5]int64, error) {
	cs.fold()
	next := &funnelState{version: target}
	name := segmentName("base", 0, target)
	sw, err := s.createSegment(ctx, date, name)
	if err != nil {
		return next.sessions, err
	}
	for i, chs := range cs.steps {
		for _, c := range chs {
			if c.d > 0 {
				sw.put(i, c.k, c.d)
				next.sessions[i]++
			}
		}
	}
	seg, err := sw.close(name)
	if errors.Is(err, errCountRange) {
		// Not a state this format can hold: the day recomputes every run.
		_ = s.store.Delete(ctx, s.headName(date))
		return next.sessions, nil
	}
	if err != nil {
		return next.sessions, fmt.Errorf("save funnel state of %s: %w", delta.FormatDate(date), err)
	}
	next.segs = []segment{seg}
	if err := s.saveHead(ctx, date, next); err != nil {
		return next.sessions, err
	}
	s.cleanup(ctx, date, next)
	return next.sessions, nil
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
			d, ok, err := pipeline.EventDate(add.PartitionValues)
			if err != nil || !ok {
				return nil, false, nil
			}
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
// version, from the day's state (its head: fs) and the changes since when it
// can, otherwise from the whole day; it saves the new state.
func computeFunnel(ctx context.Context, silver *delta.Snapshot, states stateStore, fs *funnelState, changes *funnelChanges, date int64) (Funnel, bool, error) {
	target := silver.Version()
	if fs != nil && changes != nil && fs.version >= changes.from && fs.version <= target {
		// The scan reads each changed file by its add action (ReadFile),
		// files removed since included.
		sc, err := silver.Scan(funnelScan(nil))
		if err != nil {
			return Funnel{}, false, err
		}
		cs := &changeSet{}
		for _, ch := range changes.byDay[date] {
			if ch.version <= fs.version {
				continue
			}
			if err := cs.applyFile(ctx, sc, ch.add, ch.sign); err != nil {
				return Funnel{}, false, err
			}
		}
		next, err := states.update(ctx, date, fs, cs, target)
		if err != nil {
			return Funnel{}, false, err
		}
		if next != nil {
			return Funnel{Date: date, Sessions: next.sessions}, true, nil
		}
	}
	cs := &changeSet{}
	day, err := silver.Scan(funnelScan(delta.Eq("event_date", date)))
	if err != nil {
		return Funnel{}, false, err
	}
	for _, a := range day.Files() {
		if err := cs.applyFile(ctx, day, a, 1); err != nil {
			return Funnel{}, false, err
		}
	}
	sessions, err := states.rebuild(ctx, date, cs, target)
	if err != nil {
		return Funnel{}, false, err
	}
	return Funnel{Date: date, Sessions: sessions}, false, nil
}
