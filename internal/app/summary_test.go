package app

import (
	"bytes"
	"testing"

	"github.com/ecomm-lakehouse/lakehouse/internal/testenv"
)

func sampleSummary() *Summary {
	return &Summary{
		Job: "ecomm_lakehouse_daily", RunID: 7, State: "SUCCESS", Seconds: 4.25, Warehouse: "/data/warehouse", Seed: 42,
		Tasks: []TaskSummary{
			{Task: "generate_bronze", State: "SUCCESS", Seconds: 1.5, RowsOut: 1_000_000},
			{Task: "bronze_to_silver", State: "SUCCESS", Seconds: 2.5, RowsIn: 1_000_000, RowsOut: 992_560},
			{Task: "silver_to_gold", State: "SUCCESS", Seconds: 0.25},
		},
		Tables: []TableCount{
			{"ecomm_lakehouse.bronze_events_raw", 1_000_000}, {"ecomm_lakehouse.silver_events_clean", 992_560},
			{"ecomm_lakehouse.silver_events_quarantine", 2_437}, {"ecomm_lakehouse.gold_fact_purchases", 13_280},
			{"ecomm_lakehouse.gold_mart_funnel_daily", 8}, {"ecomm_lakehouse.gold_mart_revenue_daily", 40},
		},
		Quarantine: map[string]int64{"malformed_json": 500, "missing_event_id": 120, "invalid_type:price": 117, "negative_price": 120},
		Superseded: 5_003,
		Funnel:     &FunnelDay{Date: "2026-11-25", Sessions: [5]int64{25_770, 15_060, 4_080, 2_120, 1_330}},
	}
}

func TestSummaryGolden(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var b bytes.Buffer
		if err := WriteSummary(&b, sampleSummary(), format); err != nil {
			t.Fatal(err)
		}
		testenv.Golden(t, "summary."+format+".golden", b.Bytes())
	}
}

func TestSummaryOfAFailedRun(t *testing.T) {
	s := sampleSummary()
	s.State = "FAILED"
	s.Tasks[1].State, s.Tasks[1].Error = "FAILED", "read bronze: disk full"
	s.Tasks[2].State = "UPSTREAM_FAILED"
	s.Funnel = nil
	var b bytes.Buffer
	if err := WriteSummary(&b, s, "text"); err != nil {
		t.Fatal(err)
	}
	testenv.Golden(t, "summary.failed.golden", b.Bytes())
}
