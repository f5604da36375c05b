package gold

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/parquetio"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
)

// Options configure a run.
type Options struct {
	Workers     int // dates computed concurrently; default GOMAXPROCS
	MaxAttempts int // reruns after a commit conflict (default 5)
}

// Result reports a run.
type Result struct {
	SilverFrom, SilverTo int64
	Skipped              bool
	Dates                []int64 // event_dates recomputed
	IncrementalDates     int     // of which the funnel came from saved state + changes
	FactDatesAppended    int     // of which the fact rows were appended from added silver files
	FactRows             int64
	FunnelRows           int
	RevenueRows          int
	Versions             map[string]int64 // table → version after the run
	LatestFunnel         *Funnel          // the most recent date recomputed
}

// Run executes silver_to_gold once, retrying after commit conflicts.
func Run(ctx context.Context, wh *pipeline.Warehouse, opts Options) (*Result, error) {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	return pipeline.RetryConflicts(opts.MaxAttempts, func() (*Result, error) { return run(ctx, wh, opts) })
}

// writeOptions are the gold data file settings: snappy, like silver, whose
// columns the facts repeat (zstd's fastest level on those PLAIN strings cost
// 3× snappy's time: 0.27 CPU-s a run for 130K facts).
var writeOptions = delta.WriteOptions{Parquet: parquetio.WriterOptions{Codec: "snappy"}}

// builtFrom returns the silver version s was last built from, or -1.
func builtFrom(s *delta.Snapshot) int64 { return pipeline.InputVersion(s, pipeline.AppGold) }

