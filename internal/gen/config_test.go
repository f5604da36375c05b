package gen

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	ok := testConfig(1, 1000)
	with := func(f func(*Config)) Config {
		c := ok
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // a substring; "" means valid
	}{
		{"defaults", ok, ""},
		{"zero rows", with(func(c *Config) { c.Rows = 0 }), ""},
		{"all rates zero", with(func(c *Config) { c.DuplicateRate, c.InvalidRate, c.MalformedRate = 0, 0, 0 }), ""},
		{"invalid and malformed sum to one", with(func(c *Config) { c.DuplicateRate, c.InvalidRate, c.MalformedRate = 0, 0.4, 0.6 }), ""},
		{"one day", with(func(c *Config) { c.Days = 1 }), ""},
		{"negative rows", with(func(c *Config) { c.Rows = -1 }), "rows -1 out of range"},
		{"too many rows", with(func(c *Config) { c.Rows = MaxRows + 1 }), "out of range"},
		{"zero days", with(func(c *Config) { c.Days = 0 }), "days 0 out of range"},
		{"too many days", with(func(c *Config) { c.Days = MaxDays + 1 }), "days"},
		{"no end", with(func(c *Config) { c.End = time.Time{} }), "end time is not set"},
		{"window before 1970", with(func(c *Config) { c.End = time.Date(1970, 1, 3, 0, 0, 0, 0, time.UTC) }), "window"},
		{"negative rate", with(func(c *Config) { c.InvalidRate = -0.1 }), "invalid rate -0.1 out of range"},
		{"rate above one", with(func(c *Config) { c.MalformedRate = 1.5 }), "malformed rate 1.5 out of range"},
		{"NaN rate", with(func(c *Config) { c.DuplicateRate = math.NaN() }), "duplicate rate NaN"},
		{"rates above one together", with(func(c *Config) { c.DuplicateRate, c.InvalidRate, c.MalformedRate = 0.5, 0.4, 0.2 }), "add up to"},
		{"duplicates leave no valid events", with(func(c *Config) { c.DuplicateRate, c.InvalidRate, c.MalformedRate = 0.5, 0.5, 0 }), "must leave room"},
		{"all duplicates", with(func(c *Config) { c.DuplicateRate, c.InvalidRate, c.MalformedRate = 1, 0, 0 }), "must leave room"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			_, newErr := New(tc.cfg)
			if tc.wantErr == "" {
				if err != nil || newErr != nil {
					t.Errorf("Validate() = %v, New() error = %v, want nil", err, newErr)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Validate() = %v, want an ErrInvalidConfig containing %q", err, tc.wantErr)
			}
			if !errors.Is(newErr, ErrInvalidConfig) {
				t.Errorf("New() error = %v, want ErrInvalidConfig", newErr)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c := Defaults(9, 100, testEnd)
	want := Config{Seed: 9, Rows: 100, Days: 7, End: testEnd, DuplicateRate: 0.005, InvalidRate: 0.002, MalformedRate: 0.0005}
	if c != want {
		t.Errorf("Defaults = %+v, want %+v", c, want)
	}
}
