package event

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseTimestamp(t *testing.T) {
	at := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("bad test timestamp %q: %v", s, err)
		}
		return tm.UnixMicro()
	}
	tests := []struct {
		name   string
		in     string
		want   int64
		wantOK bool
	}{
		{"Z", "2026-11-20T13:45:12Z", at("2026-11-20T13:45:12Z"), true},
		{"lowercase t and z", "2026-11-20t13:45:12z", at("2026-11-20T13:45:12Z"), true},
		{"space separator", "2026-11-20 13:45:12Z", at("2026-11-20T13:45:12Z"), true},
		{"no offset is UTC", "2026-11-20T13:45:12", at("2026-11-20T13:45:12Z"), true},
		{"no offset with space", "2026-11-20 13:45:12.5", at("2026-11-20T13:45:12.5Z"), true},
		{"+hh:mm", "2026-11-20T13:45:12+05:30", at("2026-11-20T08:15:12Z"), true},
		{"-hh:mm", "2026-11-20T13:45:12-08:00", at("2026-11-20T21:45:12Z"), true},
		{"+hhmm", "2026-11-20T13:45:12+0530", at("2026-11-20T08:15:12Z"), true},
		{"-hhmm", "2026-11-20T13:45:12-0845", at("2026-11-20T22:30:12Z"), true},
		{"-00:00", "2026-11-20T13:45:12-00:00", at("2026-11-20T13:45:12Z"), true},
		{"largest offset", "2026-11-20T13:45:12+23:59", at("2026-11-19T13:46:12Z"), true},
		{"1 fractional digit", "2026-11-20T13:45:12.1Z", at("2026-11-20T13:45:12.1Z"), true},
		{"3 fractional digits", "2026-11-20T13:45:12.345Z", at("2026-11-20T13:45:12.345Z"), true},
		{"6 fractional digits", "2026-11-20T13:45:12.123456Z", at("2026-11-20T13:45:12.123456Z"), true},
		{"9 fractional digits truncated", "2026-11-20T13:45:12.123456789Z", at("2026-11-20T13:45:12.123456Z"), true},
		{"7 fractional digits truncated, not rounded", "2026-11-20T13:45:12.9999999Z", at("2026-11-20T13:45:12.999999Z"), true},
		{"fraction with offset", "2026-11-20T13:45:12.000001+01:00", at("2026-11-20T12:45:12.000001Z"), true},
		{"offset crosses midnight forward", "2026-12-31T23:30:00-01:00", at("2027-01-01T00:30:00Z"), true},
		{"offset crosses midnight backward", "2026-01-01T00:30:00+01:00", at("2025-12-31T23:30:00Z"), true},
		{"leap day 2024", "2024-02-29T12:00:00Z", at("2024-02-29T12:00:00Z"), true},
		{"leap day 2000", "2000-02-29T00:00:00Z", at("2000-02-29T00:00:00Z"), true},
		{"epoch", "1970-01-01T00:00:00Z", 0, true},
		{"before the epoch", "1969-12-31T23:59:59.999999Z", -1, true},
		{"earliest", "0001-01-01T00:00:00Z", at("0001-01-01T00:00:00Z"), true},
		{"latest", "9999-12-31T23:59:59.999999999Z", at("9999-12-31T23:59:59.999999Z"), true},
		{"end of months", "2026-04-30T00:00:00Z", at("2026-04-30T00:00:00Z"), true},

		{"empty", "", 0, false},
		{"date only", "2026-11-20", 0, false},
		{"date and T only", "2026-11-20T", 0, false},
		{"no seconds", "2026-11-20T13:45Z", 0, false},
		{"no seconds, no zone", "2026-11-20T13:45", 0, false},
		{"dot without digits", "2026-11-20T13:45:12.Z", 0, false},
		{"dot at end", "2026-11-20T13:45:12.", 0, false},
		{"10 fractional digits", "2026-11-20T13:45:12.1234567890Z", 0, false},
		{"comma fraction", "2026-11-20T13:45:12,5Z", 0, false},
		{"leap day 2026", "2026-02-29T00:00:00Z", 0, false},
		{"leap day 1900", "1900-02-29T00:00:00Z", 0, false},
		{"April 31", "2026-04-31T00:00:00Z", 0, false},
		{"day 0", "2026-01-00T00:00:00Z", 0, false},
		{"day 32", "2026-01-32T00:00:00Z", 0, false},
		{"month 0", "2026-00-10T00:00:00Z", 0, false},
		{"month 13", "2026-13-10T00:00:00Z", 0, false},
		{"hour 24", "2026-01-01T24:00:00Z", 0, false},
		{"minute 60", "2026-01-01T00:60:00Z", 0, false},
		{"leap second", "2026-12-31T23:59:60Z", 0, false},
		{"year 0", "0000-01-01T00:00:00Z", 0, false},
		{"five-digit year", "10000-01-01T00:00:00Z", 0, false},
		{"two-digit year", "26-01-01T00:00:00Z", 0, false},
		{"single-digit month", "2026-1-01T00:00:00Z", 0, false},
		{"offset hour 24", "2026-01-01T00:00:00+24:00", 0, false},
		{"offset minute 60", "2026-01-01T00:00:00+01:60", 0, false},
		{"offset hours only", "2026-01-01T00:00:00+01", 0, false},
		{"offset with seconds", "2026-01-01T00:00:00+01:00:00", 0, false},
		{"offset one minute digit", "2026-01-01T00:00:00+01:0", 0, false},
		{"offset and Z", "2026-01-01T00:00:00+01:00Z", 0, false},
		{"Z then text", "2026-01-01T00:00:00Zx", 0, false},
		{"UTC name", "2026-01-01T00:00:00 UTC", 0, false},
		{"leading space", " 2026-01-01T00:00:00Z", 0, false},
		{"trailing space", "2026-01-01T00:00:00Z ", 0, false},
		{"other separator", "2026-01-01_00:00:00Z", 0, false},
		{"slashes", "2026/01/01T00:00:00Z", 0, false},
		{"non-digit", "2026-0a-01T00:00:00Z", 0, false},
		{"sign in field", "2026-+1-01T00:00:00Z", 0, false},
		{"epoch seconds", "1763646312", 0, false},
		{"UTC before year 1", "0001-01-01T00:00:00+00:01", 0, false},
		{"UTC after year 9999", "9999-12-31T23:59:59-00:01", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseTimestamp([]byte(tt.in))
			if diff := cmp.Diff(tt.wantOK, ok); diff != "" {
				t.Fatalf("ParseTimestamp(%q) ok (-want +got):\n%s", tt.in, diff)
			}
			if diff := cmp.Diff(tt.want, got); ok && diff != "" {
				t.Errorf("ParseTimestamp(%q) micros (-want +got):\n%s", tt.in, diff)
			}
			refGot, refOK := refTS(tt.in)
			if refOK != ok || refGot != got {
				t.Errorf("reference model gives (%d, %v) for %q, ParseTimestamp (%d, %v)", refGot, refOK, tt.in, got, ok)
			}
		})
	}
}

