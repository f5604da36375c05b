package event

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
)

func TestStringSpecialFindsFirstByte(t *testing.T) {
	// naive returns the index of the first byte a string scanner must stop
	// at, or 8.
	naive := func(b []byte) int {
		for i, c := range b {
			if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
				return i
			}
		}
		return 8
	}
	// Bytes near every edge of the classes, mixed at random.
	alphabet := []byte{0x00, 0x01, 0x1f, 0x20, 0x21, '"' - 1, '"', '"' + 1, '\\' - 1, '\\', '\\' + 1, 'a', 0x7f, 0x80, 0x81, 0xa0, 0xdc, 0xff}
	rng := rand.New(rand.NewPCG(3, 4))
	var b [8]byte
	for range 200_000 {
		for i := range b {
			if rng.IntN(3) == 0 {
				b[i] = byte(rng.IntN(256))
			} else {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		got := 8
		if m := stringSpecial(binary.LittleEndian.Uint64(b[:])) & swarHi; m != 0 {
			got = bits.TrailingZeros64(m) >> 3
		}
		if want := naive(b[:]); got != want {
			t.Fatalf("first special byte of % x: got %d, want %d", b, got, want)
		}
	}
}
