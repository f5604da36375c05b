// Package pipelinetest holds helpers for the pipeline stages' tests: a
// fresh warehouse on a temporary folder, generated bronze. Imported by tests
// only (by a stage's in-package tests too: it imports bronze, so bronze's
// own tests must stay in package bronze_test).
package pipelinetest

import (
	"context"
	"testing"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/gen"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/bronze"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/local"
)

// Warehouse returns an empty warehouse in t's temporary folder, without
// fsync (tests do not survive power loss).
func Warehouse(t testing.TB) *pipeline.Warehouse {
	t.Helper()
	st, err := local.New(t.TempDir(), local.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	return pipeline.NewWarehouse(st, delta.Options{})
}

// GenerateBronze appends rows generated events (seed; days ending
// 2026-11-20) to the warehouse's bronze with generate_bronze on 2 workers,
// 5% of them re-sent: many duplicates, to exercise dedup.
func GenerateBronze(t testing.TB, wh *pipeline.Warehouse, seed, rows int64) {
	t.Helper()
	cfg := gen.Defaults(seed, rows, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	cfg.DuplicateRate = 0.05
	if _, err := bronze.Generate(context.Background(), wh, bronze.GenerateOptions{Config: cfg, Workers: 2}); err != nil {
		t.Fatal(err)
	}
}
