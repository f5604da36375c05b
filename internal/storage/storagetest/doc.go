// Package storagetest is the conformance suite of storage.Store: the
// behaviour every backend must have, written once and run against each
// (local, mem, Sub views, faultstore with no rules; later s3, azblob, gcs).
//
// A backend's test calls Run with a constructor of fresh, empty stores. The
// suite checks the contract written in storage.Store's doc comments: whole
// objects only, exactly one PutIfAbsent winner under contention, streamed
// writes invisible until Close and gone after Abort, byte-ordered prefix
// listing, idempotent Delete, ErrNotExist/ErrExist/ErrInvalidName mapping,
// ranged reads at and past EOF, awkward names, large objects and cancelled
// contexts. It uses only the Store interface, so it stays backend-neutral:
// it never puts both "a" and "a/b", which a file system cannot hold.
//
// Only tests import storagetest.
package storagetest
