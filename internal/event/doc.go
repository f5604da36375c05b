// Package event turns newline-delimited JSON clickstream input into typed,
// validated events: LineReader frames the input into records, Parser checks
// one record against the event contract (shared/contracts/event.md) and fills
// an Event, and Reasons says which rules a record breaks, as the exact
// comma-separated reason string the quarantine table stores.
//
// This is the hottest loop of the product, so the parser is hand-written: no
// encoding/json, no reflection, and no heap allocation per event once a
// Parser has warmed up. Where the CPU has AVX2 (classify_amd64.s, the one
// assembly file), a line is first classified 32 bytes at a time — where its
// quotes are, whether it holds a backslash, a control or a non-ASCII byte —
// and a compact, flat line without escapes is then walked quote to quote
// (fastscan.go); every other line, and every line elsewhere, takes the
// general scanner, a single pass over the bytes (scanAny). The price of that is
// aliasing: the slices in an Event point into the input line or into the
// Parser's scratch buffer and stay valid only until the next Parse call on the
// same Parser; a line returned by LineReader.Next is valid only until the next
// Next call. Copy what must outlive them.
//
// Invariants:
//   - Parse never panics and takes time linear in the line length, whatever
//     the input (deep nesting is skipped iteratively).
//   - Reasons.String lists codes in contract order, and malformed_json and
//     record_too_large always stand alone.
//   - For a valid event every field of Event is set as the contract says;
//     for an invalid one only the Reasons are meaningful.
//   - Prices and quantities are decided on the number text exactly, never
//     through float64.
//
// A Parser and a LineReader are not safe for concurrent use; use one per
// goroutine. The package imports nothing of ours; pipeline stages (silver),
// the generator and the CLI may import it.
package event
