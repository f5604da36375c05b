package job

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Output formats of RenderRuns and RenderRun; "text" and "" mean table.
const (
	FormatTable = "table"
	FormatJSON  = "json"
)

func checkFormat(format string) (string, error) {
	switch format {
	case "", FormatTable, "text":
		return FormatTable, nil
	case FormatJSON:
		return FormatJSON, nil
	}
	return "", fmt.Errorf("%w %q: use table or json", ErrUnknownFormat, format)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

func stateText(s State, died bool) string {
	if died {
		return string(s) + " (runner died)"
	}
	return string(s)
}

// RenderRuns writes run summaries: format "table" (the default) has one line
// per run with id, job, state, start, duration and trigger; "json" is an
// array of RunSummary.
func RenderRuns(w io.Writer, runs []RunSummary, format string) error {
	format, err := checkFormat(format)
	if err != nil {
		return err
	}
	if format == FormatJSON {
		if runs == nil {
			runs = []RunSummary{}
		}
		return writeJSON(w, runs)
	}
	if len(runs) == 0 {
		_, err := fmt.Fprintln(w, "no runs recorded")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tJOB\tSTATE\tSTART\tDURATION\tTRIGGER\tREPAIRS")
	for _, r := range runs {
		start := formatTime(r.StartTime)
		if r.StartTime.IsZero() && !r.QueuedAt.IsZero() {
			start = formatTime(r.QueuedAt) + " (queued)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\n", r.ID, r.JobName, stateText(r.State, r.RunnerDied),
			start, durationText(r.Duration, !r.StartTime.IsZero()), r.Trigger, r.Repairs)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write runs: %w", err)
	}
	return nil
}

func durationText(d Duration, started bool) string {
	if !started {
		return "-"
	}
	return d.String()
}

func passName(repair int) string {
	if repair == 0 {
		return "run"
	}
	return fmt.Sprintf("repair %d", repair)
}

// RenderRun writes one run: format "table" (the default) shows the run's
// state, parameters and repairs, the DAG as a table in dependency order
// (state, depends on, run_if, attempts, duration), then every pass and
// attempt of every task with its error or metrics; "json" is the whole Run.
func RenderRun(w io.Writer, run *Run, format string) error {
	format, err := checkFormat(format)
	if err != nil {
		return err
	}
	if format == FormatJSON {
		return writeJSON(w, run)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "Run %d of %s: %s\n", run.ID, run.JobName, stateText(run.State, run.RunnerDied))
	if run.StateMessage != "" {
		fmt.Fprintf(&b, "  %s\n", run.StateMessage)
	}
	hw := tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
	fmt.Fprintf(hw, "Trigger:\t%s\n", run.Trigger)
	fmt.Fprintf(hw, "Started:\t%s\n", formatTime(run.StartTime))
	fmt.Fprintf(hw, "Ended:\t%s\n", formatTime(run.EndTime))
	fmt.Fprintf(hw, "Duration:\t%s\n", durationText(run.Duration, !run.StartTime.IsZero()))
	fmt.Fprintf(hw, "Parameters:\t%s\n", mapLine(run.Parameters))
	fmt.Fprintf(hw, "Runner:\tpid %d on %s\n", run.Runner.PID, run.Runner.Host)
	for _, rep := range run.Repairs {
		if rep.ID == 0 {
			continue
		}
		fmt.Fprintf(hw, "Repair %d:\t%s at %s, %s; reran %s\n", rep.ID, rep.State, formatTime(rep.StartTime),
			durationText(rep.Duration, !rep.StartTime.IsZero()), joinKeys(rep.Rerun))
	}
	hw.Flush()

	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TASK\tSTATE\tDEPENDS ON\tRUN IF\tATTEMPTS\tDURATION")
	for _, t := range run.Tasks {
		deps, runIf := "-", "-"
		if len(t.DependsOn) > 0 {
			deps, runIf = strings.Join(t.DependsOn, ","), string(t.RunIf)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.TaskKey, t.State, deps, runIf, attemptCount(t),
			durationText(t.Duration, !t.StartTime.IsZero()))
	}
	tw.Flush()

	b.WriteString("\n")
	dw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, t := range run.Tasks {
		title := t.TaskKey
		if t.Builtin != "" && t.Builtin != t.TaskKey {
			title += " (built-in " + t.Builtin + ")"
		}
		fmt.Fprintf(dw, "%s\n", title)
		if len(t.Parameters) > 0 {
			fmt.Fprintf(dw, "  parameters: %s\n", mapLine(t.Parameters))
		}
		for _, p := range t.History {
			if len(p.Attempts) == 0 {
				fmt.Fprintf(dw, "  %s\t-\t%s\t\t\t%s\n", passName(p.RepairID), p.State, p.StateMessage)
				continue
			}
			for _, a := range p.Attempts {
				detail := metricsLine(a.Metrics)
				if a.Error != "" {
					detail = "error: " + a.Error
				}
				fmt.Fprintf(dw, "  %s\tattempt %d\t%s\t%s\t%s\t%s\n", passName(p.RepairID), a.Number, a.State,
					formatTime(a.StartTime), durationText(a.Duration, !a.StartTime.IsZero()), detail)
			}
		}
	}
	dw.Flush()
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write run %d: %w", run.ID, err)
	}
	return nil
}

// attemptCount reads "2" for two attempts in one pass and "2+1" for two in
// the run and one in a repair.
func attemptCount(t TaskRun) string {
	var parts []string
	for _, p := range t.History {
		parts = append(parts, strconv.Itoa(len(p.Attempts)))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "+")
}

// pairsLine renders m as "k=v" pairs in key order, "" when m is empty.
func pairsLine[V any](m map[string]V, text func(V) string) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + text(m[k])
	}
	return strings.Join(parts, " ")
}

func mapLine(m map[string]string) string {
	if len(m) == 0 {
		return "-"
	}
	return pairsLine(m, func(v string) string { return v })
}

func metricsLine(m Metrics) string { return pairsLine(m, valueText) }

func valueText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return "null"
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return fmt.Sprint(v)
}
