package silver

import (
	"encoding/binary"
	"testing"

	"github.com/ecomm-lakehouse/lakehouse/internal/event"
)

// TestKeyTableSharedPrefix checks that keys whose first 8 bytes (the probe
// hash kept in the slot) are equal but whose last 8 differ stay apart, and
// that the same key is found again, across chunks and a reused table.
func TestKeyTableSharedPrefix(t *testing.T) {
	mk := func(lo, hi uint64) key {
		var k key
		binary.LittleEndian.PutUint64(k[:8], lo)
		binary.LittleEndian.PutUint64(k[8:], hi)
		return k
	}
	keys := []key{mk(7, 1), mk(7, 2), mk(7+1024, 3), mk(8, 1), mk(7, 1)}
	var chunks [][]byte
	var locs []loc
	for i, k := range keys {
		ev := &event.Event{EventID: []byte{'e', byte('0' + i)}}
		rec := appendRecord(nil, k, ev, 0, int64(i), nil)
		locs = append(locs, loc(int64(len(chunks))<<32))
		chunks = append(chunks, rec)
	}
	var tab keyTable
	for round := range 2 {
		tab.reset(len(keys))
		for i, k := range keys {
			s, found := tab.upsert(k, chunks)
			if want := i == 4; found != want {
				t.Fatalf("round %d: upsert key %d found = %v, want %v", round, i, found, want)
			}
			if !found {
				s.set(locs[i])
			} else if s.at() != locs[0] {
				t.Fatalf("round %d: key 4 found at %d, want key 0's %d", round, s.at(), locs[0])
			}
		}
	}
}
