// Package keyset is a set of 128-bit hash keys with open addressing: a
// fraction of the cost of a Go map on the hot loops that count distinct
// values (gold's sessions). Keys are usually uniform hashes (xxh3); they are
// spread over the table with Fibonacci hashing all the same.
//
// Any package may import it; it imports nothing of ours.
package keyset

import "math/bits"

// Key is a 128-bit hash.
type Key [2]uint64

// Set is a set of keys. The zero value is an empty set ready to use.
type Set struct {
	slots []Key
	used  []bool
	n     int
	mask  uint64
	shift uint // 64 - log2(len(slots))
}

// slot spreads a key over the table with Fibonacci hashing, so that keys
// that are not uniform in their low bits still spread.
func (s *Set) slot(k Key) uint64 {
	return ((k[0] ^ k[1]) * 0x9E3779B97F4A7C15) >> s.shift
}

// Len returns the number of keys in the set.
func (s *Set) Len() int { return s.n }

// Add inserts k and reports whether it was new.
func (s *Set) Add(k Key) bool {
	if 4*(s.n+1) > 3*len(s.slots) {
		s.grow()
	}
	i := s.slot(k)
	for s.used[i] {
		if s.slots[i] == k {
			return false
		}
		i = (i + 1) & s.mask
	}
	s.slots[i], s.used[i] = k, true
	s.n++
	return true
}

// Has reports whether k is in the set.
func (s *Set) Has(k Key) bool {
	if s.n == 0 {
		return false
	}
	i := s.slot(k)
	for s.used[i] {
		if s.slots[i] == k {
			return true
		}
		i = (i + 1) & s.mask
	}
	return false
}

func (s *Set) grow() {
	size := 1024
	if len(s.slots) > 0 {
		size = 2 * len(s.slots)
	}
	old, oldUsed := s.slots, s.used
	s.slots, s.used, s.mask, s.n = make([]Key, size), make([]bool, size), uint64(size-1), 0
	s.shift = uint(64 - bits.TrailingZeros(uint(size)))
	for i, u := range oldUsed {
		if u {
			s.Add(old[i])
		}
	}
}
