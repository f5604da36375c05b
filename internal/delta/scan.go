package delta

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/parquetio"
)

// ScanOptions select what a Scan reads.
type ScanOptions struct {
	// Columns to read, in this order; nil reads every column.
	Columns []string
	// Filter skips files that cannot match (partition values, min/max
	// stats) and, with FilterRows, drops rows that do not match.
	Filter     Predicate
	FilterRows bool
	// BatchRows is the most rows per batch (default 8192).
	BatchRows int
	// AliasPages lets the first string column of each file's batches point
	// into the file's decoded pages (parquetio.ReaderOptions.AliasPages):
	// its values are valid only while the callback runs, which must copy
	// what it keeps and not append to the batch.
	AliasPages bool
}

// Scan reads the rows of a snapshot.
type Scan struct {
	snap   *Snapshot
	schema *column.Schema // output schema
	outIdx []int          // table column index of each output column
	filter bound
	opts   ScanOptions
	files  []*Add
}

// Scan plans a read of the snapshot: it binds the filter and prunes files.
func (s *Snapshot) Scan(opts ScanOptions) (*Scan, error) {
	sc := &Scan{snap: s, opts: opts}
	if opts.BatchRows <= 0 {
		sc.opts.BatchRows = 8192
	}
	cols := opts.Columns
	if cols == nil {
		cols = s.schema.Names()
	}
	sc.schema = &column.Schema{}
	for _, c := range cols {
		i := s.schema.Index(c)
		if i < 0 {
			i = s.schema.IndexFold(c)
		}
		if i < 0 {
			return nil, fmt.Errorf("no column %q in the table (columns: %s)", c, strings.Join(s.schema.Names(), ", "))
		}
		sc.schema.Fields = append(sc.schema.Fields, s.schema.Fields[i])
		sc.outIdx = append(sc.outIdx, i)
	}
	if opts.Filter != nil {
		b, err := opts.Filter.bind(s.schema)
		if err != nil {
			return nil, err
		}
		sc.filter = b
	}
	for _, a := range s.Files() {
		if sc.filter != nil && !sc.filter.mayMatch(s.fileRanges(a)) {
			continue
		}
		sc.files = append(sc.files, a)
	}
	return sc, nil
}

// Files returns the files the scan will read, after pruning.
func (sc *Scan) Files() []*Add { return sc.files }

// Schema returns the schema of the batches the scan produces.
func (sc *Scan) Schema() *column.Schema { return sc.schema }

// Each reads every selected file in order and calls fn with each batch. The
// batch is reused after fn returns.
func (sc *Scan) Each(ctx context.Context, fn func(*column.Batch) error) error {
	for _, a := range sc.files {
		if err := sc.ReadFile(ctx, a, fn); err != nil {
			return err
		}
	}
	return nil
}

