package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// Run runs the conformance suite. newStore is called once per subtest, from
// that subtest (possibly concurrently with others), and must return a fresh,
// empty store; it may register cleanups on t.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s storage.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"NoAliasing", testNoAliasing},
		{"PutReplaces", testPutReplaces},
		{"PutAtomicUnderReads", testPutAtomicUnderReads},
		{"PutIfAbsent", testPutIfAbsent},
		{"PutIfAbsentRace", testPutIfAbsentRace},
		{"CreateVisibleOnClose", testCreateVisibleOnClose},
		{"CreateAbort", testCreateAbort},
		{"WriterAfterEnd", testWriterAfterEnd},
		{"CreateLarge", testCreateLarge},
		{"CreateCancelled", testCreateCancelled},
		{"List", testList},
		{"ListEmptyStore", testListEmptyStore},
		{"Delete", testDelete},
		{"Missing", testMissing},
		{"InvalidNames", testInvalidNames},
		{"Stat", testStat},
		{"ReadAt", testReadAt},
		{"ReadAtConcurrent", testReadAtConcurrent},
		{"OpenSurvivesReplace", testOpenSurvivesReplace},
		{"CancelledContext", testCancelledContext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

// pattern returns n deterministic bytes that differ with seed, so a mix of
// two writes or a shifted copy is detected.
func pattern(seed, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func mustPut(t *testing.T, s storage.Store, name string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), name, data); err != nil {
		t.Fatalf("Put(%q) = %v", name, err)
	}
}

// wantContent fails the test unless name holds exactly want.
func wantContent(t *testing.T, s storage.Store, name string, want []byte) {
	t.Helper()
	got, err := s.Get(t.Context(), name)
	if err != nil {
		t.Fatalf("Get(%q) = %v", name, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %d bytes %s, want %d bytes %s", name, len(got), head(got), len(want), head(want))
	}
}

// wantMissing fails the test unless Stat of name reports ErrNotExist.
func wantMissing(t *testing.T, s storage.Store, name string) {
	t.Helper()
	_, err := s.Stat(t.Context(), name)
	if !errors.Is(err, storage.ErrNotExist) {
		t.Fatalf("Stat(%q) error = %v, want ErrNotExist", name, err)
	}
}

// names lists everything in s.
func names(t *testing.T, s storage.Store, prefix string) []string {
	t.Helper()
	infos, err := s.List(t.Context(), prefix, "")
	if err != nil {
		t.Fatalf("List(%q) = %v", prefix, err)
	}
	var out []string
	for _, info := range infos {
		out = append(out, info.Name)
	}
	return out
}

func head(b []byte) string {
	if len(b) > 16 {
		return fmt.Sprintf("%q...", b[:16])
	}
	return fmt.Sprintf("%q", b)
}

func cancelled(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}
