// Command bench measures the lakehouse pipeline beside the DuckDB reference
// pipeline (../shared/bench/duckdb-reference) on the same NDJSON input, in one
// invocation, and prints per-stage wall time, rows/s, MB/s of input, peak RSS,
// CPU time and load average, the DuckDB/ours wall-time ratios, the wall time of
// the generate-based `lakehouse run`, and the incremental criterion of issue 5
// (the K-th successive run of M new events against the first).
//
//	go run ./tools/bench [--rows N] [--files K] [--reps R] [--input DIR]
//	                     [--skip-duckdb] [--incremental K] [--incremental-rows M]
//	                     [--bin PATH] [--keep] [--json FILE]
//
// Invariants:
//   - Everything measured runs as a child process (the lakehouse binary, cat,
//     the reference's run.sh), so wall time, CPU time and peak RSS come from the
//     kernel (wait4 rusage) and include process start-up. The harness imports
//     nothing from internal/: it measures the binary as users run it.
//   - The two sides read the same files, warmed once by an untimed cat; nothing
//     is dropped from the page cache. Repetitions alternate which side goes
//     first, and every ratio is formed within one repetition (the machines are
//     shared and noisy: only side-by-side figures are comparable).
//   - Every repetition gets a fresh warehouse and a fresh DuckDB output folder
//     under the work folder, removed at exit unless --keep.
//   - Generated input is cached by (rows, files) and reused; it is written to a
//     temporary folder and renamed into place, so a cached folder is complete.
//   - Correctness is checked after every repetition with
//     `lakehouse check --sample-days 1`, timed apart from the pipeline.
//
// Nothing imports this package; the Makefile's bench-* targets run it.
package main
