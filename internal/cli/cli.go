package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ecomm-lakehouse/lakehouse/internal/app"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command ran and failed (or a check failed)
	ExitUsage   = 2 // bad arguments or flags
)

// usageError marks errors in how the command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitError carries a specific exit code without an extra message (the
// command already reported the outcome, e.g. a failed check).
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// env is what every command shares.
type env struct {
	ctx       context.Context
	stdout    io.Writer
	stderr    io.Writer
	warehouse string
	quiet     bool
	workers   int
	cpuprof   string
	memprof   string
	trace     string
}

func (e *env) open() (*app.App, error) {
	progress := false
	if f, ok := e.stderr.(*os.File); ok && !e.quiet {
		progress = term.IsTerminal(int(f.Fd()))
	}
	return app.Open(app.Options{Warehouse: e.warehouse, Stdout: e.stdout, Stderr: e.stderr, Progress: progress, Workers: e.workers})
}

// Run executes the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdout: stdout, stderr: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(stderr, "lakehouse: %s\n", oneLine(ee.msg))
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "lakehouse: %s\n", oneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return ExitUsage
	}
	if errors.Is(err, context.Canceled) {
		return 130
	}
	return ExitFailure
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "required flag"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "lakehouse",
		Short: "The e-commerce medallion pipeline on Delta Lake, in one binary",
		Long: `lakehouse runs the Databricks-style e-commerce medallion pipeline
(synthetic clickstream → bronze → silver + quarantine → gold) on one machine,
writing Delta Lake tables that Spark, Databricks, delta-rs and DuckDB can read.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	def := os.Getenv("LAKEHOUSE_WAREHOUSE")
	if def == "" {
		def = app.DefaultWarehouse
	}
	root.PersistentFlags().StringVar(&e.warehouse, "warehouse", def, "warehouse folder (env LAKEHOUSE_WAREHOUSE)")
	root.PersistentFlags().BoolVarP(&e.quiet, "quiet", "q", false, "no progress on stderr")
	root.PersistentFlags().IntVar(&e.workers, "workers", 0, "goroutines per stage (default: number of CPUs)")
	root.PersistentFlags().StringVar(&e.cpuprof, "cpuprofile", "", "write a CPU profile (pprof) to this file")
	root.PersistentFlags().StringVar(&e.memprof, "memprofile", "", "write a heap profile (pprof) to this file at exit")
	root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentFlags().StringVar(&e.trace, "trace", "", "write an execution trace (go tool trace) to this file")
	root.PersistentFlags().MarkHidden("memprofile")
	root.PersistentFlags().MarkHidden("trace")
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return e.startProfiles() }
	root.PersistentPostRunE = func(*cobra.Command, []string) error { return e.stopProfiles() }
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(runCmd(e), generateCmd(e), ingestCmd(e), taskCmd(e), jobCmd(e), tableCmd(e), checkCmd(e))
	return root
}

// parseParams turns k=v strings into a map.
func parseParams(list []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range list {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, usagef("--param %q: want key=value", p)
		}
		out[k] = v
	}
	return out, nil
}

func checkFormat(f string, allowed ...string) error {
	for _, a := range allowed {
		if f == a {
			return nil
		}
	}
	return usagef("--format %q: want one of %s", f, strings.Join(allowed, ", "))
}
