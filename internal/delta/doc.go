// Package delta reads and writes Delta Lake tables: the transaction log
// (actions, commit files, classic, multi-part and V2 checkpoints with their
// sidecars, _last_checkpoint), snapshot reconstruction at a version or a
// time, scans with partition and min/max pruning, data files with
// Spark-style statistics, and atomic commits with Spark's conflict rules.
//
// Invariants:
//   - Every change to a table is one commit file created with put-if-absent;
//     a lost race re-reads the winners and either rebases (Spark's rules) or
//     fails with a *ConflictError. Data files are written before the commit
//     that references them, so a crash leaves the table at the old or the
//     new version.
//   - A reader refuses, naming it, every protocol feature it does not
//     implement before interpreting file actions (see protocol.go); it never
//     returns rows it cannot interpret. Column mapping, deletion vectors,
//     timestamp_ntz, type widening and V2 checkpoints are read (V2
//     checkpoints are never written, so such tables refuse writes).
//   - Snapshots are immutable and safe for concurrent use.
//
// All IO goes through storage.Store (a Table is a Store rooted at the table);
// Parquet goes through internal/parquetio. Imported by internal/pipeline,
// internal/app and tests.
package delta
