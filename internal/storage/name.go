package storage

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// CheckName reports whether name is a valid object name: non-empty, valid
// UTF-8, no NUL byte, no leading slash, and no empty, "." or ".." segment
// (so no trailing slash and no "//" either). The error wraps ErrInvalidName
// and says which rule was broken. Backends call it before any IO; a backend
// may add rules of its own (local reserves its temporary-file names).
func CheckName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty name", ErrInvalidName)
	}
	if err := checkChars(name); err != nil {
		return err
	}
	for seg := range strings.SplitSeq(name, "/") {
		if err := checkSegment(seg); err != nil {
			return err
		}
	}
	return nil
}

// CheckPrefix reports whether prefix is a valid List prefix. A prefix is a
// plain string prefix of names, so it may be empty, end in "/" or end in part
// of a segment ("t/_delta_log/0000"); every complete segment before the last
// slash must obey the rules of CheckName.
func CheckPrefix(prefix string) error {
	if err := checkChars(prefix); err != nil {
		return err
	}
	i := strings.LastIndexByte(prefix, '/')
	if i < 0 {
		return nil
	}
	for seg := range strings.SplitSeq(prefix[:i], "/") {
		if err := checkSegment(seg); err != nil {
			return err
		}
	}
	return nil
}

func checkChars(s string) error {
	switch {
	case strings.HasPrefix(s, "/"):
		return fmt.Errorf("%w: leading slash", ErrInvalidName)
	case strings.IndexByte(s, 0) >= 0:
		return fmt.Errorf("%w: NUL byte", ErrInvalidName)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidName)
	}
	return nil
}

func checkSegment(seg string) error {
	switch seg {
	case "":
		return fmt.Errorf("%w: empty path segment", ErrInvalidName)
	case ".", "..":
		return fmt.Errorf("%w: %q segment", ErrInvalidName, seg)
	}
	return nil
}
