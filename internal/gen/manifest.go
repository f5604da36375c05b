package gen

// Manifest is what the generator knows it wrote, from its own bookkeeping.
// Counts of valid events are unique events (after dedup by event_id);
// duplicates are counted apart. Per-chunk manifests merge by summation
// because a session never spans two chunks.
type Manifest struct {
	// Rows is the number of lines written:
	// ValidEvents + Duplicates + Quarantined.
	Rows int64 `json:"rows"`
	// ValidEvents is the number of distinct valid events.
	ValidEvents int64 `json:"valid_events"`
	// EventsByName counts valid events by event_name (all five names present).
	EventsByName map[string]int64 `json:"events_by_name"`
	// Duplicates is the number of lines that re-send an earlier valid line.
	Duplicates int64 `json:"duplicates"`
	// Quarantined is the number of invalid and malformed lines.
	Quarantined int64 `json:"quarantined"`
	// QuarantineReasons counts quarantined lines by their (single) reason code.
	QuarantineReasons map[string]int64 `json:"quarantine_reasons"`
	// Sessions is the number of sessions with at least one valid event.
	Sessions int64 `json:"sessions"`
	// Purchases is the number of purchase events, which is also the number
	// of orders (one order per purchase event).
	Purchases int64 `json:"purchases"`
	// PurchaseUnits is the sum of quantity over purchases.
	PurchaseUnits int64 `json:"purchase_units"`
	// RevenueCents is price cents × quantity over purchases, by currency.
	RevenueCents map[string]int64 `json:"revenue_cents"`
	// MinEventDate and MaxEventDate bound the UTC event_date of valid
	// events (YYYY-MM-DD; empty when there are none).
	MinEventDate string `json:"min_event_date,omitempty"`
	MaxEventDate string `json:"max_event_date,omitempty"`
	// Daily holds, by event_date, what gold_mart_funnel_daily and
	// gold_mart_revenue_daily should show.
	Daily map[string]Day `json:"daily"`
}

// Day is one event_date of a Manifest.
type Day struct {
	// Events is the number of valid events with this event_date.
	Events int64 `json:"events"`
	// Distinct sessions with at least one event of each funnel step on
	// this date.
	SessionsWithPageView    int64 `json:"sessions_with_page_view"`
	SessionsWithProductView int64 `json:"sessions_with_product_view"`
	SessionsWithAddToCart   int64 `json:"sessions_with_add_to_cart"`
	SessionsWithCheckout    int64 `json:"sessions_with_checkout"`
	SessionsWithPurchase    int64 `json:"sessions_with_purchase"`
	// Revenue of the date's purchases, by currency.
	Revenue map[string]Revenue `json:"revenue,omitempty"`
}

// Revenue is one (event_date, currency) of purchases.
type Revenue struct {
	Orders       int64 `json:"orders"`
	Units        int64 `json:"units"`
	RevenueCents int64 `json:"revenue_cents"`
}

// Funnel returns the day's five session counts in funnel order.
func (d Day) Funnel() [5]int64 {
	return [5]int64{d.SessionsWithPageView, d.SessionsWithProductView, d.SessionsWithAddToCart,
		d.SessionsWithCheckout, d.SessionsWithPurchase}
}

// Merge adds o into m.
func (m *Manifest) Merge(o Manifest) {
	m.Rows += o.Rows
	m.ValidEvents += o.ValidEvents
	m.Duplicates += o.Duplicates
	m.Quarantined += o.Quarantined
	m.Sessions += o.Sessions
	m.Purchases += o.Purchases
	m.PurchaseUnits += o.PurchaseUnits
	m.EventsByName = addCounts(m.EventsByName, o.EventsByName)
	m.QuarantineReasons = addCounts(m.QuarantineReasons, o.QuarantineReasons)
	m.RevenueCents = addCounts(m.RevenueCents, o.RevenueCents)
	if o.MinEventDate != "" && (m.MinEventDate == "" || o.MinEventDate < m.MinEventDate) {
		m.MinEventDate = o.MinEventDate
	}
	if o.MaxEventDate > m.MaxEventDate {
		m.MaxEventDate = o.MaxEventDate
	}
	if m.Daily == nil {
		m.Daily = map[string]Day{}
	}
	for date, od := range o.Daily {
		d := m.Daily[date]
		d.Events += od.Events
		d.SessionsWithPageView += od.SessionsWithPageView
		d.SessionsWithProductView += od.SessionsWithProductView
		d.SessionsWithAddToCart += od.SessionsWithAddToCart
		d.SessionsWithCheckout += od.SessionsWithCheckout
		d.SessionsWithPurchase += od.SessionsWithPurchase
		for cur, or := range od.Revenue {
			if d.Revenue == nil {
				d.Revenue = map[string]Revenue{}
			}
			r := d.Revenue[cur]
			r.Orders += or.Orders
			r.Units += or.Units
			r.RevenueCents += or.RevenueCents
			d.Revenue[cur] = r
		}
		m.Daily[date] = d
	}
}

