// Command lakehouse runs the e-commerce medallion pipeline on Delta Lake
// tables. See `lakehouse --help` and the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/ecomm-lakehouse/lakehouse/internal/cli"
)

// defaultMemoryLimit is the Go heap's soft limit unless GOMEMLIMIT says
// otherwise: the runtime collects harder as it nears it, so a large run
// stays within about a gibibyte instead of doubling its live heap.
const defaultMemoryLimit = 900 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
