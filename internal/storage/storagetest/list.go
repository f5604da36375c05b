package storagetest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecomm-lakehouse/lakehouse/internal/storage"
)

// listFixture has names whose byte order differs from a directory walk's:
// '-' (0x2d) < '.' (0x2e) < '/' (0x2f) < '0' (0x30).
var listFixture = []string{
	"t/_delta_log/00000000000000000000.json",
	"t/_delta_log/00000000000000000001.json",
	"t/_delta_log/00000000000000000002.checkpoint.parquet",
	"t/_delta_log/00000000000000000010.json",
	"t/_delta_log/_last_checkpoint",
	"t/part-000.parquet",
	"t/date=2024-01-01/part-000.parquet",
	"t/date=2024-01-02/part-000.parquet",
	"t.b/x",
	"t-a",
	"t0",
	"u/v/w/x/y",
	"z z/100% =ü.txt",
}

func testList(t *testing.T, s storage.Store) {
	for _, name := range listFixture {
		mustPut(t, s, name, []byte(name))
	}
	tests := []struct {
		name       string
		prefix     string
		startAfter string
		want       []string
	}{
		{name: "everything", want: []string{
			"t-a", "t.b/x",
			"t/_delta_log/00000000000000000000.json",
			"t/_delta_log/00000000000000000001.json",
			"t/_delta_log/00000000000000000002.checkpoint.parquet",
			"t/_delta_log/00000000000000000010.json",
			"t/_delta_log/_last_checkpoint",
			"t/date=2024-01-01/part-000.parquet",
			"t/date=2024-01-02/part-000.parquet",
			"t/part-000.parquet",
			"t0", "u/v/w/x/y", "z z/100% =ü.txt",
		}},
		{name: "string prefix, not a directory", prefix: "t", want: []string{
			"t-a", "t.b/x",
			"t/_delta_log/00000000000000000000.json",
			"t/_delta_log/00000000000000000001.json",
			"t/_delta_log/00000000000000000002.checkpoint.parquet",
			"t/_delta_log/00000000000000000010.json",
			"t/_delta_log/_last_checkpoint",
			"t/date=2024-01-01/part-000.parquet",
			"t/date=2024-01-02/part-000.parquet",
			"t/part-000.parquet",
			"t0",
		}},
		{name: "directory prefix", prefix: "t/_delta_log/", want: []string{
			"t/_delta_log/00000000000000000000.json",
			"t/_delta_log/00000000000000000001.json",
			"t/_delta_log/00000000000000000002.checkpoint.parquet",
			"t/_delta_log/00000000000000000010.json",
			"t/_delta_log/_last_checkpoint",
		}},
		{name: "prefix inside a file name", prefix: "t/_delta_log/0000000000000000000", want: []string{
			"t/_delta_log/00000000000000000000.json",
			"t/_delta_log/00000000000000000001.json",
			"t/_delta_log/00000000000000000002.checkpoint.parquet",
		}},
		{name: "prefix inside a directory name", prefix: "t/date=", want: []string{
			"t/date=2024-01-01/part-000.parquet",
			"t/date=2024-01-02/part-000.parquet",
		}},
		{name: "start after a name", prefix: "t/_delta_log/", startAfter: "t/_delta_log/00000000000000000001.json", want: []string{
			"t/_delta_log/00000000000000000002.checkpoint.parquet",
			"t/_delta_log/00000000000000000010.json",
			"t/_delta_log/_last_checkpoint",
		}},
		{name: "start after a non-name", prefix: "t/_delta_log/", startAfter: "t/_delta_log/00000000000000000003", want: []string{
			"t/_delta_log/00000000000000000010.json",
			"t/_delta_log/_last_checkpoint",
		}},
		{name: "start after a directory", prefix: "t/", startAfter: "t/date=2024-01-01/", want: []string{
			"t/date=2024-01-01/part-000.parquet",
			"t/date=2024-01-02/part-000.parquet",
			"t/part-000.parquet",
		}},
		{name: "start after skips a directory", prefix: "t/", startAfter: "t/date=2024-01-01/part-000.parquet", want: []string{
			"t/date=2024-01-02/part-000.parquet",
			"t/part-000.parquet",
		}},
		{name: "start after before the prefix", prefix: "t/_delta_log/_", startAfter: "a", want: []string{
			"t/_delta_log/_last_checkpoint",
		}},
		{name: "start after everything", startAfter: "zzz"},
		{name: "start after the last name", prefix: "t/_delta_log/", startAfter: "t/_delta_log/_last_checkpoint"},
		{name: "nested", prefix: "u/", want: []string{"u/v/w/x/y"}},
		{name: "nested partial", prefix: "u/v/w/x/", want: []string{"u/v/w/x/y"}},
		{name: "full name as prefix", prefix: "t/part-000.parquet", want: []string{"t/part-000.parquet"}},
		{name: "below an object", prefix: "t/part-000.parquet/"},
		{name: "unicode and spaces", prefix: "z z/100% =ü", want: []string{"z z/100% =ü.txt"}},
		{name: "missing directory", prefix: "nope/"},
		{name: "missing nested directory", prefix: "nope/deeper/x"},
		{name: "no match in existing directory", prefix: "t/_delta_log/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			infos, err := s.List(t.Context(), tt.prefix, tt.startAfter)
			if err != nil {
				t.Fatalf("List(%q, %q) = %v", tt.prefix, tt.startAfter, err)
			}
			var got []string
			for _, info := range infos {
				got = append(got, info.Name)
				if info.Size != int64(len(info.Name)) {
					t.Errorf("List: %s has size %d, want %d", info.Name, info.Size, len(info.Name))
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("List(%q, %q) (-want +got):\n%s", tt.prefix, tt.startAfter, diff)
			}
		})
	}
}

func testListEmptyStore(t *testing.T, s storage.Store) {
	for _, prefix := range []string{"", "t/", "t/_delta_log/0"} {
		infos, err := s.List(t.Context(), prefix, "")
		if err != nil {
			t.Fatalf("List(%q) on an empty store = %v", prefix, err)
		}
		if len(infos) != 0 {
			t.Errorf("List(%q) on an empty store = %+v, want nothing", prefix, infos)
		}
	}
}

func testDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustPut(t, s, "d/a", []byte("a"))
	mustPut(t, s, "d/b", []byte("b"))
	mustPut(t, s, "d/sub/c", []byte("c"))
	tests := []struct {
		name string
		obj  string
		want []string // what List("") shows afterwards
	}{
		{"existing", "d/a", []string{"d/b", "d/sub/c"}},
		{"again", "d/a", []string{"d/b", "d/sub/c"}},
		{"never existed", "d/zzz", []string{"d/b", "d/sub/c"}},
		{"in a missing directory", "nodir/x/y", []string{"d/b", "d/sub/c"}},
		{"below an object", "d/b/x", []string{"d/b", "d/sub/c"}},
		{"a prefix of objects", "d/sub", []string{"d/b", "d/sub/c"}},
		{"nested", "d/sub/c", []string{"d/b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Delete(ctx, tt.obj); err != nil {
				t.Fatalf("Delete(%q) = %v, want nil", tt.obj, err)
			}
			if _, err := s.Get(ctx, tt.obj); !errors.Is(err, storage.ErrNotExist) {
				t.Errorf("Get(%q) after Delete error = %v, want ErrNotExist", tt.obj, err)
			}
			if diff := cmp.Diff(tt.want, names(t, s, "")); diff != "" {
				t.Errorf("List after Delete(%q) (-want +got):\n%s", tt.obj, diff)
			}
		})
	}
}
