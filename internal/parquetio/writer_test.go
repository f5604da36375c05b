package parquetio

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// TestAppendHybridDecodes checks the RLE/bit-packing hybrid encoder against
// parquet-go's decoder over bit widths, lengths around the group and run
// limits, and value shapes that give RLE runs, bit-packed runs and both.
func TestAppendHybridDecodes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, width := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 31, 32} {
		mask := uint32(1<<width - 1)
		for _, n := range []int{1, 7, 8, 9, 63, 64, 65, 504, 505, 1000, 5000} {
			for _, shape := range []string{"random", "runs", "constant", "alternating"} {
				vals := make([]uint32, n)
				for i := range vals {
					switch shape {
					case "random":
						vals[i] = rng.Uint32() & mask
					case "runs":
						vals[i] = uint32(i/(1+i%13)) & mask
					case "constant":
						vals[i] = mask
					case "alternating":
						vals[i] = uint32(i%2) & mask
					}
				}
				enc := appendHybrid(nil, vals, width)
				got, err := (&rle.Encoding{BitWidth: width}).DecodeInt32(nil, enc)
				if err != nil {
					t.Fatalf("width %d n %d %s: %v", width, n, shape, err)
				}
				if len(got) < n || len(got) >= n+8 {
					t.Fatalf("width %d n %d %s: decoded %d values", width, n, shape, len(got))
				}
				for i, v := range vals {
					if uint32(got[i]) != v {
						t.Fatalf("width %d n %d %s: value %d = %d, want %d", width, n, shape, i, got[i], v)
					}
				}
			}
		}
	}
	// Levels (uint8) take the same path.
	levels := []uint8{1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1}
	got, err := (&rle.Encoding{BitWidth: 1}).DecodeLevels(nil, appendHybrid(nil, levels, 1))
	if err != nil || !slices.Equal(got[:len(levels)], levels) {
		t.Fatalf("levels: got %v (%v), want %v", got, err, levels)
	}
}

// walkFile checks the layout of a Parquet file the way a strict reader
// would: magic at both ends, each column chunk's pages contiguous from its
// dictionary (or first data) page for exactly TotalCompressedSize bytes,
// each page's CRC-32, values and uncompressed sizes adding up to the chunk's
// metadata. It returns the footer.
func walkFile(t *testing.T, data []byte) *format.FileMetaData {
	t.Helper()
	if !bytes.HasPrefix(data, magic) || !bytes.HasSuffix(data, magic) {
		t.Fatal("missing PAR1 magic")
	}
	md := footerOf(t, data)
	var rows int64
	for gi, rg := range md.RowGroups {
		rows += rg.NumRows
		var total int64
		for ci, cc := range rg.Columns {
			m := cc.MetaData
			where := fmt.Sprintf("row group %d column %s", gi, m.PathInSchema)
			if m.NumValues != rg.NumRows {
				t.Errorf("%s: %d values in %d rows", where, m.NumValues, rg.NumRows)
			}
			start := m.DataPageOffset
			if m.DictionaryPageOffset > 0 {
				start = m.DictionaryPageOffset
			}
			if cc.FileOffset != start {
				t.Errorf("%s: file offset %d, chunk starts at %d", where, cc.FileOffset, start)
			}
			if ci == 0 && rg.FileOffset != start {
				t.Errorf("%s: row group offset %d, first chunk at %d", where, rg.FileOffset, start)
			}
			r := bytes.NewReader(data[start : start+m.TotalCompressedSize])
			var values, uncompressed int64
			first := true
			for r.Len() > 0 {
				var h format.PageHeader
				before := r.Len()
				if err := thrift.NewDecoder(new(thrift.CompactProtocol).NewReader(r)).Decode(&h); err != nil {
					t.Fatalf("%s: page header: %v", where, err)
				}
				body := make([]byte, h.CompressedPageSize)
				if _, err := io.ReadFull(r, body); err != nil {
					t.Fatalf("%s: page body: %v", where, err)
				}
				uncompressed += int64(before-r.Len()) - int64(h.CompressedPageSize) + int64(h.UncompressedPageSize)
				if m.Codec == format.Uncompressed && h.CompressedPageSize != h.UncompressedPageSize {
					t.Errorf("%s: uncompressed chunk has a page of %d bytes holding %d", where, h.CompressedPageSize, h.UncompressedPageSize)
				}
				if got := int32(crc32.ChecksumIEEE(body)); got != h.CRC {
					t.Errorf("%s: page CRC %x, header says %x", where, got, h.CRC)
				}
				switch h.Type {
				case format.DictionaryPage:
					if !first || m.DictionaryPageOffset == 0 {
						t.Errorf("%s: dictionary page not first, or not in the metadata", where)
					}
				case format.DataPage:
					dp, _ := h.DataPageHeader.Get()
					values += int64(dp.NumValues)
					if first && m.DictionaryPageOffset > 0 {
						t.Errorf("%s: dictionary page offset set, first page is a data page", where)
					}
					if first && m.DataPageOffset != start {
						t.Errorf("%s: data page offset %d, first page at %d", where, m.DataPageOffset, start)
					}
				default:
					t.Errorf("%s: page type %v", where, h.Type)
				}
				if h.Type == format.DictionaryPage && m.DataPageOffset != start+m.TotalCompressedSize-int64(r.Len()) {
					t.Errorf("%s: data page offset %d, dictionary page ends at %d", where, m.DataPageOffset, start+m.TotalCompressedSize-int64(r.Len()))
				}
				first = false
			}
			if values != m.NumValues {
				t.Errorf("%s: pages hold %d values, metadata %d", where, values, m.NumValues)
			}
			if uncompressed != m.TotalUncompressedSize {
				t.Errorf("%s: pages hold %d uncompressed bytes, metadata %d", where, uncompressed, m.TotalUncompressedSize)
			}
			total += m.TotalCompressedSize
		}
		if total != rg.TotalCompressedSize {
			t.Errorf("row group %d: chunks hold %d bytes, metadata %d", gi, total, rg.TotalCompressedSize)
		}
	}
	if rows != md.NumRows {
		t.Errorf("row groups hold %d rows, footer %d", rows, md.NumRows)
	}
	return md
}

