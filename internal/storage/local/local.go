package local

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// syncHook, when set (by tests), is called with each directory syncDir is
// asked to fsync.
var syncHook func(dir string)

// tempPrefix starts the base name of every temporary file.
const tempPrefix = ".lakehouse-tmp-"

// Options configures a Store. The zero value is the safe default.
type Options struct {
	// NoSync skips fsync of files and directories. For benchmarks only: a
	// power loss can then lose or truncate recently written objects.
	NoSync bool
}

// Store is a storage.Store on a local directory. It holds no mutable state,
// so one Store, many Stores and many processes may share a root.
type Store struct {
	root   string // absolute, cleaned
	noSync bool
}

var _ storage.Store = (*Store)(nil)

// New returns a Store rooted at root, creating the directory if it is
// missing.
func New(root string, opts Options) (*Store, error) {
	if root == "" {
		return nil, errors.New("open local store: empty root directory")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open local store %s: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o777); err != nil {
		return nil, fmt.Errorf("open local store %s: %w", root, err)
	}
	return &Store{root: abs, noSync: opts.NoSync}, nil
}

// Root returns the absolute directory the store is rooted at.
func (s *Store) Root() string { return s.root }

// path checks ctx and name and returns the file path of name.
func (s *Store) path(ctx context.Context, op, name string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("%s %s: %w", op, name, err)
	}
	if err := checkName(name); err != nil {
		return "", fmt.Errorf("%s %s: %w", op, name, err)
	}
	return filepath.Join(s.root, filepath.FromSlash(name)), nil
}

// checkName adds the local rules to storage.CheckName.
func checkName(name string) error {
	if err := storage.CheckName(name); err != nil {
		return err
	}
	if runtime.GOOS == "windows" && strings.ContainsRune(name, '\\') {
		return fmt.Errorf("%w: backslash", storage.ErrInvalidName)
	}
	for seg := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(seg, tempPrefix) {
			return fmt.Errorf("%w: %q is reserved for temporary files", storage.ErrInvalidName, tempPrefix)
		}
	}
	return nil
}

// isNotExist reports whether a read-side error means "no such object": the
// file is missing, a parent is a file, or the name is a directory.
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR)
}

// readErr wraps a read-side error of op on name.
func readErr(op, name string, err error) error {
	if isNotExist(err) {
		return fmt.Errorf("%s %s: %w", op, name, storage.ErrNotExist)
	}
	return fmt.Errorf("%s %s: %w", op, name, err)
}

// Get reads the whole object.
func (s *Store) Get(ctx context.Context, name string) ([]byte, error) {
	p, err := s.path(ctx, "get", name)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, readErr("get", name, err)
	}
	return data, nil
}

