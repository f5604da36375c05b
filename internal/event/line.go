package event

import (
	"bytes"
	"fmt"
	"io"
)

const (
	// DefaultMaxLineBytes is the default LineOptions.MaxLineBytes (64 MiB).
	DefaultMaxLineBytes = 64 << 20
	// DefaultLineBufferBytes is the default LineOptions.BufferBytes (1 MiB).
	DefaultLineBufferBytes = 1 << 20

	maxEmptyReads = 100
)

// LineOptions configures a LineReader. The zero value means the defaults.
type LineOptions struct {
	// MaxLineBytes is the longest line accepted, not counting its "\n" or
	// the "\r" dropped before it. A longer line makes Next fail (wrapping
	// ErrLineTooLong) instead of growing memory without bound.
	// 0 means DefaultMaxLineBytes.
	MaxLineBytes int
	// BufferBytes is the initial read buffer size; it grows only for lines
	// longer than it. 0 means DefaultLineBufferBytes.
	BufferBytes int
}

// LineReader splits newline-delimited input into records, as the contract
// frames them: a line ends with "\n"; a "\r" right before the "\n" is
// dropped; a final line without "\n" counts; lines holding only JSON
// whitespace (space, tab, "\r") are not records and are skipped, though they
// still count for line numbers. It reads through one large buffer and does
// not allocate per line.
type LineReader struct {
	r       io.Reader
	max     int
	buf     []byte
	start   int   // first unconsumed byte of buf
	end     int   // end of the data in buf
	scanned int   // buf[start:scanned] holds no '\n'
	base    int64 // stream offset of buf[0]
	lineNo  int64 // number of the last line consumed
	lineOff int64 // stream offset of the last line returned
	eof     bool
	err     error // sticky: returned by every later Next
}

// NewLineReader returns a LineReader reading r with opts (zero fields take
// their defaults).
func NewLineReader(r io.Reader, opts LineOptions) *LineReader {
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	if opts.BufferBytes <= 0 {
		opts.BufferBytes = DefaultLineBufferBytes
	}
	// A line, its "\r" and one more byte always fit once the buffer has
	// grown to its cap.
	size := min(max(opts.BufferBytes, 16), opts.MaxLineBytes+2)
	return &LineReader{r: r, max: opts.MaxLineBytes, buf: make([]byte, size)}
}

// Next returns the next record, without its line terminator, and its
// 1-based line number in the input. The slice is valid until the next call.
// At the end of the input it returns io.EOF. A line longer than
// MaxLineBytes, or a read error, ends the reading: that error is returned by
// this and every later call.
func (lr *LineReader) Next() (line []byte, lineNo int64, err error) {
	for {
		line, err := lr.nextLine()
		if err != nil {
			return nil, lr.lineNo, err
		}
		if !blank(line) {
			return line, lr.lineNo, nil
		}
	}
}

// Offset returns the byte offset in the input of the start of the line the
// last Next call returned.
func (lr *LineReader) Offset() int64 { return lr.lineOff }

// nextLine returns the next line, blank or not.
func (lr *LineReader) nextLine() ([]byte, error) {
	if lr.err != nil {
		return nil, lr.err
	}
	for {
		if i := bytes.IndexByte(lr.buf[lr.scanned:lr.end], '\n'); i >= 0 {
			nl := lr.scanned + i
			line := lr.buf[lr.start:nl]
			lr.lineNo++
			lr.lineOff = lr.base + int64(lr.start)
			lr.start = nl + 1
			lr.scanned = lr.start
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			if len(line) > lr.max {
				return nil, lr.fail(lr.tooLong(lr.lineNo))
			}
			return line, nil
		}
		lr.scanned = lr.end
		pending := lr.end - lr.start
		// Without its '\n' yet, a line may still end in the "\r" that
		// will be dropped: only max+1 pending bytes are certainly too many.
		if pending > lr.max+1 || (pending == lr.max+1 && lr.buf[lr.end-1] != '\r') {
			return nil, lr.fail(lr.tooLong(lr.lineNo + 1))
		}
		if lr.eof {
			if pending == 0 {
				return nil, lr.fail(io.EOF)
			}
			if pending > lr.max {
				return nil, lr.fail(lr.tooLong(lr.lineNo + 1))
			}
			line := lr.buf[lr.start:lr.end]
			lr.lineNo++
			lr.lineOff = lr.base + int64(lr.start)
			lr.start = lr.end
			lr.scanned = lr.end
			return line, nil
		}
		if err := lr.fill(); err != nil {
			return nil, lr.fail(&LineError{Line: lr.lineNo + 1, Read: true, Err: err})
		}
	}
}

// fill reads more input after the pending bytes, moving them to the front
// of the buffer or growing it first when there is no room.
func (lr *LineReader) fill() error {
	if lr.end == len(lr.buf) {
		// No room: move the pending bytes to the front, or grow the buffer
		// when they fill it (only up to max+2 bytes: nextLine fails a
		// longer line before getting here).
		pending := lr.end - lr.start
		if lr.start > 0 {
			copy(lr.buf, lr.buf[lr.start:lr.end])
		} else {
			grown := make([]byte, min(2*len(lr.buf), lr.max+2))
			copy(grown, lr.buf[:lr.end])
			lr.buf = grown
		}
		lr.base += int64(lr.start)
		lr.scanned -= lr.start
		lr.start, lr.end = 0, pending
	}
	for range maxEmptyReads {
		n, err := lr.r.Read(lr.buf[lr.end:])
		lr.end += n
		if err == io.EOF {
			lr.eof = true
			return nil
		}
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
	return io.ErrNoProgress
}

func (lr *LineReader) fail(err error) error {
	lr.err = err
	return err
}

func (lr *LineReader) tooLong(lineNo int64) error {
	return &LineError{Line: lineNo, Err: lineTooLongError{max: lr.max}}
}

// LineError is an error met at a line of the input: "line 12: longer than
// 64 MiB", or "read line 12: ..." for a read error. A caller that read a
// later part of a file can add the lines before that part to Line.
type LineError struct {
	Line int64
	Read bool // the input failed while reading the line
	Err  error
}

func (e *LineError) Error() string {
	if e.Read {
		return fmt.Sprintf("read line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// lineTooLongError reads "longer than 64 MiB" and wraps ErrLineTooLong.
type lineTooLongError struct{ max int }

func (e lineTooLongError) Error() string { return "longer than " + formatBytes(e.max) }

func (e lineTooLongError) Unwrap() error { return ErrLineTooLong }

func formatBytes(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// blank reports whether line holds only JSON whitespace other than "\n"
// (space, tab, "\r"), which includes the empty line.
func blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
