package silver

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/event"
	"github.com/ecomm-lakehouse/lakehouse/internal/parquetio"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/idindex"
)

// Options configure a run of the stage.
type Options struct {
	Workers int // parsing goroutines; default GOMAXPROCS
	// MaxRecordBytes is the contract's record limit (default 1 MiB).
	MaxRecordBytes int
	// BucketRows is how many candidate rows one bucket holds (default
	// 512K); buckets are deduplicated in parallel.
	BucketRows int64
	// MemoryRows and MemoryBytes bound the candidate rows kept in memory; a
	// larger run spills its buckets to temporary files, so memory does not
	// grow with the size of a run (defaults 1M rows, 256 MiB).
	MemoryRows  int64
	MemoryBytes int64
	// TempDir holds spill files (default os.TempDir()).
	TempDir string
	// MaxAttempts reruns the stage after a commit conflict (default 5).
	MaxAttempts int
}

// Result reports a run.
type Result struct {
	BronzeFrom, BronzeTo int64 // bronze versions read: (BronzeFrom, BronzeTo]
	Skipped              bool  // nothing new in bronze
	RowsRead             int64
	Valid                int64
	Quarantined          int64
	ByReason             map[string]int64
	Inserted             int64 // rows for event_ids new to silver
	Updated              int64 // silver rows replaced by a newer copy
	Superseded           int64 // bronze rows that are not (or no longer) the current silver row
	SilverVersion        int64
	QuarantineVersion    int64
	FilesRewritten       int
}

// SilverWriteOptions are the silver data file settings.
func SilverWriteOptions() delta.WriteOptions {
	return delta.WriteOptions{Parquet: parquetio.WriterOptions{
		RowGroupRows:   1 << 15,
		PageBufferSize: 256 << 10,
		Codec:          "snappy",
		Dictionary: []string{"event_name", "device_type", "platform", "country", "region", "city",
			"utm_source", "utm_medium", "utm_campaign", "category", "currency", "ingest_batch_id"},
	}}
}

