package gold

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/zeebo/xxh3"

	"github.com/ecomm-lakehouse/lakehouse/internal/keyset"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/mem"
)

const testDate = 20000

func testStates() stateStore {
	return stateStore{store: mem.New(mem.Options{}), prefix: "state/t/"}
}

// refCounts is the plain count the state must agree with.
type refCounts [5]map[keyset.Key]int64

func newRefCounts() refCounts {
	var r refCounts
	for i := range r {
		r[i] = map[keyset.Key]int64{}
	}
	return r
}

func (r refCounts) sessions() [5]int64 {
	var out [5]int64
	for i, m := range r {
		for _, n := range m {
			if n > 0 {
				out[i]++
			}
		}
	}
	return out
}

// all returns the whole day as a change set, as a recompute reads it.
func (r refCounts) all() *changeSet {
	cs := &changeSet{}
	for i, m := range r {
		for k, n := range m {
			if n > 0 {
				cs.addKey(i, k, n)
			}
		}
	}
	return cs
}

// chainCounts sums the counts of every segment of a day's chain per key,
// checking that each segment is sorted and its base positive.
func chainCounts(t *testing.T, st stateStore, fs *funnelState) refCounts {
	t.Helper()
	if err := st.readSegments(context.Background(), testDate, fs); err != nil {
		t.Fatalf("read segments: %v", err)
	}
	defer fs.release()
	out := newRefCounts()
	for si, sg := range fs.segs {
		for i, raw := range sg.steps {
			var prev keyset.Key
			for e := 0; e < len(raw); e += entrySize {
				k, n := entryKey(raw[e:]), entryCount(raw[e:])
				if e > 0 && keyLess(prev, k) >= 0 {
					t.Fatalf("segment %s step %d out of order", sg.name, i)
				}
				if n == 0 || si == 0 && n < 0 {
					t.Fatalf("segment %d (%s) holds count %d", si, sg.name, n)
				}
				prev = k
				out[i][k] += n
			}
		}
	}
	for i := range out {
		for k, n := range out[i] {
			if n == 0 {
				delete(out[i], k)
			}
		}
	}
	return out
}

func segmentFiles(t *testing.T, st stateStore) []string {
	t.Helper()
	objs, err := st.store.List(context.Background(), st.dir(testDate), "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, strings.TrimPrefix(o.Name, st.dir(testDate)))
	}
	return out
}

// A random +/- stream applied run after run as segments, with compactions,
// gives at every run exactly the counts of a plain count; the chain stays
// bounded, both compaction rules fire, and compaction leaves only the
// segments its head lists.
func TestFunnelStateSegments(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 9))
	st := testStates()
	ref := newRefCounts()
	pool := make([]keyset.Key, 4000)
	for i := range pool {
		pool[i] = sessionKey(fmt.Appendf(nil, "s%d", i))
	}
	if got, err := st.rebuild(ctx, testDate, ref.all(), 0); err != nil || got != [5]int64{} {
		t.Fatalf("rebuild of an empty day: %v %v", got, err)
	}
	bySize, byLength, maxChain := 0, 0, 0
	for run := 1; run <= 120; run++ {
		fs := st.load(ctx, testDate)
		if fs == nil || fs.version != int64(run-1) {
			t.Fatalf("run %d: head %+v", run, fs)
		}
		before := len(fs.segs)
		// Runs of a few rows (long chains) alternate with large ones.
		rows := 40
		if run%13 < 3 {
			rows = 3000
		}
		if run%17 == 0 {
			rows = 0
		}
		cs := &changeSet{}
		for range rows {
			step := r.IntN(5)
			k := pool[r.IntN(len(pool))]
			d := int64(1)
			if ref[step][k] > 0 && r.IntN(3) == 0 {
				d = -1 // only remove rows that were added
			}
			cs.addKey(step, k, d)
			ref[step][k] += d
		}
		if run%11 == 0 { // rows that cancel out
			cs.addKey(2, pool[0], 1)
			cs.addKey(2, pool[0], -1)
		}
		next, err := st.update(ctx, testDate, fs, cs, int64(run))
		if err != nil || next == nil {
			t.Fatalf("run %d: update %v %v", run, next, err)
		}
		want := ref.sessions()
		if next.sessions != want {
			t.Fatalf("run %d: sessions %v, want %v", run, next.sessions, want)
		}
		head := st.load(ctx, testDate)
		if head.sessions != want || head.version != int64(run) {
			t.Fatalf("run %d: saved head %d %v, want %d %v", run, head.version, head.sessions, run, want)
		}
		got := chainCounts(t, st, head)
		for i := range got {
			if len(got[i]) != int(want[i]) {
				t.Fatalf("run %d: chain holds %d sessions of step %d, want %d", run, len(got[i]), i, want[i])
			}
			for k, n := range got[i] {
				if ref[i][k] != n {
					t.Fatalf("run %d: count %d, want %d", run, n, ref[i][k])
				}
			}
		}
		maxChain = max(maxChain, len(head.segs))
		switch {
		case rows == 0:
			if len(head.segs) != before {
				t.Fatalf("run %d: no change wrote a segment", run)
			}
		case len(head.segs) == 1:
			if before >= maxSegments {
				byLength++
			} else {
				bySize++
			}
			if files := segmentFiles(t, st); len(files) != 1 || files[0] != head.segs[0].name {
				t.Fatalf("run %d: segments left after compaction: %v", run, files)
			}
		case len(head.segs) != before+1:
			t.Fatalf("run %d: chain of %d segments after %d", run, len(head.segs), before)
		}
	}
	t.Logf("longest chain %d, compactions by size %d, by length %d", maxChain, bySize, byLength)
	if maxChain != maxSegments || bySize < 3 || byLength < 3 {
		t.Errorf("longest chain %d (want %d), compactions by size %d, by length %d", maxChain, maxSegments, bySize, byLength)
	}
}

