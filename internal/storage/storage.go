package storage

import (
	"context"
	"io"
	"time"
)

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Name    string    // full name relative to the store root
	Size    int64     // bytes
	ModTime time.Time // last modification, as the backend records it
}

// Object is an open object for ranged reads. It is safe for concurrent ReadAt
// calls. ReadAt follows io.ReaderAt: a read that reaches the end returns the
// bytes there with io.EOF (or nil when it exactly fills p). If the name is
// replaced while the Object is open, local and mem keep serving the content
// that was opened; a remote backend must do the same (pin the version it
// opened) or fail the read, never mix two versions. Close releases it;
// ReadAt after Close fails.
type Object interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// Writer streams a new object. Nothing is visible under the name until Close
// returns nil; then the whole object is (replacing any older one). Abort
// discards what was written; calling Abort after Close is a no-op. After
// Close or Abort, Write and Close fail with an error wrapping fs.ErrClosed.
// Once a Write has failed, Close publishes nothing and returns an error.
// When Close returns an error the outcome is unknown (a step after publishing
// can fail, a remote reply can be lost): the old object or the whole new one
// is visible, never a part. A Writer is used by one goroutine at a time.
type Writer interface {
	io.Writer
	Close() error
	Abort() error
}

// Store is the object-store contract. All methods are safe for concurrent use
// by many goroutines and, for durable backends, by many processes.
//
// Every method checks ctx before doing anything and returns an error wrapping
// ctx.Err() if it is done; backends whose calls can block (network, long
// listings) also give up when ctx is cancelled midway. Names are checked with
// CheckName (List prefixes with CheckPrefix); a bad one gives an error wrapping
// ErrInvalidName. Errors name the operation and the object ("put x: ...").
type Store interface {
	// Get returns the whole content of name, or an error wrapping ErrNotExist.
	Get(ctx context.Context, name string) ([]byte, error)

	// Open opens name for ranged reads (Parquet footers, column chunks)
	// without reading the whole object. Missing: an error wrapping ErrNotExist.
	Open(ctx context.Context, name string) (Object, error)

	// Stat describes name, or returns an error wrapping ErrNotExist.
	Stat(ctx context.Context, name string) (ObjectInfo, error)

	// Put writes data under name atomically: a reader sees either the old
	// object or the complete new one, never a part. It replaces an existing
	// object. On return the object is durable. On error the outcome is
	// unknown: the old object or the whole new one is there.
	Put(ctx context.Context, name string, data []byte) error

	// Create starts a streamed write of name with the same atomicity as Put,
	// for objects too large to hold in memory. ctx governs the whole write:
	// once it is done, Write fails and Close publishes nothing.
	Create(ctx context.Context, name string) (Writer, error)

	// PutIfAbsent creates name with data only if no object of that name
	// exists, atomically across goroutines and processes: of many concurrent
	// callers exactly one succeeds and the others get an error wrapping
	// ErrExist. The object is complete when it becomes visible and durable
	// when the call returns. Delta commits rely on this. Any other error
	// leaves the outcome unknown (the object may have been created by this
	// call): a committer re-reads the name to find out.
	PutIfAbsent(ctx context.Context, name string, data []byte) error

	// List returns the objects whose names start with prefix and sort
	// strictly after startAfter (ignored when empty), in ascending byte
	// order of name. The prefix is a plain string prefix, not a directory:
	// "t/_delta_log/0000" is a valid prefix. Objects in nested "directories"
	// are included. Temporary objects of in-flight writes are never listed.
	List(ctx context.Context, prefix, startAfter string) ([]ObjectInfo, error)

	// Delete removes name. Deleting a missing object is not an error.
	Delete(ctx context.Context, name string) error
}