// ReadFile reads one data file of the table (which need not have passed the
// filter) with partition columns filled in.
func (sc *Scan) ReadFile(ctx context.Context, a *Add, fn func(*column.Batch) error) error {
	rel := decodePath(a.Path)
	if strings.Contains(rel, "://") || strings.HasPrefix(rel, "/") {
		return fmt.Errorf("data file %s: absolute paths are not supported", a.Path)
	}
	s := sc.snap
	// Columns stored in the file vs. filled from partition values.
	var fileSchema column.Schema
	var fileOut []int // output position of each file column
	consts := map[int]any{}
	for o, i := range sc.outIdx {
		f := s.schema.Fields[i]
		if slices.Contains(s.metadata.PartitionColumns, f.Name) {
			v, err := s.table.partitionValue(f.Type, a.PartitionValues[s.storedName(i)])
			if err != nil {
				return fmt.Errorf("data file %s: %w", a.Path, err)
			}
			consts[o] = v
			continue
		}
		fileSchema.Fields = append(fileSchema.Fields, s.storedField(i))
		fileOut = append(fileOut, o)
	}
	// Row filters may need columns the caller did not ask for.
	filterRows := sc.filter != nil && sc.opts.FilterRows
	if filterRows {
		// A filter on columns that are constant in the file (partition
		// columns, single-valued statistics) has one answer for the whole
		// file: no row-by-row evaluation.
		if vals, ok := sc.constantFilterValues(a); ok {
			match, known := sc.filter.eval(func(i int) any { return vals[i] })
			if known && !match {
				return nil
			}
			filterRows = !known
		}
	}
	var filterIdx []int
	if filterRows {
		for _, i := range sc.filter.columns(nil) {
			if !slices.Contains(sc.outIdx, i) && !slices.Contains(filterIdx, i) {
				filterIdx = append(filterIdx, i)
			}
		}
	}
	extra := map[int]int{}        // table index → file schema position
	filterConsts := map[int]any{} // table index → partition value (nil when unparsable)
	for _, i := range filterIdx {
		f := s.schema.Fields[i]
		if slices.Contains(s.metadata.PartitionColumns, f.Name) {
			filterConsts[i], _ = s.table.partitionValue(f.Type, a.PartitionValues[s.storedName(i)])
			continue
		}
		extra[i] = len(fileSchema.Fields)
		fileSchema.Fields = append(fileSchema.Fields, s.storedField(i))
	}

	var deleted *roaring64.Bitmap
	if a.DeletionVector != nil {
		var err error
		if deleted, err = s.table.readDeletionVector(ctx, a.DeletionVector); err != nil {
			return fmt.Errorf("data file %s: %w", a.Path, err)
		}
	}
	var rowIndex uint64 // position in the file of the next row
	out := &column.Batch{Schema: sc.schema, Cols: make([]*column.Vector, len(sc.schema.Fields))}
	emit := func(fb *column.Batch, n int) error {
		if deleted != nil {
			orig := n
			fb, n = dropDeleted(fb, n, rowIndex, deleted)
			rowIndex += uint64(orig)
			if n == 0 {
				return nil
			}
		}
		for j, o := range fileOut {
			out.Cols[o] = fb.Cols[j]
		}
		for o, v := range consts {
			out.Cols[o] = constVector(sc.schema.Fields[o].Type, v, n)
		}
		if filterRows {
			return sc.filterAndEmit(out, fb, extra, filterConsts, fn)
		}
		return fn(out)
	}

	if len(fileSchema.Fields) == 0 {
		// Only partition columns: the row count comes from stats or the footer.
		n, ok := a.NumRecords()
		if !ok {
			var err error
			if n, err = sc.countRows(ctx, rel); err != nil {
				return err
			}
		}
		for n > 0 {
			m := min(n, int64(sc.opts.BatchRows))
			if err := emit(&column.Batch{}, int(m)); err != nil {
				return err
			}
			n -= m
		}
		return nil
	}
	obj, err := s.table.store.Open(ctx, rel)
	if err != nil {
		if notExist(err) {
			return fmt.Errorf("%w: data file %s is missing", ErrCorrupt, a.Path)
		}
		return fmt.Errorf("open data file %s: %w", a.Path, err)
	}
	defer obj.Close()
	src := &ioErrReader{r: obj}
	pf, err := parquetio.Open(src, obj.Size())
	if err != nil {
		return src.wrap(a.Path, err)
	}
	r, err := pf.NewReader(&fileSchema, parquetio.ReaderOptions{BatchRows: sc.opts.BatchRows, AliasPages: sc.opts.AliasPages})
	if err != nil {
		return fmt.Errorf("data file %s: %w", a.Path, err)
	}
	defer r.Close()
	fb := column.NewBatch(&fileSchema, sc.opts.BatchRows)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := r.Next(fb)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return src.wrap(a.Path, err)
		}
		if err := emit(fb, fb.Len()); err != nil {
			return err
		}
	}
}

// constantFilterValues returns the file's values of the filter's columns
// when each is constant in the file.
func (sc *Scan) constantFilterValues(a *Add) (map[int]any, bool) {
	r := sc.snap.fileRanges(a)
	vals := map[int]any{}
	for _, i := range sc.filter.columns(nil) {
		v, ok := r.fileConstant(i)
		if !ok {
			return nil, false
		}
		vals[i] = v
	}
	return vals, true
}

