package job

import (
	"bytes"
	_ "embed"
)

// defaultJobJSON is jobs/ecomm_lakehouse_daily.json from the shared project
// folder, byte for byte (a test keeps them equal).
//
//go:embed default_job.json
var defaultJobJSON []byte

// DefaultJobJSON returns the shipped default job definition, byte for byte.
func DefaultJobJSON() []byte { return bytes.Clone(defaultJobJSON) }

// DefaultJob parses the shipped default job definition.
func DefaultJob() (*Job, error) { return Parse(defaultJobJSON) }