func writeFile(t testing.TB, b *column.Batch, opts WriterOptions) (*Writer, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, b.Schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w, buf.Bytes()
}

// readAll reads a file back with parquet-go's generic row reader (not our
// reader's page-array path), as values.
func readAll(t *testing.T, data []byte) [][]any {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]any
	r := parquet.NewReader(f)
	rows := make([]parquet.Row, 100)
	for {
		n, err := r.ReadRows(rows)
		for _, row := range rows[:n] {
			var vals []any
			for _, v := range row {
				switch {
				case v.IsNull():
					vals = append(vals, nil)
				case v.Kind() == parquet.ByteArray:
					vals = append(vals, string(v.ByteArray()))
				case v.Kind() == parquet.Int64:
					vals = append(vals, v.Int64())
				case v.Kind() == parquet.Int32:
					vals = append(vals, int64(v.Int32()))
				case v.Kind() == parquet.Double:
					vals = append(vals, v.Double())
				case v.Kind() == parquet.Boolean:
					vals = append(vals, v.Boolean())
				default:
					vals = append(vals, v.String())
				}
			}
			out = append(out, vals)
		}
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// checkRows reads the file back with readAll and compares its rows with
// want, stopping at the first difference.
func checkRows(t *testing.T, data []byte, want [][]any) {
	t.Helper()
	got := readAll(t, data)
	if len(got) != len(want) {
		t.Fatalf("read %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("row %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// TestWriterDictionaryFallback writes a dictionary column that passes the
// dictionary limit inside a row group, with nulls and all-null pages: the
// chunk holds RLE_DICTIONARY pages, then PLAIN pages, and reads back whole.
func TestWriterDictionaryFallback(t *testing.T) {
	s := &column.Schema{Fields: []column.Field{
		{Name: "k", Type: column.TypeString, Nullable: true},
		{Name: "n", Type: column.TypeLong, Nullable: false},
	}}
	b := column.NewBatch(s, 0)
	var want [][]any
	for i := range 200_000 {
		var v any
		switch {
		case i >= 1000 && i < 3000: // whole pages of nulls in dictionary mode
			b.Cols[0].AppendNull()
		case i < 100_000:
			v = fmt.Sprintf("low-%d", i%37)
		default:
			v = fmt.Sprintf("high-%07d-padding-padding", i) // 100K distinct: passes 1 MiB
		}
		if v != nil {
			b.Cols[0].AppendString(v.(string))
		}
		b.Cols[1].AppendInt(int64(i))
		want = append(want, []any{v, int64(i)})
	}
	for _, codec := range []string{"zstd", "snappy", "none"} {
		t.Run(codec, func(t *testing.T) {
			w, data := writeFile(t, b, WriterOptions{RowGroupRows: 150_000, PageBufferSize: 4 << 10, Codec: codec, Dictionary: []string{"k"}})
			md := walkFile(t, data)
			if len(md.RowGroups) != 2 {
				t.Fatalf("%d row groups, want 2", len(md.RowGroups))
			}
			var kinds []string
			for _, es := range md.RowGroups[0].Columns[0].MetaData.EncodingStats {
				kinds = append(kinds, fmt.Sprintf("%v/%v", es.PageType, es.Encoding))
			}
			if !slices.Contains(kinds, "DATA_PAGE/RLE_DICTIONARY") || !slices.Contains(kinds, "DATA_PAGE/PLAIN") || !slices.Contains(kinds, "DICTIONARY_PAGE/PLAIN") {
				t.Errorf("row group 0 pages %v: want dictionary pages, then PLAIN after the fallback", kinds)
			}
			// The second row group starts a new dictionary, which fills again.
			if st := md.RowGroups[1].Columns[0].MetaData.EncodingStats; len(st) != 3 {
				t.Errorf("row group 1 page kinds %v", st)
			}
			checkRows(t, data, want)
			st := w.Stats()
			if st[0].NullCount != 2000 || string(st[0].Min) != "high-0100000-padding-padding" || string(st[0].Max) != "low-9" {
				t.Errorf("stats of k: nulls %d, min %q, max %q", st[0].NullCount, st[0].Min, st[0].Max)
			}
		})
	}
}

// TestWriterIncompressibleColumns checks the codec chosen per column: a
// column of random bytes, and a dictionary column of random codes (with its
// dictionary page), are stored uncompressed; a repetitive column keeps the
// file's codec; a column whose pages are all under decideBytes keeps it
// too, compressible or not. A dictionary column that falls back to PLAIN
// after a small first page keeps the codec: a chunk's pages share one. So
// does a column whose first row group is all nulls (a small first page)
// and whose later ones are random: every chunk of a column has the same
// codec, which parquet-go's reader assumes. The file reads back whole.
func TestWriterIncompressibleColumns(t *testing.T) {
	s := &column.Schema{Fields: []column.Field{
		{Name: "random", Type: column.TypeBinary, Nullable: true},
		{Name: "text", Type: column.TypeString},
		{Name: "repeats", Type: column.TypeLong},
		{Name: "coded", Type: column.TypeString, Nullable: true},
		{Name: "flag", Type: column.TypeBoolean},
		{Name: "spill", Type: column.TypeString},
		{Name: "late", Type: column.TypeBinary, Nullable: true},
	}}
	rng := rand.New(rand.NewPCG(1, 2))
	b := column.NewBatch(s, 0)
	var want [][]any
	const n, groupRows = 60_000, 20_000
	random := func(n int) []byte {
		r := make([]byte, n)
		for j := range r {
			r[j] = byte(rng.Uint32())
		}
		return r
	}
	for i := range n {
		r := random(48)
		// 10 values of 120 KB pass the dictionary's 1 MiB at the start of
		// every row group: a page of 9 indices, then PLAIN pages.
		spill := random(48)
		if i%groupRows < 10 {
			spill = random(120 << 10)
		}
		b.Cols[5].AppendBytes(spill)
		var late any
		if i >= groupRows {
			l := random(48)
			b.Cols[6].AppendBytes(l)
			late = string(l)
		} else {
			b.Cols[6].AppendNull()
		}
		var coded any
		if rng.IntN(5) != 0 {
			coded = fmt.Sprint(rng.IntN(50))
			b.Cols[3].AppendString(coded.(string))
		} else {
			b.Cols[3].AppendNull()
		}
		b.Cols[0].AppendBytes(r)
		text := fmt.Sprintf("the same words again and again, row %d", i/100)
		b.Cols[1].AppendString(text)
		b.Cols[2].AppendInt(int64(i % 3))
		flag := rng.IntN(2) == 0
		b.Cols[4].AppendBool(flag)
		want = append(want, []any{string(r), text, int64(i % 3), coded, flag, string(spill), late})
	}
	for _, tt := range []struct{ codec, name string }{{"snappy", "SNAPPY"}, {"zstd", "ZSTD"}, {"none", "UNCOMPRESSED"}} {
		t.Run(tt.codec, func(t *testing.T) {
			_, data := writeFile(t, b, WriterOptions{RowGroupRows: groupRows, PageBufferSize: 64 << 10, Codec: tt.codec, Dictionary: []string{"coded", "spill"}})
			md := walkFile(t, data)
			if len(md.RowGroups) != n/groupRows {
				t.Fatalf("%d row groups, want %d", len(md.RowGroups), n/groupRows)
			}
			// flag's pages: 20,000 bits, 2.5 KB.
			wantCodec := map[string]string{"random": "UNCOMPRESSED", "text": tt.name, "repeats": tt.name, "coded": "UNCOMPRESSED", "flag": tt.name, "spill": tt.name, "late": tt.name}
			for gi, rg := range md.RowGroups {
				for _, cc := range rg.Columns {
					name := cc.MetaData.PathInSchema[0]
					if got := cc.MetaData.Codec.String(); got != wantCodec[name] {
						t.Errorf("row group %d column %s: codec %s, want %s", gi, name, got, wantCodec[name])
					}
					if name == "coded" && cc.MetaData.DictionaryPageOffset == 0 {
						t.Errorf("row group %d: coded has no dictionary page", gi)
					}
				}
			}
			checkRows(t, data, want)
		})
	}
}

// TestWriterStatistics checks the chunk statistics in the footer and the
// file bounds Stats returns: integers, doubles with ±0, NaN and ±Inf,
// booleans, strings, and columns left out of Bounds.
func TestWriterStatistics(t *testing.T) {
	s := &column.Schema{Fields: []column.Field{
		{Name: "i", Type: column.TypeInt, Nullable: true},
		{Name: "l", Type: column.TypeLong, Nullable: false},
		{Name: "zero", Type: column.TypeDouble, Nullable: true},
		{Name: "nan", Type: column.TypeDouble, Nullable: true},
		{Name: "inf", Type: column.TypeFloat, Nullable: true},
		{Name: "b", Type: column.TypeBoolean, Nullable: true},
		{Name: "s", Type: column.TypeString, Nullable: true},
		{Name: "skip", Type: column.TypeString, Nullable: true},
	}}
	b := column.NewBatch(s, 0)
	for i := range 1000 {
		if i%10 == 0 {
			b.Cols[0].AppendNull()
		} else {
			b.Cols[0].AppendInt(int64(i - 500))
		}
		b.Cols[1].AppendInt(int64(i) * 1e12)
		b.Cols[2].AppendFloat(float64(i%3) * 0) // 0 and -0 only
		if i == 500 {
			b.Cols[3].AppendFloat(math.NaN())
		} else {
			b.Cols[3].AppendFloat(float64(i))
		}
		if i == 7 {
			b.Cols[4].AppendFloat(math.Inf(-1))
		} else {
			b.Cols[4].AppendFloat(1.5)
		}
		b.Cols[5].AppendBool(i%2 == 1)
		b.Cols[6].AppendString(fmt.Sprintf("v%04d", (i*7919)%1000))
		b.Cols[7].AppendString("x")
	}
	names := []string{"i", "l", "zero", "nan", "inf", "b", "s"}
	w, data := writeFile(t, b, WriterOptions{RowGroupRows: 400, PageBufferSize: 256, Bounds: names, Dictionary: []string{"s"}})
	md := walkFile(t, data)
	st := w.Stats()
	le32 := func(x int32) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(x)) }
	le64 := func(x int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(x)) }
	f64 := func(x float64) []byte { return binary.LittleEndian.AppendUint64(nil, math.Float64bits(x)) }
	for _, c := range []struct {
		col      int
		nulls    int64
		min, max []byte
	}{
		{0, 100, le32(-499), le32(499)},
		{1, 0, le64(0), le64(999e12)},
		{2, 0, f64(math.Copysign(0, -1)), f64(0)},
		{3, 0, nil, nil}, // NaN: no bounds
		{4, 0, nil, nil}, // -Inf: no bounds in Stats (Spark orders them apart)
		{5, 0, []byte{0}, []byte{1}},
		{6, 0, []byte("v0000"), []byte("v0999")},
		{7, 0, nil, nil}, // not in Bounds
	} {
		got := st[c.col]
		if got.NullCount != c.nulls || got.HasBounds != (c.min != nil) || !bytes.Equal(got.Min, c.min) || !bytes.Equal(got.Max, c.max) {
			t.Errorf("Stats()[%s] = nulls %d bounds %v [%x, %x], want nulls %d [%x, %x]", s.Fields[c.col].Name, got.NullCount, got.HasBounds, got.Min, got.Max, c.nulls, c.min, c.max)
		}
	}
	// Chunk statistics: the NaN chunk has none, the other chunks of "nan"
	// and every chunk of "inf" have bounds; "skip" never does.
	for gi, rg := range md.RowGroups {
		for ci, cc := range rg.Columns {
			ms := cc.MetaData.Statistics
			has := ms.MinValue != nil
			want := ci != 7 && !(ci == 3 && gi == 1)
			if has != want {
				t.Errorf("row group %d column %s: bounds %v, want %v", gi, s.Fields[ci].Name, has, want)
			}
		}
	}
	if got := md.RowGroups[0].Columns[4].MetaData.Statistics.MinValue; !bytes.Equal(got, binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(math.Inf(-1))))) {
		t.Errorf("inf chunk min %x, want -Inf", got)
	}
}

