package app

import (
	"context"
	"strings"
	"testing"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
)

// failedChecks returns the names of the checks that failed.
func failedChecks(t *testing.T, a *App) []string {
	t.Helper()
	r, err := a.Check(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range r.Items {
		if !it.OK {
			out = append(out, it.Name)
		}
	}
	return out
}

func hasFailure(names []string, sub string) bool {
	for _, n := range names {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}

// check must fail when the tables are wrong: a silver row appended behind
// the pipeline's back (a duplicate event_id), a quarantine row removed, a
// gold day altered.
func TestCheckDetectsTampering(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) *App {
		a := testApp(t)
		if _, err := a.RunJob(ctx, nil, map[string]string{"rows": "5000", "seed": "4"}); err != nil {
			t.Fatal(err)
		}
		if f := failedChecks(t, a); len(f) != 0 {
			t.Fatalf("fresh pipeline fails check: %v", f)
		}
		return a
	}
	snap := func(t *testing.T, a *App, name string) *delta.Snapshot {
		s, err := a.Warehouse().Snapshot(ctx, name)
		if err != nil || s == nil {
			t.Fatal(err)
		}
		return s
	}
	firstRows := func(t *testing.T, s *delta.Snapshot, n int) *column.Batch {
		sc, err := s.Scan(delta.ScanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out := column.NewBatch(s.Schema(), n)
		errStop := context.Canceled
		err = sc.Each(ctx, func(b *column.Batch) error {
			for r := 0; r < b.Len() && out.Len() < n; r++ {
				out.AppendRow(b, r)
			}
			if out.Len() >= n {
				return errStop
			}
			return nil
		})
		if err != nil && err != errStop {
			t.Fatal(err)
		}
		return out
	}

	t.Run("duplicate silver row", func(t *testing.T) {
		a := setup(t)
		s := snap(t, a, pipeline.Silver)
		if _, err := s.Append(ctx, delta.Batches(firstRows(t, s, 1)), delta.CommitOptions{}); err != nil {
			t.Fatal(err)
		}
		f := failedChecks(t, a)
		if !hasFailure(f, "one row per event_id") || !hasFailure(f, "reconcile") {
			t.Errorf("failed checks %v, want the duplicate and the reconcile", f)
		}
	})
	t.Run("quarantine row lost", func(t *testing.T) {
		a := setup(t)
		s := snap(t, a, pipeline.Quarantine)
		tx := s.NewTransaction("DELETE")
		tx.Remove(s.Files()...)
		if _, err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		f := failedChecks(t, a)
		if !hasFailure(f, "quarantine") || !hasFailure(f, "reconcile") {
			t.Errorf("failed checks %v, want quarantine and reconcile", f)
		}
	})
	t.Run("silver row altered", func(t *testing.T) {
		a := setup(t)
		s := snap(t, a, pipeline.Silver)
		rows := firstRows(t, s, 1)
		id := rows.Cols[pipeline.SEventID].Str(0)
		changed := column.NewBatch(s.Schema(), 1)
		for c := range rows.Cols {
			if c == pipeline.SCity {
				changed.Cols[c].AppendString("Atlantis")
				continue
			}
			changed.Cols[c].AppendFrom(rows.Cols[c], 0)
		}
		if _, err := s.Merge(ctx, changed, delta.MergeOptions{Keys: []string{"event_id"}}); err != nil {
			t.Fatal(err)
		}
		f := failedChecks(t, a)
		if !hasFailure(f, "exactly the current copy") {
			t.Errorf("changing %s: failed checks %v, want the current-copy check", id, f)
		}
	})
	t.Run("gold day altered", func(t *testing.T) {
		a := setup(t)
		s := snap(t, a, pipeline.FunnelDaily)
		rows := firstRows(t, s, 100)
		rows.Cols[1].Ints[0]++
		tx := s.NewTransaction("WRITE")
		adds, err := s.WriteAll(ctx, delta.Batches(rows), delta.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tx.Remove(s.Files()...)
		tx.Add(adds...)
		tx.SetTxn(pipeline.AppGold, snap(t, a, pipeline.Silver).Version())
		if _, err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if f := failedChecks(t, a); !hasFailure(f, "gold equals") {
			t.Errorf("failed checks %v, want the gold recomputation", f)
		}
	})
}
