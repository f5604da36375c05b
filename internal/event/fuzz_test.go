package event

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The seed corpora of these targets are in testdata/fuzz/<FuzzName>/: the
// contract examples and the hostile cases of the unit tests. Seeds too
// large for a corpus file are added in code.

func FuzzParse(f *testing.F) {
	// Megabyte-sized hostile lines are unit tests (TestParseHostile): the
	// fuzzing engine crawls on inputs that big.
	f.Add([]byte(`{"x":` + strings.Repeat("[", 1<<12)))
	f.Add([]byte(obj(set(pageView, "x", strings.Repeat(`[{"a":`, 2000)+"1"+strings.Repeat("}]", 2000)))))
	f.Add([]byte(obj(set(pageView, "pad", `"`+strings.Repeat("é", 1<<12)+`"`))))

	parser := NewParser(ParserOptions{}) // reused across inputs, as in the pipeline
	f.Fuzz(func(t *testing.T, line []byte) {
		var ev Event
		r := parser.Parse(line, &ev)
		first := snapshot(&ev)

		// Deterministic, also on a fresh Parser, and into an Event that
		// holds another event's values.
		var ev2 Event
		fresh := NewParser(ParserOptions{})
		fresh.Parse([]byte(benchPurchase), &ev2)
		if r2 := fresh.Parse(line, &ev2); r2 != r {
			t.Fatalf("a fresh Parser gives %q, the reused one %q", r2, r)
		}
		if r.Valid() {
			if diff := cmp.Diff(first, snapshot(&ev2)); diff != "" {
				t.Fatalf("events differ between Parsers (-reused +fresh):\n%s", diff)
			}
		}

		s := r.String()
		if (s == "") != r.Valid() {
			t.Fatalf("String() = %q but Valid() = %v", s, r.Valid())
		}
		if back, err := ParseReasons(s); err != nil || back != r {
			t.Fatalf("ParseReasons(%q) = %+v, %v; want %+v", s, back, err, r)
		}
		if (r.Has(MalformedJSON) || r.Has(RecordTooLarge)) && strings.Contains(s, ",") {
			t.Fatalf("%q: malformed_json and record_too_large must stand alone", s)
		}

		if r.Valid() {
			checkValidEvent(t, &ev)
		}

		if len(line) > 1<<16 {
			return // the reference model is too slow for fuzzing big inputs
		}
		ref := referenceCheck(line, DefaultMaxRecordBytes)
		if ref.skip {
			return
		}
		if diff := cmp.Diff(strings.Join(ref.reasons, ","), s); diff != "" {
			t.Fatalf("reasons differ from the reference model for %q (-ref +got):\n%s", line, diff)
		}
		if r.Valid() {
			got := refEvent{
				Strings: eventStrings(&ev), TS: ev.EventTS, Date: ev.EventDate, Name: ev.Name.String(),
				Price: ev.Price, Quantity: ev.Quantity, HasPrice: ev.HasPrice, HasQuant: ev.HasQuantity,
				ValidName: ev.Name != 0,
			}
			if diff := cmp.Diff(ref.ev, got); diff != "" {
				t.Fatalf("event differs from the reference model for %q (-ref +got):\n%s", line, diff)
			}
		}
	})
}

// snapshot copies what ev holds, so that it can be compared after the
// Parser reuses its buffers.
func snapshot(ev *Event) Event {
	c := *ev
	for _, p := range []*[]byte{
		&c.EventID, &c.EventName, &c.UserID, &c.SessionID, &c.DeviceType, &c.Platform,
		&c.Country, &c.Region, &c.City, &c.UTMSource, &c.UTMMedium, &c.UTMCampaign,
		&c.ProductID, &c.Category, &c.Currency, &c.OrderID,
	} {
		if *p != nil {
			*p = bytes.Clone(*p)
		}
	}
	return c
}

