package reliability

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/pipeline"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/faultstore"
)

// TestDataFileReadError: when reading a data file fails in the store (an
// I/O error, a dead store), the stage's error must keep the cause in its
// chain and must not call the table corrupt (delta.ErrCorrupt is for a file
// that reads fine but does not decode). Found by TestStorageFaults: the
// scan used to wrap every parquet error as fmt.Errorf("%w: data file %s:
// %v", ErrCorrupt, ...), so errors.Is(err, syscall.EIO) was false and the
// user was told the table was broken when the disk was.
func TestDataFileReadError(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	generateFilesInProcess(t, data, 500, 1, 3)
	stages := faultStages(data)
	eio := &os.PathError{Op: "read", Path: "disk", Err: syscall.EIO}

	// The warehouse before each stage.
	states := []string{filepath.Join(t.TempDir(), "empty")}
	if err := os.Mkdir(states[0], 0o777); err != nil {
		t.Fatal(err)
	}
	for i, st := range stages[:2] {
		states = append(states, copyDir(t, states[i]))
		if err := st.run(ctx, pipeline.NewWarehouse(localStore(t, states[i+1]), delta.Options{})); err != nil {
			t.Fatalf("healthy %s: %v", st.name, err)
		}
	}
	// Data files only: the stages read their event_id indexes too, and an
	// index that cannot be read is only not used (a cache).
	bronzeFiles, silverFiles := "ecomm_lakehouse/bronze_events_raw/*.parquet", "ecomm_lakehouse/silver_events_clean/*/*.parquet"
	tests := []struct {
		name  string
		stage int
		rule  faultstore.Rule
		cause error
	}{
		{"bronze_to_silver, EIO reading the footer of a bronze file", 1,
			faultstore.Rule{Ops: []faultstore.Op{faultstore.OpReadAt}, Name: bronzeFiles, Nth: 1, Err: eio}, syscall.EIO},
		{"bronze_to_silver, EIO reading a column chunk of a bronze file", 1,
			faultstore.Rule{Ops: []faultstore.Op{faultstore.OpReadAt}, Name: bronzeFiles, Nth: 4, Err: eio}, syscall.EIO},
		{"bronze_to_silver, store crashed while reading a bronze file", 1,
			faultstore.Rule{Ops: []faultstore.Op{faultstore.OpReadAt}, Name: bronzeFiles, Nth: 4, Action: faultstore.CrashBefore}, faultstore.ErrCrashed},
		{"silver_to_gold, EIO reading a silver file", 2,
			faultstore.Rule{Ops: []faultstore.Op{faultstore.OpReadAt}, Name: silverFiles, Nth: 1, Err: eio}, syscall.EIO},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fst := faultstore.New(localStore(t, copyDir(t, states[tt.stage])))
			if err := fst.Inject(tt.rule); err != nil {
				t.Fatal(err)
			}
			err := stages[tt.stage].run(ctx, pipeline.NewWarehouse(fst, delta.Options{}))
			if err == nil {
				t.Fatalf("%s succeeded despite the injected read failure", stages[tt.stage].name)
			}
			if !errors.Is(err, tt.cause) || errors.Is(err, delta.ErrCorrupt) {
				t.Fatalf("a failed read of a data file: errors.Is(err, %v) = %v (want true), errors.Is(err, delta.ErrCorrupt) = %v (want false); err = %v",
					tt.cause, errors.Is(err, tt.cause), errors.Is(err, delta.ErrCorrupt), err)
			}
		})
	}
}
