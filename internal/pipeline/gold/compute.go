package gold

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/zeebo/xxh3"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/event"
	"github.com/ecomm-lakehouse/lakehouse/internal/keyset"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
)

// maxDecimal18 is the largest unscaled decimal(18,2).
const maxDecimal18 = 999_999_999_999_999_999

// Funnel is one day of gold_mart_funnel_daily.
type Funnel struct {
	Date     int64    // days since the epoch
	Sessions [5]int64 // distinct sessions per step of pipeline.FunnelSteps
}

// Rates returns the step conversion rates (NaN where the denominator is 0):
// page→product, product→cart, cart→checkout, checkout→purchase, page→purchase.
func (f Funnel) Rates() [5]float64 {
	div := func(a, b int64) float64 {
		if b == 0 {
			return math.NaN()
		}
		return float64(a) / float64(b)
	}
	s := f.Sessions
	return [5]float64{div(s[1], s[0]), div(s[2], s[1]), div(s[3], s[2]), div(s[4], s[3]), div(s[4], s[0])}
}

// Revenue is one row of gold_mart_revenue_daily.
type Revenue struct {
	Date     int64
	Currency string // "" = null currency
	Orders   int64
	Units    int64
	Revenue  int64 // cents; Overflow when it does not fit decimal(18,2)
	Overflow bool
}

// Day is everything gold holds for one event_date.
type Day struct {
	Date      int64
	Funnel    Funnel
	Revenue   []Revenue     // sorted by currency
	Purchases *column.Batch // FactPurchasesSchema rows (ComputeDay only: the stage streams them to files)

	appended bool         // the fact rows are only those of silver files added since the fact table was built
	facts    []*delta.Add // the day's fact file, written by the stage
	factRows int64
}

// factFlushRows is how many fact rows the stage gathers before handing them
// to the day's file writer.
const factFlushRows = 8192

// factRows gathers a day's fact rows from silver purchase rows. With write
// set it hands them on every factFlushRows rows, so that a day's facts are
// never all held (the stage); without, they stay in b (ComputeDay). A nil
// *factRows drops them (the fact table needs no rewrite).
type factRows struct {
	b     *column.Batch
	write func(*column.Batch) error
	n     int64 // rows handed to write
}

func (f *factRows) add(silverRows *column.Batch) error {
	if f == nil {
		return nil
	}
	appendFacts(f.b, silverRows)
	if f.b.Len() >= factFlushRows {
		return f.flush()
	}
	return nil
}

// flush hands the gathered rows to write.
func (f *factRows) flush() error {
	if f == nil || f.write == nil || f.b.Len() == 0 {
		return nil
	}
	f.n += int64(f.b.Len())
	err := f.write(f.b)
	f.b.Reset()
	return err
}

// revenueOf returns price × quantity in cents, or false when it does not
// fit decimal(18,2) (the row's revenue is then null).
func revenueOf(priceCents int64, qty int64) (int64, bool) {
	if priceCents == 0 || qty == 0 {
		return 0, true
	}
	r := priceCents * qty
	if r/qty != priceCents || r > maxDecimal18 || r < -maxDecimal18 {
		return 0, false
	}
	return r, true
}

// stepOf returns the funnel step of an event name (its index in
// pipeline.FunnelSteps, which lists the event names in event.Name order), or
// -1.
func stepOf(name []byte) int {
	if n, ok := event.ParseName(name); ok {
		return int(n - event.PageView)
	}
	return -1
}

// sessionKey is the 128-bit hash a session_id is counted by (a collision
// among a billion sessions has a probability near 1e-21).
func sessionKey(session []byte) keyset.Key {
	h := xxh3.Hash128(session)
	return keyset.Key{h.Lo, h.Hi}
}

