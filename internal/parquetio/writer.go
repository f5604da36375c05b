package parquetio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"math"
	"math/bits"
	"slices"
	"sort"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// Writer writes batches of a fixed flat schema into one Parquet file.
//
// It encodes pages itself, straight from the column vectors: data pages v1
// (definition levels in the RLE/bit-packing hybrid, values PLAIN or, for
// the Dictionary columns, RLE_DICTIONARY indices after a PLAIN dictionary
// page), each compressed and checksummed (CRC-32), as Spark writes them;
// a column that the codec does not shrink by an eighth is stored
// uncompressed (compressPage).
// A row group's pages are buffered per column and written column after
// column when the row group closes; the footer (Thrift compact, through
// parquet-go's format package) ends the file. parquet-go's own writer builds
// a parquet.Value per value and a map lookup per dictionary value, which was
// a third of bronze_to_silver's CPU time (docs/performance.md).
type Writer struct {
	buf    *bufio.Writer // small writes (headers, footers) gathered
	out    countWriter
	schema *column.Schema
	opts   WriterOptions
	codec  pageCodec
	elems  []format.SchemaElement
	cols   []*chunkWriter
	groups []format.RowGroup

	rgRows  int
	rgBytes int64
	rows    int64
	closed  bool
	err     error // the first failure: the file is unusable after it

	page []byte // the page being assembled, uncompressed
	comp []byte // the page compressed
}

// countWriter counts the bytes written: column chunk offsets.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

var magic = []byte("PAR1")

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
	buf := bufio.NewWriterSize(out, 256<<10)
	pw := &Writer{buf: buf, out: countWriter{w: buf}, schema: schema, opts: opts}
	switch opts.Codec {
	case "", "zstd":
		pw.codec = pageCodec{id: format.Zstd, level: opts.ZstdLevel}
		if pw.codec.level == 0 {
			pw.codec.level = zstdFastest
		}
		if zstdEncoders[pw.codec.level] == nil {
			return nil, fmt.Errorf("unknown zstd level %d", opts.ZstdLevel)
		}
	case "snappy":
		pw.codec = pageCodec{id: format.Snappy}
	case "none":
		pw.codec = pageCodec{id: format.Uncompressed}
	default:
		return nil, fmt.Errorf("unknown Parquet codec %q: want zstd, snappy or none", opts.Codec)
	}
	for _, c := range opts.Dictionary {
		i := schema.Index(c)
		if i < 0 {
			return nil, fmt.Errorf("dictionary column %q is not in the schema", c)
		}
		if k := schema.Fields[i].Type.Kind; k != column.String && k != column.Binary {
			return nil, fmt.Errorf("dictionary column %q is %s: only string and binary columns are dictionary-encoded", c, schema.Fields[i].Type)
		}
	}
	pw.elems = []format.SchemaElement{{Name: "spark_schema"}}
	pw.elems[0].NumChildren.Set(int32(len(schema.Fields)))
	for i := range schema.Fields {
		f := &schema.Fields[i]
		elem, err := schemaElement(f)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", f.Name, err)
		}
		pw.elems = append(pw.elems, elem)
		c := &chunkWriter{
			plain:    make([]byte, plainHead),
			field:    f,
			phys:     elem.Type.V,
			width:    int(elem.TypeLength.V),
			optional: f.Nullable,
			bounds:   opts.Bounds == nil || slices.Contains(opts.Bounds, f.Name),
			codec:    pw.codec.id,
		}
		if c.phys == format.FixedLenByteArray {
			c.bounds = false // wide decimals: no bounds (Delta stats skip them)
		}
		if slices.Contains(opts.Dictionary, f.Name) {
			c.dict = column.NewDict()
		}
		pw.cols = append(pw.cols, c)
	}
	return pw, nil
}

