// Package gold is the silver_to_gold stage: for the event_dates whose silver
// rows changed since its last success it recomputes gold_fact_purchases
// (purchase events with revenue = price × quantity), gold_mart_funnel_daily
// (distinct sessions per funnel step and step conversion rates) and
// gold_mart_revenue_daily (orders, units, revenue per currency), replacing
// exactly those dates. Each table records txn{lakehouse.silver_to_gold,
// silver version} with its rows, so a rerun commits nothing.
//
// Imported by internal/app and internal/pipeline/check (which recomputes
// gold from silver with the same functions to compare).
package gold
