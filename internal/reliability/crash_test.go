package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// crashPlan returns how many trials to run (LAKEHOUSE_CRASH_TRIALS,
// default 5) and the seed of the first (LAKEHOUSE_CRASH_SEED, default from
// the clock); trial i uses seed+i, so a failing trial replays with its own
// seed and one trial.
func crashPlan(t *testing.T) (trials int, seed uint64) {
	trials = envInt(t, "LAKEHOUSE_CRASH_TRIALS", 5)
	seed = uint64(time.Now().UnixNano() % 1_000_000_007)
	if s := os.Getenv("LAKEHOUSE_CRASH_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("LAKEHOUSE_CRASH_SEED=%q: want an unsigned integer", s)
		}
		seed = v
	}
	t.Logf("%d trials from seed %d; replay one with LAKEHOUSE_CRASH_SEED=<its seed> LAKEHOUSE_CRASH_TRIALS=1", trials, seed)
	return trials, seed
}

// stageCmd is one step of the pipeline as a command line.
type stageCmd struct {
	name string
	args []string
}

// kill is when a trial sends SIGKILL: during the given stage, after the
// process has run for the given time.
type kill struct {
	stage int
	after time.Duration
}

// crashTally counts what the kills of all trials hit, for the final log
// line (and docs/reliability.md).
type crashTally struct {
	mu struct {
		sync.Mutex
		trials, kills, missed int
		byStage               map[string]int
		afterCommit           int // kills after some of their stage's rows were committed
	}
}

func (c *crashTally) add(trials, kills, missed, afterCommit int, stages []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.byStage == nil {
		c.mu.byStage = map[string]int{}
	}
	c.mu.trials += trials
	c.mu.kills += kills
	c.mu.missed += missed
	c.mu.afterCommit += afterCommit
	for _, s := range stages {
		c.mu.byStage[s]++
	}
}

func (c *crashTally) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	committed := ""
	if c.mu.afterCommit > 0 {
		committed = fmt.Sprintf(", %d of them after some of their stage's rows were committed", c.mu.afterCommit)
	}
	return fmt.Sprintf("%d trials passed: %d processes killed (%v)%s; %d planned kills came after the process had finished",
		c.mu.trials, c.mu.kills, c.mu.byStage, committed, c.mu.missed)
}

// report logs the tally and fails t when trials passed without a single
// kill landing: they then only checked a crash-free run.
func (c *crashTally) report(t *testing.T) {
	t.Helper()
	t.Log(c.String())
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.trials > 0 && c.mu.kills == 0 {
		t.Errorf("no planned kill landed in %d trials: the test checked no crash", c.mu.trials)
	}
}

// TestCrashPipeline runs ingest, bronze_to_silver and silver_to_gold as
// processes and SIGKILLs them at random instants, then reruns what did not
// finish. After every kill each table must load and scan; at the end
// `lakehouse check` must pass and every count must equal the crash-free
// run's.
func TestCrashPipeline(t *testing.T) {
	trials, seed := crashPlan(t)
	data := filepath.Join(t.TempDir(), "data")
	generateFiles(t, data, 100_000, 4, 42)
	stages := []stageCmd{
		{"ingest", []string{"ingest", data}},
		{"bronze_to_silver", []string{"task", "bronze_to_silver"}},
		{"silver_to_gold", []string{"task", "silver_to_gold"}},
	}

	// The crash-free run gives the expected facts and each stage's length.
	ref := filepath.Join(t.TempDir(), "ref")
	durations := make([]time.Duration, len(stages))
	for i, st := range stages {
		durations[i] = mustLakehouse(t, ref, st.args...).elapsed
	}
	mustLakehouse(t, ref, "check", "--sample-days", "0")
	want := mustFacts(t, ref)
	t.Logf("crash-free run: %v; stage durations %v", want.Rows, durations)

	var tally crashTally
	for i := range trials {
		s := seed + uint64(i)
		t.Run(fmt.Sprintf("seed=%d", s), func(t *testing.T) { crashPipelineTrial(t, s, stages, durations, want, &tally) })
	}
	tally.report(t)
}

