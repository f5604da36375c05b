package parquetio

import (
	"bytes"
	"io"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// TestUnsignedInt32ReadsUnsigned: a UINT_32 column written by another tool
// reads as its unsigned value, both as a top-level column and inside a
// struct (the flat and the nested read paths).
func TestUnsignedInt32ReadsUnsigned(t *testing.T) {
	type inner struct {
		U uint32 `parquet:"u"`
	}
	type row struct {
		U uint32 `parquet:"u"`
		S inner  `parquet:"s"`
	}
	const big = 4_000_000_000 // above math.MaxInt32
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf)
	if _, err := w.Write([]row{{U: big, S: inner{U: big - 1}}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.Schema()
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.NewReader(s, ReaderOptions{BatchRows: 8})
	if err != nil {
		t.Fatal(err)
	}
	b := column.NewBatch(s, 8)
	if err := r.Next(b); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	if b.Len() != 1 {
		t.Fatalf("read %d rows, want 1", b.Len())
	}
	if got := b.Cols[0].Value(0); got != int64(big) {
		t.Errorf("top-level u = %v, want %d", got, int64(big))
	}
	if got, ok := b.Cols[1].Value(0).(column.StructValue); !ok || len(got) != 1 || got[0] != int64(big-1) {
		t.Errorf("s = %#v, want u = %d", b.Cols[1].Value(0), int64(big-1))
	}
}
