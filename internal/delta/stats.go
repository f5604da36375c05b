package delta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// Stats are the per-file statistics of an add action.
type Stats struct {
	NumRecords  int64          `json:"numRecords"`
	MinValues   map[string]any `json:"minValues,omitempty"`
	MaxValues   map[string]any `json:"maxValues,omitempty"`
	NullCount   map[string]any `json:"nullCount,omitempty"`
	TightBounds *bool          `json:"tightBounds,omitempty"`

	hasNumRecords bool
}

// ParseStats decodes the stats JSON string of an add action. Numbers are
// kept as json.Number so that decimals and longs keep their precision.
func ParseStats(s string) (*Stats, error) {
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var raw map[string]any
	if err := d.Decode(&raw); err != nil {
		return nil, fmt.Errorf("parse stats: %w", err)
	}
	st := &Stats{}
	if n, ok := raw["numRecords"].(json.Number); ok {
		v, err := n.Int64()
		if err != nil {
			return nil, fmt.Errorf("parse stats: numRecords %s", n)
		}
		st.NumRecords, st.hasNumRecords = v, true
	}
	st.MinValues, _ = raw["minValues"].(map[string]any)
	st.MaxValues, _ = raw["maxValues"].(map[string]any)
	st.NullCount, _ = raw["nullCount"].(map[string]any)
	if b, ok := raw["tightBounds"].(bool); ok {
		st.TightBounds = &b
	}
	return st, nil
}

// Stats returns the parsed statistics of the file, or nil when it has none.
func (a *Add) ParsedStats() *Stats {
	if a.statsParsed != nil {
		return a.statsParsed
	}
	if a.Stats == "" {
		return nil
	}
	st, err := ParseStats(a.Stats)
	if err != nil {
		return nil
	}
	return st
}

// NumRecords returns the file's row count from its stats, if known.
func (a *Add) NumRecords() (int64, bool) {
	st := a.ParsedStats()
	if st == nil || !st.hasNumRecords {
		return 0, false
	}
	return st.NumRecords, true
}

// Spark's stats limits (see the protocol digest §6).
const (
	statsStringPrefix  = 32
	statsMaxPrefix     = 64
	defaultIndexedCols = 32
)

// statsAcc accumulates column statistics for one data file.
type statsAcc struct {
	rows int64
	cols []colAcc
}

type colAcc struct {
	name   string
	idx    int // position in the written schema
	typ    *column.Type
	minmax bool // skipping-eligible type
	nulls  int64
	has    bool // a non-null value was seen
	bad    bool // NaN or ±Inf seen: no float bounds
	minI   int64
	maxI   int64
	minF   float64
	maxF   float64
	minS   []byte
	maxS   []byte
}

// newStatsAcc prepares statistics for the columns of schema (the file's
// columns, partition columns excluded) following Spark's defaults: the first
// numIndexed leaf columns, or the explicit statsCols list.
func newStatsAcc(schema *column.Schema, numIndexed int, statsCols []string) *statsAcc {
	acc := &statsAcc{}
	for i, f := range schema.Fields {
		if statsCols != nil {
			found := false
			for _, c := range statsCols {
				if c == f.Name {
					found = true
				}
			}
			if !found {
				continue
			}
		} else if numIndexed >= 0 && len(acc.cols) >= numIndexed {
			break
		}
		if !f.Type.IsPrimitive() {
			continue
		}
		eligible := false
		switch f.Type.Kind {
		case column.Byte, column.Short, column.Int, column.Long, column.Float, column.Double,
			column.Decimal, column.Date, column.Timestamp, column.TimestampNTZ, column.String:
			eligible = f.Type.Kind != column.Decimal || f.Type.Precision <= 18
		}
		acc.cols = append(acc.cols, colAcc{name: f.Name, idx: i, typ: f.Type, minmax: eligible})
	}
	return acc
}

