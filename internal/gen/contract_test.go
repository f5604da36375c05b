package gen

// An independent reading of contracts/event.md for the tests: it decodes a
// line with encoding/json and lists the reasons it breaks, in the contract's
// order. It deliberately shares no code with the generator (and does not
// import internal/event).

import (
	"bytes"
	"encoding/json"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

var contractStringFields = []string{
	"event_id", "event_ts", "event_name", "user_id", "session_id", "device_type", "platform", "country",
	"region", "city", "utm_source", "utm_medium", "utm_campaign", "product_id", "category",
}

// contractFieldOrder is the fields table's order, for invalid_type codes.
var contractFieldOrder = []string{
	"event_id", "event_ts", "event_name", "user_id", "session_id", "device_type", "platform", "country",
	"region", "city", "utm_source", "utm_medium", "utm_campaign", "product_id", "category", "price",
	"quantity", "currency", "order_id",
}

var validEventNames = map[string]bool{
	"page_view": true, "product_view": true, "add_to_cart": true, "checkout_started": true, "purchase": true,
}

var (
	tsPattern       = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{0,9})?(Z|[+-]\d{2}:?\d{2})?$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
	maxDecimal      = new(big.Rat).SetFrac64(999999999999999999, 100)
	maxQuantity     = big.NewInt(1<<31 - 1)
)

// record is a decoded line.
type record map[string]any

// decodeLine parses a line as one JSON object (numbers kept as json.Number).
func decodeLine(line []byte) (record, bool) {
	if !utf8.Valid(line) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if dec.More() {
		return nil, false
	}
	if _, err := dec.Token(); err == nil {
		return nil, false // trailing data
	}
	m, ok := v.(map[string]any)
	return record(m), ok
}

func (r record) str(k string) string {
	s, _ := r[k].(string)
	return s
}

// missing: absent, null, or an empty string.
func (r record) missing(k string) bool {
	v, ok := r[k]
	if !ok || v == nil {
		return true
	}
	s, isStr := v.(string)
	return isStr && s == ""
}

// contractReason returns the reason string the contract gives line, or ""
// for a valid event, and the decoded object (nil when malformed).
func contractReason(line []byte) (string, record) {
	r, ok := decodeLine(line)
	if !ok {
		return "malformed_json", nil
	}
	return recordReason(r), r
}

func recordReason(r record) string {
	var reasons []string
	for _, k := range []string{"event_id", "event_ts", "event_name", "user_id"} {
		if _, wrong := wrongType(r, k); !wrong && r.missing(k) {
			reasons = append(reasons, "missing_"+k)
		}
	}
	wrong := map[string]bool{}
	for _, k := range contractFieldOrder {
		if _, w := wrongType(r, k); w {
			reasons = append(reasons, "invalid_type:"+k)
			wrong[k] = true
		}
	}
	if !wrong["event_ts"] && !r.missing("event_ts") && !validTimestamp(r.str("event_ts")) {
		reasons = append(reasons, "invalid_event_ts")
	}
	name := r.str("event_name")
	nameValid := validEventNames[name]
	if !wrong["event_name"] && !r.missing("event_name") && !nameValid {
		reasons = append(reasons, "invalid_event_name")
	}
	if n, ok := r["price"].(json.Number); ok {
		p, ok := new(big.Rat).SetString(string(n))
		if ok && p.Sign() < 0 {
			reasons = append(reasons, "negative_price")
		}
		if ok && new(big.Rat).Abs(p).Cmp(maxDecimal) > 0 {
			// Rounded half-up to cents, it no longer fits decimal(18,2).
			cents := new(big.Rat).Mul(new(big.Rat).Abs(p), big.NewRat(100, 1))
			cents.Add(cents, big.NewRat(1, 2))
			whole := new(big.Int).Quo(cents.Num(), cents.Denom())
			if whole.Cmp(big.NewInt(999999999999999999)) > 0 {
				reasons = append(reasons, "invalid_price")
			}
		}
	}
	if n, ok := r["quantity"].(json.Number); ok && !wrong["quantity"] {
		q, _ := new(big.Int).SetString(string(n), 10)
		if q.Sign() < 1 || q.Cmp(maxQuantity) > 0 {
			reasons = append(reasons, "invalid_quantity")
		}
	}
	if !wrong["currency"] && !r.missing("currency") && !currencyPattern.MatchString(r.str("currency")) {
		reasons = append(reasons, "invalid_currency")
	}
	if nameValid {
		need := func(k string) {
			if !wrong[k] && r.missing(k) {
				reasons = append(reasons, "missing_"+k)
			}
		}
		if name == "product_view" || name == "add_to_cart" || name == "purchase" {
			need("product_id")
		}
		if name == "add_to_cart" || name == "purchase" {
			need("price")
			need("quantity")
		}
		if name == "add_to_cart" || name == "purchase" || !r.missing("price") {
			need("currency")
		}
		if name == "purchase" {
			need("order_id")
		}
	}
	return strings.Join(reasons, ",")
}

// wrongType reports whether field k is present, not null, and of the wrong JSON type.
func wrongType(r record, k string) (any, bool) {
	v, ok := r[k]
	if !ok || v == nil {
		return v, false
	}
	switch k {
	case "price":
		_, isNum := v.(json.Number)
		return v, !isNum
	case "quantity":
		n, isNum := v.(json.Number)
		if !isNum {
			return v, true
		}
		_, ok := new(big.Int).SetString(string(n), 10)
		return v, !ok
	default:
		_, isStr := v.(string)
		return v, !isStr
	}
}

func validTimestamp(s string) bool {
	m := tsPattern.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	num := func(i int) int { n, _ := strconv.Atoi(m[i]); return n }
	y, mo, d, h, mi, sec := num(1), num(2), num(3), num(4), num(5), num(6)
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	return t.Year() == y && int(t.Month()) == mo && t.Day() == d && t.Hour() == h && t.Minute() == mi && t.Second() == sec
}

// centsOf converts a JSON number with at most two decimals to cents.
func centsOf(n json.Number) (int64, bool) {
	r, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return 0, false
	}
	r.Mul(r, big.NewRat(100, 1))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}
