package job

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var threeBuiltins = Registry{
	"generate_bronze":  nil,
	"bronze_to_silver": nil,
	"silver_to_gold":   nil,
}

func TestDefaultJobEmbeddedMatchesShared(t *testing.T) {
	shared, err := os.ReadFile("../../../shared/jobs/ecomm_lakehouse_daily.json")
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("shared/jobs/ecomm_lakehouse_daily.json is not beside the repository")
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shared, DefaultJobJSON()) {
		t.Fatal("internal/job/default_job.json differs from shared/jobs/ecomm_lakehouse_daily.json; copy it again byte for byte")
	}
}

func TestDefaultJobParses(t *testing.T) {
	j, err := DefaultJob()
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Check(threeBuiltins); err != nil {
		t.Fatal(err)
	}
	got := struct {
		Name     string
		Order    []string
		Max      int
		Queued   bool
		Schedule Schedule
		Rows     string
	}{j.Name, j.order(), j.MaxConcurrent(), j.Queued(), *j.Schedule, j.Tasks[0].NotebookTask.BaseParameters["rows"]}
	want := struct {
		Name     string
		Order    []string
		Max      int
		Queued   bool
		Schedule Schedule
		Rows     string
	}{"ecomm_lakehouse_daily", []string{"generate_bronze", "bronze_to_silver", "silver_to_gold"}, 1, true,
		Schedule{QuartzCronExpression: "35 0 7 * * ?", TimezoneID: "America/Toronto", PauseStatus: "UNPAUSED"}, "1000000"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("default job (-want +got):\n%s", diff)
	}
	if !bytes.Equal(j.JSON(), DefaultJobJSON()) {
		t.Fatal("JSON() does not return the parsed bytes")
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name string
		js   string
		want string // the whole one-line error
	}{
		{
			name: "duplicate task key",
			js:   jobJSON("j", "", nbTask("a", nil, ""), nbTask("a", nil, "")),
			want: `invalid job "j": duplicate task_key "a"`,
		},
		{
			name: "unknown dependency",
			js:   jobJSON("j", "", nbTask("a", nil, ""), nbTask("b", []string{"x"}, "")),
			want: `invalid job "j": task "b" depends on unknown task "x"`,
		},
		{
			name: "cycle",
			js: jobJSON("j", "", nbTask("start", nil, ""), nbTask("a", []string{"start", "c"}, ""),
				nbTask("b", []string{"a"}, ""), nbTask("c", []string{"b"}, "")),
			want: `invalid job "j": dependency cycle: a -> c -> b -> a (each task depends on the next)`,
		},
		{
			name: "self dependency",
			js:   jobJSON("j", "", nbTask("a", []string{"a"}, "")),
			want: `invalid job "j": dependency cycle: a -> a (each task depends on the next)`,
		},
		{
			name: "non-notebook task",
			js:   `{"name": "j", "tasks": [{"task_key": "a", "spark_python_task": {"python_file": "x.py"}}]}`,
			want: `invalid job "j": task "a": spark_python_task is not supported; only notebook_task (mapped to a built-in task) runs here`,
		},
		{
			name: "no task type",
			js:   `{"name": "j", "tasks": [{"task_key": "a"}]}`,
			want: `invalid job "j": task "a": no notebook_task; only notebook tasks (mapped to a built-in task) run here`,
		},
		{
			name: "bad run_if",
			js:   jobJSON("j", "", nbTask("a", nil, ""), nbTask("b", []string{"a"}, `"run_if": "SOMETIMES"`)),
			want: `invalid job "j": task "b": run_if "SOMETIMES" is not one of ALL_SUCCESS, AT_LEAST_ONE_SUCCESS, NONE_FAILED, ALL_DONE, AT_LEAST_ONE_FAILED, ALL_FAILED`,
		},
		{
			name: "bad time zone",
			js:   jobJSON("j", `"schedule": {"quartz_cron_expression": "0 0 1 * * ?", "timezone_id": "Mars/Olympus"}`, nbTask("a", nil, "")),
			want: `invalid job "j": schedule: invalid schedule: timezone_id "Mars/Olympus" is not a known IANA time zone (e.g. America/Toronto, UTC)`,
		},
		{
			name: "bad pause status",
			js:   jobJSON("j", `"schedule": {"quartz_cron_expression": "0 0 1 * * ?", "timezone_id": "UTC", "pause_status": "SLEEPING"}`, nbTask("a", nil, "")),
			want: `invalid job "j": schedule: pause_status "SLEEPING" is not PAUSED or UNPAUSED`,
		},
		{
			name: "no tasks",
			js:   `{"name": "j", "tasks": []}`,
			want: `invalid job "j": the job has no tasks`,
		},
		{
			name: "retries below -1 and negative timeout",
			js:   jobJSON("j", "", nbTask("a", nil, `"max_retries": -2, "timeout_seconds": -1`)),
			want: `invalid job "j": task "a": max_retries -2 is below -1 (-1 means retry indefinitely); task "a": timeout_seconds -1 is negative`,
		},
		{
			name: "bad task key",
			js:   jobJSON("j", "", nbTask("a b", nil, "")),
			want: `invalid job "j": task "a b": task_key may hold only letters, digits, '_' and '-' (at most 100)`,
		},
		{
			name: "duplicate parameter",
			js:   jobJSON("j", `"parameters": [{"name": "rows", "default": "1"}, {"name": "rows", "default": "2"}]`, nbTask("a", nil, "")),
			want: `invalid job "j": job parameter "rows" is defined twice`,
		},
		{
			name: "max concurrent runs out of range",
			js:   jobJSON("j", `"max_concurrent_runs": 5000`, nbTask("a", nil, "")),
			want: `invalid job "j": max_concurrent_runs 5000 is outside 0..1000`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.js))
			if err == nil {
				t.Fatal("Parse accepted the job")
			}
			if !errors.Is(err, ErrInvalidJob) {
				t.Errorf("error %v does not wrap ErrInvalidJob", err)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestParseRejectsBadCronAndJSON(t *testing.T) {
	tests := []struct {
		name string
		js   string
		want []string // substrings
	}{
		{
			name: "bad cron",
			js:   jobJSON("j", `"schedule": {"quartz_cron_expression": "0 0 25 * * ?", "timezone_id": "UTC"}`, nbTask("a", nil, "")),
			want: []string{`invalid job "j": schedule: invalid schedule: quartz_cron_expression "0 0 25 * * ?": `},
		},
		{
			name: "empty cron",
			js:   jobJSON("j", `"schedule": {"quartz_cron_expression": " ", "timezone_id": "UTC"}`, nbTask("a", nil, "")),
			want: []string{`schedule: invalid schedule: quartz_cron_expression is empty`},
		},
		{
			name: "not JSON",
			js:   `{"name": "j", "tasks": [`,
			want: []string{"parse job JSON: invalid job: "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.js))
			if err == nil {
				t.Fatal("Parse accepted the job")
			}
			if !errors.Is(err, ErrInvalidJob) {
				t.Errorf("error %v does not wrap ErrInvalidJob", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestCheckUnknownBuiltin(t *testing.T) {
	j := mustParse(t, `{"name": "j", "tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "/Shared/x/04_publish"}}]}`)
	err := j.Check(threeBuiltins)
	want := `invalid job "j": task "a": notebook "/Shared/x/04_publish" maps to no built-in task (looked for "publish"); built-ins: bronze_to_silver, generate_bronze, silver_to_gold`
	if err == nil || err.Error() != want {
		t.Fatalf("Check = %v, want %s", err, want)
	}
	if !errors.Is(err, ErrInvalidJob) {
		t.Fatalf("error does not wrap ErrInvalidJob")
	}
}

func TestBuiltinName(t *testing.T) {
	reg := Registry{"generate_bronze": nil, "02_special": nil}
	tests := []struct {
		name   string
		path   string
		want   string
		wantOK bool
	}{
		{name: "ordering prefix", path: "/Workspace/Shared/ecomm_lakehouse/01_generate_bronze", want: "generate_bronze", wantOK: true},
		{name: "plain name", path: "generate_bronze", want: "generate_bronze", wantOK: true},
		{name: "file extension", path: "/Repos/x/01_generate_bronze.py", want: "generate_bronze", wantOK: true},
		{name: "trailing slash", path: "/x/generate_bronze/", want: "generate_bronze", wantOK: true},
		{name: "exact name wins over stripping", path: "/x/02_special", want: "02_special", wantOK: true},
		{name: "unknown", path: "/x/03_silver_to_gold", want: "silver_to_gold", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := Task{NotebookTask: &NotebookTask{NotebookPath: tt.path}}
			got, ok := task.BuiltinName(reg)
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("BuiltinName(%q) = %q, %v; want %q, %v", tt.path, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParameterPrecedence(t *testing.T) {
	j := mustParse(t, `{"name": "j",
		"parameters": [{"name": "seed", "default": "7"}, {"name": "env", "default": "dev"}],
		"tasks": [
			{"task_key": "a", "notebook_task": {"notebook_path": "a", "base_parameters": {"rows": 1000000, "seed": "1", "mode": "full", "flag": true}}},
			{"task_key": "b", "depends_on": [{"task_key": "a"}], "notebook_task": {"notebook_path": "b"}}
		]}`)
	overrides := map[string]string{"rows": "50000", "env": "prod"}
	tests := []struct {
		name string
		got  map[string]string
		want map[string]string
	}{
		{
			name: "task a: base < job defaults < overrides",
			got:  j.TaskParameters(j.Task("a"), overrides),
			want: map[string]string{"rows": "50000", "seed": "7", "mode": "full", "flag": "true", "env": "prod"},
		},
		{
			name: "task b: overrides reach tasks without base parameters",
			got:  j.TaskParameters(j.Task("b"), overrides),
			want: map[string]string{"rows": "50000", "seed": "7", "env": "prod"},
		},
		{
			name: "no overrides",
			got:  j.TaskParameters(j.Task("a"), nil),
			want: map[string]string{"rows": "1000000", "seed": "7", "mode": "full", "flag": "true", "env": "dev"},
		},
		{
			name: "run parameters",
			got:  j.RunParameters(overrides),
			want: map[string]string{"rows": "50000", "seed": "7", "env": "prod"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Fatalf("parameters (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseIgnoresUnknownFields(t *testing.T) {
	j := mustParse(t, `{"name": "j", "format": "MULTI_TASK", "job_clusters": [{"x": 1}], "tasks": [
		{"task_key": "a", "existing_cluster_id": "123", "libraries": [], "notebook_task": {"notebook_path": "a", "source": "GIT"},
		 "health": {"rules": []}, "condition_task": null}]}`)
	if got := j.Tasks[0].TaskKey; got != "a" {
		t.Fatalf("task key %q", got)
	}
}

// FuzzParse: Parse never panics, and a job it accepts has a dependency order
// covering every task, each after its dependencies.
func FuzzParse(f *testing.F) {
	f.Add(DefaultJobJSON())
	f.Add([]byte(jobJSON("j", "", nbTask("a", nil, ""), nbTask("b", []string{"a"}, `"run_if": "ALL_DONE"`))))
	f.Add([]byte(jobJSON("j", "", nbTask("a", []string{"b"}, ""), nbTask("b", []string{"a"}, ""))))
	f.Add([]byte(`{"tasks": [{"task_key": "a", "notebook_task": {"base_parameters": {"x": [1, {"y": null}]}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidJob) {
				t.Fatalf("error %v does not wrap ErrInvalidJob", err)
			}
			return
		}
		_ = j.Check(threeBuiltins)
		order := j.order()
		if len(order) != len(j.Tasks) {
			t.Fatalf("order %v misses tasks of %d", order, len(j.Tasks))
		}
		pos := map[string]int{}
		for i, k := range order {
			pos[k] = i
		}
		for _, task := range j.Tasks {
			for _, d := range task.DependsOn {
				if pos[d.TaskKey] >= pos[task.TaskKey] {
					t.Fatalf("%s ordered before its dependency %s", task.TaskKey, d.TaskKey)
				}
			}
		}
	})
}
