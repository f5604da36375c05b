package local_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/local"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/storagetest"
)

func newStore(t *testing.T, opts local.Options) *local.Store {
	t.Helper()
	s, err := local.New(t.TempDir(), opts)
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return newStore(t, local.Options{}) })
}

func TestConformanceNoSync(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return newStore(t, local.Options{NoSync: true}) })
}

func TestNew(t *testing.T) {
	dir := t.TempDir()
	nested := filepath.Join(dir, "a", "b", "warehouse")
	s, err := local.New(nested, local.Options{})
	if err != nil {
		t.Fatalf("New on a missing directory = %v", err)
	}
	if s.Root() != nested {
		t.Errorf("Root = %q, want %q", s.Root(), nested)
	}
	if fi, err := os.Stat(nested); err != nil || !fi.IsDir() {
		t.Errorf("root directory not created: %v", err)
	}

	t.Chdir(dir)
	rel, err := local.New("rel", local.Options{})
	if err != nil {
		t.Fatalf("New on a relative path = %v", err)
	}
	if want := filepath.Join(dir, "rel"); rel.Root() != want {
		t.Errorf("Root of a relative path = %q, want %q", rel.Root(), want)
	}

	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := local.New(file, local.Options{}); err == nil {
		t.Errorf("New on a regular file = nil error")
	}
	if _, err := local.New("", local.Options{}); err == nil {
		t.Errorf("New with an empty root = nil error")
	}
}

// TestLayout checks that an object is a plain file under the root, so
// other tools (DuckDB, a shell) can read a local table.
func TestLayout(t *testing.T) {
	s := newStore(t, local.Options{})
	if err := s.Put(t.Context(), "t/_delta_log/00000000000000000000.json", []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(s.Root(), "t", "_delta_log", "00000000000000000000.json"))
	if err != nil || string(got) != "{}\n" {
		t.Errorf("file on disk = %q, %v; want the object's bytes", got, err)
	}
}

func TestTempFilesHidden(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, local.Options{})
	if err := s.Put(ctx, "t/a", []byte("a")); err != nil {
		t.Fatal(err)
	}
	// Leftovers of killed writers, and an in-flight streamed write.
	for _, p := range []string{".lakehouse-tmp-AAAA", "t/.lakehouse-tmp-BBBB", ".lakehouse-tmp-dir/x"} {
		full := filepath.Join(s.Root(), filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("partial"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	w, err := s.Create(ctx, "t/b")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("in flight")); err != nil {
		t.Fatal(err)
	}
	defer w.Abort()

	for _, prefix := range []string{"", ".", "t/", "t/.", ".lakehouse-tmp-"} {
		infos, err := s.List(ctx, prefix, "")
		if err != nil {
			t.Fatalf("List(%q) = %v", prefix, err)
		}
		var got []string
		for _, info := range infos {
			got = append(got, info.Name)
		}
		var want []string
		if strings.HasPrefix("t/a", prefix) {
			want = []string{"t/a"}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("List(%q) (-want +got):\n%s", prefix, diff)
		}
	}
	for _, name := range []string{".lakehouse-tmp-AAAA", "t/.lakehouse-tmp-BBBB", ".lakehouse-tmp-dir/x"} {
		if _, err := s.Get(ctx, name); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("Get(%q) error = %v, want ErrInvalidName (reserved)", name, err)
		}
		if err := s.Put(ctx, name, nil); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("Put(%q) error = %v, want ErrInvalidName (reserved)", name, err)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, local.Options{})
	const commit = "_delta_log/00000000000000000001.json"
	if err := s.PutIfAbsent(ctx, commit, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "obj", []byte("x")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		err     error
		wantMsg string // prefix of err.Error()
		wantIs  error  // nil: must wrap neither ErrExist nor ErrNotExist
	}{
		{"lost commit race", s.PutIfAbsent(ctx, commit, []byte("{}")),
			"put-if-absent " + commit + ": object already exists", storage.ErrExist},
		{"missing", func() error { _, err := s.Get(ctx, "_delta_log/00000000000000000009.json"); return err }(),
			"get _delta_log/00000000000000000009.json: object does not exist", storage.ErrNotExist},
		{"invalid name", s.Put(ctx, "a//b", nil),
			"put a//b: invalid object name: empty path segment", storage.ErrInvalidName},
		{"reserved name", s.Delete(ctx, "x/.lakehouse-tmp-1"),
			`delete x/.lakehouse-tmp-1: invalid object name: ".lakehouse-tmp-" is reserved`, storage.ErrInvalidName},
		{"object used as directory", s.Put(ctx, "obj/child", []byte("x")),
			"put obj/child: ", nil},
		{"directory used as object", s.PutIfAbsent(ctx, "_delta_log", []byte("x")),
			"put-if-absent _delta_log: the name is a directory", nil},
		{"replace a directory", s.Put(ctx, "_delta_log", []byte("x")),
			"put _delta_log: ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatalf("error = nil, want %q", tt.wantMsg)
			}
			if !strings.HasPrefix(tt.err.Error(), tt.wantMsg) {
				t.Errorf("error = %q, want it to start with %q", tt.err, tt.wantMsg)
			}
			if tt.wantIs != nil && !errors.Is(tt.err, tt.wantIs) {
				t.Errorf("error = %v, want it to wrap %v", tt.err, tt.wantIs)
			}
			if tt.wantIs == nil && (errors.Is(tt.err, storage.ErrExist) || errors.Is(tt.err, storage.ErrNotExist)) {
				t.Errorf("error = %v wraps a sentinel; a name clash with a directory is neither", tt.err)
			}
		})
	}
	wantContent := map[string]string{commit: "{}", "obj": "x"}
	for name, want := range wantContent {
		got, err := s.Get(ctx, name)
		if err != nil || string(got) != want {
			t.Errorf("Get(%q) = %q, %v; want %q unchanged", name, got, err, want)
		}
	}
}

func TestBackslash(t *testing.T) {
	s := newStore(t, local.Options{})
	err := s.Put(t.Context(), `dir\name`, []byte("x"))
	if runtime.GOOS == "windows" {
		if !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("Put with a backslash on Windows error = %v, want ErrInvalidName", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("Put with a backslash = %v; it is an ordinary byte here", err)
	}
	got, err := s.Get(t.Context(), `dir\name`)
	if err != nil || string(got) != "x" {
		t.Errorf("Get = %q, %v", got, err)
	}
}
