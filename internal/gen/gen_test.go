package gen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestDeterministic(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"defaults", testConfig(7, 2*ChunkLines+999)},
		{"high fault rates", func() Config {
			c := testConfig(-3, ChunkLines+1)
			c.DuplicateRate, c.InvalidRate, c.MalformedRate = 0.2, 0.1, 0.05
			return c
		}()},
		{"no faults", func() Config {
			c := testConfig(1<<40, 5000)
			c.DuplicateRate, c.InvalidRate, c.MalformedRate = 0, 0, 0
			return c
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, ma := generate(t, mustNew(t, tc.cfg))
			b, mb := generate(t, mustNew(t, tc.cfg))
			if !bytes.Equal(a, b) {
				t.Errorf("two runs of the same config differ")
			}
			if diff := cmp.Diff(ma, mb); diff != "" {
				t.Errorf("manifests differ (-first +second):\n%s", diff)
			}
			other := tc.cfg
			other.Seed++
			c, _ := generate(t, mustNew(t, other))
			if bytes.Equal(a, c) {
				t.Errorf("seeds %d and %d give the same bytes", tc.cfg.Seed, other.Seed)
			}
		})
	}
}

// TestChunksIndependent generates chunks concurrently in shuffled order and
// checks that concatenating them gives the sequential stream.
func TestChunksIndependent(t *testing.T) {
	cfg := testConfig(99, 4*ChunkLines+12345)
	cfg.DuplicateRate, cfg.InvalidRate, cfg.MalformedRate = 0.05, 0.02, 0.01
	g := mustNew(t, cfg)
	want, wantM := generate(t, g)

	n := g.NumChunks()
	if n != 5 {
		t.Fatalf("NumChunks = %d, want 5", n)
	}
	order := rand.New(rand.NewPCG(1, 2)).Perm(n)
	parts := make([][]byte, n)
	manifests := make([]Manifest, n)
	var wg sync.WaitGroup
	for _, i := range order {
		wg.Go(func() {
			c := g.Chunk(i)
			var buf []byte
			for {
				var ok bool
				buf, ok = c.AppendLine(buf)
				if !ok {
					break
				}
				buf = append(buf, '\n')
			}
			parts[i] = buf
			manifests[i] = c.Manifest()
		})
	}
	wg.Wait()
	got := bytes.Join(parts, nil)
	if !bytes.Equal(got, want) {
		t.Errorf("concurrent shuffled chunks (%d bytes) differ from sequential output (%d bytes)", len(got), len(want))
	}
	merged := NewManifest()
	for _, m := range manifests {
		merged.Merge(m)
	}
	if diff := cmp.Diff(wantM, merged); diff != "" {
		t.Errorf("merged chunk manifests differ from the run's (-run +merged):\n%s", diff)
	}

	// Regenerating a chunk starts it afresh.
	again, _ := g.Chunk(2).Fill(nil, ChunkLines)
	if !bytes.Equal(again, parts[2]) {
		t.Errorf("chunk 2 generated twice differs")
	}
}

