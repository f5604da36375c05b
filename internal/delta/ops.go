package delta

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// BatchSource yields batches to write; it returns io.EOF-free: a nil batch
// with a nil error ends the stream.
type BatchSource func() (*column.Batch, error)

// Batches returns a BatchSource over a fixed list.
func Batches(bs ...*column.Batch) BatchSource {
	return func() (*column.Batch, error) {
		if len(bs) == 0 {
			return nil, nil
		}
		b := bs[0]
		bs = bs[1:]
		return b, nil
	}
}

// WriteAll writes every batch of src with a new FileWriter and returns the
// add actions.
func (s *Snapshot) WriteAll(ctx context.Context, src BatchSource, opts WriteOptions) ([]*Add, error) {
	w, err := s.NewFileWriter(ctx, opts)
	if err != nil {
		return nil, err
	}
	for {
		b, err := src()
		if err != nil {
			w.Abort()
			return nil, err
		}
		if b == nil {
			break
		}
		if err := w.Write(b); err != nil {
			return nil, err
		}
	}
	return w.Close()
}

// CommitOptions are common to the write operations.
type CommitOptions struct {
	// AppID and AppVersion, when AppID is set, record a txn action so the
	// write happens at most once per (AppID, AppVersion): if the table
	// already records AppVersion or later for AppID, nothing is written and
	// Skipped is reported.
	AppID      string
	AppVersion int64
	Write      WriteOptions
	// Parameters are extra operationParameters for commitInfo.
	Parameters map[string]string
}

// Result describes a committed (or skipped) write.
type Result struct {
	Snapshot     *Snapshot // the table after the write
	Version      int64
	Skipped      bool // the app transaction was already recorded
	FilesAdded   int
	FilesRemoved int
	RowsWritten  int64
	BytesWritten int64
}

func (r *Result) fill(tx *Transaction, s *Snapshot) {
	r.Snapshot, r.Version = s, s.version
	r.FilesAdded, r.FilesRemoved = len(tx.adds), len(tx.removes)
	r.RowsWritten, r.BytesWritten = addTotals(tx.adds)
}

// addTotals sums the row counts (from stats) and sizes of files.
func addTotals(adds []*Add) (rows, bytes int64) {
	for _, a := range adds {
		n, _ := a.NumRecords()
		rows += n
		bytes += a.Size
	}
	return rows, bytes
}

func alreadyDone(s *Snapshot, o CommitOptions) bool {
	if o.AppID == "" {
		return false
	}
	v, ok := s.TxnVersion(o.AppID)
	return ok && v >= o.AppVersion
}

func (tx *Transaction) setCommon(o CommitOptions) {
	if o.AppID != "" {
		tx.SetTxn(o.AppID, o.AppVersion)
	}
	for k, v := range o.Parameters {
		tx.SetParameter(k, v)
	}
}

// commitAdds adds the files, records the file metrics and commits.
func commitAdds(ctx context.Context, tx *Transaction, adds []*Add) (*Result, error) {
	tx.Add(adds...)
	fileMetrics(tx)
	next, err := tx.Commit(ctx)
	if err != nil {
		return nil, err
	}
	r := &Result{}
	r.fill(tx, next)
	return r, nil
}

func fileMetrics(tx *Transaction) {
	rows, bytes := addTotals(tx.adds)
	tx.SetMetric("numFiles", int64(len(tx.adds)))
	tx.SetMetric("numOutputRows", rows)
	tx.SetMetric("numOutputBytes", bytes)
	if len(tx.removes) > 0 {
		tx.SetMetric("numRemovedFiles", int64(len(tx.removes)))
	}
}

// Append writes the batches of src as new files in one commit (a blind
// append, which concurrent writers never conflict with).
func (s *Snapshot) Append(ctx context.Context, src BatchSource, o CommitOptions) (*Result, error) {
	if alreadyDone(s, o) {
		return &Result{Snapshot: s, Version: s.version, Skipped: true}, nil
	}
	adds, err := s.WriteAll(ctx, src, o.Write)
	if err != nil {
		return nil, err
	}
	tx := s.NewTransaction("WRITE")
	tx.SetParameter("mode", "Append")
	tx.SetParameterJSON("partitionBy", mustJSON(s.metadata.PartitionColumns))
	tx.setCommon(o)
	return commitAdds(ctx, tx, adds)
}

