package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeLakehouse stands in for the binary: it answers the commands the
// harness runs with the JSON shapes the real one prints. FAKE_FAIL_GOLD makes
// silver_to_gold fail the way the real binary does (one line on stderr).
const fakeLakehouse = `#!/bin/sh
wh=""
while [ $# -gt 0 ]; do
  case "$1" in
    --warehouse) wh=$2; shift 2;;
    --quiet) shift;;
    *) break;;
  esac
done
cmd=$1; shift
[ -n "$wh" ] && mkdir -p "$wh"
case "$cmd" in
generate)
  while [ $# -gt 0 ]; do
    case "$1" in --out) out=$2; shift 2;; --rows) rows=$2; shift 2;; --files) files=$2; shift 2;; *) shift;; esac
  done
  i=0
  while [ $i -lt $rows ]; do echo '{"event_id":"e'$i'"}' >> "$out/part-$((i % files)).ndjson"; i=$((i+1)); done
  echo "{\"rows\": $rows}" > "$out/_manifest.json"
  echo "wrote $rows rows";;
ingest) echo "{\"Rows\": $(cat "$1"/*.ndjson | wc -l)}";;
task)
  case "$1" in
  bronze_to_silver) echo '{"rows_out": 9, "quarantined": 1, "superseded": 0}';;
  silver_to_gold)
    if [ -n "$FAKE_FAIL_GOLD" ]; then echo "lakehouse: task silver_to_gold: write part: no space left on device" >&2; exit 1; fi
    echo '{"fact_rows": 2, "funnel_rows": 1, "revenue_rows": 1}';;
  esac;;
check) echo '{"ok": true, "Items": [{"Name": "reconcile", "OK": true, "Detail": ""}]}';;
run) echo "$*" >> "$wh/runs"; echo '{"state": "SUCCESS", "tasks": [{"task": "generate_bronze", "seconds": 0.1}, {"task": "bronze_to_silver", "seconds": 0.2}, {"task": "silver_to_gold", "seconds": 0.05}]}';;
*) echo "lakehouse: unknown command $cmd" >&2; exit 2;;
esac
`

const fakeRunSH = `#!/bin/sh
echo '{"stage":"bronze","wall_s":0.5,"cpu_s":0.4,"other_procs_cores":0,"peak_rss_mb":100,"duckdb_version":"v1.5.6","rows_written":10}'
echo '{"stage":"silver","wall_s":1.0,"cpu_s":1.5,"other_procs_cores":0,"peak_rss_mb":200,"duckdb_version":"v1.5.6","clean_rows":9,"quarantine_rows":1,"duplicates_removed":0}'
echo '{"stage":"gold","wall_s":0.25,"cpu_s":0.2,"other_procs_cores":0,"peak_rss_mb":50,"duckdb_version":"v1.5.6","fact_purchases_rows":2,"mart_funnel_daily_rows":1}'
echo 'duckdb_total_s=2.00'
`

// fakeNode answers the version probe and records that it ran.
const fakeNode = `#!/bin/sh
echo called >> "$FAKE_LOG/node"
echo v1.5.6
`

// fakeNPM installs instantly, fails, or hangs, per FAKE_NPM.
const fakeNPM = `#!/bin/sh
case "$FAKE_NPM" in
fail) echo "npm error code ENOTFOUND registry.npmjs.org" >&2; exit 1;;
hang) sleep 30;;
esac
mkdir -p node_modules/@duckdb/node-api
`

type fakes struct {
	bin, ref, cache, tmp, log string
}

