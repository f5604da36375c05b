package storage_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/local"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/mem"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/storagetest"
)

// neighbours are objects just outside the view "tables/t1" whose names a
// careless prefix match would take in.
var neighbours = []string{"tables/t0/x", "tables/t1.x", "tables/t10/x", "tables/t1x/y", "tables/t2", "other"}

func TestSubConformanceMem(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		inner := mem.New(mem.Options{})
		for _, name := range neighbours {
			if err := inner.Put(t.Context(), name, []byte("neighbour")); err != nil {
				t.Fatal(err)
			}
		}
		return storage.Sub(inner, "tables/t1")
	})
}

func TestSubConformanceLocal(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		inner, err := local.New(t.TempDir(), local.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range neighbours {
			if err := inner.Put(t.Context(), name, []byte("neighbour")); err != nil {
				t.Fatal(err)
			}
		}
		return storage.Sub(storage.Sub(inner, "tables/"), "t1")
	})
}

func TestSubNames(t *testing.T) {
	ctx := t.Context()
	inner := mem.New(mem.Options{})
	for _, name := range neighbours {
		if err := inner.Put(ctx, name, []byte("n")); err != nil {
			t.Fatal(err)
		}
	}
	v := storage.Sub(inner, "tables/t1/")
	if err := v.Put(ctx, "_delta_log/00000000000000000000.json", []byte("{}")); err != nil {
		t.Fatalf("Put = %v", err)
	}
	if err := v.PutIfAbsent(ctx, "part-0.parquet", []byte("pq")); err != nil {
		t.Fatalf("PutIfAbsent = %v", err)
	}

	infos, err := inner.List(ctx, "tables/t1/", "")
	if err != nil {
		t.Fatalf("List = %v", err)
	}
	var got []string
	for _, info := range infos {
		got = append(got, info.Name)
	}
	want := []string{"tables/t1/_delta_log/00000000000000000000.json", "tables/t1/part-0.parquet"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inner names (-want +got):\n%s", diff)
	}

	infos, err = v.List(ctx, "", "_delta_log/00000000000000000000.json")
	if err != nil {
		t.Fatalf("List = %v", err)
	}
	if len(infos) != 1 || infos[0].Name != "part-0.parquet" {
		t.Errorf("view List after startAfter = %+v, want part-0.parquet only", infos)
	}
	info, err := v.Stat(ctx, "part-0.parquet")
	if err != nil || info.Name != "part-0.parquet" {
		t.Errorf("view Stat = %+v, %v; want relative name part-0.parquet", info, err)
	}
	if got := storage.Sub(inner, ""); got != storage.Store(inner) {
		t.Errorf("Sub with an empty prefix is not the store itself")
	}
}

func TestSubInvalidPrefix(t *testing.T) {
	inner := mem.New(mem.Options{})
	for _, prefix := range []string{"/abs", "a//b", "../up", "a/./b"} {
		t.Run(prefix, func(t *testing.T) {
			v := storage.Sub(inner, prefix)
			if err := v.Put(t.Context(), "x", []byte("x")); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("Put through Sub(%q) error = %v, want ErrInvalidName", prefix, err)
			}
			if _, err := v.List(t.Context(), "", ""); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("List through Sub(%q) error = %v, want ErrInvalidName", prefix, err)
			}
		})
	}
}
