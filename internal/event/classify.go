package event

// The classification under the fast scan (fastscan.go): where a line's
// quotes are, and whether it holds any byte that makes quotes alone
// insufficient to find its strings.

const (
	flagSpecial  = 1 << iota // a backslash or a control byte (< 0x20)
	flagNonASCII             // a byte >= 0x80
)

// classifyGeneric is classifyBlocks one byte at a time: the specification
// of the vector versions, and their stand-in where there is none.
func classifyGeneric(b []byte, quotes []uint64) (flags uint64) {
	for k := range len(b) >> 6 {
		var q uint64
		for j, c := range b[k<<6 : (k+1)<<6] {
			switch {
			case c == '"':
				q |= 1 << j
			case c == '\\' || c < 0x20:
				flags |= flagSpecial
			case c >= 0x80:
				flags |= flagNonASCII
			}
		}
		quotes[k] = q
	}
	return flags
}
