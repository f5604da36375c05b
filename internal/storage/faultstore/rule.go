package faultstore

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"syscall"
)

// Op is the kind of an operation on the store, an open Writer or an open
// Object.
type Op uint8

// The operations a Rule can watch and the log records.
const (
	OpGet         Op = iota + 1 // Store.Get
	OpOpen                      // Store.Open
	OpReadAt                    // Object.ReadAt
	OpCloseObject               // Object.Close
	OpStat                      // Store.Stat
	OpPut                       // Store.Put
	OpCreate                    // Store.Create
	OpWrite                     // Writer.Write
	OpClose                     // Writer.Close: publishing a streamed object
	OpAbort                     // Writer.Abort
	OpPutIfAbsent               // Store.PutIfAbsent
	OpList                      // Store.List
	OpDelete                    // Store.Delete
	opEnd
)

var opNames = [opEnd]string{
	OpGet: "get", OpOpen: "open", OpReadAt: "read-at", OpCloseObject: "close-object",
	OpStat: "stat", OpPut: "put", OpCreate: "create", OpWrite: "write", OpClose: "close",
	OpAbort: "abort", OpPutIfAbsent: "put-if-absent", OpList: "list", OpDelete: "delete",
}

func (o Op) String() string {
	if o == 0 || o >= opEnd {
		return fmt.Sprintf("op(%d)", o)
	}
	return opNames[o]
}

// Action is what a firing Rule does to the operation.
type Action uint8

const (
	// Fail makes the operation return the rule's error without reaching the
	// inner store: it has no effect.
	Fail Action = iota
	// FailAfter lets the operation reach the inner store and take effect,
	// then returns the rule's error anyway, as when the reply of a remote
	// store is lost. The caller cannot tell it from Fail.
	FailAfter
	// ShortWrite (OpWrite only) passes the first half of the buffer to the
	// inner writer and returns that count with the rule's error.
	ShortWrite
	// CrashBefore kills the store: this operation and every later one fail
	// with ErrCrashed, and this one has no effect.
	CrashBefore
	// CrashAfter lets this operation run normally, then kills the store:
	// every later operation fails with ErrCrashed.
	CrashAfter
	actionEnd
)

var actionNames = [actionEnd]string{"fail", "fail-after", "short-write", "crash-before", "crash-after"}

func (a Action) String() string {
	if a >= actionEnd {
		return fmt.Sprintf("action(%d)", a)
	}
	return actionNames[a]
}

// Rule selects operations and says what happens to them. A rule counts the
// operations it matches, in the order they start; it fires on the Nth one,
// or on every one when Nth is 0.
type Rule struct {
	// Ops are the kinds of operation the rule watches; empty means all.
	Ops []Op
	// Name is a path.Match pattern that the object name (for OpList, the
	// prefix) must match; empty matches every name. "*" does not cross a
	// slash: "_delta_log/*.json" matches commits of a Sub view of a table.
	Name string
	// Nth makes the rule fire on its Nth matching operation only (1-based);
	// 0 makes it fire on every matching operation.
	Nth int
	// Action is what happens when the rule fires; the zero value is Fail.
	Action Action
	// Err is the error the operation returns, wrapped with the operation
	// and name; nil means ErrInjected. Crash actions return ErrCrashed.
	Err error
}

func (r *Rule) validate() error {
	switch {
	case r.Nth < 0:
		return fmt.Errorf("negative Nth %d", r.Nth)
	case r.Action >= actionEnd:
		return fmt.Errorf("unknown action %d", r.Action)
	case r.Action == ShortWrite && (len(r.Ops) == 0 || slices.ContainsFunc(r.Ops, func(o Op) bool { return o != OpWrite })):
		return errors.New("ShortWrite applies to OpWrite only; set Ops to []Op{OpWrite}")
	}
	for _, o := range r.Ops {
		if o == 0 || o >= opEnd {
			return fmt.Errorf("unknown op %d", o)
		}
	}
	if _, err := path.Match(r.Name, ""); err != nil {
		return fmt.Errorf("name pattern %q: %w", r.Name, err)
	}
	return nil
}

func (r *Rule) matches(op Op, name string) bool {
	if len(r.Ops) > 0 && !slices.Contains(r.Ops, op) {
		return false
	}
	if r.Name == "" {
		return true
	}
	ok, _ := path.Match(r.Name, name) // the pattern was validated
	return ok
}

// ENOSPC returns the error a full disk gives when writing name, for Rule.Err.
func ENOSPC(name string) error {
	return &fs.PathError{Op: "write", Path: name, Err: syscall.ENOSPC}
}
