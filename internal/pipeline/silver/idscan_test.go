package silver

import (
	"bytes"
	"context"
	"fmt"
	"slices"
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

// appendEvent writes the row that appendRecord then appendTo give, with the
// coded columns as dictionary vectors or plain.
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
	coded := newDicts()
	err = gen.GenerateChunks(context.Background(), g, 1, func(_ int, data []byte, _ gen.Manifest) error {
		for _, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
			if !p.Parse(line, &ev).Valid() {
				continue
			}
			valid++
			batchID := []byte(fmt.Sprintf("batch-%d", valid%3))
			appendEvent(direct, &ev, int64(valid), batchID, coded)
			r := appendRecord(nil, hashID(ev.EventID), &ev, int64(valid), 0, batchID)
			rec(r).appendTo(viaRec, &dicts{})
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
		name := pipeline.SilverSchema.Fields[c].Name
		if want := slices.Contains(SilverWriteOptions().Parquet.Dictionary, name); direct.Cols[c].Coded() != want || viaRec.Cols[c].Coded() {
			t.Errorf("column %s: coded %v, want %v; plain batch coded %v", name, direct.Cols[c].Coded(), want, viaRec.Cols[c].Coded())
		}
		for r := 0; r < direct.Len(); r++ {
			if a, b := direct.Cols[c].Value(r), viaRec.Cols[c].Value(r); !cmp.Equal(a, b) {
				t.Fatalf("row %d column %s: direct %v, via record %v", r, pipeline.SilverSchema.Fields[c].Name, a, b)
			}
		}
	}
}

// addOrdered finds the same repeats as addBatch: every key added n times is
// reported n-1 times (plus the rare false positive), whatever the order.
func TestSeenFilterAddOrdered(t *testing.T) {
	const n = 100_000
	var keys []key
	for i := range n {
		k := hashID(fmt.Appendf(nil, "id-%d", i))
		keys = append(keys, k)
		if i%7 == 0 {
			keys = append(keys, k, k) // three copies
		}
	}
	batched, ordered := newSeenFilter(int64(len(keys))), newSeenFilter(int64(len(keys)))
	got := map[key]int{}
	want := map[key]int{}
	for i := 0; i < len(keys); i += 4096 {
		batched.addBatch(keys[i:min(i+4096, len(keys))], func(k key) { want[k]++ })
	}
	var tmp []key
	for i := 0; i < len(keys); i += 30_000 { // file-sized chunks
		tmp = ordered.addOrdered(keys[i:min(i+30_000, len(keys))], tmp, func(k key) { got[k]++ })
	}
	var fpGot, fpWant int
	for i := range n {
		k := hashID(fmt.Appendf(nil, "id-%d", i))
		copies := 1
		if i%7 == 0 {
			copies = 3
		}
		for name, m := range map[string]map[key]int{"addOrdered": got, "addBatch": want} {
			switch m[k] {
			case copies - 1:
			case copies:
				if name == "addOrdered" {
					fpGot++
				} else {
					fpWant++
				}
			default:
				t.Fatalf("%s: id-%d (%d copies) reported %d times", name, i, copies, m[k])
			}
		}
		if !ordered.contains(k) {
			t.Fatalf("id-%d not contained", i)
		}
	}
	if fpGot > n/50 || fpWant > n/50 {
		t.Errorf("false positives: addOrdered %d, addBatch %d", fpGot, fpWant)
	}
}

// Workers adding files' keys at once (addOrdered on shards of their own)
// still report every second copy: each key added by two workers is a repeat
// for exactly one of them (two with a false positive on the first copy).
func TestSeenFilterConcurrentAddOrdered(t *testing.T) {
	const n, workers = 200_000, 4
	f := newSeenFilter(2 * n)
	var wg sync.WaitGroup
	reported := make([][]key, workers)
	for w := range workers {
		wg.Go(func() {
			var tmp []key
			for file := 0; file < 20; file++ {
				var keys []key
				// Worker w's files hold ids w, w+workers, ...; every id is
				// also in a file of worker (w+1)%workers: two copies each.
				for i := file; i < n; i += 20 {
					if i%workers == w || i%workers == (w+1)%workers {
						keys = append(keys, hashID(fmt.Appendf(nil, "id-%d", i)))
					}
				}
				tmp = f.addOrdered(keys, tmp, func(k key) { reported[w] = append(reported[w], k) })
			}
		})
	}
	wg.Wait()
	count := map[key]int{}
	for _, r := range reported {
		for _, k := range r {
			count[k]++
		}
	}
	fp := 0
	for i := range n {
		switch c := count[hashID(fmt.Appendf(nil, "id-%d", i))]; c {
		case 1:
		case 2: // the first copy was a false positive
			fp++
		default:
			t.Fatalf("id-%d (two copies) reported %d times", i, c)
		}
	}
	if fp > n/50 {
		t.Errorf("%d false positives", fp)
	}
}
