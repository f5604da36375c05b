package gold

import (
	"fmt"
	"math/rand/v2"
	"testing"
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
