package parquetio

import (
	"fmt"
	"math"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

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
	// not written: Spark and DuckDB default to snappy or zstd.
	Codec string
	// ZstdLevel is the zstd encoder level (default zstd.SpeedFastest).
	ZstdLevel zstd.Level
	// Dictionary lists string or binary columns to dictionary-encode
	// (low-cardinality strings). A column chunk whose dictionary passes
	// 64K entries or 1 MiB goes on in PLAIN for the rest of its row group.
	Dictionary []string
	// Metadata is added to the footer's key/value metadata.
	Metadata map[string]string
	// Bounds lists the columns whose min/max are computed (the column
	// chunk statistics, and what Stats returns); nil means all.
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