// TestWriterEmptyAndErrors: a file without rows is valid; bad input is
// refused before anything is written, and the writer stays failed.
func TestWriterEmptyAndErrors(t *testing.T) {
	s := &column.Schema{Fields: []column.Field{{Name: "a", Type: column.TypeLong, Nullable: false}}}
	_, data := writeFile(t, column.NewBatch(s, 0), WriterOptions{})
	if md := walkFile(t, data); md.NumRows != 0 || len(md.RowGroups) != 0 {
		t.Errorf("empty file: %d rows in %d row groups", md.NumRows, len(md.RowGroups))
	}
	if got := readAll(t, data); len(got) != 0 {
		t.Errorf("empty file read %d rows", len(got))
	}

	b := column.NewBatch(s, 0)
	b.Cols[0].AppendInt(1)
	b.Cols[0].AppendNull()
	w, err := NewWriter(io.Discard, s, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(b); err == nil || !bytes.Contains([]byte(err.Error()), []byte("null in a non-nullable column at row 1")) {
		t.Errorf("null in a required column: error %v", err)
	}
	for _, opts := range []WriterOptions{
		{Codec: "lz4"},
		{Dictionary: []string{"nope"}},
		{Dictionary: []string{"a"}},
	} {
		if _, err := NewWriter(io.Discard, s, opts); err == nil {
			t.Errorf("NewWriter(%+v) succeeded", opts)
		}
	}
}

// failWriter fails after n bytes.
type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, fmt.Errorf("disk full")
	}
	f.n -= len(p)
	return len(p), nil
}

