package bronze

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/google/uuid"

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
	meta := newLineMeta(ingestTS, pipeline.SourceGenerate, res.BatchID) // emit runs on one goroutine
	err = gen.GenerateChunks(ctx, g, workers, func(_ int, data []byte, m gen.Manifest) error {
		res.Manifest.Merge(m)
		res.Bytes += int64(len(data))
		for len(data) > 0 {
			b, err := pw.batch()
			if err != nil {
				return err
			}
			for !full(b) && len(data) > 0 {
				i := bytes.IndexByte(data, '\n')
				var line []byte
				if i < 0 {
					line, data = data, nil
				} else {
					line, data = data[:i], data[i+1:]
				}
				appendLine(b, line)
				res.Rows++
			}
			meta.fill(b)
			if err := pw.send(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		pw.fail()
		return nil, fmt.Errorf("generate: %w", err)
	}
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