// schemaElement is the Parquet schema element of a top-level column, with
// the physical, converted and logical types Spark writes (leafNode).
func schemaElement(f *column.Field) (format.SchemaElement, error) {
	n, err := leafNode(f.Type)
	if err != nil {
		return format.SchemaElement{}, err
	}
	t := n.Type()
	elem := format.SchemaElement{Name: f.Name}
	elem.Type.Set(*t.PhysicalType())
	if f.Nullable {
		elem.RepetitionType.Set(format.Optional)
	} else {
		elem.RepetitionType.Set(format.Required)
	}
	if lt := t.LogicalType(); lt != nil {
		elem.LogicalType = *lt
		if d, ok := lt.Value.(*format.DecimalType); ok {
			elem.Scale.Set(d.Scale)
			elem.Precision.Set(d.Precision)
		}
	}
	if ct := t.ConvertedType(); ct != nil {
		elem.ConvertedType.Set(*ct)
	}
	if l := int32(t.Length()); l > 0 && *t.PhysicalType() == format.FixedLenByteArray {
		elem.TypeLength.Set(l)
	}
	return elem, nil
}

// Write appends the rows of b, whose schema must equal the writer's.
func (pw *Writer) Write(b *column.Batch) error {
	if pw.err != nil {
		return pw.err
	}
	if pw.closed {
		return fmt.Errorf("parquet writer is closed")
	}
	if len(b.Cols) != len(pw.cols) {
		return fmt.Errorf("batch has %d columns, the file %d", len(b.Cols), len(pw.cols))
	}
	for i, vec := range b.Cols {
		if err := pw.cols[i].check(vec); err != nil {
			return fmt.Errorf("write column %s: %w", pw.schema.Fields[i].Name, err)
		}
	}
	n := b.Len()
	for start := 0; start < n; {
		end := min(n, start+pw.opts.RowGroupRows-pw.rgRows)
		// Stop early at the byte budget of the row group.
		end = start + pw.fitBytes(b, start, end)
		for i, vec := range b.Cols {
			if err := pw.cols[i].write(pw, vec, start, end); err != nil {
				pw.err = fmt.Errorf("write column %s: %w", pw.schema.Fields[i].Name, err)
				return pw.err
			}
		}
		pw.rgBytes += rowsBytes(b, start, end)
		pw.rgRows += end - start
		pw.rows += int64(end - start)
		start = end
		if pw.rgRows >= pw.opts.RowGroupRows || pw.rgBytes >= pw.opts.RowGroupBytes {
			if err := pw.flushRowGroup(); err != nil {
				pw.err = err
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
		if v.Coded() {
			n += 4 * int64(end-start) // the indices the chunk buffers
		} else if v.Offsets != nil {
			n += int64(v.Offsets[end] - v.Offsets[start])
		} else {
			n += 8 * int64(end-start)
		}
	}
	return n
}

// flushRowGroup writes the buffered row group: each column's dictionary
// page, then its data pages.
func (pw *Writer) flushRowGroup() error {
	if pw.rgRows == 0 {
		return nil
	}
	for _, c := range pw.cols {
		if err := c.flushPage(pw); err != nil {
			return err
		}
	}
	if err := pw.writeMagic(); err != nil {
		return err
	}
	rg := format.RowGroup{NumRows: int64(pw.rgRows), FileOffset: pw.out.n, Ordinal: int16(len(pw.groups))}
	for _, c := range pw.cols {
		cc, err := c.writeChunk(pw)
		if err != nil {
			return err
		}
		rg.Columns = append(rg.Columns, cc)
		rg.TotalByteSize += cc.MetaData.TotalUncompressedSize
	}
	rg.TotalCompressedSize = pw.out.n - rg.FileOffset
	pw.groups = append(pw.groups, rg)
	pw.rgRows, pw.rgBytes = 0, 0
	return nil
}

// writeMagic starts the file.
func (pw *Writer) writeMagic() error {
	if pw.out.n > 0 {
		return nil
	}
	return pw.writeFile(magic)
}

// writeFile writes p, naming the file's failure.
func (pw *Writer) writeFile(p []byte) error {
	if _, err := pw.out.Write(p); err != nil {
		return fmt.Errorf("write parquet file: %w", err)
	}
	return nil
}

// Close flushes the last row group and writes the footer.
func (pw *Writer) Close() error {
	if pw.err != nil {
		return pw.err
	}
	if pw.closed {
		return nil
	}
	pw.closed = true
	if err := pw.flushRowGroup(); err != nil {
		pw.err = fmt.Errorf("close parquet file: %w", err)
		return pw.err
	}
	if err := pw.writeMagic(); err != nil {
		pw.err = fmt.Errorf("close parquet file: %w", err)
		return pw.err
	}
	md := format.FileMetaData{
		Version:   1,
		Schema:    pw.elems,
		NumRows:   pw.rows,
		RowGroups: pw.groups,
		CreatedBy: "lakehouse version 0.1.0",
	}
	for _, k := range slices.Sorted(maps.Keys(pw.opts.Metadata)) {
		md.KeyValueMetadata = append(md.KeyValueMetadata, format.KeyValue{Key: k, Value: pw.opts.Metadata[k]})
	}
	for range pw.cols {
		md.ColumnOrders = append(md.ColumnOrders, format.ColumnOrder{Value: &format.TypeDefinedOrder{}})
	}
	footer, err := appendFooter(nil, &md)
	if err != nil {
		return fmt.Errorf("close parquet file: encode footer: %w", err)
	}
	if err := pw.writeFile(footer); err != nil {
		return fmt.Errorf("close parquet file: %w", err)
	}
	if err := pw.buf.Flush(); err != nil {
		pw.err = fmt.Errorf("close parquet file: write parquet file: %w", err)
		return pw.err
	}
	return nil
}

// Size returns the bytes of the file written so far: the file's size once
// Close has succeeded.
func (pw *Writer) Size() int64 { return pw.out.n }

// NumRows returns the rows written so far.
func (pw *Writer) NumRows() int64 { return pw.rows }

// Stats returns per-column statistics over the whole file, in schema
// order; call it after Close.
func (pw *Writer) Stats() []ColumnStats {
	out := make([]ColumnStats, len(pw.cols))
	for i, c := range pw.cols {
		out[i].NullCount = c.fileNulls
		if c.bounds && c.file.has && !c.nonFinite {
			out[i].Min, out[i].Max = c.file.plain(c.phys)
			out[i].HasBounds = true
		}
	}
	return out
}

// chunkWriter encodes one column: the page being built and the column chunk
// of the open row group.
type chunkWriter struct {
	field    *column.Field
	phys     format.Type
	width    int // FIXED_LEN_BYTE_ARRAY length
	optional bool
	bounds   bool         // compute min/max
	dict     *column.Dict // the chunk's dictionary; nil: PLAIN
	fallback bool         // the dictionary is full: PLAIN until the row group ends
	codeMaps []codeMap    // dictionary vectors' codes to dict's codes, this row group
	codec    format.CompressionCodec
	codecSet bool // codec is decided for the file, by its first page (compressPage)

	// The page being built.
	levels    []uint8  // definition levels, once the page holds a null
	plain     []byte   // room for the levels (plainHead bytes), then PLAIN values
	bools     []bool   // boolean values, packed when the page is flushed
	idx       []uint32 // dictionary indices
	pageRows  int
	pageNulls int

	// The open row group's column chunk.
	pages        []byte // page headers and compressed pages
	uncompressed int64  // headers and uncompressed pages
	values       int64
	nulls        int64
	plainPages   int32
	dictPages    int32
	chunk        valueBounds
	chunkNaN     bool

	// The whole file.
	file      valueBounds
	fileNulls int64
	nonFinite bool // a NaN or ±Inf: no bounds in Stats (Spark orders NaN above every number)
}

// check validates a vector against the column before anything is written.
func (c *chunkWriter) check(vec *column.Vector) error {
	if !vec.Type.Equal(c.field.Type) {
		return fmt.Errorf("batch type %s, file type %s", vec.Type, c.field.Type)
	}
	if !c.optional && vec.Nulls != nil {
		if i := slices.Index(vec.Nulls, true); i >= 0 {
			return fmt.Errorf("null in a non-nullable column at row %d", i)
		}
	}
	return nil
}

// plainHead is the room before a page's PLAIN values for its definition
// levels when they are short (a page without nulls: 4 + 5 + 1 bytes at
// most), so that the page is compressed where the values were appended.
const plainHead = 16

// pageBytes estimates the encoded size of the page being built.
func (c *chunkWriter) pageBytes() int {
	return len(c.plain) - plainHead + len(c.bools)/8 + len(c.idx) + len(c.levels)/8
}

// write appends rows [start,end) of vec, flushing pages as they fill.
func (c *chunkWriter) write(pw *Writer, vec *column.Vector, start, end int) error {
	limit := pw.opts.PageBufferSize
	for start < end {
		if c.dict != nil && !c.fallback {
			if vec.Coded() {
				start = c.writeCoded(vec, start, end, limit)
			} else {
				start = c.writeDict(vec, start, end, limit)
			}
		} else {
			k := c.fit(vec, start, end, limit-c.pageBytes())
			c.appendLevels(vec.Nulls, start, k)
			if err := c.appendPlain(vec, start, k); err != nil {
				return err
			}
			start = k
		}
		if c.pageBytes() >= limit || (c.dict != nil && c.fallback && len(c.idx) > 0) {
			if err := c.flushPage(pw); err != nil {
				return err
			}
		}
	}
	return nil
}

// fit returns the end of the rows from start that fill room bytes of
// PLAIN values (at least one row).
func (c *chunkWriter) fit(vec *column.Vector, start, end, room int) int {
	switch c.phys {
	case format.ByteArray:
		if offs := vec.Offsets; !vec.Coded() && len(offs) > end {
			// Rows [start,k) take offs[k]-offs[start] bytes and a length
			// each: the k the loop below finds, by a binary search.
			n := sort.Search(end-start, func(i int) bool {
				return int(offs[start+i+1]-offs[start])+4*(i+1) >= room
			})
			return min(start+n+1, end)
		}
		k, acc := start, 0
		for k < end && acc < room {
			acc += len(vec.Bytes(k)) + 4
			k++
		}
		return max(k, start+1)
	case format.Boolean:
		room *= 8
	case format.Int32, format.Float:
		room /= 4
	case format.Int64, format.Double:
		room /= 8
	case format.FixedLenByteArray:
		room /= max(c.width, 1)
	}
	return min(end, start+max(room, 1))
}

// appendLevels records the rows [start,end) of the page: their definition
// levels, for an optional column.
func (c *chunkWriter) appendLevels(nulls []bool, start, end int) {
	if nulls == nil || !c.optional {
		for range end - start {
			c.addValid()
		}
		return
	}
	for _, null := range nulls[start:end] {
		if null {
			c.addNull()
		} else {
			c.addValid()
		}
	}
}

// addValid and addNull record a row of the page. Levels are kept only once
// the page holds a null: a page without one gets a single RLE run.
func (c *chunkWriter) addValid() {
	if c.pageNulls > 0 {
		c.levels = append(c.levels, 1)
	}
	c.pageRows++
}

func (c *chunkWriter) addNull() {
	if c.pageNulls == 0 {
		c.levels = c.levels[:0]
		for range c.pageRows {
			c.levels = append(c.levels, 1)
		}
	}
	c.levels = append(c.levels, 0)
	c.pageNulls++
	c.pageRows++
}

// writeDict dictionary-encodes rows from start until the page fills, the
// dictionary fills (then the column falls back to PLAIN) or end; it returns
// where it stopped.
func (c *chunkWriter) writeDict(vec *column.Vector, start, end, limit int) int {
	offs, data, nulls := vec.Offsets, vec.Data, vec.Nulls
	for i := start; i < end; i++ {
		if nulls != nil && nulls[i] {
			c.addNull()
			continue
		}
		idx, ok := c.lookup(data[offs[i]:offs[i+1]])
		if !ok {
			return i
		}
		if c.addIndex(idx, limit) {
			return i + 1
		}
	}
	return end
}

// lookup returns v's index in the chunk's dictionary, adding v (and
// counting it in the chunk's bounds) when it is new; ok is false when the
// dictionary is full, and the chunk then falls back to PLAIN.
func (c *chunkWriter) lookup(v []byte) (idx int32, ok bool) {
	n := c.dict.Len()
	if idx, ok = c.dict.Code(v); !ok {
		c.fallback = true
		return 0, false
	}
	if c.bounds && c.dict.Len() > n {
		c.chunk.addBytes(v)
	}
	return idx, true
}

// addIndex adds a non-null row of dictionary index idx to the page and
// reports whether the page is full.
func (c *chunkWriter) addIndex(idx int32, limit int) bool {
	c.idx = append(c.idx, uint32(idx))
	c.addValid()
	return c.pageBytes() >= limit
}

// maxCodeMaps bounds the code maps a column chunk keeps past its row
// group: a Dict is meant to live as long as its producer.
const maxCodeMaps = 16

// codeMap maps the codes of one column.Dict to the chunk dictionary's
// codes (-1: not looked up yet in this row group).
type codeMap struct {
	id  uint32
	idx []int32
}

// codes returns the map of vec's dictionary, grown to its entries.
func (c *chunkWriter) codes(vec *column.Vector) []int32 {
	i := slices.IndexFunc(c.codeMaps, func(m codeMap) bool { return m.id == vec.DictID })
	if i < 0 {
		i = len(c.codeMaps)
		c.codeMaps = append(c.codeMaps, codeMap{id: vec.DictID})
	}
	m := &c.codeMaps[i]
	for len(m.idx) < len(vec.Dict) {
		m.idx = append(m.idx, -1)
	}
	return m.idx
}

// writeCoded is writeDict for a dictionary vector: each code is looked up
// in the chunk's dictionary once a row group, then mapped.
func (c *chunkWriter) writeCoded(vec *column.Vector, start, end, limit int) int {
	codes, nulls := c.codes(vec), vec.Nulls
	for i := start; i < end; i++ {
		if nulls != nil && nulls[i] {
			c.addNull()
			continue
		}
		code := vec.Codes[i]
		idx := codes[code]
		if idx < 0 {
			var ok bool
			if idx, ok = c.lookup(vec.Dict[code]); !ok {
				return i
			}
			codes[code] = idx
		}
		if c.addIndex(idx, limit) {
			return i + 1
		}
	}
	return end
}

// appendPlain appends the non-null values of rows [start,end) PLAIN-encoded.
func (c *chunkWriter) appendPlain(vec *column.Vector, start, end int) error {
	nulls := vec.Nulls
	valid := func(i int) bool { return nulls == nil || !nulls[i] }
	switch c.phys {
	case format.Boolean:
		for i := start; i < end; i++ {
			if valid(i) {
				x := vec.Bools[i]
				c.bools = append(c.bools, x)
				if c.bounds {
					c.chunk.addInt(int64(b2i(x)))
				}
			}
		}
	case format.Int32:
		for i := start; i < end; i++ {
			if valid(i) {
				x := int32(vec.Ints[i])
				c.plain = binary.LittleEndian.AppendUint32(c.plain, uint32(x))
				if c.bounds {
					c.chunk.addInt(int64(x))
				}
			}
		}
	case format.Int64:
		for i := start; i < end; i++ {
			if valid(i) {
				x := vec.Ints[i]
				c.plain = binary.LittleEndian.AppendUint64(c.plain, uint64(x))
				if c.bounds {
					c.chunk.addInt(x)
				}
			}
		}
	case format.Float, format.Double:
		for i := start; i < end; i++ {
			if !valid(i) {
				continue
			}
			x := vec.Floats[i]
			if c.phys == format.Float {
				x = float64(float32(x))
				c.plain = binary.LittleEndian.AppendUint32(c.plain, math.Float32bits(float32(x)))
			} else {
				c.plain = binary.LittleEndian.AppendUint64(c.plain, math.Float64bits(x))
			}
			switch {
			case math.IsNaN(x):
				c.chunkNaN, c.nonFinite = true, true
			case math.IsInf(x, 0):
				c.nonFinite = true
				fallthrough
			default:
				if c.bounds {
					c.chunk.addFloat(x)
				}
			}
		}
	case format.ByteArray:
		for i := start; i < end; i++ {
			if valid(i) {
				v := vec.Bytes(i)
				c.plain = binary.LittleEndian.AppendUint32(c.plain, uint32(len(v)))
				c.plain = append(c.plain, v...)
				if c.bounds {
					c.chunk.addBytes(v)
				}
			}
		}
	case format.FixedLenByteArray:
		for i := start; i < end; i++ {
			if !valid(i) {
				continue
			}
			bi, ok := vec.Values[i].(interface{ FillBytes([]byte) []byte })
			if !ok {
				return fmt.Errorf("decimal value of type %T", vec.Values[i])
			}
			c.plain = append(c.plain, wideDecimalBytes(bi, c.width)...)
		}
	default:
		return fmt.Errorf("cannot write physical type %s", c.phys)
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// flushPage encodes, compresses and buffers the page being built.
func (c *chunkWriter) flushPage(pw *Writer) error {
	if c.pageRows == 0 {
		return nil
	}
	enc := format.Plain
	var page []byte
	inPlace := len(c.idx) == 0 && len(c.bools) == 0 && (!c.optional || c.pageNulls == 0)
	if inPlace {
		// PLAIN values without nulls: the levels (a single run) go in the
		// room before the values rather than the values after the levels.
		var lv [plainHead]byte
		levels := lv[:0]
		if c.optional {
			levels = binary.AppendUvarint(append(levels, 0, 0, 0, 0), uint64(c.pageRows)<<1)
			levels = append(levels, 1)
			binary.LittleEndian.PutUint32(levels, uint32(len(levels)-4))
		}
		start := plainHead - len(levels)
		copy(c.plain[start:], levels)
		page = c.plain[start:]
		c.plainPages++
	} else {
		page = pw.page[:0]
		if c.optional {
			page = append(page, 0, 0, 0, 0)
			if c.pageNulls == 0 {
				page = binary.AppendUvarint(page, uint64(c.pageRows)<<1)
				page = append(page, 1)
			} else {
				page = appendHybrid(page, c.levels, 1)
			}
			binary.LittleEndian.PutUint32(page, uint32(len(page)-4))
		}
	}
	switch {
	case inPlace:
	case len(c.idx) > 0:
		enc = format.RLEDictionary
		width := max(1, bits.Len(uint(c.dict.Len()-1)))
		page = append(page, byte(width))
		page = appendHybrid(page, c.idx, width)
		c.dictPages++
	default:
		page = append(page, c.plain[plainHead:]...)
		page = appendBoolsPlain(page, c.bools)
		c.plainPages++
	}
	h := format.PageHeader{Type: format.DataPage}
	h.DataPageHeader.Set(format.DataPageHeader{
		NumValues:               int32(c.pageRows),
		Encoding:                enc,
		DefinitionLevelEncoding: format.RLE,
		RepetitionLevelEncoding: format.RLE,
		Statistics:              format.Statistics{NullCount: int64(c.pageNulls)},
	})
	hdr, body, err := pw.compressPage(c, &h, page)
	if err != nil {
		return err
	}
	c.pages = append(c.pages, hdr...)
	c.pages = append(c.pages, body...)
	c.uncompressed += int64(len(hdr) + len(page))
	c.values += int64(c.pageRows)
	c.nulls += int64(c.pageNulls)
	c.levels, c.plain, c.bools, c.idx = c.levels[:0], c.plain[:plainHead], c.bools[:0], c.idx[:0]
	c.pageRows, c.pageNulls = 0, 0
	if !inPlace {
		pw.page = page
	}
	return nil
}

// compressPage compresses a page of column c with c's codec and returns
// the page's header, encoded, and its body: pw.comp, or page itself when c
// is stored uncompressed.
//
// c's first page decides c's codec for the whole file: when it is at least
// decideBytes long and the writer's codec saves less than an eighth of it,
// every chunk of c is stored uncompressed. Random identifiers and
// dictionary indices gain a few percent from snappy for a third of silver's
// compression time; readers then copy instead of decoding. Parquet keeps a
// codec per column chunk, but a column keeps one codec in all the file's row
// groups: parquet-go (our reader's) decodes every chunk of a column with its
// first chunk's codec.
func (pw *Writer) compressPage(c *chunkWriter, h *format.PageHeader, page []byte) (hdr, body []byte, err error) {
	body = page
	if c.codec != format.Uncompressed {
		comp, err := pw.codec.compress(pw.comp, page)
		if err != nil {
			return nil, nil, err
		}
		pw.comp, body = comp, comp
		if !c.codecSet {
			// The column's first page, in the first row group.
			c.codecSet = true
			if len(page) >= decideBytes && len(comp) > len(page)-len(page)/8 {
				c.codec, body = format.Uncompressed, page
			}
		}
	}
	h.UncompressedPageSize = int32(len(page))
	h.CompressedPageSize = int32(len(body))
	h.CRC = int32(crc32.ChecksumIEEE(body))
	hdr, err = thrift.Marshal(new(thrift.CompactProtocol), h)
	if err != nil {
		return nil, nil, fmt.Errorf("encode page header: %w", err)
	}
	return hdr, body, nil
}

// decideBytes is the least size of a column's first page that can turn
// its codec off (compressPage): smaller pages say too little about it.
const decideBytes = 8 << 10

// writeChunk writes the row group's column chunk (dictionary page first)
// and returns its metadata; the chunk is then reset for the next row group.
func (c *chunkWriter) writeChunk(pw *Writer) (format.ColumnChunk, error) {
	start := pw.out.n
	md := format.ColumnMetaData{
		Type:         c.phys,
		PathInSchema: []string{c.field.Name},
		Codec:        c.codec,
		NumValues:    c.values,
	}
	if c.dictPages > 0 {
		dict := appendDictPage(pw.page[:0], c.dict)
		h := format.PageHeader{Type: format.DictionaryPage}
		h.DictionaryPageHeader.Set(format.DictionaryPageHeader{NumValues: int32(c.dict.Len()), Encoding: format.Plain})
		pw.page = dict
		hdr, body, err := pw.compressPage(c, &h, dict)
		if err != nil {
			return format.ColumnChunk{}, err
		}
		c.uncompressed += int64(len(hdr) + len(dict))
		md.DictionaryPageOffset = start
		if err := pw.writeFile(hdr); err != nil {
			return format.ColumnChunk{}, err
		}
		if err := pw.writeFile(body); err != nil {
			return format.ColumnChunk{}, err
		}
		md.Encoding = append(md.Encoding, format.Plain, format.RLE, format.RLEDictionary)
		md.EncodingStats = append(md.EncodingStats,
			format.PageEncodingStats{PageType: format.DictionaryPage, Encoding: format.Plain, Count: 1},
			format.PageEncodingStats{PageType: format.DataPage, Encoding: format.RLEDictionary, Count: c.dictPages})
		if c.plainPages > 0 {
			md.EncodingStats = append(md.EncodingStats, format.PageEncodingStats{PageType: format.DataPage, Encoding: format.Plain, Count: c.plainPages})
		}
	} else {
		md.Encoding = append(md.Encoding, format.Plain, format.RLE)
		md.EncodingStats = append(md.EncodingStats, format.PageEncodingStats{PageType: format.DataPage, Encoding: format.Plain, Count: c.plainPages})
	}
	md.DataPageOffset = pw.out.n
	if err := pw.writeFile(c.pages); err != nil {
		return format.ColumnChunk{}, err
	}
	md.TotalCompressedSize = pw.out.n - start
	md.TotalUncompressedSize = c.uncompressed
	md.Statistics = format.Statistics{NullCount: c.nulls}
	if c.bounds && c.chunk.has && !c.chunkNaN {
		md.Statistics.MinValue, md.Statistics.MaxValue = c.chunk.plain(c.phys)
		if c.phys != format.ByteArray {
			// The deprecated fields, for old readers: signed order, which
			// is the type order of every non-binary column we write.
			md.Statistics.Min, md.Statistics.Max = md.Statistics.MinValue, md.Statistics.MaxValue
		}
	}
	c.file.merge(&c.chunk, c.phys)
	c.fileNulls += c.nulls
	c.pages, c.uncompressed, c.values, c.nulls = c.pages[:0], 0, 0, 0
	c.plainPages, c.dictPages = 0, 0
	c.chunk, c.chunkNaN = valueBounds{minB: c.chunk.minB[:0], maxB: c.chunk.maxB[:0]}, false
	if c.dict != nil {
		c.dict.Reset()
		c.fallback = false
		for i := range c.codeMaps {
			c.codeMaps[i].idx = c.codeMaps[i].idx[:0]
		}
		if len(c.codeMaps) > maxCodeMaps {
			c.codeMaps = nil // producers that make a Dict a batch
		}
	}
	return format.ColumnChunk{FileOffset: start, MetaData: md}, nil
}

// valueBounds are the min and max of a column's values: integers (and
// booleans) in minI/maxI, floats in minF/maxF, byte arrays in minB/maxB.
type valueBounds struct {
	has        bool
	minI, maxI int64
	minF, maxF float64
	minB, maxB []byte
}

func (b *valueBounds) addInt(x int64) {
	if !b.has {
		b.has, b.minI, b.maxI = true, x, x
		return
	}
	b.minI, b.maxI = min(b.minI, x), max(b.maxI, x)
}

func (b *valueBounds) addFloat(x float64) {
	if !b.has {
		b.has, b.minF, b.maxF = true, x, x
		return
	}
	if x < b.minF {
		b.minF = x
	}
	if x > b.maxF {
		b.maxF = x
	}
}

func (b *valueBounds) addBytes(v []byte) {
	if !b.has {
		b.has = true
		b.minB = append(b.minB[:0], v...)
		b.maxB = append(b.maxB[:0], v...)
		return
	}
	if bytes.Compare(v, b.minB) < 0 {
		b.minB = append(b.minB[:0], v...)
	} else if bytes.Compare(v, b.maxB) > 0 {
		b.maxB = append(b.maxB[:0], v...)
	}
}

// merge folds o, the bounds of a column of physical type t, into b.
func (b *valueBounds) merge(o *valueBounds, t format.Type) {
	if !o.has {
		return
	}
	switch t {
	case format.Float, format.Double:
		b.addFloat(o.minF)
		b.addFloat(o.maxF)
	case format.ByteArray:
		b.addBytes(o.minB)
		b.addBytes(o.maxB)
	default:
		b.addInt(o.minI)
		b.addInt(o.maxI)
	}
}

// plain returns the bounds PLAIN-encoded for physical type t. A zero
// float bound is written -0.0 as min and +0.0 as max, as the Parquet
// specification asks.
func (b *valueBounds) plain(t format.Type) (lo, hi []byte) {
	switch t {
	case format.Boolean:
		return []byte{byte(b.minI)}, []byte{byte(b.maxI)}
	case format.Int32:
		return binary.LittleEndian.AppendUint32(nil, uint32(int32(b.minI))), binary.LittleEndian.AppendUint32(nil, uint32(int32(b.maxI)))
	case format.Int64:
		return binary.LittleEndian.AppendUint64(nil, uint64(b.minI)), binary.LittleEndian.AppendUint64(nil, uint64(b.maxI))
	case format.Float:
		lo32, hi32 := float32(b.minF), float32(b.maxF)
		if lo32 == 0 {
			lo32 = float32(math.Copysign(0, -1))
		}
		if hi32 == 0 {
			hi32 = 0
		}
		return binary.LittleEndian.AppendUint32(nil, math.Float32bits(lo32)), binary.LittleEndian.AppendUint32(nil, math.Float32bits(hi32))
	case format.Double:
		lo64, hi64 := b.minF, b.maxF
		if lo64 == 0 {
			lo64 = math.Copysign(0, -1)
		}
		if hi64 == 0 {
			hi64 = 0
		}
		return binary.LittleEndian.AppendUint64(nil, math.Float64bits(lo64)), binary.LittleEndian.AppendUint64(nil, math.Float64bits(hi64))
	}
	return slices.Clone(b.minB), slices.Clone(b.maxB)
}

// appendFooter appends a file's end to dst: the footer md, its length and
// the closing magic.
func appendFooter(dst []byte, md *format.FileMetaData) ([]byte, error) {
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), md)
	if err != nil {
		return nil, err
	}
	dst = append(dst, footer...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(footer)))
	return append(dst, magic...), nil
}
