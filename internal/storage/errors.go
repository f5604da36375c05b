package storage

import "errors"

var (
	// ErrNotExist is returned (possibly wrapped) when a named object does not exist.
	ErrNotExist = errors.New("object does not exist")
	// ErrExist is returned (possibly wrapped) by PutIfAbsent when the name is taken.
	ErrExist = errors.New("object already exists")
	// ErrInvalidName is returned (wrapped, with the reason) for an object name
	// or list prefix that breaks the naming rules in the package comment.
	ErrInvalidName = errors.New("invalid object name")
)
