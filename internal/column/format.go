package column

import (
	"encoding/base64"
	"math"
	"math/big"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends the JSON form of a value of type t as produced by
// Vector.Value (or a nested boxed value): strings as JSON strings, integers
// and floating point as numbers (NaN and infinities as the strings Spark
// writes), decimals as strings with exactly the type's scale, dates as
// "YYYY-MM-DD", timestamps as RFC 3339 UTC with 6 fractional digits
// (timestamp_ntz without the zone), binary as base64, structs as objects,
// arrays as arrays, maps with string keys as objects (others as arrays of
// {"key","value"} objects), null as null.
func AppendJSON(dst []byte, t *Type, v any) []byte {
	if v == nil {
		return append(dst, "null"...)
	}
	switch t.Kind {
	case Boolean:
		return strconv.AppendBool(dst, v.(bool))
	case Byte, Short, Int, Long:
		return strconv.AppendInt(dst, v.(int64), 10)
	case Float, Double:
		f := v.(float64)
		switch {
		case math.IsNaN(f):
			return append(dst, `"NaN"`...)
		case math.IsInf(f, 1):
			return append(dst, `"Infinity"`...)
		case math.IsInf(f, -1):
			return append(dst, `"-Infinity"`...)
		}
		bits := 64
		if t.Kind == Float {
			bits = 32
		}
		return strconv.AppendFloat(dst, f, 'g', -1, bits)
	case String:
		switch s := v.(type) {
		case string:
			return AppendJSONString(dst, s)
		case []byte:
			return AppendJSONString(dst, string(s))
		}
	case Binary:
		b, _ := v.([]byte)
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, b)
		return append(dst, '"')
	case Date:
		return append(append(append(dst, '"'), FormatDate(v.(int64))...), '"')
	case Timestamp:
		return append(append(append(dst, '"'), FormatTimestamp(v.(int64))...), '"')
	case TimestampNTZ:
		return append(append(append(dst, '"'), FormatTimestampNTZ(v.(int64))...), '"')
	case Decimal:
		dst = append(dst, '"')
		switch x := v.(type) {
		case int64:
			dst = append(dst, FormatDecimal(big.NewInt(x), t.Scale)...)
		case *big.Int:
			dst = append(dst, FormatDecimal(x, t.Scale)...)
		}
		return append(dst, '"')
	case Struct:
		sv, _ := v.(StructValue)
		dst = append(dst, '{')
		for i, f := range t.Fields {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSONString(dst, f.Name)
			dst = append(dst, ':')
			var fv any
			if i < len(sv) {
				fv = sv[i]
			}
			dst = AppendJSON(dst, f.Type, fv)
		}
		return append(dst, '}')
	case Array:
		l, _ := v.([]any)
		dst = append(dst, '[')
		for i, e := range l {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSON(dst, t.Elem, e)
		}
		return append(dst, ']')
	case Map:
		m, _ := v.(MapValue)
		if t.Key.Kind == String {
			dst = append(dst, '{')
			for i, e := range m {
				if i > 0 {
					dst = append(dst, ',')
				}
				k, _ := e.Key.(string)
				dst = AppendJSONString(dst, k)
				dst = append(dst, ':')
				dst = AppendJSON(dst, t.Value, e.Value)
			}
			return append(dst, '}')
		}
		dst = append(dst, '[')
		for i, e := range m {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"key":`...)
			dst = AppendJSON(dst, t.Key, e.Key)
			dst = append(dst, `,"value":`...)
			dst = AppendJSON(dst, t.Value, e.Value)
			dst = append(dst, '}')
		}
		return append(dst, ']')
	}
	return append(dst, "null"...)
}

// FormatDate renders days since the epoch as YYYY-MM-DD.
func FormatDate(days int64) string {
	return time.Unix(days*86400, 0).UTC().Format("2006-01-02")
}

// FormatTimestamp renders microseconds since the epoch as RFC 3339 UTC with
// six fractional digits.
func FormatTimestamp(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.000000Z")
}

// FormatTimestampNTZ renders a zone-less timestamp with six fractional digits.
func FormatTimestampNTZ(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.000000")
}

// FormatDecimal renders an unscaled decimal with exactly scale fraction digits.
func FormatDecimal(unscaled *big.Int, scale int) string {
	s := new(big.Int).Abs(unscaled).String()
	if scale > 0 {
		for len(s) <= scale {
			s = "0" + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if unscaled.Sign() < 0 {
		s = "-" + s
	}
	return s
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string literal (without HTML escaping;
// invalid UTF-8 becomes U+FFFD).
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"':
				dst = append(dst, '\\', '"')
			case '\\':
				dst = append(dst, '\\', '\\')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
