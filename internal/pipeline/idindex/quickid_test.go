package idindex

import (
	"bytes"
	"testing"

	"github.com/ecomm-lakehouse/lakehouse/internal/event"
)

const validEvent = `{"event_id":"e-1","event_ts":"2026-11-13T00:00:00Z","event_name":"page_view","user_id":"u1"}`

func TestQuickID(t *testing.T) {
	cases := []struct {
		line string
		id   string // "" = unsure
	}{
		{validEvent, "e-1"},
		{`{"event_id":"e-1","event_id":"e-2"}`, ""},      // duplicate key: the last counts
		{`{"event_id":"e-1","x":{"event_id":"n"}}`, ""},  // nested: ask the parser
		{`{"event_id":"e-1","event\u005fid":"e-2"}`, ""}, // escaped key
		{`{"event_id":"a\"b"}`, ""},                      // escaped quote
		{`{"event_id":"e-1","city":"a\\b"}`, ""},         // any backslash
		{`{"event_id":7}`, ""},                           // not a string
		{`{"event_id":""}`, ""},                          // empty: the parser decides
		{`{"user_id":"u","event_id":"e"}`, ""},           // not first
		{`{ "event_id":"e"}`, ""},                        // spaced
		{`{"event_id":"unterminated`, ""},                // cut
		{`{"event_id":"e-9","user_id":"u_1","x_event_id":"y"}`, "e-9"},
		{`{"event_id":"e-9","_":"_event_id\""}`, ""},
	}
	for _, c := range cases {
		id, ok := QuickID([]byte(c.line))
		got := ""
		if ok {
			got = string(id)
		}
		if got != c.id {
			t.Errorf("QuickID(%s) = %q, %v; want %q", c.line, id, ok, c.id)
		}
	}
}

// FuzzQuickID: whenever QuickID is sure and the parser accepts the line,
// both read the same event_id. The silver stage also checks this on every
// row it writes without dedup.
func FuzzQuickID(f *testing.F) {
	f.Add([]byte(validEvent))
	f.Add([]byte(`{"x":{"event_id":"n"},"event_ts":"2026-11-13T00:00:00Z","event_name":"page_view","user_id":"u1","event_id":"e"}`))
	f.Add([]byte(`{"extra":{"event_id":"n"},"event_ts":"2026-11-13T00:00:00Z","event_name":"page_view","user_id":"u1"}`))
	f.Add([]byte(`{"event_id" : "e-1" , "event_ts":"2026-11-13T00:00:00Z","event_name":"page_view","user_id":"u1"}`))
	p := event.NewParser(event.ParserOptions{})
	var ev event.Event
	f.Fuzz(func(t *testing.T, line []byte) {
		id, ok := QuickID(line)
		if !ok || !p.Parse(line, &ev).Valid() {
			return
		}
		if !bytes.Equal(id, ev.EventID) {
			t.Fatalf("QuickID read %q, the parser %q in %q", id, ev.EventID, line)
		}
	})
}

// FirstKeyID recognizes the parser's id as the first key's value only when
// it is that very slice of the line.
func TestFirstKeyID(t *testing.T) {
	p := event.NewParser(event.ParserOptions{})
	var ev event.Event
	for _, c := range []struct {
		line string
		want bool
	}{
		{validEvent, true},
		{`{"event_id":"e-1","event_ts":"2026-11-13T00:00:00Z","event_name":"page_view","user_id":"u1","event_id":"e-2"}`, false},
		{`{"event_id":"e\u002d1","event_ts":"2026-11-13T00:00:00Z","event_name":"page_view","user_id":"u1"}`, false},
		{`{"event_ts":"2026-11-13T00:00:00Z","event_id":"e-1","event_name":"page_view","user_id":"u1"}`, false},
	} {
		line := []byte(c.line)
		if !p.Parse(line, &ev).Valid() {
			t.Fatalf("invalid test line %s", line)
		}
		if got := FirstKeyID(line, ev.EventID); got != c.want {
			t.Errorf("FirstKeyID(%s) = %v, want %v", line, got, c.want)
		}
	}
}
