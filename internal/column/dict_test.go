package column

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// randValue returns a value of 0–24 bytes from a small alphabet, so that
// values often share their first and last words.
func randValue(r *rand.Rand) []byte {
	v := make([]byte, r.IntN(25))
	for i := range v {
		v[i] = "ab"[r.IntN(2)]
	}
	return v
}

// Dict gives each distinct value one code, in order of first sight, as a
// map would; its views do not change as it grows.
func TestDictMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	d := NewDict()
	want := map[string]int32{}
	var order []string
	var view [][]byte
	var viewLen int
	for i := range 60_000 {
		v := randValue(r)
		c, ok := d.Code(v)
		if !ok {
			t.Fatalf("value %d: dictionary full at %d entries", i, d.Len())
		}
		w, seen := want[string(v)]
		if !seen {
			w = int32(len(order))
			want[string(v)] = w
			order = append(order, string(v))
		}
		if c != w {
			t.Fatalf("value %d %q: code %d, want %d", i, v, c, w)
		}
		if i == 1000 {
			view, viewLen = d.Entries(), d.Len()
		}
	}
	if d.Len() != len(order) || len(order) < 10_000 {
		t.Fatalf("%d entries, want %d (and at least 10000)", d.Len(), len(order))
	}
	for c, e := range d.Entries() {
		if string(e) != order[c] {
			t.Fatalf("entry %d = %q, want %q", c, e, order[c])
		}
	}
	if len(view) != viewLen {
		t.Fatalf("a view of %d entries now has %d", viewLen, len(view))
	}
	for c, e := range view {
		if string(e) != order[c] {
			t.Fatalf("view entry %d = %q, want %q", c, e, order[c])
		}
	}
}

// Past MaxDictEntries (or MaxDictBytes) a new value is refused and known
// values keep their codes.
func TestDictLimits(t *testing.T) {
	d := NewDict()
	for i := range MaxDictEntries {
		if _, ok := d.Code(fmt.Appendf(nil, "v%d", i)); !ok {
			t.Fatalf("refused value %d", i)
		}
	}
	if _, ok := d.Code([]byte("one more")); ok {
		t.Fatal("accepted a value past MaxDictEntries")
	}
	if c, ok := d.Code([]byte("v7")); !ok || c != 7 {
		t.Fatalf("known value: code %d, %v", c, ok)
	}
	big := NewDict()
	if _, ok := big.Code(make([]byte, MaxDictBytes+1)); ok {
		t.Fatal("accepted a value past MaxDictBytes")
	}
}

// A dictionary vector reads as the plain vector of the same values, and a
// vector whose dictionary fills turns plain without losing a row.
func TestAppendCodedMatchesPlain(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name      string
		distinct  int
		wantCoded bool
	}{{"few values", 50, true}, {"dictionary fills", MaxDictEntries + 1000, false}} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDict()
			got, want := NewVector(TypeString, 0), NewVector(TypeString, 0)
			var vals [][]byte
			for i := range 3 * tc.distinct {
				var v []byte
				switch {
				case i < tc.distinct:
					v = fmt.Appendf(nil, "value-%d", i) // each once first
				case r.IntN(5) == 0:
				default:
					v = fmt.Appendf(nil, "value-%d", r.IntN(tc.distinct))
				}
				vals = append(vals, v)
				got.AppendCoded(v, d)
				want.AppendOptBytes(v)
			}
			if got.Coded() != tc.wantCoded {
				t.Fatalf("coded %v, want %v", got.Coded(), tc.wantCoded)
			}
			if got.Len != want.Len || got.Len != len(vals) {
				t.Fatalf("%d rows, want %d", got.Len, want.Len)
			}
			for i, v := range vals {
				if got.IsNull(i) != (v == nil) || string(got.Bytes(i)) != string(v) || got.Value(i) != want.Value(i) || got.Str(i) != want.Str(i) {
					t.Fatalf("row %d: null %v %q, want %q", i, got.IsNull(i), got.Bytes(i), v)
				}
			}
			copied := NewVector(TypeString, 0)
			for i := range got.Len {
				copied.AppendFrom(got, i)
			}
			if !slices.Equal(copied.Offsets, want.Offsets) || string(copied.Data) != string(want.Data) || !slices.Equal(copied.Nulls, want.Nulls) {
				t.Fatal("AppendFrom of the coded vector differs from the plain vector")
			}
			got.Reset()
			if got.Coded() || got.Len != 0 {
				t.Fatalf("after Reset: coded %v, %d rows", got.Coded(), got.Len)
			}
		})
	}
	// Codes of another Dict turn a dictionary vector plain.
	mixed, other := NewVector(TypeString, 0), NewDict()
	mixed.AppendCoded([]byte("a"), NewDict())
	mixed.AppendCoded(nil, other)
	mixed.AppendCoded([]byte("b"), other)
	if mixed.Coded() || mixed.Len != 3 || mixed.Str(0) != "a" || !mixed.IsNull(1) || mixed.Str(2) != "b" {
		t.Fatalf("mixed dictionaries: coded %v, rows %d %q %v %q", mixed.Coded(), mixed.Len, mixed.Str(0), mixed.IsNull(1), mixed.Str(2))
	}
	// A plain vector stays plain.
	v := NewVector(TypeString, 0)
	v.AppendBytes([]byte("x"))
	v.AppendCoded([]byte("y"), NewDict())
	if v.Coded() || v.Str(1) != "y" {
		t.Fatalf("plain vector: coded %v, row 1 %q", v.Coded(), v.Str(1))
	}
}

// AppendCodedN appends the rows n calls of AppendCoded would.
func TestAppendCodedN(t *testing.T) {
	d := NewDict()
	got, want := NewVector(TypeString, 0), NewVector(TypeString, 0)
	for i, n := range []int{3, 0, 1, 5} {
		v := fmt.Appendf(nil, "source-%d", i%2)
		if i == 1 {
			got.AppendCoded(nil, d) // a null before, so Nulls is kept
			want.AppendCoded(nil, d)
		}
		got.AppendCodedN(v, d, n)
		for range n {
			want.AppendCoded(v, d)
		}
	}
	if !got.Coded() || got.Len != want.Len || !slices.Equal(got.Codes, want.Codes) || !slices.Equal(got.Nulls, want.Nulls) {
		t.Fatalf("AppendCodedN: %d rows, codes %v nulls %v; want %d, %v, %v", got.Len, got.Codes, got.Nulls, want.Len, want.Codes, want.Nulls)
	}
	plain := NewVector(TypeString, 0)
	plain.AppendString("x")
	plain.AppendCodedN([]byte("y"), d, 3)
	if plain.Coded() || plain.Len != 4 || plain.Str(3) != "y" {
		t.Fatalf("plain vector: coded %v, %d rows", plain.Coded(), plain.Len)
	}
}
