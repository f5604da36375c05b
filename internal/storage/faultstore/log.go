package faultstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// Outcome classifies how an operation ended, for the log.
type Outcome string

// Outcomes, from the error the operation returned.
const (
	OK            Outcome = "ok"
	EOF           Outcome = "eof"       // ReadAt reached the end (io.EOF)
	NotExist      Outcome = "not-exist" // wraps storage.ErrNotExist
	Exist         Outcome = "exist"     // wraps storage.ErrExist
	InvalidName   Outcome = "invalid-name"
	Cancelled     Outcome = "cancelled"      // the context was done
	Injected      Outcome = "injected"       // Fail or ShortWrite fired
	InjectedAfter Outcome = "injected-after" // FailAfter fired: the effect happened
	Crashed       Outcome = "crashed"        // the store was dead
	Failed        Outcome = "error"          // any other error, from the inner store
)

// Record is one logged operation.
type Record struct {
	Seq   int    // order in which operations started, from 1
	Op    Op     // kind
	Name  string // object name; for OpList, the prefix
	After string // OpList: startAfter
	Off   int64  // OpReadAt: offset
	// Len is the size in bytes of the data of OpPut, OpPutIfAbsent and
	// OpWrite, of the buffer of OpReadAt, of what OpGet returned, and the
	// number of objects OpList returned.
	Len     int
	N       int // OpWrite, OpReadAt: bytes actually written or read
	Outcome Outcome
	Err     error // what the caller got; nil on success
}

// String renders the record on one line without Seq or the error text, so
// traces are stable across runs and backends:
//
//	put-if-absent _delta_log/00000000000000000001.json 812B: exist
//	read-at part-0.parquet @4088+8: ok (8)
//	list _delta_log/ after _delta_log/00000000000000000000.json: ok (2)
func (r Record) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Op, r.Name)
	switch r.Op {
	case OpPut, OpPutIfAbsent:
		fmt.Fprintf(&b, " %dB", r.Len)
	case OpWrite:
		fmt.Fprintf(&b, " %dB", r.Len)
	case OpReadAt:
		fmt.Fprintf(&b, " @%d+%d", r.Off, r.Len)
	case OpList:
		if r.After != "" {
			fmt.Fprintf(&b, " after %s", r.After)
		}
	}
	fmt.Fprintf(&b, ": %s", r.Outcome)
	switch {
	case r.Op == OpWrite && r.N != r.Len, r.Op == OpReadAt:
		fmt.Fprintf(&b, " (%d)", r.N)
	case r.Op == OpList && r.Err == nil, r.Op == OpGet && r.Err == nil:
		fmt.Fprintf(&b, " (%d)", r.Len)
	}
	return b.String()
}

func classify(err error) Outcome {
	switch {
	case err == nil:
		return OK
	case err == io.EOF:
		return EOF
	case errors.Is(err, ErrCrashed):
		return Crashed
	case errors.Is(err, storage.ErrNotExist):
		return NotExist
	case errors.Is(err, storage.ErrExist):
		return Exist
	case errors.Is(err, storage.ErrInvalidName):
		return InvalidName
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return Cancelled
	}
	return Failed
}

// Log returns a copy of every record so far, in the order operations
// started.
func (s *Store) Log() []Record {
	s.mu.Lock()
	recs := slices.Clone(s.mu.log)
	s.mu.Unlock()
	slices.SortFunc(recs, func(a, b Record) int { return a.Seq - b.Seq })
	return recs
}

// Trace renders the log one record a line (see Record.String), leaving out
// the kinds in omit: golden tests of a commit usually omit OpWrite and
// OpReadAt, whose counts depend on buffer sizes.
func (s *Store) Trace(omit ...Op) string {
	var b strings.Builder
	for _, r := range s.Log() {
		if !slices.Contains(omit, r.Op) {
			b.WriteString(r.String())
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// ResetLog forgets the records so far.
func (s *Store) ResetLog() {
	s.mu.Lock()
	s.mu.log = nil
	s.mu.Unlock()
}
