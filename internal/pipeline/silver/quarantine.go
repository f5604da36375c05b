package silver

import (
	"context"
	"fmt"
	"sync"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
)

// quarantineWriter collects rejected lines from every parsing goroutine.
type quarantineWriter struct {
	snap *delta.Snapshot
	mu   sync.Mutex // guards everything below
	fw   *delta.FileWriter
	b    *column.Batch
	rows int64
}

func newQuarantineWriter(ctx context.Context, snap *delta.Snapshot) (*quarantineWriter, error) {
	fw, err := snap.NewFileWriter(ctx, delta.WriteOptions{})
	if err != nil {
		return nil, err
	}
	return &quarantineWriter{snap: snap, fw: fw, b: column.NewBatch(pipeline.QuarantineSchema, 4096)}, nil
}

func (q *quarantineWriter) add(line, reason []byte, ingestTS int64, batchID []byte, tsNull, bidNull bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if line == nil {
		q.b.Cols[0].AppendNull()
	} else {
		q.b.Cols[0].AppendBytes(line)
	}
	q.b.Cols[1].AppendBytes(reason)
	if tsNull {
		q.b.Cols[2].AppendNull()
	} else {
		q.b.Cols[2].AppendInt(ingestTS)
	}
	if bidNull {
		q.b.Cols[3].AppendNull()
	} else {
		q.b.Cols[3].AppendBytes(batchID)
	}
	q.rows++
	if q.b.Len() >= 4096 {
		if err := q.fw.Write(q.b); err != nil {
			return fmt.Errorf("write quarantine: %w", err)
		}
		q.b.Reset()
	}
	return nil
}

// commit appends the quarantined rows with txn{AppSilver, target}.
func (q *quarantineWriter) commit(ctx context.Context, target int64) (int64, error) {
	if q.b.Len() > 0 {
		if err := q.fw.Write(q.b); err != nil {
			return 0, fmt.Errorf("write quarantine: %w", err)
		}
	}
	adds, err := q.fw.Close()
	if err != nil {
		return 0, err
	}
	tx := q.snap.NewTransaction("WRITE")
	tx.SetParameter("mode", "Append")
	tx.Add(adds...)
	tx.SetTxn(pipeline.AppSilver, target)
	tx.SetMetric("numOutputRows", q.rows)
	tx.SetMetric("numFiles", int64(len(adds)))
	next, err := tx.Commit(ctx)
	if err != nil {
		return 0, fmt.Errorf("commit quarantine: %w", err)
	}
	return next.Version(), nil
}
