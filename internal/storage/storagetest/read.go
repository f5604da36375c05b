package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

func testMissing(t *testing.T, s storage.Store) {
	mustPut(t, s, "file", []byte("x"))
	mustPut(t, s, "dirobj/child", []byte("y"))
	tests := []struct {
		name string
		obj  string
	}{
		{"flat", "missing"},
		{"in existing dir", "dirobj/missing"},
		{"in missing dirs", "nodir/deeper/missing"},
		{"below an object", "file/child"},
		{"a prefix of objects", "dirobj"},
		{"prefix of a name", "fil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			if _, err := s.Get(ctx, tt.obj); !errors.Is(err, storage.ErrNotExist) {
				t.Errorf("Get error = %v, want ErrNotExist", err)
			}
			if _, err := s.Stat(ctx, tt.obj); !errors.Is(err, storage.ErrNotExist) {
				t.Errorf("Stat error = %v, want ErrNotExist", err)
			}
			o, err := s.Open(ctx, tt.obj)
			if !errors.Is(err, storage.ErrNotExist) {
				t.Errorf("Open error = %v, want ErrNotExist", err)
			}
			if err == nil {
				o.Close()
			}
		})
	}
}

func testInvalidNames(t *testing.T, s storage.Store) {
	ops := []struct {
		name string
		fn   func(ctx context.Context, s storage.Store, name string) error
	}{
		{"Get", func(ctx context.Context, s storage.Store, name string) error { _, err := s.Get(ctx, name); return err }},
		{"Open", func(ctx context.Context, s storage.Store, name string) error { _, err := s.Open(ctx, name); return err }},
		{"Stat", func(ctx context.Context, s storage.Store, name string) error { _, err := s.Stat(ctx, name); return err }},
		{"Put", func(ctx context.Context, s storage.Store, name string) error { return s.Put(ctx, name, []byte("x")) }},
		{"PutIfAbsent", func(ctx context.Context, s storage.Store, name string) error {
			return s.PutIfAbsent(ctx, name, []byte("x"))
		}},
		{"Create", func(ctx context.Context, s storage.Store, name string) error {
			w, err := s.Create(ctx, name)
			if err == nil {
				w.Abort()
			}
			return err
		}},
		{"Delete", func(ctx context.Context, s storage.Store, name string) error { return s.Delete(ctx, name) }},
	}
	bad := []struct {
		name string
		obj  string
	}{
		{"empty", ""},
		{"leading slash", "/abs"},
		{"trailing slash", "dir/"},
		{"double slash", "a//b"},
		{"dot", "."},
		{"dot segment", "a/./b"},
		{"leading dot segment", "./a"},
		{"dotdot", ".."},
		{"dotdot segment", "a/../b"},
		{"escaping", "../outside"},
		{"NUL", "a\x00b"},
		{"bad UTF-8", "a\xffb"},
	}
	for _, b := range bad {
		for _, op := range ops {
			t.Run(b.name+"/"+op.name, func(t *testing.T) {
				if err := op.fn(t.Context(), s, b.obj); !errors.Is(err, storage.ErrInvalidName) {
					t.Errorf("%s(%q) error = %v, want ErrInvalidName", op.name, b.obj, err)
				}
			})
		}
	}
	for _, prefix := range []string{"/abs", "a//b", "../x", "a/../b/", "./", "a\x00"} {
		if _, err := s.List(t.Context(), prefix, ""); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("List(%q) error = %v, want ErrInvalidName", prefix, err)
		}
	}
	if diff := cmp.Diff([]string(nil), names(t, s, "")); diff != "" {
		t.Errorf("invalid names created objects (-want +got):\n%s", diff)
	}
}

func testStat(t *testing.T, s storage.Store) {
	mustPut(t, s, "t/stat.json", pattern(70, 1234))
	info, err := s.Stat(t.Context(), "t/stat.json")
	if err != nil {
		t.Fatalf("Stat = %v", err)
	}
	if info.Name != "t/stat.json" || info.Size != 1234 {
		t.Errorf("Stat = %+v, want name t/stat.json, size 1234", info)
	}
	if info.ModTime.IsZero() {
		t.Errorf("Stat ModTime is zero")
	}
	listed, err := s.List(t.Context(), "t/", "")
	if err != nil {
		t.Fatalf("List = %v", err)
	}
	if len(listed) != 1 || listed[0].Size != 1234 || listed[0].ModTime.IsZero() {
		t.Errorf("List = %+v, want one object of 1234 bytes with a ModTime", listed)
	}
}

