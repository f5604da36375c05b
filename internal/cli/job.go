package cli

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecomm-lakehouse/lakehouse/internal/app"
	"github.com/ecomm-lakehouse/lakehouse/internal/job"
)

func loadJob(args []string) (*job.Job, error) {
	if len(args) == 0 {
		return job.DefaultJob()
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return nil, fmt.Errorf("read job definition: %w", err)
	}
	def, err := job.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", args[0], err)
	}
	return def, nil
}

func runID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("RUN_ID %q: want a positive run number (see lakehouse job runs)", s)
	}
	return id, nil
}

// withJobService opens the warehouse and its run history for fn.
func (e *env) withJobService(fn func(a *app.App, svc *job.Service) error) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	svc, closeFn, err := a.JobService(e.ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	return fn(a, svc)
}

func jobCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "job",
		Short: "Run Databricks Jobs API 2.1 definitions, list and show runs, repair them, schedule them",
	}
	c.AddCommand(jobRunCmd(e), jobRunsCmd(e), jobShowCmd(e), jobRepairCmd(e), jobScheduleCmd(e))
	return c
}

func jobRunCmd(e *env) *cobra.Command {
	var params []string
	var format string
	c := &cobra.Command{
		Use:   "run [JOB.json]",
		Short: "Run a job once (default: the embedded ecomm_lakehouse_daily job)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			overrides, err := parseParams(params)
			if err != nil {
				return err
			}
			def, err := loadJob(args)
			if err != nil {
				return usageError{err}
			}
			a, err := e.open()
			if err != nil {
				return err
			}
			run, runErr := a.RunJob(e.ctx, def, overrides)
			if run == nil {
				return runErr
			}
			if err := job.RenderRun(e.stdout, run, format); err != nil {
				return err
			}
			return runErr
		},
	}
	c.Flags().StringArrayVar(&params, "param", nil, "parameter override key=value (repeatable)")
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return c
}

func jobRunsCmd(e *env) *cobra.Command {
	var format, name string
	var limit int
	c := &cobra.Command{
		Use:   "runs",
		Short: "List recent job runs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "text", "json"); err != nil {
				return err
			}
			return e.withJobService(func(_ *app.App, svc *job.Service) error {
				runs, err := svc.ListRuns(e.ctx, job.RunFilter{JobName: name, Limit: limit})
				if err != nil {
					return err
				}
				return job.RenderRuns(e.stdout, runs, format)
			})
		},
	}
	c.Flags().StringVar(&format, "format", "table", "output format: table or json")
	c.Flags().StringVar(&name, "job", "", "only runs of this job")
	c.Flags().IntVar(&limit, "limit", 25, "most runs to list")
	return c
}

func jobShowCmd(e *env) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "show RUN_ID",
		Short: "Show a run: its tasks in dependency order with states, durations, attempts and metrics",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			id, err := runID(args[0])
			if err != nil {
				return err
			}
			return e.withJobService(func(_ *app.App, svc *job.Service) error {
				run, err := svc.GetRun(e.ctx, id)
				if err != nil {
					return err
				}
				return job.RenderRun(e.stdout, run, format)
			})
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return c
}

func jobRepairCmd(e *env) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "repair RUN_ID",
		Short: "Rerun the failed, canceled and skipped tasks of a run, and what depends on them",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			id, err := runID(args[0])
			if err != nil {
				return err
			}
			return e.withJobService(func(a *app.App, svc *job.Service) error {
				run, runErr := svc.Repair(e.ctx, id, a.RunOptions())
				if run == nil {
					return runErr
				}
				if err := job.RenderRun(e.stdout, run, format); err != nil {
					return err
				}
				return runErr
			})
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return c
}

func jobScheduleCmd(e *env) *cobra.Command {
	var dryRun int
	var grace time.Duration
	c := &cobra.Command{
		Use:   "schedule [JOB.json]",
		Short: "Run a job at the fire times of its Quartz schedule, in the foreground, until interrupted",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			def, err := loadJob(args)
			if err != nil {
				return usageError{err}
			}
			if def.Schedule == nil {
				return usagef("job %s has no schedule", def.Name)
			}
			if dryRun > 0 {
				times, err := job.NextFireTimes(def.Schedule.QuartzCronExpression, def.Schedule.TimezoneID, time.Now(), dryRun)
				if err != nil {
					return err
				}
				for _, t := range times {
					fmt.Fprintln(e.stdout, t.Format(time.RFC3339)+"  "+t.UTC().Format(time.RFC3339))
				}
				return nil
			}
			return e.withJobService(func(a *app.App, svc *job.Service) error {
				fmt.Fprintf(e.stderr, "scheduling %s: %q in %s (Ctrl-C to stop)\n", def.Name, def.Schedule.QuartzCronExpression, def.Schedule.TimezoneID)
				return svc.Schedule(e.ctx, def, job.ScheduleOptions{RunOptions: a.RunOptionsAlways(e.stderr), GracePeriod: grace})
			})
		},
	}
	c.Flags().IntVar(&dryRun, "dry-run", 0, "print the next N fire times and exit")
	c.Flags().DurationVar(&grace, "grace", 30*time.Second, "how long running runs may finish after Ctrl-C before they are canceled")
	return c
}
