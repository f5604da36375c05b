package reliability

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/app"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
)

// TestCorruptWarehouse damages one table of a finished warehouse the ways
// disks and people do, and runs the commands a user would: a damaged log
// or a missing data file must give a one-line error naming what is wrong
// (never a panic, never a wrong answer), and a garbage _last_checkpoint
// must be ignored (the log is listed instead) with every count unchanged.
func TestCorruptWarehouse(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	files := generateFilesInProcess(t, data, 2000, 2, 9)
	template := filepath.Join(t.TempDir(), "wh")
	a, err := app.Open(app.Options{Warehouse: template})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files { // bronze versions 1 and 2
		if _, err := a.Ingest(ctx, []string{f}); err != nil {
			t.Fatal(err)
		}
	}
	for _, task := range []string{app.TaskSilver, app.TaskGold} {
		if _, err := a.Registry()[task](ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := mustFacts(t, template)
	table := func(dir, name string) string { return filepath.Join(dir, pipeline.Schema, name) }
	commit := func(dir, name string, v int) string {
		return filepath.Join(table(dir, name), filepath.FromSlash(delta.CommitName(int64(v))))
	}
	firstDataFile := func(dir, name string) string {
		var found string
		filepath.WalkDir(table(dir, name), func(p string, d os.DirEntry, err error) error {
			if err == nil && found == "" && !d.IsDir() && strings.HasSuffix(p, ".parquet") {
				found = p
			}
			return nil
		})
		if found == "" {
			t.Fatalf("no data file in %s", name)
		}
		return found
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o666); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name    string
		damage  func(dir string)
		args    []string
		wantErr []string // substrings of the one-line error; nil: the command must succeed
	}{
		{
			name: "truncated latest commit of silver",
			damage: func(dir string) {
				p := commit(dir, pipeline.Silver, 1)
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				write(p, string(b[:len(b)/2]))
			},
			args:    []string{"task", "silver_to_gold"},
			wantErr: []string{"silver", "corrupt Delta table"},
		},
		{
			name:    "a commit missing from the middle of the bronze log",
			damage:  func(dir string) { os.Remove(commit(dir, pipeline.Bronze, 1)) },
			args:    []string{"table", "scan", "ecomm_lakehouse.bronze_events_raw", "--limit", "1"},
			wantErr: []string{"bronze_events_raw", "commit 1 is missing"},
		},
		{
			name:    "a silver data file deleted",
			damage:  func(dir string) { os.Remove(firstDataFile(dir, pipeline.Silver)) },
			args:    []string{"check", "--sample-days", "0"},
			wantErr: []string{"data file", "is missing"},
		},
		{
			name:    "a bronze data file cut to zero bytes",
			damage:  func(dir string) { write(firstDataFile(dir, pipeline.Bronze), "") },
			args:    []string{"check", "--sample-days", "0"},
			wantErr: []string{"data file", "part-"},
		},
		{
			name: "garbage in _last_checkpoint",
			damage: func(dir string) {
				write(filepath.Join(table(dir, pipeline.Bronze), "_delta_log", "_last_checkpoint"), "\x00garbage{")
			},
			args: []string{"check", "--sample-days", "0"},
		},
		{
			name: "_last_checkpoint naming a checkpoint that does not exist",
			damage: func(dir string) {
				write(filepath.Join(table(dir, pipeline.Silver), "_delta_log", "_last_checkpoint"), `{"version":1,"size":40}`)
			},
			args: []string{"check", "--sample-days", "0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, template)
			tt.damage(dir)
			r := runLakehouse(t, dir, -1, tt.args...)
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Fatalf("the command panicked: %s", r)
			}
			if tt.wantErr == nil {
				if r.err != nil {
					t.Fatalf("want success: %s", r)
				}
				if diff := cmp.Diff(want, mustFacts(t, dir)); diff != "" {
					t.Errorf("facts changed (-want +got):\n%s", diff)
				}
				return
			}
			if r.err == nil {
				t.Fatalf("succeeded on a damaged table, want an error: %s", r)
			}
			msg := strings.TrimSuffix(r.stderr, "\n")
			if strings.Count(msg, "\n") > 0 || !strings.HasPrefix(msg, "lakehouse: ") {
				t.Errorf("want one line starting with \"lakehouse: \", got %q", r.stderr)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not say %q", msg, s)
				}
			}
			t.Logf("%s: %s", strings.Join(tt.args, " "), msg)
		})
	}
}
