package delta

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
)

// hiveNull is Spark's directory name for a null partition value.
const hiveNull = "__HIVE_DEFAULT_PARTITION__"

// FormatPartitionValue renders a typed value (as stored in a Vector: int64
// for integers, dates, timestamps and small decimals) as a partition value
// string. nil stays nil (null).
func FormatPartitionValue(t *column.Type, v any) (*string, error) {
	if v == nil {
		return nil, nil
	}
	var s string
	switch t.Kind {
	case column.String:
		s = fmt.Sprint(v)
		if s == "" {
			return nil, nil // Hive cannot tell "" from null; Spark writes null
		}
	case column.Byte, column.Short, column.Int, column.Long:
		s = strconv.FormatInt(v.(int64), 10)
	case column.Boolean:
		s = strconv.FormatBool(v.(bool))
	case column.Float:
		s = strconv.FormatFloat(v.(float64), 'g', -1, 32)
	case column.Double:
		s = strconv.FormatFloat(v.(float64), 'g', -1, 64)
	case column.Date:
		s = FormatDate(v.(int64))
	case column.Timestamp:
		s = column.FormatTimestamp(v.(int64))
	case column.TimestampNTZ:
		s = time.UnixMicro(v.(int64)).UTC().Format("2006-01-02 15:04:05.000000")
	case column.Decimal:
		switch x := v.(type) {
		case int64:
			s = FormatDecimal(x, t.Scale)
		case *big.Int:
			s = formatBigDecimal(x, t.Scale)
		}
	case column.Binary:
		s = string(v.([]byte))
	default:
		return nil, fmt.Errorf("cannot partition by a %s column", t)
	}
	return &s, nil
}

func formatBigDecimal(x *big.Int, scale int) string { return column.FormatDecimal(x, scale) }

// ParsePartitionValue converts a partition value string into the typed value
// a Vector stores (see FormatPartitionValue). nil and "" mean null.
// Timestamps without a zone are read as UTC.
func ParsePartitionValue(t *column.Type, p *string) (any, error) {
	return parsePartitionValueIn(t, p, time.UTC)
}

// parsePartitionValueIn is ParsePartitionValue with the zone in which
// zone-less timestamp values are read (Spark writes them in the writer's
// session time zone).
func parsePartitionValueIn(t *column.Type, p *string, loc *time.Location) (any, error) {
	if p == nil || *p == "" {
		return nil, nil
	}
	s := *p
	bad := func(err error) error {
		return fmt.Errorf("%w: partition value %q is not a valid %s: %v", ErrCorrupt, s, t, err)
	}
	switch t.Kind {
	case column.String:
		return s, nil
	case column.Binary:
		return []byte(s), nil
	case column.Byte, column.Short, column.Int, column.Long:
		bits := map[column.Kind]int{column.Byte: 8, column.Short: 16, column.Int: 32, column.Long: 64}[t.Kind]
		x, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			// some writers render integral partitions as 1.0
			f, ferr := strconv.ParseFloat(s, 64)
			if ferr != nil || f != float64(int64(f)) {
				return nil, bad(err)
			}
			x = int64(f)
		}
		return x, nil
	case column.Boolean:
		x, err := strconv.ParseBool(strings.ToLower(s))
		if err != nil {
			return nil, bad(err)
		}
		return x, nil
	case column.Float, column.Double:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, bad(err)
		}
		return x, nil
	case column.Date:
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			return nil, bad(err)
		}
		return floorDiv(d.Unix(), 86400), nil
	case column.Timestamp, column.TimestampNTZ:
		if t.Kind == column.TimestampNTZ {
			loc = time.UTC
		}
		us, err := parseTimestampValue(s, loc)
		if err != nil {
			return nil, bad(err)
		}
		return us, nil
	case column.Decimal:
		x, err := parseDecimal(s, t.Scale)
		if err != nil {
			return nil, bad(err)
		}
		if t.Precision <= 18 {
			if !x.IsInt64() {
				return nil, bad(fmt.Errorf("out of range"))
			}
			return x.Int64(), nil
		}
		return x, nil
	}
	return nil, fmt.Errorf("cannot read a %s partition column", t)
}

var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseTimestampValue parses the timestamp forms found in partition values
// and stats; values without an offset are taken as UTC.
func parseTimestampValue(s string, loc *time.Location) (int64, error) {
	var firstErr error
	for _, l := range timestampLayouts {
		t, err := time.ParseInLocation(l, s, loc)
		if err == nil {
			return t.UnixMicro(), nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return 0, firstErr
}

// parseDecimal parses decimal text into an unscaled integer at scale.
func parseDecimal(s string, scale int) (*big.Int, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("not a number")
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	if !r.IsInt() {
		return nil, fmt.Errorf("more than %d fraction digits", scale)
	}
	return r.Num(), nil
}

// escapePartitionName applies Hive's path escaping to a partition column
// name or value, as Spark does when it names partition directories.
func escapePartitionName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7F || strings.IndexByte("\"#%'*/:=?\\{[]^", c) >= 0 {
			b.WriteByte('%')
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&0xF])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// partitionDir returns the Hive-style directory of a file with these
// partition values, e.g. "event_date=2026-11-20/".
func partitionDir(cols []string, values map[string]*string) string {
	var b strings.Builder
	for _, c := range cols {
		b.WriteString(escapePartitionName(c))
		b.WriteByte('=')
		if v := values[c]; v == nil {
			b.WriteString(hiveNull)
		} else {
			b.WriteString(escapePartitionName(*v))
		}
		b.WriteByte('/')
	}
	return b.String()
}
