package job

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Metrics are a task's figures: rows in/out, quarantined, … (JSON-serialisable).
type Metrics map[string]any

// TaskFunc runs one built-in task. It must honour ctx (timeouts, cancel).
type TaskFunc func(ctx context.Context, params map[string]string) (Metrics, error)

// Registry maps built-in task names to functions. A notebook task maps to a built-in by the last
// element of notebook_path: "01_generate_bronze" and "generate_bronze" both → "generate_bronze".
type Registry map[string]TaskFunc

// Names returns the registry's built-in names, sorted.
func (r Registry) Names() []string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// RunIf is a task's condition on its dependencies' outcomes (Jobs API 2.1 run_if).
type RunIf string

// The run_if values of the Jobs API. The empty value means AllSuccess.
const (
	AllSuccess        RunIf = "ALL_SUCCESS"
	AtLeastOneSuccess RunIf = "AT_LEAST_ONE_SUCCESS"
	NoneFailed        RunIf = "NONE_FAILED"
	AllDone           RunIf = "ALL_DONE"
	AtLeastOneFailed  RunIf = "AT_LEAST_ONE_FAILED"
	AllFailed         RunIf = "ALL_FAILED"
)

var runIfs = []RunIf{AllSuccess, AtLeastOneSuccess, NoneFailed, AllDone, AtLeastOneFailed, AllFailed}

// Job is a parsed Jobs API 2.1 job definition. Fields the runner does not
// use (clusters, notifications, …) are ignored when parsing.
type Job struct {
	Name              string      `json:"name"`
	Tasks             []Task      `json:"tasks"`
	Parameters        []Parameter `json:"parameters,omitempty"`
	TimeoutSeconds    int64       `json:"timeout_seconds,omitempty"`
	MaxConcurrentRuns *int        `json:"max_concurrent_runs,omitempty"`
	Queue             *Queue      `json:"queue,omitempty"`
	Schedule          *Schedule   `json:"schedule,omitempty"`

	// raw is the definition exactly as given; runs record it so a repair
	// reruns the same definition.
	raw []byte
}

// Task is one task of a job. Only notebook tasks exist here; each maps to a
// built-in TaskFunc.
type Task struct {
	TaskKey                string        `json:"task_key"`
	Description            string        `json:"description,omitempty"`
	DependsOn              []Dependency  `json:"depends_on,omitempty"`
	RunIf                  RunIf         `json:"run_if,omitempty"`
	NotebookTask           *NotebookTask `json:"notebook_task,omitempty"`
	MaxRetries             int           `json:"max_retries,omitempty"`
	MinRetryIntervalMillis int64         `json:"min_retry_interval_millis,omitempty"`
	RetryOnTimeout         bool          `json:"retry_on_timeout,omitempty"`
	TimeoutSeconds         int64         `json:"timeout_seconds,omitempty"`
	Disabled               bool          `json:"disabled,omitempty"`

	// otherTypes lists task-type keys other than notebook_task
	// (spark_python_task, sql_task, …), which Parse rejects.
	otherTypes []string
}

// Dependency names a task this task waits for.
type Dependency struct {
	TaskKey string `json:"task_key"`
}

// NotebookTask is the notebook_task block. BaseParameters values may be any
// JSON scalar in the file; they are kept as strings.
type NotebookTask struct {
	NotebookPath   string            `json:"notebook_path"`
	BaseParameters map[string]string `json:"base_parameters,omitempty"`
}

// Parameter is a job-level parameter with its default value.
type Parameter struct {
	Name    string `json:"name"`
	Default string `json:"default"`
}

// Queue is the queue block: whether runs over max_concurrent_runs wait.
type Queue struct {
	Enabled bool `json:"enabled"`
}

// Schedule is the schedule block: a Quartz cron expression in a time zone.
type Schedule struct {
	QuartzCronExpression string `json:"quartz_cron_expression"`
	TimezoneID           string `json:"timezone_id"`
	PauseStatus          string `json:"pause_status,omitempty"`
}

