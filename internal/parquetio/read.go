package parquetio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// ReaderOptions tune a Reader.
type ReaderOptions struct {
	// BatchRows is the most rows one Next call returns (default 8192).
	BatchRows int
	// BatchBytes bounds the bytes of the first string or binary column a
	// Next call returns (default 16 MiB), so that big records make
	// smaller batches instead of bigger memory.
	BatchBytes int
	// SkipRowGroup, when set, is asked before each row group is read; true
	// skips it (for min/max pruning).
	SkipRowGroup func(rg parquet.RowGroup) bool
	// AliasPages lets the first string or binary column of a batch point
	// into the file's decoded page instead of copying its values, when the
	// page is PLAIN-encoded; a batch then ends with the page. Its values are
	// valid only until the next call to Next or Close, and the batch must
	// not be appended to.
	AliasPages bool
}

// File is an open Parquet file.
type File struct {
	pf   *parquet.File
	root *pnode
}

// Open reads the footer of a Parquet file of the given size. A file with
// LZ4_RAW chunks, or with a column whose codec changes between row groups,
// is first read whole and rewritten in memory with those chunks
// uncompressed (inflate.go), since parquet-go would read them wrong.
func Open(r io.ReaderAt, size int64) (_ *File, err error) {
	defer recoverDamaged(&err)
	pf, err := openParquet(r, size)
	if err != nil {
		return nil, err
	}
	if cols := columnsToInflate(pf.Metadata()); cols != nil {
		data, err := inflate(r, size, pf.Metadata(), cols)
		if err != nil {
			return nil, fmt.Errorf("open parquet file: %w", err)
		}
		if pf, err = openParquet(bytes.NewReader(data), int64(len(data))); err != nil {
			return nil, err
		}
	}
	root, err := buildTree(pf.Metadata().Schema)
	if err != nil {
		return nil, fmt.Errorf("open parquet file: %w", err)
	}
	return &File{pf: pf, root: root}, nil
}

// recoverDamaged turns a panic of the decoder into the error of the call
// it ends: parquet-go panics on some damaged files (an RLE run longer than
// its page, an unknown physical type under a logical one) where it could
// have returned an error, and a damaged file must fail its read with an
// error naming the file, not end the process.
func recoverDamaged(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("damaged Parquet data: the decoder failed: %v", p)
	}
}

func openParquet(r io.ReaderAt, size int64) (*parquet.File, error) {
	// parquet-go allocates the footer's stated length before it checks it
	// against the file: a damaged length would cost gigabytes. The file's
	// last 8 bytes, read here to check it, are also parquet-go's first read
	// of the footer: it gets them from memory.
	if size >= 8+int64(len(magic)) {
		t := &tailReader{ReaderAt: r, off: size - 8}
		if _, err := r.ReadAt(t.tail[:], t.off); err != nil {
			return nil, fmt.Errorf("open parquet file: read footer: %w", err)
		}
		if n := int64(binary.LittleEndian.Uint32(t.tail[:4])); n > size-8-int64(len(magic)) {
			return nil, fmt.Errorf("open parquet file: footer of %d bytes in a file of %d", n, size)
		}
		r = t
	}
	pf, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true), parquet.ReadBufferSize(1<<20))
	if err != nil {
		return nil, fmt.Errorf("open parquet file: %w", err)
	}
	return pf, nil
}

// tailReader reads the file's last 8 bytes, the footer's length and
// magic, from memory, and the rest from the file.
type tailReader struct {
	io.ReaderAt
	off  int64
	tail [8]byte
}

func (t *tailReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= t.off && off+int64(len(p)) <= t.off+int64(len(t.tail)) {
		return copy(p, t.tail[off-t.off:]), nil
	}
	return t.ReaderAt.ReadAt(p, off)
}

// NumRows returns the number of rows in the file.
func (f *File) NumRows() int64 { return f.pf.NumRows() }

// Schema returns the logical schema declared by the file.
func (f *File) Schema() (*column.Schema, error) { return fileSchema(f.root) }

// Parquet returns the underlying parquet-go file (footer statistics, bloom filters).
func (f *File) Parquet() *parquet.File { return f.pf }

