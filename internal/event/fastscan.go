package event

import (
	"math/bits"
	"unicode/utf8"
)

// scanFast is scan for the lines writers nearly always produce: compact JSON
// (no whitespace between tokens), flat (no array or object values), with no
// backslash and no control byte anywhere. On such a line it records the
// slots exactly as scan would and returns true. On any other line it returns
// false having decided nothing, and scan does the work: scanFast never
// rejects a line, so it cannot disagree with scan (FuzzScanFast checks it).
//
// Its speed comes from classifying the whole line first (classifyBlocks, 32
// bytes at a time): with no backslash in the line every '"' opens or closes a
// string, so a string's end is the next bit of a bitmap instead of the end of
// a byte-by-byte search.
func (p *Parser) scanFast(b []byte) bool {
	n := len(b)
	if n < 2 || b[0] != '{' || b[1] != '"' {
		return false
	}
	words := (n + 63) >> 6
	if cap(p.quotes) < words {
		p.quotes = make([]uint64, words)
	}
	q := p.quotes[:words]
	full := n &^ 63
	flags := classifyBlocks(b[:full], q)
	if full < n {
		tail := spaceBlock
		copy(tail[:], b[full:])
		flags |= classifyBlocks(tail[:], q[words-1:])
	}
	if flags&flagSpecial != 0 || flags&flagNonASCII != 0 && !utf8.Valid(b) {
		return false
	}

	p.seen = 0
	guess := FieldEventID
	var ok bool
	for i := 1; ; {
		// b[i] is the quote that opens a key.
		f, keyEnd := guess, keyAt(b, i, guess)
		if keyEnd < 0 {
			if keyEnd = nextQuote(q, i+1); keyEnd < 0 {
				return false
			}
			f = lookupField(b[i+1 : keyEnd])
		}
		if f < numFields {
			guess = f + 1
		}
		if i = keyEnd + 2; i >= n || b[i-1] != ':' {
			return false
		}
		var s slot
		switch c := b[i]; {
		case c == '"':
			end := nextQuote(q, i+1)
			if end < 0 {
				return false
			}
			s = slot{start: i + 1, end: end, kind: kindString}
			i = end + 1
		case c == 'n':
			if i, ok = scanLiteral(b, i, "null"); !ok {
				return false
			}
			s.kind = kindNull
		case c == 't':
			if i, ok = scanLiteral(b, i, "true"); !ok {
				return false
			}
			s.kind = kindBool
		case c == 'f':
			if i, ok = scanLiteral(b, i, "false"); !ok {
				return false
			}
			s.kind = kindBool
		case c == '-' || c-'0' <= 9:
			start := i
			if i, ok = scanNumber(b, i); !ok {
				return false
			}
			s = slot{start: start, end: i, kind: kindNumber}
		default:
			return false
		}
		if f < numFields {
			p.slots[f] = s
			p.seen |= 1 << f
		}
		if i >= n {
			return false
		}
		switch b[i] {
		case ',':
			if i++; i >= n || b[i] != '"' {
				return false
			}
		case '}':
			return i+1 == n
		default:
			return false
		}
	}
}

// spaceBlock pads a line's last block for classifyBlocks: a space is none
// of the bytes it looks for.
var spaceBlock = func() (b [64]byte) {
	for i := range b {
		b[i] = ' '
	}
	return b
}()

// nextQuote returns the index of the first '"' at or after i in the line
// whose quote bitmap is q, or -1.
func nextQuote(q []uint64, i int) int {
	w := i >> 6
	if w >= len(q) {
		return -1
	}
	if m := q[w] >> (uint(i) & 63); m != 0 {
		return i + bits.TrailingZeros64(m)
	}
	for w++; w < len(q); w++ {
		if m := q[w]; m != 0 {
			return w<<6 + bits.TrailingZeros64(m)
		}
	}
	return -1
}