func run(ctx context.Context, wh *pipeline.Warehouse, opts Options) (*Result, error) {
	silver, err := wh.Snapshot(ctx, pipeline.Silver)
	if err != nil {
		return nil, fmt.Errorf("read silver: %w", err)
	}
	if silver == nil {
		return nil, fmt.Errorf("silver table %s.%s does not exist yet: run the bronze_to_silver task first", pipeline.Schema, pipeline.Silver)
	}
	names := []string{pipeline.FactPurchases, pipeline.FunnelDaily, pipeline.RevenueDaily}
	snaps := map[string]*delta.Snapshot{}
	target := silver.Version()
	from := target
	res := &Result{SilverTo: target, Versions: map[string]int64{}}
	for _, n := range names {
		s, err := wh.Ensure(ctx, n)
		if err != nil {
			return nil, err
		}
		snaps[n] = s
		res.Versions[n] = s.Version()
		from = min(from, builtFrom(s))
	}
	res.SilverFrom = from
	if from >= target {
		res.Skipped = true
		return res, nil
	}
	dates, err := affectedDates(ctx, silver, from, target)
	if err != nil {
		return nil, err
	}
	res.Dates = dates

	// Funnel counts come from each day's saved state plus the silver
	// changes since it; read the log once, from the oldest state.
	states := newStateStore(wh.Root(), silver)
	loaded := make([]*funnelState, len(dates))
	var lg errgroup.Group
	lg.SetLimit(opts.Workers)
	for i, d := range dates {
		lg.Go(func() error {
			loaded[i] = states.load(ctx, d)
			return nil
		})
	}
	lg.Wait() // load reports no error: an unusable state is recomputed
	oldest := target
	for i, fs := range loaded {
		if fs != nil && fs.version > target {
			loaded[i] = nil
		} else if fs != nil {
			oldest = min(oldest, fs.version)
		}
	}
	// The fact rows of a day whose silver files were only added since the
	// fact table was built come from those files alone (appended); a day
	// that lost files is recomputed whole (its partition replaced).
	factSnap := snaps[pipeline.FactPurchases]
	factFrom := builtFrom(factSnap)
	factFiles := perDate(factSnap, fileCount)
	logFrom := oldest
	if factFrom >= 0 {
		logFrom = min(logFrom, factFrom)
	}
	changes, ok, err := readChanges(ctx, silver, logFrom, target)
	if err != nil {
		return nil, err
	}
	if !ok {
		changes = nil
	}
	days := make([]*Day, len(dates))
	var incremental atomic.Int64
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(opts.Workers)
	// A day's funnel and its purchases are two tasks (they set different
	// fields of the day). The fact table and the revenue mart need only the
	// purchases: they are written while the funnels are still computed.
	var purchasing sync.WaitGroup
	var purchasesFailed atomic.Bool
	purchasing.Add(len(dates))
	writeFactsNow := factFrom < target
	// The funnels first, the largest day first, then the purchases (silver
	// keeps them in files apart: they are small): the short tasks last, the
	// cores finish together, rather than one computing the last big day
	// alone.
	for i, d := range dates {
		days[i] = &Day{Date: d}
	}
	for _, i := range largestFirst(dates, perDate(silver, fileBytes)) {
		eg.Go(func() error {
			f, inc, err := computeFunnel(ectx, silver, states, loaded[i], changes, dates[i])
			if err != nil {
				return err
			}
			if inc {
				incremental.Add(1)
			}
			days[i].Funnel = f
			return nil
		})
	}
	for _, day := range days {
		eg.Go(func() error {
			defer purchasing.Done()
			added, ok := factAppends(changes, factFrom, day.Date)
			day.appended = ok && factFiles[day.Date] < MaxFactFilesPerDay
			err := purchaseDay(ectx, silver, factSnap, day, added, writeFactsNow)
			if err != nil {
				purchasesFailed.Store(true)
			}
			return err
		})
	}
	purchased := make(chan error, 1)
	var purchaseRes Result // the fact and revenue figures, merged into res below
	go func() {
		purchasing.Wait()
		if purchasesFailed.Load() {
			purchased <- nil // eg.Wait reports the failure
			return
		}
		purchased <- writePurchases(ctx, snaps, dates, days, factFrom, target, &purchaseRes)
	}()
	err = eg.Wait()
	if perr := <-purchased; err == nil {
		err = perr
	}
	if err != nil {
		return nil, err
	}
	res.IncrementalDates = int(incremental.Load())
	res.FactRows, res.FactDatesAppended, res.RevenueRows = purchaseRes.FactRows, purchaseRes.FactDatesAppended, purchaseRes.RevenueRows
	for k, v := range purchaseRes.Versions {
		res.Versions[k] = v
	}
	if len(days) > 0 {
		f := days[len(days)-1].Funnel
		res.LatestFunnel = &f
	}
	// The funnel mart is small (a row per date): rewritten whole with the
	// affected dates replaced.
	if s := snaps[pipeline.FunnelDaily]; builtFrom(s) < target {
		b := column.NewBatch(pipeline.FunnelDailySchema, len(days))
		for _, d := range days {
			AppendFunnel(b, d.Funnel)
		}
		v, n, err := replaceDates(ctx, s, dates, b, target)
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", pipeline.FunnelDaily, err)
		}
		res.Versions[pipeline.FunnelDaily], res.FunnelRows = v, n
	}
	return res, nil
}

// purchaseDay computes a day's revenue and, with writeFacts, streams its fact
// rows (all of them, or those of the silver files added when day.appended)
// into a new file of the fact table, whose add it keeps for writePurchases
// to commit. A day's facts are thus never all in memory.
func purchaseDay(ctx context.Context, silver, factSnap *delta.Snapshot, day *Day, added []*delta.Add, writeFacts bool) error {
	var facts *factRows
	var fw *delta.FileWriter
	if writeFacts {
		var err error
		if fw, err = factSnap.NewFileWriter(ctx, writeOptions); err != nil {
			return err
		}
		facts = &factRows{b: column.NewBatch(pipeline.FactPurchasesSchema, factFlushRows), write: fw.Write}
	}
	var err error
	if day.appended {
		err = appendPurchases(ctx, silver, day, added, facts)
	} else {
		err = computePurchases(ctx, silver, day, facts)
	}
	if fw == nil {
		return err
	}
	if err != nil {
		fw.Abort()
		return err
	}
	if day.facts, err = fw.Close(); err != nil {
		return fmt.Errorf("write %s %s: %w", pipeline.FactPurchases, delta.FormatDate(day.Date), err)
	}
	day.factRows = facts.n
	return nil
}

