// Package deltatest is an independent conformance checker for Delta tables
// that the lakehouse writes on local disk. Tests of the writer call
// Check(t, dir) after writing; Validate returns the problems instead, so that
// the checker itself can be tested on deliberately broken tables.
//
// Independent means that nothing here trusts the code under test: the log is
// parsed with encoding/json into this package's own structs, data files and
// checkpoints are read with parquet-go directly (not internal/parquetio), the
// log is replayed here, and column statistics are recomputed from the data.
// The rules come from the protocol digest (shared/docs/delta-protocol.md) and,
// where the protocol leaves a choice, from what internal/delta/stats.go says
// the writer intends (e.g. millisecond timestamp bounds rounded outwards).
//
// Invariants: the checker only reads the table directory; it never panics on
// a damaged table (every failure is a Problem); problems are reported in a
// deterministic order.
//
// Only tests import deltatest; it imports nothing of ours, so that
// internal/delta's own tests can use it.
package deltatest