// ComputeDay reads the silver partition of one date and computes its gold
// rows. It reads two columns of every row for the funnel, and every column
// of the purchase rows only (silver keeps purchases in files of their own,
// which the event_name statistics let the scan find).
func ComputeDay(ctx context.Context, silver *delta.Snapshot, date int64) (*Day, error) {
	day := &Day{Date: date, Funnel: Funnel{Date: date}, Purchases: column.NewBatch(pipeline.FactPurchasesSchema, 1024)}
	sc, err := silver.Scan(delta.ScanOptions{Columns: []string{"event_name", "session_id"}, Filter: delta.Eq("event_date", date), BatchRows: 8192})
	if err != nil {
		return nil, err
	}
	// Distinct sessions per step, as a set of sessionKeys.
	var sessions [5]keyset.Set
	err = sc.Each(ctx, func(b *column.Batch) error {
		names, sess := b.Cols[0], b.Cols[1]
		for r, n := 0, b.Len(); r < n; r++ {
			if names.IsNull(r) || sess.IsNull(r) {
				continue
			}
			step := stepOf(names.Bytes(r))
			if step < 0 {
				continue
			}
			sessions[step].Add(sessionKey(sess.Bytes(r)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read silver %s: %w", delta.FormatDate(date), err)
	}
	for i := range sessions {
		day.Funnel.Sessions[i] = int64(sessions[i].Len())
	}
	if err := computePurchases(ctx, silver, day, &factRows{b: day.Purchases}); err != nil {
		return nil, err
	}
	return day, nil
}

// computePurchases gives facts the day's fact rows and computes its revenue
// per currency, from every purchase row of the day.
func computePurchases(ctx context.Context, silver *delta.Snapshot, day *Day, facts *factRows) error {
	sc, err := purchaseScan(silver, day.Date, nil)
	if err != nil {
		return err
	}
	rev := revenueAcc{}
	err = sc.Each(ctx, func(b *column.Batch) error {
		rev.add(b)
		return facts.add(b)
	})
	if err == nil {
		err = facts.flush()
	}
	if err != nil {
		return fmt.Errorf("read silver purchases %s: %w", delta.FormatDate(day.Date), err)
	}
	day.Revenue = rev.rows(day.Date)
	return nil
}

// appendPurchases gives facts the fact rows of the silver files added (files
// that hold no purchase are skipped by their statistics), and computes the
// day's revenue from every purchase row of the day, reading only the four
// columns revenue needs.
func appendPurchases(ctx context.Context, silver *delta.Snapshot, day *Day, added []*delta.Add, facts *factRows) error {
	date := day.Date
	rs, err := purchaseScan(silver, date, []string{"order_id", "currency", "quantity", "price"})
	if err != nil {
		return err
	}
	rev := revenueAcc{}
	if err := rs.Each(ctx, func(b *column.Batch) error { rev.add(b); return nil }); err != nil {
		return fmt.Errorf("read silver purchases %s: %w", delta.FormatDate(date), err)
	}
	day.Revenue = rev.rows(date)
	fs, err := purchaseScan(silver, date, nil)
	if err != nil {
		return err
	}
	withPurchases := map[string]bool{}
	for _, a := range fs.Files() {
		withPurchases[a.Path] = true
	}
	for _, a := range added {
		if !withPurchases[a.Path] {
			continue
		}
		if err := fs.ReadFile(ctx, a, facts.add); err != nil {
			return fmt.Errorf("read silver purchases %s: %w", delta.FormatDate(date), err)
		}
	}
	if err := facts.flush(); err != nil {
		return fmt.Errorf("write fact rows %s: %w", delta.FormatDate(date), err)
	}
	return nil
}

// purchaseScan reads the purchase rows of a date: the given columns, or all.
func purchaseScan(silver *delta.Snapshot, date int64, cols []string) (*delta.Scan, error) {
	return silver.Scan(delta.ScanOptions{
		Columns:    cols,
		Filter:     delta.And(delta.Eq("event_date", date), delta.Eq("event_name", "purchase")),
		FilterRows: true, BatchRows: 8192,
	})
}

// appendFacts adds a FactPurchasesSchema row per row of b (silver rows, all
// columns): order_id first, then the other silver columns, then revenue.
func appendFacts(fact, b *column.Batch) {
	price, qty := b.Cols[pipeline.SPrice], b.Cols[pipeline.SQuantity]
	for r := 0; r < b.Len(); r++ {
		fact.Cols[0].AppendFrom(b.Cols[pipeline.SOrderID], r)
		c := 1
		for i := range b.Cols {
			if i == pipeline.SOrderID {
				continue
			}
			fact.Cols[c].AppendFrom(b.Cols[i], r)
			c++
		}
		rev, fits := int64(0), false
		if !price.IsNull(r) && !qty.IsNull(r) {
			rev, fits = revenueOf(price.Ints[r], qty.Ints[r])
		}
		if fits {
			fact.Cols[c].AppendInt(rev)
		} else {
			fact.Cols[c].AppendNull()
		}
	}
}

// revenueAcc sums a day's purchases per currency ("" = null currency).
type revenueAcc map[string]*currencyAcc

type currencyAcc struct {
	orders   map[string]struct{}
	units    int64
	revenue  int64
	overflow bool
}

// add accumulates the rows of b, whose columns include order_id, currency,
// quantity and price (found by name).
func (m revenueAcc) add(b *column.Batch) {
	col := func(name string) *column.Vector { return b.Cols[b.Schema.Index(name)] }
	orders, curs, qty, price := col("order_id"), col("currency"), col("quantity"), col("price")
	for r := 0; r < b.Len(); r++ {
		rev, fits := int64(0), false
		if !price.IsNull(r) && !qty.IsNull(r) {
			rev, fits = revenueOf(price.Ints[r], qty.Ints[r])
		}
		cur := ""
		if !curs.IsNull(r) {
			cur = curs.Str(r)
		}
		a := m[cur]
		if a == nil {
			a = &currencyAcc{orders: map[string]struct{}{}}
			m[cur] = a
		}
		if !orders.IsNull(r) {
			a.orders[orders.Str(r)] = struct{}{}
		}
		if !qty.IsNull(r) {
			a.units += qty.Ints[r]
		}
		switch {
		case !fits:
			a.overflow = true
		case !a.overflow:
			sum := a.revenue + rev
			if sum > maxDecimal18 || sum < -maxDecimal18 {
				a.overflow = true
			}
			a.revenue = sum
		}
	}
}

// rows returns the day's revenue rows, sorted by currency.
func (m revenueAcc) rows(date int64) []Revenue {
	curs := slices.Sorted(maps.Keys(m))
	out := make([]Revenue, 0, len(curs))
	for _, c := range curs {
		a := m[c]
		out = append(out, Revenue{Date: date, Currency: c, Orders: int64(len(a.orders)), Units: a.units, Revenue: a.revenue, Overflow: a.overflow})
	}
	return out
}

// AppendFunnel adds one funnel row to a FunnelDailySchema batch.
func AppendFunnel(b *column.Batch, f Funnel) {
	b.Cols[0].AppendInt(f.Date)
	for i, n := range f.Sessions {
		b.Cols[1+i].AppendInt(n)
	}
	for i, r := range f.Rates() {
		if math.IsNaN(r) {
			b.Cols[6+i].AppendNull()
		} else {
			b.Cols[6+i].AppendFloat(r)
		}
	}
}

// AppendRevenue adds one revenue row to a RevenueDailySchema batch.
func AppendRevenue(b *column.Batch, r Revenue) {
	b.Cols[0].AppendInt(r.Date)
	if r.Currency == "" {
		b.Cols[1].AppendNull()
	} else {
		b.Cols[1].AppendString(r.Currency)
	}
	b.Cols[2].AppendInt(r.Orders)
	b.Cols[3].AppendInt(r.Units)
	if r.Overflow {
		b.Cols[4].AppendNull()
	} else {
		b.Cols[4].AppendInt(r.Revenue)
	}
}