// writePurchases writes what the days' purchases give: gold_fact_purchases
// (the rows of appended days added, the partitions of the other affected
// days replaced, in one commit) and the revenue mart (a row per date and
// currency, rewritten whole with the affected dates replaced). It sets
// res's fact and revenue figures and their tables' Versions.
func writePurchases(ctx context.Context, snaps map[string]*delta.Snapshot, dates []int64, days []*Day, factFrom, target int64, res *Result) error {
	res.Versions = map[string]int64{}
	if factFrom < target {
		var replaced []int64
		var adds []*delta.Add
		for _, d := range days {
			res.FactRows += d.factRows
			adds = append(adds, d.facts...)
			if d.appended {
				res.FactDatesAppended++
			} else {
				replaced = append(replaced, d.Date)
			}
		}
		v, err := writeFacts(ctx, snaps[pipeline.FactPurchases], dates, replaced, adds, target)
		if err != nil {
			return fmt.Errorf("write %s: %w", pipeline.FactPurchases, err)
		}
		res.Versions[pipeline.FactPurchases] = v
	}
	if s := snaps[pipeline.RevenueDaily]; builtFrom(s) < target {
		b := column.NewBatch(pipeline.RevenueDailySchema, len(days))
		for _, d := range days {
			for _, r := range d.Revenue {
				AppendRevenue(b, r)
			}
		}
		v, n, err := replaceDates(ctx, s, dates, b, target)
		if err != nil {
			return fmt.Errorf("write %s: %w", pipeline.RevenueDaily, err)
		}
		res.Versions[pipeline.RevenueDaily], res.RevenueRows = v, n
	}
	return nil
}

// MaxFactFilesPerDay bounds the data files of a day's partition of
// gold_fact_purchases: a day whose partition holds that many is recomputed
// (its partition replaced by one file) rather than appended to, so that
// incremental runs do not leave ever more small files behind.
const MaxFactFilesPerDay = 16

// perDate sums value over the data files of each event_date partition of s.
func perDate(s *delta.Snapshot, value func(*delta.Add) int64) map[int64]int64 {
	n := map[int64]int64{}
	for _, a := range s.Files() {
		if d, ok, _ := pipeline.EventDate(a.PartitionValues); ok {
			n[d] += value(a)
		}
	}
	return n
}

func fileCount(*delta.Add) int64   { return 1 }
func fileBytes(a *delta.Add) int64 { return a.Size }

// largestFirst returns the indexes of dates, the date of most bytes first
// (ties in date order).
func largestFirst(dates []int64, bytes map[int64]int64) []int {
	order := make([]int, len(dates))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(bytes[dates[b]], bytes[dates[a]]) })
	return order
}

// factAppends returns the silver files added for date since the fact table
// was built from silver version factFrom, and whether they are all that
// changed (no file of the date removed), so that the date's fact rows can be
// appended instead of recomputed.
func factAppends(changes *funnelChanges, factFrom, date int64) ([]*delta.Add, bool) {
	if changes == nil || factFrom < 0 || factFrom < changes.from {
		return nil, false
	}
	var added []*delta.Add
	for _, ch := range changes.byDay[date] {
		if ch.version <= factFrom {
			continue
		}
		if ch.sign < 0 {
			return nil, false
		}
		added = append(added, ch.add)
	}
	return added, true
}

// writeFacts commits the new fact rows: it removes the files of the replaced
// dates and adds the days' new files (adds), recording the silver version. A
// concurrent commit touching any affected date makes it fail with a conflict.
func writeFacts(ctx context.Context, s *delta.Snapshot, dates, replaced []int64, adds []*delta.Add, target int64) (int64, error) {
	tx := s.NewTransaction("WRITE")
	if err := tx.ReadPredicate(dateIn(dates)); err != nil {
		return 0, err
	}
	if len(replaced) > 0 {
		old, err := s.Scan(delta.ScanOptions{Filter: dateIn(replaced)})
		if err != nil {
			return 0, err
		}
		days := make([]string, len(replaced))
		for i, d := range replaced {
			days[i] = "'" + delta.FormatDate(d) + "'"
		}
		tx.SetParameter("mode", "Overwrite")
		tx.SetParameter("predicate", "event_date IN ("+strings.Join(days, ", ")+")")
		tx.Remove(old.Files()...)
	} else {
		tx.SetParameter("mode", "Append")
	}
	tx.SetParameter("appendedDates", fmt.Sprint(len(dates)-len(replaced)))
	tx.Add(adds...)
	tx.SetFileMetrics()
	tx.SetTxn(pipeline.AppGold, target)
	next, err := tx.Commit(ctx)
	if err != nil {
		return 0, err
	}
	return next.Version(), nil
}

