package storage

import (
	"errors"
	"testing"
)

func TestCheckName(t *testing.T) {
	tests := []struct {
		name  string
		input string
		valid bool
	}{
		{"simple", "a", true},
		{"nested", "t/_delta_log/00000000000000000000.json", true},
		{"dots inside", "a/..b/c..", true},
		{"hidden", ".hidden", true},
		{"unicode", "日本/ü", true},
		{"empty", "", false},
		{"leading slash", "/a", false},
		{"trailing slash", "a/", false},
		{"double slash", "a//b", false},
		{"dot", "a/./b", false},
		{"dotdot", "a/../b", false},
		{"only dotdot", "..", false},
		{"NUL", "a\x00", false},
		{"bad UTF-8", "\xc3", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckName(tt.input)
			if tt.valid != (err == nil) {
				t.Fatalf("CheckName(%q) = %v, want valid=%v", tt.input, err, tt.valid)
			}
			if err != nil && !errors.Is(err, ErrInvalidName) {
				t.Errorf("CheckName(%q) = %v, not wrapping ErrInvalidName", tt.input, err)
			}
		})
	}
}

func TestCheckPrefix(t *testing.T) {
	tests := []struct {
		name  string
		input string
		valid bool
	}{
		{"empty", "", true},
		{"partial segment", "t/_delta_log/0000", true},
		{"directory", "t/_delta_log/", true},
		{"partial dot", "t/.", true},
		{"partial dotdot", "t/..", true},
		{"leading slash", "/t", false},
		{"dotdot segment", "t/../x", false},
		{"empty segment", "t//x", false},
		{"NUL", "t\x00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPrefix(tt.input)
			if tt.valid != (err == nil) {
				t.Fatalf("CheckPrefix(%q) = %v, want valid=%v", tt.input, err, tt.valid)
			}
			if err != nil && !errors.Is(err, ErrInvalidName) {
				t.Errorf("CheckPrefix(%q) = %v, not wrapping ErrInvalidName", tt.input, err)
			}
		})
	}
}
