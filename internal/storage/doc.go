// Package storage defines Store, the small object-store contract that every
// table, log and data file of the lakehouse goes through, the sentinel errors
// its backends translate their own errors into, the naming rules (CheckName,
// CheckPrefix) and Sub, a view of a Store under a prefix.
//
// Names are slash-separated, relative to the store's root, valid UTF-8 without
// NUL, never start with a slash and never contain empty, "." or ".." segments.
// Callers never create both an object "a" and objects under "a/": an object
// store can hold both, a file system cannot, and the Delta layout never needs
// it.
//
// A backend lives in its own subpackage (local, mem; later s3, azblob, gcs)
// and must pass the conformance suite in storagetest; faultstore wraps any
// Store to log operations and inject faults in tests. Only internal/app
// chooses a concrete backend; every other package takes a Store (or the
// narrower interface it needs).
//
// The invariants every backend keeps: a reader never sees part of an object
// (Put, Create and PutIfAbsent publish whole objects or nothing), and of many
// concurrent PutIfAbsent calls on one name exactly one succeeds. Delta commits
// depend on both.
//
// Any package may import storage; storage imports nothing of ours.
package storage