func writeExec(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// newFakes writes the fake binary, reference and tools, and points PATH,
// DUCKDB_REF_CACHE and FAKE_LOG at them. installed says whether the fake
// DuckDB cache already holds @duckdb/node-api.
func newFakes(t *testing.T, installed bool) fakes {
	t.Helper()
	d := t.TempDir()
	f := fakes{bin: filepath.Join(d, "lakehouse"), ref: filepath.Join(d, "ref"), cache: filepath.Join(d, "duckcache"),
		tmp: filepath.Join(d, "tmp"), log: filepath.Join(d, "log")}
	writeExec(t, f.bin, fakeLakehouse)
	writeExec(t, filepath.Join(f.ref, "run.sh"), fakeRunSH)
	writeExec(t, filepath.Join(f.ref, "package.json"), "{}")
	writeExec(t, filepath.Join(f.ref, "package-lock.json"), "{}")
	writeExec(t, filepath.Join(d, "path", "node"), fakeNode)
	writeExec(t, filepath.Join(d, "path", "npm"), fakeNPM)
	for _, dir := range []string{f.tmp, f.log} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if installed {
		if err := os.MkdirAll(filepath.Join(f.cache, "node_modules", "@duckdb", "node-api"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", filepath.Join(d, "path")+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("DUCKDB_REF_CACHE", f.cache)
	t.Setenv("FAKE_LOG", f.log)
	return f
}

func (f fakes) args(extra ...string) []string {
	return append([]string{"--bin", f.bin, "--duckdb-ref", f.ref, "--cache", filepath.Join(f.tmp, "cache"),
		"--workdir", f.tmp, "--rows", "10", "--files", "2"}, extra...)
}

func TestRunMainWithFakes(t *testing.T) {
	tests := []struct {
		name        string
		installed   bool
		extra       []string
		env         map[string]string
		wantCode    int
		wantReps    []string // First of each rep
		wantRatios  bool
		wantRuns    int // incremental runs
		wantFailure string
		wantStderr  []string
		wantNode    bool
	}{
		{
			name: "two reps alternate, ratios and incremental", installed: true,
			extra:    []string{"--reps", "2", "--incremental", "3", "--incremental-rows", "5"},
			wantReps: []string{"ours", "duckdb"}, wantRatios: true, wantRuns: 3, wantNode: true,
		},
		{
			name: "skip-duckdb never touches node", installed: false,
			extra:    []string{"--skip-duckdb"},
			wantReps: []string{"ours"},
		},
		{
			name: "our stage fails: named with its error, exit 1", installed: true,
			env:      map[string]string{"FAKE_FAIL_GOLD": "1"},
			wantCode: 1, wantReps: []string{"ours"}, wantRatios: true, wantNode: true,
			wantFailure: "rep 1 ours: silver_to_gold: ",
			wantStderr:  []string{"ours silver_to_gold", "FAILED", "no space left on device"},
		},
		{
			name: "first use installs DuckDB and says so", installed: false,
			wantReps: []string{"ours"}, wantRatios: true, wantNode: true,
			wantStderr: []string{"installing the DuckDB reference", "--skip-duckdb", "DuckDB installed"},
		},
		{
			name: "npm fails: a hint, exit 1, before any measurement", installed: false,
			env:        map[string]string{"FAKE_NPM": "fail"},
			wantCode:   1,
			wantStderr: []string{"installing the DuckDB reference", "npm ci", "ENOTFOUND", "pass --skip-duckdb"},
		},
		{
			name: "npm hangs: bounded by --npm-timeout", installed: false,
			extra:      []string{"--npm-timeout", "300ms"},
			env:        map[string]string{"FAKE_NPM": "hang"},
			wantCode:   1,
			wantStderr: []string{"no result after 300ms", "pass --skip-duckdb"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakes(t, tt.installed)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			jsonPath := filepath.Join(f.tmp, "out.json")
			var stdout, stderr bytes.Buffer
			code := runMain(context.Background(), f.args(append(tt.extra, "--json", jsonPath)...), &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit code = %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			for _, s := range tt.wantStderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr.String())
				}
			}
			_, err := os.Stat(filepath.Join(f.log, "node"))
			if gotNode := err == nil; gotNode != tt.wantNode {
				t.Errorf("node ran = %v, want %v", gotNode, tt.wantNode)
			}
			if _, err := os.Stat(filepath.Join(f.cache, "node_modules")); tt.env["FAKE_NPM"] != "" && err == nil {
				t.Errorf("a failed install left %s/node_modules behind", f.cache)
			}
			b, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatalf("json report: %v", err)
			}
			var rep report
			if err := json.Unmarshal(b, &rep); err != nil {
				t.Fatalf("json report: %v", err)
			}
			var firsts []string
			for _, r := range rep.Reps {
				firsts = append(firsts, r.First)
				if (r.Ratio != nil) != tt.wantRatios {
					t.Errorf("rep %d ratios = %v, want present %v", r.Rep, r.Ratio, tt.wantRatios)
				}
			}
			if diff := cmp.Diff(tt.wantReps, firsts); diff != "" {
				t.Errorf("rep order mismatch (-want +got):\n%s", diff)
			}
			if tt.wantRuns > 0 && (rep.Incremental == nil || len(rep.Incremental.Runs) != tt.wantRuns || rep.Incremental.RatioLastFirst <= 0) {
				t.Errorf("incremental = %+v, want %d runs and a ratio", rep.Incremental, tt.wantRuns)
			}
			if tt.wantFailure != "" && (len(rep.Failures) == 0 || !strings.HasPrefix(rep.Failures[0], tt.wantFailure)) {
				t.Errorf("failures = %q, want one starting %q", rep.Failures, tt.wantFailure)
			}
			if tt.wantCode == 0 {
				if rep.Input == nil || rep.Input.Rows != 10 || len(rep.Input.Files) != 2 {
					t.Errorf("input = %+v, want 10 rows in 2 files", rep.Input)
				}
				if !strings.Contains(stdout.String(), "issue 5 targets") {
					t.Errorf("stdout lacks the targets:\n%s", stdout.String())
				}
			}
			left, _ := filepath.Glob(filepath.Join(f.tmp, "lakehouse-bench-*"))
			if len(left) > 0 {
				t.Errorf("work folders left behind without --keep: %v", left)
			}
		})
	}
}

func TestRunMainReusesCachedInput(t *testing.T) {
	f := newFakes(t, true)
	for i, want := range []string{"generating 10 rows", "reusing input"} {
		var stdout, stderr bytes.Buffer
		if code := runMain(context.Background(), f.args("--skip-duckdb", "--check=false"), &stdout, &stderr); code != 0 {
			t.Fatalf("run %d: exit code %d; stderr:\n%s", i+1, code, stderr.String())
		}
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("run %d: stderr lacks %q:\n%s", i+1, want, stderr.String())
		}
	}
}

