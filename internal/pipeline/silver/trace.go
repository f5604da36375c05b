package silver

import (
	"fmt"
	"os"
	"time"
)

// tracer prints how long each phase of a run took to stderr when the
// environment variable LAKEHOUSE_TRACE is set (for profiling sessions).
type tracer struct {
	on   bool
	last time.Time
}

func newTracer() *tracer {
	return &tracer{on: os.Getenv("LAKEHOUSE_TRACE") != "", last: time.Now()}
}

func (t *tracer) mark(format string, args ...any) {
	if !t.on {
		return
	}
	now := time.Now()
	fmt.Fprintf(os.Stderr, "silver: %-60s %6.2fs\n", fmt.Sprintf(format, args...), now.Sub(t.last).Seconds())
	t.last = now
}
