// Package silver is the bronze_to_silver stage: it reads the bronze rows
// added since its last success, validates each line by the event contract
// (internal/event), appends the rejected ones to the quarantine table with
// their reasons, and upserts the valid ones into the silver table by
// event_id (the copy with the latest ingest_ts wins; ties go to the later
// bronze version, then the later position), partitioned by event_date.
//
// Exactly once: each output table records txn{lakehouse.bronze_to_silver,
// bronze version} in the same commit as its rows, and a run reads bronze
// from the older of the two recorded versions, routing each row only to the
// tables that have not seen it. A rerun after success commits nothing.
//
// Two passes over the new bronze rows (idscan.go): the first reads only the
// event_ids and finds those that may occur more than once in the run; the
// second validates every row, writes the rows of the other ids straight to
// the silver writers, and keeps the repeats in a compact row encoding, split
// by event_id hash into buckets that spill to temporary files past
// Options.MemoryRows or Options.MemoryBytes, deduplicated afterwards. Memory
// follows the repeats (~1% of a run), not the run.
//
// The rows silver already holds are found through an event_id index stored
// beside each data file it writes (idindex.go), a cache that is verified
// against the files before a run commits, and read from Parquet when absent.
//
// Imported by internal/app.
package silver
