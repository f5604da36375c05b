package mem_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/mem"
	"github.com/ecomm-lakehouse/lakehouse/internal/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return mem.New(mem.Options{}) })
}

func TestClock(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s := mem.New(mem.Options{Now: func() time.Time { return now }})
	ctx := t.Context()
	writes := []struct {
		name  string
		write func(name string) error
	}{
		{"a-put", func(name string) error { return s.Put(ctx, name, []byte("x")) }},
		{"b-put-if-absent", func(name string) error { return s.PutIfAbsent(ctx, name, []byte("x")) }},
		{"c-create", func(name string) error {
			w, err := s.Create(ctx, name)
			if err != nil {
				return err
			}
			now = now.Add(time.Minute) // the time of Close counts, not of Create
			return w.Close()
		}},
	}
	var want []storage.ObjectInfo
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			now = now.Add(time.Hour)
			if err := w.write(w.name); err != nil {
				t.Fatalf("write = %v", err)
			}
			info, err := s.Stat(ctx, w.name)
			if err != nil {
				t.Fatalf("Stat = %v", err)
			}
			if !info.ModTime.Equal(now) {
				t.Errorf("ModTime = %v, want %v", info.ModTime, now)
			}
			want = append(want, info)
		})
	}
	got, err := s.List(ctx, "", "")
	if err != nil {
		t.Fatalf("List = %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}