// TestWriterKeepsFailure: a failed write surfaces at the latest in Close
// (small writes are buffered), and once failed the writer stays failed.
func TestWriterKeepsFailure(t *testing.T) {
	s := &column.Schema{Fields: []column.Field{{Name: "a", Type: column.TypeLong, Nullable: false}}}
	for _, c := range []struct {
		name       string
		rows       int
		writeFails bool
	}{
		{"small: buffered, fails at Close", 100, false},
		{"large: fails in Write", 200_000, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := column.NewBatch(s, c.rows)
			for i := range c.rows {
				b.Cols[0].AppendInt(int64(i))
			}
			w, err := NewWriter(&failWriter{n: 10}, s, WriterOptions{RowGroupRows: 50_000, Codec: "none"})
			if err != nil {
				t.Fatal(err)
			}
			werr := w.Write(b)
			if (werr != nil) != c.writeFails {
				t.Fatalf("Write error %v, want failure %v", werr, c.writeFails)
			}
			if werr != nil {
				if err := w.Write(b); err == nil || err.Error() != werr.Error() {
					t.Errorf("second Write after a failure: %v, want %v", err, werr)
				}
			}
			if err := w.Close(); err == nil || !bytes.Contains([]byte(err.Error()), []byte("disk full")) {
				t.Errorf("Close: %v, want the write failure", err)
			}
		})
	}
}

