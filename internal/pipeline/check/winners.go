package check

import "math/bits"

// winnerTable maps each valid event_id's key to the copy silver must hold,
// and marks the keys silver was seen to hold. It is one flat, pointer-free
// array with open addressing (linear probing), instead of two Go maps of
// 10M entries: Go maps cost a cache miss per group probed and, at that
// size, most of the check's time went to them and to the garbage collector
// scanning what they grew around (`lakehouse check` at 10M events: 98–109 s).
type winnerTable struct {
	slots []winnerSlot
	n     int // used slots
}

type winnerSlot struct {
	key      hkey
	ingestTS int64
	ord      int64  // bronze version << 36 | position in that version
	digest   uint64 // of the row silver must hold (64 bits of the row digest)
	flags    uint64
}

const (
	slotUsed   = 1 << iota
	slotWinner // an expected current copy (else a key only silver holds)
	slotSeen   // silver holds a row of this key
)

const ordPosBits = 36

// newWinnerTable sizes the table for about n keys (48 bytes a slot, 5
// slots for 4 keys).
func newWinnerTable(n int64) *winnerTable {
	return &winnerTable{slots: make([]winnerSlot, max(1024, n*5/4+1))}
}

// slot returns the slot of k: its own, or the empty one where it belongs.
// A key's first slot is its hash scaled to the table (no power-of-two size).
func (t *winnerTable) slot(k hkey) *winnerSlot {
	n := uint64(len(t.slots))
	i, _ := bits.Mul64(k[1], n)
	for ; ; i++ {
		if i == n {
			i = 0
		}
		s := &t.slots[i]
		if s.flags&slotUsed == 0 || s.key == k {
			return s
		}
	}
}

// claim returns the slot of k, taking it (flags used) if it was empty,
// growing the table first when it is full enough.
func (t *winnerTable) claim(k hkey) *winnerSlot {
	if (t.n+1)*5 > len(t.slots)*4 {
		t.grow()
	}
	s := t.slot(k)
	if s.flags&slotUsed == 0 {
		s.key, s.flags = k, slotUsed
		t.n++
	}
	return s
}

func (t *winnerTable) grow() {
	old := t.slots
	t.slots = make([]winnerSlot, 2*len(old))
	for i := range old {
		if old[i].flags&slotUsed != 0 {
			*t.slot(old[i].key) = old[i]
		}
	}
}

// offer records a valid bronze copy of k; it becomes the expected row if it
// beats the one recorded (a later ingest_ts, then a later bronze version,
// then a later position). digest is called only for a copy that wins.
func (t *winnerTable) offer(k hkey, ingestTS, version, pos int64, digest func() hkey) {
	s := t.claim(k)
	ord := version<<ordPosBits | pos
	if s.flags&slotWinner != 0 && (ingestTS < s.ingestTS || ingestTS == s.ingestTS && ord <= s.ord) {
		return
	}
	s.flags |= slotWinner
	s.ingestTS, s.ord, s.digest = ingestTS, ord, digest()[1]
}

// winners counts the keys with an expected copy.
func (t *winnerTable) winners() int64 {
	var n int64
	for i := range t.slots {
		if t.slots[i].flags&slotWinner != 0 {
			n++
		}
	}
	return n
}

// visit records that silver holds a row of k with the given digest. It
// reports whether silver held a row of k already, and whether the row is
// the expected copy.
func (t *winnerTable) visit(k hkey, digest hkey) (dup, expected bool) {
	s := t.claim(k)
	dup = s.flags&slotSeen != 0
	s.flags |= slotSeen
	return dup, s.flags&slotWinner != 0 && s.digest == digest[1]
}

// missing counts the expected copies silver does not hold.
func (t *winnerTable) missing() int64 {
	var n int64
	for i := range t.slots {
		if f := t.slots[i].flags; f&slotWinner != 0 && f&slotSeen == 0 {
			n++
		}
	}
	return n
}
