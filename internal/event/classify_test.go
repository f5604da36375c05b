package event

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestClassifyGeneric(t *testing.T) {
	line := []byte(`{"a":"\\","b":"é"}` + strings.Repeat(" ", 64-19) + "\x01\"")
	quotes := make([]uint64, 2)
	flags := classifyGeneric(line[:128-64+len(line)-64], quotes)
	if want := uint64(1<<1 | 1<<3 | 1<<5 | 1<<8 | 1<<10 | 1<<12 | 1<<14 | 1<<17); quotes[0] != want {
		t.Errorf("quotes[0] = %b, want %b", quotes[0], want)
	}
	if quotes[1] != 0 {
		t.Errorf("quotes[1] = %b, want 0 (the second block is partial)", quotes[1])
	}
	if flags != flagSpecial|flagNonASCII {
		t.Errorf("flags = %b, want special and non-ASCII", flags)
	}
}

// TestClassifyMatchesGeneric checks the vector classification against the
// byte-at-a-time one on random blocks rich in the bytes near every edge of
// the classes.
func TestClassifyMatchesGeneric(t *testing.T) {
	alphabet := []byte{0x00, 0x01, 0x1f, 0x20, 0x21, '"' - 1, '"', '"' + 1, '\\' - 1, '\\', '\\' + 1, 'a', 0x7f, 0x80, 0x81, 0xdc, 0xff}
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 20_000 {
		blocks := 1 + rng.IntN(6)
		b := make([]byte, blocks*64)
		// Most trials keep to plain bytes but a few, so that each flag is
		// often off as well as on.
		rare := rng.IntN(4) == 0
		for i := range b {
			switch {
			case !rare && rng.IntN(50) != 0:
				b[i] = `abc"`[rng.IntN(4)]
			case rng.IntN(3) == 0:
				b[i] = byte(rng.IntN(256))
			default:
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		got, want := make([]uint64, blocks), make([]uint64, blocks)
		gotFlags, wantFlags := classifyBlocks(b, got), classifyGeneric(b, want)
		if gotFlags != wantFlags {
			t.Fatalf("trial %d: flags %b, want %b for % x", trial, gotFlags, wantFlags, b)
		}
		for k := range want {
			if got[k] != want[k] {
				t.Fatalf("trial %d: block %d quotes %064b, want %064b", trial, k, got[k], want[k])
			}
		}
	}
}
