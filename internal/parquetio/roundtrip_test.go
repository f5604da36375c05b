package parquetio

import (
	"bytes"
	"io"
	"math/big"
	"slices"
	"testing"

	"github.com/golang/snappy"
	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go/format"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

func allTypesSchema() *column.Schema {
	return &column.Schema{Fields: []column.Field{
		{Name: "b", Type: column.TypeBoolean, Nullable: true},
		{Name: "i8", Type: column.TypeByte, Nullable: true},
		{Name: "i16", Type: column.TypeShort, Nullable: true},
		{Name: "i32", Type: column.TypeInt, Nullable: false},
		{Name: "i64", Type: column.TypeLong, Nullable: true},
		{Name: "f32", Type: column.TypeFloat, Nullable: true},
		{Name: "f64", Type: column.TypeDouble, Nullable: true},
		{Name: "s", Type: column.TypeString, Nullable: true},
		{Name: "bin", Type: column.TypeBinary, Nullable: true},
		{Name: "d", Type: column.TypeDate, Nullable: true},
		{Name: "ts", Type: column.TypeTimestamp, Nullable: true},
		{Name: "ntz", Type: column.TypeTimestampNTZ, Nullable: true},
		{Name: "dec9", Type: column.DecimalType(9, 2), Nullable: true},
		{Name: "dec18", Type: column.DecimalType(18, 2), Nullable: true},
		{Name: "dec38", Type: column.DecimalType(38, 10), Nullable: true},
	}}
}

func rows(b *column.Batch) [][]any {
	var out [][]any
	for i := 0; i < b.Len(); i++ {
		var r []any
		for _, c := range b.Cols {
			v := c.Value(i)
			if bi, ok := v.(*big.Int); ok {
				v = bi.String()
			}
			r = append(r, v)
		}
		out = append(out, r)
	}
	return out
}

func TestRoundTripAllPrimitiveTypes(t *testing.T) {
	for _, codec := range []struct{ name, parquet string }{
		{"zstd", "ZSTD"}, {"snappy", "SNAPPY"}, {"none", "UNCOMPRESSED"},
	} {
		t.Run(codec.name, func(t *testing.T) { testRoundTrip(t, codec.name, codec.parquet) })
	}
}

func testRoundTrip(t *testing.T, codec, parquetCodec string) {
	s := allTypesSchema()
	b := column.NewBatch(s, 8)
	big1, _ := new(big.Int).SetString("-12345678901234567890123456789", 10)
	for i := 0; i < 1000; i++ {
		if i%7 == 3 {
			for c, col := range b.Cols {
				if s.Fields[c].Nullable {
					col.AppendNull()
				} else {
					col.AppendInt(int64(i))
				}
			}
			continue
		}
		b.Cols[0].AppendBool(i%2 == 0)
		b.Cols[1].AppendInt(int64(int8(i)))
		b.Cols[2].AppendInt(int64(int16(i * 100)))
		b.Cols[3].AppendInt(int64(int32(i * 100000)))
		b.Cols[4].AppendInt(int64(i) * 1e15)
		b.Cols[5].AppendFloat(float64(float32(i) / 4))
		b.Cols[6].AppendFloat(float64(i) / 3)
		b.Cols[7].AppendString("héllo " + string(rune('a'+i%26)))
		b.Cols[8].AppendBytes([]byte{0, byte(i), 255})
		b.Cols[9].AppendInt(int64(i - 500))
		b.Cols[10].AppendInt(int64(i)*1_000_003 - 1e12)
		b.Cols[11].AppendInt(int64(i) * 7)
		b.Cols[12].AppendInt(int64(i*101 - 5000))
		b.Cols[13].AppendInt(int64(i)*1e14 + 99)
		if i%2 == 0 {
			b.Cols[14].AppendValue(new(big.Int).Add(big1, big.NewInt(int64(i))))
		} else {
			b.Cols[14].AppendValue(big.NewInt(int64(i)))
		}
	}
	_, data := writeFile(t, b, WriterOptions{RowGroupRows: 300, PageBufferSize: 512, Codec: codec, Dictionary: []string{"s"}})
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.Parquet().RowGroups()); got != 4 {
		t.Errorf("row groups = %d, want 4", got)
	}
	for _, cc := range f.Parquet().Metadata().RowGroups[0].Columns {
		if got := cc.MetaData.Codec.String(); got != parquetCodec {
			t.Errorf("column %v: codec %s, want %s", cc.MetaData.PathInSchema, got, parquetCodec)
		}
	}
	fs, err := f.Schema()
	if err != nil {
		t.Fatal(err)
	}
	for i := range s.Fields {
		if !fs.Fields[i].Type.Equal(s.Fields[i].Type) || fs.Fields[i].Name != s.Fields[i].Name || fs.Fields[i].Nullable != s.Fields[i].Nullable {
			t.Errorf("field %d: file has %s %s %v, want %s %s %v", i, fs.Fields[i].Name, fs.Fields[i].Type, fs.Fields[i].Nullable, s.Fields[i].Name, s.Fields[i].Type, s.Fields[i].Nullable)
		}
	}
	r, err := f.NewReader(s, ReaderOptions{BatchRows: 77})
	if err != nil {
		t.Fatal(err)
	}
	// Strings, binaries, integers, dates, microsecond timestamps and
	// same-scale decimals take the page-array path; the rest (booleans,
	// floats, the wide decimal) the value path: both are checked below.
	var fast []string
	for _, p := range r.plans {
		if p.fast != fastNone {
			fast = append(fast, p.field.Name)
		}
	}
	if want := []string{"i8", "i16", "i32", "i64", "s", "bin", "d", "ts", "ntz", "dec9", "dec18"}; !slices.Equal(fast, want) {
		t.Errorf("fast-path columns %v, want %v", fast, want)
	}
	got := column.NewBatch(s, 77)
	all := column.NewBatch(s, 1000)
	for {
		err := r.Next(got)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < got.Len(); i++ {
			all.AppendRow(got, i)
		}
	}
	if diff := cmp.Diff(rows(b), rows(all)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// TestFastSnappyIsPlainSnappy checks, with the reference snappy decoder, that
// the s2 encoder behind Codec "snappy" writes standard snappy blocks.
func TestFastSnappyIsPlainSnappy(t *testing.T) {
	text := bytes.Repeat([]byte(`{"event_id":"e-1","event_name":"page_view","price":12.5}`+"\n"), 5000)
	noise := make([]byte, 70_000)
	for i := range noise {
		noise[i] = byte(i*7919 ^ i>>3)
	}
	for _, src := range [][]byte{nil, []byte("x"), text, noise} {
		enc, err := pageCodec{id: format.Snappy}.compress(make([]byte, 0, 16), src)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := snappy.Decode(nil, enc)
		if err != nil {
			t.Fatalf("%d bytes: reference decoder: %v", len(src), err)
		}
		if !bytes.Equal(dec, src) {
			t.Fatalf("%d bytes: decoded %d different bytes", len(src), len(dec))
		}
	}
}
