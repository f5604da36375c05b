package event

import (
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePrice(t *testing.T) {
	type result struct {
		Cents          int64
		Negative, Fits bool
		OK             bool
	}
	tests := []struct {
		name string
		in   string
		want result
	}{
		{"integer", "19", result{1900, false, true, true}},
		{"two decimals", "19.99", result{1999, false, true, true}},
		{"2.675 rounds up", "2.675", result{268, false, true, true}},
		{"2.665 rounds up", "2.665", result{267, false, true, true}},
		{"2.6749 rounds down", "2.6749", result{267, false, true, true}},
		{"0.005 rounds up", "0.005", result{1, false, true, true}},
		{"0.0049999 rounds down", "0.0049999", result{0, false, true, true}},
		{"exponent form", "2.675e0", result{268, false, true, true}},
		{"shifted exponent", "0.02675e2", result{268, false, true, true}},
		{"big exponent shift down", "267500e-5", result{268, false, true, true}},
		{"1e2", "1e2", result{10000, false, true, true}},
		{"1E+2", "1E+2", result{10000, false, true, true}},
		{"zero", "0", result{0, false, true, true}},
		{"minus zero", "-0", result{0, false, true, true}},
		{"minus zero point zero", "-0.0", result{0, false, true, true}},
		{"minus zero with exponent", "-0e400", result{0, false, true, true}},
		{"tiny", "1e-400", result{0, false, true, true}},
		{"tiny negative is negative", "-0.001", result{0, true, true, true}},
		{"negative rounds away from zero", "-2.675", result{-268, true, true, true}},
		{"maximum", "9999999999999999.99", result{999999999999999999, false, true, true}},
		{"maximum via exponent", "9.99999999999999999e15", result{999999999999999999, false, true, true}},
		{"just under rounding over", "9999999999999999.994", result{999999999999999999, false, true, true}},
		{"rounds over the maximum", "9999999999999999.995", result{0, false, false, true}},
		{"1e16", "1e16", result{0, false, false, true}},
		{"huge", "1e400", result{0, false, false, true}},
		{"huge exponent digits", "1e99999999999999999999999", result{0, false, false, true}},
		{"tiny exponent digits", "1e-99999999999999999999999", result{0, false, true, true}},
		{"18 integer digits", "123456789012345678.999", result{0, false, false, true}},
		{"negative and huge", "-1e20", result{0, true, false, true}},
		{"many fraction digits", "0." + strings.Repeat("0", 100) + "5", result{0, false, true, true}},
		{"many leading integer zeros via fraction", "0.000000000000000000000000000001e30", result{100, false, true, true}},
		{"trailing zeros", "1.50000000000000000000000000", result{150, false, true, true}},
		{"not a number", "abc", result{}},
		{"leading zero", "01", result{}},
		{"plus", "+1", result{}},
		{"leading dot", ".5", result{}},
		{"trailing dot", "5.", result{}},
		{"empty", "", result{}},
		{"trailing text", "1x", result{}},
		{"string", `"9.99"`, result{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got result
			got.Cents, got.Negative, got.Fits, got.OK = ParsePrice([]byte(tt.in))
			if !got.Fits {
				got.Cents = 0 // meaningless
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePrice(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseQuantity(t *testing.T) {
	type result struct {
		Q                int32
		Integer, InRange bool
		OK               bool
	}
	tests := []struct {
		name string
		in   string
		want result
	}{
		{"one", "1", result{1, true, true, true}},
		{"1.0", "1.0", result{1, true, true, true}},
		{"1e2", "1e2", result{100, true, true, true}},
		{"15e-1 is not an integer", "15e-1", result{0, false, false, true}},
		{"150e-1", "150e-1", result{15, true, true, true}},
		{"1.5", "1.5", result{0, false, false, true}},
		{"0.5", "0.5", result{0, false, false, true}},
		{"zero", "0", result{0, true, false, true}},
		{"minus zero", "-0", result{0, true, false, true}},
		{"minus zero point zero", "-0.0", result{0, true, false, true}},
		{"negative", "-1", result{0, true, false, true}},
		{"negative fraction is a type error", "-1.5", result{0, false, false, true}},
		{"max int32", "2147483647", result{2147483647, true, true, true}},
		{"max int32 with exponent", "2.147483647e9", result{2147483647, true, true, true}},
		{"2^31", "2147483648", result{0, true, false, true}},
		{"ten digits over", "9999999999", result{0, true, false, true}},
		{"eleven digits", "10000000000", result{0, true, false, true}},
		{"1e400", "1e400", result{0, true, false, true}},
		{"1e-400", "1e-400", result{0, false, false, true}},
		{"trailing fraction zeros", "7.000000000000000000000", result{7, true, true, true}},
		{"huge exponent digits", "1e99999999999999999999", result{0, true, false, true}},
		{"not a number", "two", result{}},
		{"string", `"2"`, result{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got result
			got.Q, got.Integer, got.InRange, got.OK = ParseQuantity([]byte(tt.in))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseQuantity(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParsePriceAndQuantityInEvents(t *testing.T) {
	tests := []struct {
		name      string
		price     string
		quantity  string
		wantCents int64
		wantQ     int32
	}{
		{"2.675", "2.675", "1", 268, 1},
		{"2.665", "2.665", "1", 267, 1},
		{"0.005", "0.005", "1", 1, 1},
		{"1e2", "1e2", "1e2", 10000, 100},
		{"maximum", "9999999999999999.99", "2147483647", 999999999999999999, 2147483647},
		{"quantity 1.0", "0", "1.0", 0, 1},
	}
	p := NewParser(ParserOptions{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev Event
			line := obj(set(set(purchase, "price", tt.price), "quantity", tt.quantity))
			if r := p.Parse([]byte(line), &ev); !r.Valid() {
				t.Fatalf("Parse(%q) = %q, want valid", line, r)
			}
			got := []any{ev.Price, ev.HasPrice, ev.Quantity, ev.HasQuantity}
			want := []any{tt.wantCents, true, tt.wantQ, true}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("price, has, quantity, has (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePriceAndQuantityMatchRat(t *testing.T) {
	// Random number texts of every shape, checked against math/big.
	rng := rand.New(rand.NewPCG(5, 6))
	digits := func(n int, leadNonZero bool) string {
		var b strings.Builder
		for i := range n {
			d := rng.IntN(10)
			if rng.IntN(4) == 0 {
				d = []int{0, 9, 5, 4}[rng.IntN(4)] // runs of edge digits
			}
			if i == 0 && leadNonZero {
				d = 1 + rng.IntN(9)
			}
			b.WriteByte(byte('0' + d))
		}
		return b.String()
	}
	maxCentsRat := new(big.Rat).SetInt64(maxCents)
	for range 100_000 {
		var b strings.Builder
		if rng.IntN(4) == 0 {
			b.WriteByte('-')
		}
		if rng.IntN(5) == 0 {
			b.WriteByte('0')
		} else {
			b.WriteString(digits(1+rng.IntN(22), true))
		}
		if rng.IntN(2) == 0 {
			b.WriteString("." + digits(1+rng.IntN(22), false))
		}
		if rng.IntN(3) == 0 {
			b.WriteString([]string{"e", "E", "e+", "e-", "E-"}[rng.IntN(5)])
			b.WriteString(digits(1+rng.IntN(3), false))
		}
		num := b.String()
		x, ok := new(big.Rat).SetString(num)
		if !ok {
			t.Fatalf("big.Rat cannot read %q", num)
		}

		// Price: half-up on the absolute value, then the sign.
		abs := new(big.Rat).Abs(x)
		abs.Mul(abs, big.NewRat(100, 1)).Add(abs, big.NewRat(1, 2))
		c := new(big.Rat).SetInt(new(big.Int).Quo(abs.Num(), abs.Denom()))
		wantFits := c.Cmp(maxCentsRat) <= 0
		cents, negative, fits, ok := ParsePrice([]byte(num))
		if !ok || negative != (x.Sign() < 0) || fits != wantFits {
			t.Fatalf("ParsePrice(%q) = %d, negative %v, fits %v, ok %v; want negative %v, fits %v",
				num, cents, negative, fits, ok, x.Sign() < 0, wantFits)
		}
		if fits {
			want := c.Num().Int64()
			if x.Sign() < 0 {
				want = -want
			}
			if cents != want {
				t.Fatalf("ParsePrice(%q) = %d cents, want %d", num, cents, want)
			}
		}

		// Quantity.
		q, integer, inRange, ok := ParseQuantity([]byte(num))
		wantInRange := x.IsInt() && x.Num().Cmp(big.NewInt(1)) >= 0 && x.Num().Cmp(big.NewInt(maxInt32)) <= 0
		if !ok || integer != x.IsInt() || inRange != wantInRange || (inRange && int64(q) != x.Num().Int64()) {
			t.Fatalf("ParseQuantity(%q) = %d, integer %v, in range %v, ok %v; want integer %v, in range %v",
				num, q, integer, inRange, ok, x.IsInt(), wantInRange)
		}
	}
}
