package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/gen"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/check"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/gold"
)

var testEnd = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// testApp opens a fresh warehouse whose clock advances a second per reading
// (safe for the writers that read it from several goroutines).
func testApp(t *testing.T) *App {
	t.Helper()
	var ticks atomic.Int64
	now := func() time.Time { return testEnd.Add(time.Duration(ticks.Add(1)) * time.Second) }
	a, err := Open(Options{Warehouse: t.TempDir(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustCheck(t *testing.T, a *App) *check.Report {
	t.Helper()
	r, err := a.Check(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		var b bytes.Buffer
		WriteCheck(&b, r, "text")
		t.Fatalf("check failed:\n%s", b.String())
	}
	return r
}

func runTask(t *testing.T, a *App, name string, params map[string]string) map[string]any {
	t.Helper()
	m, err := a.Registry()[name](context.Background(), params)
	if err != nil {
		t.Fatalf("task %s: %v", name, err)
	}
	return m
}

// runStages runs generate_bronze with params, then bronze_to_silver, then
// silver_to_gold, and returns gold's result.
func runStages(t *testing.T, a *App, params map[string]string) map[string]any {
	t.Helper()
	runTask(t, a, TaskGenerate, params)
	runTask(t, a, TaskSilver, nil)
	return runTask(t, a, TaskGold, nil)
}

// versions returns the version of every pipeline table.
func versions(t *testing.T, a *App) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, d := range pipeline.Tables {
		s, err := a.Warehouse().Snapshot(context.Background(), d.Name)
		if err != nil {
			t.Fatal(err)
		}
		if s != nil {
			out[d.Name] = s.Version()
		}
	}
	return out
}

type facts struct {
	Bronze, Silver   int64
	Quarantine       map[string]int64
	ByName           map[string]int64
	Purchases, Units int64
	Revenue          map[string]int64
	Funnel           map[string][5]int64
	RevenueDaily     map[string]gen.Revenue
}

func scanTable(t *testing.T, a *App, name string, fn func(b *column.Batch, r int)) {
	t.Helper()
	s, err := a.Warehouse().Snapshot(context.Background(), name)
	if err != nil || s == nil {
		t.Fatalf("table %s: %v", name, err)
	}
	sc, err := s.Scan(delta.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Each(context.Background(), func(b *column.Batch) error {
		for r := 0; r < b.Len(); r++ {
			fn(b, r)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// tableFacts reads what the pipeline produced, in the manifest's terms.
func tableFacts(t *testing.T, a *App) facts {
	f := facts{Quarantine: map[string]int64{}, ByName: map[string]int64{}, Revenue: map[string]int64{},
		Funnel: map[string][5]int64{}, RevenueDaily: map[string]gen.Revenue{}}
	scanTable(t, a, pipeline.Bronze, func(*column.Batch, int) { f.Bronze++ })
	scanTable(t, a, pipeline.Silver, func(b *column.Batch, r int) {
		f.Silver++
		f.ByName[b.Cols[pipeline.SEventName].Str(r)]++
	})
	scanTable(t, a, pipeline.Quarantine, func(b *column.Batch, r int) { f.Quarantine[b.Cols[1].Str(r)]++ })
	fs := pipeline.FactPurchasesSchema
	scanTable(t, a, pipeline.FactPurchases, func(b *column.Batch, r int) {
		f.Purchases++
		f.Units += b.Cols[fs.Index("quantity")].Ints[r]
		f.Revenue[b.Cols[fs.Index("currency")].Str(r)] += b.Cols[fs.Index("revenue")].Ints[r]
	})
	scanTable(t, a, pipeline.FunnelDaily, func(b *column.Batch, r int) {
		var s [5]int64
		for i := range s {
			s[i] = b.Cols[1+i].Ints[r]
		}
		f.Funnel[column.FormatDate(b.Cols[0].Ints[r])] = s
	})
	scanTable(t, a, pipeline.RevenueDaily, func(b *column.Batch, r int) {
		k := column.FormatDate(b.Cols[0].Ints[r]) + "/" + b.Cols[1].Str(r)
		f.RevenueDaily[k] = gen.Revenue{Orders: b.Cols[2].Ints[r], Units: b.Cols[3].Ints[r], RevenueCents: b.Cols[4].Ints[r]}
	})
	return f
}

// manifestFacts is what the generator says the tables must hold.
func manifestFacts(m gen.Manifest) facts {
	f := facts{Bronze: m.Rows, Silver: m.ValidEvents, Quarantine: m.QuarantineReasons, ByName: map[string]int64{},
		Purchases: m.Purchases, Units: m.PurchaseUnits, Revenue: m.RevenueCents, Funnel: map[string][5]int64{},
		RevenueDaily: map[string]gen.Revenue{}}
	for k, v := range m.EventsByName {
		if v > 0 {
			f.ByName[k] = v
		}
	}
	for d, day := range m.Daily {
		f.Funnel[d] = day.Funnel()
		for cur, r := range day.Revenue {
			f.RevenueDaily[d+"/"+cur] = r
		}
	}
	return f
}

// The pipeline's tables equal what the generator (an independent account of
// the same data) says they must hold.
func TestPipelineMatchesGeneratorManifest(t *testing.T) {
	a := testApp(t)
	params := map[string]string{"rows": "60000", "seed": "11", "end": testEnd.Format(time.RFC3339)}
	cfg, err := GenConfig(params, testEnd)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gen.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := g.Manifest(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	runStages(t, a, params)
	if diff := cmp.Diff(manifestFacts(m), tableFacts(t, a)); diff != "" {
		t.Errorf("tables differ from the generator's manifest (-want +got):\n%s", diff)
	}
	rep := mustCheck(t, a)
	if rep.Superseded != m.Duplicates {
		t.Errorf("superseded %d, generator injected %d duplicates", rep.Superseded, m.Duplicates)
	}
}

// Ingesting the generated NDJSON files (plain and gzip) gives the same
// silver and gold as generating straight into bronze; re-ingesting them
// adds nothing; rerunning stages commits nothing.
func TestIngestEqualsGenerateAndIsExactlyOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := testApp(t)
	params := map[string]string{"rows": "30000", "seed": "5", "end": testEnd.Format(time.RFC3339)}
	cfg, _ := GenConfig(params, testEnd)
	res, err := a.GenerateFiles(ctx, dir, 3, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// gzip the second file
	gzPath := res.Files[1] + ".gz"
	data, _ := os.ReadFile(res.Files[1])
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	os.WriteFile(gzPath, buf.Bytes(), 0o666)
	os.Remove(res.Files[1])

	ing, err := a.Ingest(ctx, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if ing.Rows != 30000 || len(ing.Files) != 3 {
		t.Fatalf("ingest: %d rows from %d files", ing.Rows, len(ing.Files))
	}
	runTask(t, a, TaskSilver, nil)
	runTask(t, a, TaskGold, nil)
	if diff := cmp.Diff(manifestFacts(res.Manifest), tableFacts(t, a)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	mustCheck(t, a)

	before := versions(t, a)
	again, err := a.Ingest(ctx, []string{dir, res.Files[0]})
	if err != nil {
		t.Fatal(err)
	}
	if again.Rows != 0 {
		t.Errorf("re-ingest added %d rows", again.Rows)
	}
	for _, f := range again.Files {
		if !f.Skipped {
			t.Errorf("%s was not skipped", f.Path)
		}
	}
	runTask(t, a, TaskSilver, nil)
	runTask(t, a, TaskGold, nil)
	if diff := cmp.Diff(before, versions(t, a)); diff != "" {
		t.Errorf("rerun committed new versions (-before +after):\n%s", diff)
	}
}

// A late event for an old day changes that day's gold and no other day's.
func TestLateEventChangesOnlyItsDay(t *testing.T) {
	ctx := context.Background()
	a := testApp(t)
	params := map[string]string{"rows": "20000", "seed": "3", "end": testEnd.Format(time.RFC3339), "days": "5"}
	runStages(t, a, params)
	before := tableFacts(t, a)
	fact0, _ := a.Warehouse().Snapshot(ctx, pipeline.FactPurchases)

	late := `{"event_id":"late-1","event_ts":"2026-11-17T09:00:00Z","event_name":"purchase","user_id":"u_late","session_id":"s_late","product_id":"p_1","price":10.50,"quantity":2,"currency":"CAD","order_id":"o_late"}` + "\n"
	p := filepath.Join(t.TempDir(), "late.ndjson")
	os.WriteFile(p, []byte(late), 0o666)
	if _, err := a.Ingest(ctx, []string{p}); err != nil {
		t.Fatal(err)
	}
	runTask(t, a, TaskSilver, nil)
	m := runTask(t, a, TaskGold, nil)
	if m["dates"] != 1 {
		t.Errorf("gold recomputed %v dates, want 1", m["dates"])
	}
	after := tableFacts(t, a)
	for d, f := range before.Funnel {
		g := after.Funnel[d]
		if d == "2026-11-17" {
			if g[4] != f[4]+1 || g[0] != f[0] {
				t.Errorf("%s funnel %v → %v: want one more purchasing session only", d, f, g)
			}
			continue
		}
		if g != f {
			t.Errorf("%s funnel changed: %v → %v", d, f, g)
		}
	}
	if got, want := after.RevenueDaily["2026-11-17/CAD"].RevenueCents, before.RevenueDaily["2026-11-17/CAD"].RevenueCents+2100; got != want {
		t.Errorf("revenue 2026-11-17 CAD = %d, want %d", got, want)
	}
	// Only the late day's fact partition was rewritten.
	fact1, _ := a.Warehouse().Snapshot(ctx, pipeline.FactPurchases)
	changes, err := fact1.Table().Changes(ctx, fact0.Version(), fact1.Version())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		for _, act := range c.Actions {
			var pv map[string]*string
			switch {
			case act.Add != nil:
				pv = act.Add.PartitionValues
			case act.Remove != nil:
				pv = act.Remove.PartitionValues
			default:
				continue
			}
			if d := *pv["event_date"]; d != "2026-11-17" {
				t.Errorf("fact partition %s touched", d)
			}
		}
	}
	mustCheck(t, a)
}

// Hand-made lines: the dedup rules (latest ingest_ts wins, then the later
// bronze version, then the later position), an event that moves to another
// day, and quarantine reasons.
func TestDedupRulesByHand(t *testing.T) {
	ctx := context.Background()
	a := testApp(t)
	ev := func(id, ts, name, extra string) string {
		return fmt.Sprintf(`{"event_id":%q,"event_ts":%q,"event_name":%q,"user_id":"u1","session_id":"s1"%s}`, id, ts, name, extra)
	}
	write := func(name string, lines ...string) string {
		p := filepath.Join(t.TempDir(), name)
		os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o666)
		return p
	}
	// Batch 1: e1 twice in one file (the later position wins), e2 once, bad lines.
	f1 := write("a.ndjson",
		ev("e1", "2026-11-18T10:00:00Z", "page_view", `,"city":"first"`),
		ev("e1", "2026-11-18T10:00:00Z", "page_view", `,"city":"second"`),
		ev("e2", "2026-11-18T11:00:00Z", "page_view", ""),
		`{"event_id":"e9"`,
		`{"event_id":"","event_ts":"yesterday","event_name":"click","user_id":"u_1"}`,
		"   ",
	)
	if _, err := a.Ingest(ctx, []string{f1}); err != nil {
		t.Fatal(err)
	}
	runTask(t, a, TaskSilver, nil)
	// Batch 2 (later ingest_ts): e2 moves to another day; e1 re-sent.
	f2 := write("b.ndjson",
		ev("e2", "2026-11-19T11:00:00Z", "page_view", `,"city":"moved"`),
		ev("e1", "2026-11-18T10:00:00Z", "page_view", `,"city":"third"`),
	)
	if _, err := a.Ingest(ctx, []string{f2}); err != nil {
		t.Fatal(err)
	}
	runTask(t, a, TaskSilver, nil)
	runTask(t, a, TaskGold, nil)
	got := map[string]string{}
	scanTable(t, a, pipeline.Silver, func(b *column.Batch, r int) {
		got[b.Cols[pipeline.SEventID].Str(r)] = column.FormatDate(b.Cols[pipeline.SEventDate].Ints[r]) + " " + b.Cols[pipeline.SCity].Str(r)
	})
	want := map[string]string{"e1": "2026-11-18 third", "e2": "2026-11-19 moved"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("silver (-want +got):\n%s", diff)
	}
	var reasons []string
	scanTable(t, a, pipeline.Quarantine, func(b *column.Batch, r int) { reasons = append(reasons, b.Cols[1].Str(r)) })
	slices.Sort(reasons)
	if diff := cmp.Diff([]string{"malformed_json", "missing_event_id,invalid_event_ts,invalid_event_name"}, reasons); diff != "" {
		t.Errorf("quarantine (-want +got):\n%s", diff)
	}
	rep := mustCheck(t, a)
	if rep.Bronze != 7 || rep.Silver != 2 || rep.Quarantine != 2 || rep.Superseded != 3 {
		t.Errorf("reconcile %d = %d + %d + %d, want 7 = 2 + 2 + 3", rep.Bronze, rep.Silver, rep.Quarantine, rep.Superseded)
	}
	// The funnel no longer counts e2 on its old day.
	f := tableFacts(t, a).Funnel
	if f["2026-11-18"][0] != 1 || f["2026-11-19"][0] != 1 {
		t.Errorf("funnel page_view sessions: %v", f)
	}
}

// The default job runs twice with the same seed: every event of the second
// run supersedes its copy from the first, and check still passes.
func TestPipelineRerunSameSeed(t *testing.T) {
	ctx := context.Background()
	a := testApp(t)
	for i := 0; i < 2; i++ {
		if _, err := a.RunJob(ctx, nil, map[string]string{"rows": "20000", "seed": "7"}); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		mustCheck(t, a)
	}
}

// Gold appends the fact rows of a day whose silver files were only added,
// and recomputes a day that lost files; either way the fact table equals a
// recomputation from silver (check compares every row of every day).
func TestGoldFactsAppendedOrReplaced(t *testing.T) {
	a := testApp(t)
	run := func(seed string) map[string]any {
		return runStages(t, a, map[string]string{"rows": "8000", "seed": seed, "end": testEnd.Format(time.RFC3339)})
	}
	if m := run("1"); m["fact_dates_appended"] != 0 {
		t.Errorf("first run appended to a fact table never built: %v", m)
	}
	mustCheck(t, a)
	if m := run("2"); m["fact_dates_appended"] != m["dates"] {
		t.Errorf("new events only, yet not every day was appended: %v", m)
	}
	mustCheck(t, a)
	// The same events again: silver rewrites files (removes), so those days
	// are recomputed.
	if m := run("1"); m["fact_dates_appended"] == m["dates"] {
		t.Errorf("days that lost silver files were appended to: %v", m)
	}
	mustCheck(t, a)
}

// Appending to a day's fact partition stops at gold.MaxFactFilesPerDay
// files: the next run replaces the partition with one file.
func TestGoldFactFilesStayBounded(t *testing.T) {
	a := testApp(t)
	ctx := context.Background()
	most, replaced := 0, false
	for i := range gold.MaxFactFilesPerDay + 3 {
		m := runStages(t, a, map[string]string{"rows": "300", "seed": fmt.Sprint(i + 1), "days": "1", "end": testEnd.Format(time.RFC3339)})
		if i > 0 && m["fact_dates_appended"] != m["dates"] {
			replaced = true
		}
		s, err := a.Warehouse().Snapshot(ctx, pipeline.FactPurchases)
		if err != nil {
			t.Fatal(err)
		}
		perDay := map[string]int{}
		for _, f := range s.Files() {
			perDay[*f.PartitionValues["event_date"]]++
		}
		for _, n := range perDay {
			most = max(most, n)
		}
	}
	if most > gold.MaxFactFilesPerDay || !replaced {
		t.Errorf("a fact partition reached %d files (bound %d); a partition replaced: %v", most, gold.MaxFactFilesPerDay, replaced)
	}
	if most < gold.MaxFactFilesPerDay {
		t.Errorf("partitions reached %d files only: the runs did not append", most)
	}
	mustCheck(t, a)
}

// Gold's funnel state is a cache: runs that use it, runs after it was
// deleted and runs after it was damaged all give what a recomputation from
// silver gives (check compares every day).
func TestFunnelStateIsOnlyACache(t *testing.T) {
	a := testApp(t)
	run := func(seed string) map[string]any {
		return runStages(t, a, map[string]string{"rows": "8000", "seed": seed, "end": testEnd.Format(time.RFC3339)})
	}
	run("1")
	if m := run("2"); m["incremental_dates"] == 0 {
		t.Errorf("second run used no saved state: %v", m)
	}
	mustCheck(t, a)
	run("1") // the same events again: silver rewrites files, the state applies removes
	mustCheck(t, a)
	// A day's state is a head <date>.bin and its segments in <date>/.
	stateDir := filepath.Join(a.Path(), "_lakehouse", "state")
	var heads []string
	segments := map[string][]string{} // head → its day's segments
	filepath.WalkDir(stateDir, func(p string, d os.DirEntry, err error) error {
		switch {
		case err != nil || d.IsDir():
		case strings.HasSuffix(p, ".bin"):
			heads = append(heads, p)
		case strings.HasSuffix(p, ".seg"):
			head := filepath.Dir(p) + ".bin"
			segments[head] = append(segments[head], p)
		}
		return nil
	})
	if len(heads) < 2 {
		t.Fatalf("funnel state of %d days saved, want 2 or more", len(heads))
	}
	// Garbage in the first day's head; a flipped byte in every segment of
	// the last day (same size: only the checksum can tell).
	os.WriteFile(heads[0], []byte("garbage"), 0o666)
	damaged := segments[heads[len(heads)-1]]
	if len(damaged) == 0 {
		t.Fatalf("no segment for %s", heads[len(heads)-1])
	}
	for _, p := range damaged {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 1
		os.WriteFile(p, b, 0o666)
	}
	m := run("3")
	if m["incremental_dates"].(int) > m["dates"].(int)-2 {
		t.Errorf("damaged state used: %v", m)
	}
	// Both days were recomputed: a new head, and the damaged segments
	// replaced by a new base.
	if b, err := os.ReadFile(heads[0]); err != nil || bytes.Equal(b, []byte("garbage")) {
		t.Errorf("damaged head not rewritten: %v", err)
	}
	for _, p := range damaged {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("damaged segment %s still there", p)
		}
	}
	mustCheck(t, a)
}
