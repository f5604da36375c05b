package faultstore

import (
	"fmt"
	"io"
	"io/fs"
	"sync"

	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// writer wraps an inner Writer. Once a Write has failed (injected or not),
// Close aborts the inner writer and publishes nothing, as the Writer
// contract requires.
type writer struct {
	s    *Store
	name string

	// mu serialises calls on inner between the owner and a crash that
	// aborts it from another goroutine.
	mu     sync.Mutex
	inner  storage.Writer
	failed error // first failed Write
	done   bool  // Close or Abort ran, or the inner writer was released
}

func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	n, release, err := w.write(p)
	w.mu.Unlock()
	release()
	return n, err
}

func (w *writer) write(p []byte) (int, func(), error) {
	c := w.s.begin(OpWrite, w.name)
	c.rec.Len = len(p)
	n, err := w.writeInner(c, p)
	c.rec.N = n
	if err != nil && w.failed == nil && !w.done {
		w.failed = err
	}
	return n, c.end(err), err
}

func (w *writer) writeInner(c *call, p []byte) (int, error) {
	if err := c.pre(); err != nil {
		return 0, err
	}
	if w.done {
		return 0, fmt.Errorf("write %s: %w", w.name, fs.ErrClosed)
	}
	if w.failed != nil {
		return 0, w.failed
	}
	if c.fired && c.action == ShortWrite {
		n, err := w.inner.Write(p[:len(p)/2])
		if err != nil {
			return n, err
		}
		c.rec.Outcome = Injected
		if c.err == nil {
			return n, c.wrap(ErrInjected)
		}
		return n, c.wrap(c.err)
	}
	n, err := w.inner.Write(p)
	return n, c.post(err)
}

func (w *writer) Close() error {
	w.mu.Lock()
	release, err := w.close()
	w.mu.Unlock()
	release()
	return err
}

func (w *writer) close() (func(), error) {
	c := w.s.begin(OpClose, w.name)
	err := w.closeInner(c)
	return c.end(err), err
}

func (w *writer) closeInner(c *call) error {
	if err := c.pre(); err != nil {
		if !c.crashed && !w.done && w.s.forgetWriter(w) {
			w.inner.Abort() // a failed Close publishes nothing
		}
		w.done = true
		return err
	}
	if w.done {
		return fmt.Errorf("close %s: %w", w.name, fs.ErrClosed)
	}
	w.done = true
	if !w.s.forgetWriter(w) {
		return fmt.Errorf("close %s: %w", w.name, ErrCrashed) // released by a crash
	}
	if w.failed != nil {
		w.inner.Abort()
		return fmt.Errorf("close %s: an earlier write failed: %w", w.name, w.failed)
	}
	return c.post(w.inner.Close())
}

func (w *writer) Abort() error {
	w.mu.Lock()
	c := w.s.begin(OpAbort, w.name)
	err := c.pre()
	if !w.done && w.s.forgetWriter(w) {
		if aerr := w.inner.Abort(); err == nil {
			err = c.post(aerr)
		}
	}
	w.done = true
	release := c.end(err)
	w.mu.Unlock()
	release()
	return err
}

// object wraps an inner Object.
type object struct {
	s     *Store
	name  string
	inner storage.Object
}

func (o *object) ReadAt(p []byte, off int64) (int, error) {
	c := o.s.begin(OpReadAt, o.name)
	c.rec.Off, c.rec.Len = off, len(p)
	if err := c.pre(); err != nil {
		return 0, c.finish(err)
	}
	n, err := o.inner.ReadAt(p, off)
	c.rec.N = n
	if err == nil || err == io.EOF {
		if perr := c.post(nil); perr != nil {
			return n, c.finish(perr)
		}
	}
	c.end(err)()
	return n, err
}

func (o *object) Size() int64 { return o.inner.Size() }

func (o *object) Close() error {
	c := o.s.begin(OpCloseObject, o.name)
	err := c.pre()
	if o.s.forgetObject(o) {
		if cerr := o.inner.Close(); err == nil {
			err = c.post(cerr)
		}
	} else if err == nil {
		err = fmt.Errorf("close %s: %w", o.name, fs.ErrClosed)
	}
	return c.finish(err)
}
