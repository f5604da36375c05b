// Package local is the storage.Store on a local (or locally mounted)
// directory tree: one file per object, named by the object's name.
//
// Invariants, and how they are kept:
//   - No reader sees part of an object, even if the writing process is killed
//     at any instant: every write goes to a hidden temporary file in the
//     target's directory (".lakehouse-tmp-<random>"), which is fsynced and
//     only then renamed over the target (Put, Create) or hard-linked to it
//     (PutIfAbsent); the directory and its ancestors up to the root are
//     fsynced afterwards so the new name is durable when the call returns,
//     and so are the directories created for it (their entries are left to
//     that publish rather than fsynced at mkdir, on the writer's path).
//   - PutIfAbsent has exactly one winner across goroutines and processes:
//     link(2) fails with EEXIST if the name exists, atomically in the kernel.
//     (gocloud's fileblob does stat-then-rename and lost that race; see
//     docs/libraries.md §3.) The file system must support hard links.
//   - Temporary files are never listed and their names are reserved: an
//     object name with a segment starting with ".lakehouse-tmp-" is rejected.
//     A process killed mid-write leaves its temporary file behind; it is
//     invisible and harmless, and nothing removes it yet.
//
// Differences from an object store, all invisible to correct callers: an
// object name cannot also be a "directory" of other objects ("a" and "a/b"
// cannot both exist; the second write fails); empty directories stay behind
// after Delete; Delete is not fsynced. Options.NoSync skips every fsync and is
// for benchmarks only: it keeps the no-partial-object guarantee against a
// killed process but not against power loss.
//
// Only internal/app (and tests) import local.
package local