// A run that changes nothing moves the head's version without a segment;
// a rerun at the same version writes nothing.
func TestFunnelStateNoChange(t *testing.T) {
	ctx := context.Background()
	st := testStates()
	ref := newRefCounts()
	ref[1][sessionKey([]byte("a"))] = 2
	if _, err := st.rebuild(ctx, testDate, ref.all(), 4); err != nil {
		t.Fatal(err)
	}
	next, err := st.update(ctx, testDate, st.load(ctx, testDate), &changeSet{}, 6)
	if err != nil || next == nil || next.sessions != [5]int64{0, 1} {
		t.Fatalf("update: %+v %v", next, err)
	}
	if fs := st.load(ctx, testDate); fs.version != 6 || len(fs.segs) != 1 || fs.sessions != next.sessions {
		t.Errorf("head %+v", fs)
	}
	st.store.Delete(ctx, st.headName(testDate))
	if next, err := st.update(ctx, testDate, next, &changeSet{}, 6); err != nil || next == nil {
		t.Fatalf("update: %+v %v", next, err)
	}
	if st.load(ctx, testDate) != nil {
		t.Error("a rerun at the state's version wrote a head")
	}
}

// A change that would take a count below zero means the state does not
// match silver: unusable, and nothing is written.
func TestFunnelStateNegativeIsUnusable(t *testing.T) {
	ctx := context.Background()
	st := testStates()
	ref := newRefCounts()
	k := sessionKey([]byte("a"))
	ref[0][k] = 1
	st.rebuild(ctx, testDate, ref.all(), 1)
	for _, d := range []int64{-2, -1} {
		cs := &changeSet{}
		cs.addKey(0, k, d)
		cs.addKey(3, sessionKey([]byte("new")), 1)
		next, err := st.update(ctx, testDate, st.load(ctx, testDate), cs, 2)
		switch {
		case err != nil:
			t.Fatal(err)
		case d == -2 && next != nil:
			t.Errorf("count -1 accepted: %+v", next)
		case d == -1 && (next == nil || next.sessions != [5]int64{0, 0, 0, 1}):
			t.Errorf("d=-1: %+v", next)
		}
	}
}