// ReplaceWhere atomically replaces the rows matching pred — which may only
// reference partition columns — by the batches of src (Spark's
// replaceWhere). Every written row must match pred. A concurrent commit
// that adds or removes files in the replaced partitions makes it fail with a
// *ConflictError.
func (s *Snapshot) ReplaceWhere(ctx context.Context, pred Predicate, src BatchSource, o CommitOptions) (*Result, error) {
	if alreadyDone(s, o) {
		return &Result{Snapshot: s, Version: s.version, Skipped: true}, nil
	}
	b, err := pred.bind(s.schema)
	if err != nil {
		return nil, err
	}
	for _, i := range b.columns(nil) {
		if !slices.Contains(s.metadata.PartitionColumns, s.schema.Fields[i].Name) {
			return nil, fmt.Errorf("replaceWhere: %q is not a partition column; only partition predicates are supported", s.schema.Fields[i].Name)
		}
	}
	checked := func() (*column.Batch, error) {
		batch, err := src()
		if err != nil || batch == nil {
			return batch, err
		}
		// table column index → batch column index (-1: not in the batch)
		pos := make([]int, len(s.schema.Fields))
		for i := range pos {
			pos[i] = -1
		}
		for _, i := range b.columns(nil) {
			pos[i] = batch.Schema.Index(s.schema.Fields[i].Name)
		}
		var r int
		get := func(i int) any {
			if j := pos[i]; j >= 0 {
				return batch.Cols[j].Value(r)
			}
			return nil
		}
		for r = 0; r < batch.Len(); r++ {
			if ok, known := b.eval(get); !ok || !known {
				return nil, fmt.Errorf("replaceWhere: written data does not match %s (row %d)", pred, r)
			}
		}
		return batch, nil
	}
	adds, err := s.WriteAll(ctx, checked, o.Write)
	if err != nil {
		return nil, err
	}
	tx := s.NewTransaction("WRITE")
	tx.SetParameter("mode", "Overwrite")
	tx.SetParameter("predicate", pred.String())
	tx.setCommon(o)
	if err := tx.ReadPredicate(pred); err != nil {
		return nil, err
	}
	for _, a := range s.Files() {
		if b.mayMatch(s.fileRanges(a)) {
			tx.Remove(a)
		}
	}
	return commitAdds(ctx, tx, adds)
}

// MergeOptions configure Merge.
type MergeOptions struct {
	CommitOptions
	// Keys are the columns that identify a row.
	Keys []string
	// Scope, when set, limits the target rows considered to those matching
	// it (Databricks users add a partition predicate to a MERGE for the same
	// reason); source rows outside Scope are an error.
	Scope Predicate
	// KeepTarget, when set, decides for a matched key whether the existing
	// row stays (true) or is replaced by the source row (false, the default
	// "WHEN MATCHED THEN UPDATE SET *").
	KeepTarget func(target *column.Batch, ti int, source *column.Batch, si int) bool
}

// MergeResult adds MERGE's row counts to Result.
type MergeResult struct {
	Result
	RowsInserted, RowsUpdated, RowsCopied int64
}

