package main

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const duckBronze = `{"stage":"bronze","rows":null,"rep":null,"wall_s":6.46,"cpu_s":2.44,"other_procs_cores":0.95,"open_s":0.031,"steps_s":{"write_bronze":6.1},"peak_rss_mb":619,"output_bytes":1011297,"duckdb_version":"v1.5.6","threads":2,"memory_limit":"16GB","zstd_level":3,"rows_written":1000000}`
const duckSilver = `{"stage":"silver","wall_s":20.55,"cpu_s":10.62,"other_procs_cores":1.03,"peak_rss_mb":1249,"duckdb_version":"v1.5.6","bronze_rows":1000000,"valid_rows":998326,"quarantine_rows":1674,"clean_rows":993323,"duplicates_removed":5003}`
const duckGold = `{"stage":"gold","wall_s":1.2,"cpu_s":1.5,"other_procs_cores":0.5,"peak_rss_mb":300,"duckdb_version":"v1.5.6","fact_purchases_rows":13144,"mart_funnel_daily_rows":8}`

func TestParseDuckDB(t *testing.T) {
	tests := []struct {
		name       string
		out        string
		wantStages []string
		wantTotal  float64
		wantErr    error
	}{
		{
			name:       "three stages and the total, npm noise ignored",
			out:        "added 3 packages\n" + duckBronze + "\n" + duckSilver + "\n" + duckGold + "\nduckdb_total_s=30.12\n",
			wantStages: []string{"bronze", "gold", "silver"},
			wantTotal:  30.12,
		},
		{
			name:       "gold failed: the finished stages are kept",
			out:        duckBronze + "\n" + duckSilver + "\n",
			wantStages: []string{"bronze", "silver"},
			wantTotal:  -1,
			wantErr:    errBadOutput,
		},
		{
			name:       "no total line",
			out:        duckBronze + "\n" + duckSilver + "\n" + duckGold + "\n",
			wantStages: []string{"bronze", "gold", "silver"},
			wantTotal:  -1,
			wantErr:    errBadOutput,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDuckDB([]byte(tt.out))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("parseDuckDB error = %v, want %v", err, tt.wantErr)
			}
			var stages []string
			for _, k := range []string{"bronze", "gold", "silver"} {
				if _, ok := got.Stages[k]; ok {
					stages = append(stages, k)
				}
			}
			if diff := cmp.Diff(tt.wantStages, stages); diff != "" {
				t.Errorf("stages mismatch (-want +got):\n%s", diff)
			}
			if got.TotalS != tt.wantTotal {
				t.Errorf("TotalS = %v, want %v", got.TotalS, tt.wantTotal)
			}
		})
	}
}

func TestParseDuckDBBadLine(t *testing.T) {
	tests := []struct {
		name string
		out  string
	}{
		{name: "broken JSON", out: `{"stage":"bronze","wall_s":` + "\n"},
		{name: "broken total", out: duckBronze + "\n" + duckSilver + "\n" + duckGold + "\nduckdb_total_s=abc\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseDuckDB([]byte(tt.out)); err == nil {
				t.Errorf("parseDuckDB(%q) = nil error, want one", tt.out)
			}
		})
	}
}

func TestDuckStageOutRows(t *testing.T) {
	d, err := parseDuckDB([]byte(duckBronze + "\n" + duckSilver + "\n" + duckGold + "\nduckdb_total_s=1\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stage string
		want  map[string]int64
	}{
		{name: "bronze", stage: "bronze", want: map[string]int64{"bronze": 1000000}},
		{name: "silver", stage: "silver", want: map[string]int64{"silver": 993323, "quarantine": 1674, "superseded": 5003}},
		{name: "gold", stage: "gold", want: map[string]int64{"fact_purchases": 13144, "mart_funnel_daily": 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, d.Stages[tt.stage].outRows()); diff != "" {
				t.Errorf("outRows mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
