package silver

// prefetch asks the CPU to bring *p into its caches without waiting for it
// (PREFETCHT0, in prefetch_amd64.s): a load would hold up the loop until
// the line arrived.
//
//go:noescape
func prefetch(p *uint64)