// Merge upserts the rows of source by key with copy-on-write: files that
// hold a matched key are rewritten without it, then source rows are added.
// Keys must be unique in source. Concurrent commits that add files to the
// merged scope or remove a rewritten file make it fail with a *ConflictError.
func (s *Snapshot) Merge(ctx context.Context, source *column.Batch, o MergeOptions) (*MergeResult, error) {
	if alreadyDone(s, o.CommitOptions) {
		return &MergeResult{Result: Result{Snapshot: s, Version: s.version, Skipped: true}}, nil
	}
	if len(o.Keys) == 0 {
		return nil, errors.New("merge: no key columns")
	}
	if err := CheckSchema(s.schema, source.Schema); err != nil {
		return nil, err
	}
	keyIdx := make([]int, len(o.Keys))
	for i, k := range o.Keys {
		keyIdx[i] = s.schema.Index(k)
		if keyIdx[i] < 0 {
			return nil, fmt.Errorf("merge: key column %q is not in the table", k)
		}
	}
	keyOf := func(b *column.Batch, r int) string {
		var sb strings.Builder
		for _, i := range keyIdx {
			sb.Write(column.AppendJSON(nil, b.Schema.Fields[i].Type, b.Cols[i].Value(r)))
			sb.WriteByte(0)
		}
		return sb.String()
	}
	src := map[string]int{}
	for r := 0; r < source.Len(); r++ {
		k := keyOf(source, r)
		if _, dup := src[k]; dup {
			return nil, fmt.Errorf("merge: key %s appears more than once in the source", strings.ReplaceAll(k, "\x00", " "))
		}
		src[k] = r
	}
	scope := o.Scope
	if scope == nil {
		scope = True()
	}
	sc, err := s.Scan(ScanOptions{Filter: scope})
	if err != nil {
		return nil, err
	}
	tx := s.NewTransaction("MERGE")
	tx.setCommon(o.CommitOptions)
	tx.SetParameter("predicate", fmt.Sprintf("key(%s)", strings.Join(o.Keys, ", ")))
	if o.Scope == nil {
		tx.ReadWholeTable()
	} else if err := tx.ReadPredicate(scope); err != nil {
		return nil, err
	}
	w, err := s.NewFileWriter(ctx, o.Write)
	if err != nil {
		return nil, err
	}
	res := &MergeResult{}
	dropSource := map[int]bool{}
	for _, a := range sc.Files() {
		tx.MarkRead(a)
		var kept []*column.Batch
		matched := false
		err := sc.ReadFile(ctx, a, func(b *column.Batch) error {
			keep := column.NewBatch(s.schema, b.Len())
			for r := 0; r < b.Len(); r++ {
				si, hit := src[keyOf(b, r)]
				if !hit {
					keep.AppendRow(b, r)
					continue
				}
				matched = true
				if o.KeepTarget != nil && o.KeepTarget(b, r, source, si) {
					keep.AppendRow(b, r)
					dropSource[si] = true
					continue
				}
				res.RowsUpdated++
			}
			kept = append(kept, keep)
			return nil
		})
		if err != nil {
			w.Abort()
			return nil, err
		}
		if !matched {
			continue
		}
		tx.Remove(a)
		for _, k := range kept {
			res.RowsCopied += int64(k.Len())
			if err := w.Write(k); err != nil {
				return nil, err
			}
		}
	}
	res.RowsCopied -= int64(len(dropSource))
	out := column.NewBatch(s.schema, source.Len())
	for r := 0; r < source.Len(); r++ {
		if !dropSource[r] {
			out.AppendRow(source, r)
		}
	}
	if o.Scope != nil {
		if b, err := o.Scope.bind(s.schema); err == nil {
			var r int
			get := func(i int) any { return out.Cols[i].Value(r) }
			for r = 0; r < out.Len(); r++ {
				if ok, known := b.eval(get); !ok || !known {
					w.Abort()
					return nil, fmt.Errorf("merge: source row %d is outside the merge scope %s", r, o.Scope)
				}
			}
		}
	}
	if err := w.Write(out); err != nil {
		return nil, err
	}
	adds, err := w.Close()
	if err != nil {
		return nil, err
	}
	res.RowsInserted = int64(out.Len()) - res.RowsUpdated
	if len(adds) == 0 && len(tx.removes) == 0 && o.AppID == "" {
		res.Snapshot, res.Version = s, s.version
		return res, nil
	}
	tx.Add(adds...)
	fileMetrics(tx)
	tx.SetMetric("numTargetRowsInserted", res.RowsInserted)
	tx.SetMetric("numTargetRowsUpdated", res.RowsUpdated)
	tx.SetMetric("numTargetRowsCopied", res.RowsCopied)
	next, err := tx.Commit(ctx)
	if err != nil {
		return nil, err
	}
	res.fill(tx, next)
	return res, nil
}
