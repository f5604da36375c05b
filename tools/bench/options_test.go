package main

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseOptions(t *testing.T) {
	defaults := options{Rows: 1_000_000, Files: 8, Reps: 1, Pipeline: true, IncrementalRows: 1_000_000,
		NPMTimeout: 20 * time.Minute, Check: true, InvalidRate: -1}
	tests := []struct {
		name    string
		args    []string
		want    options
		wantErr error
	}{
		{name: "defaults", want: defaults},
		{
			name: "10M, three reps, incremental, both dash styles",
			args: []string{"--rows", "10000000", "-reps=3", "--incremental", "10", "--skip-duckdb", "--bin", "/x/lakehouse", "--invalid-rate", "0"},
			want: func() options {
				o := defaults
				o.Rows, o.Reps, o.Incremental, o.SkipDuckDB, o.Bin, o.InvalidRate = 10_000_000, 3, 10, true, "/x/lakehouse", 0
				return o
			}(),
		},
		{
			name: "incremental only",
			args: []string{"--pipeline=false", "--incremental", "10"},
			want: func() options { o := defaults; o.Pipeline, o.Incremental = false, 10; return o }(),
		},
		{name: "nothing to measure", args: []string{"--pipeline=false"}, wantErr: errUsage},
		{name: "zero rows", args: []string{"--rows", "0"}, wantErr: errUsage},
		{name: "zero files", args: []string{"--files", "0"}, wantErr: errUsage},
		{name: "zero reps", args: []string{"--reps", "0"}, wantErr: errUsage},
		{name: "negative incremental", args: []string{"--incremental", "-1"}, wantErr: errUsage},
		{name: "invalid rate above one", args: []string{"--invalid-rate", "2"}, wantErr: errUsage},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: errUsage},
		{name: "stray argument", args: []string{"extra"}, wantErr: errUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseOptions(tt.args, io.Discard)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("parseOptions(%q) error = %v, want %v", tt.args, err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseOptions(%q) mismatch (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}