// JSON returns the definition exactly as it was parsed.
func (j *Job) JSON() []byte { return bytes.Clone(j.raw) }

// MaxConcurrent returns max_concurrent_runs, 1 when absent (the Jobs API default).
func (j *Job) MaxConcurrent() int {
	if j.MaxConcurrentRuns == nil {
		return 1
	}
	return *j.MaxConcurrentRuns
}

// Queued reports whether queue.enabled is true (absent means false, as for
// jobs created through the API).
func (j *Job) Queued() bool { return j.Queue != nil && j.Queue.Enabled }

// Task returns the task with the given key, or nil.
func (j *Job) Task(key string) *Task {
	for i := range j.Tasks {
		if j.Tasks[i].TaskKey == key {
			return &j.Tasks[i]
		}
	}
	return nil
}

// condition returns run_if with the default applied.
func (t *Task) condition() RunIf {
	if t.RunIf == "" {
		return AllSuccess
	}
	return t.RunIf
}

// notebookName returns the last element of notebook_path without a notebook
// file extension.
func (t *Task) notebookName() string {
	if t.NotebookTask == nil {
		return ""
	}
	name := path.Base(strings.TrimRight(t.NotebookTask.NotebookPath, "/"))
	for _, ext := range []string{".py", ".ipynb", ".sql", ".scala", ".r", ".R"} {
		name = strings.TrimSuffix(name, ext)
	}
	return name
}

var orderPrefix = regexp.MustCompile(`^[0-9]+[_-]`)

// BuiltinName returns the built-in a task maps to in reg: the last element of
// notebook_path if reg has it, else that name without a numeric ordering
// prefix ("01_generate_bronze" → "generate_bronze"). It returns the stripped
// name and false when reg has neither.
func (t *Task) BuiltinName(reg Registry) (string, bool) {
	name := t.notebookName()
	if _, ok := reg[name]; ok {
		return name, true
	}
	stripped := orderPrefix.ReplaceAllString(name, "")
	_, ok := reg[stripped]
	return stripped, ok
}

// ValidationError lists every problem found in a job definition. Its Error
// text is one line; it wraps ErrInvalidJob.
type ValidationError struct {
	Job      string
	Problems []string
}

func (e *ValidationError) Error() string {
	name := e.Job
	if name == "" {
		name = "(unnamed)"
	}
	return fmt.Sprintf("invalid job %q: %s", name, strings.Join(e.Problems, "; "))
}

func (e *ValidationError) Unwrap() error { return ErrInvalidJob }

var taskKeyPattern = regexp.MustCompile(`^[\w\-]{1,100}$`)

// Parse decodes a Jobs API 2.1 job definition and checks everything that does
// not depend on the registry: task keys, dependencies, cycles, task types,
// run_if values, numeric ranges, parameters and the schedule. Unknown fields
// are ignored. Problems are reported together as a *ValidationError.
func Parse(data []byte) (*Job, error) {
	var j Job
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("parse job JSON: %w: %w", ErrInvalidJob, err)
	}
	// A second pass over the raw tasks finds task types we do not run and
	// base_parameters given as numbers or booleans.
	var raw struct {
		Tasks []map[string]json.RawMessage `json:"tasks"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parse job JSON: %w: %w", ErrInvalidJob, err)
	}
	var problems []string
	for i, fields := range raw.Tasks {
		if i >= len(j.Tasks) {
			break
		}
		for k, v := range fields {
			if k != "notebook_task" && strings.HasSuffix(k, "_task") && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
				j.Tasks[i].otherTypes = append(j.Tasks[i].otherTypes, k)
			}
		}
		sort.Strings(j.Tasks[i].otherTypes)
	}
	j.raw = bytes.Clone(data)
	if j.Name == "" {
		j.Name = "Untitled"
	}
	problems = append(problems, j.structureProblems()...)
	if len(problems) > 0 {
		return nil, &ValidationError{Job: j.Name, Problems: problems}
	}
	return &j, nil
}

// UnmarshalJSON accepts base_parameters values of any JSON scalar type and
// keeps them as strings, as the notebook widgets would see them.
func (n *NotebookTask) UnmarshalJSON(data []byte) error {
	var raw struct {
		NotebookPath   string                     `json:"notebook_path"`
		BaseParameters map[string]json.RawMessage `json:"base_parameters"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	n.NotebookPath = raw.NotebookPath
	if raw.BaseParameters != nil {
		n.BaseParameters = make(map[string]string, len(raw.BaseParameters))
		for k, v := range raw.BaseParameters {
			n.BaseParameters[k] = jsonScalarString(v)
		}
	}
	return nil
}

