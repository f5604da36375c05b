// Package cli is the `lakehouse` command line: commands, flags, exit codes
// and one-line error messages. It parses arguments and delegates every
// piece of work to internal/app.
//
// Imported by cmd/lakehouse only.
package cli
