package parquetio

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/big"
	"reflect"
	"slices"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/uncompressed"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// orderedGroup is a Parquet group whose fields keep the order they were
// given in (parquet.Group sorts them by name); Spark and DuckDB show columns
// in file order, so the file follows the table's schema.
type orderedGroup []parquet.Field

func (g orderedGroup) ID() int                                { return 0 }
func (g orderedGroup) String() string                         { return "group" }
func (g orderedGroup) Type() parquet.Type                     { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool                         { return false }
func (g orderedGroup) Repeated() bool                         { return false }
func (g orderedGroup) Required() bool                         { return true }
func (g orderedGroup) Leaf() bool                             { return false }
func (g orderedGroup) Fields() []parquet.Field                { return g }
func (g orderedGroup) Encoding() encoding.Encoding            { return nil }
func (g orderedGroup) Compression() compress.Codec            { return nil }
func (g orderedGroup) GoType() reflect.Type                   { return reflect.TypeFor[map[string]any]() }
func (g orderedGroup) Value(base reflect.Value) reflect.Value { return base }

type namedField struct {
	parquet.Node
	name string
}

func (f namedField) Name() string { return f.name }
func (f namedField) Value(base reflect.Value) reflect.Value {
	return base.MapIndex(reflect.ValueOf(f.name))
}

// leafNode returns the Spark-compatible Parquet node of a primitive type.
func leafNode(t *column.Type) (parquet.Node, error) {
	switch t.Kind {
	case column.Boolean:
		return parquet.Leaf(parquet.BooleanType), nil
	case column.Byte:
		return parquet.Int(8), nil
	case column.Short:
		return parquet.Int(16), nil
	case column.Int:
		return parquet.Leaf(parquet.Int32Type), nil
	case column.Long:
		return parquet.Leaf(parquet.Int64Type), nil
	case column.Float:
		return parquet.Leaf(parquet.FloatType), nil
	case column.Double:
		return parquet.Leaf(parquet.DoubleType), nil
	case column.String:
		return parquet.String(), nil
	case column.Binary:
		return parquet.Leaf(parquet.ByteArrayType), nil
	case column.Date:
		return parquet.Date(), nil
	case column.Timestamp:
		return parquet.TimestampAdjusted(parquet.Microsecond, true), nil
	case column.TimestampNTZ:
		return parquet.TimestampAdjusted(parquet.Microsecond, false), nil
	case column.Decimal:
		switch {
		case t.Precision <= 9:
			return parquet.Decimal(t.Scale, t.Precision, parquet.Int32Type), nil
		case t.Precision <= 18:
			return parquet.Decimal(t.Scale, t.Precision, parquet.Int64Type), nil
		}
		return parquet.Decimal(t.Scale, t.Precision, parquet.FixedLenByteArrayType(decimalLen(t.Precision))), nil
	}
	return nil, fmt.Errorf("writing %s columns is not supported", t)
}

// decimalLen is the smallest byte width holding precision p, as Spark sizes
// FIXED_LEN_BYTE_ARRAY decimals.
func decimalLen(p int) int {
	for n := 1; ; n++ {
		if math.Pow(2, float64(8*n-1)) >= math.Pow(10, float64(p)) {
			return n
		}
	}
}

// ParquetSchema returns the Parquet schema written for a table schema.
// Only primitive columns can be written.
func ParquetSchema(s *column.Schema, dictionary ...string) (*parquet.Schema, error) {
	g := make(orderedGroup, 0, len(s.Fields))
	for _, f := range s.Fields {
		n, err := leafNode(f.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", f.Name, err)
		}
		if slices.Contains(dictionary, f.Name) {
			n = parquet.Encoded(n, &parquet.RLEDictionary)
		}
		if f.Nullable {
			n = parquet.Optional(n)
		}
		g = append(g, namedField{Node: n, name: f.Name})
	}
	return parquet.NewSchema("spark_schema", g), nil
}

// fastSnappy is the SNAPPY codec with s2's fastest snappy-compatible
// encoder. parquet-go's snappy codec uses s2's "better" mode, which on
// NDJSON text is 2.7× slower for 4% fewer bytes (see BenchmarkBronzeCodecs);
// every Parquet reader decodes both, since the output is plain snappy.
type fastSnappy struct{ snappy.Codec }

func (*fastSnappy) Encode(dst, src []byte) ([]byte, error) {
	return s2.EncodeSnappy(dst[:cap(dst)], src), nil
}

// WriterOptions tune a Writer.
type WriterOptions struct {
	// RowGroupRows closes a row group after this many rows (default 131072).
	RowGroupRows int
	// RowGroupBytes closes a row group once the data written into it
	// (uncompressed, estimated) reaches this (default 64 MiB), so that a
	// file of big records does not buffer a row group of RowGroupRows.
	RowGroupBytes int64
	// PageBufferSize is the uncompressed size of a data page (default 1 MiB).
	PageBufferSize int
	// Codec is "zstd" (default), "snappy" or "none". LZ4_RAW is read but
	// not written: parquet-go v0.32's encoder writes an empty page when
	// pierrec/lz4 finds a page incompressible (CompressBlock returns 0),
	// losing the page's values.
	Codec string
	// ZstdLevel is the zstd encoder level (default zstd.SpeedFastest).
	ZstdLevel zstd.Level
	// Dictionary lists columns to dictionary-encode (low-cardinality strings).
	Dictionary []string
	// BloomFilters lists columns that get a split-block bloom filter.
	BloomFilters []string
	// Metadata is added to the footer's key/value metadata.
	Metadata map[string]string
	// Bounds lists the columns whose min/max are computed (page bounds and
	// the column chunk statistics that Stats returns); nil means all.
	// Skipping long strings nobody filters on saves comparisons.
	Bounds []string
}

// FileSuffix is the codec part of a data file name, as Spark writes it:
// ".zstd", ".snappy", or "" for uncompressed files.
func (o WriterOptions) FileSuffix() string {
	switch o.Codec {
	case "", "zstd":
		return ".zstd"
	case "none":
		return ""
	}
	return "." + o.Codec
}

// ColumnStats are the statistics of one column over a whole file.
type ColumnStats struct {
	NullCount int64
	// Min and Max are PLAIN-encoded values of the column's physical type
	// (little-endian integers and floats, raw bytes for byte arrays);
	// HasBounds is false when the column has no non-null value or its
	// bounds were not computed.
	Min, Max  []byte
	HasBounds bool
}

// Writer writes batches of a fixed schema into one Parquet file.
type Writer struct {
	w       *parquet.Writer
	schema  *column.Schema
	opts    WriterOptions
	cols    []*parquet.ColumnWriter
	vals    []parquet.Value
	rgRows  int
	rgBytes int64
	rows    int64
	// nonFinite marks float columns that held NaN or ±Inf: their bounds
	// are not reported (Spark orders NaN above every number).
	nonFinite []bool
}

// NewWriter starts a Parquet file on out for schema.
func NewWriter(out io.Writer, schema *column.Schema, opts WriterOptions) (*Writer, error) {
	if opts.RowGroupRows <= 0 {
		opts.RowGroupRows = 1 << 17
	}
	if opts.RowGroupBytes <= 0 {
		opts.RowGroupBytes = 64 << 20
	}
	if opts.PageBufferSize <= 0 {
		opts.PageBufferSize = 1 << 20
	}
	if opts.ZstdLevel == 0 {
		opts.ZstdLevel = zstd.SpeedFastest
	}
	for _, c := range opts.Dictionary {
		if schema.Index(c) < 0 {
			return nil, fmt.Errorf("dictionary column %q is not in the schema", c)
		}
	}
	ps, err := ParquetSchema(schema, opts.Dictionary...)
	if err != nil {
		return nil, err
	}
	var codec compress.Codec
	switch opts.Codec {
	case "", "zstd":
		codec = &zstd.Codec{Level: opts.ZstdLevel, Concurrency: 1}
	case "snappy":
		codec = &fastSnappy{}
	case "none":
		codec = &uncompressed.Codec{}
	default:
		return nil, fmt.Errorf("unknown Parquet codec %q: want zstd, snappy or none", opts.Codec)
	}
	wopts := []parquet.WriterOption{
		ps,
		parquet.Compression(codec),
		parquet.PageBufferSize(opts.PageBufferSize),
		parquet.CreatedBy("lakehouse", "0.1.0", ""),
	}
	if opts.Bounds != nil {
		for _, f := range schema.Fields {
			if !slices.Contains(opts.Bounds, f.Name) {
				// parquet-go computes page-header statistics apart from
				// the bounds: skip both, or the min/max is still found.
				wopts = append(wopts, parquet.SkipPageBounds(f.Name), parquet.SkipPageStatistics(f.Name))
			}
		}
	}
	for k, v := range opts.Metadata {
		wopts = append(wopts, parquet.KeyValueMetadata(k, v))
	}
	var blooms []parquet.BloomFilterColumn
	for _, c := range opts.BloomFilters {
		if schema.Index(c) < 0 {
			return nil, fmt.Errorf("bloom filter column %q is not in the schema", c)
		}
		blooms = append(blooms, parquet.SplitBlockFilter(10, c))
	}
	if len(blooms) > 0 {
		wopts = append(wopts, parquet.BloomFilters(blooms...))
	}
	w := parquet.NewWriter(out, wopts...)
	pw := &Writer{w: w, schema: schema, opts: opts}
	pw.cols = w.ColumnWriters()
	if len(pw.cols) != len(schema.Fields) {
		return nil, fmt.Errorf("parquet writer has %d columns for %d fields", len(pw.cols), len(schema.Fields))
	}
	pw.nonFinite = make([]bool, len(schema.Fields))
	return pw, nil
}

// Write appends the rows of b, whose schema must equal the writer's.
func (pw *Writer) Write(b *column.Batch) error {
	n := b.Len()
	for start := 0; start < n; {
		end := min(n, start+pw.opts.RowGroupRows-pw.rgRows)
		// Stop early at the byte budget of the row group.
		end = start + pw.fitBytes(b, start, end)
		for i, vec := range b.Cols {
			if err := pw.writeColumn(i, vec, start, end); err != nil {
				return fmt.Errorf("write column %s: %w", pw.schema.Fields[i].Name, err)
			}
		}
		pw.rgBytes += rowsBytes(b, start, end)
		pw.rgRows += end - start
		pw.rows += int64(end - start)
		start = end
		if pw.rgRows >= pw.opts.RowGroupRows || pw.rgBytes >= pw.opts.RowGroupBytes {
			if err := pw.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// fitBytes returns how many of the rows [start,end) fit in the row group's
// byte budget (at least one).
func (pw *Writer) fitBytes(b *column.Batch, start, end int) int {
	room := pw.opts.RowGroupBytes - pw.rgBytes
	if rowsBytes(b, start, end) <= room {
		return end - start
	}
	lo, hi := 1, end-start // binary search on the prefix size
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if rowsBytes(b, start, start+mid) <= room {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// rowsBytes estimates the uncompressed size of rows [start,end).
func rowsBytes(b *column.Batch, start, end int) int64 {
	var n int64
	for _, v := range b.Cols {
		if v.Offsets != nil {
			n += int64(v.Offsets[end] - v.Offsets[start])
		} else {
			n += 8 * int64(end-start)
		}
	}
	return n
}

func (pw *Writer) flush() error {
	if pw.rgRows == 0 {
		return nil
	}
	pw.rgRows, pw.rgBytes = 0, 0
	if err := pw.w.Flush(); err != nil {
		return fmt.Errorf("flush row group: %w", err)
	}
	return nil
}

func (pw *Writer) writeColumn(ci int, vec *column.Vector, start, end int) error {
	f := &pw.schema.Fields[ci]
	if !vec.Type.Equal(f.Type) {
		return fmt.Errorf("batch type %s, file type %s", vec.Type, f.Type)
	}
	maxDef := 0 // columns are top-level: defined once when optional
	if f.Nullable {
		maxDef = 1
	}
	if maxDef == 0 && vec.Nulls != nil {
		for i := start; i < end; i++ {
			if vec.Nulls[i] {
				return fmt.Errorf("null in a non-nullable column at row %d", i)
			}
		}
	}
	n := end - start
	if cap(pw.vals) < n {
		pw.vals = make([]parquet.Value, n)
	}
	vals := pw.vals[:n]
	t := f.Type
	// Build the values kind by kind (one tight loop each), then set levels.
	switch t.Kind {
	case column.Boolean:
		for i := range vals {
			vals[i] = parquet.BooleanValue(vec.Bools[start+i])
		}
	case column.Byte, column.Short, column.Int, column.Date:
		for i := range vals {
			vals[i] = parquet.Int32Value(int32(vec.Ints[start+i]))
		}
	case column.Long, column.Timestamp, column.TimestampNTZ:
		for i := range vals {
			vals[i] = parquet.Int64Value(vec.Ints[start+i])
		}
	case column.Float:
		for i := range vals {
			x := vec.Floats[start+i]
			if math.IsNaN(x) || math.IsInf(x, 0) {
				pw.nonFinite[ci] = true
			}
			vals[i] = parquet.FloatValue(float32(x))
		}
	case column.Double:
		for i := range vals {
			x := vec.Floats[start+i]
			if math.IsNaN(x) || math.IsInf(x, 0) {
				pw.nonFinite[ci] = true
			}
			vals[i] = parquet.DoubleValue(x)
		}
	case column.String, column.Binary:
		offs, data := vec.Offsets, vec.Data
		for i := range vals {
			vals[i] = parquet.ByteArrayValue(data[offs[start+i]:offs[start+i+1]])
		}
	case column.Decimal:
		switch {
		case t.Precision <= 9:
			for i := range vals {
				vals[i] = parquet.Int32Value(int32(vec.Ints[start+i]))
			}
		case t.Precision <= 18:
			for i := range vals {
				vals[i] = parquet.Int64Value(vec.Ints[start+i])
			}
		default:
			width := decimalLen(t.Precision)
			for i := range vals {
				if vec.IsNull(start + i) {
					continue
				}
				bi, ok := vec.Values[start+i].(interface{ FillBytes([]byte) []byte })
				if !ok {
					return fmt.Errorf("decimal value of type %T", vec.Values[start+i])
				}
				vals[i] = parquet.FixedLenByteArrayValue(wideDecimalBytes(bi, width))
			}
		}
	default:
		return fmt.Errorf("cannot write %s", t)
	}
	nulls := vec.Nulls
	for i := range vals {
		v := &vals[i]
		if nulls != nil && nulls[start+i] {
			*v = parquet.Value{}
		} else if maxDef > 0 {
			v.SetDefinitionLevel(maxDef)
		}
		v.SetColumnIndex(ci)
	}
	_, err := pw.cols[ci].WriteRowValues(vals)
	return err
}

// Stats returns per-column statistics aggregated over the row groups of a
// closed file, in schema order.
func (pw *Writer) Stats() []ColumnStats {
	out := make([]ColumnStats, len(pw.schema.Fields))
	md := pw.w.File().Metadata()
	for _, rg := range md.RowGroups {
		for j := range rg.Columns {
			if j >= len(out) {
				break
			}
			st := rg.Columns[j].MetaData.Statistics
			c := &out[j]
			c.NullCount += st.NullCount
			if st.MinValue == nil || st.MaxValue == nil || pw.nonFinite[j] {
				continue
			}
			t := pw.schema.Fields[j].Type
			if !c.HasBounds || comparePlain(t, st.MinValue, c.Min) < 0 {
				c.Min = append(c.Min[:0], st.MinValue...)
			}
			if !c.HasBounds || comparePlain(t, st.MaxValue, c.Max) > 0 {
				c.Max = append(c.Max[:0], st.MaxValue...)
			}
			c.HasBounds = true
		}
	}
	return out
}

// comparePlain orders two PLAIN-encoded values of a column of type t.
func comparePlain(t *column.Type, a, b []byte) int {
	switch t.Kind {
	case column.Boolean:
		return int(a[0]) - int(b[0])
	case column.Byte, column.Short, column.Int, column.Date:
		return cmp.Compare(int64(int32(binary.LittleEndian.Uint32(a))), int64(int32(binary.LittleEndian.Uint32(b))))
	case column.Long, column.Timestamp, column.TimestampNTZ:
		return cmp.Compare(int64(binary.LittleEndian.Uint64(a)), int64(binary.LittleEndian.Uint64(b)))
	case column.Float:
		return cmp.Compare(float64(math.Float32frombits(binary.LittleEndian.Uint32(a))), float64(math.Float32frombits(binary.LittleEndian.Uint32(b))))
	case column.Double:
		return cmp.Compare(math.Float64frombits(binary.LittleEndian.Uint64(a)), math.Float64frombits(binary.LittleEndian.Uint64(b)))
	case column.Decimal:
		switch {
		case t.Precision <= 9:
			return cmp.Compare(int64(int32(binary.LittleEndian.Uint32(a))), int64(int32(binary.LittleEndian.Uint32(b))))
		case t.Precision <= 18:
			return cmp.Compare(int64(binary.LittleEndian.Uint64(a)), int64(binary.LittleEndian.Uint64(b)))
		}
		return new(big.Int).SetBytes(a).Cmp(new(big.Int).SetBytes(b)) // unused: wide decimals get no stats
	}
	return bytes.Compare(a, b)
}

// NumRows returns the rows written so far.
func (pw *Writer) NumRows() int64 { return pw.rows }

// Close flushes the last row group and writes the footer.
func (pw *Writer) Close() error {
	if err := pw.w.Close(); err != nil {
		return fmt.Errorf("close parquet file: %w", err)
	}
	return nil
}
