package column

import (
	"fmt"
	"slices"
	"testing"
)

// AppendOptBytes builds the same vector as AppendNull and AppendBytes.
func TestAppendOptBytesMatchesAppendNull(t *testing.T) {
	vals := [][]byte{[]byte("a"), nil, nil, []byte(""), []byte("bc"), nil}
	for _, lead := range []int{0, 3} { // nulls starting at the first row, or later
		got, want := NewVector(TypeString, 0), NewVector(TypeString, 0)
		for i := range lead {
			got.AppendString(fmt.Sprint(i))
			want.AppendString(fmt.Sprint(i))
		}
		for _, v := range vals {
			got.AppendOptBytes(v)
			if v == nil {
				want.AppendNull()
			} else {
				want.AppendBytes(v)
			}
		}
		if got.Len != want.Len || !slices.Equal(got.Nulls, want.Nulls) || !slices.Equal(got.Offsets, want.Offsets) || string(got.Data) != string(want.Data) {
			t.Fatalf("lead %d: AppendOptBytes gave %+v, AppendNull/AppendBytes %+v", lead, got, want)
		}
		for i, v := range vals {
			r := lead + i
			if got.IsNull(r) != (v == nil) || (v != nil && string(got.Bytes(r)) != string(v)) {
				t.Errorf("lead %d, row %d: null %v, %q", lead, r, got.IsNull(r), got.Bytes(r))
			}
		}
	}
}
