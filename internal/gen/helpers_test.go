package gen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"
)

// testEnd has sub-millisecond digits on purpose: no event may be after it.
var testEnd = time.Date(2026, 11, 20, 13, 45, 12, 345_678_901, time.UTC)

func testConfig(seed, rows int64) Config { return Defaults(seed, rows, testEnd) }

func mustNew(t testing.TB, cfg Config) *Generator {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return g
}

// generate writes the whole run sequentially.
func generate(t testing.TB, g *Generator) ([]byte, Manifest) {
	t.Helper()
	var buf bytes.Buffer
	m, err := WriteNDJSON(context.Background(), &buf, g)
	if err != nil {
		t.Fatalf("WriteNDJSON: %v", err)
	}
	return buf.Bytes(), m
}

// splitLines splits NDJSON output into lines without their '\n'.
func splitLines(t testing.TB, data []byte) [][]byte {
	t.Helper()
	if len(data) == 0 {
		return nil
	}
	if data[len(data)-1] != '\n' {
		t.Fatalf("output does not end in a newline")
	}
	return bytes.Split(data[:len(data)-1], []byte{'\n'})
}

type funnelKey struct{ date, step, session string }

// scan is the independent reading of a run's output.
type scan struct {
	lines   [][]byte
	reasons []string // per line: "" valid, "duplicate", or the contract's reason
	records []record // per line: the decoded object (nil for duplicates and malformed lines)
	m       Manifest // the manifest rebuilt from the bytes alone
}

// recount rebuilds the manifest from the bytes alone: duplicates are lines
// equal to an earlier line, the rest are classified by contractReason.
// It also checks that a duplicate copies a valid line of its own chunk.
func recount(t *testing.T, data []byte) scan {
	t.Helper()
	lines := splitLines(t, data)
	sc := scan{lines: lines, reasons: make([]string, len(lines)), records: make([]record, len(lines))}
	m := NewManifest()
	m.Rows = int64(len(lines))
	type first struct {
		chunk int
		valid bool
	}
	seen := make(map[[32]byte]first, len(lines))
	sessions := map[string]bool{}
	funnel := map[funnelKey]bool{}
	for k, line := range lines {
		chunk := k / ChunkLines
		h := sha256.Sum256(line)
		if f, ok := seen[h]; ok {
			m.Duplicates++
			sc.reasons[k] = "duplicate"
			if f.chunk != chunk || !f.valid {
				t.Errorf("line %d re-sends a line of chunk %d (valid %v), want a valid line of chunk %d", k, f.chunk, f.valid, chunk)
			}
			continue
		}
		reason, r := contractReason(line)
		sc.reasons[k] = reason
		sc.records[k] = r
		seen[h] = first{chunk: chunk, valid: reason == ""}
		if reason != "" {
			m.Quarantined++
			m.QuarantineReasons[reason]++
			continue
		}
		m.ValidEvents++
		name := r.str("event_name")
		m.EventsByName[name]++
		ts := r.str("event_ts")
		date := ts[:10]
		if m.MinEventDate == "" || date < m.MinEventDate {
			m.MinEventDate = date
		}
		if date > m.MaxEventDate {
			m.MaxEventDate = date
		}
		sid := r.str("session_id")
		sessions[sid] = true
		funnel[funnelKey{date, name, sid}] = true
		d := m.Daily[date]
		d.Events++
		if name == "purchase" {
			cents, ok := centsOf(r["price"].(json.Number))
			if !ok {
				t.Errorf("line %d: price %v is not in cents", k, r["price"])
			}
			q, _ := r["quantity"].(json.Number).Int64()
			cur := r.str("currency")
			m.Purchases++
			m.PurchaseUnits += q
			m.RevenueCents[cur] += cents * q
			if d.Revenue == nil {
				d.Revenue = map[string]Revenue{}
			}
			rv := d.Revenue[cur]
			rv.Orders++
			rv.Units += q
			rv.RevenueCents += cents * q
			d.Revenue[cur] = rv
		}
		m.Daily[date] = d
	}
	m.Sessions = int64(len(sessions))
	for k := range funnel {
		d := m.Daily[k.date]
		switch k.step {
		case "page_view":
			d.SessionsWithPageView++
		case "product_view":
			d.SessionsWithProductView++
		case "add_to_cart":
			d.SessionsWithAddToCart++
		case "checkout_started":
			d.SessionsWithCheckout++
		case "purchase":
			d.SessionsWithPurchase++
		}
		m.Daily[k.date] = d
	}
	sc.m = m
	return sc
}
