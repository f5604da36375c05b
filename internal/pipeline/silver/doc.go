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
// Memory: candidate rows are kept in a compact row encoding, split by event_id
// hash into buckets that spill to temporary files when a run is larger than
// Options.MemoryRows or Options.MemoryBytes, so a run's memory does not grow
// with its size.
//
// Imported by internal/app.
package silver
