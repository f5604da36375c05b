// Package pipeline holds what the medallion stages share: the warehouse (a
// root store and the tables in it, named schema.name and stored at
// <root>/<schema>/<name>/), the contract schemas of the six tables, and the
// application-transaction ids through which each stage records, in the same
// Delta commit as its output, how far it has read its input (InputVersion),
// and the rerun of a stage after a commit conflict (RetryConflicts).
//
// The stages live in subpackages: bronze (ingest and generate), silver
// (validate, quarantine, dedupe, upsert), gold (facts and marts), check
// (reconcile). They import this package; it imports delta, column and
// storage only. internal/app wires stages into commands and jobs.
package pipeline
