package local

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestPublishSyncsNewDirectories checks where directories are fsynced: not
// when Create makes an object's missing directories, but when the object is
// published, from its directory up to the root, so that a published
// object's name and the directories holding it are durable together.
func TestPublishSyncsNewDirectories(t *testing.T) {
	var mu sync.Mutex
	var synced []string
	syncHook = func(dir string) {
		mu.Lock()
		synced = append(synced, dir)
		mu.Unlock()
	}
	t.Cleanup(func() { syncHook = nil })
	take := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := synced
		synced = nil
		return out
	}
	s, err := New(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	root := s.Root()
	chain := []string{filepath.Join(root, "t", "day=1", "deep"), filepath.Join(root, "t", "day=1"), filepath.Join(root, "t"), root}

	w, err := s.Create(ctx, "t/day=1/deep/part-0.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if got := take(); len(got) != 0 {
		t.Errorf("Create fsynced %v; want the directories left to the publish", got)
	}
	if _, err := w.Write([]byte("rows")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := take(); !slices.Equal(got, chain) {
		t.Errorf("Close fsynced %v, want %v", got, chain)
	}

	if err := s.PutIfAbsent(ctx, "t/day=1/deep/part-1.parquet", []byte("more")); err != nil {
		t.Fatal(err)
	}
	if got := take(); !slices.Equal(got, chain) {
		t.Errorf("PutIfAbsent fsynced %v, want %v", got, chain)
	}
	if err := s.Put(ctx, "top", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if got := take(); !slices.Equal(got, []string{root}) {
		t.Errorf("Put at the root fsynced %v, want only the root", got)
	}
}

// TestBackgroundSync checks the fsyncs a streamed write makes as it goes:
// they happen, and a failed one fails Close, publishing nothing, even when
// the fsync at Close succeeds (the kernel reports a failed writeback to one
// fsync only).
func TestBackgroundSync(t *testing.T) {
	defer func(e int64, f func(*os.File) error) { syncEvery, fileSync = e, f }(syncEvery, fileSync)
	syncEvery = writebackBytes
	var mu sync.Mutex
	var calls int
	fail := false
	fileSync = func(f *os.File) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if fail && calls == 1 {
			return errors.New("injected writeback error")
		}
		return f.Sync()
	}
	for _, tt := range []struct {
		name string
		fail bool
	}{{"ok", false}, {"failed", true}} {
		t.Run(tt.name, func(t *testing.T) {
			calls, fail = 0, tt.fail
			s, err := New(t.TempDir(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			w, err := s.Create(ctx, "t/big")
			if err != nil {
				t.Fatal(err)
			}
			chunk := make([]byte, writebackBytes)
			for range 4 {
				if _, err := w.Write(chunk); err != nil {
					t.Fatal(err)
				}
			}
			err = w.Close()
			mu.Lock()
			n := calls
			mu.Unlock()
			if !tt.fail && n < 2 {
				t.Errorf("%d fsyncs, want a background one and Close's", n)
			}
			_, statErr := os.Stat(filepath.Join(s.Root(), "t", "big"))
			if !tt.fail {
				if err != nil || statErr != nil {
					t.Fatalf("Close = %v, stat = %v", err, statErr)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "injected writeback error") {
				t.Errorf("Close = %v, want the background fsync's error", err)
			}
			if !errors.Is(statErr, fs.ErrNotExist) {
				t.Errorf("the object was published after a failed fsync (stat: %v)", statErr)
			}
		})
	}
}
