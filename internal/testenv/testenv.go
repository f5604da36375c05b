// Package testenv locates the shared, read-only fixtures (../shared beside
// the repository: Delta tables, contracts, the default job) for tests, and
// measures process CPU time for benchmarks. Only test code imports it.
package testenv

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// SharedDir returns the shared folder: $LAKEHOUSE_SHARED, or ../shared
// next to the repository root. A missing folder fails the test: CI always
// provides it, and a silent skip would hide that the fixtures were not read.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("LAKEHOUSE_SHARED")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
	}
	if _, err := os.Stat(filepath.Join(dir, "SPEC.md")); err != nil {
		t.Fatalf("shared fixtures not found at %s (set LAKEHOUSE_SHARED): %v", dir, err)
	}
	return dir
}

// DeltaTable returns the path of a shared test table, e.g. "dat/basic_append".
func DeltaTable(t testing.TB, rel string) string {
	t.Helper()
	return filepath.Join(SharedDir(t), "testdata", "delta", rel)
}
