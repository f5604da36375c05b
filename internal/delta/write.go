package delta

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/parquetio"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// WriteOptions tune how data files are written.
type WriteOptions struct {
	// TargetFileRows starts a new file after this many rows (default 4Mi).
	TargetFileRows int64
	// Parquet options (row group size, dictionary and bloom filter columns, …).
	Parquet parquetio.WriterOptions
	// Observer, when set, is told which rows go into which data file, so
	// that a caller can keep something derived from each file beside it
	// (silver's event_id index). One FileWriter calls Rows from one
	// goroutine at a time; Closed and Discarded may run on other
	// goroutines, concurrently with Rows of other files and with each
	// other (a file is made durable while the next one is written).
	Observer FileObserver
}

// FileObserver follows the data files a FileWriter writes.
type FileObserver interface {
	// Rows reports that rows [start, end) of b (table schema, partition
	// columns included) were written to the data file named path (as the
	// add action will name it), after the rows before them.
	Rows(path string, b *column.Batch, start, end int)
	// Closed reports that the data file of add is complete. It runs
	// before Close returns add, so whatever it stores precedes any commit
	// of add; an error fails the write.
	Closed(ctx context.Context, add *Add) error
	// Discarded reports that the file named path will never be committed
	// by this writer (Abort before it was complete).
	Discarded(path string)
}

// FileWriter writes rows into new data files of a table, split by partition
// values, with Spark-style statistics. The files are invisible until a
// transaction commits the add actions Close returns.
type FileWriter struct {
	ctx      context.Context
	table    *Table
	schema   *column.Schema // table schema (batches follow it)
	data     *column.Schema // columns stored in files (partition columns removed)
	dataIdx  []int          // table column index of each data column
	partCols []string
	partIdx  []int
	opts     WriteOptions
	stats    statsPlan

	open map[string]*openFile
	seq  int
	err  error

	// Files whose footer is written are made durable (fsync, publish,
	// the observer's Closed) on goroutines, so that the next file's rows
	// are encoded while the disk works. syncing bounds how many are in
	// flight; wg waits for them; adds and bgErr are theirs, under mu.
	syncing chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	adds    []*Add
	bgErr   error
}

// maxSyncing is how many closed files of one FileWriter may wait for the
// disk at once before Write waits too.
const maxSyncing = 2

type openFile struct {
	name   string
	values map[string]*string
	up     storage.Writer
	pw     *parquetio.Writer
	rows   int64
}

// NewFileWriter prepares to write files for the table as of this snapshot.
// Batches passed to Write must follow the snapshot's schema exactly.
func (s *Snapshot) NewFileWriter(ctx context.Context, opts WriteOptions) (*FileWriter, error) {
	if err := checkWrite(&s.protocol, &s.metadata); err != nil {
		return nil, err
	}
	for _, f := range s.schema.Fields {
		if strings.Contains(string(f.Metadata), "delta.invariants") {
			return nil, &UnsupportedError{What: "writer feature", Name: "invariants (column " + f.Name + ")"}
		}
	}
	if opts.TargetFileRows <= 0 {
		opts.TargetFileRows = 4 << 20
	}
	w := &FileWriter{ctx: ctx, table: s.table, schema: s.schema, partCols: s.metadata.PartitionColumns, opts: opts, open: map[string]*openFile{}, syncing: make(chan struct{}, maxSyncing)}
	w.data = &column.Schema{}
	for i, f := range s.schema.Fields {
		if slices.Contains(w.partCols, f.Name) {
			continue
		}
		w.data.Fields = append(w.data.Fields, f)
		w.dataIdx = append(w.dataIdx, i)
	}
	for _, c := range w.partCols {
		w.partIdx = append(w.partIdx, s.schema.Index(c))
	}
	numIdx := defaultIndexedCols
	if v, ok := s.metadata.Configuration["delta.dataSkippingNumIndexedCols"]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			numIdx = n
		}
	}
	var statsCols []string
	if v, ok := s.metadata.Configuration["delta.dataSkippingStatsColumns"]; ok && v != "" {
		for _, c := range strings.Split(v, ",") {
			statsCols = append(statsCols, strings.TrimSpace(c))
		}
	}
	w.stats = newStatsPlan(w.data, numIdx, statsCols)
	w.opts.Parquet.Bounds = w.stats.bounds
	return w, nil
}

