package delta

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/ecomm-lakehouse/lakehouse/internal/parquetio"
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

// statsPlan says which columns of a data file get statistics, following
// Spark's defaults: min/max for the first numIndexed leaf columns (or the
// explicit statsCols list) of skipping-eligible types; nullCount for those
// columns too.
type statsPlan struct {
	cols   []int // positions in the file schema
	bounds []string
}

func newStatsPlan(schema *column.Schema, numIndexed int, statsCols []string) statsPlan {
	var p statsPlan
	for i, f := range schema.Fields {
		if statsCols != nil {
			if !slices.Contains(statsCols, f.Name) {
				continue
			}
		} else if numIndexed >= 0 && len(p.cols) >= numIndexed {
			break
		}
		if !f.Type.IsPrimitive() {
			continue
		}
		p.cols = append(p.cols, i)
		if minMaxEligible(f.Type) {
			p.bounds = append(p.bounds, f.Name)
		}
	}
	if p.bounds == nil {
		p.bounds = []string{}
	}
	return p
}

func minMaxEligible(t *column.Type) bool {
	switch t.Kind {
	case column.Byte, column.Short, column.Int, column.Long, column.Float, column.Double,
		column.Date, column.Timestamp, column.TimestampNTZ, column.String:
		return true
	case column.Decimal:
		return t.Precision <= 18
	}
	return false
}

// json renders a file's statistics the way Spark writes them, from the
// column chunk statistics of the Parquet file.
func (p statsPlan) json(schema *column.Schema, cs []parquetio.ColumnStats, rows int64) string {
	o := newJSONObject(nil)
	o.int("numRecords", rows)
	mins, maxs := newJSONObject(nil), newJSONObject(nil)
	nulls := newJSONObject(nil)
	for _, i := range p.cols {
		f := schema.Fields[i]
		c := cs[i]
		nulls.int(f.Name, c.NullCount)
		if !c.HasBounds || !minMaxEligible(f.Type) {
			continue
		}
		lo, hi, ok := plainStats(f.Type, c.Min, c.Max)
		if !ok {
			continue
		}
		mins.raw(f.Name, lo)
		if hi != nil {
			maxs.raw(f.Name, hi)
		}
	}
	o.raw("minValues", mins.bytes())
	o.raw("maxValues", maxs.bytes())
	o.raw("nullCount", nulls.bytes())
	return string(o.bytes())
}

// plainStats renders PLAIN-encoded bounds as stats JSON values; hi is nil
// when no upper bound can be written (an over-long string).
func plainStats(t *column.Type, minB, maxB []byte) (lo, hi []byte, ok bool) {
	i32 := func(b []byte) int64 { return int64(int32(binary.LittleEndian.Uint32(b))) }
	i64 := func(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) }
	switch t.Kind {
	case column.String:
		lo = appendJSONString(nil, truncateMin(minB))
		if mx, ok := truncateMax(maxB); ok {
			hi = appendJSONString(nil, mx)
		}
		return lo, hi, true
	case column.Float, column.Double:
		var a, b float64
		if t.Kind == column.Float {
			a, b = float64(math.Float32frombits(binary.LittleEndian.Uint32(minB))), float64(math.Float32frombits(binary.LittleEndian.Uint32(maxB)))
		} else {
			a, b = math.Float64frombits(binary.LittleEndian.Uint64(minB)), math.Float64frombits(binary.LittleEndian.Uint64(maxB))
		}
		if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
			return nil, nil, false
		}
		bits := 64
		if t.Kind == column.Float {
			bits = 32
		}
		return strconv.AppendFloat(nil, a, 'g', -1, bits), strconv.AppendFloat(nil, b, 'g', -1, bits), true
	case column.Byte, column.Short, column.Int, column.Date:
		return statValue(t, i32(minB), false), statValue(t, i32(maxB), true), true
	case column.Decimal:
		if t.Precision <= 9 {
			return statValue(t, i32(minB), false), statValue(t, i32(maxB), true), true
		}
		return statValue(t, i64(minB), false), statValue(t, i64(maxB), true), true
	case column.Long, column.Timestamp, column.TimestampNTZ:
		return statValue(t, i64(minB), false), statValue(t, i64(maxB), true), true
	}
	return nil, nil, false
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
