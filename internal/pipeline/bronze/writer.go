package bronze

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/parquetio"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/idindex"
)

// BatchRows and BatchBytes bound a batch of lines handed to a writer: big
// records make smaller batches, so memory follows bytes, not lines.
const (
	BatchRows  = 16384
	BatchBytes = 4 << 20
)

// full reports whether a bronze batch should be sent.
func full(b *column.Batch) bool {
	return b.Len() >= BatchRows || len(b.Cols[0].Data) >= BatchBytes
}

// writeOptions are the bronze file settings: big files, dictionary encoding
// for the per-batch constant columns, and snappy, chosen by measurement:
// compressing raw_json is most of bronze's cost, and s2's snappy encoder
// writes NDJSON 2.5× faster than zstd's fastest level and reads it back
// faster, for 1.8× the bytes (BenchmarkBronzeCodecs, docs/performance.md).
// Snappy is Spark's default Parquet codec: every reader has it.
//
// Beside each file goes its event_id index (internal/pipeline/idindex), for
// bronze_to_silver's first pass: the key of each line, which the write
// computes while the line is in the cache.
//
// entry gives each row's index entry: idindex.LineEntries reads it from the
// line; generate_bronze's producers know it already (idindex.KeyedBatch).
func writeOptions(ctx context.Context, x *idindex.Index, entry idindex.EntryFunc) delta.WriteOptions {
	return delta.WriteOptions{
		Observer:       x.Writer(ctx, entry),
		TargetFileRows: 1 << 20,
		Parquet: parquetio.WriterOptions{
			RowGroupRows:  1 << 17,
			RowGroupBytes: 16 << 20,
			// s2 encodes 256 KiB pages of NDJSON 17% faster than 1 MiB
			// ones (their hash table stays in the cache), for 1.8% more
			// bytes; decoding is as fast.
			PageBufferSize: 256 << 10,
			Codec:          "snappy",
			Dictionary:     []string{"source", "ingest_batch_id"},
		},
	}
}

// parallelWriter writes keyed bronze batches on several goroutines, each
// with its own data files, and collects the add actions.
type parallelWriter struct {
	in   chan *idindex.KeyedBatch
	free chan *idindex.KeyedBatch
	eg   *errgroup.Group
	ctx  context.Context
	mu   sync.Mutex
	adds []*delta.Add
	once sync.Once
}

func (w *parallelWriter) closeInput() { w.once.Do(func() { close(w.in) }) }

func newParallelWriter(ctx context.Context, snap *delta.Snapshot, x *idindex.Index, workers int) *parallelWriter {
	workers = max(1, workers)
	eg, ctx := errgroup.WithContext(ctx)
	w := &parallelWriter{in: make(chan *idindex.KeyedBatch, workers), free: make(chan *idindex.KeyedBatch, 2*workers+1), eg: eg, ctx: ctx}
	for range cap(w.free) {
		w.free <- idindex.NewKeyedBatch(pipeline.BronzeSchema, BatchRows)
	}
	for range workers {
		eg.Go(func() error {
			// The file writer reports a batch's rows to the index while
			// it writes them: cur is that batch.
			var cur *idindex.KeyedBatch
			entry := func(b *column.Batch, r int, dst []byte) { copy(dst, cur.Keys[r][:]) }
			fw, err := snap.NewFileWriter(ctx, writeOptions(ctx, x, entry))
			if err != nil {
				return err
			}
			for b := range w.in {
				if len(b.Keys) != b.Len() {
					fw.Abort()
					return fmt.Errorf("bronze batch of %d rows with %d index keys", b.Len(), len(b.Keys))
				}
				cur = b
				if err := fw.Write(b.Batch); err != nil {
					return err
				}
				b.Reset()
				w.free <- b
			}
			if err := ctx.Err(); err != nil {
				fw.Abort()
				return err
			}
			adds, err := fw.Close()
			if err != nil {
				return err
			}
			w.mu.Lock()
			w.adds = append(w.adds, adds...)
			w.mu.Unlock()
			return nil
		})
	}
	return w
}

// batch returns an empty batch to fill (blocking while all are in flight).
func (w *parallelWriter) batch() (*idindex.KeyedBatch, error) {
	select {
	case b := <-w.free:
		return b, nil
	case <-w.ctx.Done():
		return nil, w.fail()
	}
}

// send hands a filled batch, with a key a row, to the writers.
func (w *parallelWriter) send(b *idindex.KeyedBatch) error {
	if b.Len() == 0 {
		w.free <- b
		return nil
	}
	select {
	case w.in <- b:
		return nil
	case <-w.ctx.Done():
		return w.fail()
	}
}

func (w *parallelWriter) fail() error {
	w.closeInput()
	if err := w.eg.Wait(); err != nil {
		return err
	}
	return w.ctx.Err()
}

// close waits for the writers and returns every file written.
func (w *parallelWriter) close() ([]*delta.Add, error) {
	w.closeInput()
	if err := w.eg.Wait(); err != nil {
		return nil, fmt.Errorf("write bronze files: %w", err)
	}
	return w.adds, nil
}

// appendLine adds one raw line to a bronze batch; lineMeta.fill then
// completes its row.
func appendLine(b *column.Batch, line []byte) { b.Cols[0].AppendBytes(line) }

// lineMeta is the ingest metadata of the lines one goroutine frames: the
// same for every line of a batch.
type lineMeta struct {
	ingestTS        int64
	source, batchID []byte
	dicts           [2]*column.Dict // source's, ingest_batch_id's
}

func newLineMeta(ingestTS int64, source, batchID string) *lineMeta {
	return &lineMeta{ingestTS: ingestTS, source: []byte(source), batchID: []byte(batchID),
		dicts: [2]*column.Dict{column.NewDict(), column.NewDict()}}
}

// fill gives the lines appended to b since the last fill their metadata:
// source and ingest_batch_id as dictionary vectors (no copy a row; the
// writer dictionary-encodes both).
func (m *lineMeta) fill(b *column.Batch) {
	n := b.Cols[0].Len - b.Cols[1].Len
	ts := b.Cols[1]
	for range n {
		ts.AppendInt(m.ingestTS)
	}
	b.Cols[2].AppendCodedN(m.source, m.dicts[0], n)
	b.Cols[3].AppendCodedN(m.batchID, m.dicts[1], n)
}
