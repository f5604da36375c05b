package reliability

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// conflictMarks are the messages of a lost commit race: the process
// changed nothing and says to run it again.
var conflictMarks = []string{
	"conflicting commit",                       // delta.ConflictError
	"ingested concurrently by another process", // bronze ingest
}

// worker is one OS process of the concurrency test, rerun after a
// conflict until it succeeds.
type worker struct {
	name  string
	args  []string
	delay time.Duration // before its first run
	// loop runs it again and again while any ingest is running, and ends
	// after one success that started once they had all finished.
	loop bool
	// waitFor lists the errors that mean "too early" (e.g. bronze does not
	// exist yet): the worker sleeps and retries.
	waitFor []string
}

// workerLog is what one worker went through.
type workerLog struct {
	name                     string
	runs, conflicts, retries int
	worked                   int // successful task runs that found work (not skipped)
}

// TestConcurrentProcesses starts several processes on one warehouse at
// once: four ingests of overlapping and distinct files, started 150 ms
// apart, three loops of bronze_to_silver and two of silver_to_gold that
// run while any ingest does. A process may lose a commit race; it must then say so
// (a conflict message) and is run again. Once all have succeeded, one more
// bronze_to_silver and silver_to_gold must give exactly the result of a
// single process ingesting every file once, and `lakehouse check` must pass.
// `make soak` runs it 20 times in a row.
func TestConcurrentProcesses(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	generateFiles(t, data, 90_000, 6, 5)
	part := func(i int) string { return filepath.Join(data, fmt.Sprintf("part-%05d.ndjson", i)) }

	ref := filepath.Join(t.TempDir(), "ref")
	mustLakehouse(t, ref, "ingest", data)
	mustLakehouse(t, ref, "task", "bronze_to_silver")
	mustLakehouse(t, ref, "task", "silver_to_gold")
	want := mustFacts(t, ref)

	notYet := []string{"does not exist yet"}
	ms := time.Millisecond
	ingests := []worker{
		{name: "ingest 0 1 2", args: []string{"ingest", part(0), part(1), part(2)}},
		{name: "ingest 2 3", args: []string{"ingest", part(2), part(3)}, delay: 150 * ms},
		{name: "ingest all", args: []string{"ingest", data}, delay: 300 * ms},
		{name: "ingest 4 5", args: []string{"ingest", part(4), part(5)}, delay: 450 * ms},
	}
	loops := []worker{
		{name: "silver A", args: []string{"task", "bronze_to_silver"}, loop: true, waitFor: notYet},
		{name: "silver B", args: []string{"task", "bronze_to_silver"}, loop: true, waitFor: notYet, delay: 100 * ms},
		{name: "silver C", args: []string{"task", "bronze_to_silver"}, loop: true, waitFor: notYet, delay: 200 * ms},
		{name: "gold A", args: []string{"task", "silver_to_gold"}, loop: true, waitFor: notYet, delay: 300 * ms},
		{name: "gold B", args: []string{"task", "silver_to_gold"}, loop: true, waitFor: notYet, delay: 400 * ms},
	}
	workers := append(ingests, loops...)
	wh := t.TempDir()
	logs := make([]workerLog, len(workers))
	errs := make([]error, len(workers))
	ingestsDone := make(chan struct{})
	var ingesting, wg sync.WaitGroup
	start := make(chan struct{})
	for i, w := range workers {
		if !w.loop {
			ingesting.Add(1)
		}
		wg.Go(func() {
			<-start
			logs[i], errs[i] = runWorker(t, wh, w, ingestsDone)
			if !w.loop {
				ingesting.Done()
			}
		})
	}
	go func() { ingesting.Wait(); close(ingestsDone) }()
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s: %v", workers[i].name, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	mustLakehouse(t, wh, "task", "bronze_to_silver")
	mustLakehouse(t, wh, "task", "silver_to_gold")
	if r := runLakehouse(t, wh, -1, "check", "--sample-days", "0"); r.err != nil {
		t.Fatalf("check failed after the concurrent run: %s", r)
	}
	got, versions, err := readWarehouse(context.Background(), openWarehouse(t, wh))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("the concurrent result differs from the single-process one (-want +got):\n%s", diff)
	}
	var summary []string
	for i, l := range logs {
		line := fmt.Sprintf("%s: %d runs, %d conflicts rerun", l.name, l.runs, l.conflicts)
		if workers[i].loop {
			line += fmt.Sprintf(", %d too early, %d with work to do", l.retries, l.worked)
		}
		summary = append(summary, line)
	}
	t.Logf("exact; %s; table versions at the end %v", strings.Join(summary, "; "), versions)
}

// runWorker runs w (see worker), rerunning it after a reported conflict.
// Any other failure is returned.
func runWorker(t *testing.T, wh string, w worker, ingestsDone <-chan struct{}) (workerLog, error) {
	l := workerLog{name: w.name}
	time.Sleep(w.delay)
	for {
		if l.runs >= 200 {
			return l, fmt.Errorf("no end after %d runs", l.runs)
		}
		final := isClosed(ingestsDone)
		l.runs++
		r := runLakehouse(t, wh, -1, w.args...)
		switch {
		case r.err == nil:
			if strings.Contains(r.stdout, "skipped: false") {
				l.worked++
			}
			if !w.loop || final {
				return l, nil
			}
		case containsAny(r.stderr, conflictMarks):
			l.conflicts++
		case containsAny(r.stderr, w.waitFor):
			l.retries++
			time.Sleep(20 * time.Millisecond)
		default:
			return l, fmt.Errorf("failed with an error that is not a conflict: %s", r)
		}
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
