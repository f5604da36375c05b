package faultstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// Store wraps a storage.Store, logs every operation and injects the faults
// its rules describe. Its methods are safe for concurrent use; like any
// storage.Writer, a Writer it returns is used by one goroutine at a time.
type Store struct {
	inner storage.Store

	// mu guards the fields below. Operations on the inner store run
	// without it; a Writer's own mu, when held, is taken before it.
	mu struct {
		sync.Mutex
		rules   []*rule
		seq     int
		log     []Record
		crashed bool
		writers map[*writer]struct{} // open: aborted by a crash
		objects map[*object]struct{} // open: closed by a crash
	}
}

type rule struct {
	Rule
	count int // matching operations so far
}

var _ storage.Store = (*Store)(nil)

// New wraps inner. With no rules the Store behaves exactly like inner.
func New(inner storage.Store) *Store {
	s := &Store{inner: inner}
	s.mu.writers = make(map[*writer]struct{})
	s.mu.objects = make(map[*object]struct{})
	return s
}

// Inner returns the wrapped store, to inspect what a crash left behind.
func (s *Store) Inner() storage.Store { return s.inner }

// Inject adds rules after those already there. When one operation matches
// several rules, each counts it, and the first that fires decides.
func (s *Store) Inject(rules ...Rule) error {
	added := make([]*rule, 0, len(rules))
	for i := range rules {
		if err := rules[i].validate(); err != nil {
			return fmt.Errorf("faultstore rule %d: %w", i, err)
		}
		r := rules[i]
		r.Ops = append([]Op(nil), r.Ops...)
		added = append(added, &rule{Rule: r})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.rules = append(s.mu.rules, added...)
	return nil
}

// ClearRules removes every rule. A crashed store stays crashed.
func (s *Store) ClearRules() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.rules = nil
}

// Crash kills the store now: every later operation fails with ErrCrashed,
// open Writers are aborted (nothing of them becomes visible, as when a
// process dies mid-write) and open Objects are closed.
func (s *Store) Crash() {
	s.mu.Lock()
	release := s.crashLocked()
	s.mu.Unlock()
	release()
}

// Crashed reports whether the store has crashed.
func (s *Store) Crashed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.crashed
}

// crashLocked marks the store dead and returns what releases its open
// Writers and Objects; call it after dropping every lock.
func (s *Store) crashLocked() func() {
	if s.mu.crashed {
		return func() {}
	}
	s.mu.crashed = true
	writers, objects := s.mu.writers, s.mu.objects
	s.mu.writers = make(map[*writer]struct{})
	s.mu.objects = make(map[*object]struct{})
	return func() {
		for w := range writers {
			w.mu.Lock()
			w.inner.Abort()
			w.done = true
			w.mu.Unlock()
		}
		for o := range objects {
			o.inner.Close()
		}
	}
}

// call is one operation in progress: what the rules decided for it when it
// started, and its log record.
type call struct {
	s       *Store
	rec     Record
	crashed bool   // the store was dead when it started
	fired   bool   // a rule fired
	action  Action // of the rule that fired
	err     error  // of the rule that fired
	release func() // set when the store crashed at the start of this call
}

// begin starts an operation: it numbers it and applies the rules.
func (s *Store) begin(op Op, name string) *call {
	c := &call{s: s, rec: Record{Op: op, Name: name}, release: func() {}}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.seq++
	c.rec.Seq = s.mu.seq
	if s.mu.crashed {
		c.crashed = true
		return c
	}
	for _, r := range s.mu.rules {
		if !r.matches(op, name) {
			continue
		}
		r.count++
		if !c.fired && (r.Nth == 0 || r.count == r.Nth) {
			c.fired, c.action, c.err = true, r.Action, r.Err
		}
	}
	if c.fired && c.action == CrashBefore {
		c.crashed = true
		c.release = s.crashLocked()
	}
	return c
}

// wrap gives an injected error the operation and name.
func (c *call) wrap(err error) error {
	return fmt.Errorf("%s %s: %w", c.rec.Op, c.rec.Name, err)
}

// pre returns the error the operation fails with before reaching the inner
// store, or nil to go on.
func (c *call) pre() error {
	switch {
	case c.crashed:
		c.rec.Outcome = Crashed
		return c.wrap(ErrCrashed)
	case c.fired && c.action == Fail:
		c.rec.Outcome = Injected
		if c.err == nil {
			return c.wrap(ErrInjected)
		}
		return c.wrap(c.err)
	}
	return nil
}

// post turns the inner store's result into what the caller gets.
func (c *call) post(err error) error {
	if err == nil && c.fired && c.action == FailAfter {
		c.rec.Outcome = InjectedAfter
		if c.err == nil {
			return c.wrap(ErrInjected)
		}
		return c.wrap(c.err)
	}
	return err
}

