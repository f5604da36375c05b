package job

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// run marks "the task runs" in the run_if table.
const run State = "run"

func TestRunIfTable(t *testing.T) {
	const (
		S  = StateSuccess
		F  = StateFailed
		T  = StateTimedOut
		C  = StateCanceled
		UF = StateUpstreamFailed
		UC = StateUpstreamCanceled
		X  = StateExcluded
	)
	conds := []RunIf{AllSuccess, AtLeastOneSuccess, NoneFailed, AllDone, AtLeastOneFailed, AllFailed}
	tests := []struct {
		deps []State
		// outcome per condition, in the order of conds
		want [6]State
	}{
		{deps: nil, want: [6]State{run, run, run, run, run, run}},
		{deps: []State{S}, want: [6]State{run, run, run, run, X, X}},
		{deps: []State{S, S}, want: [6]State{run, run, run, run, X, X}},
		{deps: []State{F}, want: [6]State{UF, UF, UF, run, run, run}},
		{deps: []State{T}, want: [6]State{UF, UF, UF, run, run, run}},
		{deps: []State{F, F}, want: [6]State{UF, UF, UF, run, run, run}},
		{deps: []State{S, F}, want: [6]State{UF, run, UF, run, run, X}},
		{deps: []State{S, T}, want: [6]State{UF, run, UF, run, run, X}},
		{deps: []State{UF}, want: [6]State{UF, UF, UF, run, run, run}},
		{deps: []State{S, UF}, want: [6]State{UF, run, run, run, run, X}},
		{deps: []State{F, UF}, want: [6]State{UF, UF, UF, run, run, run}},
		{deps: []State{X}, want: [6]State{X, X, X, X, X, X}},
		{deps: []State{X, X}, want: [6]State{X, X, X, X, X, X}},
		{deps: []State{S, X}, want: [6]State{run, run, run, run, X, X}},
		{deps: []State{F, X}, want: [6]State{UF, run, UF, run, run, X}},
		{deps: []State{UF, X}, want: [6]State{UF, run, UF, run, run, X}},
		{deps: []State{C}, want: [6]State{UC, UC, UC, run, run, run}},
		{deps: []State{UC}, want: [6]State{UC, UC, UC, run, run, run}},
		{deps: []State{S, C}, want: [6]State{UC, run, UC, run, run, X}},
		{deps: []State{F, C}, want: [6]State{UF, UF, UF, run, run, run}},
	}
	for _, tt := range tests {
		for i, cond := range conds {
			name := fmt.Sprintf("%s/%s", cond, strings.Join(statesText(tt.deps), "+"))
			t.Run(name, func(t *testing.T) {
				ok, skip := decide(cond, tt.deps)
				got := skip
				if ok {
					got = run
				}
				if got != tt.want[i] {
					t.Fatalf("decide(%s, %v) = %s, want %s", cond, tt.deps, got, tt.want[i])
				}
			})
		}
	}
}

func statesText(s []State) []string {
	if len(s) == 0 {
		return []string{"none"}
	}
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = string(x)
	}
	return out
}

func TestResultState(t *testing.T) {
	// a -> b -> cleanup (ALL_DONE), and an independent side task; the leaves are cleanup and side.
	j := mustParse(t, jobJSON("j", "",
		nbTask("a", nil, ""), nbTask("b", []string{"a"}, ""), nbTask("cleanup", []string{"b"}, `"run_if": "ALL_DONE"`),
		nbTask("side", nil, "")))
	tests := []struct {
		name   string
		states map[string]State
		want   State
	}{
		{name: "all succeeded", states: map[string]State{"a": StateSuccess, "b": StateSuccess, "cleanup": StateSuccess, "side": StateSuccess}, want: StateSuccess},
		{name: "excluded counts as success", states: map[string]State{"a": StateSuccess, "b": StateSuccess, "cleanup": StateExcluded, "side": StateSuccess}, want: StateSuccess},
		{name: "inner failure, leaves fine", states: map[string]State{"a": StateFailed, "b": StateUpstreamFailed, "cleanup": StateSuccess, "side": StateSuccess}, want: StateSuccessWithFailures},
		{name: "leaf failed", states: map[string]State{"a": StateSuccess, "b": StateSuccess, "cleanup": StateSuccess, "side": StateFailed}, want: StateFailed},
		{name: "leaf timed out", states: map[string]State{"a": StateSuccess, "b": StateSuccess, "cleanup": StateTimedOut, "side": StateSuccess}, want: StateFailed},
		{name: "leaf upstream failed", states: map[string]State{"a": StateSuccess, "b": StateSuccess, "cleanup": StateUpstreamFailed, "side": StateSuccess}, want: StateFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resultState(j, tt.states); got != tt.want {
				t.Fatalf("resultState = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRepairableStates(t *testing.T) {
	var got []State
	for _, s := range []State{StatePending, StateQueued, StateRunning, StateSuccess, StateSuccessWithFailures, StateFailed,
		StateTimedOut, StateCanceled, StateSkipped, StateUpstreamFailed, StateUpstreamCanceled, StateExcluded} {
		if s.repairable() {
			got = append(got, s)
		}
	}
	want := []State{StatePending, StateQueued, StateRunning, StateFailed, StateTimedOut, StateCanceled, StateSkipped,
		StateUpstreamFailed, StateUpstreamCanceled}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("repairable states (-want +got):\n%s", diff)
	}
}
