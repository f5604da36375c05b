package silver

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/event"
	"github.com/ecomm-lakehouse/lakehouse/internal/gen"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
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
		id, ok := quickID([]byte(c.line))
		got := ""
		if ok {
			got = string(id)
		}
		if got != c.id {
			t.Errorf("quickID(%s) = %q, %v; want %q", c.line, id, ok, c.id)
		}
	}
}

// FuzzQuickID: whenever quickID is sure and the parser accepts the line,
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
		id, ok := quickID(line)
		if !ok || !p.Parse(line, &ev).Valid() {
			return
		}
		if !bytes.Equal(id, ev.EventID) {
			t.Fatalf("quickID read %q, the parser %q in %q", id, ev.EventID, line)
		}
	})
}

// seenFilter: of goroutines adding the same keys in batches, exactly one
// sees each key as new; and with 16 bits a key few new keys are taken for
// seen ones.
func TestSeenFilter(t *testing.T) {
	const n = 200_000
	f := newSeenFilter(n)
	keys := make([]key, n)
	for i := range keys {
		keys[i] = hashID(fmt.Appendf(nil, "id-%d", i))
	}
	seen := make(map[key]int) // under f's lock
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := 0; i < n; i += 1000 {
				f.addBatch(keys[i:i+1000], func(k key) { seen[k]++ })
			}
		})
	}
	wg.Wait()
	var fp int
	for _, k := range keys {
		switch c := seen[k]; c {
		case 3: // new to one goroutine, seen by the other three
		case 4:
			fp++ // a false positive on its first add
		default:
			t.Fatalf("key seen %d times by 4 goroutines", c)
		}
		if !f.contains(k) {
			t.Fatal("an added key is not contained")
		}
	}
	if rate := float64(fp) / n; rate > 0.02 {
		t.Errorf("false positive rate %.4f, want below 0.02", rate)
	}
}

// appendEvent writes the row that appendRecord then appendTo give.
func TestAppendEventMatchesRecord(t *testing.T) {
	g, err := gen.New(gen.Defaults(3, 5000, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	direct := column.NewBatch(pipeline.SilverSchema, 1024)
	viaRec := column.NewBatch(pipeline.SilverSchema, 1024)
	p := event.NewParser(event.ParserOptions{})
	var ev event.Event
	valid := 0
	err = gen.GenerateChunks(context.Background(), g, 1, func(_ int, data []byte, _ gen.Manifest) error {
		for _, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
			if !p.Parse(line, &ev).Valid() {
				continue
			}
			valid++
			batchID := []byte(fmt.Sprintf("batch-%d", valid%3))
			appendEvent(direct, &ev, int64(valid), batchID)
			r := appendRecord(nil, hashID(ev.EventID), &ev, int64(valid), 0, batchID)
			rec(r).appendTo(viaRec)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if valid < 4000 {
		t.Fatalf("only %d valid events", valid)
	}
	for c := range direct.Cols {
		for r := 0; r < direct.Len(); r++ {
			if a, b := direct.Cols[c].Value(r), viaRec.Cols[c].Value(r); !cmp.Equal(a, b) {
				t.Fatalf("row %d column %s: direct %v, via record %v", r, pipeline.SilverSchema.Fields[c].Name, a, b)
			}
		}
	}
}

// firstKeyID recognizes the parser's id as the first key's value only when
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
		if got := firstKeyID(line, ev.EventID); got != c.want {
			t.Errorf("firstKeyID(%s) = %v, want %v", line, got, c.want)
		}
	}
}
