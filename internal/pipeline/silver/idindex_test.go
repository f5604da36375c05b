package silver

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/event"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/idindex"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/pipelinetest"
)

// silverOf returns a warehouse with rows generated events (seed) in
// bronze, run through bronze_to_silver.
func silverOf(t *testing.T, seed, rows int64) *pipeline.Warehouse {
	t.Helper()
	wh := pipelinetest.Warehouse(t)
	pipelinetest.GenerateBronze(t, wh, seed, rows)
	mustRun(t, wh)
	return wh
}

// mustRun runs bronze_to_silver on 2 workers.
func mustRun(t *testing.T, wh *pipeline.Warehouse) {
	t.Helper()
	if _, err := Run(context.Background(), wh, Options{Workers: 2}); err != nil {
		t.Fatal(err)
	}
}

func snapshot(t *testing.T, wh *pipeline.Warehouse, table string) *delta.Snapshot {
	t.Helper()
	s, err := wh.Snapshot(context.Background(), table)
	if err != nil || s == nil {
		t.Fatalf("%s: %v", table, err)
	}
	return s
}

// fileIDs reads a silver file's event_id and ingest_ts columns.
func fileIDs(t *testing.T, s *delta.Snapshot, a *delta.Add) ([]string, []int64) {
	t.Helper()
	sc, err := s.Scan(delta.ScanOptions{Columns: []string{"event_id", "ingest_ts"}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var ts []int64
	err = sc.ReadFile(context.Background(), a, func(b *column.Batch) error {
		for r := 0; r < b.Len(); r++ {
			ids = append(ids, b.Cols[0].Str(r))
			ts = append(ts, b.Cols[1].Ints[r])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, ts
}

// rewriteIndex replaces the index of a with edit applied to its entries,
// under a valid checksum.
func rewriteIndex(t *testing.T, x *idindex.Index, a *delta.Add, edit func(entries []byte)) {
	t.Helper()
	if err := x.Rewrite(context.Background(), a, edit); err != nil {
		t.Fatal(err)
	}
}

// Every silver file, written by an insert or by a rewrite, has an index that
// lists its rows' keys and ingest_ts in row order; the indexes of the files
// a run removed are gone.
func TestIDIndexDescribesEveryFile(t *testing.T) {
	ctx := context.Background()
	wh := silverOf(t, 1, 6000)
	pipelinetest.GenerateBronze(t, wh, 1, 6000) // the same events again: files are rewritten
	res, err := Run(ctx, wh, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.FilesRewritten == 0 {
		t.Fatalf("the second run rewrote no file: %+v", res)
	}
	s := snapshot(t, wh, pipeline.Silver)
	x := silverIndex(wh.Root(), s)
	var buf []byte
	for _, a := range s.Files() {
		entries, err := x.Load(ctx, a, &buf)
		if err != nil {
			t.Fatalf("index of %s: %v", a.Path, err)
		}
		ids, ts := fileIDs(t, s, a)
		if len(entries) != len(ids)*silverIndexWidth {
			t.Fatalf("index of %s: %d bytes for %d rows", a.Path, len(entries), len(ids))
		}
		for r, id := range ids {
			if k, its := silverIndexEntry(entries, r); k != hashID([]byte(id)) || its != ts[r] {
				t.Fatalf("index of %s, row %d: (%x, %d), the file holds (%q, %d)", a.Path, r, k, its, id, ts[r])
			}
		}
	}
	listed, err := wh.Root().List(ctx, x.Prefix(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != s.NumFiles() {
		t.Errorf("%d indexes for %d live files: those of removed files stayed", len(listed), s.NumFiles())
	}
}

// Missing, damaged and mismatched indexes are ignored: the run reads those
// files from Parquet and ends with the silver of a warehouse whose indexes
// are intact.
func TestIDIndexIsOnlyACache(t *testing.T) {
	ctx := context.Background()
	intact, damaged := silverOf(t, 1, 6000), silverOf(t, 1, 6000)
	s := snapshot(t, damaged, pipeline.Silver)
	x := silverIndex(damaged.Root(), s)
	files := s.Files()
	if len(files) < 4 {
		t.Fatalf("only %d silver files", len(files))
	}
	var buf []byte
	if err := damaged.Root().Delete(ctx, x.Name(files[0].Path)); err != nil {
		t.Fatal(err)
	}
	if err := damaged.Root().Put(ctx, x.Name(files[1].Path), []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	data, _ := damaged.Root().Get(ctx, x.Name(files[2].Path))
	data[len(data)/2] ^= 1 // the checksum no longer matches
	damaged.Root().Put(ctx, x.Name(files[2].Path), data)
	// files[3]'s index put under files[1]'s name: right checksum, wrong file.
	data, _ = damaged.Root().Get(ctx, x.Name(files[3].Path))
	damaged.Root().Put(ctx, x.Name(files[1].Path), data)
	for i := range 3 {
		if _, err := x.Load(ctx, files[i], &buf); err == nil {
			t.Errorf("damaged index of file %d accepted", i)
		}
	}

	var results []*Result
	for _, wh := range []*pipeline.Warehouse{intact, damaged} {
		pipelinetest.GenerateBronze(t, wh, 1, 6000) // every event again
		res, err := Run(ctx, wh, Options{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
	}
	if a, b := results[0], results[1]; a.Inserted != b.Inserted || a.Updated != b.Updated || a.Superseded != b.Superseded || a.Updated == 0 {
		t.Errorf("intact indexes: %+v; damaged: %+v", a, b)
	}
	sameIDs(t, silverIDs(t, intact), damaged, "damaged indexes")
}

func silverIDs(t *testing.T, wh *pipeline.Warehouse) map[string]int {
	t.Helper()
	s := snapshot(t, wh, pipeline.Silver)
	out := map[string]int{}
	for _, a := range s.Files() {
		ids, _ := fileIDs(t, s, a)
		for _, id := range ids {
			out[id]++
		}
	}
	return out
}

// eachIDOnce requires silver to hold each of its event_ids once.
func eachIDOnce(t *testing.T, wh *pipeline.Warehouse) {
	t.Helper()
	for id, n := range silverIDs(t, wh) {
		if n != 1 {
			t.Fatalf("event_id %s: %d rows", id, n)
		}
	}
}

// sameIDs requires the silver of wh to hold the event_ids of want, each
// once (what names the case).
func sameIDs(t *testing.T, want map[string]int, wh *pipeline.Warehouse, what string) {
	t.Helper()
	got := silverIDs(t, wh)
	if len(got) != len(want) {
		t.Fatalf("%s: silver holds %d ids, want %d", what, len(got), len(want))
	}
	for id, n := range got {
		if n != 1 || want[id] != 1 {
			t.Fatalf("%s: event_id %s: %d rows, want %d", what, id, n, want[id])
		}
	}
}

// An index whose checksum is right but whose keys are not its file's (or a
// 128-bit hash collision) cannot make a run replace the wrong row: the
// match is verified against the file, and the run fails, committing nothing.
func TestIDIndexThatLiesFailsTheRun(t *testing.T) {
	ctx := context.Background()
	// An event_id of seed 2 that silver will hold, found on another warehouse.
	other := silverOf(t, 2, 3000)
	os := snapshot(t, other, pipeline.Silver)
	ids, _ := fileIDs(t, os, os.Files()[0])
	newID := ids[0]

	wh := silverOf(t, 1, 3000)
	s := snapshot(t, wh, pipeline.Silver)
	x := silverIndex(wh.Root(), s)
	victim := s.Files()[0]
	rewriteIndex(t, x, victim, func(entries []byte) {
		k := hashID([]byte(newID))
		copy(entries[:16], k[:]) // row 0 claims to hold newID
	})
	pipelinetest.GenerateBronze(t, wh, 2, 3000)
	_, err := Run(ctx, wh, Options{Workers: 2})
	if err == nil || !strings.Contains(err.Error(), "event_id index") || !strings.Contains(err.Error(), victim.Path) {
		t.Fatalf("run with a lying index: %v", err)
	}
	if after := snapshot(t, wh, pipeline.Silver); after.Version() != s.Version() {
		t.Errorf("silver moved from version %d to %d", s.Version(), after.Version())
	}
	// Without the lying index the run succeeds.
	if err := wh.Root().Delete(ctx, x.Name(victim.Path)); err != nil {
		t.Fatal(err)
	}
	mustRun(t, wh)
	eachIDOnce(t, wh)
}

// Every bronze file has an index holding, per row, the key the first pass
// takes from its raw line; silver built from bronze with missing or damaged
// indexes is the silver built with intact ones.
func TestBronzeIndexIsOnlyACache(t *testing.T) {
	ctx := context.Background()
	intact, missing, damaged := pipelinetest.Warehouse(t), pipelinetest.Warehouse(t), pipelinetest.Warehouse(t)
	for _, wh := range []*pipeline.Warehouse{intact, missing, damaged} {
		pipelinetest.GenerateBronze(t, wh, 1, 6000)
		pipelinetest.GenerateBronze(t, wh, 2, 4000)
	}
	b := snapshot(t, intact, pipeline.Bronze)
	bx := idindex.Bronze(intact.Root(), b)
	p := event.NewParser(event.ParserOptions{})
	var ev event.Event
	var buf []byte
	sc, err := b.Scan(delta.ScanOptions{Columns: []string{"raw_json"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range b.Files() {
		entries, err := bx.Load(ctx, a, &buf)
		if err != nil {
			t.Fatalf("index of %s: %v", a.Path, err)
		}
		row := 0
		err = sc.ReadFile(ctx, a, func(batch *column.Batch) error {
			for r := 0; r < batch.Len(); r++ {
				want, _ := idindex.LineKey(p, &ev, batch.Cols[0].Bytes(r))
				if got := key(entries[16*row : 16*row+16]); got != want {
					t.Fatalf("index of %s, row %d: %x, want %x", a.Path, row, got, want)
				}
				row++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	mb := snapshot(t, missing, pipeline.Bronze)
	for _, a := range mb.Files() {
		if err := missing.Root().Delete(ctx, idindex.Bronze(missing.Root(), mb).Name(a.Path)); err != nil {
			t.Fatal(err)
		}
	}
	db := snapshot(t, damaged, pipeline.Bronze)
	dx := idindex.Bronze(damaged.Root(), db)
	data, err := damaged.Root().Get(ctx, dx.Name(db.Files()[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	data[100] ^= 1
	damaged.Root().Put(ctx, dx.Name(db.Files()[0].Path), data)

	var results []*Result
	for _, wh := range []*pipeline.Warehouse{intact, missing, damaged} {
		res, err := Run(ctx, wh, Options{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
	}
	want := silverIDs(t, intact)
	for i, wh := range []*pipeline.Warehouse{missing, damaged} {
		a, b := results[0], results[i+1]
		if a.Inserted != b.Inserted || a.Superseded != b.Superseded || a.Quarantined != b.Quarantined || a.Superseded == 0 {
			t.Errorf("intact indexes: %+v; case %d: %+v", a, i, b)
		}
		sameIDs(t, want, wh, fmt.Sprint("case ", i))
	}
}

// A bronze index that lies (right checksum, wrong keys) cannot let a repeat
// slip past dedup: the second pass, which parses every line, finds the keys
// wrong and fails the run, which commits nothing.
func TestBronzeIndexThatLiesFailsTheRun(t *testing.T) {
	ctx := context.Background()
	wh := pipelinetest.Warehouse(t)
	pipelinetest.GenerateBronze(t, wh, 1, 3000)
	b := snapshot(t, wh, pipeline.Bronze)
	bx := idindex.Bronze(wh.Root(), b)
	victim := b.Files()[0]
	if err := bx.Rewrite(ctx, victim, func(entries []byte) {
		for i := 0; i < len(entries); i += 16 {
			entries[i] ^= 1
		}
	}); err != nil {
		t.Fatal(err)
	}
	_, err := Run(ctx, wh, Options{Workers: 2})
	if err == nil || !strings.Contains(err.Error(), "event_id index") || !strings.Contains(err.Error(), victim.Path) {
		t.Fatalf("run with a lying bronze index: %v", err)
	}
	if s, err := wh.Snapshot(ctx, pipeline.Silver); err != nil || (s != nil && s.NumFiles() > 0) {
		t.Fatalf("silver after the failed run: %v, %v", s, err)
	}
	if err := wh.Root().Delete(ctx, bx.Name(victim.Path)); err != nil {
		t.Fatal(err)
	}
	mustRun(t, wh)
	eachIDOnce(t, wh)
}