func TestRunMainKeep(t *testing.T) {
	f := newFakes(t, true)
	var stdout, stderr bytes.Buffer
	if code := runMain(context.Background(), f.args("--skip-duckdb", "--pipeline=false", "--incremental", "2", "--keep"), &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
	}
	left, _ := filepath.Glob(filepath.Join(f.tmp, "lakehouse-bench-*", "incremental-warehouse", "runs"))
	if len(left) != 1 {
		t.Fatalf("kept incremental warehouse: %v, want one", left)
	}
	b, err := os.ReadFile(left[0])
	if err != nil {
		t.Fatal(err)
	}
	want := "--rows 1000000 --seed 1 --format json\n--rows 1000000 --seed 2 --format json\n"
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("incremental runs mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(stdout.String(), "kept: ") {
		t.Errorf("stdout does not say where the work folder was kept:\n%s", stdout.String())
	}
}

func TestRunMeasuresChild(t *testing.T) {
	tests := []struct {
		name     string
		script   string
		wantErr  bool
		wantOut  string
		wantText string
	}{
		{name: "success", script: "echo out; echo progress >&2", wantOut: "out\n"},
		{name: "failure keeps stderr", script: "echo 'lakehouse: boom' >&2; exit 3", wantErr: true, wantText: "exit status 3: lakehouse: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := run(context.Background(), child{argv: []string{"sh", "-c", tt.script}})
			if (err != nil) != tt.wantErr {
				t.Fatalf("run error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q lacks %q", err, tt.wantText)
			}
			if string(m.Stdout) != tt.wantOut {
				t.Errorf("stdout = %q, want %q", m.Stdout, tt.wantOut)
			}
			if m.Wall <= 0 || m.MaxRSS <= 0 {
				t.Errorf("measurement = %+v, want a wall time and a peak RSS", m)
			}
		})
	}
}

func TestRunCancelKillsTheGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		// sh waits for a grandchild: canceling must kill both, or run hangs.
		_, err := run(ctx, child{argv: []string{"sh", "-c", "sleep 30 & wait"}})
		done <- err
	}()
	time.Sleep(200 * time.Millisecond) // let sh start its grandchild
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "context canceled") {
			t.Errorf("run after cancel = %v, want a context canceled error", err)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("run did not return after cancel: the grandchild kept it waiting")
	}
}
