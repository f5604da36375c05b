package job

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNextFireTimesToronto(t *testing.T) {
	tor, err := time.LoadLocation("America/Toronto")
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, mo time.Month, d, h, mi, s int) time.Time { return time.Date(y, mo, d, h, mi, s, 0, tor) }
	// Fixed offsets name an instant in the gap or overlap without ambiguity.
	edt := time.FixedZone("EDT", -4*3600)
	est := time.FixedZone("EST", -5*3600)
	springFrom := at(2026, 3, 6, 12, 0, 0) // Friday; DST starts Sunday 2026-03-08 02:00
	fallFrom := at(2026, 10, 31, 12, 0, 0) // DST ends Sunday 2026-11-01 02:00
	tests := []struct {
		name string
		expr string
		from time.Time
		n    int
		want []time.Time
	}{
		{
			name: "daily 07:00:35 across spring forward",
			expr: "35 0 7 * * ?", from: springFrom, n: 3,
			want: []time.Time{at(2026, 3, 7, 7, 0, 35), at(2026, 3, 8, 7, 0, 35), at(2026, 3, 9, 7, 0, 35)},
		},
		{
			name: "daily 07:00:35 across fall back",
			expr: "35 0 7 * * ?", from: fallFrom, n: 2,
			want: []time.Time{at(2026, 11, 1, 7, 0, 35), at(2026, 11, 2, 7, 0, 35)},
		},
		{
			name: "02:30 in the spring gap fires when the gap ends",
			expr: "0 30 2 * * ?", from: springFrom, n: 3,
			want: []time.Time{at(2026, 3, 7, 2, 30, 0), time.Date(2026, 3, 8, 3, 0, 0, 0, edt), at(2026, 3, 9, 2, 30, 0)},
		},
		{
			name: "02:30 from inside the hour before the gap",
			expr: "0 30 2 * * ?", from: at(2026, 3, 8, 1, 45, 0), n: 2,
			want: []time.Time{time.Date(2026, 3, 8, 3, 0, 0, 0, edt), at(2026, 3, 9, 2, 30, 0)},
		},
		{
			name: "02:30 after the gap waits for the next day",
			expr: "0 30 2 * * ?", from: time.Date(2026, 3, 8, 3, 0, 0, 0, edt), n: 1,
			want: []time.Time{at(2026, 3, 9, 2, 30, 0)},
		},
		{
			name: "several times in the gap fire once",
			expr: "0 0/20 2 * * ?", from: at(2026, 3, 8, 0, 0, 0), n: 4,
			want: []time.Time{time.Date(2026, 3, 8, 3, 0, 0, 0, edt), at(2026, 3, 9, 2, 0, 0), at(2026, 3, 9, 2, 20, 0), at(2026, 3, 9, 2, 40, 0)},
		},
		{
			name: "gap times do not collide with the hour after",
			expr: "0 10,30 2,3 * * ?", from: at(2026, 3, 8, 0, 0, 0), n: 4,
			want: []time.Time{time.Date(2026, 3, 8, 3, 0, 0, 0, edt), time.Date(2026, 3, 8, 3, 10, 0, 0, edt),
				time.Date(2026, 3, 8, 3, 30, 0, 0, edt), at(2026, 3, 9, 2, 10, 0)},
		},
		{
			name: "01:30 on the fall-back day fires once",
			expr: "0 30 1 * * ?", from: fallFrom, n: 3,
			want: []time.Time{time.Date(2026, 11, 1, 1, 30, 0, 0, edt), at(2026, 11, 2, 1, 30, 0), at(2026, 11, 3, 1, 30, 0)},
		},
		{
			name: "01:30 from the repeated hour's second pass",
			expr: "0 30 1 * * ?", from: time.Date(2026, 11, 1, 1, 40, 0, 0, est), n: 1,
			want: []time.Time{at(2026, 11, 2, 1, 30, 0)},
		},
		{
			name: "01:30 across spring forward is unaffected",
			expr: "0 30 1 * * ?", from: springFrom, n: 3,
			want: []time.Time{at(2026, 3, 7, 1, 30, 0), at(2026, 3, 8, 1, 30, 0), at(2026, 3, 9, 1, 30, 0)},
		},
		{
			name: "02:30 on the fall-back day",
			expr: "0 30 2 * * ?", from: fallFrom, n: 1,
			want: []time.Time{time.Date(2026, 11, 1, 2, 30, 0, 0, est)},
		},
		{
			name: "weekday 2 is Monday",
			expr: "0 0 12 ? * 2", from: springFrom, n: 3,
			want: []time.Time{at(2026, 3, 9, 12, 0, 0), at(2026, 3, 16, 12, 0, 0), at(2026, 3, 23, 12, 0, 0)},
		},
		{
			name: "6L is the last Friday",
			expr: "0 15 10 ? * 6L", from: springFrom, n: 3,
			want: []time.Time{at(2026, 3, 27, 10, 15, 0), at(2026, 4, 24, 10, 15, 0), at(2026, 5, 29, 10, 15, 0)},
		},
		{
			name: "2#1 is the first Monday",
			expr: "0 0 12 ? * 2#1", from: springFrom, n: 3,
			want: []time.Time{at(2026, 4, 6, 12, 0, 0), at(2026, 5, 4, 12, 0, 0), at(2026, 6, 1, 12, 0, 0)},
		},
		{
			name: "year field",
			expr: "0 0 12 * * ? 2027", from: springFrom, n: 2,
			want: []time.Time{at(2027, 1, 1, 12, 0, 0), at(2027, 1, 2, 12, 0, 0)},
		},
		{
			name: "year field in the past fires no more",
			expr: "0 0 12 1 1 ? 2026", from: springFrom, n: 2,
			want: nil,
		},
		{
			name: "last two fires of a year field",
			expr: "0 0 12 30,31 12 ? 2026", from: springFrom, n: 5,
			want: []time.Time{at(2026, 12, 30, 12, 0, 0), at(2026, 12, 31, 12, 0, 0)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NextFireTimes(tt.expr, "America/Toronto", tt.from, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			// Compare instants, and show them in Toronto time on failure.
			if diff := cmp.Diff(show(tt.want, tor), show(got, tor)); diff != "" {
				t.Fatalf("NextFireTimes(%q) (-want +got):\n%s", tt.expr, diff)
			}
			for _, g := range got {
				if g.Location().String() != "America/Toronto" {
					t.Errorf("fire time %v is not in America/Toronto", g)
				}
			}
		})
	}
}

