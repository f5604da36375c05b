// Package mem is an in-memory storage.Store for tests: fast, with an
// injectable clock for ModTime, and no aliasing between callers and the
// store (Put and Get copy the bytes).
//
// Invariants: every operation takes the store's mutex for its whole effect,
// so Put, Create's Close and PutIfAbsent publish whole objects atomically and
// exactly one of many concurrent PutIfAbsent calls on a name wins. Stored
// byte slices are never modified after they are published, which lets Open
// hand them out for reads without copying.
//
// Only tests, and internal/app when asked for a throwaway warehouse, import
// mem.
package mem
