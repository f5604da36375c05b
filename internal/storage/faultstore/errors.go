package faultstore

import "errors"

var (
	// ErrInjected is the error an injected fault returns when its Rule names
	// none.
	ErrInjected = errors.New("faultstore: injected fault")
	// ErrCrashed is returned (wrapped) by every operation after a crash.
	ErrCrashed = errors.New("faultstore: store crashed")
)