// Old-format, garbage, truncated or checksum-mismatched heads and segments,
// and a missing segment, make the state unusable.
func TestFunnelStateRejectsDamage(t *testing.T) {
	ctx := context.Background()
	st := testStates()
	ref := newRefCounts()
	for i := range 300 {
		ref[i%5][sessionKey(fmt.Appendf(nil, "s%d", i))] = 1
	}
	st.rebuild(ctx, testDate, ref.all(), 1)
	cs := &changeSet{}
	cs.addKey(4, sessionKey([]byte("x")), 1)
	if next, err := st.update(ctx, testDate, st.load(ctx, testDate), cs, 2); err != nil || next == nil || len(next.segs) != 2 {
		t.Fatalf("update: %+v %v", next, err)
	}
	head, err := st.store.Get(ctx, st.headName(testDate))
	if err != nil {
		t.Fatal(err)
	}
	fs := st.load(ctx, testDate)
	segs := map[string][]byte{}
	for _, sg := range fs.segs {
		segs[sg.name], _ = st.store.Get(ctx, st.dir(testDate)+sg.name)
	}
	restore := func() {
		st.store.Put(ctx, st.headName(testDate), head)
		for n, b := range segs {
			st.store.Put(ctx, st.dir(testDate)+n, b)
		}
	}
	// usable loads a day as a run does and applies a change.
	usable := func() bool {
		fs := st.load(ctx, testDate)
		if fs == nil {
			return false
		}
		cs := &changeSet{}
		cs.addKey(0, sessionKey([]byte("y")), 1)
		next, err := st.update(ctx, testDate, fs, cs, 3)
		if err != nil {
			t.Fatal(err)
		}
		return next != nil
	}
	if !usable() {
		t.Fatal("intact state unusable")
	}
	restore()
	flip := func(b []byte, i int) []byte {
		b = bytes.Clone(b)
		b[i] ^= 1
		return b
	}
	resum := func(b []byte) []byte { // a head whose checksum matches again
		b = bytes.Clone(b[:len(b)-8])
		return binary.LittleEndian.AppendUint64(b, xxh3.Hash(b))
	}
	oldFormat := append([]byte("lakehouse-funnel-state-1\n"), make([]byte, 8+5*4)...)
	noSegments := resum(append(append([]byte(headMagic), head[len(headMagic):len(headMagic)+48]...), 0, 0, 0, 0, 0, 0, 0, 0))
	for name, b := range map[string][]byte{
		"old format":     oldFormat,
		"garbage":        []byte("garbage"),
		"empty":          nil,
		"truncated":      head[:len(head)-9],
		"checksum":       flip(head, len(headMagic)+3),
		"bad magic":      resum(flip(head, 3)),
		"no segment":     noSegments,
		"trailing bytes": resum(append(bytes.Clone(head[:len(head)-8]), 0, 0)),
	} {
		restore()
		st.store.Put(ctx, st.headName(testDate), b)
		if st.load(ctx, testDate) != nil || usable() {
			t.Errorf("head %s accepted", name)
		}
	}
	for n, b := range segs {
		for name, bad := range map[string][]byte{
			"truncated": b[:len(b)-20],
			"checksum":  flip(b, len(segMagic)+5),
			"garbage":   []byte("garbage"),
			"missing":   nil,
		} {
			restore()
			if bad == nil {
				st.store.Delete(ctx, st.dir(testDate)+n)
			} else {
				st.store.Put(ctx, st.dir(testDate)+n, bad)
			}
			if usable() {
				t.Errorf("segment %s %s accepted", n, name)
			}
		}
	}
	// Segments whose bytes match their head entry but whose footer does not
	// match their size.
	for _, at := range []int{segFooter, segFooter - 7, 8} {
		restore()
		fs := st.load(ctx, testDate)
		bad := bytes.Clone(segs[fs.segs[1].name])
		bad[len(bad)-at] += 0x80
		fs.segs[1].sum = xxh3.Hash(bad)
		st.store.Put(ctx, st.dir(testDate)+fs.segs[1].name, bad)
		st.saveHead(ctx, testDate, fs)
		if usable() {
			t.Errorf("segment with a wrong footer (byte -%d) accepted", at)
		}
	}
}

// sortChanges orders like a comparison sort, on both of its paths, with
// keys that share their top bits and equal keys.
func TestSortChanges(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var sc sortScratch // reused, as a changeSet does
	for _, n := range []int{0, 1, 100, 4096, 5000, 70_000, 200_000, 9000} {
		p := make([]change, n)
		for i := range p {
			p[i] = change{k: keyset.Key{r.Uint64(), r.Uint64() >> r.UintN(3)}, d: int64(i)}
			if i > 0 && r.IntN(10) == 0 {
				p[i].k = p[r.IntN(i)].k
			}
		}
		want := slices.Clone(p)
		slices.SortStableFunc(want, func(a, b change) int { return keyLess(a.k, b.k) })
		sortChanges(p, &sc)
		if !slices.EqualFunc(p, want, func(a, b change) bool { return a.k == b.k }) {
			t.Fatalf("n=%d: keys differ from a comparison sort's", n)
		}
		for i := 1; i < n; i++ {
			if keyLess(p[i-1].k, p[i].k) > 0 {
				t.Fatalf("n=%d: out of order at %d", n, i)
			}
		}
	}
}

