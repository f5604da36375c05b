// Package app is the composition root: it turns a warehouse location into a
// store, a pipeline.Warehouse, the built-in tasks and the job service, and
// implements the commands that internal/cli exposes. It is the only package
// that chooses concrete storage backends.
//
// Imported by internal/cli only.
package app