// Run executes bronze_to_silver once, retrying after commit conflicts.
func Run(ctx context.Context, wh *pipeline.Warehouse, opts Options) (*Result, error) {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MaxRecordBytes <= 0 {
		opts.MaxRecordBytes = event.DefaultMaxRecordBytes
	}
	if opts.BucketRows <= 0 {
		opts.BucketRows = 512 << 10
	}
	if opts.MemoryRows <= 0 {
		opts.MemoryRows = 1 << 20
	}
	if opts.MemoryBytes <= 0 {
		opts.MemoryBytes = 256 << 20
	}
	if opts.TempDir == "" {
		opts.TempDir = os.TempDir()
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	return pipeline.RetryConflicts(opts.MaxAttempts, func() (*Result, error) { return run(ctx, wh, opts) })
}

// unit is one bronze file to read.
type unit struct {
	version int64
	basePos int64 // position of the file's first row within its version
	add     *delta.Add
	indexed bool // the first pass took its keys from bronze's index
}

const posBits = 36

func run(ctx context.Context, wh *pipeline.Warehouse, opts Options) (*Result, error) {
	bronze, err := wh.Snapshot(ctx, pipeline.Bronze)
	if err != nil {
		return nil, fmt.Errorf("read bronze: %w", err)
	}
	if bronze == nil {
		return nil, fmt.Errorf("bronze table %s.%s does not exist yet: run `lakehouse ingest` or the generate_bronze task first", pipeline.Schema, pipeline.Bronze)
	}
	silverSnap, err := wh.Ensure(ctx, pipeline.Silver)
	if err != nil {
		return nil, err
	}
	quarSnap, err := wh.Ensure(ctx, pipeline.Quarantine)
	if err != nil {
		return nil, err
	}
	target := bronze.Version()
	lastS, lastQ := pipeline.InputVersion(silverSnap, pipeline.AppSilver), pipeline.InputVersion(quarSnap, pipeline.AppSilver)
	res := &Result{BronzeTo: target, ByReason: map[string]int64{}, SilverVersion: silverSnap.Version(), QuarantineVersion: quarSnap.Version()}
	if lastS >= target && lastQ >= target {
		res.Skipped, res.BronzeFrom = true, target
		return res, nil
	}
	from := min(lastS, lastQ)
	res.BronzeFrom = from
	units, expected, err := bronzeUnits(ctx, bronze, from, target)
	if err != nil {
		return nil, err
	}
	tr := newTracer()
	needSilver := lastS < target
	// The filter of candidate keys only matters when silver has rows to
	// compare with.
	needFilter := needSilver && silverSnap.NumFiles() > 0
	filterKeys := int64(0)
	if needFilter {
		filterKeys = expected
	}
	filter := newKeyFilter(filterKeys)
	// Bronze's event_id index holds the keys a default parser reads.
	var bx *idindex.Index
	if opts.MaxRecordBytes == event.DefaultMaxRecordBytes {
		bx = idindex.Bronze(wh.Root(), bronze)
	}
	// Pass 1: find the event_ids that may repeat (idscan.go).
	rep := &repeats{}
	if needSilver {
		if rep, err = scanIDs(ctx, bronze, bx, units, lastS, expected, filter, needFilter, opts); err != nil {
			return nil, err
		}
	}
	tr.mark("scan ids of %d bronze files: %d keys may repeat, %d rows", len(units), len(rep.m), rep.rows)
	ids := silverIndex(wh.Root(), silverSnap)
	existing, err := loadExisting(ctx, silverSnap, filter, opts.Workers, ids)
	if err != nil {
		return nil, err
	}
	tr.mark("scan %d existing silver files: %d rows may match", len(existing.files), len(existing.m))

	// Pass 2: validate every new bronze row (in parallel); quarantine the
	// invalid ones, write the valid ones of ids seen once, and hold the
	// repeats in buckets.
	nb := int((rep.rows + opts.BucketRows - 1) / opts.BucketRows)
	bk, err := newBuckets(nb, rep.rows > opts.MemoryRows, opts.TempDir, opts.MemoryBytes)
	if err != nil {
		return nil, err
	}
	defer bk.close()
	var qw *quarantineWriter
	if lastQ < target {
		if qw, err = newQuarantineWriter(ctx, quarSnap); err != nil {
			return nil, err
		}
	}
	var em *emitter
	if needSilver {
		em = newEmitter(ctx, silverSnap, ids, opts.Workers)
	}
	if err := parseUnits(ctx, bronze, bx, units, lastS, lastQ, qw, bk, rep, existing, em, res, opts); err != nil {
		if qw != nil {
			qw.fw.Abort()
		}
		if em != nil {
			em.close() // stops the writers; files they finished stay uncommitted
		}
		return nil, err
	}
	tr.mark("parse %d bronze rows, write the single ones, hold %d in %d buckets (spill %v)", res.RowsRead, rep.rows, bk.n, bk.spill)
	// Commit quarantine before silver: its txn lets a retry skip what it
	// holds. The commit (the file's last fsync, the log entry) runs while
	// the repeats are deduped; silver commits only once it succeeded.
	quarantined := make(chan error, 1)
	if qw != nil {
		go func() {
			v, err := qw.commit(ctx, target)
			res.QuarantineVersion = v
			quarantined <- err
		}()
	} else {
		quarantined <- nil
	}
	if !needSilver {
		if err := <-quarantined; err != nil {
			return nil, err
		}
		return res, nil
	}

	// Dedupe the repeats per bucket against silver, write the winners.
	adds, rewritten, err := dedupeAll(ctx, silverSnap, ids, bk, existing, em, res, opts.Workers)
	if qerr := <-quarantined; err == nil {
		err = qerr // silver's files stay uncommitted
	}
	tr.mark("dedupe and write the repeats; commit quarantine")
	if err != nil {
		return nil, err
	}
	if err := existing.verify(ctx, silverSnap, ids); err != nil {
		return nil, err
	}
	tr.mark("verify; %d files to add, %d to rewrite", len(adds), len(rewritten))
	res.FilesRewritten = len(rewritten)
	tx := silverSnap.NewTransaction("MERGE")
	tx.SetParameter("predicate", "target.event_id = source.event_id")
	tx.SetParameter("bronzeVersions", fmt.Sprintf("(%d, %d]", from, target))
	tx.ReadWholeTable()
	tx.Remove(rewritten...)
	tx.Add(adds...)
	tx.SetTxn(pipeline.AppSilver, target)
	tx.SetMetric("numTargetRowsInserted", res.Inserted)
	tx.SetMetric("numTargetRowsUpdated", res.Updated)
	tx.SetMetric("numSourceRowsSuperseded", res.Superseded)
	tx.SetMetric("numOutputFiles", int64(len(adds)))
	tx.SetMetric("numRemovedFiles", int64(len(rewritten)))
	next, err := tx.Commit(ctx)
	if err != nil {
		return nil, fmt.Errorf("commit silver: %w", err)
	}
	res.SilverVersion = next.Version()
	ids.Remove(ctx, rewritten)
	tr.mark("commit silver")
	return res, nil
}

// bronzeUnits lists the bronze files added in versions (from, to], with
// their position in their version, and the number of rows they hold.
func bronzeUnits(ctx context.Context, bronze *delta.Snapshot, from, to int64) ([]unit, int64, error) {
	var units []unit
	var rows int64
	changes, err := bronze.Table().Changes(ctx, from, to)
	if err != nil {
		if !errors.Is(err, delta.ErrVersionNotFound) {
			return nil, 0, fmt.Errorf("read bronze log: %w", err)
		}
		// The commits were cleaned up: diff the two snapshots instead (the
		// files then all count as the target version, in path order).
		var old map[string]bool
		if from >= 0 {
			prev, err := bronze.Table().SnapshotAt(ctx, from)
			if err != nil {
				return nil, 0, fmt.Errorf("read bronze at version %d: %w", from, err)
			}
			old = map[string]bool{}
			for _, a := range prev.Files() {
				old[a.Path] = true
			}
		}
		changes = []delta.VersionChanges{{Version: to}}
		for _, a := range bronze.Files() {
			if !old[a.Path] {
				changes[0].Actions = append(changes[0].Actions, delta.Action{Add: a})
			}
		}
	}
	for _, c := range changes {
		var pos int64
		for _, a := range c.Actions {
			if a.Add == nil || !a.Add.DataChange {
				continue
			}
			n, ok := a.Add.NumRecords()
			if !ok {
				return nil, 0, fmt.Errorf("bronze file %s has no row count in its stats", a.Add.Path)
			}
			units = append(units, unit{version: c.Version, basePos: pos, add: a.Add})
			pos += n
			rows += n
		}
	}
	return units, rows, nil
}

var bronzeCols = []string{"raw_json", "ingest_ts", "ingest_batch_id"}

// parseUnits validates every row of the units on opts.Workers goroutines:
// invalid rows go to quarantine (versions after lastQ), valid rows of
// versions after lastS to the emitter when their id is seen once, to the
// buckets when it may repeat.
func parseUnits(ctx context.Context, bronze *delta.Snapshot, bx *idindex.Index, units []unit, lastS, lastQ int64, qw *quarantineWriter,
	bk *buckets, rep *repeats, existing *existingRows, em *emitter, res *Result, opts Options) error {
	sc, err := bronze.Scan(delta.ScanOptions{Columns: bronzeCols, BatchRows: 4096, AliasPages: true})
	if err != nil {
		return err
	}
	var mu sync.Mutex // guards res and existing's drops
	next := make(chan unit)
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		defer close(next)
		for _, u := range units {
			select {
			case next <- u:
			case <-ctx.Done():
				return nil
			}
		}
		return nil
	})
	for range opts.Workers {
		eg.Go(func() error {
			p := event.NewParser(event.ParserOptions{MaxRecordBytes: opts.MaxRecordBytes})
			var ev event.Event
			local := Result{ByReason: map[string]int64{}}
			bufs := make([][]byte, bk.n)
			var bt *batcher
			if em != nil {
				bt = em.newBatcher()
			}
			var reason []byte
			flush := func(force bool) error {
				for i := range bufs {
					if len(bufs[i]) > 0 && (force || len(bufs[i]) > 1<<20) {
						retained, err := bk.add(i, bufs[i])
						if err != nil {
							return err
						}
						if retained {
							bufs[i] = make([]byte, 0, 1<<20+1<<12)
						} else {
							bufs[i] = bufs[i][:0]
						}
					}
				}
				return nil
			}
			var ibuf []byte
			var mayRepeat []bool
			for u := range next {
				pos := u.basePos
				// Bronze's index, when the first pass used it, read again
				// rather than kept from the first pass (16 bytes a row of
				// the whole run).
				var entries []byte
				if u.indexed && u.version > lastS {
					var err error
					if entries, err = bx.Load(ctx, u.add, &ibuf); err != nil {
						return fmt.Errorf("bronze file %s: read its event_id index again: %w", u.add.Path, err)
					}
				}
				err := sc.ReadFile(ctx, u.add, func(b *column.Batch) error {
					raw, ts, bid := b.Cols[0], b.Cols[1], b.Cols[2]
					// With bronze's index the keys are known before the
					// rows are parsed: probe the repeats' filter for the
					// whole batch, so that the probes' cache misses overlap.
					if entries != nil {
						row0 := int(pos - u.basePos)
						mayRepeat = rep.probe(entries[row0*idindex.BronzeWidth:(row0+b.Len())*idindex.BronzeWidth], mayRepeat[:0])
					}
					for r := 0; r < b.Len(); r++ {
						ordinal := u.version<<posBits | pos
						pos++
						local.RowsRead++
						var line []byte
						if !raw.IsNull(r) {
							line = raw.Bytes(r)
						}
						var ingestTS int64
						if !ts.IsNull(r) {
							ingestTS = ts.Ints[r]
						}
						var batchID []byte
						if !bid.IsNull(r) {
							batchID = bid.Bytes(r)
						}
						reasons := p.Parse(line, &ev)
						if !reasons.Valid() {
							if u.version > lastQ {
								reason = reasons.AppendString(reason[:0])
								local.ByReason[string(reason)]++
								if err := qw.add(line, reason, ingestTS, batchID, ts.IsNull(r), bid.IsNull(r)); err != nil {
									return err
								}
							}
							continue
						}
						local.Valid++
						if u.version <= lastS {
							continue
						}
						k := hashID(ev.EventID)
						// A row of an id seen once goes straight to silver.
						// The first pass counted it under the key of
						// bronze's index, or of QuickID (else the parser):
						// make sure that is the parser's key, or a repeat
						// could slip past the buckets.
						row := pos - 1 - u.basePos
						var repeated bool
						if entries != nil {
							if key(entries[row*idindex.BronzeWidth:(row+1)*idindex.BronzeWidth]) == k {
								repeated = mayRepeat[r] && rep.counted(k)
							} else if repeated = rep.has(k); !repeated {
								return fmt.Errorf("bronze file %s, row %d: its event_id index (%s) does not hold the key of event_id %q; delete that index to have it ignored",
									u.add.Path, row, bx.Name(u.add.Path), ev.EventID)
							}
						} else if repeated = rep.has(k); !repeated && !idindex.FirstKeyID(line, ev.EventID) {
							if id, ok := idindex.QuickID(line); ok && !bytes.Equal(id, ev.EventID) {
								return fmt.Errorf("internal error: row %d: the id scan read event_id %q, the parser %q", row, id, ev.EventID)
							}
						}
						if !repeated {
							if admit(k, ev.EventID, ingestTS, existing, &local, &mu) {
								if err := bt.emitEvent(&ev, k, ingestTS, batchID); err != nil {
									return err
								}
							}
							continue
						}
						i := 0
						if bk.n > 1 {
							i = bk.bucketOf(k)
						}
						bufs[i] = appendRecord(bufs[i], k, &ev, ingestTS, ordinal, batchID)
						if len(bufs[i]) > 1<<20 {
							if err := flush(false); err != nil {
								return err
							}
						}
					}
					return nil
				})
				if err != nil {
					return fmt.Errorf("bronze file %s: %w", u.add.Path, err)
				}
			}
			if err := flush(true); err != nil {
				return err
			}
			if bt != nil {
				if err := bt.flush(); err != nil {
					return err
				}
			}
			mu.Lock()
			res.RowsRead += local.RowsRead
			res.Valid += local.Valid
			res.Inserted += local.Inserted
			res.Updated += local.Updated
			res.Superseded += local.Superseded
			for k, v := range local.ByReason {
				res.ByReason[k] += v
			}
			mu.Unlock()
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return err
	}
	// Count only rows of versions quarantine had not seen.
	res.Quarantined = 0
	if qw != nil {
		res.Quarantined = qw.rows
	}
	return nil
}

// silverWriters are the two file writers of one set of silver rows: purchases
// go to files of their own, so that the files' event_name statistics let
// gold read the purchase rows of a day without decoding the rest.
type silverWriters struct {
	other, purchases *delta.FileWriter
	// The entries of each writer's event_id index (idindex.go): they take
	// the keys of the batch being written when the caller has them.
	otherIdx, purchasesIdx *silverEntries
}

// Each writes the event_id index of its files (idindex.go).
func newSilverWriters(ctx context.Context, s *delta.Snapshot, x *idindex.Index) (*silverWriters, error) {
	w := &silverWriters{otherIdx: &silverEntries{}, purchasesIdx: &silverEntries{}}
	opts := SilverWriteOptions()
	opts.Observer = x.Writer(ctx, w.otherIdx.entry)
	o, err := s.NewFileWriter(ctx, opts)
	if err != nil {
		return nil, err
	}
	opts.Observer = x.Writer(ctx, w.purchasesIdx.entry)
	p, err := s.NewFileWriter(ctx, opts)
	if err != nil {
		o.Abort()
		return nil, err
	}
	w.other, w.purchases = o, p
	return w, nil
}

func (w *silverWriters) abort() {
	w.other.Abort()
	w.purchases.Abort()
}

func (w *silverWriters) close() ([]*delta.Add, error) {
	a, err := w.other.Close()
	if err != nil {
		w.purchases.Abort()
		return nil, err
	}
	b, err := w.purchases.Close()
	if err != nil {
		return nil, err
	}
	return append(a, b...), nil
}

// write sends a batch whose rows are all purchases (purchase) or none;
// keys are its rows' keys, or nil (the index then hashes the event_ids).
func (w *silverWriters) write(b *column.Batch, keys []key, purchase bool) error {
	fw, idx := w.other, w.otherIdx
	if purchase {
		fw, idx = w.purchases, w.purchasesIdx
	}
	idx.keys = keys
	err := fw.Write(b)
	idx.keys = nil
	return err
}

// emitter writes the winning rows. The dedupe goroutines group rows by
// event_date in batchers of their own and hand full batches to writer
// goroutines, each owning the files of a share of the dates: encoding and
// compressing Parquet, the costly part, runs in parallel with deduping and
// across dates, and each date has one open file per kind.
type emitter struct {
	shards []*writerShard
	eg     *errgroup.Group
	ctx    context.Context
	free   chan *idindex.KeyedBatch
}

type writerShard struct {
	in      chan emitJob
	writers map[int32]*silverWriters // owned by the shard's goroutine
	adds    []*delta.Add
}

type emitJob struct {
	purchase bool
	date     int32
	b        *idindex.KeyedBatch
}

const emitBatchRows = 8192

func newEmitter(ctx context.Context, snap *delta.Snapshot, x *idindex.Index, shards int) *emitter {
	eg, ectx := errgroup.WithContext(ctx)
	e := &emitter{eg: eg, ctx: ectx, free: make(chan *idindex.KeyedBatch, 4*shards+4)}
	for range max(1, shards) {
		sh := &writerShard{in: make(chan emitJob, 4), writers: map[int32]*silverWriters{}}
		e.shards = append(e.shards, sh)
		eg.Go(func() error {
			defer func() {
				// drain, so that senders never block after a failure
				for range sh.in {
				}
			}()
			for j := range sh.in {
				w := sh.writers[j.date]
				if w == nil {
					var err error
					if w, err = newSilverWriters(ectx, snap, x); err != nil {
						return err
					}
					sh.writers[j.date] = w
				}
				if err := w.write(j.b.Batch, j.b.Keys, j.purchase); err != nil {
					return err
				}
				j.b.Reset()
				select {
				case e.free <- j.b:
				default:
				}
			}
			// Close the files together: each close waits for its fsync.
			var closers errgroup.Group
			var mu sync.Mutex
			for _, w := range sh.writers {
				closers.Go(func() error {
					a, err := w.close()
					mu.Lock()
					sh.adds = append(sh.adds, a...)
					mu.Unlock()
					return err
				})
			}
			return closers.Wait()
		})
	}
	return e
}

func (e *emitter) batch() *idindex.KeyedBatch {
	select {
	case b := <-e.free:
		return b
	default:
		return idindex.NewKeyedBatch(pipeline.SilverSchema, emitBatchRows)
	}
}

// send hands a full batch of one date and kind to its writer.
func (e *emitter) send(date int32, purchase bool, b *idindex.KeyedBatch) error {
	sh := e.shards[int(uint32(date))%len(e.shards)]
	select {
	case sh.in <- emitJob{purchase: purchase, date: date, b: b}:
		return nil
	case <-e.ctx.Done():
		return e.ctx.Err()
	}
}

// close waits for the writers and returns every file written.
func (e *emitter) close() ([]*delta.Add, error) {
	for _, sh := range e.shards {
		close(sh.in)
	}
	if err := e.eg.Wait(); err != nil {
		e.abort()
		return nil, err
	}
	var adds []*delta.Add
	for _, sh := range e.shards {
		adds = append(adds, sh.adds...)
	}
	return adds, nil
}

func (e *emitter) abort() {
	for _, sh := range e.shards {
		for _, w := range sh.writers {
			w.abort()
		}
	}
}

// batcher is one dedupe goroutine's pending rows, by date and kind.
type batcher struct {
	em     *emitter
	byDate map[int32]*[2]*idindex.KeyedBatch
	// The last date's batches: rows come in event time order, so most
	// rows skip the map.
	lastDate int32
	last     *[2]*idindex.KeyedBatch
	dicts    *dicts // the coded columns' dictionaries (record.go)
}

func (e *emitter) newBatcher() *batcher {
	return &batcher{em: e, byDate: map[int32]*[2]*idindex.KeyedBatch{}, dicts: newDicts()}
}

func (bt *batcher) emit(r rec) error {
	d, k := r.eventDate(), kindOf(r.isPurchase())
	bs := bt.batches(d)
	r.appendTo(bs[k].Batch, bt.dicts)
	bs[k].Keys = append(bs[k].Keys, r.key())
	return bt.sendFull(d, bs, k)
}

// emitEvent writes a valid event (key k) straight from the parser.
func (bt *batcher) emitEvent(ev *event.Event, k key, ingestTS int64, batchID []byte) error {
	d, kind := ev.EventDate, kindOf(ev.Name == event.Purchase)
	bs := bt.batches(d)
	appendEvent(bs[kind].Batch, ev, ingestTS, batchID, bt.dicts)
	bs[kind].Keys = append(bs[kind].Keys, k)
	return bt.sendFull(d, bs, kind)
}

// kindOf is the index of a row's batch: 1 for purchases (kept in files of
// their own), 0 for the rest.
func kindOf(purchase bool) int {
	if purchase {
		return 1
	}
	return 0
}

// batches returns the pending batches of a date.
func (bt *batcher) batches(d int32) *[2]*idindex.KeyedBatch {
	if bt.last != nil && bt.lastDate == d {
		return bt.last
	}
	bs := bt.byDate[d]
	if bs == nil {
		bs = &[2]*idindex.KeyedBatch{bt.em.batch(), bt.em.batch()}
		bt.byDate[d] = bs
	}
	bt.lastDate, bt.last = d, bs
	return bs
}

// sendFull sends batch k of a date on once it is full.
func (bt *batcher) sendFull(d int32, bs *[2]*idindex.KeyedBatch, k int) error {
	if bs[k].Len() < emitBatchRows {
		return nil
	}
	if err := bt.em.send(d, k == 1, bs[k]); err != nil {
		return err
	}
	bs[k] = bt.em.batch()
	return nil
}

// flush sends what is pending.
func (bt *batcher) flush() error {
	for d, bs := range bt.byDate {
		for k, b := range bs {
			if b.Len() > 0 {
				if err := bt.em.send(d, k == 1, b); err != nil {
					return err
				}
			}
		}
	}
	bt.byDate = map[int32]*[2]*idindex.KeyedBatch{}
	bt.last = nil
	return nil
}

// dedupeAll deduplicates the buckets on workers goroutines, each with its
// own writers, then rewrites the silver files that lost rows. It returns
// the files to add and to remove.
func dedupeAll(ctx context.Context, snap *delta.Snapshot, x *idindex.Index, bk *buckets, existing *existingRows, em *emitter, res *Result, workers int) ([]*delta.Add, []*delta.Add, error) {
	workers = max(1, min(workers, bk.n))
	next := make(chan int, bk.n)
	for i := 0; i < bk.n; i++ {
		next <- i
	}
	close(next)
	var mu sync.Mutex // guards res and existing's drops
	eg, ectx := errgroup.WithContext(ctx)
	for range workers {
		eg.Go(func() error {
			var local Result
			bt := em.newBatcher()
			var best keyTable
			for i := range next {
				chunks, err := bk.load(i)
				if err == nil {
					err = dedupeBucket(chunks, &best, existing, bt, &local, &mu)
				}
				if err == nil {
					err = ectx.Err()
				}
				if err != nil {
					return err
				}
				bk.release(i)
			}
			if err := bt.flush(); err != nil {
				return err
			}
			mu.Lock()
			res.Inserted += local.Inserted
			res.Updated += local.Updated
			res.Superseded += local.Superseded
			mu.Unlock()
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		em.close() // stops the writers; files they finished stay uncommitted
		return nil, nil, err
	}
	adds, err := em.close()
	if err != nil {
		return nil, nil, err
	}
	// Rewrite the files that held replaced rows, without those rows.
	sw, err := newSilverWriters(ctx, snap, x)
	if err != nil {
		return nil, nil, err
	}
	rewritten, err := existing.rewrite(ctx, snap, sw)
	if err != nil {
		sw.abort()
		return nil, nil, err
	}
	a, err := sw.close()
	if err != nil {
		return nil, nil, err
	}
	return append(adds, a...), rewritten, nil
}

// loc is a record's place: chunk index << 32 | offset.
type loc int64

func recAt(chunks [][]byte, l loc) rec {
	c := chunks[l>>32]
	off := int(l & 0xffffffff)
	return rec(c[off : off+recLen(c[off:])])
}

// keyTable maps event_id keys to the location of their best record: open
// addressing with linear probing on the key's first 8 bytes (already a
// uniform hash), which costs a fraction of a Go map on this hot path. A
// slot holds only those 8 bytes and the location, 16 bytes, so four share a
// cache line; two keys with the same first 8 bytes are told apart by the
// full keys in their records, read only then.
type keyTable struct {
	slots []slot
	mask  uint64
}

type slot struct {
	h    uint64
	next loc // the record's location + 1; 0 marks an empty slot
}

func (s *slot) at() loc     { return s.next - 1 }
func (s *slot) set(l loc)   { s.next = l + 1 }
func (s *slot) empty() bool { return s.next == 0 }

// reset empties the table and sizes it for n keys at most half full,
// reusing its memory when it is big enough.
func (t *keyTable) reset(n int) {
	size := 1024
	for size < 2*n {
		size <<= 1
	}
	if cap(t.slots) >= size {
		t.slots = t.slots[:size]
		clear(t.slots)
	} else {
		t.slots = make([]slot, size)
	}
	t.mask = uint64(size - 1)
}

// upsert returns the slot of k, and whether k was already there; chunks
// holds the records the slots point to.
func (t *keyTable) upsert(k key, chunks [][]byte) (*slot, bool) {
	h := binary.LittleEndian.Uint64(k[:8])
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.empty() {
			s.h = h
			return s, false
		}
		if s.h == h && recAt(chunks, s.at()).key() == k {
			return s, true
		}
	}
}

// dedupeBucket keeps the best copy of each event_id among the records and
// against the existing silver rows, and emits the winners. best is the
// caller's scratch table.
func dedupeBucket(chunks [][]byte, best *keyTable, existing *existingRows, em *batcher, res *Result, mu *sync.Mutex) error {
	// One pass finds the losing copies (a small share: duplicates are
	// rare), a second emits the rest in arrival order, reading the records
	// sequentially without probing the table again.
	losers := findLosers(chunks, best)
	res.Superseded += int64(len(losers))
	for ci, c := range chunks {
		for off := 0; off < len(c); {
			l := loc(int64(ci)<<32 | int64(off))
			r := rec(c[off : off+recLen(c[off:])])
			off += len(r)
			if len(losers) > 0 && losers[0] == l {
				losers = losers[1:]
				continue
			}
			if err := emitWinner(r, r.key(), existing, em, res, mu); err != nil {
				return err
			}
		}
	}
	return nil
}

// findLosers returns, sorted, the locations of the records that lose to
// another copy of their event_id in chunks (every copy but the best).
func findLosers(chunks [][]byte, best *keyTable) []loc {
	n := 0
	for _, c := range chunks {
		n += len(c)/250 + 1
	}
	best.reset(n)
	var losers []loc
	for ci, c := range chunks {
		for off := 0; off < len(c); {
			l := loc(int64(ci)<<32 | int64(off))
			r := rec(c[off : off+recLen(c[off:])])
			s, found := best.upsert(r.key(), chunks)
			switch {
			case !found:
				s.set(l)
			case r.beats(recAt(chunks, s.at())):
				losers = append(losers, s.at())
				s.set(l)
			default:
				losers = append(losers, l)
			}
			off += len(r)
		}
	}
	slices.Sort(losers)
	return losers
}

// emitWinner checks a run's winning copy against the row silver holds, if
// any, and emits it when it is the newer.
func emitWinner(r rec, k key, existing *existingRows, em *batcher, res *Result, mu *sync.Mutex) error {
	if !admit(k, r.eventID(), r.ingestTS(), existing, res, mu) {
		return nil
	}
	return em.emit(r)
}

// admit checks a run's winning copy of an event_id against the row silver
// holds, if any: it reports whether the copy is to be written (it is newer,
// or new), and counts it.
func admit(k key, id []byte, ingestTS int64, existing *existingRows, res *Result, mu *sync.Mutex) bool {
	if old, ok := existing.lookup(k, id); ok {
		res.Superseded++
		mu.Lock()
		existing.matched(old, id)
		keep := old.ingestTS > ingestTS // the row already in silver is newer
		if !keep {
			existing.drop(old)
		}
		mu.Unlock()
		if keep {
			return false
		}
		res.Updated++
		return true
	}
	res.Inserted++
	return true
}
