// Command lakehouse runs the e-commerce medallion pipeline on Delta Lake
// tables. See `lakehouse --help` and the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ecomm-lakehouse/lakehouse/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
