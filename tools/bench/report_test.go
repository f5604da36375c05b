package main

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{name: "one", in: []float64{3}, want: 3},
		{name: "odd, unsorted", in: []float64{5, 1, 3}, want: 3},
		{name: "even: mean of the middle two", in: []float64{4, 1, 3, 2}, want: 2.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.in); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
	if !math.IsNaN(median(nil)) {
		t.Errorf("median(nil) is not NaN")
	}
}

func TestThousands(t *testing.T) {
	tests := []struct {
		name string
		in   int64
		want string
	}{
		{name: "small", in: 999, want: "999"},
		{name: "thousand", in: 1000, want: "1,000"},
		{name: "ten million", in: 10_000_000, want: "10,000,000"},
		{name: "negative", in: -1234567, want: "-1,234,567"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := thousands(tt.in); got != tt.want {
				t.Errorf("thousands(%d) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestOurOutRows(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		stdout  string
		want    map[string]int64
		wantErr bool
	}{
		{name: "ingest", key: "bronze", stdout: `{"BatchID":"x","Rows":10,"Bytes":99}`, want: map[string]int64{"bronze": 10}},
		{name: "ingest lost rows", key: "bronze", stdout: `{"Rows":9}`, want: map[string]int64{"bronze": 9}, wantErr: true},
		{
			name: "silver", key: "silver", stdout: `{"rows_in":10,"rows_out":8,"quarantined":1,"superseded":1,"seconds":1.5}`,
			want: map[string]int64{"silver": 8, "quarantine": 1, "superseded": 1},
		},
		{
			name: "gold", key: "gold", stdout: `{"fact_rows":2,"funnel_rows":7,"revenue_rows":35}`,
			want: map[string]int64{"fact_purchases": 2, "mart_funnel_daily": 7, "mart_revenue_daily": 35},
		},
		{name: "silver metric renamed", key: "silver", stdout: `{"rows_in":10}`, wantErr: true},
		{name: "not JSON", key: "gold", stdout: `task silver_to_gold succeeded`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ourOutRows(tt.key, []byte(tt.stdout), 10)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ourOutRows error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ourOutRows mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// side builds a sideRun from walls of bronze, silver and gold; total is their sum.
func side(walls ...float64) *sideRun {
	s := &sideRun{}
	var total float64
	for i, k := range []string{"bronze", "silver", "gold"} {
		s.Stages = append(s.Stages, stageResult{Stage: k, WallS: walls[i], CPUS: walls[i] * 2, PeakRSSMiB: 100 * float64(i+1), Load1: 1, OtherCores: 0.5})
		total += walls[i]
	}
	s.Stages = append(s.Stages, stageResult{Stage: "total", WallS: total, PeakRSSMiB: 300, Load1: 1})
	return s
}

func TestRatios(t *testing.T) {
	failed := side(1, 2, 3)
	failed.Stages = failed.Stages[:2]
	failed.Stages = append(failed.Stages, stageResult{Stage: "gold", Error: "boom"})
	tests := []struct {
		name       string
		ours, duck *sideRun
		want       map[string]float64
	}{
		{name: "per stage and total", ours: side(1, 2, 4), duck: side(2, 8, 2), want: map[string]float64{"bronze": 2, "silver": 4, "gold": 0.5, "total": 12.0 / 7}},
		{name: "failed stage has no ratio", ours: side(1, 2, 4), duck: failed, want: map[string]float64{"bronze": 1, "silver": 1}},
		{name: "no duckdb", ours: side(1, 2, 4), duck: nil, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ratios(tt.ours, tt.duck)); diff != "" {
				t.Errorf("ratios mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	in := input{Rows: 1000, Bytes: 4_000_000}
	reps := []repResult{
		{Rep: 1, Ours: side(1, 2, 1), DuckDB: side(3, 6, 1), Check: &checkResult{WallS: 1, OK: true}},
		{Rep: 2, Ours: side(2, 4, 1), DuckDB: side(4, 4, 1), Check: &checkResult{WallS: 3, OK: true}},
		{Rep: 3, Ours: side(4, 3, 1), DuckDB: side(4, 9, 1), Check: &checkResult{WallS: 2, OK: false},
			Run: &runResult{WallS: 5, PeakRSSMiB: 700}},
	}
	for i := range reps {
		reps[i].Ratio = ratios(reps[i].Ours, reps[i].DuckDB)
	}
	s := summarize(reps, in)
	ours, _ := findStage(s.Ours, "bronze")
	want := summaryStage{Stage: "bronze", Reps: 3, Rows: 1000, WallS: 2, RowsPerS: 500, MBPerS: 2, PeakRSSMiB: 100, CPUS: 4, Load1: 1, OtherCores: 0.5}
	if diff := cmp.Diff(want, ours); diff != "" {
		t.Errorf("ours bronze mismatch (-want +got):\n%s", diff)
	}
	// Ratios are the median of per-rep ratios, not the ratio of medians:
	// silver per rep 3, 1, 3 -> 3 (the medians 6/3 would give 2).
	wantRatio := map[string]float64{"bronze": 2, "silver": 3, "gold": 1, "total": 1.75}
	if diff := cmp.Diff(wantRatio, s.Ratio, cmpApprox); diff != "" {
		t.Errorf("ratio mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&summaryCheck{WallS: 2, OK: false}, s.Check); diff != "" {
		t.Errorf("check mismatch (-want +got):\n%s", diff)
	}
	if s.Run == nil || s.Run.WallS != 5 || s.Run.MBPerS != 0 || s.Run.RowsPerS != 200 {
		t.Errorf("run summary = %+v, want wall 5, 200 rows/s, no MB/s", s.Run)
	}
}

var cmpApprox = cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })

func TestTargets(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name string
		rows int64
		ours *sideRun
		run  *runResult
		inc  *incrementalResult
		want []*bool
	}{
		{
			name: "10M: every target decided",
			rows: 10_000_000, ours: side(3, 6, 3), run: &runResult{WallS: 13, PeakRSSMiB: 900},
			inc:  &incrementalResult{Rows: 1_000_000, Runs: make([]runResult, 10), RatioLastFirst: 1.4},
			want: []*bool{&yes, &no, &no, &yes, &yes},
		},
		{
			name: "1M: only an RSS over the bound is decided",
			rows: 1_000_000, ours: side(1, 2, 1), run: &runResult{WallS: 2, PeakRSSMiB: 1227},
			inc:  &incrementalResult{Rows: 20_000, Runs: make([]runResult, 2), RatioLastFirst: 2},
			want: []*bool{nil, nil, nil, &no, nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input{Rows: tt.rows, Bytes: tt.rows * 400}
			reps := []repResult{{Rep: 1, Ours: tt.ours, DuckDB: side(10, 15, 8), Run: tt.run}}
			reps[0].Ratio = ratios(reps[0].Ours, reps[0].DuckDB)
			s := summarize(reps, in)
			r := &report{Input: &in, Summary: &s, Incremental: tt.inc}
			var got []*bool
			for _, tg := range targets(r) {
				got = append(got, tg.Met)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("targets met mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteTextNamesFailures(t *testing.T) {
	in := input{Dir: "/in", Rows: 1000, Bytes: 400_000, RowsFrom: "manifest"}
	duck := side(1, 2, 3)
	duck.Stages = append(duck.Stages[:2], stageResult{Stage: "gold", Error: "Overflow"})
	duck.Error = "gold: Overflow"
	reps := []repResult{{Rep: 1, First: "ours", Ours: side(1, 1, 1), DuckDB: duck}}
	reps[0].Ratio = ratios(reps[0].Ours, reps[0].DuckDB)
	s := summarize(reps, in)
	r := &report{Commit: "abc1234", Dirty: true, Input: &in, Reps: reps, Summary: &s, Failures: []string{"rep 1 duckdb: gold: Overflow"}}
	r.Targets = targets(r)
	var buf bytes.Buffer
	if err := writeText(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"commit abc1234 + uncommitted changes", "silver_to_gold  duckdb  FAILED", "total  duckdb  FAILED", "FAILURES:\n  rep 1 duckdb: gold: Overflow", "2.00×"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestErrorTextAndTail(t *testing.T) {
	tests := []struct {
		name   string
		stderr string
		want   string
	}{
		{name: "lakehouse one-liner", stderr: "progress\nlakehouse: task silver_to_gold: write: no space left on device\n", want: "lakehouse: task silver_to_gold: write: no space left on device"},
		{name: "node stack", stderr: "node:internal/modules/run_main:123\n    triggerUncaughtException(\n    ^\n[Error: Out of Range Error: Overflow]\n\nNode.js v20.20.2\n", want: "[Error: Out of Range Error: Overflow]"},
		{name: "no error line: the last lines", stderr: "a\nb\n\nc\nd\ne\n", want: "b | c | d | e"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorText(tt.stderr); got != tt.want {
				t.Errorf("errorText = %q, want %q", got, tt.want)
			}
		})
	}

	tb := &tailBuffer{max: 5}
	for _, w := range []string{"abc", "defg", "h"} {
		tb.Write([]byte(w))
	}
	if got := tb.String(); got != "defgh" {
		t.Errorf("tailBuffer = %q, want %q", got, "defgh")
	}
	tb.Write([]byte("0123456789"))
	if got := tb.String(); got != "56789" {
		t.Errorf("tailBuffer after a long write = %q, want %q", got, "56789")
	}
	var ce *childError
	if err := error(&childError{argv: []string{"x"}, err: errBadOutput}); !errors.As(err, &ce) || !errors.Is(err, errBadOutput) {
		t.Errorf("childError does not unwrap")
	}
}