// dateIn is the predicate event_date IN dates.
func dateIn(dates []int64) delta.Predicate {
	vals := make([]any, len(dates))
	for i, d := range dates {
		vals[i] = d
	}
	return delta.In("event_date", vals...)
}

// affectedDates returns the event_dates of silver files added or removed
// in versions (from, to]; when those commits are gone, every date.
func affectedDates(ctx context.Context, silver *delta.Snapshot, from, to int64) ([]int64, error) {
	set := map[int64]bool{}
	addPV := func(pv map[string]*string) error {
		d, ok, err := pipeline.EventDate(pv)
		if ok {
			set[d] = true
		}
		return err
	}
	changes, err := silver.Table().Changes(ctx, from, to)
	switch {
	case err == nil:
		for _, c := range changes {
			for _, a := range c.Actions {
				switch {
				case a.Add != nil && a.Add.DataChange:
					err = addPV(a.Add.PartitionValues)
				case a.Remove != nil && a.Remove.DataChange:
					err = addPV(a.Remove.PartitionValues)
				}
				if err != nil {
					return nil, err
				}
			}
		}
	case errors.Is(err, delta.ErrVersionNotFound):
		for _, a := range silver.Files() {
			if err := addPV(a.PartitionValues); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("read silver log: %w", err)
	}
	dates := make([]int64, 0, len(set))
	for d := range set {
		dates = append(dates, d)
	}
	slices.Sort(dates)
	return dates, nil
}

// replaceDates rewrites a small unpartitioned mart: its rows outside dates
// are kept, the rows of fresh replace those of dates, in one commit.
func replaceDates(ctx context.Context, s *delta.Snapshot, dates []int64, fresh *column.Batch, target int64) (int64, int, error) {
	out := column.NewBatch(s.Schema(), fresh.Len())
	sc, err := s.Scan(delta.ScanOptions{})
	if err != nil {
		return 0, 0, err
	}
	err = sc.Each(ctx, func(b *column.Batch) error {
		dv := b.Cols[0]
		for r := 0; r < b.Len(); r++ {
			if !dv.IsNull(r) {
				if _, hit := slices.BinarySearch(dates, dv.Ints[r]); hit {
					continue
				}
			}
			out.AppendRow(b, r)
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	for r := 0; r < fresh.Len(); r++ {
		out.AppendRow(fresh, r)
	}
	adds, err := s.WriteAll(ctx, delta.Batches(sortRows(out)), writeOptions)
	if err != nil {
		return 0, 0, err
	}
	tx := s.NewTransaction("WRITE")
	tx.SetParameter("mode", "Overwrite")
	tx.SetParameter("replacedDates", fmt.Sprint(len(dates)))
	tx.ReadWholeTable()
	tx.Remove(s.Files()...)
	tx.Add(adds...)
	tx.SetFileMetrics()
	tx.SetTxn(pipeline.AppGold, target)
	next, err := tx.Commit(ctx)
	if err != nil {
		return 0, 0, err
	}
	return next.Version(), out.Len(), nil
}

// sortRows orders a mart's rows by their first two columns (date, then
// currency when there is one), so files read back in a stable order.
func sortRows(b *column.Batch) *column.Batch {
	idx := make([]int, b.Len())
	for i := range idx {
		idx[i] = i
	}
	key := func(i int) (int64, string) {
		var d int64
		if !b.Cols[0].IsNull(i) {
			d = b.Cols[0].Ints[i]
		}
		var c string
		if v := b.Cols[1]; v.Type.Kind == column.String && !v.IsNull(i) {
			c = v.Str(i)
		}
		return d, c
	}
	slices.SortStableFunc(idx, func(x, y int) int {
		dx, cx := key(x)
		dy, cy := key(y)
		switch {
		case dx < dy:
			return -1
		case dx > dy:
			return 1
		case cx < cy:
			return -1
		case cx > cy:
			return 1
		}
		return 0
	})
	out := column.NewBatch(b.Schema, b.Len())
	for _, i := range idx {
		out.AppendRow(b, i)
	}
	return out
}
