package keyset

import (
	"math/rand/v2"
	"testing"
)

func TestSetAgainstMap(t *testing.T) {
	var s Set
	ref := map[Key]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200_000; i++ {
		// small key space so that repeats happen; low bits collide on purpose
		k := Key{r.Uint64N(50_000) << 20, r.Uint64N(3)}
		if got, want := s.Add(k), !ref[k]; got != want {
			t.Fatalf("Add(%v) = %v, want %v", k, got, want)
		}
		ref[k] = true
	}
	if s.Len() != len(ref) {
		t.Fatalf("Len = %d, want %d", s.Len(), len(ref))
	}
	for k := range ref {
		if !s.Has(k) {
			t.Fatalf("Has(%v) = false", k)
		}
	}
	if s.Has(Key{1, 1}) {
		t.Error("Has of a missing key")
	}
	var empty Set
	if empty.Has(Key{}) || empty.Len() != 0 {
		t.Error("zero Set not empty")
	}
}

func BenchmarkAdd(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	keys := make([]Key, 1<<20)
	for i := range keys {
		keys[i] = Key{r.Uint64(), r.Uint64()}
	}
	for b.Loop() {
		var s Set
		for _, k := range keys {
			s.Add(k)
		}
	}
	b.ReportMetric(float64(len(keys))*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}
