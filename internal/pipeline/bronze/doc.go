// Package bronze lands raw clickstream lines in the bronze table: `ingest`
// appends NDJSON files (plain or gzip) with source = the file's path, each
// file exactly once; `generate_bronze` appends synthetic events from
// internal/gen with source = "synthetic_ecomm". Lines are kept byte for
// byte (minus the contract's framing: "\n", a "\r" before it, blank lines).
//
// Writing is parallel: line batches flow through a bounded queue to one
// Parquet writer per core, and the files of a run are committed in one Delta
// commit together with the txn actions that make the run idempotent.
//
// Imported by internal/app.
package bronze
