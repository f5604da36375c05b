package app

import (
	"context"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/gen"
	"github.com/ecomm-lakehouse/lakehouse/internal/job"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/bronze"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/gold"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline/silver"
)

// Built-in task names.
const (
	TaskGenerate = "generate_bronze"
	TaskSilver   = "bronze_to_silver"
	TaskGold     = "silver_to_gold"
)

// Registry returns the built-in tasks for the job runner.
func (a *App) Registry() job.Registry {
	return job.Registry{
		TaskGenerate: releasing(a.taskGenerate),
		TaskSilver:   releasing(a.taskSilver),
		TaskGold:     releasing(a.taskGold),
	}
}

// releasing returns f, which then hands the memory it freed back to the
// system before the job's next task starts: a job runs its tasks in one
// process, and each stage's garbage otherwise stays mapped under the next
// stage's peak.
func releasing(f job.TaskFunc) job.TaskFunc {
	return func(ctx context.Context, params map[string]string) (job.Metrics, error) {
		defer debug.FreeOSMemory()
		return f(ctx, params)
	}
}

// GenConfig builds a generator configuration from task parameters: rows,
// seed, days, end (RFC 3339), duplicate_rate, invalid_rate, malformed_rate.
// Without a seed, one is drawn from the clock (and reported in the metrics).
func GenConfig(params map[string]string, now time.Time) (gen.Config, error) {
	rows, err := intParam(params, "rows", 1_000_000)
	if err != nil {
		return gen.Config{}, err
	}
	seed, err := intParam(params, "seed", now.UnixNano()%1_000_000_007)
	if err != nil {
		return gen.Config{}, err
	}
	end := now
	if s, ok := params["end"]; ok && s != "" {
		if end, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return gen.Config{}, fmt.Errorf("parameter end=%q: want an RFC 3339 time such as 2026-11-20T00:00:00Z", s)
		}
	}
	cfg := gen.Defaults(seed, rows, end)
	days, err := intParam(params, "days", int64(cfg.Days))
	if err != nil {
		return gen.Config{}, err
	}
	cfg.Days = int(days)
	for name, dst := range map[string]*float64{"duplicate_rate": &cfg.DuplicateRate, "invalid_rate": &cfg.InvalidRate, "malformed_rate": &cfg.MalformedRate} {
		if s, ok := params[name]; ok && s != "" {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return gen.Config{}, fmt.Errorf("parameter %s=%q: not a number", name, s)
			}
			*dst = v
		}
	}
	return cfg, cfg.Validate()
}

func intParam(params map[string]string, name string, def int64) (int64, error) {
	s, ok := params[name]
	if !ok || s == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parameter %s=%q: not an integer", name, s)
	}
	return v, nil
}

func (a *App) taskGenerate(ctx context.Context, params map[string]string) (job.Metrics, error) {
	cfg, err := GenConfig(params, a.opts.Now())
	if err != nil {
		return nil, err
	}
	start := time.Now()
	res, err := bronze.Generate(ctx, a.wh, bronze.GenerateOptions{Config: cfg, Workers: a.opts.Workers, Now: a.opts.Now, RunKey: job.RunKey(ctx)})
	if err != nil {
		return nil, err
	}
	m := job.Metrics{
		"rows_out": res.Rows, "bytes_out": res.Bytes, "seed": cfg.Seed, "bronze_version": res.Version,
		"ingest_batch_id": res.BatchID, "seconds": time.Since(start).Seconds(),
	}
	if res.Skipped {
		m["skipped"] = true
	}
	return m, nil
}

func (a *App) taskSilver(ctx context.Context, params map[string]string) (job.Metrics, error) {
	start := time.Now()
	res, err := silver.Run(ctx, a.wh, silver.Options{Workers: a.opts.Workers})
	if err != nil {
		return nil, err
	}
	by := map[string]any{}
	for k, v := range res.ByReason {
		by[k] = v
	}
	return job.Metrics{
		"rows_in": res.RowsRead, "valid": res.Valid, "quarantined": res.Quarantined, "rows_out": res.Inserted + res.Updated,
		"inserted": res.Inserted, "updated": res.Updated, "superseded": res.Superseded, "quarantine_by_reason": by,
		"bronze_from": res.BronzeFrom, "bronze_to": res.BronzeTo, "silver_version": res.SilverVersion,
		"quarantine_version": res.QuarantineVersion, "skipped": res.Skipped, "seconds": time.Since(start).Seconds(),
	}, nil
}

func (a *App) taskGold(ctx context.Context, params map[string]string) (job.Metrics, error) {
	start := time.Now()
	res, err := gold.Run(ctx, a.wh, gold.Options{Workers: a.opts.Workers})
	if err != nil {
		return nil, err
	}
	m := job.Metrics{
		"dates": len(res.Dates), "incremental_dates": res.IncrementalDates, "fact_dates_appended": res.FactDatesAppended, "fact_rows": res.FactRows, "funnel_rows": res.FunnelRows, "revenue_rows": res.RevenueRows,
		"silver_from": res.SilverFrom, "silver_to": res.SilverTo, "skipped": res.Skipped, "seconds": time.Since(start).Seconds(),
	}
	return m, nil
}
