package delta

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// fileRanges exposes what an add action says about its columns: partition
// values are constants, stats give min/max and null counts. The stats JSON
// is parsed on first use: most predicates (partition filters, True) never
// look at it.
type fileRanges struct {
	s      *Snapshot
	add    *Add
	stats  *Stats
	parsed bool // stats holds the add's parsed stats
}

func (s *Snapshot) fileRanges(a *Add) *fileRanges { return &fileRanges{s: s, add: a} }

// parsedStats returns the add's statistics, nil when it has none.
func (r *fileRanges) parsedStats() *Stats {
	if !r.parsed {
		r.stats, r.parsed = r.add.ParsedStats(), true
	}
	return r.stats
}

func (r *fileRanges) constant(idx int) (any, bool) {
	f := r.s.schema.Fields[idx]
	if !slices.Contains(r.s.metadata.PartitionColumns, f.Name) {
		return nil, false
	}
	name := r.s.storedName(idx)
	p, ok := r.add.PartitionValues[name]
	if !ok {
		for k, v := range r.add.PartitionValues {
			if strings.EqualFold(k, name) {
				p, ok = v, true
			}
		}
	}
	if !ok {
		return nil, true
	}
	v, err := r.s.table.partitionValue(f.Type, p)
	if err != nil {
		return nil, false
	}
	return v, true
}

// fileConstant returns the one value column idx holds in every row of the
// file: its partition value, or equal min and max statistics without nulls,
// for the types whose statistics are exact — integers, dates, booleans,
// decimals, and strings shorter than the prefix statistics keep (so never
// truncated). Timestamps (truncated to milliseconds) and floats never are.
func (r *fileRanges) fileConstant(idx int) (any, bool) {
	if v, ok := r.constant(idx); ok {
		return v, true
	}
	st := r.parsedStats()
	if st == nil || (st.TightBounds != nil && !*st.TightBounds) {
		return nil, false
	}
	switch r.s.schema.Fields[idx].Type.Kind {
	case column.Byte, column.Short, column.Int, column.Long, column.Date, column.Decimal, column.Boolean, column.String:
	default:
		return nil, false
	}
	if nulls, rows, ok := r.nulls(idx); !ok || nulls != 0 || rows == 0 {
		return nil, false
	}
	lo, hi, ok := r.minMax(idx)
	if !ok {
		return nil, false
	}
	switch x := lo.(type) {
	case int64, bool:
		if lo != hi {
			return nil, false
		}
	case string:
		if y, ok := hi.(string); !ok || x != y || utf8.RuneCountInString(x) >= statsStringPrefix {
			return nil, false
		}
	default: // wide decimals
		return nil, false
	}
	return lo, true
}

func (r *fileRanges) minMax(idx int) (any, any, bool) {
	st := r.parsedStats()
	if st == nil || st.MinValues == nil || st.MaxValues == nil {
		return nil, nil, false
	}
	f := r.s.schema.Fields[idx]
	name := r.s.storedName(idx)
	lo, ok1 := statToTyped(f.Type, st.MinValues[name])
	hi, ok2 := statToTyped(f.Type, st.MaxValues[name])
	if !ok1 || !ok2 {
		return nil, nil, false
	}
	if f.Type.Kind == column.Timestamp || f.Type.Kind == column.TimestampNTZ {
		hi = hi.(int64) + 999 // stats are truncated to milliseconds
	}
	return lo, hi, true
}

func (r *fileRanges) nulls(idx int) (int64, int64, bool) {
	st := r.parsedStats()
	if st == nil || !st.hasNumRecords || st.NullCount == nil {
		return 0, 0, false
	}
	n, ok := st.NullCount[r.s.storedName(idx)].(json.Number)
	if !ok {
		return 0, 0, false
	}
	v, err := n.Int64()
	if err != nil {
		return 0, 0, false
	}
	return v, st.NumRecords, true
}

// statToTyped converts a parsed stats value to the column's typed form.
func statToTyped(t *column.Type, v any) (any, bool) {
	switch x := v.(type) {
	case json.Number:
		s := x.String()
		tv, err := ParsePartitionValue(t, &s)
		return tv, err == nil && tv != nil
	case string:
		if t.Kind == column.String {
			return x, true
		}
		tv, err := ParsePartitionValue(t, &x)
		return tv, err == nil && tv != nil
	case bool:
		return x, t.Kind == column.Boolean
	}
	return nil, false
}
