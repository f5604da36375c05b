package gold

import (
	"math"
	"testing"
)

func TestRevenueOf(t *testing.T) {
	cases := []struct {
		name       string
		cents, qty int64
		want       int64
		fits       bool
	}{
		{"simple", 1999, 2, 3998, true},
		{"zero", 0, 5, 0, true},
		{"largest decimal(18,2)", 999_999_999_999_999_999, 1, 999_999_999_999_999_999, true},
		{"overflows decimal(18,2)", 999_999_999_999_999_999, 2, 0, false},
		{"overflows int64", math.MaxInt64 / 2, 3, 0, false},
		{"max quantity", 100, math.MaxInt32, 214_748_364_700, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, fits := revenueOf(c.cents, c.qty)
			if got != c.want || fits != c.fits {
				t.Errorf("revenueOf(%d, %d) = %d, %v; want %d, %v", c.cents, c.qty, got, fits, c.want, c.fits)
			}
		})
	}
}

func TestFunnelRates(t *testing.T) {
	r := Funnel{Sessions: [5]int64{100, 50, 10, 0, 0}}.Rates()
	if r[0] != 0.5 || r[1] != 0.2 || r[2] != 0 || !math.IsNaN(r[3]) || r[4] != 0 {
		t.Errorf("rates %v", r)
	}
}