func TestDateOf(t *testing.T) {
	tests := []struct {
		name   string
		micros int64
		want   int32
	}{
		{"epoch", 0, 0},
		{"last microsecond of day 0", 86_400_000_000 - 1, 0},
		{"day 1", 86_400_000_000, 1},
		{"one microsecond before the epoch", -1, -1},
		{"midnight before the epoch", -86_400_000_000, -1},
		{"one microsecond before that", -86_400_000_001, -2},
		{"0001-01-01", minMicros, minDays},
		{"9999-12-31 last microsecond", maxMicros, maxDays},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, DateOf(tt.micros)); diff != "" {
				t.Errorf("DateOf(%d) (-want +got):\n%s", tt.micros, diff)
			}
		})
	}
	// The range constants agree with the time package.
	if got := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro(); got != minMicros {
		t.Errorf("minMicros = %d, time says %d", int64(minMicros), got)
	}
	if got := time.Date(9999, 12, 31, 23, 59, 59, 999_999_000, time.UTC).UnixMicro(); got != maxMicros {
		t.Errorf("maxMicros = %d, time says %d", int64(maxMicros), got)
	}
}

func TestDaysFromCivilMatchesTime(t *testing.T) {
	// Every day of a few 400-year cycles' worth of edge years.
	for _, y := range []int{1, 2, 4, 99, 100, 400, 1600, 1900, 1969, 1970, 2000, 2024, 2100, 9999} {
		for m := 1; m <= 12; m++ {
			for d := 1; d <= daysIn(y, m); d++ {
				want := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / 86400
				if got := daysFromCivil(y, m, d); got != want {
					t.Fatalf("daysFromCivil(%d, %d, %d) = %d, want %d", y, m, d, got, want)
				}
			}
		}
	}
}
