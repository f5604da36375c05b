package parquetio

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// foreignColumn is one column of the files TestReadForeignWriterMatrix
// writes with parquet-go's own writer, as other writers (Spark's
// parquet-mr with writer version v2, arrow-rs, DuckDB) may: its node, and
// the encodings it may take, by the name of an encoding set.
type foreignColumn struct {
	name     string
	node     parquet.Node
	optional bool
	enc      map[string]encoding.Encoding // by encoding set; absent: the default
	value    func(r *rand.Rand, row int) parquet.Value
	want     func(v parquet.Value) any // the value our reader must return
}

func foreignColumns() []foreignColumn {
	words := []string{"", "a", "page_view", "héllo wörld", "checkout_started", "x\x00y", "0123456789abcdefghij"}
	str := func(r *rand.Rand, row int) []byte {
		if row%5 == 0 { // some long, some unique values: dictionaries and prefixes vary
			return fmt.Appendf(nil, "unique-%d-%s", row, words[r.IntN(len(words))])
		}
		return []byte(words[r.IntN(len(words))])
	}
	asInt := func(v parquet.Value) any { return v.Int64() }
	return []foreignColumn{
		{name: "a_bool", node: parquet.Leaf(parquet.BooleanType), optional: true,
			enc:   map[string]encoding.Encoding{"delta": &parquet.RLE},
			value: func(r *rand.Rand, _ int) parquet.Value { return parquet.BooleanValue(r.IntN(3) == 0) },
			want:  func(v parquet.Value) any { return v.Boolean() }},
		{name: "b_i32", node: parquet.Int(32), optional: true,
			enc: map[string]encoding.Encoding{"plain": &parquet.Plain, "dict": &parquet.RLEDictionary, "delta": &parquet.DeltaBinaryPacked},
			value: func(r *rand.Rand, row int) parquet.Value {
				return parquet.Int32Value(int32(r.IntN(2000) - 1000 + row%3*math.MaxInt32/3))
			},
			want: asInt},
		{name: "c_i64", node: parquet.Int(64), optional: true,
			enc: map[string]encoding.Encoding{"plain": &parquet.Plain, "dict": &parquet.RLEDictionary, "delta": &parquet.DeltaBinaryPacked},
			value: func(r *rand.Rand, row int) parquet.Value {
				return parquet.Int64Value(int64(row)*1_000_003 - r.Int64N(1<<40))
			},
			want: asInt},
		{name: "d_f32", node: parquet.Leaf(parquet.FloatType), optional: true,
			enc:   map[string]encoding.Encoding{"plain": &parquet.Plain, "dict": &parquet.RLEDictionary, "delta": &parquet.ByteStreamSplit},
			value: func(r *rand.Rand, _ int) parquet.Value { return parquet.FloatValue(float32(r.IntN(100)) / 8) },
			want:  func(v parquet.Value) any { return float64(v.Float()) }},
		{name: "e_f64", node: parquet.Leaf(parquet.DoubleType), optional: true,
			enc:   map[string]encoding.Encoding{"plain": &parquet.Plain, "dict": &parquet.RLEDictionary, "delta": &parquet.ByteStreamSplit},
			value: func(r *rand.Rand, _ int) parquet.Value { return parquet.DoubleValue(r.NormFloat64() * 1e6) },
			want:  func(v parquet.Value) any { return v.Double() }},
		{name: "f_str", node: parquet.String(), optional: true,
			enc:   map[string]encoding.Encoding{"plain": &parquet.Plain, "dict": &parquet.RLEDictionary, "delta": &parquet.DeltaByteArray},
			value: func(r *rand.Rand, row int) parquet.Value { return parquet.ByteArrayValue(str(r, row)) },
			want:  func(v parquet.Value) any { return string(v.ByteArray()) }},
		{name: "g_bin", node: parquet.Leaf(parquet.ByteArrayType), optional: true,
			enc:   map[string]encoding.Encoding{"plain": &parquet.Plain, "dict": &parquet.RLEDictionary, "delta": &parquet.DeltaLengthByteArray},
			value: func(r *rand.Rand, row int) parquet.Value { return parquet.ByteArrayValue(str(r, row)) },
			want:  func(v parquet.Value) any { return append([]byte(nil), v.ByteArray()...) }},
		{name: "h_date", node: parquet.Date(), optional: true,
			enc:   map[string]encoding.Encoding{"plain": &parquet.Plain, "dict": &parquet.RLEDictionary, "delta": &parquet.DeltaBinaryPacked},
			value: func(r *rand.Rand, _ int) parquet.Value { return parquet.Int32Value(int32(20000 + r.IntN(60))) },
			want:  asInt},
		{name: "i_ts", node: parquet.Timestamp(parquet.Microsecond), optional: true,
			enc: map[string]encoding.Encoding{"plain": &parquet.Plain, "dict": &parquet.RLEDictionary, "delta": &parquet.DeltaBinaryPacked},
			value: func(r *rand.Rand, row int) parquet.Value {
				return parquet.Int64Value(1_764_000_000_000_000 + int64(row)*1_000_117 + r.Int64N(1000))
			},
			want: asInt},
		{name: "j_dec", node: parquet.Decimal(2, 18, parquet.Int64Type), optional: true,
			enc:   map[string]encoding.Encoding{"plain": &parquet.Plain, "dict": &parquet.RLEDictionary, "delta": &parquet.DeltaBinaryPacked},
			value: func(r *rand.Rand, _ int) parquet.Value { return parquet.Int64Value(r.Int64N(10_000_000) - 100) },
			want:  asInt},
		{name: "k_req", node: parquet.Int(64),
			enc:   map[string]encoding.Encoding{"plain": &parquet.Plain, "dict": &parquet.RLEDictionary, "delta": &parquet.DeltaBinaryPacked},
			value: func(_ *rand.Rand, row int) parquet.Value { return parquet.Int64Value(int64(row)) },
			want:  asInt},
	}
}

