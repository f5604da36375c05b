package event

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

// This file holds an independent, deliberately slow model of the contract,
// built from encoding/json, math/big, regexp and time, with none of the
// scanner's code. Tests and fuzz targets compare Parser against it.

// refResult is what the model says about one line.
type refResult struct {
	reasons []string // the codes, in contract order
	skip    bool     // outside what the model can decide (see referenceCheck)
	ev      refEvent
}

// refEvent holds the values of a valid event as the model computes them.
type refEvent struct {
	Strings   map[string]string // decoded string fields present (non-empty)
	TS        int64
	Date      int32
	Name      string
	Price     int64
	Quantity  int32
	HasPrice  bool
	HasQuant  bool
	ValidName bool
}

var refFields = []string{
	"event_id", "event_ts", "event_name", "user_id", "session_id", "device_type",
	"platform", "country", "region", "city", "utm_source", "utm_medium",
	"utm_campaign", "product_id", "category", "price", "quantity", "currency", "order_id",
}

var refTimestamp = regexp.MustCompile(
	`^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:?\d{2})?$`)

// refTS parses a timestamp with regexp and time.Date.
func refTS(s string) (int64, bool) {
	m := refTimestamp.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	atoi := func(x string) int { v, _ := strconv.Atoi(x); return v }
	y, mo, d, h, mi, se := atoi(m[1]), atoi(m[2]), atoi(m[3]), atoi(m[4]), atoi(m[5]), atoi(m[6])
	if y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59 {
		return 0, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, se, 0, time.UTC)
	if t.Day() != d || int(t.Month()) != mo {
		return 0, false // day past the end of the month
	}
	if m[7] != "" {
		f := (m[7][1:] + "000000")[:6]
		t = t.Add(time.Duration(atoi(f)) * time.Microsecond)
	}
	if off := m[8]; off != "" && off != "Z" && off != "z" {
		digits := strings.ReplaceAll(off[1:], ":", "")
		if len(digits) != 4 {
			return 0, false
		}
		oh, om := atoi(digits[:2]), atoi(digits[2:])
		if oh > 23 || om > 59 {
			return 0, false
		}
		shift := time.Duration(oh)*time.Hour + time.Duration(om)*time.Minute
		if off[0] == '+' {
			t = t.Add(-shift)
		} else {
			t = t.Add(shift)
		}
	}
	if t.Year() < 1 || t.Year() > 9999 {
		return 0, false
	}
	return t.UnixMicro(), true
}

// refNumber reads a JSON number exactly with big.Rat. skip is set for
// exponents too large for big.Rat to handle cheaply.
func refNumber(raw string) (r *big.Rat, skip bool) {
	if i := strings.IndexAny(raw, "eE"); i >= 0 {
		e := strings.TrimLeft(raw[i+1:], "+-")
		e = strings.TrimLeft(e, "0")
		if len(e) > 4 {
			return nil, true
		}
	}
	r, ok := new(big.Rat).SetString(raw)
	if !ok {
		panic("reference: bad number " + raw)
	}
	return r, false
}

