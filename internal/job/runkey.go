package job

import (
	"context"
	"fmt"
)

type runKeyCtx struct{}

// withRunKey returns ctx carrying the identity of the job run a task belongs
// to; retries and repairs of the same run share it.
func withRunKey(ctx context.Context, runID int64) context.Context {
	return context.WithValue(ctx, runKeyCtx{}, fmt.Sprintf("run-%d", runID))
}

// RunKey returns the identity of the job run executing the task ("" outside
// a job run). Tasks use it to make their writes idempotent across retries
// and repairs of one run.
func RunKey(ctx context.Context) string {
	s, _ := ctx.Value(runKeyCtx{}).(string)
	return s
}
