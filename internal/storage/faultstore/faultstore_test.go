package faultstore_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/faultstore"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/local"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/mem"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/storagetest"
	"github.com/ecomm-lakehouse/lakehouse/internal/testenv"
)

func TestConformanceMem(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return faultstore.New(mem.New(mem.Options{})) })
}

func TestConformanceLocal(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		s, err := local.New(t.TempDir(), local.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		return faultstore.New(s)
	})
}

// script runs a fixed sequence touching every kind of operation, carrying
// on after errors, as a commit followed by a data file write and a read
// would.
func script(ctx context.Context, s storage.Store) {
	s.Put(ctx, "t/a", []byte("aaaa"))
	s.PutIfAbsent(ctx, "t/_delta_log/0.json", []byte("commit0"))
	s.PutIfAbsent(ctx, "t/_delta_log/1.json", []byte("commit1"))
	s.Get(ctx, "t/a")
	s.Stat(ctx, "t/a")
	s.List(ctx, "t/_delta_log/", "t/_delta_log/0.json")
	if w, err := s.Create(ctx, "t/part-0.parquet"); err == nil {
		w.Write([]byte("0123456789"))
		w.Write([]byte("abcdefghij"))
		if err := w.Close(); err != nil {
			w.Abort()
		}
	}
	if o, err := s.Open(ctx, "t/a"); err == nil {
		o.ReadAt(make([]byte, 2), 1)
		o.ReadAt(make([]byte, 8), 2)
		o.Close()
	}
	s.Get(ctx, "t/missing")
	s.Delete(ctx, "t/a")
}

var (
	put    = []faultstore.Op{faultstore.OpPut}
	commit = []faultstore.Op{faultstore.OpPutIfAbsent}
	write  = []faultstore.Op{faultstore.OpWrite}
	closeW = []faultstore.Op{faultstore.OpClose}
)

// TestRules runs the script under each set of rules and compares the trace
// and what the inner store holds afterwards with testdata/<name>.golden.
// Run with -update to rewrite the files, then read the diff.
func TestRules(t *testing.T) {
	tests := []struct {
		name  string
		rules []faultstore.Rule
	}{
		{"no-rules", nil},
		{"fail-every-commit", []faultstore.Rule{{Ops: commit}}},
		{"fail-second-commit-enospc", []faultstore.Rule{{Ops: commit, Nth: 2, Err: faultstore.ENOSPC("t/_delta_log/1.json")}}},
		{"fail-by-name", []faultstore.Rule{{Name: "t/_delta_log/*.json"}}},
		{"fail-after-commit", []faultstore.Rule{{Ops: commit, Nth: 1, Action: faultstore.FailAfter}}},
		{"fail-nth-any-op", []faultstore.Rule{{Nth: 4}}},
		{"fail-reads", []faultstore.Rule{{Ops: []faultstore.Op{faultstore.OpGet, faultstore.OpStat, faultstore.OpOpen, faultstore.OpList}}}},
		{"fail-read-at", []faultstore.Rule{{Ops: []faultstore.Op{faultstore.OpReadAt}, Nth: 2}}},
		{"fail-delete", []faultstore.Rule{{Ops: []faultstore.Op{faultstore.OpDelete}}}},
		{"fail-put", []faultstore.Rule{{Ops: put}}},
		{"fail-create", []faultstore.Rule{{Ops: []faultstore.Op{faultstore.OpCreate}}}},
		{"short-write", []faultstore.Rule{{Ops: write, Nth: 2, Action: faultstore.ShortWrite, Err: faultstore.ENOSPC("t/part-0.parquet")}}},
		{"fail-write", []faultstore.Rule{{Ops: write, Nth: 1}}},
		{"fail-close", []faultstore.Rule{{Ops: closeW}}},
		{"fail-after-close", []faultstore.Rule{{Ops: closeW, Action: faultstore.FailAfter}}},
		{"crash-after-second-commit", []faultstore.Rule{{Ops: commit, Nth: 2, Action: faultstore.CrashAfter}}},
		{"crash-before-second-commit", []faultstore.Rule{{Ops: commit, Nth: 2, Action: faultstore.CrashBefore}}},
		{"crash-mid-stream", []faultstore.Rule{{Ops: write, Nth: 1, Action: faultstore.CrashAfter}}},
		{"first-firing-rule-decides", []faultstore.Rule{
			{Ops: commit, Nth: 2, Err: errors.New("first rule")},
			{Ops: commit, Action: faultstore.FailAfter},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner := mem.New(mem.Options{})
			s := faultstore.New(inner)
			if err := s.Inject(tt.rules...); err != nil {
				t.Fatalf("Inject = %v", err)
			}
			script(t.Context(), s)
			got := s.Trace() + "--- inner store\n" + dump(t, inner)
			testenv.Golden(t, tt.name+".golden", []byte(got))
		})
	}
}