func crashPipelineTrial(t *testing.T, seed uint64, stages []stageCmd, durations []time.Duration, want facts, tally *crashTally) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 0x6c616b65686f7573))
	// One or two kills; two in one stage kill the rerun too.
	plan := make([]kill, 1+rng.IntN(2))
	for i := range plan {
		s := rng.IntN(len(stages))
		plan[i] = kill{stage: s, after: time.Duration(rng.Int64N(int64(durations[s])))}
	}
	slices.SortStableFunc(plan, func(a, b kill) int { return a.stage - b.stage })
	t.Logf("seed %d: plan %v", seed, plan)

	wh := t.TempDir()
	var story []string
	var killed, missed, afterCommit int
	var killedStages []string
	for i, st := range stages {
		before, _, err := readWarehouse(ctx, openWarehouse(t, wh))
		if err != nil {
			t.Fatalf("seed %d (%s): before %s: %v", seed, strings.Join(story, "; "), st.name, err)
		}
		for {
			after := time.Duration(-1)
			if len(plan) > 0 && plan[0].stage == i {
				after, plan = plan[0].after, plan[1:]
			}
			r := runLakehouse(t, wh, after, st.args...)
			if r.killed {
				// The crash must leave every table loadable and scannable.
				now, _, err := readWarehouse(ctx, openWarehouse(t, wh))
				if err != nil {
					t.Fatalf("seed %d (%s): after SIGKILL of %s at %v a table does not load: %v", seed, strings.Join(story, "; "), st.name, after, err)
				}
				landed := rowChanges(before.Rows, now.Rows)
				if landed != "" {
					afterCommit++
				} else {
					landed = "no rows committed"
				}
				killed++
				killedStages = append(killedStages, st.name)
				story = append(story, fmt.Sprintf("%s killed at %v (%s)", st.name, after.Round(time.Millisecond), landed))
				continue
			}
			if r.err != nil {
				t.Fatalf("seed %d (%s): rerun failed: %s", seed, strings.Join(story, "; "), r)
			}
			if after >= 0 {
				missed++
				story = append(story, fmt.Sprintf("%s finished before the kill at %v", st.name, after.Round(time.Millisecond)))
			}
			break
		}
	}
	if r := runLakehouse(t, wh, -1, "check", "--sample-days", "0"); r.err != nil {
		t.Fatalf("seed %d (%s): check failed: %s", seed, strings.Join(story, "; "), r)
	}
	got := mustFacts(t, wh)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("seed %d (%s): facts differ from the crash-free run (-want +got):\n%s", seed, strings.Join(story, "; "), diff)
	}
	tally.add(1, killed, missed, afterCommit, killedStages)
	t.Logf("seed %d: %s: exact", seed, strings.Join(story, "; "))
}

// rowChanges describes how the row counts per table changed, e.g.
// "silver_events_quarantine +382", or "" when none did.
func rowChanges(before, after map[string]int64) string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(after)) {
		if d := after[name] - before[name]; d != 0 {
			out = append(out, fmt.Sprintf("%s %+d", name, d))
		}
	}
	return strings.Join(out, ", ")
}

// jobRun is the part of `job show --format json` the test reads.
type jobRun struct {
	RunID int64  `json:"run_id"`
	State string `json:"state"`
	Tasks []struct {
		TaskKey string `json:"task_key"`
		State   string `json:"state"`
	} `json:"tasks"`
}

func jobRuns(t *testing.T, wh string) []jobRun {
	t.Helper()
	r := mustLakehouse(t, wh, "job", "runs", "--format", "json")
	var runs []jobRun
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil {
		t.Fatalf("job runs --format json: %v\n%s", err, r.stdout)
	}
	return runs
}

func jobShow(t *testing.T, wh string, id int64) jobRun {
	t.Helper()
	r := mustLakehouse(t, wh, "job", "show", strconv.FormatInt(id, 10), "--format", "json")
	var run jobRun
	if err := json.Unmarshal([]byte(r.stdout), &run); err != nil {
		t.Fatalf("job show --format json: %v\n%s", err, r.stdout)
	}
	return run
}

// taskStates renders the task states as GetRun reports them (a task that
// was running when its runner died shows FAILED).
func (r jobRun) taskStates() string {
	var out []string
	for _, tk := range r.Tasks {
		out = append(out, tk.TaskKey+" "+tk.State)
	}
	return strings.Join(out, ", ")
}

func (r jobRun) tasksSucceeded() bool {
	for _, tk := range r.Tasks {
		if tk.State != "SUCCESS" {
			return false
		}
	}
	return len(r.Tasks) > 0
}