func testReadAt(t *testing.T, s storage.Store) {
	const size = 1000
	data := pattern(80, size)
	mustPut(t, s, "r/obj", data)
	mustPut(t, s, "r/empty", nil)
	o, err := s.Open(t.Context(), "r/obj")
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	defer o.Close()
	if o.Size() != size {
		t.Fatalf("Size = %d, want %d", o.Size(), size)
	}
	tests := []struct {
		name     string
		off      int64
		len      int
		wantN    int
		wantEOF  bool // io.EOF required
		allowEOF bool // io.EOF or nil
	}{
		{name: "start", off: 0, len: 10, wantN: 10},
		{name: "middle", off: 500, len: 100, wantN: 100},
		{name: "whole", off: 0, len: size, wantN: size, allowEOF: true},
		{name: "ends at EOF", off: 990, len: 10, wantN: 10, allowEOF: true},
		{name: "crosses EOF", off: 995, len: 10, wantN: 5, wantEOF: true},
		{name: "at EOF", off: size, len: 1, wantN: 0, wantEOF: true},
		{name: "past EOF", off: 2 * size, len: 5, wantN: 0, wantEOF: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := make([]byte, tt.len)
			n, err := o.ReadAt(buf, tt.off)
			switch {
			case tt.wantEOF && err != io.EOF:
				t.Errorf("ReadAt(%d, %d) error = %v, want io.EOF", tt.len, tt.off, err)
			case !tt.wantEOF && err != nil && !(tt.allowEOF && err == io.EOF):
				t.Errorf("ReadAt(%d, %d) error = %v, want nil", tt.len, tt.off, err)
			}
			if n != tt.wantN {
				t.Fatalf("ReadAt(%d, %d) n = %d, want %d", tt.len, tt.off, n, tt.wantN)
			}
			if n > 0 && !bytes.Equal(buf[:n], data[tt.off:tt.off+int64(n)]) {
				t.Errorf("ReadAt(%d, %d) returned the wrong bytes", tt.len, tt.off)
			}
		})
	}
	if n, err := o.ReadAt(make([]byte, 4), -1); err == nil || err == io.EOF {
		t.Errorf("ReadAt at offset -1 = %d, %v; want a non-EOF error", n, err)
	}

	e, err := s.Open(t.Context(), "r/empty")
	if err != nil {
		t.Fatalf("Open empty = %v", err)
	}
	defer e.Close()
	if n, err := e.ReadAt(make([]byte, 1), 0); n != 0 || err != io.EOF {
		t.Errorf("ReadAt on empty object = %d, %v; want 0, io.EOF", n, err)
	}
	if e.Size() != 0 {
		t.Errorf("empty object Size = %d", e.Size())
	}
}

func testReadAtConcurrent(t *testing.T, s storage.Store) {
	const size = 256 << 10
	data := pattern(90, size)
	mustPut(t, s, "conc", data)
	o, err := s.Open(t.Context(), "conc")
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	defer o.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			buf := make([]byte, 4096)
			for i := range 64 {
				off := int64((g*64 + i) * 997 % (size - len(buf)))
				if n, err := o.ReadAt(buf, off); n != len(buf) || err != nil && err != io.EOF {
					errs <- fmt.Errorf("ReadAt(%d) = %d, %v", off, n, err)
					return
				}
				if !bytes.Equal(buf, data[off:off+int64(len(buf))]) {
					errs <- fmt.Errorf("ReadAt(%d) returned the wrong bytes", off)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// testOpenSurvivesReplace: an open Object keeps the version it opened or
// fails; it never returns bytes of the replacement.
func testOpenSurvivesReplace(t *testing.T, s storage.Store) {
	old, updated := pattern(100, 2000), pattern(101, 2000)
	mustPut(t, s, "v", old)
	o, err := s.Open(t.Context(), "v")
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	defer o.Close()
	mustPut(t, s, "v", updated)
	buf := make([]byte, len(old))
	n, err := o.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return // failing the read is allowed
	}
	if n != len(old) || !bytes.Equal(buf, old) {
		t.Errorf("ReadAt after replace = %d bytes %s, want the %d bytes opened", n, head(buf[:n]), len(old))
	}
	if err := o.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if _, err := o.ReadAt(buf, 0); err == nil {
		t.Errorf("ReadAt after Close = nil error")
	}
}

func testCancelledContext(t *testing.T, s storage.Store) {
	mustPut(t, s, "kept", []byte("kept"))
	ctx := cancelled(t)
	ops := []struct {
		name string
		fn   func() error
	}{
		{"Get", func() error { _, err := s.Get(ctx, "kept"); return err }},
		{"Open", func() error { _, err := s.Open(ctx, "kept"); return err }},
		{"Stat", func() error { _, err := s.Stat(ctx, "kept"); return err }},
		{"Put", func() error { return s.Put(ctx, "kept", []byte("changed")) }},
		{"PutIfAbsent", func() error { return s.PutIfAbsent(ctx, "new", []byte("new")) }},
		{"Create", func() error { _, err := s.Create(ctx, "new2"); return err }},
		{"List", func() error { _, err := s.List(ctx, "", ""); return err }},
		{"Delete", func() error { return s.Delete(ctx, "kept") }},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			if err := op.fn(); !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a cancelled context: error = %v, want context.Canceled", op.name, err)
			}
		})
	}
	wantContent(t, s, "kept", []byte("kept"))
	if diff := cmp.Diff([]string{"kept"}, names(t, s, "")); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}
