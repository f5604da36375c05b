package gen

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestManifestJSON(t *testing.T) {
	_, m, _ := sharedDefaultRun(t)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{
		`"rows":`, `"valid_events":`, `"events_by_name":`, `"duplicates":`, `"quarantined":`,
		`"quarantine_reasons":`, `"sessions":`, `"purchases":`, `"purchase_units":`, `"revenue_cents":`,
		`"min_event_date":`, `"max_event_date":`, `"daily":`, `"sessions_with_page_view":`,
		`"sessions_with_checkout":`, `"orders":`, `"units":`,
	} {
		if !strings.Contains(string(data), key) {
			t.Errorf("manifest JSON lacks %s", key)
		}
	}
	var back Manifest
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, back); diff != "" {
		t.Errorf("JSON round trip changed the manifest (-before +after):\n%s", diff)
	}
}

func TestManifestConsistent(t *testing.T) {
	_, m, _ := sharedDefaultRun(t)
	var byName, dayEvents, funnelPurchase, orders, units int64
	for _, n := range m.EventsByName {
		byName += n
	}
	rev := map[string]int64{}
	for date, d := range m.Daily {
		dayEvents += d.Events
		funnelPurchase += d.SessionsWithPurchase
		f := d.Funnel()
		for i := 1; i < len(f); i++ {
			if f[i] > f[i-1] {
				t.Errorf("%s: funnel %v widens at step %d", date, f, i)
			}
		}
		for cur, r := range d.Revenue {
			orders += r.Orders
			units += r.Units
			rev[cur] += r.RevenueCents
		}
		if date < m.MinEventDate || date > m.MaxEventDate {
			t.Errorf("date %s outside [%s, %s]", date, m.MinEventDate, m.MaxEventDate)
		}
	}
	checks := []struct {
		name      string
		got, want int64
	}{
		{"rows = valid + duplicates + quarantined", m.Rows, m.ValidEvents + m.Duplicates + m.Quarantined},
		{"valid = sum by name", m.ValidEvents, byName},
		{"valid = sum by day", m.ValidEvents, dayEvents},
		{"purchases = sum of daily orders", m.Purchases, orders},
		{"purchases by name", m.Purchases, m.EventsByName["purchase"]},
		{"units = sum of daily units", m.PurchaseUnits, units},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %d != %d", c.name, c.got, c.want)
		}
	}
	if diff := cmp.Diff(m.RevenueCents, rev); diff != "" {
		t.Errorf("revenue by currency differs from the daily sums:\n%s", diff)
	}
	if m.Purchases == 0 || len(m.RevenueCents) < 2 {
		t.Errorf("purchases %d in %d currencies, want some in at least two", m.Purchases, len(m.RevenueCents))
	}
}

func TestManifestMerge(t *testing.T) {
	a := Manifest{
		Rows: 3, ValidEvents: 2, Duplicates: 1, EventsByName: map[string]int64{"page_view": 2},
		RevenueCents: map[string]int64{"USD": 100}, MinEventDate: "2026-11-14", MaxEventDate: "2026-11-15",
		Daily: map[string]Day{"2026-11-14": {Events: 2, SessionsWithPageView: 1,
			Revenue: map[string]Revenue{"USD": {Orders: 1, Units: 1, RevenueCents: 100}}}},
	}
	b := Manifest{
		Rows: 2, ValidEvents: 1, Quarantined: 1, EventsByName: map[string]int64{"purchase": 1},
		QuarantineReasons: map[string]int64{"malformed_json": 1},
		RevenueCents:      map[string]int64{"USD": 50, "CAD": 70}, MinEventDate: "2026-11-13", MaxEventDate: "2026-11-14",
		Daily: map[string]Day{"2026-11-14": {Events: 1, SessionsWithPageView: 1, SessionsWithPurchase: 1,
			Revenue: map[string]Revenue{"USD": {Orders: 1, Units: 2, RevenueCents: 50}}}},
	}
	m := NewManifest()
	m.Merge(a)
	m.Merge(b)
	m.Merge(Manifest{})
	want := Manifest{
		Rows: 5, ValidEvents: 3, Duplicates: 1, Quarantined: 1,
		EventsByName:      map[string]int64{"page_view": 2, "product_view": 0, "add_to_cart": 0, "checkout_started": 0, "purchase": 1},
		QuarantineReasons: map[string]int64{"malformed_json": 1},
		RevenueCents:      map[string]int64{"USD": 150, "CAD": 70},
		MinEventDate:      "2026-11-13", MaxEventDate: "2026-11-15",
		Daily: map[string]Day{"2026-11-14": {Events: 3, SessionsWithPageView: 2, SessionsWithPurchase: 1,
			Revenue: map[string]Revenue{"USD": {Orders: 2, Units: 3, RevenueCents: 150}}}},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("Merge (-want +got):\n%s", diff)
	}
}

func TestEmptyRun(t *testing.T) {
	g := mustNew(t, testConfig(1, 0))
	data, m := generate(t, g)
	if len(data) != 0 || g.NumChunks() != 0 {
		t.Errorf("empty run wrote %d bytes in %d chunks", len(data), g.NumChunks())
	}
	pm, err := g.Manifest(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	want := NewManifest()
	for _, got := range []Manifest{m, pm} {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("empty manifest (-want +got):\n%s", diff)
		}
	}
	if c := g.Chunk(0); c.Lines() != 0 || !c.Done() {
		t.Errorf("chunk 0 of an empty run has %d lines", c.Lines())
	}
}
