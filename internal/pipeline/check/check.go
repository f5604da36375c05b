package check

import (
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/zeebo/xxh3"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/event"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/gold"
)

// Options configure a check.
type Options struct {
	// SampleDays is how many event_dates of gold are recomputed (0 = all).
	SampleDays int
	// Seed picks the sample.
	Seed uint64
}

// Item is one check with its outcome.
type Item struct {
	Name   string
	OK     bool
	Detail string
}

// Report is the outcome of all checks.
type Report struct {
	Bronze, Silver, Quarantine, Superseded int64
	BronzeVersion                          int64 // the bronze version silver has processed
	Items                                  []Item
}

// OK reports whether every check passed.
func (r *Report) OK() bool {
	for _, it := range r.Items {
		if !it.OK {
			return false
		}
	}
	return len(r.Items) > 0
}

func (r *Report) add(name string, ok bool, format string, args ...any) {
	r.Items = append(r.Items, Item{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

type hkey [2]uint64

func hashOf(b []byte) hkey {
	h := xxh3.Hash128(b)
	return hkey{h.Hi, h.Lo}
}

// digest hashes a silver row's content in one canonical form, so that rows
// derived from a bronze line and rows read from silver compare equal.
type digester struct{ buf []byte }

func (d *digester) str(b []byte, present bool) {
	if !present {
		d.buf = append(d.buf, 0)
		return
	}
	d.buf = append(d.buf, 1)
	d.buf = binary.AppendUvarint(d.buf, uint64(len(b)))
	d.buf = append(d.buf, b...)
}

func (d *digester) int(v int64, present bool) {
	if !present {
		d.buf = append(d.buf, 0)
		return
	}
	d.buf = append(d.buf, 1)
	d.buf = binary.AppendVarint(d.buf, v)
}

func (d *digester) sum() hkey {
	k := hashOf(d.buf)
	d.buf = d.buf[:0]
	return k
}

func eventDigest(d *digester, ev *event.Event, ingestTS int64, batchID []byte, batchOK bool) hkey {
	for _, s := range [][]byte{ev.EventID, ev.EventName, ev.UserID, ev.SessionID, ev.DeviceType, ev.Platform, ev.Country,
		ev.Region, ev.City, ev.UTMSource, ev.UTMMedium, ev.UTMCampaign, ev.ProductID, ev.Category, ev.Currency, ev.OrderID} {
		d.str(s, s != nil)
	}
	d.int(ev.EventTS, true)
	d.int(int64(ev.EventDate), true)
	d.int(ev.Price, ev.HasPrice)
	d.int(int64(ev.Quantity), ev.HasQuantity)
	d.int(ingestTS, true)
	d.str(batchID, batchOK)
	return d.sum()
}

// silverStringCols are the silver columns in eventDigest's string order.
var silverStringCols = []int{pipeline.SEventID, pipeline.SEventName, pipeline.SUserID, pipeline.SSessionID,
	pipeline.SDeviceType, pipeline.SPlatform, pipeline.SCountry, pipeline.SRegion, pipeline.SCity, pipeline.SUTMSource,
	pipeline.SUTMMedium, pipeline.SUTMCampaign, pipeline.SProductID, pipeline.SCategory, pipeline.SCurrency, pipeline.SOrderID}

func rowDigest(d *digester, b *column.Batch, r int) hkey {
	for _, c := range silverStringCols {
		v := b.Cols[c]
		if v.IsNull(r) {
			d.str(nil, false)
		} else {
			d.str(v.Bytes(r), true)
		}
	}
	for _, c := range []int{pipeline.SEventTS, pipeline.SEventDate, pipeline.SPrice, pipeline.SQuantity, pipeline.SIngestTS} {
		v := b.Cols[c]
		if v.IsNull(r) {
			d.int(0, false)
		} else {
			d.int(v.Ints[r], true)
		}
	}
	if v := b.Cols[pipeline.SIngestBatchID]; v.IsNull(r) {
		d.str(nil, false)
	} else {
		d.str(v.Bytes(r), true)
	}
	return d.sum()
}

// Run performs every check.
func Run(ctx context.Context, wh *pipeline.Warehouse, opts Options) (*Report, error) {
	rep := &Report{}
	silver, err := wh.Snapshot(ctx, pipeline.Silver)
	if err != nil {
		return nil, err
	}
	quar, err := wh.Snapshot(ctx, pipeline.Quarantine)
	if err != nil {
		return nil, err
	}
	bronzeLatest, err := wh.Snapshot(ctx, pipeline.Bronze)
	if err != nil {
		return nil, err
	}
	if bronzeLatest == nil || silver == nil || quar == nil {
		return nil, fmt.Errorf("nothing to check: run the pipeline first (bronze, silver and quarantine must exist)")
	}
	vs, okS := silver.TxnVersion(pipeline.AppSilver)
	vq, okQ := quar.TxnVersion(pipeline.AppSilver)
	if !okS || !okQ || vs != vq {
		rep.add("silver and quarantine processed the same bronze version", false, "silver at %d (%v), quarantine at %d (%v)", vs, okS, vq, okQ)
		return rep, nil
	}
	rep.BronzeVersion = vs
	rep.add("silver is up to date with bronze", vs == bronzeLatest.Version(), "bronze version %d, processed %d", bronzeLatest.Version(), vs)
	bronze, err := bronzeLatest.Table().SnapshotAt(ctx, vs)
	if err != nil {
		return nil, err
	}

	// 1. Re-validate bronze: expected quarantine reasons and current rows.
	wantReasons := map[string]int64{}
	var rows int64
	for _, a := range bronze.Files() {
		if n, ok := a.NumRecords(); ok {
			rows += n
		}
	}
	winners := newWinnerTable(rows)
	var valid int64
	var dg digester
	if err := scanBronze(ctx, bronze, func(line []byte, ingestTS, version, pos int64, batchID []byte, batchOK bool, p *event.Parser, ev *event.Event) {
		rep.Bronze++
		reasons := p.Parse(line, ev)
		if !reasons.Valid() {
			wantReasons[reasons.String()]++
			return
		}
		valid++
		winners.offer(hashOf(ev.EventID), ingestTS, version, pos, func() hkey { return eventDigest(&dg, ev, ingestTS, batchID, batchOK) })
	}); err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", pipeline.Schema, pipeline.Bronze, err)
	}

	// 2. Silver: one row per event_id, no null keys, the expected winners.
	gotReasons := map[string]int64{}
	expected := winners.winners()
	var dups, nullKeys, badDates, notWinner int64
	sc, err := silver.Scan(delta.ScanOptions{})
	if err != nil {
		return nil, err
	}
	err = sc.Each(ctx, func(b *column.Batch) error {
		for r, n := 0, b.Len(); r < n; r++ {
			rep.Silver++
			if b.Cols[pipeline.SEventID].IsNull(r) || b.Cols[pipeline.SEventTS].IsNull(r) || b.Cols[pipeline.SEventDate].IsNull(r) ||
				b.Cols[pipeline.SEventName].IsNull(r) || b.Cols[pipeline.SUserID].IsNull(r) {
				nullKeys++
				continue
			}
			dup, ok := winners.visit(hashOf(b.Cols[pipeline.SEventID].Bytes(r)), rowDigest(&dg, b, r))
			if dup {
				dups++
			}
			if floorDiv(b.Cols[pipeline.SEventTS].Ints[r], 86_400_000_000) != b.Cols[pipeline.SEventDate].Ints[r] {
				badDates++
			}
			if !ok {
				notWinner++
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", pipeline.Schema, pipeline.Silver, err)
	}
	rep.add("silver: no null event_id, event_ts, event_date, event_name or user_id", nullKeys == 0, "%d rows with a null key", nullKeys)
	rep.add("silver: one row per event_id", dups == 0, "%d duplicate event_ids", dups)
	rep.add("silver: event_date = date(event_ts) in UTC", badDates == 0, "%d rows disagree", badDates)
	missing := winners.missing()
	rep.add("silver holds exactly the current copy of every valid event_id", notWinner == 0 && missing == 0,
		"%d valid event_ids expected, %d missing, %d rows that are not the latest copy", expected, missing, notWinner)

	// 3. Quarantine: exactly the rejected lines, by reason.
	qs, err := quar.Scan(delta.ScanOptions{Columns: []string{"reason"}})
	if err != nil {
		return nil, err
	}
	err = qs.Each(ctx, func(b *column.Batch) error {
		for r := 0; r < b.Len(); r++ {
			rep.Quarantine++
			gotReasons[b.Cols[0].Str(r)]++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", pipeline.Schema, pipeline.Quarantine, err)
	}
	rep.add("quarantine: the rejected lines, per reason", maps.Equal(wantReasons, gotReasons), "%s", diffReasons(wantReasons, gotReasons))

	// 4. Reconcile: bronze = silver + quarantine + superseded.
	rep.Superseded = valid - expected
	rep.add("reconcile: bronze = silver + quarantine + superseded", rep.Bronze == rep.Silver+rep.Quarantine+rep.Superseded,
		"%d = %d + %d + %d", rep.Bronze, rep.Silver, rep.Quarantine, rep.Superseded)

	// 5. Gold equals a recomputation from silver for sampled days.
	if err := checkGold(ctx, wh, silver, opts, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func diffReasons(want, got map[string]int64) string {
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	var parts []string
	for k := range keys {
		if want[k] != got[k] {
			parts = append(parts, fmt.Sprintf("%s: expected %d, found %d", k, want[k], got[k]))
		}
	}
	slices.Sort(parts)
	if len(parts) == 0 {
		n := int64(0)
		for _, v := range got {
			n += v
		}
		return fmt.Sprintf("%d rows in %d reasons match", n, len(got))
	}
	return strings.Join(parts, "; ")
}

// scanBronze calls fn for every bronze row in (version, position) order.
func scanBronze(ctx context.Context, bronze *delta.Snapshot, fn func(line []byte, ingestTS, version, pos int64, batchID []byte, batchOK bool, p *event.Parser, ev *event.Event)) error {
	changes, err := bronze.Table().Changes(ctx, -1, bronze.Version())
	if err != nil {
		return fmt.Errorf("read bronze log: %w", err)
	}
	sc, err := bronze.Scan(delta.ScanOptions{Columns: []string{"raw_json", "ingest_ts", "ingest_batch_id"}})
	if err != nil {
		return err
	}
	p := event.NewParser(event.ParserOptions{})
	var ev event.Event
	for _, c := range changes {
		var pos int64
		for _, a := range c.Actions {
			if a.Add == nil || !a.Add.DataChange {
				continue
			}
			err := sc.ReadFile(ctx, a.Add, func(b *column.Batch) error {
				for r := 0; r < b.Len(); r++ {
					var line []byte
					if !b.Cols[0].IsNull(r) {
						line = b.Cols[0].Bytes(r)
					}
					var ts int64
					if !b.Cols[1].IsNull(r) {
						ts = b.Cols[1].Ints[r]
					}
					var bid []byte
					if !b.Cols[2].IsNull(r) {
						bid = b.Cols[2].Bytes(r)
					}
					fn(line, ts, c.Version, pos, bid, !b.Cols[2].IsNull(r), p, &ev)
					pos++
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func checkGold(ctx context.Context, wh *pipeline.Warehouse, silver *delta.Snapshot, opts Options, rep *Report) error {
	fact, err := wh.Snapshot(ctx, pipeline.FactPurchases)
	if err != nil {
		return err
	}
	funnel, err := wh.Snapshot(ctx, pipeline.FunnelDaily)
	if err != nil {
		return err
	}
	revenue, err := wh.Snapshot(ctx, pipeline.RevenueDaily)
	if err != nil {
		return err
	}
	if fact == nil || funnel == nil || revenue == nil {
		rep.add("gold tables exist", false, "run the silver_to_gold task")
		return nil
	}
	for name, s := range map[string]*delta.Snapshot{pipeline.FactPurchases: fact, pipeline.FunnelDaily: funnel, pipeline.RevenueDaily: revenue} {
		v, ok := s.TxnVersion(pipeline.AppGold)
		rep.add("gold is up to date with silver: "+name, ok && v == silver.Version(), "silver version %d, %s built from %d", silver.Version(), name, v)
	}
	// Dates present in silver.
	dateSet := map[int64]bool{}
	for _, a := range silver.Files() {
		if d, ok, _ := pipeline.EventDate(a.PartitionValues); ok {
			dateSet[d] = true
		}
	}
	dates := make([]int64, 0, len(dateSet))
	for d := range dateSet {
		dates = append(dates, d)
	}
	slices.Sort(dates)
	sample := dates
	if opts.SampleDays > 0 && len(dates) > opts.SampleDays {
		r := rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15))
		idx := r.Perm(len(dates))[:opts.SampleDays]
		slices.Sort(idx)
		sample = nil
		for _, i := range idx {
			sample = append(sample, dates[i])
		}
	}
	gotFunnel, err := readRows(ctx, funnel)
	if err != nil {
		return err
	}
	gotRevenue, err := readRows(ctx, revenue)
	if err != nil {
		return err
	}
	gotFact, err := readRows(ctx, fact)
	if err != nil {
		return err
	}
	var bad []string
	for _, d := range sample {
		day, err := gold.ComputeDay(ctx, silver, d)
		if err != nil {
			return err
		}
		want := column.NewBatch(pipeline.FunnelDailySchema, 1)
		gold.AppendFunnel(want, day.Funnel)
		if !slices.Equal(rowsOf(want), gotFunnel[d]) {
			bad = append(bad, fmt.Sprintf("funnel %s", delta.FormatDate(d)))
		}
		wr := column.NewBatch(pipeline.RevenueDailySchema, len(day.Revenue))
		for _, r := range day.Revenue {
			gold.AppendRevenue(wr, r)
		}
		if !slices.Equal(rowsOf(wr), gotRevenue[d]) {
			bad = append(bad, fmt.Sprintf("revenue %s", delta.FormatDate(d)))
		}
		if !slices.Equal(rowsOf(day.Purchases), gotFact[d]) {
			bad = append(bad, fmt.Sprintf("purchases %s", delta.FormatDate(d)))
		}
	}
	for _, m := range []map[int64][]string{gotFunnel, gotRevenue, gotFact} {
		for d := range m {
			if !dateSet[d] {
				bad = append(bad, fmt.Sprintf("gold has %s, which silver does not", delta.FormatDate(d)))
			}
		}
	}
	rep.add("gold equals a recomputation from silver", len(bad) == 0, "%d of %d days recomputed; mismatches: %s", len(sample), len(dates), strings.Join(firstN(bad, 5), ", "))
	return nil
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("… %d more", len(s)-n))
	}
	if len(s) == 0 {
		return []string{"none"}
	}
	return s
}

// rowJSON renders row r of b as a JSON array of its values.
func rowJSON(b *column.Batch, r int) string {
	buf := []byte{'['}
	for c, v := range b.Cols {
		if c > 0 {
			buf = append(buf, ',')
		}
		buf = column.AppendJSON(buf, v.Type, v.Value(r))
	}
	return string(append(buf, ']'))
}

// rowsOf renders a batch's rows as sorted JSON lines.
func rowsOf(b *column.Batch) []string {
	out := make([]string, 0, b.Len())
	for r := 0; r < b.Len(); r++ {
		out = append(out, rowJSON(b, r))
	}
	slices.Sort(out)
	return out
}

// readRows reads a gold table's rows grouped by event_date.
func readRows(ctx context.Context, s *delta.Snapshot) (map[int64][]string, error) {
	out := map[int64][]string{}
	sc, err := s.Scan(delta.ScanOptions{})
	if err != nil {
		return nil, err
	}
	di := s.Schema().Index("event_date")
	err = sc.Each(ctx, func(b *column.Batch) error {
		for r := 0; r < b.Len(); r++ {
			if b.Cols[di].IsNull(r) {
				continue
			}
			d := b.Cols[di].Ints[r]
			out[d] = append(out[d], rowJSON(b, r))
		}
		return nil
	})
	for d := range out {
		slices.Sort(out[d])
	}
	return out, err
}
