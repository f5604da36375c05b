package main

import "errors"

var (
	// errUsage marks a bad command line; run exits with code 2.
	errUsage = errors.New("usage")
	// errDuckDBUnavailable is wrapped when the DuckDB reference cannot run:
	// node or npm missing, or installing @duckdb/node-api failed.
	errDuckDBUnavailable = errors.New("duckdb reference unavailable")
	// errNoInput is wrapped when an input folder holds no *.ndjson file.
	errNoInput = errors.New("no NDJSON input")
	// errBadInputMix is wrapped when an input folder holds NDJSON the
	// reference would not read (it globs *.ndjson), so the sides would differ.
	errBadInputMix = errors.New("input the DuckDB reference would not read")
	// errBadOutput is wrapped when a child's output cannot be understood.
	errBadOutput = errors.New("unexpected output")
)
