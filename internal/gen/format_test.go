package gen

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

func TestAppendUUID(t *testing.T) {
	r := rng{s: 12345}
	tests := []struct {
		name string
		a, b uint64
	}{
		{"zeros", 0, 0},
		{"ones", ^uint64(0), ^uint64(0)},
		{"pattern", 0x0123456789abcdef, 0xfedcba9876543210},
		{"random", r.next(), r.next()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(appendUUID(nil, tc.a, tc.b))
			a := tc.a&^(0xf<<12) | 0x4<<12
			b := tc.b&^(0x3<<62) | 0x2<<62
			hex := fmt.Sprintf("%016x%016x", a, b)
			want := hex[0:8] + "-" + hex[8:12] + "-" + hex[12:16] + "-" + hex[16:20] + "-" + hex[20:32]
			if got != want {
				t.Errorf("appendUUID = %s, want %s", got, want)
			}
			u, err := uuid.Parse(got)
			if err != nil || u.Version() != 4 || u.Variant() != uuid.RFC4122 {
				t.Errorf("%s: version %v variant %v err %v, want a v4 RFC 4122 UUID", got, u.Version(), u.Variant(), err)
			}
		})
	}
}

func TestAppendTS(t *testing.T) {
	r := rng{s: 99}
	tests := []struct {
		name string
		ms   int64
	}{
		{"epoch", 0},
		{"leap day", time.Date(2024, 2, 29, 23, 59, 59, 999e6, time.UTC).UnixMilli()},
		{"new year", time.Date(2027, 1, 1, 0, 0, 0, 1e6, time.UTC).UnixMilli()},
		{"year 2100 (not leap)", time.Date(2100, 3, 1, 12, 30, 0, 0, time.UTC).UnixMilli()},
		{"year 9999", time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC).UnixMilli()},
	}
	for i := range 1000 {
		tests = append(tests, struct {
			name string
			ms   int64
		}{fmt.Sprintf("random %d", i), int64(r.intn(253402300800000))})
	}
	for _, tc := range tests {
		date := civilDate(tc.ms / msPerDay)
		got := string(appendTS(nil, &date, tc.ms))
		want := time.UnixMilli(tc.ms).UTC().Format("2006-01-02T15:04:05.000Z")
		if got != want {
			t.Errorf("%s: appendTS(%d) = %s, want %s", tc.name, tc.ms, got, want)
		}
	}
}

func TestAppendNumbers(t *testing.T) {
	tests := []struct {
		name  string
		cents int64
		want  string
	}{
		{"zero", 0, "0.00"},
		{"cents", 7, "0.07"},
		{"charm", 1999, "19.99"},
		{"round", 2000, "20.00"},
		{"large", 123456789, "1234567.89"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendCents(nil, tc.cents)); got != tc.want {
				t.Errorf("appendCents(%d) = %s, want %s", tc.cents, got, tc.want)
			}
		})
	}
	if got := string(appendPadded(nil, 42, 10)); got != "0000000042" {
		t.Errorf("appendPadded(42, 10) = %s", got)
	}
	if got := string(appendUint(nil, 18446744073709551615)); got != "18446744073709551615" {
		t.Errorf("appendUint(max) = %s", got)
	}
}

func TestUserNumberIsBijective(t *testing.T) {
	seen := map[uint64]bool{}
	for u := range uint64(200_000) {
		n := userNumber(u, 987654321987)
		if n >= 10_000_000_000 || seen[n] {
			t.Fatalf("userNumber(%d) = %d: out of range or repeated", u, n)
		}
		seen[n] = true
	}
	// The largest pool MaxRows can need stays below 10^10 and its
	// products do not overflow.
	g := mustNew(t, testConfig(1, MaxRows))
	top := uint64(g.users)
	if top > 10_000_000_000 || top > ^uint64(0)/7_654_321 {
		t.Fatalf("a pool of %d users overflows userNumber", top)
	}
}

func TestLUT(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
	}{
		{"platforms", platformWeights[:]},
		{"quantities", quantityWeights[:]},
		{"uneven", []int{1, 1000, 3}},
		{"single", []int{5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLUT(tc.weights)
			counts := make([]int, len(tc.weights))
			prev := 0
			for _, v := range l {
				if int(v) < prev {
					t.Fatalf("table not ordered: %v", l)
				}
				prev = int(v)
				counts[v]++
			}
			total := 0
			for _, w := range tc.weights {
				total += w
			}
			for i, w := range tc.weights {
				want := float64(w) * float64(len(l)) / float64(total)
				if d := float64(counts[i]) - want; d > 1 || d < -1 {
					t.Errorf("index %d has %d entries, want %.1f", i, counts[i], want)
				}
			}
		})
	}
}

// TestTablesNeedNoEscaping: table strings are written into JSON verbatim.
func TestTablesNeedNoEscaping(t *testing.T) {
	var all []string
	for _, c := range countries {
		all = append(all, c.code)
		for _, p := range c.places {
			all = append(all, p.region, p.city)
		}
	}
	for _, ch := range channels {
		all = append(all, ch.source, ch.medium, ch.campaign)
	}
	for _, c := range categories {
		all = append(all, c.name)
	}
	for _, devs := range platformDevices {
		for _, d := range devs {
			all = append(all, d.name)
		}
	}
	all = append(all, platformNames[:]...)
	all = append(all, currencyCodes[:]...)
	all = append(all, badTimestamps...)
	all = append(all, badEventNames...)
	for _, bad := range badCurrencies {
		all = append(all, bad...)
	}
	for _, s := range all {
		var sb strings.Builder
		enc := json.NewEncoder(&sb)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSuffix(sb.String(), "\n"); got != `"`+s+`"` || !utf8.ValidString(s) {
			t.Errorf("%q needs escaping in JSON (%s)", s, got)
		}
	}
}
