package delta

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// v2Table builds a table whose state at version 2 is held by a V2 JSON
// checkpoint (`2.checkpoint.<uuid>.json`) that points at one sidecar: the
// add actions of a classic checkpoint written by our writer, moved under
// _delta_log/_sidecars/. The commits before 2 are deleted, as log cleanup
// would, so only the checkpoint can give the state.
func v2Table(t *testing.T) (dir string, want []string) {
	t.Helper()
	ctx := context.Background()
	tbl, s := newTestTable(t, false)
	for i, batch := range [][]string{{"a", "b"}, {"c"}} {
		r, err := s.Append(ctx, Batches(eventsBatch(s.Schema(), int64(19000+i), batch...)), CommitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s = r.Snapshot
	}
	if err := tbl.WriteCheckpoint(ctx, s); err != nil {
		t.Fatal(err)
	}
	dir = tbl.Store().(interface{ Root() string }).Root()
	logDir := filepath.Join(dir, LogDir)
	if err := os.MkdirAll(filepath.Join(logDir, "_sidecars"), 0o755); err != nil {
		t.Fatal(err)
	}
	const side = "00000000000000000002.checkpoint.0000000001.0000000001.6f0b1f1e-6a0c-4c0e-9d1a-2a8f7d4c1b00.parquet"
	if err := os.Rename(filepath.Join(logDir, "00000000000000000002.checkpoint.parquet"), filepath.Join(logDir, "_sidecars", side)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"00000000000000000000.json", "00000000000000000001.json", "_last_checkpoint"} {
		if err := os.Remove(filepath.Join(logDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	md := s.Metadata()
	mdLine, err := (&Action{Metadata: &md}).marshal(nil, md.PartitionColumns)
	if err != nil {
		t.Fatal(err)
	}
	cp := strings.Join([]string{
		`{"checkpointMetadata":{"version":2}}`,
		`{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["v2Checkpoint"],"writerFeatures":["v2Checkpoint"]}}`,
		strings.TrimSpace(string(mdLine)),
		`{"sidecar":{"path":"` + side + `","sizeInBytes":1,"modificationTime":1}}`,
	}, "\n") + "\n"
	name := filepath.Join(logDir, "00000000000000000002.checkpoint.3a0d65cd-4056-49b8-937b-95f9e3ee90e5.json")
	if err := os.WriteFile(name, []byte(cp), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, []string{"a", "b", "c"}
}

// TestV2JSONCheckpointWithSidecar: the state comes from the checkpoint's
// own actions plus its sidecar's adds; writes stay refused, since we do
// not write V2 checkpoints.
func TestV2JSONCheckpointWithSidecar(t *testing.T) {
	dir, want := v2Table(t)
	tbl := localTable(t, dir, Options{})
	s := mustSnapshot(t, tbl)
	if s.Version() != 2 || s.NumFiles() != 2 {
		t.Fatalf("version %d with %d files, want 2 with 2", s.Version(), s.NumFiles())
	}
	if diff := cmp.Diff(want, ids(t, s)); diff != "" {
		t.Error(diff)
	}
	_, err := s.Append(context.Background(), Batches(eventsBatch(s.Schema(), 19005, "d")), CommitOptions{})
	var ue *UnsupportedError
	if !errors.As(err, &ue) || ue.Name != "v2Checkpoint" {
		t.Errorf("append to a v2Checkpoint table: err = %v, want unsupported writer feature v2Checkpoint", err)
	}
}

// TestV2CheckpointMissingSidecar: a sidecar the checkpoint names but the
// store lacks is an error naming it, never a table with files missing.
func TestV2CheckpointMissingSidecar(t *testing.T) {
	dir, _ := v2Table(t)
	sides, err := filepath.Glob(filepath.Join(dir, LogDir, "_sidecars", "*"))
	if err != nil || len(sides) != 1 {
		t.Fatalf("sidecars %v, %v", sides, err)
	}
	if err := os.Remove(sides[0]); err != nil {
		t.Fatal(err)
	}
	_, err = localTable(t, dir, Options{}).Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), filepath.Base(sides[0])) {
		t.Errorf("err = %v, want an error naming the missing sidecar", err)
	}
}