// BenchmarkDictionaryIndex measures the writer's dictionary lookups of silver-like
// low-cardinality values (countries, cities, campaigns).
func BenchmarkDictionaryIndex(b *testing.B) {
	var vals [][]byte
	for i := range 4096 {
		vals = append(vals, []byte(fmt.Sprintf("%s-%d", []string{"US", "Berlin", "black_friday_sale", "mobile"}[i%4], i%61)))
	}
	d := column.NewDict()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, v := range vals {
			if _, ok := d.Code(v); !ok {
				b.Fatal("full")
			}
		}
		n += len(vals)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "values/s")
}

// TestReadAliasPages reads a file with AliasPages and without: the same
// rows, batches that end with pages, dictionary pages copied, and a batch
// appended to by its caller cannot corrupt the next one.
func TestReadAliasPages(t *testing.T) {
	s := &column.Schema{Fields: []column.Field{
		{Name: "raw", Type: column.TypeString, Nullable: true},
		{Name: "n", Type: column.TypeLong, Nullable: false},
		{Name: "tag", Type: column.TypeString, Nullable: true},
	}}
	b := column.NewBatch(s, 0)
	for i := range 20_000 {
		switch {
		case i%11 == 5:
			b.Cols[0].AppendNull()
		case i >= 12_000 && i < 14_000:
			b.Cols[0].AppendString(fmt.Sprintf("low-%d", i%5)) // a dictionary-encoded stretch
		default:
			b.Cols[0].AppendString(fmt.Sprintf(`{"event_id":"%08d","pad":"%s"}`, i, strings.Repeat("x", 60+i%97)))
		}
		b.Cols[1].AppendInt(int64(i))
		b.Cols[2].AppendString(fmt.Sprint(i % 3))
	}
	// raw is dictionary-encoded but falls back to PLAIN once its dictionary
	// passes 1 MiB; the second row group starts a new dictionary.
	_, data := writeFile(t, b, WriterOptions{RowGroupRows: 12_000, PageBufferSize: 8 << 10, Dictionary: []string{"raw", "tag"}})
	read := func(alias bool) ([][]any, int) {
		f, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		r, err := f.NewReader(s, ReaderOptions{BatchRows: 1000, AliasPages: alias})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		got := column.NewBatch(s, 1000)
		var out [][]any
		batches := 0
		for {
			err := r.Next(got)
			if err == io.EOF {
				return out, batches
			}
			if err != nil {
				t.Fatal(err)
			}
			batches++
			out = append(out, rows(got)...)
			got.Cols[0].AppendString("appended by the caller") // must not reach the page
		}
	}
	plain, plainBatches := read(false)
	aliased, aliasBatches := read(true)
	want := rows(b)
	if len(plain) != len(want) || len(aliased) != len(want) {
		t.Fatalf("read %d and %d rows, want %d", len(plain), len(aliased), len(want))
	}
	for i := range want {
		if !slices.Equal(plain[i], want[i]) || !slices.Equal(aliased[i], want[i]) {
			t.Fatalf("row %d: copied %v, aliased %v, want %v", i, plain[i], aliased[i], want[i])
		}
	}
	if aliasBatches <= plainBatches {
		t.Errorf("aliased reads made %d batches, copies %d: batches should end with pages", aliasBatches, plainBatches)
	}
}

