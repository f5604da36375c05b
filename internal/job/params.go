package job

import "maps"

// Parameter precedence, lowest first, following the Jobs API:
//
//  1. the task's notebook_task.base_parameters;
//  2. the job-level parameters' defaults, which Databricks pushes down to
//     every task and which override task parameters of the same name;
//  3. the run-time overrides (`--param k=v`, the run-now job_parameters),
//     which replace job parameter defaults and, like the legacy run-now
//     notebook_params, also override (or add) base parameters of the same
//     name in every task, whether or not the job declares the parameter.

// RunParameters returns the job-level parameters of a run: the job's
// parameter defaults with overrides applied on top.
func (j *Job) RunParameters(overrides map[string]string) map[string]string {
	out := map[string]string{}
	for _, p := range j.Parameters {
		out[p.Name] = p.Default
	}
	maps.Copy(out, overrides)
	return out
}

// TaskParameters returns the parameters the task's function receives.
func (j *Job) TaskParameters(t *Task, overrides map[string]string) map[string]string {
	out := map[string]string{}
	if t.NotebookTask != nil {
		maps.Copy(out, t.NotebookTask.BaseParameters)
	}
	maps.Copy(out, j.RunParameters(overrides))
	return out
}
