package check

import (
	"math/rand/v2"
	"testing"
)

// The table picks the same winners as a plain map with the rule spelled
// out, through growth from a table sized far too small, and finds the same
// duplicates, unexpected rows and missing copies.
func TestWinnerTableMatchesMap(t *testing.T) {
	type w struct {
		ts, version, pos int64
		digest           hkey
	}
	r := rand.New(rand.NewPCG(3, 4))
	key := func() hkey { return hkey{r.Uint64N(3000), r.Uint64N(3000)} } // collisions in the low bits
	tab := newWinnerTable(10)
	ref := map[hkey]w{}
	for i := range 20000 {
		k := key()
		c := w{ts: r.Int64N(50), version: r.Int64N(4), pos: int64(i), digest: hkey{r.Uint64(), r.Uint64()}}
		tab.offer(k, c.ts, c.version, c.pos, func() hkey { return c.digest })
		if old, ok := ref[k]; !ok || c.ts > old.ts || c.ts == old.ts && (c.version > old.version || c.version == old.version && c.pos > old.pos) {
			ref[k] = c
		}
	}
	if got := tab.winners(); got != int64(len(ref)) {
		t.Fatalf("%d winners, want %d", got, len(ref))
	}
	seen := map[hkey]bool{}
	var wantDups, wantUnexpected, gotDups, gotUnexpected int
	visit := func(k hkey, d hkey) {
		dup, ok := tab.visit(k, d)
		if dup {
			gotDups++
		}
		if !ok {
			gotUnexpected++
		}
		if seen[k] {
			wantDups++
		}
		seen[k] = true
		if c, found := ref[k]; !found || c.digest[1] != d[1] {
			wantUnexpected++
		}
	}
	n := 0
	for k, c := range ref {
		switch n % 4 {
		case 0: // missing
		case 1:
			visit(k, c.digest)
		case 2:
			visit(k, c.digest)
			visit(k, c.digest) // a duplicate
		case 3:
			visit(k, hkey{c.digest[0], c.digest[1] + 1}) // not the latest copy
		}
		n++
	}
	for range 500 {
		visit(hkey{r.Uint64(), r.Uint64()}, hkey{}) // keys bronze never had
	}
	if gotDups != wantDups || gotUnexpected != wantUnexpected || wantDups == 0 || wantUnexpected == 0 {
		t.Errorf("dups %d (want %d), unexpected %d (want %d)", gotDups, wantDups, gotUnexpected, wantUnexpected)
	}
	var wantMissing int64
	for k := range ref {
		if !seen[k] {
			wantMissing++
		}
	}
	if got := tab.missing(); got != wantMissing || got == 0 {
		t.Errorf("missing %d, want %d", got, wantMissing)
	}
}