// writeForeign writes rows of cols with parquet-go's writer under the given
// codec, encoding set and data page version, in small pages and several row
// groups, and returns the file and the values our reader must return.
func writeForeign(t testing.TB, cols []foreignColumn, codec compress.Codec, encSet string, pageVersion, rows int) ([]byte, [][]any) {
	t.Helper()
	group := parquet.Group{}
	for _, c := range cols {
		n := c.node
		if e := c.enc[encSet]; e != nil {
			n = parquet.Encoded(n, e)
		}
		if c.optional {
			n = parquet.Optional(n)
		}
		group[c.name] = parquet.Compressed(n, codec)
	}
	schema := parquet.NewSchema("spark_schema", group)
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, schema, parquet.DataPageVersion(pageVersion), parquet.PageBufferSize(2<<10), parquet.MaxRowsPerRowGroup(400))
	r := rand.New(rand.NewPCG(uint64(pageVersion), uint64(len(encSet))))
	want := make([][]any, rows)
	batch := make([]parquet.Row, 0, 64)
	for i := range rows {
		row := make(parquet.Row, len(cols))
		want[i] = make([]any, len(cols))
		for ci, c := range cols { // the group's columns are in name order, as cols
			switch {
			case c.optional && (i*7+ci)%9 == 4 || c.optional && i >= rows-40 && ci%2 == 0:
				row[ci] = parquet.NullValue().Level(0, 0, ci)
			default:
				v := c.value(r, i)
				want[i][ci] = c.want(v)
				def := 0
				if c.optional {
					def = 1
				}
				row[ci] = v.Level(0, def, ci)
			}
		}
		if batch = append(batch, row); len(batch) == cap(batch) || i == rows-1 {
			if _, err := w.WriteRows(batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), want
}

// TestReadForeignWriterMatrix reads files written by another writer
// (parquet-go's own, configured as Spark with parquet.writer.version=v2,
// arrow-rs or DuckDB may write): data pages v1 and v2; every codec Parquet
// names but LZO and the deprecated Hadoop LZ4; PLAIN, dictionary, and the
// DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY,
// BYTE_STREAM_SPLIT and RLE (booleans) encodings; nulls at page and batch
// bounds, a null-only tail, several row groups. Each file is read in
// batches that do not divide the pages, with and without AliasPages, and
// must give back exactly the values written.
func TestReadForeignWriterMatrix(t *testing.T) {
	cols := foreignColumns()
	codecs := []compress.Codec{&parquet.Uncompressed, &parquet.Snappy, &parquet.Gzip, &parquet.Brotli, &parquet.Zstd, &parquet.Lz4Raw}
	const rows = 1000
	for _, codec := range codecs {
		for _, encSet := range []string{"default", "plain", "dict", "delta"} {
			for _, pageVersion := range []int{1, 2} {
				name := fmt.Sprintf("%s/%s/v%d", codec.CompressionCodec(), encSet, pageVersion)
				t.Run(name, func(t *testing.T) {
					data, want := writeForeign(t, cols, codec, encSet, pageVersion, rows)
					f, err := Open(bytes.NewReader(data), int64(len(data)))
					if err != nil {
						t.Fatal(err)
					}
					if n := len(f.Parquet().RowGroups()); n < 2 {
						t.Fatalf("%d row groups, want several", n)
					}
					for _, alias := range []bool{false, true} {
						got := readForeign(t, f, alias)
						if diff := cmp.Diff(want, got); diff != "" {
							t.Fatalf("AliasPages %v (-want +got):\n%s", alias, diff)
						}
					}
				})
			}
		}
	}
}

// readForeign reads every row of f, 97 rows a batch, as Go values.
func readForeign(t *testing.T, f *File, alias bool) [][]any {
	t.Helper()
	r, err := f.NewReader(nil, ReaderOptions{BatchRows: 97, AliasPages: alias})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b := column.NewBatch(r.Schema(), 97)
	var out [][]any
	for {
		b.Reset()
		err := r.Next(b)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := range b.Len() {
			row := make([]any, len(b.Cols))
			for c, col := range b.Cols {
				row[c] = col.Value(i)
			}
			out = append(out, row)
		}
	}
}

// foreignPoint and foreignNested are the rows of TestReadForeignNested.
type foreignPoint struct {
	X int64  `parquet:"x"`
	Y string `parquet:"y,optional"`
}

type foreignNested struct {
	ID    int64            `parquet:"id"`
	Tags  []string         `parquet:"tags,list"`
	Nums  []int64          `parquet:"nums,list,optional"`
	Attrs map[string]int32 `parquet:"attrs"`
	Pt    *foreignPoint    `parquet:"pt,optional"`
}

// TestReadForeignNested reads lists (required and optional), maps and an
// optional struct written by parquet-go's writer, in three codecs and both
// data page versions, with small pages and several row groups.
func TestReadForeignNested(t *testing.T) {
	for _, codec := range []compress.Codec{&parquet.Snappy, &parquet.Zstd, &parquet.Lz4Raw} {
		for _, v := range []int{1, 2} {
			r := rand.New(rand.NewPCG(1, 2))
			var rows []foreignNested
			for i := range 700 {
				row := foreignNested{ID: int64(i)}
				for range r.IntN(4) {
					row.Tags = append(row.Tags, fmt.Sprint("t", r.IntN(9)))
				}
				if r.IntN(3) > 0 {
					row.Nums = []int64{}
					for range r.IntN(3) {
						row.Nums = append(row.Nums, r.Int64N(1000))
					}
				}
				if r.IntN(2) == 0 {
					row.Attrs = map[string]int32{fmt.Sprint("k", i%5): int32(i)}
				}
				if r.IntN(3) > 0 {
					row.Pt = &foreignPoint{X: int64(i * 3), Y: fmt.Sprint("y", i%4)}
				}
				rows = append(rows, row)
			}
			var buf bytes.Buffer
			w := parquet.NewGenericWriter[foreignNested](&buf, parquet.Compression(codec), parquet.DataPageVersion(v), parquet.PageBufferSize(1024), parquet.MaxRowsPerRowGroup(300))
			if _, err := w.Write(rows); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			data := buf.Bytes()
			f, err := Open(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			rd, err := f.NewReader(nil, ReaderOptions{BatchRows: 97})
			if err != nil {
				t.Fatal(err)
			}
			b := column.NewBatch(rd.Schema(), 97)
			var got [][]any
			for {
				b.Reset()
				if err := rd.Next(b); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				for i := range b.Len() {
					var row []any
					for _, c := range b.Cols {
						row = append(row, c.Value(i))
					}
					got = append(got, row)
				}
			}
			var want [][]any
			for _, row := range rows {
				var w []any
				w = append(w, row.ID)
				tags := []any{}
				for _, s := range row.Tags {
					tags = append(tags, s)
				}
				w = append(w, tags)
				if row.Nums == nil {
					w = append(w, nil)
				} else {
					n := []any{}
					for _, x := range row.Nums {
						n = append(n, x)
					}
					w = append(w, n)
				}
				m := column.MapValue{}
				for k, v := range row.Attrs {
					m = append(m, column.MapEntry{Key: k, Value: int64(v)})
				}
				w = append(w, m)
				if row.Pt == nil {
					w = append(w, nil)
				} else {
					w = append(w, column.StructValue{row.Pt.X, row.Pt.Y})
				}
				want = append(want, w)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s v%d:\n%s", codec, v, diff[:min(len(diff), 3000)])
			}
		}
	}
}
