package deltatest

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestTruncatedMax(t *testing.T) {
	a32 := strings.Repeat("a", 32)
	top := string(utf8.MaxRune)
	cases := []struct {
		name, in, want string
		ok             bool
	}{
		{"short", "abc", "abc", true},
		{"exactly 32", a32, a32, true},
		{"ASCII 33rd", a32 + "bc", a32 + "\u007f", true},
		{"non-ASCII 33rd", a32 + "éz", a32 + top, true},
		{"U+10FFFF 33rd is kept and the next decides", a32 + top + "b", a32 + top + "\u007f", true},
		{"no bound within 64", a32 + strings.Repeat(top, 40), "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := truncatedMax(c.in)
			if got != c.want || ok != c.ok {
				t.Errorf("truncatedMax = %q, %v; want %q, %v", got, ok, c.want, c.ok)
			}
			if ok && got < c.in {
				t.Errorf("%q does not bound %q", got, c.in)
			}
		})
	}
}

func TestURIProblem(t *testing.T) {
	cases := []struct {
		name, path string
		ok         bool
	}{
		{"encoded space", "p=a%20b/part-0.parquet", true},
		{"double-encoded Hive escape", "p=a%252Fb/part-0.parquet", true},
		{"raw UTF-8", "p=ü/part-0.parquet", true},
		{"colon after the first segment", "ts=2021-01-01%2010%253A00/x:y.parquet", true},
		{"raw space", "p=a b/part-0.parquet", false},
		{"lone percent", "p=100%/part-0.parquet", false},
		{"colon in the first segment", "a:b.parquet", false},
		{"absolute path", "/data/part-0.parquet", false},
		{"URI with scheme", "s3://bucket/part-0.parquet", false},
		{"hash", "p=#/part-0.parquet", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if msg := uriProblem(c.path); (msg == "") != c.ok {
				t.Errorf("uriProblem(%q) = %q, want ok=%v", c.path, msg, c.ok)
			}
		})
	}
}

func TestHiveEscape(t *testing.T) {
	in := []string{"a/b", "100%", "x=y", "sp ace", "tab\tx", "ünï €", "#?:[]{}^'\"*\\"}
	want := []string{"a%2Fb", "100%25", "x%3Dy", "sp ace", "tab%09x", "ünï €", "%23%3F%3A%5B%5D%7B}%5E%27%22%2A%5C"} // Spark escapes { but not }
	var got []string
	for _, s := range in {
		got = append(got, hiveEscape(s))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}

func TestTimestampBounds(t *testing.T) {
	cases := []struct {
		name            string
		us, floor, ceil int64
	}{
		{"aligned", 5_000, 5, 5},
		{"positive", 5_001, 5, 6},
		{"negative", -5_001, -6, -5},
		{"negative aligned", -5_000, -5, -5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if f, cl := floorMillis(c.us), ceilMillis(c.us); f != c.floor || cl != c.ceil {
				t.Errorf("floor, ceil of %dµs = %d, %d ms; want %d, %d", c.us, f, cl, c.floor, c.ceil)
			}
		})
	}
}
