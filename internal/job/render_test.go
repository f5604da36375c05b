package job

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

// repairedRun makes a run of the default job in which bronze_to_silver fails
// twice (one retry), so silver_to_gold is UPSTREAM_FAILED, then repairs it.
// The fake clock makes every time and duration fixed.
func repairedRun(t *testing.T) (*Service, *Run) {
	t.Helper()
	clk := newFakeClock(t0)
	c := newCalls()
	step := func(name string, d time.Duration, fail int) TaskFunc {
		return func(ctx context.Context, p map[string]string) (Metrics, error) {
			n := c.record(name, p)
			clk.Advance(d)
			if n <= fail {
				return nil, errors.New("bronze table is locked")
			}
			return Metrics{"rows_in": 50000, "rows_out": 49990, "quarantined": 10}, nil
		}
	}
	reg := Registry{
		"generate_bronze":  step("generate_bronze", 1200*time.Millisecond, 0),
		"bronze_to_silver": step("bronze_to_silver", 800*time.Millisecond, 2),
		"silver_to_gold":   step("silver_to_gold", 300*time.Millisecond, 0),
	}
	svc, _ := newTestService(t, reg, Config{Clock: clk})
	js := bytes.Replace(DefaultJobJSON(), []byte(`"task_key": "bronze_to_silver",`),
		[]byte(`"task_key": "bronze_to_silver", "max_retries": 1,`), 1)
	def, err := Parse(js)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, _, err := svc.RunJob(ctx, def, map[string]string{"rows": "50000"}, RunOptions{})
	if !errors.Is(err, ErrRunFailed) {
		t.Fatalf("first pass: %v", err)
	}
	clk.Advance(time.Hour)
	run, err := svc.Repair(ctx, id, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	run.Runner = Runner{Host: "host", PID: 4242}
	return svc, run
}

func TestRenderRun(t *testing.T) {
	_, run := repairedRun(t)
	for _, tc := range []struct{ format, file string }{
		{format: "table", file: "show_repaired.table"},
		{format: "text", file: "show_repaired.table"},
		{format: "json", file: "show_repaired.json"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderRun(&buf, run, tc.format); err != nil {
				t.Fatal(err)
			}
			testenv.Golden(t, tc.file, buf.Bytes())
		})
	}
	t.Run("json round trip", func(t *testing.T) {
		var buf bytes.Buffer
		if err := RenderRun(&buf, run, "json"); err != nil {
			t.Fatal(err)
		}
		var back Run
		if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		// The embedded job JSON comes back re-indented; compare it compacted.
		want := *run
		want.Job, back.Job = compactJSON(t, run.Job), compactJSON(t, back.Job)
		if diff := cmp.Diff(&want, &back); diff != "" {
			t.Fatalf("JSON round trip (-rendered +parsed):\n%s", diff)
		}
	})
}

func TestRenderRuns(t *testing.T) {
	svc, _ := repairedRun(t)
	runs, err := svc.ListRuns(context.Background(), RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"", "json"} {
		name := format
		if name == "" {
			name = "table"
		}
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderRuns(&buf, runs, format); err != nil {
				t.Fatal(err)
			}
			testenv.Golden(t, "runs."+name, buf.Bytes())
		})
	}
	t.Run("empty", func(t *testing.T) {
		var buf bytes.Buffer
		if err := RenderRuns(&buf, nil, "table"); err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != "no runs recorded\n" {
			t.Fatalf("got %q", got)
		}
		buf.Reset()
		if err := RenderRuns(&buf, nil, "json"); err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != "[]\n" {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("unknown format", func(t *testing.T) {
		err := RenderRuns(&bytes.Buffer{}, runs, "yaml")
		if !errors.Is(err, ErrUnknownFormat) || err.Error() != `unknown output format "yaml": use table or json` {
			t.Fatalf("error %v", err)
		}
	})
}

func compactJSON(t *testing.T, b []byte) json.RawMessage {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
