package gold

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ecomm-lakehouse/lakehouse/internal/keyset"
)

// The sorted state with merged changes counts exactly what a plain count
// of the same +/- stream counts, and survives encoding.
func TestFunnelStateMergeAndEncoding(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	fs := newFunnelState(3)
	ref := [5]map[string]int{}
	for i := range ref {
		ref[i] = map[string]int{}
	}
	for round := 0; round < 20; round++ {
		for i := 0; i < 2000; i++ {
			step := r.IntN(5)
			s := fmt.Sprintf("s%d", r.IntN(700))
			d := 1
			if ref[step][s] > 0 && r.IntN(3) == 0 {
				d = -1 // only remove rows that were added
			}
			fs.add(step, []byte(s), d)
			ref[step][s] += d
		}
		if round%3 == 0 { // merge at some points, keep pending at others
			fs.merge()
		}
		if round%5 == 0 {
			got, err := decodeState(encodeState(fs))
			if err != nil {
				t.Fatal(err)
			}
			fs = got
		}
	}
	var want [5]int64
	for i, m := range ref {
		for _, n := range m {
			if n > 0 {
				want[i]++
			}
		}
	}
	if got := fs.sessions(); got != want {
		t.Errorf("sessions %v, want %v", got, want)
	}
	if fs.version != 3 {
		t.Errorf("version %d", fs.version)
	}
	for _, bad := range [][]byte{nil, []byte("garbage"), encodeState(fs)[:40]} {
		if _, err := decodeState(bad); err == nil {
			t.Errorf("decodeState accepted %q", bad)
		}
	}
}

// sortChanges orders like a comparison sort, on both of its paths, with
// keys that share their top bits and equal keys.
func TestSortChanges(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 100, 5000, 200_000} {
		p := make([]change, n)
		for i := range p {
			p[i] = change{k: keyset.Key{r.Uint64(), r.Uint64() >> r.UintN(3)}, d: int64(i)}
			if i > 0 && r.IntN(10) == 0 {
				p[i].k = p[r.IntN(i)].k
			}
		}
		sortChanges(p)
		for i := 1; i < n; i++ {
			if keyLess(p[i-1].k, p[i].k) > 0 {
				t.Fatalf("n=%d: out of order at %d", n, i)
			}
		}
	}
}

// A day with more changes than maxPending folds them in as it goes and
// counts the same sessions.
func TestFunnelStateFoldsLargeDays(t *testing.T) {
	fs := newFunnelState(1)
	distinct := map[string]bool{}
	for i := 0; i < maxPending+maxPending/2; i++ {
		s := fmt.Sprintf("session-%d", i%(maxPending/3))
		fs.add(0, []byte(s), 1)
		distinct[s] = true
	}
	if len(fs.pending[0]) >= maxPending {
		t.Errorf("%d changes pending, want fewer than %d", len(fs.pending[0]), maxPending)
	}
	if got := fs.sessions()[0]; got != int64(len(distinct)) {
		t.Errorf("sessions %d, want %d", got, len(distinct))
	}
}