// Folding sums the changes of each key across folds, drops the keys whose
// sum is zero and keeps the steps sorted, as a map of sums would.
func TestFoldMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	keys := make([]keyset.Key, 3000)
	for i := range keys {
		keys[i] = keyset.Key{r.Uint64(), r.Uint64()}
	}
	cs := &changeSet{}
	want := map[keyset.Key]int64{}
	for fold := range 40 {
		for range r.IntN(2000) {
			k := keys[r.IntN(len(keys))]
			d := int64(1)
			if r.IntN(2) == 0 {
				d = -1 // sums of zero must go
			}
			cs.pending[0] = append(cs.pending[0], change{k, d})
			want[k] += d
		}
		cs.foldStep(0)
		n := 0
		for k, d := range want {
			if d != 0 {
				n++
			} else {
				delete(want, k)
			}
		}
		got := cs.steps[0]
		if len(got) != n {
			t.Fatalf("fold %d: %d changes, want %d", fold, len(got), n)
		}
		for i, c := range got {
			if i > 0 && keyLess(got[i-1].k, c.k) >= 0 {
				t.Fatalf("fold %d: out of order at %d", fold, i)
			}
			if c.d != want[c.k] {
				t.Fatalf("fold %d: key %v sums to %d, want %d", fold, c.k, c.d, want[c.k])
			}
		}
	}
}

// A day with more rows than maxPending folds them in as it goes and
// counts the same sessions.
func TestFunnelStateFoldsLargeDays(t *testing.T) {
	cs := &changeSet{}
	distinct := map[string]bool{}
	for i := 0; i < maxPending+maxPending/2; i++ {
		s := fmt.Sprintf("session-%d", i%(maxPending/3))
		cs.add(0, []byte(s), 1)
		distinct[s] = true
	}
	if len(cs.pending[0]) >= maxPending {
		t.Errorf("%d changes pending, want fewer than %d", len(cs.pending[0]), maxPending)
	}
	st := testStates()
	got, err := st.rebuild(context.Background(), testDate, cs, 1)
	if err != nil || got[0] != int64(len(distinct)) {
		t.Errorf("sessions %d (%v), want %d", got[0], err, len(distinct))
	}
}

// BenchmarkFunnelState applies a run of 60K changed keys (half of them rows
// removed from existing sessions, half new sessions) to a day whose state
// holds 600K entries: as a new delta segment, and as a compaction (a chain
// at maxSegments) that rewrites the whole state.
func BenchmarkFunnelState(b *testing.B) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	st := testStates()
	ref := newRefCounts()
	var keys [5][]keyset.Key
	for i := range 600_000 {
		k := keyset.Key{r.Uint64(), r.Uint64()}
		ref[i%5][k] = 1 + int64(r.IntN(3))
		keys[i%5] = append(keys[i%5], k)
	}
	if _, err := st.rebuild(ctx, testDate, ref.all(), 1); err != nil {
		b.Fatal(err)
	}
	type row struct {
		step int
		k    keyset.Key
		d    int64
	}
	var rows []row
	for i := range 60_000 {
		s := i % 5
		if i%2 == 0 {
			rows = append(rows, row{s, keys[s][i], -1}) // distinct: i < len(keys[s])
		} else {
			rows = append(rows, row{s, keyset.Key{r.Uint64(), r.Uint64()}, 1})
		}
	}
	for _, chain := range []int{1, maxSegments} {
		name := "delta"
		if chain == maxSegments {
			name = "compact"
		}
		b.Run(name, func(b *testing.B) {
			for v := int64(2); st.load(ctx, testDate).segs != nil && len(st.load(ctx, testDate).segs) < chain; v++ {
				cs := &changeSet{}
				cs.addKey(0, keyset.Key{uint64(v)}, 1)
				if _, err := st.update(ctx, testDate, st.load(ctx, testDate), cs, v); err != nil {
					b.Fatal(err)
				}
			}
			saved := map[string][]byte{}
			objs, _ := st.store.List(ctx, st.prefix, "")
			for _, o := range objs {
				saved[o.Name], _ = st.store.Get(ctx, o.Name)
			}
			restore := func() {
				objs, _ := st.store.List(ctx, st.prefix, "")
				for _, o := range objs {
					if saved[o.Name] == nil {
						st.store.Delete(ctx, o.Name)
					}
				}
				for n, data := range saved {
					st.store.Put(ctx, n, data)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				fs := st.load(ctx, testDate)
				cs := &changeSet{}
				for _, r := range rows {
					cs.addKey(r.step, r.k, r.d)
				}
				next, err := st.update(ctx, testDate, fs, cs, 100)
				if err != nil || next == nil || len(next.segs) != chain%maxSegments+1 {
					b.Fatalf("update: %v %v", next, err)
				}
				b.StopTimer()
				restore()
				b.StartTimer()
			}
		})
	}
}
