package event

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// record is one Next result, for comparisons.
type record struct {
	Line   string
	No     int64
	Offset int64
}

// readAll drains lr, returning the records and the final error (nil for a
// clean io.EOF).
func readAll(lr *LineReader) ([]record, error) {
	var out []record
	for {
		line, no, err := lr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, record{string(line), no, lr.Offset()})
	}
}

func TestLineReader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []record
	}{
		{"empty input", "", nil},
		{"one line", "a\n", []record{{"a", 1, 0}}},
		{"final line without newline", "a\nb", []record{{"a", 1, 0}, {"b", 2, 2}}},
		{"CRLF", "a\r\nb\r\n", []record{{"a", 1, 0}, {"b", 2, 3}}},
		{"only one CR dropped", "a\r\r\n", []record{{"a\r", 1, 0}}},
		{"CR inside a line kept", "a\rb\n", []record{{"a\rb", 1, 0}}},
		{"final CR without newline kept", "a\nb\r", []record{{"a", 1, 0}, {"b\r", 2, 2}}},
		{"empty lines skipped, counted", "\n\na\n\n", []record{{"a", 3, 2}}},
		{"whitespace-only lines skipped", " \t\r\n\r\n \na\n\t", []record{{"a", 4, 8}}},
		{"whitespace around content kept", " a \n", []record{{" a ", 1, 0}}},
		{"vertical tab is content", "\v\n", []record{{"\v", 1, 0}}},
		{"NUL bytes are content", "a\x00b\n\x00\n", []record{{"a\x00b", 1, 0}, {"\x00", 2, 4}}},
		{"invalid UTF-8 is content", "\xff\xfe\n", []record{{"\xff\xfe", 1, 0}}},
		{"BOM is content", "\xef\xbb\xbf{}\n", []record{{"\xef\xbb\xbf{}", 1, 0}}},
		{"only newlines", "\n\n\n", nil},
		{"only a CR", "\r", nil},
	}
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
		opts LineOptions
	}{
		{"default", func(r io.Reader) io.Reader { return r }, LineOptions{}},
		{"one byte at a time, tiny buffer", iotest.OneByteReader, LineOptions{BufferBytes: 1}},
		{"half reads, small buffer", iotest.HalfReader, LineOptions{BufferBytes: 3}},
		{"data with EOF", iotest.DataErrReader, LineOptions{BufferBytes: 4}},
	}
	for _, tt := range tests {
		for _, rd := range readers {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				got, err := readAll(NewLineReader(rd.wrap(strings.NewReader(tt.in)), rd.opts))
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("records (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestLineReaderLongLines(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		max     int
		want    []record
		wantErr string
	}{
		{"at the limit", "abcd\nxy\n", 4, []record{{"abcd", 1, 0}, {"xy", 2, 5}}, ""},
		{"at the limit with CRLF", "abcd\r\nxy", 4, []record{{"abcd", 1, 0}, {"xy", 2, 6}}, ""},
		{"over the limit", "ab\nabcde\nxy\n", 4, []record{{"ab", 1, 0}}, "line 2: longer than 4 bytes"},
		{"over the limit, CR then text", "ab\nabcd\rx\n", 4, []record{{"ab", 1, 0}}, "line 2: longer than 4 bytes"},
		{"final line over the limit", "ab\nabcde", 4, []record{{"ab", 1, 0}}, "line 2: longer than 4 bytes"},
		{"final line with CR over the limit", "ab\nabcd\r", 4, []record{{"ab", 1, 0}}, "line 2: longer than 4 bytes"},
		{"blank lines count too", "\n\n       \nab\n", 4, nil, "line 3: longer than 4 bytes"},
		{"KiB in the message", "\n" + strings.Repeat("x", 2049), 2048, nil, "line 2: longer than 2 KiB"},
		{"MiB in the message", strings.Repeat("x", 1<<20+1) + "\n", 1 << 20, nil, "line 1: longer than 1 MiB"},
	}
	for _, tt := range tests {
		for _, bufSize := range []int{1, 5, 0} {
			t.Run(fmt.Sprintf("%s/buffer %d", tt.name, bufSize), func(t *testing.T) {
				lr := NewLineReader(strings.NewReader(tt.in), LineOptions{MaxLineBytes: tt.max, BufferBytes: bufSize})
				got, err := readAll(lr)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("records (-want +got):\n%s", diff)
				}
				gotErr := ""
				if err != nil {
					gotErr = err.Error()
				}
				if diff := cmp.Diff(tt.wantErr, gotErr); diff != "" {
					t.Fatalf("error (-want +got):\n%s", diff)
				}
				if err == nil {
					return
				}
				if !errors.Is(err, ErrLineTooLong) {
					t.Errorf("error %v does not wrap ErrLineTooLong", err)
				}
				if _, _, again := lr.Next(); again != err {
					t.Errorf("Next after the error = %v, want the same error again", again)
				}
			})
		}
	}
}

func TestLineReaderDefaultLimit(t *testing.T) {
	// The default limit is 64 MiB, and an endless line fails there without
	// reading (or buffering) the rest of it.
	endless := &cycleReader{chunk: []byte(strings.Repeat("x", 4096)), left: 1 << 40}
	lr := NewLineReader(endless, LineOptions{})
	_, _, err := lr.Next()
	if diff := cmp.Diff("line 1: longer than 64 MiB", fmt.Sprint(err)); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	if read := int64(1<<40) - endless.left; read > 65<<20 {
		t.Errorf("read %d bytes before failing, want about 64 MiB", read)
	}
}

func TestLineReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	lr := NewLineReader(io.MultiReader(strings.NewReader("a\nb"), iotest.ErrReader(boom)), LineOptions{})
	got, err := readAll(lr)
	if diff := cmp.Diff([]record{{"a", 1, 0}}, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if !errors.Is(err, boom) || err.Error() != "read line 2: boom" {
		t.Errorf("error = %v, want \"read line 2: boom\" wrapping the reader's error", err)
	}
	if _, _, again := lr.Next(); !errors.Is(again, boom) {
		t.Errorf("Next after the error = %v, want it again", again)
	}
}

// stuckReader returns no data and no error forever.
type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

func TestLineReaderNoProgress(t *testing.T) {
	_, _, err := NewLineReader(stuckReader{}, LineOptions{}).Next()
	if !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("error = %v, want io.ErrNoProgress", err)
	}
}

func TestLineReaderAllocs(t *testing.T) {
	in := strings.Repeat(benchPurchase+"\n", 10_000)
	r := strings.NewReader(in)
	lr := NewLineReader(r, LineOptions{BufferBytes: 64 << 10})
	n := testing.AllocsPerRun(1, func() {
		r.Reset(in)
		*lr = *NewLineReader(r, LineOptions{BufferBytes: 64 << 10})
		if _, err := countRecords(lr); err != nil {
			t.Fatal(err)
		}
	})
	// One buffer per reader (plus the reader itself), none per line.
	if n > 2 {
		t.Errorf("reading 10000 lines allocates %v times, want at most 2", n)
	}
}

// countRecords counts records without keeping them.
func countRecords(lr *LineReader) (int, error) {
	n := 0
	for {
		_, _, err := lr.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}
