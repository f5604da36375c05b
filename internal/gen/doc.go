// Package gen is the seeded clickstream generator: it writes synthetic
// e-commerce events, one JSON object per line, the way a real shop's tracker
// would, with faults injected at configurable rates so that dedup and
// quarantine are exercised on every run.
//
// Output is split into chunks of at most ChunkLines lines. The bytes of chunk
// i depend only on (Config.Seed, Config.Rows, Config.Days, Config.End, the
// rates, i): chunks can be generated in any order or concurrently, and
// concatenating them in chunk order always gives the same byte stream. A
// session never spans two chunks, so every per-chunk Manifest merges by
// plain summation.
//
// Invariants of the output:
//   - every line is one valid UTF-8 line without raw newlines;
//   - valid events follow contracts/event.md: field order event_id, event_ts,
//     event_name, user_id, session_id, device_type, platform, country,
//     region, city, utm_source, utm_medium, utm_campaign, product_id,
//     category, price, quantity, currency, order_id (keys that do not apply
//     are omitted); event_id is a lowercase UUIDv4 from the seeded RNG;
//     event_ts is RFC 3339 UTC with milliseconds, strictly increasing within
//     a session, inside [End-Days, End];
//   - a duplicate is an exact byte copy of an earlier valid line of the same
//     chunk; an invalid record breaks exactly one rule, so it gets exactly one
//     reason code; a malformed line is a truncated object (malformed_json);
//   - the Manifest is kept from the generator's own bookkeeping, not by
//     re-validating the output, and is exact.
//
// A Generator is immutable after New and safe for concurrent use; a
// ChunkWriter belongs to one goroutine. The package holds no mutable global
// state: its lookup tables are read-only.
//
// Who may import it: cli, app and the pipeline's generate stage (and tests).
// It imports nothing of ours, in particular not internal/event: the reason
// strings it records are the contract's codes, spelled out here.
package gen
