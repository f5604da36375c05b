// Package check is `lakehouse check`: it proves the pipeline's invariants
// from the tables themselves. Reconcile re-validates every bronze row that
// silver has processed and recomputes, independently of the stage's code
// path, which row of each event_id must be current; it then requires that
// silver holds exactly those rows, that quarantine holds exactly the
// rejected lines with their reasons, and that bronze = silver + quarantine +
// superseded. Gates check silver's keys, and that gold equals a
// recomputation from silver for a sample of days.
//
// Imported by internal/app.
package check