func (acc *statsAcc) add(b *column.Batch, start, end int) {
	acc.rows += int64(end - start)
	for ci := range acc.cols {
		c := &acc.cols[ci]
		v := b.Cols[c.idx]
		nullable := v.Nulls != nil
		switch {
		case !c.minmax:
			if nullable {
				for i := start; i < end; i++ {
					if v.Nulls[i] {
						c.nulls++
					}
				}
			}
		case v.Ints != nil:
			for i := start; i < end; i++ {
				if nullable && v.Nulls[i] {
					c.nulls++
					continue
				}
				x := v.Ints[i]
				if !c.has {
					c.minI, c.maxI, c.has = x, x, true
				} else if x < c.minI {
					c.minI = x
				} else if x > c.maxI {
					c.maxI = x
				}
			}
		case v.Floats != nil:
			for i := start; i < end; i++ {
				if nullable && v.Nulls[i] {
					c.nulls++
					continue
				}
				x := v.Floats[i]
				if math.IsNaN(x) || math.IsInf(x, 0) {
					c.bad = true
					continue
				}
				if !c.has {
					c.minF, c.maxF, c.has = x, x, true
				} else if x < c.minF {
					c.minF = x
				} else if x > c.maxF {
					c.maxF = x
				}
			}
		case v.Offsets != nil:
			for i := start; i < end; i++ {
				if nullable && v.Nulls[i] {
					c.nulls++
					continue
				}
				s := v.Bytes(i)
				if !c.has {
					c.minS = append(c.minS[:0], s...)
					c.maxS = append(c.maxS[:0], s...)
					c.has = true
				} else if bytes.Compare(s, c.minS) < 0 {
					c.minS = append(c.minS[:0], s...)
				} else if bytes.Compare(s, c.maxS) > 0 {
					c.maxS = append(c.maxS[:0], s...)
				}
			}
		}
	}
}

// json renders the statistics the way Spark writes them.
func (acc *statsAcc) json() string {
	o := newJSONObject(nil)
	o.int("numRecords", acc.rows)
	mins, maxs := newJSONObject(nil), newJSONObject(nil)
	nulls := newJSONObject(nil)
	for ci := range acc.cols {
		c := &acc.cols[ci]
		nulls.int(c.name, c.nulls)
		if !c.minmax || !c.has || (c.bad && c.typ.Kind != column.String && (c.typ.Kind == column.Float || c.typ.Kind == column.Double)) {
			continue
		}
		switch c.typ.Kind {
		case column.Float, column.Double:
			bits := 64
			if c.typ.Kind == column.Float {
				bits = 32
			}
			mins.raw(c.name, strconv.AppendFloat(nil, c.minF, 'g', -1, bits))
			maxs.raw(c.name, strconv.AppendFloat(nil, c.maxF, 'g', -1, bits))
		case column.String:
			mins.str(c.name, truncateMin(c.minS))
			if mx, ok := truncateMax(c.maxS); ok {
				maxs.str(c.name, mx)
			}
		default:
			mins.raw(c.name, statValue(c.typ, c.minI, false))
			maxs.raw(c.name, statValue(c.typ, c.maxI, true))
		}
	}
	o.raw("minValues", mins.bytes())
	o.raw("maxValues", maxs.bytes())
	o.raw("nullCount", nulls.bytes())
	return string(o.bytes())
}

// statValue renders an int-stored value as a stats JSON value. Timestamps
// are written with millisecond precision; an upper bound is rounded up so
// that it still bounds the data for readers that do not widen it.
func statValue(t *column.Type, x int64, upper bool) []byte {
	switch t.Kind {
	case column.Date:
		return appendJSONString(nil, FormatDate(x))
	case column.Timestamp, column.TimestampNTZ:
		ms := floorDiv(x, 1000)
		if upper && x%1000 != 0 {
			ms++
		}
		s := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000")
		if t.Kind == column.Timestamp {
			s += "Z"
		}
		return appendJSONString(nil, s)
	case column.Decimal:
		return []byte(FormatDecimal(x, t.Scale))
	}
	return strconv.AppendInt(nil, x, 10)
}

// truncateMin returns the 32-character prefix of s (a valid lower bound).
func truncateMin(s []byte) string {
	n, i := 0, 0
	for i < len(s) && n < statsStringPrefix {
		_, size := utf8.DecodeRune(s[i:])
		i += size
		n++
	}
	return string(s[:i])
}

// truncateMax returns an upper bound of s of at most statsMaxPrefix
// characters: s itself when short, else a prefix plus a tie-breaker
// character larger than the character it replaces.
func truncateMax(s []byte) (string, bool) {
	if utf8.RuneCount(s) <= statsStringPrefix {
		return string(s), true
	}
	n, i := 0, 0
	for i < len(s) && n < statsMaxPrefix {
		r, size := utf8.DecodeRune(s[i:])
		if n >= statsStringPrefix {
			if r < 0x7F {
				return string(s[:i]) + "\u007f", true
			}
			if r < utf8.MaxRune {
				return string(s[:i]) + string(utf8.MaxRune), true
			}
		}
		i += size
		n++
	}
	return "", false
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// FormatDate renders days since the epoch as YYYY-MM-DD.
func FormatDate(days int64) string { return column.FormatDate(days) }

// FormatDecimal renders an unscaled decimal with exactly scale fraction digits.
func FormatDecimal(unscaled int64, scale int) string {
	return column.FormatDecimal(big.NewInt(unscaled), scale)
}

// formatMicrosUTC renders a timestamp as RFC 3339 UTC with microseconds.
func formatMicrosUTC(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.000000Z")
}
