// Package parquetio reads and writes Parquet files for the Delta layer,
// translating between Parquet's physical/logical types and the column
// package's types.
//
// It works on io.ReaderAt and io.Writer, never on a storage.Store: callers
// open objects and hand them in. Reading, on top of
// github.com/parquet-go/parquet-go, matches columns by name, fills columns
// missing from a file with nulls, accepts every physical encoding Spark,
// delta-rs and Arrow write (INT96 and millisecond timestamps, decimals as
// INT32/INT64/FIXED_LEN_BYTE_ARRAY/BYTE_ARRAY, 2- and 3-level lists, maps),
// and streams rows in batches; flat columns are read from each page's
// decoded arrays when no conversion is needed (fastpage.go). Writing is our
// own page encoder for flat schemas (writer.go, encode.go), producing what
// Spark writes by default: data pages v1, PLAIN or dictionary-encoded
// values, CRC-checked pages, timestamps as INT64 microseconds (UTC-adjusted),
// dates as INT32 DATE, decimals annotated DECIMAL, strings as UTF8, and zstd
// (default), snappy or no compression (per column: a column the codec
// does not shrink by an eighth is stored uncompressed); parquet-go supplies the Thrift footer
// structures.
//
// Imported by internal/delta (and by tests and benchmarks).
package parquetio
