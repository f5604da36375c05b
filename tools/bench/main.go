package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runMain runs the harness and returns the exit code: 0 when everything
// ran (whether or not the targets were met), 1 when a measured command failed
// or a check did not pass, 2 for a bad command line.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 2
	}
	b := &bench{opts: o, log: stderr}
	rep, runErr := b.run(ctx)
	code := 0
	if rep != nil && (rep.Summary != nil || rep.Incremental != nil || len(rep.Reps) > 0) {
		if rep.Summary == nil && len(rep.Reps) > 0 && rep.Input != nil {
			s := summarize(rep.Reps, *rep.Input)
			rep.Summary = &s
		}
		if err := writeText(stdout, rep); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			code = 1
		}
	}
	if rep != nil && o.JSON != "" {
		if err := writeJSONFile(o.JSON, rep); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			code = 1
		} else {
			fmt.Fprintf(stderr, "bench: wrote %s\n", o.JSON)
		}
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "bench: %v\n", runErr)
		return 1
	}
	if len(rep.Failures) > 0 {
		return 1
	}
	return code
}
