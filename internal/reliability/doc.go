// Package reliability holds the tests that prove nothing is lost, doubled or
// corrupted whatever happens to the pipeline: SIGKILL at a random instant
// of any stage (and of a job run, finished by `job repair`), storage faults
// injected on any operation (errors, short writes, a full disk, a crash),
// several processes writing one warehouse at once, and hostile input lines.
//
// Every test compares the outcome with a run where nothing went wrong:
// the same row counts per table, quarantine counts per reason, silver
// event_id set, gold rows, revenue and funnel numbers, and a passing
// `lakehouse check`. Test helpers live in the _test.go files; this file is
// the only non-test code, so nothing may import the package.
//
// Invariants the tests hold the product to:
//   - after a crash or an injected fault every table loads and scans, at
//     the version before the interrupted commit or after it, never between;
//   - a failure surfaces as an error that keeps its cause (errors.Is the
//     injected error), never a panic;
//   - rerunning what failed, on a healthy store, finishes the work exactly
//     once;
//   - concurrent writers either commit or report a conflict, and a rerun of
//     a process that reported one adds exactly what is missing.
//
// The default `go test` runs a few trials of each; the make targets crash,
// soak and fuzz-long run the long versions (docs/reliability.md).
package reliability