// checkValidEvent checks the invariants of a valid event.
func checkValidEvent(t *testing.T, ev *Event) {
	t.Helper()
	if ev.EventID == nil || ev.UserID == nil || ev.EventName == nil {
		t.Fatalf("valid event with a required field nil: %+v", ev)
	}
	if ev.Name.String() != string(ev.EventName) {
		t.Fatalf("Name %v does not match EventName %q", ev.Name, ev.EventName)
	}
	if ev.EventDate != DateOf(ev.EventTS) {
		t.Fatalf("EventDate %d, but DateOf(%d) = %d", ev.EventDate, ev.EventTS, DateOf(ev.EventTS))
	}
	if day := int64(ev.EventDate) * microsPerDay; ev.EventTS < day || ev.EventTS >= day+microsPerDay {
		t.Fatalf("EventTS %d outside its EventDate %d", ev.EventTS, ev.EventDate)
	}
	cart := ev.Name == AddToCart || ev.Name == Purchase
	if (cart || ev.Name == ProductView) && ev.ProductID == nil {
		t.Fatalf("valid %v without product_id", ev.Name)
	}
	if cart && (!ev.HasPrice || !ev.HasQuantity || ev.Currency == nil) {
		t.Fatalf("valid %v without price, quantity or currency: %+v", ev.Name, ev)
	}
	if ev.Name == Purchase && ev.OrderID == nil {
		t.Fatalf("valid purchase without order_id")
	}
	if ev.HasPrice && (ev.Price < 0 || ev.Price > maxCents || ev.Currency == nil) {
		t.Fatalf("valid event with price %d, currency %q", ev.Price, ev.Currency)
	}
	if ev.HasQuantity && ev.Quantity < 1 {
		t.Fatalf("valid event with quantity %d", ev.Quantity)
	}
	if ev.Currency != nil && !isCurrencyCode(ev.Currency) {
		t.Fatalf("valid event with currency %q", ev.Currency)
	}
}

func FuzzParseTimestamp(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		micros, ok := ParseTimestamp([]byte(s))
		refMicros, refOK := refTS(s)
		if ok != refOK || micros != refMicros {
			t.Fatalf("ParseTimestamp(%q) = %d, %v; the reference model %d, %v", s, micros, ok, refMicros, refOK)
		}
		if !ok {
			return
		}
		formatted := time.UnixMicro(micros).UTC().Format("2006-01-02T15:04:05.999999Z07:00")
		again, ok := ParseTimestamp([]byte(formatted))
		if !ok || again != micros {
			t.Fatalf("ParseTimestamp(%q) = %d, but its RFC 3339 form %q gives %d, %v", s, micros, formatted, again, ok)
		}
	})
}

func FuzzLineReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, bufSize uint8) {
		// The records as the contract frames them, by a plain split, and
		// the number of the first line (blank or not) longer than limit.
		const limit = 8
		var want []record
		var off, tooLong int64
		parts := bytes.Split(data, []byte("\n"))
		for i, p := range parts {
			last := i == len(parts)-1
			if last && len(p) == 0 {
				break
			}
			line := p
			if !last {
				line = bytes.TrimSuffix(p, []byte("\r"))
			}
			if len(bytes.Trim(line, " \t\r")) > 0 {
				want = append(want, record{string(line), int64(i + 1), off})
			}
			if tooLong == 0 && len(line) > limit {
				tooLong = int64(i + 1)
			}
			off += int64(len(p)) + 1
		}

		for _, r := range []func() *LineReader{
			func() *LineReader { return NewLineReader(bytes.NewReader(data), LineOptions{BufferBytes: 4096}) },
			func() *LineReader {
				return NewLineReader(&chunkReader{data: data, size: int(bufSize%7) + 1}, LineOptions{BufferBytes: int(bufSize) + 1})
			},
		} {
			got, err := readAll(r())
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("records of %q (-want +got):\n%s", data, diff)
			}
			// Independently of the model above: every record's offset points
			// at its bytes in the input, followed by "\n", "\r\n" or the end.
			for _, rec := range got {
				end := rec.Offset + int64(len(rec.Line))
				if end > int64(len(data)) || string(data[rec.Offset:end]) != rec.Line {
					t.Fatalf("record %d at offset %d is not the input's bytes there", rec.No, rec.Offset)
				}
				if rest := data[end:]; len(rest) > 0 && rest[0] != '\n' && !bytes.HasPrefix(rest, []byte("\r\n")) {
					t.Fatalf("record %d at offset %d does not end at a line break", rec.No, rec.Offset)
				}
			}
		}

		// With a small limit, exactly the lines over it fail.
		lr := NewLineReader(bytes.NewReader(data), LineOptions{MaxLineBytes: limit, BufferBytes: int(bufSize) + 1})
		got, err := readAll(lr)
		var wantSmall []record
		for _, w := range want {
			if tooLong == 0 || w.No < tooLong {
				wantSmall = append(wantSmall, w)
			}
		}
		if diff := cmp.Diff(wantSmall, got); diff != "" {
			t.Fatalf("records with limit %d (-want +got):\n%s", limit, diff)
		}
		if (tooLong != 0) != (err != nil) {
			t.Fatalf("error = %v, want one for line %d", err, tooLong)
		}
	})
}

// chunkReader returns data in reads of at most size bytes.
type chunkReader struct {
	data []byte
	size int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.size)], c.data)
	c.data = c.data[n:]
	return n, nil
}
