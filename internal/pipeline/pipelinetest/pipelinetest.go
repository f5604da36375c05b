// Package pipelinetest holds helpers for the pipeline stages' tests: a
// fresh warehouse on a temporary folder. Imported by tests only.
package pipelinetest

import (
	"testing"

	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
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