// Open opens the object for ranged reads. The open file keeps the content it
// was opened on even if the name is replaced (rename swaps the inode).
func (s *Store) Open(ctx context.Context, name string) (storage.Object, error) {
	p, err := s.path(ctx, "open", name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, readErr("open", name, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = syscall.EISDIR
	}
	if err != nil {
		f.Close()
		return nil, readErr("open", name, err)
	}
	return &object{f: f, name: name, size: fi.Size()}, nil
}

// Stat describes the object.
func (s *Store) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	p, err := s.path(ctx, "stat", name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	fi, err := os.Stat(p)
	if err == nil && !fi.Mode().IsRegular() {
		err = syscall.EISDIR
	}
	if err != nil {
		return storage.ObjectInfo{}, readErr("stat", name, err)
	}
	return storage.ObjectInfo{Name: name, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Put writes a temporary file, fsyncs it and renames it over name.
func (s *Store) Put(ctx context.Context, name string, data []byte) error {
	return s.publish(ctx, "put", name, data, false)
}

// PutIfAbsent writes a temporary file, fsyncs it and hard-links it to name;
// the link fails if name exists.
func (s *Store) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	return s.publish(ctx, "put-if-absent", name, data, true)
}

func (s *Store) publish(ctx context.Context, op, name string, data []byte, exclusive bool) error {
	p, err := s.path(ctx, op, name)
	if err != nil {
		return err
	}
	t, err := s.newTemp(p)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	if _, err := t.f.Write(data); err != nil {
		t.abort()
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	return t.commit(ctx, op, name, exclusive)
}

// Create starts a streamed write to a temporary file; Close publishes it
// like Put.
func (s *Store) Create(ctx context.Context, name string) (storage.Writer, error) {
	p, err := s.path(ctx, "create", name)
	if err != nil {
		return nil, err
	}
	t, err := s.newTemp(p)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	return &writer{ctx: ctx, name: name, t: t}, nil
}

// Delete removes the object's file. A missing name, or a name that is a
// directory (no object), is not an error.
func (s *Store) Delete(ctx context.Context, name string) error {
	p, err := s.path(ctx, "delete", name)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(p)
	if err != nil {
		if isNotExist(err) {
			return nil
		}
		return fmt.Errorf("delete %s: %w", name, err)
	}
	if fi.IsDir() {
		return nil
	}
	if err := os.Remove(p); err != nil && !isNotExist(err) {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return nil
}

// List walks only the directory named by prefix up to its last slash, and
// below it only the subdirectories that can hold matching names.
func (s *Store) List(ctx context.Context, prefix, startAfter string) ([]storage.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	if err := storage.CheckPrefix(prefix); err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	if runtime.GOOS == "windows" && strings.ContainsRune(prefix, '\\') {
		return nil, fmt.Errorf("list %s: %w: backslash", prefix, storage.ErrInvalidName)
	}
	dirPart := ""
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		dirPart = prefix[:i]
	}
	start := filepath.Join(s.root, filepath.FromSlash(dirPart))
	rootSep := s.root
	if !strings.HasSuffix(rootSep, string(filepath.Separator)) {
		rootSep += string(filepath.Separator)
	}
	var infos []storage.ObjectInfo
	visited := 0
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if isNotExist(err) {
				// The prefix's directory does not exist, or a directory
				// vanished under a concurrent Delete: nothing to list there.
				return nil
			}
			return err
		}
		if visited++; visited%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if p == s.root {
			return nil
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, rootSep))
		if d.IsDir() {
			if p == start {
				return nil
			}
			dp := rel + "/"
			switch {
			case strings.HasPrefix(d.Name(), tempPrefix):
				return fs.SkipDir
			case !strings.HasPrefix(dp, prefix) && !strings.HasPrefix(prefix, dp):
				return fs.SkipDir // no name below dp can start with prefix
			case dp < startAfter && !strings.HasPrefix(startAfter, dp):
				return fs.SkipDir // every name below dp sorts before startAfter
			}
			return nil
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		if !strings.HasPrefix(rel, prefix) || rel <= startAfter || checkName(rel) != nil {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if isNotExist(err) {
				return nil // deleted since the directory was read
			}
			return err
		}
		infos = append(infos, storage.ObjectInfo{Name: rel, Size: fi.Size(), ModTime: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	slices.SortFunc(infos, func(a, b storage.ObjectInfo) int { return strings.Compare(a.Name, b.Name) })
	return infos, nil
}

// object is an open file; *os.File.ReadAt uses pread, so concurrent ReadAt
// calls are safe.
type object struct {
	f    *os.File
	name string
	size int64
}

func (o *object) ReadAt(p []byte, off int64) (int, error) {
	n, err := o.f.ReadAt(p, off)
	if err != nil && err != io.EOF {
		return n, fmt.Errorf("read %s: %w", o.name, err)
	}
	return n, err
}

func (o *object) Size() int64 { return o.size }

func (o *object) Close() error {
	if err := o.f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", o.name, err)
	}
	return nil
}

// writer streams into a temporary file.
type writer struct {
	ctx  context.Context
	name string
	t    *temp
	done bool  // Close or Abort was called
	err  error // first Write error: Close must publish nothing
	// written counts the bytes written; flushed is where writeback was
	// last started (see startWriteback), synced where the last background
	// fsync started.
	written, flushed, synced int64
	// bgDone is closed when the background fsync in flight is done, with
	// its error in bgErr; nil when none is in flight.
	bgDone chan struct{}
	bgErr  error
}

// writebackBytes is how much a writer lets pile up in the page cache
// before it starts writing it back, as RocksDB's bytes_per_sync does: the
// disk works while the pipeline computes, instead of all at the final fsync.
const writebackBytes = 1 << 20

// syncEvery is how much a writer writes between background fsyncs. Writing
// back is not enough: on a virtual machine whose host caches the disk (the
// machines of docs/performance.md), every fsync makes the host write out
// what the guest wrote since the last one, and a stage's final fsyncs, with
// nothing synced before, stalled its end 0.3–0.5 s. Syncing as it goes
// leaves them a few megabytes. A variable for tests.
var syncEvery int64 = 32 << 20

// fileSync is (*os.File).Sync; tests replace it to make it fail.
var fileSync = (*os.File).Sync

// backgroundSync starts an fsync of what is written so far on a goroutine,
// unless one is in flight. Its error is kept for Close: the kernel reports
// a failed writeback to one fsync of a file descriptor only.
func (w *writer) backgroundSync() {
	if w.bgDone != nil {
		select {
		case <-w.bgDone:
			w.bgDone = nil
		default:
			return // one at a time
		}
	}
	if w.bgErr != nil {
		return // Close reports it
	}
	w.synced = w.written
	done := make(chan struct{})
	w.bgDone = done
	go func() {
		defer close(done)
		w.bgErr = fileSync(w.t.f)
	}()
}

// waitSync waits for the background fsync in flight, if any, and returns
// the first background fsync error.
func (w *writer) waitSync() error {
	if w.bgDone != nil {
		<-w.bgDone
		w.bgDone = nil
	}
	return w.bgErr
}

func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("write %s: %w", w.name, fs.ErrClosed)
	}
	if w.err != nil {
		return 0, w.err
	}
	if err := w.ctx.Err(); err != nil {
		w.err = fmt.Errorf("write %s: %w", w.name, err)
		return 0, w.err
	}
	n, err := w.t.f.Write(p)
	w.written += int64(n)
	if err != nil {
		w.err = fmt.Errorf("write %s: %w", w.name, err)
		return n, w.err
	}
	if !w.t.s.noSync && w.written-w.flushed >= writebackBytes {
		startWriteback(w.t.f, w.flushed, w.written-w.flushed)
		w.flushed = w.written
		if w.written-w.synced >= syncEvery {
			w.backgroundSync()
		}
	}
	return n, nil
}

func (w *writer) Close() error {
	if w.done {
		return fmt.Errorf("close %s: %w", w.name, fs.ErrClosed)
	}
	w.done = true
	if w.err != nil {
		w.waitSync()
		w.t.abort()
		return fmt.Errorf("close %s: an earlier write failed: %w", w.name, w.err)
	}
	if err := w.waitSync(); err != nil {
		w.t.abort()
		return fmt.Errorf("close %s: %w", w.name, err)
	}
	return w.t.commit(w.ctx, "close", w.name, false)
}

func (w *writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.waitSync()
	return w.t.abort()
}

// temp is a temporary file next to its final path.
type temp struct {
	s     *Store
	f     *os.File
	final string
}

// newTemp creates the directories of final as needed, then a temporary file
// beside it.
func (s *Store) newTemp(final string) (*temp, error) {
	dir := filepath.Dir(final)
	if err := s.ensureDir(dir); err != nil {
		return nil, err
	}
	for {
		f, err := os.OpenFile(filepath.Join(dir, tempPrefix+rand.Text()), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue // 130 random bits collided; practically never
		}
		if err != nil {
			return nil, err
		}
		return &temp{s: s, f: f, final: final}, nil
	}
}

// commit fsyncs and closes the temporary file, then publishes it under the
// final name: by rename (replacing), or by hard link (failing if the name
// exists). It always disposes of the temporary file.
func (t *temp) commit(ctx context.Context, op, name string, exclusive bool) error {
	tmp := t.f.Name()
	if !t.s.noSync {
		if err := fileSync(t.f); err != nil {
			t.abort()
			return fmt.Errorf("%s %s: %w", op, name, err)
		}
	}
	if err := t.f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	if err := ctx.Err(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	if exclusive {
		err := os.Link(tmp, t.final)
		os.Remove(tmp)
		if err != nil {
			if errors.Is(err, fs.ErrExist) {
				if fi, serr := os.Lstat(t.final); serr == nil && fi.IsDir() {
					return fmt.Errorf("%s %s: the name is a directory holding other objects", op, name)
				}
				return fmt.Errorf("%s %s: %w", op, name, storage.ErrExist)
			}
			return fmt.Errorf("%s %s: %w", op, name, err)
		}
	} else if err := os.Rename(tmp, t.final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	if err := t.s.syncDirs(filepath.Dir(t.final)); err != nil {
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	return nil
}

// abort closes and removes the temporary file.
func (t *temp) abort() error {
	t.f.Close()
	if err := os.Remove(t.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// ensureDir creates dir and any missing parents. It leaves their entries
// to be made durable by the publish of the first object in them
// (syncDirs): fsyncing a parent here, on the writer's path, waited for the
// disk's cache flush, which on a virtual machine whose host caches the
// disk first writes out all that was written since the last one (0.1–0.2 s
// a partition directory in bronze_to_silver).
func (s *Store) ensureDir(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return &fs.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(dir)
	if parent == dir {
		return err
	}
	if err := s.ensureDir(parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o777); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// syncDirs fsyncs dir, then each of its ancestors up to the root: the new
// name in dir, and the entries of the directories ensureDir created on the
// way, whichever process created them. An ancestor that has not changed
// since its last fsync costs a few microseconds.
func (s *Store) syncDirs(dir string) error {
	for {
		if err := s.syncDir(dir); err != nil {
			return err
		}
		parent := filepath.Dir(dir)
		if dir == s.root || parent == dir || !strings.HasPrefix(parent, s.root) {
			return nil
		}
		dir = parent
	}
}

// syncDir fsyncs a directory so that entries added to or renamed in it are
// durable. Windows cannot fsync a directory; there it is a no-op, and so it
// is on file systems that refuse (EINVAL).
func (s *Store) syncDir(dir string) error {
	if syncHook != nil {
		syncHook(dir)
	}
	if s.noSync || runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	d.Close()
	if err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}
