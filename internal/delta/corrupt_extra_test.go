package delta

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// corruptBase writes versions 0..12 (a checkpoint at 10) and returns the
// directory and the rows of the latest version.
func corruptBase(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	tbl := localTable(t, dir, Options{})
	s, err := tbl.Create(context.Background(), CreateOptions{Schema: eventsSchema(), PartitionColumns: []string{"day"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		r, err := s.Append(context.Background(), Batches(eventsBatch(s.Schema(), int64(20000+i%3), fmt.Sprintf("r%02d", i))), CommitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s = r.Snapshot
	}
	rows, err := scanRows(t, mustSnapshot(t, tbl))
	if err != nil {
		t.Fatal(err)
	}
	return dir, rows
}

func logFile(dir, name string) string { return filepath.Join(dir, filepath.FromSlash(name)) }

func truncateFile(t *testing.T, path string, keep func(n int) int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data[:keep(len(data))], 0o644); err != nil {
		t.Fatal(err)
	}
}

// addedFile returns the local path of the first file added by commit v.
func addedFile(t *testing.T, dir string, v int64) (string, string) {
	t.Helper()
	data, err := os.ReadFile(logFile(dir, CommitName(v)))
	if err != nil {
		t.Fatal(err)
	}
	acts, err := ParseCommit(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		if a.Add != nil {
			rel, err := url.PathUnescape(a.Add.Path)
			if err != nil {
				t.Fatal(err)
			}
			return filepath.Join(dir, filepath.FromSlash(rel)), a.Add.Path
		}
	}
	t.Fatalf("commit %d adds nothing", v)
	return "", ""
}

// TestCorruptTables damages copies of a table and checks that loading and
// scanning either still work (when the damage is to a hint or a file the
// log lets us do without) or fail with a precise error, never a panic.
func TestCorruptTables(t *testing.T) {
	ctx := context.Background()
	base, baseRows := corruptBase(t)
	type outcome struct {
		version int64  // 12: loads the latest version with baseRows
		errIs   error  // else: the load or scan fails with this…
		errHas  string // …and names this
	}
	loads := outcome{version: 12}
	cases := []struct {
		name   string
		damage func(t *testing.T, dir string) string // returns a detail for errHas ("" to keep it)
		at     int64                                 // version to load; -1 = latest
		want   outcome
	}{
		{"truncated commit after the checkpoint", func(t *testing.T, dir string) string {
			truncateFile(t, logFile(dir, CommitName(12)), func(n int) int { return n - 30 })
			return ""
		}, -1, outcome{errIs: ErrCorrupt, errHas: "read commit 12"}},
		{"truncated commit before the checkpoint, latest", func(t *testing.T, dir string) string {
			truncateFile(t, logFile(dir, CommitName(5)), func(n int) int { return n / 2 })
			return ""
		}, -1, loads},
		{"truncated commit before the checkpoint, time travel", func(t *testing.T, dir string) string {
			truncateFile(t, logFile(dir, CommitName(5)), func(n int) int { return n / 2 })
			return ""
		}, 7, outcome{errIs: ErrCorrupt, errHas: "read commit 5"}},
		{"a line that is not JSON", func(t *testing.T, dir string) string {
			data, _ := os.ReadFile(logFile(dir, CommitName(11)))
			os.WriteFile(logFile(dir, CommitName(11)), append(data, "{\"add\":\n"...), 0o644)
			return ""
		}, -1, outcome{errIs: ErrCorrupt, errHas: "read commit 11"}},
		{"missing data file", func(t *testing.T, dir string) string {
			local, path := addedFile(t, dir, 11)
			os.Remove(local)
			return path
		}, -1, outcome{errIs: ErrCorrupt, errHas: "is missing"}},
		{"truncated data file", func(t *testing.T, dir string) string {
			local, path := addedFile(t, dir, 12)
			truncateFile(t, local, func(n int) int { return n - 9 })
			return path
		}, -1, outcome{errIs: ErrCorrupt, errHas: "data file"}},
		{"garbage _last_checkpoint", func(t *testing.T, dir string) string {
			os.WriteFile(logFile(dir, LastCheckpointName), []byte("\x00garbage{"), 0o644)
			return ""
		}, -1, loads},
		{"empty _last_checkpoint", func(t *testing.T, dir string) string {
			os.WriteFile(logFile(dir, LastCheckpointName), nil, 0o644)
			return ""
		}, -1, loads},
		{"_last_checkpoint pointing at a version without checkpoint", func(t *testing.T, dir string) string {
			os.WriteFile(logFile(dir, LastCheckpointName), []byte(`{"version":11,"size":4}`), 0o644)
			return ""
		}, -1, loads},
		{"_last_checkpoint beyond the log", func(t *testing.T, dir string) string {
			os.WriteFile(logFile(dir, LastCheckpointName), []byte(`{"version":99,"size":4}`), 0o644)
			return ""
		}, -1, loads},
		{"_last_checkpoint pointing at a deleted checkpoint", func(t *testing.T, dir string) string {
			os.Remove(logFile(dir, CheckpointName(10)))
			return ""
		}, -1, loads},
		{"truncated checkpoint, hinted", func(t *testing.T, dir string) string {
			truncateFile(t, logFile(dir, CheckpointName(10)), func(n int) int { return n / 2 })
			return ""
		}, -1, loads},
		{"truncated checkpoint, no hint", func(t *testing.T, dir string) string {
			truncateFile(t, logFile(dir, CheckpointName(10)), func(n int) int { return n / 2 })
			os.Remove(logFile(dir, LastCheckpointName))
			return ""
		}, -1, loads},
		{"checkpoint that is not Parquet", func(t *testing.T, dir string) string {
			os.WriteFile(logFile(dir, CheckpointName(10)), []byte("PAR1 not really"), 0o644)
			return ""
		}, -1, loads},
		{"truncated checkpoint, earlier commits cleaned up", func(t *testing.T, dir string) string {
			truncateFile(t, logFile(dir, CheckpointName(10)), func(n int) int { return n / 2 })
			for v := int64(0); v < 10; v++ {
				os.Remove(logFile(dir, CommitName(v)))
			}
			return ""
		}, -1, outcome{errIs: errCheckpointUnreadable, errHas: "read checkpoint 10"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyTree(t, base, dir)
			detail := tc.damage(t, dir)
			tbl := localTable(t, dir, Options{})
			var s *Snapshot
			var err error
			if tc.at < 0 {
				s, err = tbl.Snapshot(ctx)
			} else {
				s, err = tbl.SnapshotAt(ctx, tc.at)
			}
			var rows []string
			if err == nil {
				rows, err = scanRows(t, s)
			}
			if tc.want.errIs == nil {
				if err != nil {
					t.Fatalf("want the table to load, got %v", err)
				}
				if s.Version() != tc.want.version {
					t.Errorf("loaded v%d, want v%d", s.Version(), tc.want.version)
				}
				if diff := cmp.Diff(baseRows, rows); diff != "" {
					t.Errorf("rows (-want +got):\n%s", diff)
				}
				return
			}
			if !errors.Is(err, tc.want.errIs) || !strings.Contains(err.Error(), tc.want.errHas) || !strings.Contains(err.Error(), detail) {
				t.Errorf("err = %v\nwant errors.Is %v, naming %q and %q", err, tc.want.errIs, tc.want.errHas, detail)
			}
		})
	}
}