// TestWriterRandomized writes random flat tables — random column types and
// nullability, null and value mixes (constant, low-cardinality, unique,
// long strings), dictionary choices, page and row group sizes, codecs —
// then checks the file's layout (walkFile), reads it back with and without
// AliasPages, and compares Stats with bounds computed from the rows.
func TestWriterRandomized(t *testing.T) {
	types := []*column.Type{column.TypeBoolean, column.TypeByte, column.TypeShort, column.TypeInt, column.TypeLong,
		column.TypeFloat, column.TypeDouble, column.TypeString, column.TypeBinary, column.TypeDate,
		column.TypeTimestamp, column.TypeTimestampNTZ, column.DecimalType(9, 2), column.DecimalType(18, 3)}
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		s := &column.Schema{}
		var dict []string
		for c := range 1 + rng.IntN(6) {
			f := column.Field{Name: fmt.Sprintf("c%d", c), Type: types[rng.IntN(len(types))], Nullable: rng.IntN(3) > 0}
			if (f.Type.Kind == column.String || f.Type.Kind == column.Binary) && rng.IntN(2) == 0 {
				dict = append(dict, f.Name)
			}
			s.Fields = append(s.Fields, f)
		}
		n := rng.IntN(5000)
		b := column.NewBatch(s, n)
		for _, f := range s.Fields {
			v := b.Cols[s.Index(f.Name)]
			nullRate := []float64{0, 0.01, 0.5, 1}[rng.IntN(4)]
			shape := rng.IntN(4) // 0 constant, 1 few values, 2 unique, 3 long
			for i := range n {
				if f.Nullable && rng.Float64() < nullRate {
					v.AppendNull()
					continue
				}
				x := int64(i)
				switch shape {
				case 0:
					x = 42
				case 1:
					x = int64(rng.IntN(7)) - 3
				case 3:
					x = rng.Int64() >> rng.IntN(64)
				}
				switch f.Type.Kind {
				case column.Boolean:
					v.AppendBool(x%2 == 0)
				case column.Byte:
					v.AppendInt(int64(int8(x)))
				case column.Short:
					v.AppendInt(int64(int16(x)))
				case column.Int, column.Date:
					v.AppendInt(int64(int32(x)))
				case column.Float:
					v.AppendFloat(float64(float32(x) / 8))
				case column.Double:
					v.AppendFloat(float64(x) / 3)
				case column.String, column.Binary:
					str := fmt.Sprint(x)
					if shape == 3 {
						str = strings.Repeat(str, 1+rng.IntN(40))
					}
					v.AppendString(str)
				case column.Decimal:
					if f.Type.Precision <= 9 {
						x = int64(int32(x) % 999_999_999)
					} else {
						x %= 999_999_999_999_999_999
					}
					v.AppendInt(x)
				default:
					v.AppendInt(x)
				}
			}
		}
		opts := WriterOptions{
			RowGroupRows:   1 + rng.IntN(3000),
			PageBufferSize: 64 + rng.IntN(8000),
			Codec:          []string{"zstd", "snappy", "none"}[rng.IntN(3)],
			Dictionary:     dict,
		}
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w, data := writeFile(t, b, opts)
			walkFile(t, data)
			want := rows(b)
			for _, alias := range []bool{false, true} {
				f, err := Open(bytes.NewReader(data), int64(len(data)))
				if err != nil {
					t.Fatal(err)
				}
				r, err := f.NewReader(s, ReaderOptions{BatchRows: 1 + rng.IntN(700), AliasPages: alias})
				if err != nil {
					t.Fatal(err)
				}
				got := column.NewBatch(s, 0)
				var all [][]any
				for {
					err := r.Next(got)
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					all = append(all, rows(got)...)
				}
				r.Close()
				if len(all) != len(want) {
					t.Fatalf("alias %v: read %d rows, want %d (%+v)", alias, len(all), len(want), opts)
				}
				for i := range want {
					if !reflect.DeepEqual(all[i], want[i]) {
						t.Fatalf("alias %v: row %d = %v, want %v (%+v)", alias, i, all[i], want[i], opts)
					}
				}
			}
			for ci, st := range w.Stats() {
				v := b.Cols[ci]
				var nulls int64
				var lo, hi []byte
				for i := range n {
					if v.IsNull(i) {
						nulls++
						continue
					}
					enc := plainValue(s.Fields[ci].Type, v, i)
					if lo == nil || comparePlainTest(s.Fields[ci].Type, enc, lo) < 0 {
						lo = enc
					}
					if hi == nil || comparePlainTest(s.Fields[ci].Type, enc, hi) > 0 {
						hi = enc
					}
				}
				if st.NullCount != nulls || st.HasBounds != (lo != nil) || (lo != nil && (comparePlainTest(s.Fields[ci].Type, st.Min, lo) != 0 || comparePlainTest(s.Fields[ci].Type, st.Max, hi) != 0)) {
					t.Errorf("column %s (%s): stats nulls %d bounds %v [%x, %x], want nulls %d [%x, %x]", s.Fields[ci].Name, s.Fields[ci].Type, st.NullCount, st.HasBounds, st.Min, st.Max, nulls, lo, hi)
				}
			}
		})
	}
}