// TestCrashJobRepair SIGKILLs `lakehouse run` at a random instant (and, in
// half of the trials, the `job repair` that follows), then repairs the run:
// it must end SUCCESS with every count equal to the crash-free run's
// (generate_bronze's txn keyed by the run keeps bronze from doubling) and
// `lakehouse check` passing.
func TestCrashJobRepair(t *testing.T) {
	trials, seed := crashPlan(t)
	args := []string{"run", "--rows", "60000", "--seed", "11", "--param", "end=" + dataEndArg}
	ref := filepath.Join(t.TempDir(), "ref")
	dur := mustLakehouse(t, ref, args...).elapsed
	mustLakehouse(t, ref, "check", "--sample-days", "0")
	want := mustFacts(t, ref)
	t.Logf("crash-free run: %v in %v", want.Rows, dur)

	var tally crashTally
	for i := range trials {
		s := seed + uint64(i)
		t.Run(fmt.Sprintf("seed=%d", s), func(t *testing.T) { crashJobTrial(t, s, args, dur, want, &tally) })
	}
	tally.report(t)
}

func crashJobTrial(t *testing.T, seed uint64, args []string, dur time.Duration, want facts, tally *crashTally) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 0x6a6f627265706169))
	runKill := time.Duration(rng.Int64N(int64(dur)))
	repairKill := time.Duration(-1)
	if rng.IntN(2) == 0 {
		repairKill = time.Duration(rng.Int64N(int64(dur)))
	}
	t.Logf("seed %d: kill run at %v, repair at %v", seed, runKill, repairKill)

	wh := t.TempDir()
	var story []string
	var killed, missed int
	var killedStages []string
	fail := func(format string, a ...any) {
		t.Helper()
		t.Fatalf("seed %d (%s): %s", seed, strings.Join(story, "; "), fmt.Sprintf(format, a...))
	}
	loadable := func(what string) {
		if _, _, err := readWarehouse(ctx, openWarehouse(t, wh)); err != nil {
			fail("after SIGKILL of %s a table does not load: %v", what, err)
		}
	}
	r := runLakehouse(t, wh, runKill, args...)
	switch {
	case !r.killed && r.err != nil:
		fail("run failed: %s", r)
	case !r.killed:
		missed++
		story = append(story, fmt.Sprintf("run finished before the kill at %v", runKill.Round(time.Millisecond)))
	default:
		killed++
		killedStages = append(killedStages, "run")
		story = append(story, fmt.Sprintf("run killed at %v", runKill.Round(time.Millisecond)))
		loadable("run")
		runs := jobRuns(t, wh)
		if len(runs) == 0 {
			// Killed before the run was recorded: nothing ran, start over.
			story = append(story, "no run recorded, run again")
			mustLakehouse(t, wh, args...)
			break
		}
		id := runs[0].RunID
		story = append(story, "at the kill: "+jobShow(t, wh, id).taskStates())
		for {
			rr := runLakehouse(t, wh, repairKill, "job", "repair", strconv.FormatInt(id, 10))
			if rr.killed {
				killed++
				killedStages = append(killedStages, "repair")
				story = append(story, fmt.Sprintf("repair killed at %v", repairKill.Round(time.Millisecond)))
				loadable("repair")
				repairKill = -1
				continue
			}
			if repairKill >= 0 {
				missed++
			}
			if rr.err != nil {
				if strings.Contains(rr.stderr, "nothing to repair") && jobShow(t, wh, id).tasksSucceeded() {
					story = append(story, "every task had succeeded: nothing to repair")
					break
				}
				fail("repair failed: %s", rr)
			}
			if run := jobShow(t, wh, id); run.State != "SUCCESS" {
				fail("repair succeeded but run %d is %s", id, run.State)
			}
			story = append(story, fmt.Sprintf("run %d repaired", id))
			break
		}
	}
	runs := jobRuns(t, wh)
	if len(runs) != 1 {
		fail("%d runs in the history, want 1", len(runs))
	}
	if run := jobShow(t, wh, runs[0].RunID); !run.tasksSucceeded() {
		fail("run %d ended %s with tasks %+v, want every task SUCCESS", run.RunID, run.State, run.Tasks)
	}
	if r := runLakehouse(t, wh, -1, "check", "--sample-days", "0"); r.err != nil {
		fail("check failed: %s", r)
	}
	got := mustFacts(t, wh)
	if diff := cmp.Diff(want, got); diff != "" {
		fail("facts differ from the crash-free run (-want +got):\n%s", diff)
	}
	tally.add(1, killed, missed, 0, killedStages)
	t.Logf("seed %d: %s: exact", seed, strings.Join(story, "; "))
}
