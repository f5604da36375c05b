package app

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/job"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
)

// RunJob runs a job definition (the default job when def is nil) with
// parameter overrides, printing progress events when enabled.
func (a *App) RunJob(ctx context.Context, def *job.Job, overrides map[string]string) (*job.Run, error) {
	if def == nil {
		var err error
		if def, err = job.DefaultJob(); err != nil {
			return nil, err
		}
	}
	svc, closeFn, err := a.JobService(ctx)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	_, run, err := svc.RunJob(ctx, def, overrides, a.RunOptions())
	return run, err
}

func (a *App) progress(e job.Event) {
	if a.opts.Progress {
		fmt.Fprintln(a.opts.Stderr, e.String())
	}
}

// TaskSummary is one task of a run summary.
type TaskSummary struct {
	Task     string        `json:"task"`
	State    string        `json:"state"`
	Seconds  float64       `json:"seconds"`
	RowsIn   int64         `json:"rows_in"`
	RowsOut  int64         `json:"rows_out"`
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"-"`
}

// RowsPerSecond is the task's throughput on its main row count.
func (t TaskSummary) RowsPerSecond() float64 {
	n := max(t.RowsIn, t.RowsOut)
	if t.Seconds <= 0 {
		return 0
	}
	return float64(n) / t.Seconds
}

// TableCount is a table's row count after a run.
type TableCount struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
}

// FunnelDay is one day of the funnel mart.
type FunnelDay struct {
	Date     string   `json:"event_date"`
	Sessions [5]int64 `json:"sessions"`
}

// Summary is what `lakehouse run` prints.
type Summary struct {
	Job        string           `json:"job"`
	RunID      int64            `json:"run_id"`
	State      string           `json:"state"`
	Seconds    float64          `json:"seconds"`
	Warehouse  string           `json:"warehouse"`
	Seed       int64            `json:"seed"`
	Tasks      []TaskSummary    `json:"tasks"`
	Tables     []TableCount     `json:"tables"`
	Quarantine map[string]int64 `json:"quarantine_by_reason"`
	Superseded int64            `json:"duplicates_superseded"`
	Funnel     *FunnelDay       `json:"latest_funnel,omitempty"`
}

func metricInt(m job.Metrics, k string) int64 {
	switch v := m[k].(type) {
	case int64:
		return v
	case int:
		return int64(v)
	case float64:
		return int64(v)
	}
	return 0
}

// Summarize builds the summary of a finished run from its record and the tables.
func (a *App) Summarize(ctx context.Context, run *job.Run) (*Summary, error) {
	s := &Summary{Job: run.JobName, RunID: run.ID, State: string(run.State), Seconds: time.Duration(run.Duration).Seconds(),
		Warehouse: a.path, Quarantine: map[string]int64{}}
	for _, t := range run.Tasks {
		ts := TaskSummary{Task: t.TaskKey, State: string(t.State), Seconds: time.Duration(t.Duration).Seconds()}
		if n := len(t.History); n > 0 {
			atts := t.History[n-1].Attempts
			if len(atts) > 0 {
				last := atts[len(atts)-1]
				ts.Error = last.Error
				m := last.Metrics
				ts.RowsIn, ts.RowsOut = metricInt(m, "rows_in"), metricInt(m, "rows_out")
				if v, ok := m["seed"]; ok && v != nil {
					s.Seed = metricInt(m, "seed")
				}
				if t.Builtin == TaskSilver {
					s.Superseded = metricInt(m, "superseded")
					if by, ok := m["quarantine_by_reason"].(map[string]any); ok {
						for k := range by {
							s.Quarantine[k] = metricInt(job.Metrics(by), k)
						}
					}
				}
				if sec, ok := m["seconds"].(float64); ok && sec > 0 {
					ts.Seconds = sec
				}
			}
		}
		s.Tasks = append(s.Tasks, ts)
	}
	var funnel *delta.Snapshot
	for _, d := range pipeline.Tables {
		snap, err := a.wh.Snapshot(ctx, d.Name)
		if err != nil {
			return nil, err
		}
		if snap == nil {
			continue
		}
		if d.Name == pipeline.FunnelDaily {
			funnel = snap
		}
		var rows int64
		for _, f := range snap.Files() {
			n, _ := f.NumRecords()
			rows += n
		}
		s.Tables = append(s.Tables, TableCount{Table: pipeline.Schema + "." + d.Name, Rows: rows})
	}
	fd, err := latestFunnel(ctx, funnel)
	if err != nil {
		return nil, err
	}
	s.Funnel = fd
	return s, nil
}

// latestFunnel reads the latest day of the funnel mart from its snapshot
// (nil when the table does not exist yet).
func latestFunnel(ctx context.Context, snap *delta.Snapshot) (*FunnelDay, error) {
	if snap == nil {
		return nil, nil
	}
	sc, err := snap.Scan(delta.ScanOptions{})
	if err != nil {
		return nil, err
	}
	var best *FunnelDay
	bestDate := int64(math.MinInt64)
	err = sc.Each(ctx, func(b *column.Batch) error {
		for r := 0; r < b.Len(); r++ {
			if b.Cols[0].IsNull(r) || b.Cols[0].Ints[r] < bestDate {
				continue
			}
			bestDate = b.Cols[0].Ints[r]
			fd := &FunnelDay{Date: column.FormatDate(bestDate)}
			for i := range 5 {
				if !b.Cols[1+i].IsNull(r) {
					fd.Sessions[i] = b.Cols[1+i].Ints[r]
				}
			}
			best = fd
		}
		return nil
	})
	return best, err
}

// WriteSummary renders a run summary as text or JSON.
func WriteSummary(w io.Writer, s *Summary, format string) error {
	if format == "json" {
		return WriteJSON(w, s)
	}
	fmt.Fprintf(w, "Job %s, run %d: %s in %s\n", s.Job, s.RunID, s.State, seconds(s.Seconds))
	fmt.Fprintf(w, "Warehouse: %s\n", s.Warehouse)
	if s.Seed != 0 {
		fmt.Fprintf(w, "Seed: %d\n", s.Seed)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Tasks")
	for _, t := range s.Tasks {
		line := fmt.Sprintf("  %-18s %-15s %8s", t.Task, t.State, seconds(t.Seconds))
		if n := max(t.RowsIn, t.RowsOut); n > 0 {
			line += fmt.Sprintf("  %12s rows  %12s rows/s", thousands(n), thousands(int64(t.RowsPerSecond())))
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
		if t.Error != "" {
			fmt.Fprintf(w, "      error: %s\n", t.Error)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Tables")
	for _, t := range s.Tables {
		fmt.Fprintf(w, "  %-42s %12s rows\n", t.Table, thousands(t.Rows))
	}
	fmt.Fprintln(w)
	var total int64
	for _, n := range s.Quarantine {
		total += n
	}
	fmt.Fprintf(w, "Quarantined this run: %s\n", thousands(total))
	reasons := SortedKeys(s.Quarantine)
	slices.SortStableFunc(reasons, func(a, b string) int { return int(s.Quarantine[b] - s.Quarantine[a]) })
	for _, r := range reasons {
		fmt.Fprintf(w, "  %-40s %10s\n", r, thousands(s.Quarantine[r]))
	}
	fmt.Fprintf(w, "Duplicates superseded this run: %s\n", thousands(s.Superseded))
	if f := s.Funnel; f != nil {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "Funnel of %s (latest day)\n", f.Date)
		for i, step := range pipeline.FunnelSteps {
			line := fmt.Sprintf("  %-18s %10s sessions", step, thousands(f.Sessions[i]))
			if i > 0 && f.Sessions[i-1] > 0 {
				line += fmt.Sprintf("  %5.1f%% of previous step", 100*float64(f.Sessions[i])/float64(f.Sessions[i-1]))
			}
			fmt.Fprintln(w, line)
		}
	}
	return nil
}

func seconds(s float64) string {
	return fmt.Sprintf("%.2fs", s)
}

// thousands renders n with comma separators.
func thousands(n int64) string { return humanize.Comma(n) }

// RunOptions are the job options of the commands: progress events on
// stderr when it is a terminal.
func (a *App) RunOptions() job.RunOptions { return job.RunOptions{OnEvent: a.progress} }

// RunOptionsAlways prints every job event to w (the foreground scheduler).
func (a *App) RunOptionsAlways(w io.Writer) job.RunOptions {
	return job.RunOptions{OnEvent: func(e job.Event) { fmt.Fprintln(w, e.Time.Format(time.RFC3339)+" "+e.String()) }}
}
