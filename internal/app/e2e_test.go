package app

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/check"
)

func testApp(t *testing.T) *App {
	t.Helper()
	a, err := Open(Options{Warehouse: t.TempDir(), Now: func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) }})
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

func TestPipelineRerunSameSeed(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	a, err := Open(Options{Warehouse: t.TempDir(), Now: func() time.Time { now = now.Add(3 * time.Second); return now }})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		run, err := a.RunJob(ctx, nil, map[string]string{"rows": "100000", "seed": "7"})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		_ = run
		mustCheck(t, a)
	}
}