func addCounts(dst, src map[string]int64) map[string]int64 {
	if dst == nil {
		dst = make(map[string]int64, len(src))
	}
	for k, v := range src {
		dst[k] += v
	}
	return dst
}

// tally is a chunk's bookkeeping in arrays, turned into a Manifest on demand.
type tally struct {
	byName    [numEvents]int64
	dups      int64
	reasons   [numReasons]int64
	sessions  int64
	purchases int64
	units     int64
	revenue   [numCurrencies]int64
	days      []dayTally // by day since Generator.firstDay
	minDay    int
	maxDay    int
}

type dayTally struct {
	events int64
	funnel [numEvents]int64
	orders [numCurrencies]int64
	units  [numCurrencies]int64
	cents  [numCurrencies]int64
}

// count books the valid event st of session s.
func (t *tally) count(g *Generator, s *session, st *step) {
	t.byName[st.kind]++
	day := st.ts / msPerDay
	di := int(day - g.firstDay)
	d := &t.days[di]
	d.events++
	if t.minDay < 0 || di < t.minDay {
		t.minDay = di
	}
	if di > t.maxDay {
		t.maxDay = di
	}
	if !s.seen {
		s.seen = true
		t.sessions++
	}
	if s.day != day {
		s.day, s.mask = day, 0
	}
	if bit := uint8(1) << st.kind; s.mask&bit == 0 {
		s.mask |= bit
		d.funnel[st.kind]++
	}
	if st.kind == evPurchase {
		q := int64(st.qty)
		cents := g.catalog.centsOf(st.product, s.currency) * q
		t.purchases++
		t.units += q
		t.revenue[s.currency] += cents
		d.orders[s.currency]++
		d.units[s.currency] += q
		d.cents[s.currency] += cents
	}
}

// Manifest returns the bookkeeping of the lines produced so far; once Done
// it is the chunk's whole manifest.
func (c *ChunkWriter) Manifest() Manifest {
	t := &c.t
	m := Manifest{
		Rows:              c.slot,
		Duplicates:        t.dups,
		EventsByName:      make(map[string]int64, numEvents),
		QuarantineReasons: map[string]int64{},
		RevenueCents:      map[string]int64{},
		Sessions:          t.sessions,
		Purchases:         t.purchases,
		PurchaseUnits:     t.units,
		Daily:             map[string]Day{},
	}
	for k, n := range t.byName {
		m.EventsByName[eventNames[k]] = n
		m.ValidEvents += n
	}
	for f, n := range t.reasons {
		if n > 0 {
			m.QuarantineReasons[reasonCodes[f]] = n
			m.Quarantined += n
		}
	}
	for cur, cents := range t.revenue {
		if t.purchases > 0 && cents > 0 {
			m.RevenueCents[currencyCodes[cur]] = cents
		}
	}
	if t.minDay >= 0 {
		m.MinEventDate = string(c.g.dates[t.minDay][:])
		m.MaxEventDate = string(c.g.dates[t.maxDay][:])
	}
	for i := range t.days {
		d := &t.days[i]
		if d.events == 0 {
			continue
		}
		day := Day{
			Events:                  d.events,
			SessionsWithPageView:    d.funnel[evPageView],
			SessionsWithProductView: d.funnel[evProductView],
			SessionsWithAddToCart:   d.funnel[evAddToCart],
			SessionsWithCheckout:    d.funnel[evCheckoutStarted],
			SessionsWithPurchase:    d.funnel[evPurchase],
		}
		for cur := range numCurrencies {
			if d.orders[cur] > 0 {
				if day.Revenue == nil {
					day.Revenue = map[string]Revenue{}
				}
				day.Revenue[currencyCodes[cur]] = Revenue{Orders: d.orders[cur], Units: d.units[cur], RevenueCents: d.cents[cur]}
			}
		}
		m.Daily[string(c.g.dates[i][:])] = day
	}
	return m
}

// NewManifest returns an empty manifest, ready to Merge into: all five
// event names present with zero counts, empty maps elsewhere.
func NewManifest() Manifest {
	m := Manifest{
		EventsByName:      make(map[string]int64, numEvents),
		QuarantineReasons: map[string]int64{},
		RevenueCents:      map[string]int64{},
		Daily:             map[string]Day{},
	}
	for _, name := range eventNames {
		m.EventsByName[name] = 0
	}
	return m
}
