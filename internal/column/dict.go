package column

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"sync/atomic"
)

// Dict assigns small integer codes to the distinct values of a string
// column, in order of first sight, so that a producer can hand a low
// cardinality column to a consumer as codes (a dictionary vector, see
// Vector.AppendCoded) instead of copying every value.
//
// A Dict belongs to one goroutine, which adds to it. Its entries never move
// and its codes never change: a view taken by Entries stays valid, and
// unchanged, while the owner goes on adding, so a batch holding a view may
// be read on another goroutine.
type Dict struct {
	id       uint32
	entries  [][]byte
	block    []byte // room for the next entries; full blocks are left alone
	slots    []slot // open addressing
	mask     uint64
	bytes    int
	lastSlot slot // the slot of the value looked up last
}

// slot is an entry of a Dict's table: the value's words and length, and
// its code + 1 (0: an empty slot).
type slot struct {
	a, b    uint64
	n, code int32
}

// Dictionary limits, those of a Parquet writer's dictionary page
// (parquet-mr falls back to PLAIN past its 1 MiB page): a value that would
// pass either is not coded. MaxDictBytes counts the entries as a PLAIN page
// holds them, each with its 4-byte length.
const (
	MaxDictEntries = 1 << 16
	MaxDictBytes   = 1 << 20
)

var dictIDs atomic.Uint32

// NewDict returns an empty dictionary with an identity of its own (ID).
func NewDict() *Dict {
	return &Dict{id: dictIDs.Add(1), slots: make([]slot, 64), mask: 63}
}

// ID identifies the dictionary among the dictionaries of the process, so
// that a consumer can keep what it derived from its codes.
func (d *Dict) ID() uint32 { return d.id }

// Len returns the number of entries.
func (d *Dict) Len() int { return len(d.entries) }

// Entries returns a view of the entries: entry c is the value of code c.
func (d *Dict) Entries() [][]byte { return d.entries[:len(d.entries):len(d.entries)] }

// Entry returns the value of code c.
func (d *Dict) Entry(c int32) []byte { return d.entries[c] }

// Reset forgets every entry, keeping the dictionary's memory for the next
// ones: views taken before must no longer be read. For a Dict no other
// goroutine reads (a Parquet writer's, a column chunk at a time).
func (d *Dict) Reset() {
	clear(d.entries) // the blocks they point into are reused
	d.entries = d.entries[:0]
	clear(d.slots)
	d.block = d.block[:0]
	d.bytes, d.lastSlot = 0, slot{}
}

// Code returns v's code, adding v when it is new; ok is false when v is
// new and the dictionary is at its limits.
func (d *Dict) Code(v []byte) (code int32, ok bool) {
	var a, b uint64
	if len(v) <= 16 {
		a, b = shortWords(v)
		// Runs of one value (a session's device, place and campaign)
		// skip the table.
		if l := &d.lastSlot; l.code != 0 && l.a == a && l.b == b && l.n == int32(len(v)) {
			return l.code - 1, true
		}
	} else {
		if l := &d.lastSlot; l.code != 0 && l.n == int32(len(v)) && string(d.entries[l.code-1]) == string(v) {
			return l.code - 1, true
		}
		a, b = longWords(v)
	}
	h := mix(a, b, len(v))
	for s := h & d.mask; ; s = (s + 1) & d.mask {
		e := &d.slots[s]
		if e.code == 0 {
			if len(d.entries) >= MaxDictEntries || d.bytes+len(v)+4*len(d.entries) > MaxDictBytes {
				return 0, false
			}
			code = int32(len(d.entries))
			d.entries = append(d.entries, d.keep(v))
			d.bytes += len(v)
			*e = slot{a: a, b: b, n: int32(len(v)), code: code + 1}
			if 2*len(d.entries) > len(d.slots) {
				d.grow()
			}
			return code, true
		}
		// Up to 16 bytes, words' two words and the length are the value.
		if e.a == a && e.b == b && e.n == int32(len(v)) && (len(v) <= 16 || string(d.entries[e.code-1]) == string(v)) {
			d.lastSlot = *e
			return e.code - 1, true
		}
	}
}

// keep copies v into the current block, starting a new block, twice as
// big, when it is full; earlier blocks are never written again (until
// Reset, which keeps the last, largest block).
func (d *Dict) keep(v []byte) []byte {
	if cap(d.block)-len(d.block) < len(v) {
		d.block = make([]byte, 0, max(4096, len(v), min(2*cap(d.block), MaxDictBytes)))
	}
	n := len(d.block)
	d.block = append(d.block, v...)
	return d.block[n:len(d.block):len(d.block)]
}

func (d *Dict) grow() {
	d.slots = make([]slot, 2*len(d.slots))
	d.mask = uint64(len(d.slots) - 1)
	for c, v := range d.entries {
		a, b := words(v)
		s := mix(a, b, len(v)) & d.mask
		for d.slots[s].code != 0 {
			s = (s + 1) & d.mask
		}
		d.slots[s] = slot{a: a, b: b, n: int32(len(v)), code: int32(c) + 1}
	}
}

var hashSeed = maphash.MakeSeed()

// words returns two words of v that, with its length, are all of v when
// v is at most 16 bytes long (shortWords; the two may overlap); longer
// values get their maphash and their first word (longWords).
func words(v []byte) (a, b uint64) {
	if len(v) > 16 {
		return longWords(v)
	}
	return shortWords(v)
}

func longWords(v []byte) (a, b uint64) {
	return maphash.Bytes(hashSeed, v), binary.LittleEndian.Uint64(v)
}

func shortWords(v []byte) (a, b uint64) {
	switch n := len(v); {
	case n >= 8:
		return binary.LittleEndian.Uint64(v), binary.LittleEndian.Uint64(v[n-8:])
	case n >= 4:
		return uint64(binary.LittleEndian.Uint32(v)), uint64(binary.LittleEndian.Uint32(v[n-4:]))
	case n > 0:
		return uint64(v[0])<<16 | uint64(v[n>>1])<<8 | uint64(v[n-1]), 0
	}
	return 0, 0
}

func mix(a, b uint64, n int) uint64 {
	hi, lo := bits.Mul64(a^0x9e3779b97f4a7c15, b^uint64(n)^0xc2b2ae3d27d4eb4f)
	return hi ^ lo
}
