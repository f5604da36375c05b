package event

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// The JSON scanning primitives. Each takes the whole line and a position and
// returns the position after what it consumed, with ok=false on any
// departure from RFC 8259 (or invalid UTF-8 inside a string). None of them
// allocates or recurses.

const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
)

// stringSpecial returns a mask whose lowest set bit marks the first byte of w
// (little-endian) that a string scanner must look at: '"', '\\', a control
// byte < 0x20 or a non-ASCII byte. Higher bits may be false positives; the
// lowest one is exact.
//
// A lane underflows (and so disturbs the lanes above it) only when its byte
// is special: a quote or backslash is 0 after its xor, a control byte is
// below 0x20. Up to the lowest special byte every subtraction is therefore
// exact, and a lane whose top bit a subtraction sets because its byte is
// non-ASCII is flagged by w anyway; no mask of the operands is needed.
func stringSpecial(w uint64) uint64 {
	q := w ^ (swarLo * '"')
	s := w ^ (swarLo * '\\')
	return (q - swarLo) | (s - swarLo) | (w - swarLo*0x20) | w
}

// scanString scans string content starting at i (just after the opening
// quote). It returns the index of the closing quote and whether the content
// holds escapes.
func scanString(b []byte, i int) (end int, esc, ok bool) {
	n := len(b)
	for {
		if i < n {
			for rest := b[i:]; len(rest) >= 8; rest = rest[8:] {
				if m := stringSpecial(binary.LittleEndian.Uint64(rest)) & swarHi; m != 0 {
					i += bits.TrailingZeros64(m) >> 3
					break
				}
				i += 8
			}
		}
		if i >= n {
			return 0, false, false
		}
		switch c := b[i]; {
		case c == '"':
			return i, esc, true
		case c == '\\':
			esc = true
			if i+1 >= n {
				return 0, false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := hex4(b, i+2); !ok {
					return 0, false, false
				}
				i += 6
			default:
				return 0, false, false
			}
		case c < 0x20:
			return 0, false, false
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, false, false
			}
			i += size
		default:
			i++
		}
	}
}

// hex4 reads the four hex digits of a \u escape at b[i:i+4].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		var v byte
		switch {
		case c-'0' <= 9:
			v = c - '0'
		case c-'a' <= 5:
			v = c - 'a' + 10
		case c-'A' <= 5:
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// appendUnescaped appends the decoded form of string content s (already
// validated by scanString) to dst. A \u escape of a lone surrogate decodes as
// U+FFFD.
func appendUnescaped(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := bytes.IndexByte(s[i:], '\\')
			if j < 0 {
				return append(dst, s[i:]...)
			}
			dst = append(dst, s[i:i+j]...)
			i += j
			continue
		}
		switch s[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, _ := hex4(s, i+2)
			i += 6
			if isSurrogate(r) {
				if r < 0xDC00 && i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if r2, _ := hex4(s, i+2); r2 >= 0xDC00 && r2 <= 0xDFFF {
						r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
						i += 6
						dst = utf8.AppendRune(dst, r)
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, s[i+1])
		}
		i += 2
	}
	return dst
}

func isSurrogate(r rune) bool { return r >= 0xD800 && r <= 0xDFFF }

// skipWS skips JSON whitespace (space, tab, CR, LF). A byte above ' ',
// the usual case between tokens, is told apart with one comparison.
func skipWS(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// scanNumber scans one JSON number starting at i.
func scanNumber(b []byte, i int) (int, bool) {
	n := len(b)
	if i < n && b[i] == '-' {
		i++
	}
	switch {
	case i < n && b[i] == '0':
		i++
	case i < n && b[i]-'1' <= 8:
		i++
		for i < n && b[i]-'0' <= 9 {
			i++
		}
	default:
		return i, false
	}
	if i < n && b[i] == '.' {
		i++
		start := i
		for i < n && b[i]-'0' <= 9 {
			i++
		}
		if i == start {
			return i, false
		}
	}
	if i < n && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < n && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < n && b[i]-'0' <= 9 {
			i++
		}
		if i == start {
			return i, false
		}
	}
	return i, true
}

// scanLiteral scans lit (true, false or null) at i.
func scanLiteral(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// bitStack is the nesting stack of skipComposite: one bit per level, set for
// an object, clear for an array. Its words are reused across calls.
type bitStack struct {
	words []uint64
	depth int
}

func (s *bitStack) push(object bool) {
	w := s.depth >> 6
	if w == len(s.words) {
		s.words = append(s.words, 0)
	}
	mask := uint64(1) << (s.depth & 63)
	if object {
		s.words[w] |= mask
	} else {
		s.words[w] &^= mask
	}
	s.depth++
}

func (s *bitStack) topIsObject() bool {
	d := s.depth - 1
	return s.words[d>>6]&(1<<(d&63)) != 0
}

// skipComposite validates and skips the array or object starting at b[i]
// ('[' or '{') without recursion: nesting depth is bounded only by the line,
// and the work is linear in the bytes skipped.
func skipComposite(b []byte, i int, st *bitStack) (int, bool) {
	st.depth = 0
	n := len(b)
	for {
		// b[i] opens a container.
		obj := b[i] == '{'
		st.push(obj)
		i = skipWS(b, i+1)
		if i >= n {
			return i, false
		}
		if b[i] == closer(obj) {
			i++
			st.depth--
			if st.depth == 0 {
				return i, true
			}
		} else {
			var nested, ok bool
			if i, nested, ok = skipElement(b, i, obj); !ok {
				return i, false
			}
			if nested {
				continue
			}
		}
		// A value inside the container on top of the stack just ended.
		for nested := false; !nested; {
			i = skipWS(b, i)
			if i >= n {
				return i, false
			}
			obj = st.topIsObject()
			switch b[i] {
			case ',':
				var ok bool
				if i, nested, ok = skipElement(b, skipWS(b, i+1), obj); !ok {
					return i, false
				}
			case closer(obj):
				i++
				st.depth--
				if st.depth == 0 {
					return i, true
				}
			default:
				return i, false
			}
		}
	}
}

func closer(obj bool) byte {
	if obj {
		return '}'
	}
	return ']'
}

// skipElement skips one element of an array, or one "key": value member of
// an object, starting at i. If the value opens a container it stops there
// with nested=true and i at the opening byte; otherwise i is after the value.
func skipElement(b []byte, i int, obj bool) (_ int, nested, ok bool) {
	n := len(b)
	if obj {
		if i >= n || b[i] != '"' {
			return i, false, false
		}
		end, _, ok := scanString(b, i+1)
		if !ok {
			return i, false, false
		}
		i = skipWS(b, end+1)
		if i >= n || b[i] != ':' {
			return i, false, false
		}
		i = skipWS(b, i+1)
	}
	if i >= n {
		return i, false, false
	}
	switch c := b[i]; c {
	case '[', '{':
		return i, true, true
	case '"':
		end, _, ok := scanString(b, i+1)
		return end + 1, false, ok
	case 't':
		i, ok = scanLiteral(b, i, "true")
	case 'f':
		i, ok = scanLiteral(b, i, "false")
	case 'n':
		i, ok = scanLiteral(b, i, "null")
	default:
		i, ok = scanNumber(b, i)
	}
	return i, false, ok
}
