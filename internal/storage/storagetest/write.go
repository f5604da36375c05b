package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

func testRoundTrip(t *testing.T, s storage.Store) {
	tests := []struct {
		name string
		obj  string
		data []byte
	}{
		{"flat", "a", []byte("hello")},
		{"nested", "t/_delta_log/00000000000000000000.json", []byte(`{"commitInfo":{}}` + "\n")},
		{"empty", "empty/obj", []byte{}},
		{"binary", "bin/zeros-and-ff", []byte{0, 0xff, 0, '\n', '\r', 0x80}},
		{"spaces", "with space/file name .txt", []byte("spaces")},
		{"percent", "pct%20/a%2Fb%", []byte("percent")},
		{"equals", "t/date=2024-01-01/country=CA/part-0.parquet", []byte("hive")},
		{"unicode", "unicode/héllo/日本語-ß.txt", []byte("unicode")},
		{"emoji", "emoji/😀", []byte("emoji")},
		{"dotfile", "dots/.hidden..name.", []byte("dots")},
		{"punctuation", "p/a+b,c;d@e!f'g(h)~[i]{j}#k&l$m", []byte("punct")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustPut(t, s, tt.obj, tt.data)
			wantContent(t, s, tt.obj, tt.data)
			info, err := s.Stat(t.Context(), tt.obj)
			if err != nil {
				t.Fatalf("Stat(%q) = %v", tt.obj, err)
			}
			if diff := cmp.Diff(tt.obj, info.Name); diff != "" {
				t.Errorf("Stat name (-want +got):\n%s", diff)
			}
			if info.Size != int64(len(tt.data)) {
				t.Errorf("Stat(%q).Size = %d, want %d", tt.obj, info.Size, len(tt.data))
			}
			if diff := cmp.Diff([]string{tt.obj}, names(t, s, tt.obj)); diff != "" {
				t.Errorf("List(%q) (-want +got):\n%s", tt.obj, diff)
			}
		})
	}
}

func testNoAliasing(t *testing.T, s storage.Store) {
	ctx := t.Context()
	data := []byte("original")
	mustPut(t, s, "put", data)
	if err := s.PutIfAbsent(ctx, "pia", data); err != nil {
		t.Fatalf("PutIfAbsent = %v", err)
	}
	w, err := s.Create(ctx, "create")
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write = %v", err)
	}
	copy(data, "XXXXXXXX") // the writer owns no reference to p after Write
	if err := w.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	for _, name := range []string{"put", "pia"} {
		wantContent(t, s, name, []byte("original"))
	}
	wantContent(t, s, "create", []byte("original"))

	got, err := s.Get(ctx, "put")
	if err != nil {
		t.Fatalf("Get = %v", err)
	}
	copy(got, "YYYYYYYY")
	wantContent(t, s, "put", []byte("original"))
}

func testPutReplaces(t *testing.T, s storage.Store) {
	mustPut(t, s, "obj", pattern(1, 1000))
	mustPut(t, s, "obj", pattern(2, 10))
	wantContent(t, s, "obj", pattern(2, 10))
	info, err := s.Stat(t.Context(), "obj")
	if err != nil {
		t.Fatalf("Stat = %v", err)
	}
	if info.Size != 10 {
		t.Errorf("Size after replace = %d, want 10", info.Size)
	}
	if diff := cmp.Diff([]string{"obj"}, names(t, s, "")); diff != "" {
		t.Errorf("List after replace (-want +got):\n%s", diff)
	}
}