func TestWriteNDJSONParallel(t *testing.T) {
	cfg := testConfig(5, 3*ChunkLines+77)
	g := mustNew(t, cfg)
	want, wantM := generate(t, g)
	for _, workers := range []int{0, 1, 2, 3, 8} {
		var buf bytes.Buffer
		m, err := WriteNDJSONParallel(context.Background(), &buf, g, workers)
		if err != nil {
			t.Fatalf("workers=%d: %v", workers, err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("workers=%d: output differs from WriteNDJSON", workers)
		}
		if diff := cmp.Diff(wantM, m); diff != "" {
			t.Errorf("workers=%d: manifest differs (-sequential +parallel):\n%s", workers, diff)
		}
	}
	m, err := g.Manifest(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantM, m); diff != "" {
		t.Errorf("Generator.Manifest differs from WriteNDJSON's (-write +manifest):\n%s", diff)
	}
}

type failingWriter struct{ after int }

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errDiskFull
	}
	w.after--
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	g := mustNew(t, testConfig(1, 3*ChunkLines))
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		write   func() error
		wantErr error
	}{
		{"sequential writer fails", func() error {
			_, err := WriteNDJSON(context.Background(), &failingWriter{after: 3}, g)
			return err
		}, errDiskFull},
		{"parallel writer fails", func() error {
			_, err := WriteNDJSONParallel(context.Background(), &failingWriter{after: 1}, g, 2)
			return err
		}, errDiskFull},
		{"sequential cancelled", func() error {
			_, err := WriteNDJSON(cancelled, &bytes.Buffer{}, g)
			return err
		}, context.Canceled},
		{"parallel cancelled", func() error {
			_, err := WriteNDJSONParallel(cancelled, &bytes.Buffer{}, g, 2)
			return err
		}, context.Canceled},
		{"manifest cancelled", func() error {
			_, err := g.Manifest(cancelled, 2)
			return err
		}, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.write(); !errors.Is(err, tc.wantErr) {
				t.Errorf("error = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestAppendLineMatchesFill(t *testing.T) {
	g := mustNew(t, testConfig(3, 20000))
	filled, n := g.Chunk(0).Fill(nil, math.MaxInt)
	if n != 20000 {
		t.Fatalf("Fill wrote %d lines, want 20000", n)
	}
	c := g.Chunk(0)
	var appended []byte
	lines := 0
	for {
		var ok bool
		appended, ok = c.AppendLine(appended)
		if !ok {
			break
		}
		appended = append(appended, '\n')
		lines++
	}
	if lines != 20000 || !bytes.Equal(filled, appended) {
		t.Errorf("AppendLine gave %d lines, %d bytes; Fill gave 20000 lines, %d bytes", lines, len(appended), len(filled))
	}
	if !c.Done() {
		t.Errorf("chunk not Done after its last line")
	}
	if more, k := c.Fill(nil, 10); k != 0 || len(more) != 0 {
		t.Errorf("Fill after the end gave %d lines", k)
	}
}

func TestLineShape(t *testing.T) {
	tests := []struct {
		name string
		rows int64
	}{
		{"empty", 0},
		{"one line", 1},
		{"a few thousand", 5000},
		{"one chunk exactly", ChunkLines},
		{"one past a chunk", ChunkLines + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(11, tc.rows)
			cfg.DuplicateRate, cfg.InvalidRate, cfg.MalformedRate = 0.02, 0.02, 0.02
			g := mustNew(t, cfg)
			if want := int((tc.rows + ChunkLines - 1) / ChunkLines); g.NumChunks() != want {
				t.Errorf("NumChunks = %d, want %d", g.NumChunks(), want)
			}
			data, m := generate(t, g)
			lines := splitLines(t, data)
			if int64(len(lines)) != tc.rows || m.Rows != tc.rows {
				t.Fatalf("got %d lines, manifest rows %d, want %d", len(lines), m.Rows, tc.rows)
			}
			if m.ValidEvents+m.Duplicates+m.Quarantined != m.Rows {
				t.Errorf("valid %d + duplicates %d + quarantined %d != rows %d", m.ValidEvents, m.Duplicates, m.Quarantined, m.Rows)
			}
			for k, line := range lines {
				if len(line) == 0 || line[0] != '{' {
					t.Fatalf("line %d does not start an object: %q", k, line)
				}
				if bytes.ContainsAny(line, "\r\n") || !utf8.Valid(line) {
					t.Fatalf("line %d has a raw newline or invalid UTF-8: %q", k, line)
				}
			}
			if tc.rows > 10_000 {
				return // the cheap checks above are the point here; TestFaults decodes big runs
			}
			sc := recount(t, data)
			if diff := cmp.Diff(sc.m, m); diff != "" {
				t.Fatalf("manifest differs from the recount (-recount +manifest):\n%s", diff)
			}
			for k, line := range sc.lines {
				var v any
				parses := json.Unmarshal(line, &v) == nil
				if malformed := sc.reasons[k] == "malformed_json"; parses == malformed {
					t.Fatalf("line %d: encoding/json parses it: %v, but malformed: %v: %q", k, parses, malformed, line)
				}
			}
		})
	}
}

// TestFaults checks fault counts against the configured rates (exactly
// zero at rate zero) and the manifest against an independent recount.
func TestFaults(t *testing.T) {
	tests := []struct {
		name          string
		rows          int64
		dup, inv, mal float64
	}{
		{"defaults", defaultRunRows, DefaultDuplicateRate, DefaultInvalidRate, DefaultMalformedRate},
		{"no faults", 40_000, 0, 0, 0},
		{"duplicates only", 40_000, 0.1, 0, 0},
		{"invalid only", 40_000, 0, 0.1, 0},
		{"malformed only", 40_000, 0, 0, 0.1},
		{"high rates", 70_000, 0.2, 0.15, 0.05},
		{"all invalid", 20_000, 0, 1, 0},
		{"all malformed", 20_000, 0, 0, 1},
		{"invalid and malformed fill every line", 20_000, 0, 0.5, 0.5},
		{"mostly duplicates", 70_000, 0.8, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(2026, tc.rows)
			cfg.DuplicateRate, cfg.InvalidRate, cfg.MalformedRate = tc.dup, tc.inv, tc.mal
			var m Manifest
			var sc scan
			if shared := testConfig(2026, defaultRunRows); cfg == shared {
				_, m, sc = sharedDefaultRun(t)
			} else {
				data, gm := generate(t, mustNew(t, cfg))
				m, sc = gm, recount(t, data)
			}
			got := sc.m
			if diff := cmp.Diff(got, m); diff != "" {
				t.Fatalf("manifest differs from the recount (-recount +manifest):\n%s", diff)
			}

			malformed := got.QuarantineReasons["malformed_json"]
			invalid := got.Quarantined - malformed
			checkRate(t, "duplicates", got.Duplicates, tc.dup, tc.rows)
			checkRate(t, "invalid records", invalid, tc.inv, tc.rows)
			checkRate(t, "malformed lines", malformed, tc.mal, tc.rows)
			if tc.inv*float64(tc.rows) >= 16*150 {
				// Spread across the codes: every code, each near its share.
				for f := range numInvalidFaults {
					code := reasonCodes[f]
					checkRate(t, code, got.QuarantineReasons[code], tc.inv/numInvalidFaults, tc.rows)
				}
			}
			for reason := range got.QuarantineReasons {
				if !isKnownReason(reason) {
					t.Errorf("a record got reason %q, want exactly one known code", reason)
				}
			}

			// Every event_id that is there is unique: valid events' and
			// invalid records' alike.
			ids := map[string]int{}
			for k, r := range sc.records {
				if id := r.str("event_id"); id != "" {
					if prev, dup := ids[id]; dup {
						t.Fatalf("lines %d (%s) and %d (%s) share event_id %s", prev, sc.reasons[prev], k, sc.reasons[k], id)
					}
					ids[id] = k
				}
			}
		})
	}
}

func isKnownReason(reason string) bool {
	for _, c := range reasonCodes {
		if c == reason {
			return true
		}
	}
	return false
}

// checkRate allows six standard deviations of a binomial count, so a
// correct generator does not fail by chance, while a wrong rate does.
func checkRate(t *testing.T, what string, got int64, rate float64, rows int64) {
	t.Helper()
	want := rate * float64(rows)
	if rate == 0 {
		if got != 0 {
			t.Errorf("%s = %d, want exactly 0 at rate 0", what, got)
		}
		return
	}
	tol := 6*math.Sqrt(want*(1-min(rate, 0.99))) + 0.01*want + 5
	if math.Abs(float64(got)-want) > tol {
		t.Errorf("%s = %d, want %.0f ± %.0f (rate %v of %d rows)", what, got, want, tol, rate, rows)
	}
}

func TestLineAllocations(t *testing.T) {
	g := mustNew(t, testConfig(8, 10*ChunkLines))
	c := g.Chunk(0)
	buf := make([]byte, 0, 4096)
	for range 20000 { // warm up: session and re-send buffers reach their size
		buf, _ = c.AppendLine(buf[:0])
	}
	allocs := testing.AllocsPerRun(30000, func() {
		buf, _ = c.AppendLine(buf[:0])
	})
	if allocs > 0.001 {
		t.Errorf("AppendLine allocates %.4f times per line, want 0", allocs)
	}
}

func TestOutputHashStable(t *testing.T) {
	// The same config must give the same bytes on every machine and Go
	// version: no map iteration, no floating-point differences. Pin a hash.
	g := mustNew(t, testConfig(424242, 5000))
	data, _ := generate(t, g)
	sum := sha256.Sum256(data)
	got := string(appendHex(nil, sum[:]))
	if got != pinnedHash {
		t.Errorf("sha256 of the output = %s, want %s (if the format changed on purpose, update pinnedHash)", got, pinnedHash)
	}
}

const pinnedHash = "94a450f7816f4251477c82903581524eac0138d3236828444cf398d00fee383f"

func appendHex(dst, b []byte) []byte {
	const digits = "0123456789abcdef"
	for _, c := range b {
		dst = append(dst, digits[c>>4], digits[c&0xf])
	}
	return dst
}

// AppendLineID writes the lines Fill writes, and gives an event_id for
// exactly the valid ones (re-sends included): the id a JSON decoder reads.
func TestAppendLineIDMatchesTheLines(t *testing.T) {
	cfg := testConfig(11, ChunkLines+5000)
	cfg.DuplicateRate = 0.05
	g := mustNew(t, cfg)
	var line, filled []byte
	var valid, invalid int
	for i := range g.NumChunks() {
		a, b := g.Chunk(i), g.Chunk(i)
		for !a.Done() {
			var id []byte
			line, id = a.AppendLineID(line[:0])
			filled, _ = b.Fill(filled[:0], 1)
			if string(line)+"\n" != string(filled) {
				t.Fatalf("chunk %d: AppendLineID wrote %q, Fill %q", i, line, filled)
			}
			reason, rec := contractReason(line)
			switch {
			case (reason == "") != (id != nil):
				t.Fatalf("line %q (reason %q): id %q", line, reason, id)
			case id != nil && rec.str("event_id") != string(id):
				t.Fatalf("line %q: id %q, the decoder reads %q", line, id, rec.str("event_id"))
			case id != nil:
				valid++
			default:
				invalid++
			}
		}
		if _, id := a.AppendLineID(nil); id != nil || !b.Done() {
			t.Fatalf("chunk %d: lines after the end", i)
		}
	}
	if valid == 0 || invalid == 0 {
		t.Errorf("%d valid and %d invalid lines: want both", valid, invalid)
	}
}
