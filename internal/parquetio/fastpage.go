package parquetio

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// fastKind says how a flat column's values copy straight from a page's
// decoded arrays into a vector, without a parquet.Value per row.
type fastKind uint8

const (
	fastNone  fastKind = iota // convert value by value (appendTo)
	fastBytes                 // BYTE_ARRAY → string or binary
	fastInt64                 // INT64 → long, microsecond timestamp, decimal of the same scale
	fastInt32                 // INT32 → byte/short/int/long, date, decimal of the same scale
)

// fastKind returns the fast path for the leaf, if its values need no
// conversion.
func (lr *leafReader) fastKind() fastKind {
	t, n := lr.target, lr.node
	sameScaleDecimal := t.Kind == column.Decimal && t.Precision <= 18 && lr.fileScale == t.Scale
	switch n.phys {
	case format.ByteArray:
		if t.Kind == column.String || t.Kind == column.Binary {
			return fastBytes
		}
	case format.Int64:
		switch t.Kind {
		case column.Long:
			return fastInt64
		case column.Timestamp, column.TimestampNTZ:
			if lr.tsMul == 1 {
				return fastInt64
			}
		case column.Decimal:
			if sameScaleDecimal {
				return fastInt64
			}
		}
	case format.Int32:
		switch t.Kind {
		case column.Byte, column.Short, column.Int, column.Long:
			if !(n.hasConv && n.converted == deprecated.Uint32) {
				return fastInt32
			}
		case column.Date:
			return fastInt32
		case column.Decimal:
			if sameScaleDecimal {
				return fastInt32
			}
		}
	}
	return fastNone
}

// fastPage is the current page of a flat column read on a fast path: its
// definition levels and its non-null values, either direct or as indexes
// into the dictionary's values.
type fastPage struct {
	rows, row int    // rows in the page, next row
	val       int    // next non-null value
	defs      []byte // nil when no row can be null
	maxDef    byte
	idx       []int32 // dictionary-encoded page: indexes into the arrays below
	data      []byte  // byte arrays: values data[offs[i]:offs[i+1]]
	offs      []uint32
	i64       []int64
	i32       []int32
}

// nextFastPage loads the next page of the chunk into c.fp.
func (c *cursor) nextFastPage(kind fastKind) error {
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
	}
	p, err := c.pages.ReadPage()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	c.page = p
	fp := fastPage{rows: int(p.NumValues()), maxDef: byte(c.node.def)}
	if c.node.def > 0 {
		fp.defs = p.DefinitionLevels()
		if len(fp.defs) != fp.rows {
			return fmt.Errorf("page has %d definition levels for %d values", len(fp.defs), fp.rows)
		}
	}
	values := p.Data()
	if d := p.Dictionary(); d != nil {
		fp.idx = values.Int32()
		values = d.Page().Data()
	}
	switch kind {
	case fastBytes:
		fp.data, fp.offs = values.ByteArray()
	case fastInt64:
		fp.i64 = values.Int64()
	case fastInt32:
		fp.i32 = values.Int32()
	}
	// Every index and non-null row must have a value: check once here, so
	// the row loop can index without bounds surprises.
	nonNull := fp.rows
	if fp.defs != nil {
		nonNull = 0
		for _, d := range fp.defs {
			if d >= fp.maxDef {
				nonNull++
			}
		}
	}
	n := fp.valueCount(kind)
	if fp.idx != nil {
		if len(fp.idx) != nonNull {
			return fmt.Errorf("page has %d dictionary indexes for %d non-null values", len(fp.idx), nonNull)
		}
		for _, i := range fp.idx {
			if i < 0 || int(i) >= n {
				return fmt.Errorf("dictionary index %d out of range [0, %d)", i, n)
			}
		}
	} else if n != nonNull {
		return fmt.Errorf("page has %d values for %d non-null rows", n, nonNull)
	}
	c.fp = fp
	return nil
}

// valueCount is the number of values in the direct (or dictionary) arrays.
func (fp *fastPage) valueCount(kind fastKind) int {
	switch kind {
	case fastBytes:
		return max(0, len(fp.offs)-1)
	case fastInt64:
		return len(fp.i64)
	case fastInt32:
		return len(fp.i32)
	}
	return 0
}

// readFast appends up to n rows of a flat column on its fast path, like
// readFlat.
func (r *Reader) readFast(p *fieldPlan, vec *column.Vector, n, maxBytes int) (int, error) {
	c := p.curs[0]
	kind := p.fast
	for i := 0; i < n; {
		if c.fp.row >= c.fp.rows {
			if err := c.nextFastPage(kind); err != nil {
				return i, fmt.Errorf("column %s: fewer values than rows: %w", p.field.Name, err)
			}
			continue
		}
		fp := &c.fp
		for ; i < n && fp.row < fp.rows; i++ {
			if maxBytes > 0 && i > 0 && len(vec.Data) >= maxBytes {
				return i, nil
			}
			row := fp.row
			fp.row++
			if fp.defs != nil && fp.defs[row] < fp.maxDef {
				vec.AppendNull()
				continue
			}
			j := fp.val
			fp.val++
			if fp.idx != nil {
				j = int(fp.idx[j])
			}
			switch kind {
			case fastBytes:
				vec.AppendBytes(fp.data[fp.offs[j]:fp.offs[j+1]])
			case fastInt64:
				vec.AppendInt(fp.i64[j])
			case fastInt32:
				vec.AppendInt(int64(fp.i32[j]))
			}
		}
	}
	return n, nil
}

// readAliased reads up to n rows of a flat byte-array column from the
// current page, pointing vec's Data into the page instead of copying
// (ReaderOptions.AliasPages); a dictionary-encoded page is copied instead.
// The slice's capacity ends with the values, so an append to it cannot
// write into the page.
func (r *Reader) readAliased(p *fieldPlan, vec *column.Vector, n int) (int, error) {
	c := p.curs[0]
	for c.fp.row >= c.fp.rows {
		if err := c.nextFastPage(fastBytes); err != nil {
			return 0, fmt.Errorf("column %s: fewer values than rows: %w", p.field.Name, err)
		}
	}
	fp := &c.fp
	if fp.idx != nil {
		return r.readFast(p, vec, n, r.opts.BatchBytes)
	}
	k := min(n, fp.rows-fp.row)
	start := fp.offs[fp.val]
	var cur int32
	for range k {
		row := fp.row
		fp.row++
		if fp.defs != nil && fp.defs[row] < fp.maxDef {
			if vec.Nulls == nil {
				vec.Nulls = make([]bool, vec.Len, max(k, 16))
			}
			vec.Nulls = append(vec.Nulls, true)
		} else {
			j := fp.val
			fp.val++
			cur = int32(fp.offs[j+1] - start)
			if vec.Nulls != nil {
				vec.Nulls = append(vec.Nulls, false)
			}
		}
		vec.Offsets = append(vec.Offsets, cur)
		vec.Len++
	}
	end := fp.offs[fp.val]
	vec.Data = fp.data[start:end:end]
	p.aliased = true
	return k, nil
}