// end logs the operation and, for CrashAfter, kills the store. It returns
// what must run once the caller has dropped its locks.
func (c *call) end(err error) func() {
	c.rec.Err = err
	if c.rec.Outcome == "" {
		c.rec.Outcome = classify(err)
	}
	s := c.s
	s.mu.Lock()
	s.mu.log = append(s.mu.log, c.rec)
	release := c.release
	if c.fired && c.action == CrashAfter {
		release = s.crashLocked()
	}
	s.mu.Unlock()
	return release
}

// finish ends an operation that holds no lock of its own.
func (c *call) finish(err error) error {
	c.end(err)()
	return err
}

// Get reads name from the inner store.
func (s *Store) Get(ctx context.Context, name string) ([]byte, error) {
	c := s.begin(OpGet, name)
	if err := c.pre(); err != nil {
		return nil, c.finish(err)
	}
	data, err := s.inner.Get(ctx, name)
	c.rec.Len = len(data)
	if err = c.post(err); err != nil {
		return nil, c.finish(err)
	}
	return data, c.finish(nil)
}

// Stat describes name from the inner store.
func (s *Store) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	c := s.begin(OpStat, name)
	if err := c.pre(); err != nil {
		return storage.ObjectInfo{}, c.finish(err)
	}
	info, err := s.inner.Stat(ctx, name)
	if err = c.post(err); err != nil {
		return storage.ObjectInfo{}, c.finish(err)
	}
	return info, c.finish(nil)
}

// Put writes name to the inner store.
func (s *Store) Put(ctx context.Context, name string, data []byte) error {
	c := s.begin(OpPut, name)
	c.rec.Len = len(data)
	if err := c.pre(); err != nil {
		return c.finish(err)
	}
	return c.finish(c.post(s.inner.Put(ctx, name, data)))
}

// PutIfAbsent creates name in the inner store.
func (s *Store) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	c := s.begin(OpPutIfAbsent, name)
	c.rec.Len = len(data)
	if err := c.pre(); err != nil {
		return c.finish(err)
	}
	return c.finish(c.post(s.inner.PutIfAbsent(ctx, name, data)))
}

// List lists the inner store; rules match the prefix.
func (s *Store) List(ctx context.Context, prefix, startAfter string) ([]storage.ObjectInfo, error) {
	c := s.begin(OpList, prefix)
	c.rec.After = startAfter
	if err := c.pre(); err != nil {
		return nil, c.finish(err)
	}
	infos, err := s.inner.List(ctx, prefix, startAfter)
	c.rec.Len = len(infos)
	if err = c.post(err); err != nil {
		return nil, c.finish(err)
	}
	return infos, c.finish(nil)
}

// Delete deletes name in the inner store.
func (s *Store) Delete(ctx context.Context, name string) error {
	c := s.begin(OpDelete, name)
	if err := c.pre(); err != nil {
		return c.finish(err)
	}
	return c.finish(c.post(s.inner.Delete(ctx, name)))
}

// Open opens name in the inner store; reads through the Object are logged
// and subject to rules too.
func (s *Store) Open(ctx context.Context, name string) (storage.Object, error) {
	c := s.begin(OpOpen, name)
	if err := c.pre(); err != nil {
		return nil, c.finish(err)
	}
	inner, err := s.inner.Open(ctx, name)
	if err = c.post(err); err != nil {
		if inner != nil {
			inner.Close()
		}
		return nil, c.finish(err)
	}
	o := &object{s: s, name: name, inner: inner}
	s.mu.Lock()
	if s.mu.crashed { // crashed while opening: a dead process holds nothing
		s.mu.Unlock()
		inner.Close()
		return nil, c.finish(c.wrap(ErrCrashed))
	}
	s.mu.objects[o] = struct{}{}
	s.mu.Unlock()
	return o, c.finish(nil)
}

// Create starts a streamed write in the inner store; the Writer's calls are
// logged and subject to rules too.
func (s *Store) Create(ctx context.Context, name string) (storage.Writer, error) {
	c := s.begin(OpCreate, name)
	if err := c.pre(); err != nil {
		return nil, c.finish(err)
	}
	inner, err := s.inner.Create(ctx, name)
	if err = c.post(err); err != nil {
		if inner != nil {
			inner.Abort()
		}
		return nil, c.finish(err)
	}
	w := &writer{s: s, name: name, inner: inner}
	s.mu.Lock()
	if s.mu.crashed {
		s.mu.Unlock()
		inner.Abort()
		return nil, c.finish(c.wrap(ErrCrashed))
	}
	s.mu.writers[w] = struct{}{}
	s.mu.Unlock()
	return w, c.finish(nil)
}

// forgetWriter drops w from the crash list and reports whether it was still
// there, that is, not yet released by a crash or an earlier end.
func (s *Store) forgetWriter(w *writer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.mu.writers[w]
	delete(s.mu.writers, w)
	return ok
}

// forgetObject is forgetWriter for Objects.
func (s *Store) forgetObject(o *object) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.mu.objects[o]
	delete(s.mu.objects, o)
	return ok
}