// dump lists every object of s with its content.
func dump(t *testing.T, s storage.Store) string {
	t.Helper()
	infos, err := s.List(t.Context(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, info := range infos {
		data, err := s.Get(t.Context(), info.Name)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s = %q\n", info.Name, data)
	}
	return b.String()
}

func TestInjectedErrors(t *testing.T) {
	ctx := t.Context()
	s := faultstore.New(mem.New(mem.Options{}))
	custom := errors.New("custom")
	if err := s.Inject(
		faultstore.Rule{Ops: commit, Name: "log/*", Err: faultstore.ENOSPC("log/1.json")},
		faultstore.Rule{Ops: put, Err: custom},
		faultstore.Rule{Ops: []faultstore.Op{faultstore.OpDelete}},
	); err != nil {
		t.Fatal(err)
	}

	err := s.PutIfAbsent(ctx, "log/1.json", []byte("x"))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("PutIfAbsent error = %v, want ENOSPC", err)
	}
	var pathErr *fs.PathError
	if !errors.As(err, &pathErr) || pathErr.Path != "log/1.json" {
		t.Errorf("PutIfAbsent error = %v, want an *fs.PathError for log/1.json", err)
	}
	if want := "put-if-absent log/1.json: write log/1.json: no space left on device"; err == nil || err.Error() != want {
		t.Errorf("PutIfAbsent error text = %q, want %q", err, want)
	}
	if errors.Is(err, storage.ErrExist) {
		t.Errorf("an injected error must not look like a lost race: %v", err)
	}
	if err := s.Put(ctx, "x", nil); !errors.Is(err, custom) {
		t.Errorf("Put error = %v, want the rule's error", err)
	}
	if err := s.Delete(ctx, "x"); !errors.Is(err, faultstore.ErrInjected) {
		t.Errorf("Delete error = %v, want ErrInjected", err)
	}
	if err := s.PutIfAbsent(ctx, "other/1.json", []byte("x")); err != nil {
		t.Errorf("PutIfAbsent outside the pattern = %v, want nil", err)
	}
	s.ClearRules()
	if err := s.Put(ctx, "x", nil); err != nil {
		t.Errorf("Put after ClearRules = %v, want nil", err)
	}
}

func TestInjectValidation(t *testing.T) {
	tests := []struct {
		name string
		rule faultstore.Rule
	}{
		{"negative nth", faultstore.Rule{Nth: -1}},
		{"bad pattern", faultstore.Rule{Name: "t/["}},
		{"unknown op", faultstore.Rule{Ops: []faultstore.Op{99}}},
		{"zero op", faultstore.Rule{Ops: []faultstore.Op{0}}},
		{"unknown action", faultstore.Rule{Action: 99}},
		{"short write on every op", faultstore.Rule{Action: faultstore.ShortWrite}},
		{"short write on put", faultstore.Rule{Ops: []faultstore.Op{faultstore.OpWrite, faultstore.OpPut}, Action: faultstore.ShortWrite}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := faultstore.New(mem.New(mem.Options{}))
			if err := s.Inject(faultstore.Rule{Ops: put}, tt.rule); err == nil {
				t.Fatalf("Inject(%+v) = nil, want an error", tt.rule)
			}
			// A rejected batch adds none of its rules.
			if err := s.Put(t.Context(), "x", nil); err != nil {
				t.Errorf("Put after a rejected Inject = %v, want nil", err)
			}
		})
	}
}

