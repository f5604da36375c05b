package event

import "golang.org/x/sys/cpu"

// haveClassify says whether classifyBlocks has a vector implementation
// here: without one the fast scan (fastscan.go) is slower than scanAny.
var haveClassify = cpu.X86.HasAVX2

// classifyAVX2 is in classify_amd64.s.
//
//go:noescape
func classifyAVX2(b *byte, blocks int, quotes *uint64) (flags uint64)

// classifyBlocks stores in quotes[k] the bitmap of the '"' bytes of the k-th
// 64-byte block of b (len(b) is a multiple of 64, len(quotes) at least
// len(b)/64) and returns flagSpecial and flagNonASCII as b holds such bytes.
func classifyBlocks(b []byte, quotes []uint64) uint64 {
	blocks := len(b) >> 6
	if blocks == 0 {
		return 0
	}
	if !haveClassify {
		return classifyGeneric(b, quotes)
	}
	_ = quotes[blocks-1]
	return classifyAVX2(&b[0], blocks, &quotes[0])
}
