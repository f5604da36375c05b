package mem

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// Now gives the ModTime of objects as they are written; nil means
	// time.Now.
	Now func() time.Time
}

// Store is an in-memory storage.Store. The zero value is not usable; call New.
type Store struct {
	now func() time.Time

	// mu guards objects. No IO and no caller code runs under it.
	mu struct {
		sync.Mutex
		objects map[string]object
	}
}

// object is one published object; data is never modified once stored.
type object struct {
	data    []byte
	modTime time.Time
}

var _ storage.Store = (*Store)(nil)

// New returns an empty Store.
func New(opts Options) *Store {
	s := &Store{now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	s.mu.objects = make(map[string]object)
	return s
}

func check(ctx context.Context, op, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	if err := storage.CheckName(name); err != nil {
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	return nil
}

func (s *Store) lookup(name string) (object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.mu.objects[name]
	return o, ok
}

// Get returns a copy of the content of name.
func (s *Store) Get(ctx context.Context, name string) ([]byte, error) {
	if err := check(ctx, "get", name); err != nil {
		return nil, err
	}
	o, ok := s.lookup(name)
	if !ok {
		return nil, fmt.Errorf("get %s: %w", name, storage.ErrNotExist)
	}
	return append([]byte{}, o.data...), nil
}

// Open returns an Object reading the content name has now.
func (s *Store) Open(ctx context.Context, name string) (storage.Object, error) {
	if err := check(ctx, "open", name); err != nil {
		return nil, err
	}
	o, ok := s.lookup(name)
	if !ok {
		return nil, fmt.Errorf("open %s: %w", name, storage.ErrNotExist)
	}
	return &reader{name: name, data: o.data}, nil
}

// Stat describes name.
func (s *Store) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	if err := check(ctx, "stat", name); err != nil {
		return storage.ObjectInfo{}, err
	}
	o, ok := s.lookup(name)
	if !ok {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", name, storage.ErrNotExist)
	}
	return storage.ObjectInfo{Name: name, Size: int64(len(o.data)), ModTime: o.modTime}, nil
}

// Put stores a copy of data under name, replacing any older object.
func (s *Store) Put(ctx context.Context, name string, data []byte) error {
	if err := check(ctx, "put", name); err != nil {
		return err
	}
	o := object{data: bytes.Clone(data), modTime: s.now()}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.objects[name] = o
	return nil
}

// PutIfAbsent stores a copy of data under name unless name exists.
func (s *Store) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	if err := check(ctx, "put-if-absent", name); err != nil {
		return err
	}
	o := object{data: bytes.Clone(data), modTime: s.now()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.mu.objects[name]; ok {
		return fmt.Errorf("put-if-absent %s: %w", name, storage.ErrExist)
	}
	s.mu.objects[name] = o
	return nil
}

// Create returns a Writer that buffers in memory and publishes on Close.
func (s *Store) Create(ctx context.Context, name string) (storage.Writer, error) {
	if err := check(ctx, "create", name); err != nil {
		return nil, err
	}
	return &writer{ctx: ctx, s: s, name: name}, nil
}

// List returns the objects under prefix after startAfter, sorted by name.
func (s *Store) List(ctx context.Context, prefix, startAfter string) ([]storage.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	if err := storage.CheckPrefix(prefix); err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	var infos []storage.ObjectInfo
	s.mu.Lock()
	for name, o := range s.mu.objects {
		if strings.HasPrefix(name, prefix) && name > startAfter {
			infos = append(infos, storage.ObjectInfo{Name: name, Size: int64(len(o.data)), ModTime: o.modTime})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(infos, func(a, b storage.ObjectInfo) int { return strings.Compare(a.Name, b.Name) })
	return infos, nil
}

// Delete removes name; a missing name is not an error.
func (s *Store) Delete(ctx context.Context, name string) error {
	if err := check(ctx, "delete", name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.mu.objects, name)
	return nil
}

// reader reads one published, immutable byte slice.
type reader struct {
	name   string
	data   []byte
	closed atomic.Bool
}

func (r *reader) ReadAt(p []byte, off int64) (int, error) {
	if r.closed.Load() {
		return 0, fmt.Errorf("read %s: %w", r.name, fs.ErrClosed)
	}
	if off < 0 {
		return 0, fmt.Errorf("read %s: negative offset %d", r.name, off)
	}
	if off >= int64(len(r.data)) {
		return 0, io.EOF
	}
	n := copy(p, r.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *reader) Size() int64 { return int64(len(r.data)) }

func (r *reader) Close() error {
	if r.closed.Swap(true) {
		return fmt.Errorf("close %s: %w", r.name, fs.ErrClosed)
	}
	return nil
}

// writer buffers a streamed object until Close.
type writer struct {
	ctx    context.Context
	s      *Store
	name   string
	buf    bytes.Buffer
	done   bool // Close or Abort was called
	failed bool // a Write failed: Close must publish nothing
}

func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("write %s: %w", w.name, fs.ErrClosed)
	}
	if err := w.ctx.Err(); err != nil {
		w.failed = true
		return 0, fmt.Errorf("write %s: %w", w.name, err)
	}
	return w.buf.Write(p)
}

func (w *writer) Close() error {
	if w.done {
		return fmt.Errorf("close %s: %w", w.name, fs.ErrClosed)
	}
	w.done = true
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("close %s: %w", w.name, err)
	}
	if w.failed {
		return fmt.Errorf("close %s: an earlier write failed", w.name)
	}
	o := object{data: w.buf.Bytes(), modTime: w.s.now()}
	w.buf = bytes.Buffer{}
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.s.mu.objects[w.name] = o
	return nil
}

func (w *writer) Abort() error {
	w.done = true
	w.buf = bytes.Buffer{}
	return nil
}
