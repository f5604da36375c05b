// Package bronze lands raw clickstream lines in the bronze table: `ingest`
// appends NDJSON files (plain or gzip) with source = the file's path, each
// file exactly once; `generate_bronze` appends synthetic events from
// internal/gen with source = "synthetic_ecomm". Lines are kept byte for
// byte (minus the contract's framing: "\n", a "\r" before it, blank lines).
//
// Writing is parallel. Ingest splits big files into pieces at line bounds,
// each read and written by one goroutine into files of its own, and commits
// the files in input order, so rows keep their input position;
// generate_bronze hands line batches through a bounded queue to one Parquet
// writer per core. A group of files is one Delta commit, together with the
// txn actions that make it idempotent.
//
// Imported by internal/app.
package bronze