// referenceCheck runs the model on line with a record limit of maxRecord
// bytes. It sets skip for lines nested deeper than encoding/json goes and
// for exponents too large for big.Rat to handle quickly.
func referenceCheck(line []byte, maxRecord int) refResult {
	var res refResult
	if len(line) > maxRecord {
		res.reasons = []string{"record_too_large"}
		return res
	}
	body := bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	// encoding/json stops at nesting depth 10000; stay well inside it.
	if bytes.Count(body, []byte("["))+bytes.Count(body, []byte("{")) > 9000 {
		res.skip = true
		return res
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if !utf8.Valid(body) || !json.Valid(body) || len(trimmed) == 0 || trimmed[0] != '{' {
		res.reasons = []string{"malformed_json"}
		return res
	}
	var obj map[string]json.RawMessage // duplicate keys: the last one wins
	if err := json.Unmarshal(body, &obj); err != nil {
		panic("reference: " + err.Error())
	}

	type state int
	const (
		stMissing state = iota
		stPresent
		stWrong
	)
	var reasons []string
	add := func(s string) { reasons = append(reasons, s) }
	st := map[string]state{}
	strs := map[string]string{}
	for _, f := range refFields {
		raw, ok := obj[f]
		if !ok || string(raw) == "null" {
			st[f] = stMissing
			continue
		}
		switch raw[0] {
		case '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				panic("reference: " + err.Error())
			}
			if s == "" {
				st[f] = stMissing
			} else {
				st[f] = stPresent
				strs[f] = s
			}
			if f == "price" || f == "quantity" {
				st[f] = stWrong
			}
		default:
			isNum := raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')
			if isNum && (f == "price" || f == "quantity") {
				st[f] = stPresent
			} else {
				st[f] = stWrong
			}
		}
	}

	var ev refEvent
	// Required fields.
	for _, p := range []struct{ f, code string }{
		{"event_id", "missing_event_id"}, {"event_ts", "missing_event_ts"},
		{"event_name", "missing_event_name"}, {"user_id", "missing_user_id"},
	} {
		if st[p.f] == stMissing {
			add(p.code)
		}
	}
	// Types, in fields-table order.
	var price, qty *big.Rat
	for _, f := range refFields {
		if f == "quantity" && st[f] == stPresent {
			var skip bool
			if qty, skip = refNumber(string(obj[f])); skip {
				res.skip = true
				return res
			}
			if !qty.IsInt() {
				st[f] = stWrong
			}
		}
		if f == "price" && st[f] == stPresent {
			var skip bool
			if price, skip = refNumber(string(obj[f])); skip {
				res.skip = true
				return res
			}
		}
		if st[f] == stWrong {
			add("invalid_type:" + f)
		}
	}
	if st["event_ts"] == stPresent {
		if ts, ok := refTS(strs["event_ts"]); ok {
			ev.TS = ts
			t := time.UnixMicro(ts).UTC()
			midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			ev.Date = int32(midnight.Unix() / 86400)
		} else {
			add("invalid_event_ts")
		}
	}
	names := map[string]bool{"page_view": true, "product_view": true, "add_to_cart": true, "checkout_started": true, "purchase": true}
	if st["event_name"] == stPresent {
		if names[strs["event_name"]] {
			ev.Name, ev.ValidName = strs["event_name"], true
		} else {
			add("invalid_event_name")
		}
	}
	if st["price"] == stPresent {
		if price.Sign() < 0 {
			add("negative_price")
		}
		// cents = floor(|x|*100 + 1/2)
		abs := new(big.Rat).Abs(price)
		abs.Mul(abs, big.NewRat(100, 1))
		abs.Add(abs, big.NewRat(1, 2))
		cents := new(big.Int).Quo(abs.Num(), abs.Denom())
		if cents.Cmp(big.NewInt(999_999_999_999_999_999)) > 0 {
			add("invalid_price")
		} else {
			ev.Price = cents.Int64()
			if price.Sign() < 0 {
				ev.Price = -ev.Price
			}
			ev.HasPrice = true
		}
	}
	if st["quantity"] == stPresent {
		n := qty.Num()
		if n.Sign() < 1 || n.Cmp(big.NewInt(1<<31-1)) > 0 {
			add("invalid_quantity")
		} else {
			ev.Quantity, ev.HasQuant = int32(n.Int64()), true
		}
	}
	if st["currency"] == stPresent {
		c := strs["currency"]
		if len(c) != 3 || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			add("invalid_currency")
		}
	}
	if ev.ValidName {
		n := ev.Name
		cart := n == "add_to_cart" || n == "purchase"
		if (cart || n == "product_view") && st["product_id"] == stMissing {
			add("missing_product_id")
		}
		if cart && st["price"] == stMissing {
			add("missing_price")
		}
		if cart && st["quantity"] == stMissing {
			add("missing_quantity")
		}
		if (cart || st["price"] == stPresent) && st["currency"] == stMissing {
			add("missing_currency")
		}
		if n == "purchase" && st["order_id"] == stMissing {
			add("missing_order_id")
		}
	}
	res.reasons = reasons
	delete(strs, "event_ts")
	ev.Strings = strs
	res.ev = ev
	return res
}

// eventStrings returns the string fields of ev that are set, keyed by JSON
// name, for comparison with refEvent.Strings.
func eventStrings(ev *Event) map[string]string {
	out := map[string]string{}
	for _, kv := range []struct {
		k string
		v []byte
	}{
		{"event_id", ev.EventID}, {"event_name", ev.EventName}, {"user_id", ev.UserID},
		{"session_id", ev.SessionID}, {"device_type", ev.DeviceType}, {"platform", ev.Platform},
		{"country", ev.Country}, {"region", ev.Region}, {"city", ev.City},
		{"utm_source", ev.UTMSource}, {"utm_medium", ev.UTMMedium}, {"utm_campaign", ev.UTMCampaign},
		{"product_id", ev.ProductID}, {"category", ev.Category}, {"currency", ev.Currency},
		{"order_id", ev.OrderID},
	} {
		if kv.v != nil {
			out[kv.k] = string(kv.v)
		}
	}
	return out
}
