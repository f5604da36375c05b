package event

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// scanned is what a scan leaves for check: which fields it saw and where.
type scanned struct {
	seen  uint32
	slots [numFields]slot
}

func (p *Parser) scannedFields() scanned {
	s := scanned{seen: p.seen}
	for f := range numFields {
		if p.seen&(1<<f) != 0 {
			s.slots[f] = p.slots[f]
		}
	}
	return s
}

// agreeFast runs scanFast on line and, if it takes the line, requires
// scanAny to take it too and to leave the same slots. It reports whether
// scanFast took the line.
func agreeFast(t testing.TB, p *Parser, line []byte) bool {
	t.Helper()
	if !p.scanFast(line) {
		return false
	}
	fast := p.scannedFields()
	if !p.scanAny(line) {
		t.Fatalf("scanFast takes %q, scanAny rejects it", line)
	}
	if slow := p.scannedFields(); slow != fast {
		t.Fatalf("scanFast and scanAny differ on %q:\nfast %+v\nany  %+v", line, fast, slow)
	}
	return true
}

// The lines writers produce: scanFast must take them, or it is dead code.
func TestScanFastTakesCompactLines(t *testing.T) {
	p := NewParser(ParserOptions{})
	lines := []string{
		benchPurchase,
		benchPageView,
		obj(purchase),
		obj(pageView),
		obj(set(pageView, "city", `"Montréal"`)),
		obj(set(purchase, "pad", `"x"`)),
		obj(set(purchase, "event_date", `"2026-11-20"`)),
		obj(set(purchase, "price", `-1.5e3`)),
		obj(set(purchase, "ok", `true`)),
		obj(set(purchase, "ok", `false`)),
		obj(set(pageView, "event_id", `"`+strings.Repeat("a", 200)+`"`)),
	}
	for _, l := range lines {
		if !agreeFast(t, p, []byte(l)) {
			t.Errorf("scanFast leaves %q to scanAny", l)
		}
	}
}

// The lines it must leave to scanAny, which alone can take or reject them.
func TestScanFastLeavesOtherLines(t *testing.T) {
	p := NewParser(ParserOptions{})
	lines := []string{
		"",
		"{}",
		" " + obj(pageView),
		obj(pageView) + " ",
		"\xEF\xBB\xBF" + obj(pageView),
		`{"event_id" :"e"}`,
		`{"event_id": "e"}`,
		`{"event_id":"e" }`,
		`{"event_id":"e", "x":1}`,
		obj(set(pageView, "city", `"a\"b"`)),
		obj(set(pageView, "city", `"a\u0041"`)),
		obj(set(pageView, "city", "\"a\tb\"")),
		obj(set(pageView, "city", "\"a\xffb\"")),
		obj(set(pageView, "city", "\"a\xc3\"")),
		obj(set(pageView, "nested", `{"a":1}`)),
		obj(set(pageView, "list", `[1]`)),
		obj(set(pageView, "n", `nul`)),
		obj(set(pageView, "n", `01`)),
		obj(set(pageView, "n", `1.`)),
		obj(pageView) + "x",
		`{"event_id":"e",}`,
		`{"event_id":"e"`,
		`{"event_id":"e`,
		`{"event_id"`,
		`{"e\u0076ent_id":"e"}`,
	}
	for _, l := range lines {
		if p.scanFast([]byte(l)) {
			t.Errorf("scanFast takes %q", l)
		}
	}
}

// TestScanFastAgreesWithScanAny mutates compact lines of every length
// around the 64-byte blocks: a byte replaced, inserted or dropped, or the
// line cut. Whatever scanFast takes, scanAny must take the same way.
func TestScanFastAgreesWithScanAny(t *testing.T) {
	p := NewParser(ParserOptions{})
	rng := rand.New(rand.NewPCG(7, 8))
	alphabet := []byte(`{}[]:,"\ -.0123456789eEtrueflsnabc` + "\x00\x1f\x7f\x80\xc3\xa9\xff")
	taken := 0
	for pad := range 200 {
		base := []byte(obj(set(purchase, "pad", `"`+strings.Repeat("p", pad)+`"`)))
		for range 40 {
			line := bytes.Clone(base)
			switch i := rng.IntN(len(line)); rng.IntN(4) {
			case 0:
				line[i] = alphabet[rng.IntN(len(alphabet))]
			case 1:
				line = append(line[:i], append([]byte{alphabet[rng.IntN(len(alphabet))]}, line[i:]...)...)
			case 2:
				line = append(line[:i], line[i+1:]...)
			case 3:
				line = line[:i]
			}
			if agreeFast(t, p, line) {
				taken++
			}
		}
		if !agreeFast(t, p, base) {
			t.Fatalf("scanFast leaves %q to scanAny", base)
		}
	}
	if taken == 0 {
		t.Fatal("scanFast took no mutated line: the agreement was never tested")
	}
}

func FuzzScanFast(f *testing.F) {
	f.Add([]byte(benchPurchase))
	f.Add([]byte(benchPageView))
	f.Add([]byte(obj(set(pageView, "city", `"Montréal"`))))
	p := NewParser(ParserOptions{})
	f.Fuzz(func(t *testing.T, line []byte) {
		agreeFast(t, p, line)
	})
}
