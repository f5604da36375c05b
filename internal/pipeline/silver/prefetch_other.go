//go:build !amd64

package silver

// prefetch does nothing where there is no prefetch instruction in
// prefetch_amd64.s: the loops using it are still correct, only slower.
func prefetch(*uint64) {}