// fieldPlan says how to produce one requested column.
type fieldPlan struct {
	field  *column.Field
	node   *pnode // nil: the column is missing from the file → nulls
	nested bool
	flat   *leafReader
	fast   fastKind // flat columns: copy from page arrays (fastpage.go)
	// aliased: the vector's Data points into a page (AliasPages), to be
	// dropped, not reused, before the next read
	aliased bool
	leaves  []*leafReader // nested: per leaf in [node.lo, node.hi)
	curs    []*cursor     // per leaf
}

// Reader streams rows of selected columns of a file in batches.
type Reader struct {
	f     *File
	want  *column.Schema
	plans []fieldPlan
	opts  ReaderOptions
	rg    int   // next row group to open
	left  int64 // rows left in the current row group
	asm   assembler
}

// NewReader prepares to read the columns of want (by name; exact match first,
// then case-insensitive; a dotted name such as "add.path" that is not a
// top-level column names a nested field, read as a column of its own) from f. A nil want reads every column as declared by
// the file. Columns missing from the file read as nulls.
func (f *File) NewReader(want *column.Schema, opts ReaderOptions) (_ *Reader, err error) {
	defer recoverDamaged(&err)
	if want == nil {
		s, err := f.Schema()
		if err != nil {
			return nil, err
		}
		want = s
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = 8192
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = 16 << 20
	}
	r := &Reader{f: f, want: want, opts: opts, rg: 0}
	r.plans = make([]fieldPlan, len(want.Fields))
	for i := range want.Fields {
		fd := &want.Fields[i]
		p := &r.plans[i]
		p.field = fd
		n := f.root.lookup(fd.Name)
		if n == nil {
			continue
		}
		p.node = n
		if n.isLeaf() && n.rep != format.Repeated && n.repLevel == 0 && fd.Type.IsPrimitive() {
			lr, err := newLeafReader(n, fd.Type, fd.Name)
			if err != nil {
				return nil, err
			}
			p.flat = lr
			p.fast = lr.fastKind()
			continue
		}
		if fd.Type.IsPrimitive() {
			return nil, fmt.Errorf("column %s: the file stores a nested value, the table a %s", fd.Name, fd.Type)
		}
		p.nested = true
		p.leaves = make([]*leafReader, n.hi-n.lo)
		if err := planNested(n, fd.Type, fd.Name, p.leaves, n.lo); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// planNested creates leaf readers for every leaf under n that the target type
// uses; leaves the type does not mention stay nil and are skipped.
func planNested(n *pnode, t *column.Type, path string, out []*leafReader, base int) error {
	if n.isLeaf() {
		if n.rep == format.Repeated && t.Kind == column.Array {
			t = t.Elem
		}
		lr, err := newLeafReader(n, t, path)
		if err != nil {
			return err
		}
		out[n.leaf-base] = lr
		return nil
	}
	switch t.Kind {
	case column.Array:
		var r *pnode
		if n.rep == format.Repeated {
			r = n
		} else if len(n.children) == 1 && n.children[0].rep == format.Repeated {
			r = n.children[0]
		} else {
			return fmt.Errorf("column %s: the file does not store a list", path)
		}
		el := r
		if r != n {
			el = listElement(n, r)
		}
		if el == n {
			// a bare repeated group: its fields are the element struct
			return planNested(&pnode{children: n.children, leaf: -1, lo: n.lo, hi: n.hi}, t.Elem, path+"[]", out, base)
		}
		return planNested(el, t.Elem, path+"[]", out, base)
	case column.Map:
		if len(n.children) != 1 || len(n.children[0].children) < 1 {
			return fmt.Errorf("column %s: the file does not store a map", path)
		}
		kv := n.children[0]
		if err := planNested(kv.children[0], t.Key, path+".key", out, base); err != nil {
			return err
		}
		if len(kv.children) > 1 {
			return planNested(kv.children[1], t.Value, path+".value", out, base)
		}
		return nil
	case column.Struct:
		for i := range t.Fields {
			c := n.child(t.Fields[i].Name)
			if c == nil {
				continue
			}
			ft := t.Fields[i].Type
			if c.rep == format.Repeated && ft.Kind == column.Array && c.isLeaf() {
				ft = ft.Elem
			}
			if err := planNested(c, ft, path+"."+t.Fields[i].Name, out, base); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("column %s: the file stores a group, the table a %s", path, t)
}

// Schema returns the schema of the batches the reader produces.
func (r *Reader) Schema() *column.Schema { return r.want }

// Next fills b (reset first) with up to BatchRows rows. It returns io.EOF
// when no rows are left. b must have been made for r.Schema().
func (r *Reader) Next(b *column.Batch) (err error) {
	defer recoverDamaged(&err)
	b.Reset()
	for r.left == 0 {
		if err := r.openRowGroup(); err != nil {
			return err
		}
	}
	n := int64(r.opts.BatchRows)
	if n > r.left {
		n = r.left
	}
	// The first flat string column sets the batch size by its bytes.
	first := -1
	for i := range r.plans {
		if p := &r.plans[i]; p.flat != nil && (p.field.Type.Kind == column.String || p.field.Type.Kind == column.Binary) {
			first = i
			var m int
			var err error
			if p.aliased {
				b.Cols[i].Data, p.aliased = nil, false
			}
			if r.opts.AliasPages && p.fast == fastBytes {
				m, err = r.readAliased(p, b.Cols[i], int(n))
			} else {
				m, err = r.readFlat(p, b.Cols[i], int(n), r.opts.BatchBytes)
			}
			if err != nil {
				return err
			}
			n = int64(m)
			break
		}
	}
	for i := range r.plans {
		if i == first {
			continue
		}
		if err := r.readColumn(&r.plans[i], b.Cols[i], int(n)); err != nil {
			return err
		}
	}
	r.left -= n
	return nil
}

func (r *Reader) closeCursors() {
	for i := range r.plans {
		for _, c := range r.plans[i].curs {
			if c != nil {
				c.close()
			}
		}
		r.plans[i].curs = nil
	}
}

func (r *Reader) openRowGroup() error {
	r.closeCursors()
	rgs := r.f.pf.RowGroups()
	for r.rg < len(rgs) {
		rg := rgs[r.rg]
		r.rg++
		if rg.NumRows() == 0 || (r.opts.SkipRowGroup != nil && r.opts.SkipRowGroup(rg)) {
			continue
		}
		chunks := rg.ColumnChunks()
		for i := range r.plans {
			p := &r.plans[i]
			if p.node == nil {
				continue
			}
			if p.flat != nil {
				p.curs = []*cursor{newCursor(chunks[p.node.leaf], p.node)}
				continue
			}
			p.curs = make([]*cursor, len(p.leaves))
			for j, lr := range p.leaves {
				if lr != nil {
					p.curs[j] = newCursor(chunks[p.node.lo+j], lr.node)
				}
			}
		}
		r.left = rg.NumRows()
		return nil
	}
	return io.EOF
}

// Close releases the reader's page buffers.
func (r *Reader) Close() error {
	r.closeCursors()
	return nil
}

func (r *Reader) readColumn(p *fieldPlan, vec *column.Vector, n int) error {
	if p.node == nil {
		for range n {
			vec.AppendNull()
		}
		return nil
	}
	if p.flat != nil {
		_, err := r.readFlat(p, vec, n, 0)
		return err
	}
	rows := make([][]parquet.Value, len(p.curs))
	for range n {
		for j, c := range p.curs {
			if c == nil {
				rows[j] = nil
				continue
			}
			vals, err := c.row()
			if err != nil {
				return fmt.Errorf("column %s: %w", p.field.Name, err)
			}
			rows[j] = vals
		}
		r.asm.leaves, r.asm.base = p.leaves, p.node.lo
		v, err := r.asm.build(p.node, p.field.Type, rows)
		if err != nil {
			return fmt.Errorf("column %s: %w", p.field.Name, err)
		}
		vec.AppendValue(v)
	}
	return nil
}

// readFlat reads up to n rows of a flat column, stopping early (after at
// least one row) once the vector's bytes exceed maxBytes (0: no limit). It
// returns the rows read.
func (r *Reader) readFlat(p *fieldPlan, vec *column.Vector, n, maxBytes int) (int, error) {
	if p.fast != fastNone {
		return r.readFast(p, vec, n, maxBytes)
	}
	c := p.curs[0]
	maxDef := p.node.def
	for i := 0; i < n; i++ {
		if maxBytes > 0 && i > 0 && len(vec.Data) >= maxBytes {
			return i, nil
		}
		v, err := c.next()
		if err != nil {
			return i, fmt.Errorf("column %s: %w", p.field.Name, err)
		}
		if v.DefinitionLevel() < maxDef || v.IsNull() {
			vec.AppendNull()
			continue
		}
		p.flat.appendTo(vec, v)
	}
	return n, nil
}

// cursor streams the values of one leaf column chunk across pages.
type cursor struct {
	node  *pnode
	pages parquet.Pages
	page  parquet.Page
	vr    parquet.ValueReader
	buf   []parquet.Value
	pos   int
	eof   bool
	// row assembly (nested leaves): values of the current row, their bytes
	// copied into arena so they outlive the page
	rowBuf []parquet.Value
	arena  []byte
	// fp is the current page of a flat column on a fast path
	fp fastPage
}

func newCursor(cc parquet.ColumnChunk, n *pnode) *cursor {
	return &cursor{node: n, pages: cc.Pages(), buf: make([]parquet.Value, 0, 1024)}
}

func (c *cursor) close() {
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
	}
	if c.pages != nil {
		c.pages.Close()
		c.pages = nil
	}
}

func (c *cursor) fill() error {
	for {
		if c.vr != nil {
			n, err := c.vr.ReadValues(c.buf[:cap(c.buf)])
			c.buf, c.pos = c.buf[:n], 0
			if n > 0 {
				return nil
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			c.vr = nil
		}
		if c.page != nil {
			parquet.Release(c.page)
			c.page = nil
		}
		if c.eof {
			return io.ErrUnexpectedEOF
		}
		p, err := c.pages.ReadPage()
		if err != nil {
			if errors.Is(err, io.EOF) {
				c.eof = true
				return io.ErrUnexpectedEOF
			}
			return err
		}
		c.page, c.vr = p, p.Values()
	}
}

func (c *cursor) next() (parquet.Value, error) {
	if c.pos >= len(c.buf) {
		if err := c.fill(); err != nil {
			return parquet.Value{}, fmt.Errorf("fewer values than rows: %w", err)
		}
	}
	v := c.buf[c.pos]
	c.pos++
	return v, nil
}

func (c *cursor) peek() (parquet.Value, bool, error) {
	if c.pos >= len(c.buf) {
		if err := c.fill(); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) && c.eof {
				return parquet.Value{}, false, nil
			}
			return parquet.Value{}, false, err
		}
	}
	return c.buf[c.pos], true, nil
}

// row returns the values of the next row (up to the next value with
// repetition level 0). Byte values are copied into the cursor's arena, so
// they stay valid until the next call even if the row spans pages.
func (c *cursor) row() ([]parquet.Value, error) {
	c.rowBuf = c.rowBuf[:0]
	c.arena = c.arena[:0]
	v, err := c.next()
	if err != nil {
		return nil, err
	}
	c.rowBuf = append(c.rowBuf, c.keep(v))
	for {
		v, ok, err := c.peek()
		if err != nil {
			return nil, err
		}
		if !ok || v.RepetitionLevel() == 0 {
			break
		}
		c.pos++
		c.rowBuf = append(c.rowBuf, c.keep(v))
	}
	return c.rowBuf, nil
}

// keep returns v with its bytes (if any) copied into the arena.
func (c *cursor) keep(v parquet.Value) parquet.Value {
	var nv parquet.Value
	switch v.Kind() {
	case parquet.ByteArray:
		if v.IsNull() {
			return v
		}
		start := len(c.arena)
		c.arena = append(c.arena, v.ByteArray()...)
		nv = parquet.ByteArrayValue(c.arena[start:len(c.arena):len(c.arena)])
	case parquet.FixedLenByteArray:
		if v.IsNull() {
			return v
		}
		start := len(c.arena)
		c.arena = append(c.arena, v.ByteArray()...)
		nv = parquet.FixedLenByteArrayValue(c.arena[start:len(c.arena):len(c.arena)])
	case parquet.Int96:
		return v.Clone()
	default:
		return v
	}
	nv.SetRepetitionLevel(v.RepetitionLevel())
	nv.SetDefinitionLevel(v.DefinitionLevel())
	nv.SetColumnIndex(v.Column())
	return nv
}

// assembler rebuilds nested values of one row from leaf value slices.
type assembler struct {
	leaves []*leafReader
	base   int
}

// build returns the value of node n for one instance, given for each leaf of
// the top field the values of that instance (only entries in [n.lo, n.hi)
// are used).
func (a *assembler) build(n *pnode, t *column.Type, vals [][]parquet.Value) (any, error) {
	if n.rep == format.Repeated {
		return a.repeated(n, n, t, vals)
	}
	first := a.firstValues(n, vals)
	if first == nil {
		return nil, nil // no leaf of interest below n
	}
	d := first[0].DefinitionLevel()
	if n.rep == format.Optional && d < n.def {
		return nil, nil
	}
	if n.isLeaf() {
		v := first[0]
		if v.IsNull() || d < n.def {
			return nil, nil
		}
		return a.leaves[n.leaf-a.base].box(v), nil
	}
	switch t.Kind {
	case column.Array:
		if len(n.children) != 1 || n.children[0].rep != format.Repeated {
			return nil, fmt.Errorf("malformed list")
		}
		return a.repeated(n, n.children[0], t, vals)
	case column.Map:
		kv := n.children[0]
		if d < kv.def {
			return column.MapValue{}, nil
		}
		var out column.MapValue
		err := a.split(kv, vals, func(elem [][]parquet.Value) error {
			k, err := a.build(kv.children[0], t.Key, elem)
			if err != nil {
				return err
			}
			var v any
			if len(kv.children) > 1 {
				if v, err = a.build(kv.children[1], t.Value, elem); err != nil {
					return err
				}
			}
			out = append(out, column.MapEntry{Key: k, Value: v})
			return nil
		})
		return out, err
	case column.Struct:
		out := make(column.StructValue, len(t.Fields))
		for i := range t.Fields {
			c := n.child(t.Fields[i].Name)
			if c == nil {
				continue
			}
			ft := t.Fields[i].Type
			v, err := a.build(c, ft, vals)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("cannot assemble %s from a group", t)
}

// repeated builds the list stored by repeated node r (r == n for bare
// repeated fields, else r is the LIST's repeated child).
func (a *assembler) repeated(n, r *pnode, t *column.Type, vals [][]parquet.Value) (any, error) {
	first := a.firstValues(r, vals)
	if first == nil {
		return nil, nil
	}
	if first[0].DefinitionLevel() < r.def {
		return []any{}, nil
	}
	et := t
	if t.Kind == column.Array {
		et = t.Elem
	}
	var el *pnode
	if r == n {
		el = r
	} else {
		el = listElement(n, r)
	}
	out := []any{}
	err := a.split(r, vals, func(elem [][]parquet.Value) error {
		var v any
		var err error
		switch {
		case el == r && r.isLeaf():
			v = a.leaves[r.leaf-a.base].box(elem[r.leaf-a.base][0])
		case el == r:
			v, err = a.build(&pnode{name: r.name, children: r.children, leaf: -1, def: r.def, repLevel: r.repLevel, lo: r.lo, hi: r.hi}, et, elem)
		default:
			v, err = a.build(el, et, elem)
		}
		out = append(out, v)
		return err
	})
	return out, err
}

// split cuts the values of every leaf below repeated node r into elements
// (a new element starts at each value whose repetition level is ≤ r's) and
// calls fn with each element's values.
func (a *assembler) split(r *pnode, vals [][]parquet.Value, fn func([][]parquet.Value) error) error {
	pos := make([]int, r.hi-r.lo)
	elem := make([][]parquet.Value, len(vals))
	for {
		done := true
		for l := r.lo; l < r.hi; l++ {
			j := l - a.base
			vs := vals[j]
			if vs == nil {
				continue
			}
			i := pos[l-r.lo]
			if i >= len(vs) {
				continue
			}
			done = false
			k := i + 1
			for k < len(vs) && vs[k].RepetitionLevel() > r.repLevel {
				k++
			}
			elem[j] = vs[i:k]
			pos[l-r.lo] = k
		}
		if done {
			return nil
		}
		if err := fn(elem); err != nil {
			return err
		}
	}
}

func (a *assembler) firstValues(n *pnode, vals [][]parquet.Value) []parquet.Value {
	for l := n.lo; l < n.hi; l++ {
		if vs := vals[l-a.base]; len(vs) > 0 {
			return vs
		}
	}
	return nil
}