// TestCrash checks what a crash leaves: finished writes stay, the open
// writer's bytes never appear, and everything afterwards fails.
func TestCrash(t *testing.T) {
	ctx := t.Context()
	inner := mem.New(mem.Options{})
	s := faultstore.New(inner)
	if err := s.Put(ctx, "kept", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	w, err := s.Create(ctx, "streamed")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("half of it")); err != nil {
		t.Fatal(err)
	}
	o, err := s.Open(ctx, "kept")
	if err != nil {
		t.Fatal(err)
	}
	s.Crash()
	if !s.Crashed() {
		t.Fatalf("Crashed = false after Crash")
	}
	errs := map[string]error{}
	_, errs["write"] = w.Write([]byte("rest"))
	errs["close"] = w.Close()
	errs["abort"] = w.Abort()
	_, errs["read-at"] = o.ReadAt(make([]byte, 1), 0)
	errs["close-object"] = o.Close()
	_, errs["get"] = s.Get(ctx, "kept")
	errs["put"] = s.Put(ctx, "new", nil)
	_, errs["list"] = s.List(ctx, "", "")
	for op, err := range errs {
		if !errors.Is(err, faultstore.ErrCrashed) {
			t.Errorf("%s after crash error = %v, want ErrCrashed", op, err)
		}
	}
	if diff := cmp.Diff("kept = \"kept\"\n", dump(t, inner)); diff != "" {
		t.Errorf("inner store after crash (-want +got):\n%s", diff)
	}
	// The restarted process sees what the crash left.
	again := faultstore.New(inner)
	if got, err := again.Get(ctx, "kept"); err != nil || string(got) != "kept" {
		t.Errorf("Get after restart = %q, %v", got, err)
	}
}

// TestConcurrent hammers one store from many goroutines under -race: the
// Nth rule fires exactly once, every operation is logged once, and after a
// CrashAfter no operation that started later succeeds.
func TestConcurrent(t *testing.T) {
	const goroutines, perG = 8, 100
	ctx := t.Context()
	s := faultstore.New(mem.New(mem.Options{}))
	if err := s.Inject(
		faultstore.Rule{Ops: put, Nth: 137},
		faultstore.Rule{Ops: put, Nth: 600, Action: faultstore.CrashAfter},
	); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				name := fmt.Sprintf("g%d/%03d", g, i)
				s.Put(ctx, name, []byte(name))
				s.Get(ctx, name)
			}
		})
	}
	wg.Wait()
	recs := s.Log()
	if len(recs) != 2*goroutines*perG {
		t.Fatalf("%d records, want %d", len(recs), 2*goroutines*perG)
	}
	counts := map[faultstore.Outcome]int{}
	crashSeq := 0
	puts := 0
	for i, r := range recs {
		if r.Seq != i+1 {
			t.Fatalf("record %d has Seq %d", i, r.Seq)
		}
		counts[r.Outcome]++
		if r.Op == faultstore.OpPut {
			puts++
			if puts == 600 {
				crashSeq = r.Seq
				if r.Outcome != faultstore.OK {
					t.Errorf("the put that crashed the store after itself: %v", r)
				}
			}
		}
	}
	if counts[faultstore.Injected] != 1 {
		t.Errorf("%d injected outcomes, want 1", counts[faultstore.Injected])
	}
	if !s.Crashed() {
		t.Fatalf("store not crashed after the 600th put")
	}
	// Operations that started before the crash finish normally; none that
	// starts after the crashing operation ended can succeed. Those in
	// between may go either way, so only the tail is checked.
	for _, r := range recs[crashSeq+2*goroutines:] {
		if r.Outcome != faultstore.Crashed {
			t.Fatalf("operation %v ran after the crash", r)
		}
	}
}