// CheckSchema verifies that batch schema b matches the table's, naming the
// first column that differs.
func CheckSchema(table, b *column.Schema) error {
	for _, f := range b.Fields {
		if table.Index(f.Name) < 0 {
			return fmt.Errorf("%w: column %q is not in the table (add it with schema evolution)", ErrSchemaMismatch, f.Name)
		}
	}
	for i, f := range table.Fields {
		if i >= len(b.Fields) || b.Fields[i].Name != f.Name {
			j := b.Index(f.Name)
			if j < 0 {
				return fmt.Errorf("%w: column %q is missing from the data", ErrSchemaMismatch, f.Name)
			}
			return fmt.Errorf("%w: column %q is at position %d in the data, %d in the table", ErrSchemaMismatch, f.Name, j, i)
		}
		if !b.Fields[i].Type.Equal(f.Type) {
			return fmt.Errorf("%w: column %q is %s in the data but %s in the table", ErrSchemaMismatch, f.Name, b.Fields[i].Type, f.Type)
		}
		if b.Fields[i].Nullable && !f.Nullable {
			return fmt.Errorf("%w: column %q is nullable in the data but NOT NULL in the table", ErrSchemaMismatch, f.Name)
		}
	}
	return nil
}

// Write appends the rows of b (table schema, partition columns included).
func (w *FileWriter) Write(b *column.Batch) error {
	if w.err != nil {
		return w.err
	}
	if b.Schema != w.schema {
		if err := CheckSchema(w.schema, b.Schema); err != nil {
			return err
		}
	}
	if err := w.write(b); err != nil {
		w.err = err
		w.Abort()
		return err
	}
	return nil
}

