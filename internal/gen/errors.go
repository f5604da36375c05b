package gen

import "errors"

// ErrInvalidConfig is returned (wrapped, with the field and a hint) by
// Config.Validate and New for a configuration that cannot be generated.
var ErrInvalidConfig = errors.New("invalid generator config")