func (sc *Scan) countRows(ctx context.Context, rel string) (int64, error) {
	obj, err := sc.snap.table.store.Open(ctx, rel)
	if err != nil {
		return 0, fmt.Errorf("open data file %s: %w", rel, err)
	}
	defer obj.Close()
	pf, err := parquetio.Open(obj, obj.Size())
	if err != nil {
		return 0, fmt.Errorf("%w: data file %s: %v", ErrCorrupt, rel, err)
	}
	return pf.NumRows(), nil
}

// filterAndEmit calls fn with the rows of out that match the filter. A
// filter column is read from out, else from the file batch fb (extra: table
// index → fb column), else it is a partition column not in out (consts).
func (sc *Scan) filterAndEmit(out, fb *column.Batch, extra map[int]int, consts map[int]any, fn func(*column.Batch) error) error {
	n := 0
	if len(out.Cols) > 0 {
		n = out.Len()
	} else {
		n = fb.Len()
	}
	var row int
	get := func(i int) any {
		if o := slices.Index(sc.outIdx, i); o >= 0 {
			return out.Cols[o].Value(row)
		}
		if j, ok := extra[i]; ok {
			return fb.Cols[j].Value(row)
		}
		return consts[i]
	}
	sel := column.NewBatch(sc.schema, n)
	for row = 0; row < n; row++ {
		if ok, known := sc.filter.eval(get); ok && known {
			sel.AppendRow(out, row)
		}
	}
	if sel.Len() == 0 {
		return nil
	}
	return fn(sel)
}

// constVector returns a vector of n copies of v.
func constVector(t *column.Type, v any, n int) *column.Vector {
	vec := column.NewVector(t, n)
	for range n {
		switch x := v.(type) {
		case nil:
			vec.AppendNull()
		case int64:
			vec.AppendInt(x)
		case float64:
			vec.AppendFloat(x)
		case bool:
			vec.AppendBool(x)
		case string:
			vec.AppendString(x)
		case []byte:
			vec.AppendBytes(x)
		default:
			vec.AppendValue(x)
		}
	}
	return vec
}

// dropDeleted removes from a batch of n rows, the first of which is row
// first of its file, the rows a deletion vector deletes. It returns the
// batch (a copy when rows were dropped) and its row count.
func dropDeleted(b *column.Batch, n int, first uint64, deleted *roaring64.Bitmap) (*column.Batch, int) {
	kept := make([]int, 0, n)
	for r := 0; r < n; r++ {
		if !deleted.Contains(first + uint64(r)) {
			kept = append(kept, r)
		}
	}
	if len(kept) == n {
		return b, n
	}
	if len(b.Cols) == 0 {
		return b, len(kept)
	}
	out := column.NewBatch(b.Schema, len(kept))
	for _, r := range kept {
		out.AppendRow(b, r)
	}
	return out, len(kept)
}

// ioErrReader remembers the first error of the store under a Parquet file,
// so that a failed read (a dead disk or network) is reported as such, with
// its cause, and only a file that reads fine but does not decode is corrupt.
type ioErrReader struct {
	r     io.ReaderAt
	mu    sync.Mutex
	ioErr error
}

func (e *ioErrReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := e.r.ReadAt(p, off)
	if err != nil && err != io.EOF {
		e.mu.Lock()
		if e.ioErr == nil {
			e.ioErr = err
		}
		e.mu.Unlock()
	}
	return n, err
}

func (e *ioErrReader) wrap(path string, err error) error {
	e.mu.Lock()
	ioErr := e.ioErr
	e.mu.Unlock()
	if ioErr != nil {
		return fmt.Errorf("read data file %s: %w", path, ioErr)
	}
	return fmt.Errorf("%w: data file %s: %v", ErrCorrupt, path, err)
}
