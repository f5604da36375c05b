package local_test

import (
	"fmt"
	"os"
	"testing"
)

// helperEnv selects a helper role when the test binary re-executes itself
// as a child process (see process_test.go).
const helperEnv = "LAKEHOUSE_LOCAL_STORE_HELPER"

func TestMain(m *testing.M) {
	if role := os.Getenv(helperEnv); role != "" {
		if err := runHelper(role); err != nil {
			fmt.Fprintf(os.Stderr, "helper %s: %v\n", role, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
