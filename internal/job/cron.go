package job

import (
	"fmt"
	"strings"
	"time"

	"github.com/reugn/go-quartz/quartz"
)

// cron computes the fire times of a Quartz cron expression in a time zone.
//
// go-quartz parses the expression and walks the calendar (seconds field, ?,
// L, W, #, day-of-week 1 = Sunday, optional year). Its own walk in a DST zone
// resolves a wall-clock time inside the spring-forward gap backwards (02:30
// became 01:30 EST on 2026-03-08 in America/Toronto), skips the day when
// started inside the gap hour, and declares `0 0/20 2 * * ?` expired there. So
// the walk runs on zone-free wall-clock time (the trigger is built with
// NewCronTriggerWithLoc in UTC, which has no DST) and resolve turns each
// wall-clock match into an instant in the job's zone:
//
//   - a wall-clock time that exists once is that instant;
//   - spring forward: a time inside the gap fires at the first valid instant
//     after it, the moment the clocks jumped (02:30 → 03:00 EDT). Several
//     matches inside one gap collapse into that one fire. Java's lenient
//     Calendar (Quartz's CronExpression, hence Databricks) instead shifts by
//     the gap's width (02:30 → 03:30 EDT); the gap end was chosen because it
//     keeps fire times in order and never lands on or after a later match
//     (`0 10,30 2,3 * * ?` would otherwise fire 03:10 and 03:30 twice), and
//     it is what Quartz.NET 4, Cronos and cron(8) do;
//   - fall back: a time that occurs twice fires once, at its first
//     occurrence (01:30 EDT, not again at 01:30 EST). An expression that
//     fires every few minutes does not fire during the repeated hour's
//     second pass.
type cron struct {
	loc  *time.Location
	wall *quartz.CronTrigger
}

func newCron(expr, tz string) (*cron, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, fmt.Errorf("%w: quartz_cron_expression is empty", ErrBadCron)
	}
	if tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "Local" {
		return nil, fmt.Errorf("%w: timezone_id %q is not a known IANA time zone (e.g. America/Toronto, UTC)", ErrBadCron, tz)
	}
	// The location plays no part in parsing: the UTC trigger validates the
	// expression for every zone.
	wall, err := quartz.NewCronTriggerWithLoc(expr, time.UTC)
	if err != nil {
		return nil, fmt.Errorf("%w: quartz_cron_expression %q: %v", ErrBadCron, expr, err)
	}
	return &cron{loc: loc, wall: wall}, nil
}

// wallOf returns t's wall clock in loc as a UTC time, to whole seconds.
func wallOf(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

// maxWalk bounds the wall-clock steps next takes to find one fire time; it
// is only approached by a per-second expression across a repeated hour.
const maxWalk = 100_000

// next returns the first fire time strictly after after, and false when the
// expression fires no more (a past year field).
func (c *cron) next(after time.Time) (time.Time, bool) {
	w := wallOf(after, c.loc)
	for range maxWalk {
		n, err := c.wall.NextFireTime(w.UnixNano())
		if err != nil {
			return time.Time{}, false
		}
		cw := time.Unix(0, n).UTC()
		if t := c.resolve(cw); t.After(after) {
			return t, true
		}
		w = cw
	}
	return time.Time{}, false
}

// resolve returns the instant at which the wall-clock time w (a UTC time
// holding the local fields) fires in c.loc, following the DST policy above.
func (c *cron) resolve(w time.Time) time.Time {
	u := w.Unix()
	guess := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, c.loc)
	offsets := map[int]bool{}
	for _, probe := range []time.Time{guess, guess.Add(-26 * time.Hour), guess.Add(26 * time.Hour)} {
		_, off := probe.Zone()
		offsets[off] = true
	}
	var first time.Time
	for off := range offsets {
		i := time.Unix(u-int64(off), 0).In(c.loc)
		if _, got := i.Zone(); got == off && (first.IsZero() || i.Before(first)) {
			first = i
		}
	}
	if !first.IsZero() {
		return first
	}
	// w falls in a gap: answer with the instant the clocks jumped, the end
	// of the zone period in force just before it.
	var gapEnd time.Time
	for off := range offsets {
		i := time.Unix(u-int64(off), 0).In(c.loc)
		_, end := i.ZoneBounds()
		if end.IsZero() || !wallOf(end, c.loc).After(w) || wallOf(end.Add(-time.Second), c.loc).After(w) {
			continue
		}
		if gapEnd.IsZero() || end.Before(gapEnd) {
			gapEnd = end.In(c.loc)
		}
	}
	if !gapEnd.IsZero() {
		return gapEnd
	}
	return guess
}

// NextFireTimes returns up to n fire times of a Quartz cron expression in
// the IANA zone tz ("" = UTC), strictly after from, in tz, with the DST
// policy of the package documentation. Fewer come back when the expression's
// year field ends.
func NextFireTimes(expr, tz string, from time.Time, n int) ([]time.Time, error) {
	c, err := newCron(expr, tz)
	if err != nil {
		return nil, err
	}
	var out []time.Time
	t := from
	for len(out) < n {
		next, ok := c.next(t)
		if !ok {
			break
		}
		out = append(out, next)
		t = next
	}
	return out, nil
}
