package delta

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// setCommitTimes sets the mtimes of commit files, as time travel without
// in-commit timestamps reads them (git does not keep mtimes).
func setCommitTimes(t *testing.T, dir string, times map[int64]time.Time) {
	t.Helper()
	for v, ts := range times {
		if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(CommitName(v))), ts, ts); err != nil {
			t.Fatal(err)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

type asOfCase struct {
	at   string
	want int64 // -1: ErrVersionNotFound
}

func checkVersionAsOf(t *testing.T, tbl *Table, cases []asOfCase) {
	t.Helper()
	ctx := context.Background()
	for _, c := range cases {
		v, err := tbl.VersionAsOf(ctx, mustTime(t, c.at))
		if c.want < 0 {
			if !errors.Is(err, ErrVersionNotFound) {
				t.Errorf("VersionAsOf(%s) = %d, %v; want ErrVersionNotFound", c.at, v, err)
			}
			continue
		}
		if err != nil || v != c.want {
			t.Errorf("VersionAsOf(%s) = %d, %v; want %d", c.at, v, err, c.want)
			continue
		}
		s, err := tbl.SnapshotAsOf(ctx, mustTime(t, c.at))
		if err != nil || s.Version() != c.want {
			t.Errorf("SnapshotAsOf(%s): %v, %v; want version %d", c.at, s, err, c.want)
		}
	}
}

// historyTimes returns the commit timestamps History reports, oldest first.
func historyTimes(t *testing.T, tbl *Table) []time.Time {
	t.Helper()
	h, err := tbl.History(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]time.Time, len(h))
	for i, e := range h {
		if e.Version != int64(len(h)-1-i) {
			t.Fatalf("history entry %d is version %d", i, e.Version)
		}
		out[len(h)-1-i] = e.Timestamp.UTC()
	}
	return out
}

// TestTimeTravelSimpleTable follows delta-rs time_travel.rs on
// delta-rs/simple_table with the commit mtimes its README gives.
func TestTimeTravelSimpleTable(t *testing.T) {
	dir := copySharedTable(t, "delta-rs/simple_table")
	times := map[int64]time.Time{}
	for v := range int64(5) {
		times[v] = mustTime(t, "2020-05-0"+strconv.Itoa(int(v)+1)+"T22:47:31-07:00")
	}
	setCommitTimes(t, dir, times)
	tbl := localTable(t, dir, Options{})
	checkVersionAsOf(t, tbl, []asOfCase{
		{"2020-05-02T23:47:31-07:00", 1},
		{"2020-05-05T21:47:31-07:00", 3},
		{"2020-05-25T22:47:31-07:00", 4},
		{"2020-05-01T22:47:31-07:00", 0},
		{"2020-05-01T22:47:30.999-07:00", -1},
		{"2019-01-01T00:00:00Z", -1},
	})
	var want []time.Time
	for v := range int64(5) {
		want = append(want, times[v].UTC())
	}
	if diff := cmp.Diff(want, historyTimes(t, tbl)); diff != "" {
		t.Errorf("history timestamps (-want +got):\n%s", diff)
	}
}

// TestTimeTravelMonotonicMtimes: golden/time-travel-start-start20-start40
// with the mtimes its generator set, and a copy whose mtimes run backwards,
// which Spark makes monotonic (predecessor + 1 ms).
func TestTimeTravelMonotonicMtimes(t *testing.T) {
	dir := copySharedTable(t, "golden/time-travel-start-start20-start40/delta")
	start := time.UnixMilli(1540415658000)
	setCommitTimes(t, dir, map[int64]time.Time{0: start, 1: start.Add(20 * time.Minute), 2: start.Add(40 * time.Minute)})
	tbl := localTable(t, dir, Options{})
	at := func(d time.Duration) string { return start.Add(d).UTC().Format(time.RFC3339Nano) }
	checkVersionAsOf(t, tbl, []asOfCase{
		{at(-time.Millisecond), -1}, {at(0), 0}, {at(19 * time.Minute), 0}, {at(20 * time.Minute), 1},
		{at(39 * time.Minute), 1}, {at(40 * time.Minute), 2}, {at(1000 * time.Hour), 2},
	})

	setCommitTimes(t, dir, map[int64]time.Time{0: start, 1: start.Add(-time.Hour), 2: start.Add(-2 * time.Hour)})
	want := []time.Time{start.UTC(), start.Add(time.Millisecond).UTC(), start.Add(2 * time.Millisecond).UTC()}
	if diff := cmp.Diff(want, historyTimes(t, tbl)); diff != "" {
		t.Errorf("monotonic history timestamps (-want +got):\n%s", diff)
	}
	checkVersionAsOf(t, tbl, []asOfCase{{at(0), 0}, {at(time.Millisecond), 1}, {at(time.Hour), 2}, {at(-time.Hour), -1}})
}

