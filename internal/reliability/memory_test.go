//go:build linux

package reliability

import (
	"bytes"
	"os"
	"testing"
)

// peaks is the peak resident memory of the ingest and bronze_to_silver
// processes of one input.
type peaks struct{ ingest, silver int64 }

// measurePeaks ingests path into a fresh warehouse with the binary, then
// runs bronze_to_silver (unless ingest is expected to fail), and returns
// their peak resident memory.
func measurePeaks(t *testing.T, path string, wantIngestErr bool) peaks {
	t.Helper()
	wh := t.TempDir()
	ri := runMeasured(t, wh, "ingest", path)
	if (ri.err != nil) != wantIngestErr {
		t.Fatalf("ingest: %s", ri)
	}
	if wantIngestErr {
		return peaks{ingest: ri.maxRSS}
	}
	rs := runMeasured(t, wh, "task", "bronze_to_silver")
	if rs.err != nil {
		t.Fatalf("%s", rs)
	}
	return peaks{ri.maxRSS, rs.maxRSS}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// TestHostileMemory runs the biggest hostile inputs through the binary and
// bounds the peak resident memory (the child's maxrss) of ingest and
// bronze_to_silver over a run on a one-line input: lines of 1 and 5 MiB, a
// 1 MiB line of "[" and 400,000-deep nesting may cost at most 16 times
// their size; a line over the 64 MiB ingest limit is refused holding at
// most four times the limit (the line buffer, its growth, GC headroom),
// and a line twice as long costs no more.
func TestHostileMemory(t *testing.T) {
	byName := map[string]hostileCase{}
	for _, c := range hostileCases {
		byName[c.name] = c
	}
	base := measurePeaks(t, writeLines(t, t.TempDir(), "tiny.ndjson", pageView("tiny-1", 200)), false)
	t.Logf("one-line input: ingest %d MiB, bronze_to_silver %d MiB", base.ingest>>20, base.silver>>20)

	for _, name := range []string{"a line over 1 MiB", "deep nesting"} {
		p := byName[name].make(t, t.TempDir())
		size := fileSize(t, p)
		got := measurePeaks(t, p, false)
		t.Logf("%s (%d KiB): ingest %d MiB, bronze_to_silver %d MiB", name, size>>10, got.ingest>>20, got.silver>>20)
		if limit := base.ingest + 16*size; got.ingest > limit {
			t.Errorf("%s: ingest peaked at %d MiB, want at most %d MiB", name, got.ingest>>20, limit>>20)
		}
		if limit := base.silver + 16*size; got.silver > limit {
			t.Errorf("%s: bronze_to_silver peaked at %d MiB, want at most %d MiB", name, got.silver>>20, limit>>20)
		}
	}

	// Over the ingest line limit: refused, memory bounded by the limit.
	dir := t.TempDir()
	over := measurePeaks(t, writeLines(t, dir, "over.ndjson", pageView("over-1", 65*mib)), true)
	twice := measurePeaks(t, writeLines(t, dir, "twice.ndjson", bytes.Repeat([]byte("x"), 130*mib)), true)
	t.Logf("65 MiB line: ingest %d MiB; 130 MiB line: ingest %d MiB", over.ingest>>20, twice.ingest>>20)
	if limit := base.ingest + 4*64*mib; over.ingest > limit {
		t.Errorf("a 65 MiB line: ingest peaked at %d MiB, want at most %d MiB", over.ingest>>20, limit>>20)
	}
	if limit := over.ingest + 32*mib; twice.ingest > limit {
		t.Errorf("a 130 MiB line: ingest peaked at %d MiB, want no more than for a 65 MiB line (%d MiB) + 32 MiB", twice.ingest>>20, over.ingest>>20)
	}
}
