package parquetio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/format"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// TestReadDamagedFiles reads 4,000 damaged copies of files of our writer and
// of parquet-go's (bytes overwritten anywhere or in the footer, files cut
// short): each read ends with rows or an error, and never panics, although
// parquet-go's decoder panics on some of them (recoverDamaged).
func TestReadDamagedFiles(t *testing.T) {
	var seeds [][]byte
	s := &column.Schema{Fields: []column.Field{
		{Name: "v", Type: column.TypeLong, Nullable: true},
		{Name: "s", Type: column.TypeString, Nullable: true},
	}}
	b := column.NewBatch(s, 0)
	for i := range 300 {
		b.Cols[0].AppendInt(int64(i))
		b.Cols[1].AppendString(fmt.Sprint(i % 17))
	}
	for _, codec := range []string{"none", "snappy", "zstd"} {
		_, data := writeFile(t, b, WriterOptions{RowGroupRows: 100, PageBufferSize: 512, Codec: codec, Dictionary: []string{"s"}})
		seeds = append(seeds, data)
	}
	cols := foreignColumns()
	for i, codec := range []compress.Codec{&parquet.Snappy, &parquet.Gzip, &parquet.Lz4Raw} {
		data, _ := writeForeign(t, cols, codec, []string{"plain", "dict", "delta"}[i], 1+i%2, 300)
		seeds = append(seeds, data)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var failed, recovered int
	for trial := range 4000 {
		seed := seeds[trial%len(seeds)]
		m := bytes.Clone(seed)
		switch trial % 4 {
		case 0, 1: // anywhere
			for range 1 + r.IntN(4) {
				m[r.IntN(len(m))] = byte(r.IntN(256))
			}
		case 2: // the footer
			for range 1 + r.IntN(3) {
				m[len(m)-1-r.IntN(min(len(m), 400))] = byte(r.IntN(256))
			}
		case 3: // cut short, the magic kept
			cut := r.IntN(len(m) - 8)
			m = append(m[:cut:cut], seed[len(seed)-8:]...)
		}
		err, panicked := readDamaged(m)
		if panicked != "" {
			t.Fatalf("trial %d (seed file %d): the read panicked: %s", trial, trial%len(seeds), panicked)
		}
		if err != nil {
			failed++
			if strings.Contains(err.Error(), "the decoder failed") {
				recovered++
			}
		}
	}
	t.Logf("%d of 4000 damaged files failed with an error, %d of them a decoder panic turned into one", failed, recovered)
	if failed == 0 {
		t.Fatal("no damaged file failed: the damage did not reach the reader")
	}
}

// readDamaged reads every row of the file, returning the error that ended
// the read, or the panic that escaped it with its stack.
func readDamaged(data []byte) (err error, panicked string) {
	defer func() {
		if p := recover(); p != nil {
			panicked = fmt.Sprintf("%v\n%s", p, debug.Stack())
		}
	}()
	pf, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err, ""
	}
	for _, alias := range []bool{false, true} {
		r, err := pf.NewReader(nil, ReaderOptions{BatchRows: 64, AliasPages: alias})
		if err != nil {
			return err, ""
		}
		b := column.NewBatch(r.Schema(), 64)
		for {
			if err := r.Next(b); err == io.EOF {
				break
			} else if err != nil {
				return err, ""
			}
		}
		r.Close()
	}
	return nil, ""
}

// TestReadPanickingFooter: a footer on which parquet-go's OpenFile panics (a
// decimal column whose physical type is no Parquet type) fails Open with an
// error.
func TestReadPanickingFooter(t *testing.T) {
	s := &column.Schema{Fields: []column.Field{{Name: "d", Type: column.DecimalType(9, 2)}}}
	b := column.NewBatch(s, 0)
	b.Cols[0].AppendInt(1250)
	_, data := writeFile(t, b, WriterOptions{})
	md := footerOf(t, data)
	md.Schema[1].Type.Set(format.Type(42))
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	bad, err := appendFooter(slices.Clone(data[:len(data)-8-n]), md)
	if err != nil {
		t.Fatal(err)
	}
	err, panicked := readDamaged(bad)
	if panicked != "" {
		t.Fatalf("the read panicked: %s", panicked)
	}
	if err == nil || !strings.Contains(err.Error(), "damaged Parquet data: the decoder failed") {
		t.Fatalf("Open: %v, want the decoder's failure", err)
	}
}

// TestReadFooterLengthBeyondFile: a footer length larger than the file
// fails Open before anything of that size is allocated.
func TestReadFooterLengthBeyondFile(t *testing.T) {
	s := &column.Schema{Fields: []column.Field{{Name: "v", Type: column.TypeLong}}}
	b := column.NewBatch(s, 0)
	b.Cols[0].AppendInt(7)
	_, data := writeFile(t, b, WriterOptions{})
	binary.LittleEndian.PutUint32(data[len(data)-8:], 1<<31-1)
	_, err := Open(bytes.NewReader(data), int64(len(data)))
	if want := fmt.Sprintf("footer of %d bytes in a file of %d", 1<<31-1, len(data)); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Open: %v, want %q", err, want)
	}
}
