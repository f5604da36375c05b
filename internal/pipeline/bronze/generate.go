package bronze

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/ecomm-lakehouse/lakehouse/internal/event"
	"github.com/ecomm-lakehouse/lakehouse/internal/gen"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/idindex"
)

// GenerateOptions configure generate_bronze.
type GenerateOptions struct {
	Config  gen.Config
	Workers int // generator and writer goroutines; default GOMAXPROCS
	// RunKey, when set (a job run id), makes the task idempotent: a retry
	// of the same run does not append the rows twice.
	RunKey string
	Now    func() time.Time
}

// GenerateResult reports what generate_bronze appended.
type GenerateResult struct {
	Rows     int64
	Bytes    int64
	BatchID  string
	Version  int64
	Skipped  bool
	Manifest gen.Manifest
}

// Generate appends cfg.Rows generated lines to bronze in one commit.
func Generate(ctx context.Context, wh *pipeline.Warehouse, opts GenerateOptions) (*GenerateResult, error) {
	g, err := gen.New(opts.Config)
	if err != nil {
		return nil, err
	}
	snap, err := wh.Ensure(ctx, pipeline.Bronze)
	if err != nil {
		return nil, err
	}
	appID := ""
	if opts.RunKey != "" {
		appID = "lakehouse.generate_bronze:" + opts.RunKey
		if v, ok := snap.TxnVersion(appID); ok && v >= 1 {
			return &GenerateResult{Skipped: true, Version: snap.Version()}, nil
		}
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	res := &GenerateResult{BatchID: uuid.NewString(), Manifest: gen.NewManifest()}
	ingestTS := now().UnixMicro()
	pw := newParallelWriter(ctx, snap, idindex.Bronze(wh.Root(), snap), workers)
	manifests := make([]gen.Manifest, g.NumChunks())
	var nextChunk, rows, ndjsonBytes atomic.Int64
	var eg errgroup.Group
	for range workers {
		eg.Go(func() error {
			// Each goroutine generates whole chunks straight into bronze
			// batches (no NDJSON buffer to split and copy), a batch
			// running on across chunks.
			meta := newLineMeta(ingestTS, pipeline.SourceGenerate, res.BatchID)
			// A valid line's index key is its known event_id's hash; the
			// others are read as ingest reads them (idindex.LineKey).
			p := event.NewParser(event.ParserOptions{})
			var ev event.Event
			var b *idindex.KeyedBatch
			send := func() error {
				raw := b.Cols[0]
				rows.Add(int64(raw.Len))
				ndjsonBytes.Add(int64(len(raw.Data) + raw.Len)) // as NDJSON: a newline a line
				meta.fill(b.Batch)
				err := pw.send(b)
				b = nil
				return err
			}
			for {
				i := int(nextChunk.Add(1) - 1)
				if i >= len(manifests) {
					break
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				c := g.Chunk(i)
				line := func(dst []byte) []byte {
					start := len(dst)
					dst, id := c.AppendLineID(dst)
					var k idindex.Key
					if id != nil {
						k = idindex.Hash(id)
					} else {
						k, _ = idindex.LineKey(p, &ev, dst[start:])
					}
					b.Keys = append(b.Keys, k)
					return dst
				}
				for !c.Done() {
					if b == nil {
						var err error
						if b, err = pw.batch(); err != nil {
							return err
						}
					}
					for !full(b.Batch) && !c.Done() {
						b.Cols[0].AppendWith(line)
					}
					if full(b.Batch) {
						if err := send(); err != nil {
							return err
						}
					}
				}
				manifests[i] = c.Manifest()
			}
			if b != nil {
				return send()
			}
			return nil
		})
	}
	err = eg.Wait()
	if err != nil {
		pw.fail()
		return nil, fmt.Errorf("generate: %w", err)
	}
	for _, m := range manifests {
		res.Manifest.Merge(m)
	}
	res.Rows, res.Bytes = rows.Load(), ndjsonBytes.Load()
	adds, err := pw.close()
	if err != nil {
		return nil, err
	}
	tx := snap.NewTransaction("WRITE")
	tx.SetParameter("mode", "Append")
	tx.SetParameter("source", pipeline.SourceGenerate)
	tx.SetParameter("ingest_batch_id", res.BatchID)
	tx.SetParameter("seed", fmt.Sprint(opts.Config.Seed))
	if appID != "" {
		tx.SetTxn(appID, 1)
	}
	tx.Add(adds...)
	tx.SetMetric("numFiles", int64(len(adds)))
	tx.SetMetric("numOutputRows", res.Rows)
	next, err := tx.Commit(ctx)
	if err != nil {
		return nil, fmt.Errorf("commit bronze: %w", err)
	}
	res.Version = next.Version()
	return res, nil
}
