package idindex

import (
	"context"
	"errors"
	"testing"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/delta"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/mem"
)

// writeTable writes rows ids over several files (3 rows a file) with an
// index of width 16 holding Hash(id), and returns the index and the adds.
func writeTable(t *testing.T, root storage.Store, ids []string) (*Index, *delta.Snapshot, []*delta.Add) {
	t.Helper()
	ctx := context.Background()
	schema := &column.Schema{Fields: []column.Field{{Name: "id", Type: column.TypeString, Nullable: true}}}
	snap, err := delta.Open(storage.Sub(root, "t/"), delta.Options{}).Create(ctx, delta.CreateOptions{Name: "t", Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	x := New(root, "test_ids", snap, 16)
	fw, err := snap.NewFileWriter(ctx, delta.WriteOptions{TargetFileRows: 3, Observer: x.Writer(ctx, func(b *column.Batch, r int, dst []byte) {
		k := Hash(b.Cols[0].Bytes(r))
		copy(dst, k[:])
	})})
	if err != nil {
		t.Fatal(err)
	}
	b := column.NewBatch(schema, len(ids))
	for _, id := range ids {
		b.Cols[0].AppendString(id)
	}
	if err := fw.Write(b); err != nil {
		t.Fatal(err)
	}
	adds, err := fw.Close()
	if err != nil {
		t.Fatal(err)
	}
	return x, snap, adds
}

// An index holds an entry per row of its file, in row order, and Load
// refuses an index that is damaged or belongs to another file.
func TestIndexRoundTripAndDamage(t *testing.T) {
	ctx := context.Background()
	root := mem.New(mem.Options{})
	ids := []string{"a", "b", "c", "d", "e", "f", "g"}
	x, snap, adds := writeTable(t, root, ids)
	if len(adds) != 3 {
		t.Fatalf("%d files", len(adds))
	}
	sc, err := snap.Scan(delta.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf []byte
	for _, a := range adds {
		entries, err := x.Load(ctx, a, &buf)
		if err != nil {
			t.Fatalf("%s: %v", a.Path, err)
		}
		var got []Key
		if err := sc.ReadFile(ctx, a, func(b *column.Batch) error {
			for r := 0; r < b.Len(); r++ {
				got = append(got, Hash(b.Cols[0].Bytes(r)))
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(entries) != 16*len(got) {
			t.Fatalf("%s: %d bytes of entries for %d rows", a.Path, len(entries), len(got))
		}
		for i, k := range got {
			if Key(entries[16*i:16*i+16]) != k {
				t.Errorf("%s, row %d: entry %x, want %x", a.Path, i, entries[16*i:16*i+16], k)
			}
		}
	}

	damage := map[string]func(root storage.Store, x *Index, adds []*delta.Add){
		"missing": func(root storage.Store, x *Index, adds []*delta.Add) { root.Delete(ctx, x.Name(adds[0].Path)) },
		"garbage": func(root storage.Store, x *Index, adds []*delta.Add) {
			root.Put(ctx, x.Name(adds[0].Path), []byte("garbage"))
		},
		"flipped byte": func(root storage.Store, x *Index, adds []*delta.Add) {
			data, _ := root.Get(ctx, x.Name(adds[0].Path))
			data[len(magic)+5] ^= 1
			root.Put(ctx, x.Name(adds[0].Path), data)
		},
		"another file's index": func(root storage.Store, x *Index, adds []*delta.Add) {
			data, _ := root.Get(ctx, x.Name(adds[1].Path)) // same rows, another size
			root.Put(ctx, x.Name(adds[0].Path), data)
		},
		"truncated": func(root storage.Store, x *Index, adds []*delta.Add) {
			data, _ := root.Get(ctx, x.Name(adds[0].Path))
			root.Put(ctx, x.Name(adds[0].Path), data[:len(data)-1])
		},
	}
	for name, f := range damage {
		root := mem.New(mem.Options{})
		x, _, adds := writeTable(t, root, ids)
		f(root, x, adds)
		if _, err := x.Load(ctx, adds[0], &buf); err == nil {
			t.Errorf("%s: index accepted", name)
		}
		if _, err := x.Load(ctx, adds[2], &buf); err != nil {
			t.Errorf("%s: an intact index refused: %v", name, err)
		}
	}
	// Another width reads as a bad index.
	wide := &Index{store: x.store, prefix: x.prefix, width: 24}
	if _, err := wide.Load(ctx, adds[2], &buf); !errors.Is(err, ErrBad) {
		t.Errorf("an index read with another width: %v", err)
	}
	// Rewrite keeps the checksum valid, so Load accepts the lie: readers
	// must verify (the stages' tests use it).
	if err := x.Rewrite(ctx, adds[2], func(e []byte) { e[0] ^= 1 }); err != nil {
		t.Fatal(err)
	}
	if e, err := x.Load(ctx, adds[2], &buf); err != nil || Key(e[:16]) == Hash([]byte("g")) {
		t.Errorf("rewritten index: %v", err)
	}
}