// TestTimeTravelInCommitTimestamps: delta-rs/cdc_ict_table records
// in-commit timestamps; they, not file mtimes nor commitInfo.timestamp, are
// the commit times, as written. Its v1 ICT (2023) is deliberately earlier
// than v0's (2026): delta-rs' test_respect_ict expects a CDF scan starting
// 2026-07-11T16:36:53.881 to see versions 2 and 3 only, i.e. v1's time is
// its ICT, not v0's + 1 ms. VersionAsOf returns the latest version whose
// commit time is at or before the given time.
func TestTimeTravelInCommitTimestamps(t *testing.T) {
	dir := copySharedTable(t, "delta-rs/cdc_ict_table")
	// mtimes that would give other answers if they were used
	future := mustTime(t, "2031-01-01T00:00:00Z")
	setCommitTimes(t, dir, map[int64]time.Time{0: future, 1: future.Add(time.Hour), 2: future.Add(-time.Hour), 3: future})
	tbl := localTable(t, dir, Options{})
	ict := []time.Time{time.UnixMilli(1783874203271).UTC(), time.UnixMilli(1683874206883).UTC(),
		time.UnixMilli(1783874212175).UTC(), time.UnixMilli(1783874213881).UTC()}
	if diff := cmp.Diff(ict, historyTimes(t, tbl)); diff != "" {
		t.Errorf("history timestamps (-want +got):\n%s", diff)
	}
	for v, want := range ict {
		s, err := tbl.SnapshotAt(context.Background(), int64(v))
		if err != nil {
			t.Fatal(err)
		}
		if !s.Timestamp().Equal(want) {
			t.Errorf("snapshot %d timestamp %s, want %s", v, s.Timestamp().UTC(), want)
		}
	}
	checkVersionAsOf(t, tbl, []asOfCase{
		{"2026-07-12T16:36:53.881Z", 3},
		{"2026-07-12T16:36:53.880Z", 2},
		{"2026-07-12T16:36:52.175Z", 2},
		{"2026-07-12T16:36:52.174Z", 1},
		{"2026-07-12T16:36:43.271Z", 1},
		{"2026-07-11T16:36:53.881Z", 1}, // only v1 (2023) is at or before
		{"2023-05-12T06:50:06.883Z", 1},
		{"2023-05-12T06:50:06.882Z", -1},
		{"2040-01-01T00:00:00Z", 3},
	})
}

// TestTimeTravelICTEnabledLater: a table that enables in-commit timestamps
// at version 3 is timed by file mtimes before and by ICT from then on,
// whatever the mtimes of the later commits say.
func TestTimeTravelICTEnabledLater(t *testing.T) {
	dir := t.TempDir()
	schema := `{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]}`
	md := func(conf string) string {
		return `{"metaData":{"id":"0d1b5a39-9f7e-4f5a-8d8c-2c3e4f5a6b7c","format":{"provider":"parquet","options":{}},"schemaString":` +
			strconv.Quote(schema) + `,"partitionColumns":[],"configuration":{` + conf + `}}}`
	}
	ms := func(s string) string { return strconv.FormatInt(mustTime(t, s).UnixMilli(), 10) }
	add := func(name string) string {
		return `{"add":{"path":"` + name + `","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true}}`
	}
	writeCommitFile(t, dir, 0, `{"commitInfo":{"timestamp":1}}`, `{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}`, md(""))
	writeCommitFile(t, dir, 1, `{"commitInfo":{"timestamp":2}}`, add("a"))
	writeCommitFile(t, dir, 2, `{"commitInfo":{"timestamp":3}}`, add("b"))
	i3 := "2024-02-01T00:00:00Z"
	writeCommitFile(t, dir, 3, `{"commitInfo":{"inCommitTimestamp":`+ms(i3)+`,"timestamp":4}}`,
		`{"protocol":{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["appendOnly","invariants","inCommitTimestamp"]}}`,
		md(`"delta.enableInCommitTimestamps":"true","delta.inCommitTimestampEnablementVersion":"3","delta.inCommitTimestampEnablementTimestamp":"`+ms(i3)+`"`))
	writeCommitFile(t, dir, 4, `{"commitInfo":{"inCommitTimestamp":`+ms("2024-02-02T00:00:00Z")+`,"timestamp":5}}`, add("c"))
	writeCommitFile(t, dir, 5, `{"commitInfo":{"inCommitTimestamp":`+ms("2024-02-03T00:00:00Z")+`,"timestamp":6}}`, add("d"))
	late := mustTime(t, "2030-06-01T00:00:00Z")
	setCommitTimes(t, dir, map[int64]time.Time{
		0: mustTime(t, "2024-01-01T00:00:00Z"), 1: mustTime(t, "2024-01-02T00:00:00Z"), 2: mustTime(t, "2024-01-03T00:00:00Z"),
		3: late, 4: late, 5: late.Add(-time.Hour),
	})
	tbl := localTable(t, dir, Options{})
	want := []time.Time{mustTime(t, "2024-01-01T00:00:00Z"), mustTime(t, "2024-01-02T00:00:00Z"), mustTime(t, "2024-01-03T00:00:00Z"),
		mustTime(t, i3), mustTime(t, "2024-02-02T00:00:00Z"), mustTime(t, "2024-02-03T00:00:00Z")}
	if diff := cmp.Diff(want, historyTimes(t, tbl)); diff != "" {
		t.Errorf("history timestamps (-want +got):\n%s", diff)
	}
	checkVersionAsOf(t, tbl, []asOfCase{
		{"2023-12-31T23:59:59Z", -1},
		{"2024-01-02T12:00:00Z", 1},
		{"2024-01-20T00:00:00Z", 2},
		{i3, 3},
		{"2024-02-02T12:00:00Z", 4},
		{"2025-01-01T00:00:00Z", 5},
	})
}