// testPutAtomicUnderReads replaces an object again and again while readers
// check that every read sees one whole version: never missing, never a mix,
// never a prefix.
func testPutAtomicUnderReads(t *testing.T, s storage.Store) {
	ctx := t.Context()
	versions := [][]byte{pattern(10, 64<<10), pattern(11, 96<<10), pattern(12, 1)}
	mustPut(t, s, "atomic/obj", versions[0])

	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for r := range 3 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				var got []byte
				var err error
				if r == 0 {
					got, err = readAll(ctx, s, "atomic/obj")
				} else {
					got, err = s.Get(ctx, "atomic/obj")
				}
				if err != nil {
					errs <- fmt.Errorf("reader %d: %w", r, err)
					return
				}
				if !isOneOf(got, versions) {
					errs <- fmt.Errorf("reader %d saw %d bytes %s that are no whole version", r, len(got), head(got))
					return
				}
			}
		})
	}
	for i := range 60 {
		if err := s.Put(ctx, "atomic/obj", versions[i%len(versions)]); err != nil {
			t.Errorf("Put #%d = %v", i, err)
			break
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// readAll reads an object through Open and ReadAt. An Object may fail a
// read if its version was replaced (remote backends); that is reported as
// an error so the caller can tell.
func readAll(ctx context.Context, s storage.Store, name string) ([]byte, error) {
	o, err := s.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	buf := make([]byte, o.Size())
	n, err := o.ReadAt(buf, 0)
	if n == len(buf) {
		return buf, nil
	}
	return nil, fmt.Errorf("ReadAt got %d of %d bytes: %v", n, len(buf), err)
}

func isOneOf(b []byte, versions [][]byte) bool {
	for _, v := range versions {
		if bytes.Equal(b, v) {
			return true
		}
	}
	return false
}

func testPutIfAbsent(t *testing.T, s storage.Store) {
	ctx := t.Context()
	first, second := pattern(20, 100), pattern(21, 50)
	if err := s.PutIfAbsent(ctx, "log/0001.json", first); err != nil {
		t.Fatalf("first PutIfAbsent = %v", err)
	}
	err := s.PutIfAbsent(ctx, "log/0001.json", second)
	if !errors.Is(err, storage.ErrExist) {
		t.Fatalf("second PutIfAbsent error = %v, want ErrExist", err)
	}
	wantContent(t, s, "log/0001.json", first)

	mustPut(t, s, "log/0002.json", first)
	if err := s.PutIfAbsent(ctx, "log/0002.json", second); !errors.Is(err, storage.ErrExist) {
		t.Fatalf("PutIfAbsent over a Put object error = %v, want ErrExist", err)
	}
	wantContent(t, s, "log/0002.json", first)

	if err := s.Delete(ctx, "log/0001.json"); err != nil {
		t.Fatalf("Delete = %v", err)
	}
	if err := s.PutIfAbsent(ctx, "log/0001.json", second); err != nil {
		t.Fatalf("PutIfAbsent after Delete = %v", err)
	}
	wantContent(t, s, "log/0001.json", second)
	if diff := cmp.Diff([]string{"log/0001.json", "log/0002.json"}, names(t, s, "")); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

// testPutIfAbsentRace starts 32 goroutines together on each name: exactly
// one wins, the rest get ErrExist, and the stored bytes are the winner's.
func testPutIfAbsentRace(t *testing.T, s storage.Store) {
	const writers, rounds = 32, 8
	ctx := t.Context()
	for round := range rounds {
		name := fmt.Sprintf("_delta_log/%020d.json", round)
		start := make(chan struct{})
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				<-start
				errs[w] = s.PutIfAbsent(ctx, name, pattern(1000*round+w, 4096+w))
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for w, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: writers %d and %d both won", round, winner, w)
			case err == nil:
				winner = w
			case !errors.Is(err, storage.ErrExist):
				t.Fatalf("round %d: writer %d error = %v, want nil or ErrExist", round, w, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no writer won", round)
		}
		wantContent(t, s, name, pattern(1000*round+winner, 4096+winner))
	}
	if got := len(names(t, s, "")); got != rounds {
		t.Errorf("List found %d objects, want %d", got, rounds)
	}
}

func testCreateVisibleOnClose(t *testing.T, s storage.Store) {
	ctx := t.Context()
	old, updated := pattern(30, 500), pattern(31, 3000)
	mustPut(t, s, "dir/replaced", old)

	wNew, err := s.Create(ctx, "dir/new")
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	wRep, err := s.Create(ctx, "dir/replaced")
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	for i := 0; i < len(updated); i += 700 {
		chunk := updated[i:min(i+700, len(updated))]
		for _, w := range []storage.Writer{wNew, wRep} {
			if n, err := w.Write(chunk); n != len(chunk) || err != nil {
				t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(chunk))
			}
		}
		wantMissing(t, s, "dir/new")
		wantContent(t, s, "dir/replaced", old)
		if diff := cmp.Diff([]string{"dir/replaced"}, names(t, s, "")); diff != "" {
			t.Fatalf("List while writing (-want +got):\n%s", diff)
		}
	}
	for _, w := range []storage.Writer{wNew, wRep} {
		if err := w.Close(); err != nil {
			t.Fatalf("Close = %v", err)
		}
	}
	wantContent(t, s, "dir/new", updated)
	wantContent(t, s, "dir/replaced", updated)
	if diff := cmp.Diff([]string{"dir/new", "dir/replaced"}, names(t, s, "")); diff != "" {
		t.Errorf("List after Close (-want +got):\n%s", diff)
	}
}

func testCreateAbort(t *testing.T, s storage.Store) {
	ctx := t.Context()
	old := pattern(40, 100)
	mustPut(t, s, "kept", old)
	for _, name := range []string{"kept", "fresh/obj"} {
		w, err := s.Create(ctx, name)
		if err != nil {
			t.Fatalf("Create(%q) = %v", name, err)
		}
		if _, err := w.Write(pattern(41, 5000)); err != nil {
			t.Fatalf("Write = %v", err)
		}
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort = %v", err)
		}
		if err := w.Abort(); err != nil {
			t.Errorf("second Abort = %v, want nil", err)
		}
	}
	wantContent(t, s, "kept", old)
	wantMissing(t, s, "fresh/obj")
	if diff := cmp.Diff([]string{"kept"}, names(t, s, "")); diff != "" {
		t.Errorf("List after Abort (-want +got):\n%s", diff)
	}
}

func testWriterAfterEnd(t *testing.T, s storage.Store) {
	ctx := t.Context()
	tests := []struct {
		name    string
		end     func(w storage.Writer) error // Close or Abort
		then    func(w storage.Writer) error
		visible bool
	}{
		{"write after close", storage.Writer.Close, func(w storage.Writer) error { _, err := w.Write([]byte("x")); return err }, true},
		{"close after close", storage.Writer.Close, storage.Writer.Close, true},
		{"write after abort", storage.Writer.Abort, func(w storage.Writer) error { _, err := w.Write([]byte("x")); return err }, false},
		{"close after abort", storage.Writer.Abort, storage.Writer.Close, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("w/%d", i)
			w, err := s.Create(ctx, name)
			if err != nil {
				t.Fatalf("Create = %v", err)
			}
			if _, err := w.Write([]byte("content")); err != nil {
				t.Fatalf("Write = %v", err)
			}
			if err := tt.end(w); err != nil {
				t.Fatalf("ending the writer = %v", err)
			}
			if err := tt.then(w); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("error = %v, want fs.ErrClosed", err)
			}
			if err := w.Abort(); err != nil {
				t.Errorf("Abort at the end = %v, want nil", err)
			}
			if tt.visible {
				wantContent(t, s, name, []byte("content"))
			} else {
				wantMissing(t, s, name)
			}
		})
	}
}

