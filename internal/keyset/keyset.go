// Package keyset is a set of 128-bit hash keys with open addressing: a
// fraction of the cost of a Go map on the hot loops that count distinct
// values (gold's sessions and orders, check's event ids). Keys are expected
// to be uniform hashes already (xxh3), so the first word indexes the table.
//
// Any package may import it; it imports nothing of ours.
package keyset

// Key is a 128-bit hash.
type Key [2]uint64

// Set is a set of keys. The zero value is an empty set ready to use.
type Set struct {
	slots []Key
	used  []bool
	n     int
	mask  uint64
}

// Len returns the number of keys in the set.
func (s *Set) Len() int { return s.n }

// Add inserts k and reports whether it was new.
func (s *Set) Add(k Key) bool {
	if 4*(s.n+1) > 3*len(s.slots) {
		s.grow()
	}
	i := k[0] & s.mask
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
	i := k[0] & s.mask
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
	for i, u := range oldUsed {
		if u {
			s.Add(old[i])
		}
	}
}
