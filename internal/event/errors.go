package event

import "errors"

var (
	// ErrLineTooLong is wrapped by the error LineReader.Next returns for a line
	// longer than LineOptions.MaxLineBytes.
	ErrLineTooLong = errors.New("line too long")
	// ErrUnknownReason is wrapped by ParseReasons for text that is not a
	// reason string of the contract.
	ErrUnknownReason = errors.New("unknown reason")
)