// UnmarshalJSON accepts a default of any JSON type and keeps it as a string.
func (p *Parameter) UnmarshalJSON(data []byte) error {
	var raw struct {
		Name    string          `json:"name"`
		Default json.RawMessage `json:"default"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	p.Name = raw.Name
	p.Default = jsonScalarString(raw.Default)
	return nil
}

// jsonScalarString returns a JSON string's value, or the compact JSON text of
// any other value ("" for null or absent).
func jsonScalarString(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return ""
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return string(v)
	}
	return buf.String()
}

func (j *Job) structureProblems() []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if j.TimeoutSeconds < 0 {
		add("timeout_seconds %d is negative", j.TimeoutSeconds)
	}
	if n := j.MaxConcurrent(); n < 0 || n > 1000 {
		add("max_concurrent_runs %d is outside 0..1000", n)
	}
	seenParam := map[string]bool{}
	for _, p := range j.Parameters {
		switch {
		case p.Name == "":
			add("a job parameter has no name")
		case seenParam[p.Name]:
			add("job parameter %q is defined twice", p.Name)
		}
		seenParam[p.Name] = true
	}
	if len(j.Tasks) == 0 {
		add("the job has no tasks")
	}

	keys := map[string]bool{}
	for i := range j.Tasks {
		t := &j.Tasks[i]
		label := fmt.Sprintf("task %q", t.TaskKey)
		switch {
		case t.TaskKey == "":
			add("task #%d has no task_key", i+1)
			label = fmt.Sprintf("task #%d", i+1)
		case !taskKeyPattern.MatchString(t.TaskKey):
			add("%s: task_key may hold only letters, digits, '_' and '-' (at most 100)", label)
		case keys[t.TaskKey]:
			add("duplicate task_key %q", t.TaskKey)
		}
		keys[t.TaskKey] = true

		switch {
		case len(t.otherTypes) > 0:
			add("%s: %s is not supported; only notebook_task (mapped to a built-in task) runs here", label, strings.Join(t.otherTypes, ", "))
		case t.NotebookTask == nil:
			add("%s: no notebook_task; only notebook tasks (mapped to a built-in task) run here", label)
		case strings.TrimSpace(t.NotebookTask.NotebookPath) == "":
			add("%s: notebook_task.notebook_path is empty", label)
		}
		if t.RunIf != "" && !slices.Contains(runIfs, t.RunIf) {
			add("%s: run_if %q is not one of %s", label, t.RunIf, joinRunIfs())
		}
		if t.MaxRetries < -1 {
			add("%s: max_retries %d is below -1 (-1 means retry indefinitely)", label, t.MaxRetries)
		}
		if t.MinRetryIntervalMillis < 0 {
			add("%s: min_retry_interval_millis %d is negative", label, t.MinRetryIntervalMillis)
		}
		if t.TimeoutSeconds < 0 {
			add("%s: timeout_seconds %d is negative", label, t.TimeoutSeconds)
		}
		if t.Disabled {
			add("%s: disabled tasks are not supported; remove the task or the flag", label)
		}
		seenDep := map[string]bool{}
		for _, d := range t.DependsOn {
			if seenDep[d.TaskKey] {
				add("%s depends on %q twice", label, d.TaskKey)
			}
			seenDep[d.TaskKey] = true
		}
	}
	unknown := false
	for i := range j.Tasks {
		t := &j.Tasks[i]
		for _, d := range t.DependsOn {
			if !keys[d.TaskKey] {
				add("task %q depends on unknown task %q", t.TaskKey, d.TaskKey)
				unknown = true
			}
		}
	}
	if !unknown && len(problems) == 0 {
		if cycle := j.findCycle(); cycle != nil {
			add("dependency cycle: %s (each task depends on the next)", strings.Join(cycle, " -> "))
		}
	}
	if j.Schedule != nil {
		if _, err := newCron(j.Schedule.QuartzCronExpression, j.Schedule.TimezoneID); err != nil {
			add("schedule: %v", err)
		}
		switch j.Schedule.PauseStatus {
		case "", "PAUSED", "UNPAUSED":
		default:
			add("schedule: pause_status %q is not PAUSED or UNPAUSED", j.Schedule.PauseStatus)
		}
	}
	return problems
}

func joinRunIfs() string {
	s := make([]string, len(runIfs))
	for i, r := range runIfs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// findCycle returns a dependency cycle as task keys, first key repeated at the
// end, or nil. Tasks are visited in definition order, so the answer is stable.
func (j *Job) findCycle() []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var cycle []string
	var visit func(key string) bool
	visit = func(key string) bool {
		color[key] = grey
		stack = append(stack, key)
		t := j.Task(key)
		for _, d := range t.DependsOn {
			switch color[d.TaskKey] {
			case grey:
				i := slices.Index(stack, d.TaskKey)
				cycle = append(slices.Clone(stack[i:]), d.TaskKey)
				return true
			case white:
				if visit(d.TaskKey) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[key] = black
		return false
	}
	for _, t := range j.Tasks {
		if color[t.TaskKey] == white && visit(t.TaskKey) {
			return cycle
		}
	}
	return nil
}

// Check reports, as a *ValidationError, every task that maps to no built-in
// in reg. Parse has already checked everything else.
func (j *Job) Check(reg Registry) error {
	var problems []string
	for i := range j.Tasks {
		t := &j.Tasks[i]
		if name, ok := t.BuiltinName(reg); !ok {
			problems = append(problems, fmt.Sprintf("task %q: notebook %q maps to no built-in task (looked for %q); built-ins: %s",
				t.TaskKey, t.NotebookTask.NotebookPath, name, strings.Join(reg.Names(), ", ")))
		}
	}
	if len(problems) > 0 {
		return &ValidationError{Job: j.Name, Problems: problems}
	}
	return nil
}

// order returns the task keys in a topological order: every task after the
// tasks it depends on, ties broken by definition order.
func (j *Job) order() []string {
	indeg := map[string]int{}
	succ := j.successors()
	for _, t := range j.Tasks {
		indeg[t.TaskKey] = len(t.DependsOn)
	}
	var out []string
	done := map[string]bool{}
	for len(out) < len(j.Tasks) {
		progressed := false
		for _, t := range j.Tasks {
			if done[t.TaskKey] || indeg[t.TaskKey] > 0 {
				continue
			}
			done[t.TaskKey] = true
			out = append(out, t.TaskKey)
			for _, s := range succ[t.TaskKey] {
				indeg[s]--
			}
			progressed = true
			break
		}
		if !progressed { // a cycle; Parse rejects those
			break
		}
	}
	return out
}

// successors maps each task key to the keys of the tasks that depend on it,
// in definition order.
func (j *Job) successors() map[string][]string {
	succ := map[string][]string{}
	for _, t := range j.Tasks {
		for _, d := range t.DependsOn {
			succ[d.TaskKey] = append(succ[d.TaskKey], t.TaskKey)
		}
	}
	return succ
}

// downstream returns the keys in roots plus every task that depends on one of
// them, directly or not.
func (j *Job) downstream(roots []string) map[string]bool {
	succ := j.successors()
	out := map[string]bool{}
	var walk func(string)
	walk = func(k string) {
		if out[k] {
			return
		}
		out[k] = true
		for _, s := range succ[k] {
			walk(s)
		}
	}
	for _, r := range roots {
		walk(r)
	}
	return out
}
