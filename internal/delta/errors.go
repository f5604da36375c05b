package delta

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrNotATable means the location holds no Delta log.
	ErrNotATable = errors.New("not a Delta table")
	// ErrCorrupt means the log or a file it names is damaged or inconsistent.
	ErrCorrupt = errors.New("corrupt Delta table")
	// ErrUnsupported means the table needs a protocol feature we do not implement.
	ErrUnsupported = errors.New("unsupported")
	// ErrConflict means a concurrent commit made ours invalid (see ConflictError).
	ErrConflict = errors.New("concurrent modification")
	// ErrSchemaMismatch means data does not match the table's schema.
	ErrSchemaMismatch = errors.New("schema mismatch")
	// ErrVersionNotFound means a requested version or timestamp is outside the log.
	ErrVersionNotFound = errors.New("version not found")
	// ErrTableExists is returned when creating a table that already exists.
	ErrTableExists = errors.New("table already exists")
)

// UnsupportedError names the protocol feature or version that stops us.
type UnsupportedError struct {
	What string // "reader feature", "reader version", "writer feature", …
	Name string // "deletionVectors", "99", …
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("unsupported %s: %s", e.What, e.Name)
}

// Unwrap makes errors.Is(err, ErrUnsupported) true.
func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

// ConflictError explains why a commit could not be rebased over a winner.
type ConflictError struct {
	Kind    string // ConcurrentAppend, ConcurrentDeleteRead, MetadataChanged, …
	Version int64  // the winning commit we conflict with
	Detail  string
}

func (e *ConflictError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: conflicting commit at version %d", e.Kind, e.Version)
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	b.WriteString(" (Help: re-run the operation; it will read the new state of the table)")
	return b.String()
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }
