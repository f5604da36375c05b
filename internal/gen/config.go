package gen

import (
	"fmt"
	"math"
	"time"
)

// Default values used by Defaults.
const (
	DefaultDays          = 7
	DefaultDuplicateRate = 0.005
	DefaultInvalidRate   = 0.002
	DefaultMalformedRate = 0.0005

	// MaxRows bounds Config.Rows; user ids are drawn from a fixed-width
	// number space sized for it.
	MaxRows = 100_000_000_000
	// MaxDays bounds Config.Days (ten years).
	MaxDays = 3660
)

// Config says what to generate. Start from Defaults and override fields:
// zero rates mean "no faults of that kind", not "use the default".
type Config struct {
	// Seed makes the output deterministic: the same Config gives the same bytes.
	Seed int64
	// Rows is the number of output lines: valid events, duplicate re-sends,
	// invalid records and malformed lines together.
	Rows int64
	// Days is the width of the time window [End-Days, End] that sessions
	// are spread over (at least 1).
	Days int
	// End is the end of the time window; no event_ts is after it. The
	// package never reads the clock: callers pass time.Now() or a fixed time.
	End time.Time

	// DuplicateRate is the share of lines that re-send an earlier valid
	// event byte for byte.
	DuplicateRate float64
	// InvalidRate is the share of lines that are JSON objects breaking
	// exactly one rule of the event contract.
	InvalidRate float64
	// MalformedRate is the share of lines that are truncated JSON objects.
	MalformedRate float64
}

// Defaults returns the default configuration for seed, rows and end.
func Defaults(seed, rows int64, end time.Time) Config {
	return Config{
		Seed:          seed,
		Rows:          rows,
		Days:          DefaultDays,
		End:           end,
		DuplicateRate: DefaultDuplicateRate,
		InvalidRate:   DefaultInvalidRate,
		MalformedRate: DefaultMalformedRate,
	}
}

// Validate reports, wrapping ErrInvalidConfig, the first thing in c that
// cannot be generated.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	if c.Rows < 0 || c.Rows > MaxRows {
		return bad("rows %d out of range: want 0 to %d", c.Rows, int64(MaxRows))
	}
	if c.Days < 1 || c.Days > MaxDays {
		return bad("days %d out of range: want 1 to %d", c.Days, MaxDays)
	}
	if c.End.IsZero() {
		return bad("end time is not set: pass the end of the window, e.g. time.Now()")
	}
	start := c.End.Add(-time.Duration(c.Days) * 24 * time.Hour)
	if start.Before(time.Unix(0, 0)) || c.End.UTC().Year() > 9999 {
		return bad("window %s to %s out of range: want 1970 to 9999",
			start.UTC().Format(time.RFC3339), c.End.UTC().Format(time.RFC3339))
	}
	rates := []struct {
		name string
		v    float64
	}{
		{"duplicate rate", c.DuplicateRate},
		{"invalid rate", c.InvalidRate},
		{"malformed rate", c.MalformedRate},
	}
	for _, r := range rates {
		if math.IsNaN(r.v) || r.v < 0 || r.v > 1 {
			return bad("%s %v out of range: want 0 to 1", r.name, r.v)
		}
	}
	sum := c.DuplicateRate + c.InvalidRate + c.MalformedRate
	if sum > 1+1e-12 {
		return bad("fault rates add up to %v: want at most 1", sum)
	}
	if c.DuplicateRate > 0 && sum >= 1 {
		return bad("fault rates add up to %v with duplicate rate %v: duplicates re-send valid events, so the rates must leave room for some (sum < 1)",
			sum, c.DuplicateRate)
	}
	return nil
}