func show(ts []time.Time, loc *time.Location) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.In(loc).Format("Mon 2006-01-02 15:04:05 MST"))
	}
	return out
}

func TestNextFireTimesUTCAndErrors(t *testing.T) {
	got, err := NextFireTimes("0 0/15 * * * ?", "", time.Date(2026, 1, 1, 0, 7, 0, 0, time.UTC), 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{time.Date(2026, 1, 1, 0, 15, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("UTC fire times (-want +got):\n%s", diff)
	}

	for _, tc := range []struct{ name, expr, tz string }{
		{name: "hour 25", expr: "0 0 25 * * ?", tz: "UTC"},
		{name: "too few fields", expr: "0 0 *", tz: "UTC"},
		{name: "unknown zone", expr: "0 0 1 * * ?", tz: "Nowhere/Land"},
		{name: "Local is not portable", expr: "0 0 1 * * ?", tz: "Local"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NextFireTimes(tc.expr, tc.tz, time.Now(), 1); !errors.Is(err, ErrBadCron) {
				t.Fatalf("error %v, want ErrBadCron", err)
			}
		})
	}
}

func TestNextFireTimesOtherZones(t *testing.T) {
	tests := []struct {
		name string
		tz   string
		expr string
		from string // RFC 3339
		want []string
	}{
		{
			name: "Berlin spring gap",
			tz:   "Europe/Berlin", expr: "0 30 2 * * ?", from: "2026-03-28T12:00:00+01:00",
			want: []string{"2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"},
		},
		{
			name: "Berlin fall overlap",
			tz:   "Europe/Berlin", expr: "0 30 2 * * ?", from: "2026-10-24T12:00:00+02:00",
			want: []string{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"},
		},
		{
			name: "Lord Howe half-hour gap",
			tz:   "Australia/Lord_Howe", expr: "0 15 2 * * ?", from: "2026-10-03T12:00:00+10:30",
			want: []string{"2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, err := time.Parse(time.RFC3339, tt.from)
			if err != nil {
				t.Fatal(err)
			}
			got, err := NextFireTimes(tt.expr, tt.tz, from, len(tt.want))
			if err != nil {
				t.Fatal(err)
			}
			var gotText []string
			for _, g := range got {
				gotText = append(gotText, g.Format(time.RFC3339))
			}
			if diff := cmp.Diff(tt.want, gotText); diff != "" {
				t.Fatalf("NextFireTimes (-want +got):\n%s", diff)
			}
		})
	}
}