// testCreateLarge streams 8 MiB in small, uneven writes.
func testCreateLarge(t *testing.T, s storage.Store) {
	ctx := t.Context()
	const size = 8 << 20
	data := pattern(50, size)
	w, err := s.Create(ctx, "big/part-00000.parquet")
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	step, checked := 1, false
	for off := 0; off < size; {
		end := min(off+step, size)
		if n, err := w.Write(data[off:end]); n != end-off || err != nil {
			t.Fatalf("Write at %d = %d, %v", off, n, err)
		}
		off = end
		step = step*7%8191 + 1 // uneven sizes from 1 byte to 8 KiB
		if off > size/2 && !checked {
			wantMissing(t, s, "big/part-00000.parquet")
			checked = true
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	wantContent(t, s, "big/part-00000.parquet", data)
	o, err := s.Open(ctx, "big/part-00000.parquet")
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	defer o.Close()
	if o.Size() != size {
		t.Errorf("Size = %d, want %d", o.Size(), size)
	}
	for _, off := range []int64{0, 1, 4095, 4096, size / 2, size - 8} {
		buf := make([]byte, 8)
		if n, err := o.ReadAt(buf, off); n != 8 || (err != nil && off != size-8) {
			t.Fatalf("ReadAt(8, %d) = %d, %v", off, n, err)
		}
		if !bytes.Equal(buf, data[off:off+8]) {
			t.Errorf("ReadAt(8, %d) = %x, want %x", off, buf, data[off:off+8])
		}
	}
}

func testCreateCancelled(t *testing.T, s storage.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	w, err := s.Create(ctx, "cancelled")
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	if _, err := w.Write(pattern(60, 1000)); err != nil {
		t.Fatalf("Write = %v", err)
	}
	cancel()
	if _, err := w.Write(pattern(61, 1000)); !errors.Is(err, context.Canceled) {
		t.Errorf("Write after cancel error = %v, want context.Canceled", err)
	}
	if err := w.Close(); err == nil {
		t.Errorf("Close after cancel = nil, want an error")
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after failed Close = %v, want nil", err)
	}
	wantMissing(t, s, "cancelled")
	if diff := cmp.Diff([]string(nil), names(t, s, "")); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}
