package event

import (
	"bytes"
	"io"
	"testing"

	"github.com/ecomm-lakehouse/lakehouse/internal/testenv"
)

// benchPurchase is a purchase line as the generator writes it: every field,
// a UUID event_id, an RFC 3339 timestamp with milliseconds, UTM fields.
const benchPurchase = `{"event_id":"5f0c3a9e-8b1d-4c2e-9f7a-1d2b3c4d5e6f","event_ts":"2026-11-20T13:45:12.345Z","event_name":"purchase","user_id":"u_12345","session_id":"s_12345_07","device_type":"mobile","platform":"ios","country":"CA","region":"ON","city":"Toronto","utm_source":"google","utm_medium":"cpc","utm_campaign":"bf_2026","product_id":"p_004217","category":"electronics","price":19.99,"quantity":2,"currency":"CAD","order_id":"o_98765"}`

// benchPageView is a page_view line of the same generator (direct traffic:
// no UTM fields, no product).
const benchPageView = `{"event_id":"0b7e2f14-6a3c-4d58-a1e9-7c6b5a4d3e2f","event_ts":"2026-11-20T13:41:07.918Z","event_name":"page_view","user_id":"u_00012345","session_id":"s_00012345_0007","device_type":"mobile","platform":"ios","country":"CA","region":"Ontario","city":"Toronto","utm_source":null,"utm_medium":null,"utm_campaign":null,"product_id":null,"category":null,"price":null,"quantity":null,"currency":null,"order_id":null}`

func benchmarkParse(b *testing.B, line string) {
	p := NewParser(ParserOptions{})
	in := []byte(line)
	var ev Event
	if r := p.Parse(in, &ev); !r.Valid() {
		b.Fatalf("benchmark line is invalid: %s", r)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	rows := 0
	cpu := testenv.StartCPU()
	for b.Loop() {
		p.Parse(in, &ev)
		rows++
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	cpu.ReportNsPer(b, int64(rows), "cpu-ns/row")
}

func BenchmarkParsePurchase(b *testing.B) { benchmarkParse(b, benchPurchase) }
func BenchmarkParsePageView(b *testing.B) { benchmarkParse(b, benchPageView) }

// cycleReader yields chunk over and over until total bytes were read.
type cycleReader struct {
	chunk []byte
	off   int
	left  int64
}

func (c *cycleReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && c.left > 0 {
		k := copy(p[n:], c.chunk[c.off:])
		k = int(min(int64(k), c.left))
		n += k
		c.left -= int64(k)
		c.off = (c.off + k) % len(c.chunk)
	}
	return n, nil
}

func BenchmarkLineReader100MB(b *testing.B) {
	// A chunk of whole lines, so the input is whole lines throughout.
	var chunk bytes.Buffer
	for chunk.Len() < 1<<20 {
		chunk.WriteString(benchPurchase + "\n" + benchPageView + "\n")
	}
	const target = 100 << 20
	total := int64(target / chunk.Len() * chunk.Len())
	b.SetBytes(total)
	b.ReportAllocs()
	rows := 0
	cpu := testenv.StartCPU()
	for b.Loop() {
		lr := NewLineReader(&cycleReader{chunk: chunk.Bytes(), left: total}, LineOptions{})
		for {
			_, _, err := lr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	cpu.ReportNsPer(b, int64(rows), "cpu-ns/row")
}

func BenchmarkReadAndParse100MB(b *testing.B) {
	var chunk bytes.Buffer
	for chunk.Len() < 1<<20 {
		chunk.WriteString(benchPurchase + "\n" + benchPageView + "\n")
	}
	total := int64(100 << 20 / chunk.Len() * chunk.Len())
	b.SetBytes(total)
	b.ReportAllocs()
	p := NewParser(ParserOptions{})
	var ev Event
	rows := 0
	cpu := testenv.StartCPU()
	for b.Loop() {
		lr := NewLineReader(&cycleReader{chunk: chunk.Bytes(), left: total}, LineOptions{})
		for {
			line, _, err := lr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if !p.Parse(line, &ev).Valid() {
				b.Fatal("invalid line")
			}
			rows++
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	cpu.ReportNsPer(b, int64(rows), "cpu-ns/row")
}