// plainValue is row i of v PLAIN-encoded as Stats reports it.
func plainValue(t *column.Type, v *column.Vector, i int) []byte {
	switch t.Kind {
	case column.Boolean:
		return []byte{byte(b2i(v.Bools[i]))}
	case column.Float:
		return binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(v.Floats[i])))
	case column.Double:
		return binary.LittleEndian.AppendUint64(nil, math.Float64bits(v.Floats[i]))
	case column.String, column.Binary:
		return slices.Clone(v.Bytes(i))
	case column.Long, column.Timestamp, column.TimestampNTZ:
		return binary.LittleEndian.AppendUint64(nil, uint64(v.Ints[i]))
	case column.Decimal:
		if t.Precision > 9 {
			return binary.LittleEndian.AppendUint64(nil, uint64(v.Ints[i]))
		}
	}
	return binary.LittleEndian.AppendUint32(nil, uint32(int32(v.Ints[i])))
}

// comparePlainTest orders PLAIN values of type t (±0 compare equal).
func comparePlainTest(t *column.Type, a, b []byte) int {
	switch {
	case t.Kind == column.Float:
		return cmp.Compare(math.Float32frombits(binary.LittleEndian.Uint32(a)), math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case t.Kind == column.Double:
		return cmp.Compare(math.Float64frombits(binary.LittleEndian.Uint64(a)), math.Float64frombits(binary.LittleEndian.Uint64(b)))
	case t.Kind == column.String || t.Kind == column.Binary:
		return bytes.Compare(a, b)
	case t.Kind == column.Boolean:
		return cmp.Compare(a[0], b[0])
	case len(a) == 8:
		return cmp.Compare(int64(binary.LittleEndian.Uint64(a)), int64(binary.LittleEndian.Uint64(b)))
	}
	return cmp.Compare(int32(binary.LittleEndian.Uint32(a)), int32(binary.LittleEndian.Uint32(b)))
}

// Dictionary vectors write the file that plain vectors of the same values
// write: in a dictionary column (codes of two dictionaries, alternating
// between batches, across row groups and past the dictionary limits) and in
// a PLAIN one.
func TestWriterCodedVectorsWriteTheSameFile(t *testing.T) {
	s := &column.Schema{Fields: []column.Field{
		{Name: "k", Type: column.TypeString, Nullable: true},
		{Name: "p", Type: column.TypeString, Nullable: true},
	}}
	value := func(i int) []byte {
		switch {
		case i%11 == 3 || (i >= 1000 && i < 3000):
			return nil
		case i < 100_000:
			return fmt.Appendf(nil, "low-%d", i%37)
		default:
			return fmt.Appendf(nil, "high-%07d-padding-padding", i) // passes both limits
		}
	}
	opts := WriterOptions{RowGroupRows: 50_000, PageBufferSize: 4 << 10, Codec: "snappy", Dictionary: []string{"k"}}
	var plainFile, codedFile bytes.Buffer
	plainW, err := NewWriter(&plainFile, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	codedW, err := NewWriter(&codedFile, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	dicts := [2]*column.Dict{column.NewDict(), column.NewDict()}
	pDict := column.NewDict()
	plain, coded := column.NewBatch(s, 0), column.NewBatch(s, 0)
	const batchRows, rows = 7000, 29 * 7000
	codedBatches := 0
	for start, j := 0, 0; start < rows; start, j = start+batchRows, j+1 {
		plain.Reset()
		coded.Reset()
		for i := start; i < start+batchRows; i++ {
			v := value(i)
			plain.Cols[0].AppendOptBytes(v)
			plain.Cols[1].AppendOptBytes(v)
			coded.Cols[0].AppendCoded(v, dicts[j%2])
			coded.Cols[1].AppendCoded(v, pDict)
		}
		if coded.Cols[0].Coded() {
			codedBatches++
		}
		if err := plainW.Write(plain); err != nil {
			t.Fatal(err)
		}
		if err := codedW.Write(coded); err != nil {
			t.Fatal(err)
		}
	}
	if err := plainW.Close(); err != nil {
		t.Fatal(err)
	}
	if err := codedW.Close(); err != nil {
		t.Fatal(err)
	}
	if codedBatches < 14 {
		t.Fatalf("only %d batches were written as dictionary vectors", codedBatches)
	}
	if !bytes.Equal(plainFile.Bytes(), codedFile.Bytes()) {
		t.Fatalf("the files differ: %d bytes from plain vectors, %d from dictionary vectors", plainFile.Len(), codedFile.Len())
	}
	if got := readAll(t, codedFile.Bytes()); len(got) != rows || got[5][0] != "low-5" || got[3][1] != nil {
		t.Fatalf("read %d rows back; row 5 %v, row 3 %v", len(got), got[5], got[3])
	}
}

// BenchmarkAppendHybrid encodes dictionary indices (7 bits) and definition
// levels (1 bit, a null every 7 rows) of one silver row group's size.
func BenchmarkAppendHybrid(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	idx := make([]uint32, 1<<15)
	levels := make([]uint8, 1<<15)
	for i := range idx {
		idx[i] = rng.Uint32() & 127
		levels[i] = uint8(min(1, i%7))
	}
	var dst []byte
	for b.Loop() {
		dst = appendHybrid(dst[:0], idx, 7)
		dst = appendHybrid(dst, levels, 1)
	}
	b.ReportMetric(float64(2*len(idx))*float64(b.N)/b.Elapsed().Seconds(), "values/s")
}

// fit's binary search over a plain string vector's offsets finds the rows
// that the row-by-row sum finds (what a page takes: each value and its
// 4-byte length, a null counted as an empty value), for any room.
func TestFitByteArrayMatchesSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	c := &chunkWriter{phys: format.ByteArray}
	for trial := range 300 {
		v := column.NewVector(&column.Type{Kind: column.String}, 0)
		n := 1 + rng.IntN(300)
		for range n {
			if rng.IntN(5) == 0 {
				v.AppendNull()
			} else {
				v.AppendString(strings.Repeat("x", rng.IntN(60)))
			}
		}
		for range 20 {
			start := rng.IntN(n)
			end := start + 1 + rng.IntN(n-start)
			room := rng.IntN(3000) - 100
			k, acc := start, 0
			for k < end && acc < room {
				acc += len(v.Bytes(k)) + 4
				k++
			}
			if want, got := max(k, start+1), c.fit(v, start, end, room); got != want {
				t.Fatalf("trial %d: fit(%d, %d, room %d) = %d, want %d", trial, start, end, room, got, want)
			}
		}
	}
}

// TestReadMixedCodecs: a file whose columns change codec between row groups
// (which parquet-go's reader alone would decode with the first chunk's
// codec), spliced from files of five codecs in both data page versions and
// with dictionary pages, reads back exactly, its chunks inflated at Open.
func TestReadMixedCodecs(t *testing.T) {
	cols := foreignColumns()
	mixed := slices.Clone(magic)
	var md format.FileMetaData
	var want [][]any
	// Not LZ4_RAW, which is inflated anyway (TestReadForeignWriterMatrix).
	codecs := []compress.Codec{&parquet.Uncompressed, &parquet.Snappy, &parquet.Gzip, &parquet.Brotli, &parquet.Zstd}
	for i, codec := range codecs {
		data, w := writeForeign(t, cols, codec, "dict", 1+i%2, 900)
		want = append(want, w...)
		fmd := footerOf(t, data)
		if i == 0 {
			md = *fmd
			md.RowGroups, md.NumRows = nil, 0
		}
		for _, rg := range fmd.RowGroups {
			rg.FileOffset, rg.Ordinal = int64(len(mixed)), int16(len(md.RowGroups))
			for ci := range rg.Columns {
				var err error
				if mixed, err = copyChunk(mixed, bytes.NewReader(data), int64(len(data)), &rg.Columns[ci], false); err != nil {
					t.Fatal(err)
				}
			}
			md.RowGroups = append(md.RowGroups, rg)
			md.NumRows += rg.NumRows
		}
	}
	mixed, err := appendFooter(mixed, &md)
	if err != nil {
		t.Fatal(err)
	}
	if inflated := columnsToInflate(footerOf(t, mixed)); len(inflated) != len(cols) || slices.Contains(inflated, false) {
		t.Fatalf("columns to inflate %v, want all", inflated)
	}
	f, err := Open(bytes.NewReader(mixed), int64(len(mixed)))
	if err != nil {
		t.Fatalf("Open of a file with mixed codecs: %v", err)
	}
	for _, alias := range []bool{false, true} {
		if diff := gocmp.Diff(want, readForeign(t, f, alias)); diff != "" {
			t.Fatalf("AliasPages %v (-want +got):\n%s", alias, diff)
		}
	}
}

// footerOf decodes the footer of a Parquet file, checking nothing else.
func footerOf(t testing.TB, data []byte) *format.FileMetaData {
	t.Helper()
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	var md format.FileMetaData
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), data[len(data)-8-n:len(data)-8], &md); err != nil {
		t.Fatalf("footer: %v", err)
	}
	return &md
}

// TestOwnFilesAreNotInflated: the files our writer makes, in every codec,
// are read as they are.
func TestOwnFilesAreNotInflated(t *testing.T) {
	s := &column.Schema{Fields: []column.Field{{Name: "v", Type: column.TypeLong}}}
	b := column.NewBatch(s, 0)
	for i := range 5000 {
		b.Cols[0].AppendInt(int64(i % 17))
	}
	for _, codec := range []string{"none", "snappy", "zstd"} {
		_, data := writeFile(t, b, WriterOptions{RowGroupRows: 1000, Codec: codec})
		if cols := columnsToInflate(walkFile(t, data)); cols != nil {
			t.Errorf("%s: columns to inflate %v, want none", codec, cols)
		}
	}
}
