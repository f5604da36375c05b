package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCacheDir(t *testing.T) {
	tests := []struct {
		name        string
		rows        int64
		files       int
		invalidRate float64
		want        string
	}{
		{name: "generator defaults", rows: 1_000_000, files: 8, invalidRate: -1, want: "/c/ndjson-1000000r-8f-seed1"},
		{name: "no invalid records", rows: 10_000_000, files: 8, invalidRate: 0, want: "/c/ndjson-10000000r-8f-seed1-invalid0"},
		{name: "other invalid rate", rows: 5, files: 1, invalidRate: 0.01, want: "/c/ndjson-5r-1f-seed1-invalid0.01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cacheDir("/c", tt.rows, tt.files, tt.invalidRate); got != tt.want {
				t.Errorf("cacheDir = %q, want %q", got, tt.want)
			}
		})
	}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestListNDJSONAndCountLines(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		wantFiles []string
		wantBytes int64
		wantRows  int64
		wantErr   error
	}{
		{
			name:      "sorted, manifest and other files ignored, last line without newline counts",
			files:     map[string]string{"part-00001.ndjson": "{}\n{}", "part-00000.ndjson": "{}\n", "_manifest.json": "{}", "notes.txt": "x\n"},
			wantFiles: []string{"part-00000.ndjson", "part-00001.ndjson"},
			wantBytes: 8,
			wantRows:  3,
		},
		{name: "no ndjson", files: map[string]string{"a.txt": "x"}, wantErr: errNoInput},
		{name: "gzip the reference cannot read", files: map[string]string{"a.ndjson": "{}\n", "b.ndjson.gz": "x"}, wantErr: errBadInputMix},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			paths, size, err := listNDJSON(dir)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("listNDJSON error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			var names []string
			for _, p := range paths {
				names = append(names, filepath.Base(p))
			}
			if diff := cmp.Diff(tt.wantFiles, names); diff != "" {
				t.Errorf("files mismatch (-want +got):\n%s", diff)
			}
			if size != tt.wantBytes {
				t.Errorf("bytes = %d, want %d", size, tt.wantBytes)
			}
			rows, err := countLines(context.Background(), paths)
			if err != nil {
				t.Fatal(err)
			}
			if rows != tt.wantRows {
				t.Errorf("countLines = %d, want %d", rows, tt.wantRows)
			}
		})
	}
}

func TestManifestRows(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		want     int64
		wantOK   bool
	}{
		{name: "generator manifest", manifest: `{"seed":1,"rows":1000000,"valid_events":993000}`, want: 1000000, wantOK: true},
		{name: "no rows field", manifest: `{"seed":1}`},
		{name: "not JSON", manifest: `rows=1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"_manifest.json": tt.manifest})
			got, ok := manifestRows(dir)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("manifestRows = %d, %v; want %d, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
