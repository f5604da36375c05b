package delta

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/local"
	"github.com/ecomm-lakehouse/lakehouse/internal/testenv"
)

// Helpers shared by the *_extra_test.go, concurrency, crash, fuzz, bench
// and time-travel tests.

// localTable opens (without creating) a table in dir on the local store.
func localTable(t testing.TB, dir string, opts Options) *Table {
	t.Helper()
	st, err := local.New(dir, local.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	return Open(st, opts)
}

// copyTree copies a directory tree (a shared table into a temp dir).
func copyTree(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// copySharedTable copies a table of shared/testdata/delta into a new temp dir.
func copySharedTable(t testing.TB, rel string) string {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, testenv.DeltaTable(t, rel), dir)
	return dir
}

// mustSnapshot loads the latest snapshot or fails the test.
func mustSnapshot(t testing.TB, tbl *Table) *Snapshot {
	t.Helper()
	s, err := tbl.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// scanRows reads every row of s as canonical JSON strings, sorted.
func scanRows(t testing.TB, s *Snapshot) ([]string, error) {
	t.Helper()
	sc, err := s.Scan(ScanOptions{})
	if err != nil {
		return nil, err
	}
	var batches []*column.Batch
	err = sc.Each(context.Background(), func(b *column.Batch) error {
		batches = append(batches, copyBatch(b))
		return nil
	})
	return rowStrings(sc.Schema(), batches), err
}

// writeCommitFile writes a commit by hand (for tables our writer would not
// produce). Lines are joined with newlines.
func writeCommitFile(t testing.TB, dir string, v int64, lines ...string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(CommitName(v)))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	var data []byte
	for _, l := range lines {
		data = append(append(data, l...), '\n')
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
