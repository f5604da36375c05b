//go:build !amd64

package event

// haveClassify is false: classifyBlocks has no vector implementation here,
// and without one the fast scan (fastscan.go) is slower than scanAny.
const haveClassify = false

func classifyBlocks(b []byte, quotes []uint64) uint64 { return classifyGeneric(b, quotes) }
