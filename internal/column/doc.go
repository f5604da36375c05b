// Package column is the in-memory data model shared by the Delta layer, the
// Parquet layer and the pipeline: logical types that mirror Delta/Spark SQL
// types (Type, Field, Schema) and column-oriented batches of rows (Batch,
// Vector).
//
// A Vector stores one column in typed slices so that hot loops append and
// read without boxing: integers, dates, timestamps and decimals of precision
// up to 18 live in Ints, floating point in Floats, strings and binaries as
// Arrow-style offsets into one byte slice. Nested values (struct, array, map)
// and wide decimals are boxed in Values; they only occur when reading tables
// written by other engines. A string vector may also be a dictionary vector:
// codes into a Dict, which its producer fills and which stays readable from
// other goroutines, so that low-cardinality strings cross from the pipeline
// to the Parquet writer without a copy per value (Vector.AppendCoded).
//
// The package holds no IO and imports nothing of ours; every layer may import it.
package column
