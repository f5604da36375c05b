package delta

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ecomm-lakehouse/lakehouse/internal/testenv"
)

// The seed corpora are every file in the _delta_log directories of the
// shared tables (read at test time) plus the hand-written cases in
// testdata/fuzz/<FuzzName>/.

// sharedLogFiles returns the paths of every file in a _delta_log directory
// of the shared tables (sidecars, hidden Hadoop files and .tmp included).
func sharedLogFiles(tb testing.TB) []string {
	tb.Helper()
	var out []string
	root := filepath.Join(testenv.SharedDir(tb), "testdata", "delta")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.Contains(filepath.ToSlash(p), "/_delta_log/") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(out) == 0 {
		tb.Fatalf("no _delta_log files under %s", root)
	}
	return out
}

// roundTrips reports whether Action.marshal has a form for a: cdc,
// checkpoint-only and unknown actions are read but never written by us, and
// a line holding two actions (which the protocol forbids) parses into one
// Action with two kinds set, of which replay uses one, as Spark's
// SingleAction.unwrap does; marshal writes only one of them.
func roundTrips(a *Action) bool {
	n := 0
	for _, set := range []bool{a.Add != nil, a.Remove != nil, a.Metadata != nil, a.Protocol != nil,
		a.Txn != nil, a.CommitInfo != nil, a.DomainMetadata != nil, a.CDC != nil,
		a.CheckpointMetadata != nil, a.Sidecar != nil} {
		if set {
			n++
		}
	}
	return n == 1 && a.CDC == nil && a.CheckpointMetadata == nil && a.Sidecar == nil
}

var actionCmp = []cmp.Option{
	cmpopts.EquateEmpty(),
	cmpopts.IgnoreFields(CommitInfo{}, "Raw"), // the typed fields are what we write
	cmp.AllowUnexported(Add{}, Stats{}),
}

// FuzzParseCommit: ParseCommit never panics, fails only with ErrCorrupt,
// and what it parses re-marshals (Action.marshal, as commits are written)
// and re-parses to the same actions.
func FuzzParseCommit(f *testing.F) {
	for _, p := range sharedLogFiles(f) {
		if strings.HasSuffix(p, ".json") {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		acts, err := ParseCommit(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		var buf []byte
		var kept []Action
		for i := range acts {
			a := &acts[i]
			if !roundTrips(a) {
				continue
			}
			line, err := a.marshal(nil, nil)
			if err != nil {
				t.Fatalf("marshal action %d %+v: %v", i, a, err)
			}
			buf = append(append(buf, line...), '\n')
			kept = append(kept, *a)
		}
		again, err := ParseCommit(buf)
		if err != nil {
			t.Fatalf("re-parsing the re-marshalled actions: %v\n%s", err, buf)
		}
		if diff := cmp.Diff(kept, again, actionCmp...); diff != "" {
			t.Fatalf("round trip changed the actions (-parsed +re-parsed):\n%s\nre-marshalled:\n%s", diff, buf)
		}
	})
}

// formatLogName renders a parsed name back, for the kinds whose name is
// fully determined by the parsed fields.
func formatLogName(lf LogFile) (string, bool) {
	switch lf.Kind {
	case KindCommit:
		return fmt.Sprintf("%020d.json", lf.Version), true
	case KindCheckpoint:
		return fmt.Sprintf("%020d.checkpoint.parquet", lf.Version), true
	case KindMultiPartCheckpoint:
		return fmt.Sprintf("%020d.checkpoint.%010d.%010d.parquet", lf.Version, lf.Part, lf.Parts), true
	case KindCompacted:
		return fmt.Sprintf("%020d.%020d.compacted.json", lf.Version, lf.EndVer), true
	case KindCRC:
		return fmt.Sprintf("%020d.crc", lf.Version), true
	case KindLastCheckpoint:
		return "_last_checkpoint", true
	}
	return "", false
}

// FuzzParseLogName: ParseLogName never panics, and a name it recognises is
// exactly the name its fields describe (so no two names map to one file),
// with sane numbers.
func FuzzParseLogName(f *testing.F) {
	for _, p := range sharedLogFiles(f) {
		f.Add(filepath.Base(p))
	}
	f.Fuzz(func(t *testing.T, name string) {
		lf := ParseLogName(name)
		if lf.Name != name {
			t.Fatalf("Name = %q, want %q", lf.Name, name)
		}
		if lf.Kind == KindUnknown {
			return
		}
		if lf.Version < 0 || lf.Kind == KindCompacted && lf.EndVer <= lf.Version ||
			lf.Kind == KindMultiPartCheckpoint && (lf.Part < 1 || lf.Part > lf.Parts) {
			t.Fatalf("%q parsed to impossible numbers %+v", name, lf)
		}
		if lf.Kind == KindUUIDCheckpoint {
			prefix := fmt.Sprintf("%020d.checkpoint.", lf.Version)
			rest, ok := strings.CutPrefix(name, prefix)
			id, ext := rest, ""
			if i := strings.LastIndexByte(rest, '.'); i >= 0 {
				id, ext = rest[:i], rest[i:]
			}
			if !ok || !isUUID(id) || (ext != ".json" && ext != ".parquet") {
				t.Fatalf("%q parsed as a UUID checkpoint of version %d", name, lf.Version)
			}
			return
		}
		want, _ := formatLogName(lf)
		if want != name {
			t.Fatalf("%q parsed to %+v, which names %q", name, lf, want)
		}
		switch lf.Kind {
		case KindCommit:
			if CommitName(lf.Version) != LogDir+"/"+name {
				t.Fatalf("CommitName(%d) = %q", lf.Version, CommitName(lf.Version))
			}
		case KindCheckpoint:
			if CheckpointName(lf.Version) != LogDir+"/"+name {
				t.Fatalf("CheckpointName(%d) = %q", lf.Version, CheckpointName(lf.Version))
			}
		}
	})
}