func (w *FileWriter) write(b *column.Batch) error {
	n := b.Len()
	if n == 0 {
		return nil
	}
	for i, f := range w.schema.Fields {
		if !f.Nullable && b.Cols[i].HasNulls() {
			return fmt.Errorf("%w: column %q is NOT NULL but the data has nulls", ErrSchemaMismatch, f.Name)
		}
	}
	if len(w.partCols) == 0 {
		return w.writeRows(b, nil, 0, n)
	}
	// Group rows by partition; the common case is a batch of one partition.
	start := 0
	for start < n {
		end := start + 1
		for end < n && w.samePartition(b, start, end) {
			end++
		}
		if err := w.writeRows(b, w.partValues(b, start), start, end); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// samePartition reports whether rows i and j of b belong to one partition.
func (w *FileWriter) samePartition(b *column.Batch, i, j int) bool {
	for _, c := range w.partIdx {
		if !b.Cols[c].SameValue(i, j) {
			return false
		}
	}
	return true
}

func (w *FileWriter) partValues(b *column.Batch, row int) map[string]*string {
	pv := make(map[string]*string, len(w.partCols))
	for j, i := range w.partIdx {
		s, err := FormatPartitionValue(w.schema.Fields[i].Type, b.Cols[i].Value(row))
		if err != nil {
			s = nil
		}
		pv[w.partCols[j]] = s
	}
	return pv
}

// writeRows sends rows [start,end) of b, all in one partition, to that
// partition's open file.
func (w *FileWriter) writeRows(b *column.Batch, pv map[string]*string, start, end int) error {
	dir := partitionDir(w.partCols, pv)
	f := w.open[dir]
	for start < end {
		if f == nil {
			var err error
			if f, err = w.newFile(dir, pv); err != nil {
				return err
			}
			w.open[dir] = f
		}
		room := w.opts.TargetFileRows - f.rows
		m := min(int64(end-start), room)
		view := &column.Batch{Schema: w.data, Cols: make([]*column.Vector, len(w.dataIdx))}
		for j, i := range w.dataIdx {
			view.Cols[j] = b.Cols[i]
		}
		if start == 0 && int(m) == b.Len() {
			if err := f.pw.Write(view); err != nil {
				return err
			}
		} else {
			// copy the row range (parquet writers take whole batches)
			part := column.NewBatch(w.data, int(m))
			for r := start; r < start+int(m); r++ {
				part.AppendRow(view, r)
			}
			view = part
			if err := f.pw.Write(view); err != nil {
				return err
			}
		}
		if o := w.opts.Observer; o != nil {
			o.Rows(encodePath(f.name), b, start, start+int(m))
		}
		f.rows += int64(view.Len())
		start += int(m)
		if f.rows >= w.opts.TargetFileRows {
			if err := w.closeFile(f); err != nil {
				return err
			}
			delete(w.open, dir)
			f = nil
		}
	}
	return nil
}

func (w *FileWriter) newFile(dir string, pv map[string]*string) (*openFile, error) {
	name := fmt.Sprintf("%spart-%05d-%s.c000%s.parquet", dir, w.seq, uuid.NewString(), w.opts.Parquet.FileSuffix())
	w.seq++
	up, err := w.table.store.Create(w.ctx, name)
	if err != nil {
		return nil, fmt.Errorf("create data file %s: %w", name, err)
	}
	pw, err := parquetio.NewWriter(up, w.data, w.opts.Parquet)
	if err != nil {
		up.Abort()
		return nil, err
	}
	return &openFile{name: name, values: pv, up: up, pw: pw}, nil
}

// closeFile writes f's footer, then makes f durable and reports it to the
// observer on another goroutine; Close and Abort wait for it, and its error
// fails the next Write or Close.
func (w *FileWriter) closeFile(f *openFile) error {
	if err := w.syncErr(); err != nil {
		return err
	}
	if err := f.pw.Close(); err != nil {
		return err
	}
	pv := f.values
	if pv == nil {
		pv = map[string]*string{}
	}
	add := &Add{
		Path: encodePath(f.name), PartitionValues: pv, Size: f.pw.Size(),
		ModificationTime: w.table.opts.Now().UnixMilli(), DataChange: true, Stats: w.stats.json(w.data, f.pw.Stats(), f.rows),
	}
	select {
	case w.syncing <- struct{}{}:
	case <-w.ctx.Done():
		return w.ctx.Err()
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		err := w.finishFile(f, add)
		w.mu.Lock()
		if err != nil {
			w.bgErr = cmp.Or(w.bgErr, err)
		} else {
			w.adds = append(w.adds, add)
		}
		w.mu.Unlock()
		<-w.syncing
	}()
	return nil
}

// finishFile publishes the file of add durably and tells the observer; on
// failure the file is discarded.
func (w *FileWriter) finishFile(f *openFile, add *Add) error {
	o := w.opts.Observer
	if err := f.up.Close(); err != nil {
		if o != nil {
			o.Discarded(add.Path)
		}
		return fmt.Errorf("write data file %s: %w", f.name, err)
	}
	if o != nil {
		return o.Closed(w.ctx, add)
	}
	return nil
}

// syncErr returns the first error of a file made durable in the background.
func (w *FileWriter) syncErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bgErr
}

// Close finishes every open file and returns the add actions of all the
// files written, sorted by path, once every one of them is durable.
func (w *FileWriter) Close() ([]*Add, error) {
	if w.err != nil {
		return nil, w.err
	}
	dirs := make([]string, 0, len(w.open))
	for d := range w.open {
		dirs = append(dirs, d)
	}
	slices.Sort(dirs)
	for _, d := range dirs {
		f := w.open[d]
		delete(w.open, d)
		if err := w.closeFile(f); err != nil {
			f.up.Abort()
			if o := w.opts.Observer; o != nil {
				o.Discarded(encodePath(f.name))
			}
			w.err = err
			w.Abort()
			return nil, err
		}
	}
	w.wg.Wait()
	if err := w.syncErr(); err != nil {
		w.err = err
		return nil, err
	}
	slices.SortFunc(w.adds, func(a, b *Add) int { return strings.Compare(a.Path, b.Path) })
	return w.adds, nil
}

// Abort discards files still being written and waits for those being made
// durable. Files already closed stay on storage but are never referenced by
// the log (VACUUM removes them).
func (w *FileWriter) Abort() {
	for d, f := range w.open {
		f.up.Abort()
		if o := w.opts.Observer; o != nil {
			o.Discarded(encodePath(f.name))
		}
		delete(w.open, d)
	}
	w.wg.Wait()
}
