package event

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// kv is one member of a test object: a key and its raw JSON value.
type kv struct{ k, v string }

// purchase is a valid purchase event, member by member.
var purchase = []kv{
	{"event_id", `"e1"`},
	{"event_ts", `"2026-11-20T13:45:12.345Z"`},
	{"event_name", `"purchase"`},
	{"user_id", `"u_1"`},
	{"product_id", `"p_9"`},
	{"price", `19.99`},
	{"quantity", `2`},
	{"currency", `"CAD"`},
	{"order_id", `"o_1"`},
}

// pageView is a valid page_view event with only the required fields.
var pageView = []kv{
	{"event_id", `"e2"`},
	{"event_ts", `"2026-11-20T13:45:12Z"`},
	{"event_name", `"page_view"`},
	{"user_id", `"u_2"`},
}

// obj renders members as a compact JSON object.
func obj(members []kv) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + m.k + `":` + m.v)
	}
	b.WriteByte('}')
	return b.String()
}

// set returns base with key set to raw (replaced in place, or appended).
func set(base []kv, key, raw string) []kv {
	out := append([]kv(nil), base...)
	for i := range out {
		if out[i].k == key {
			out[i].v = raw
			return out
		}
	}
	return append(out, kv{key, raw})
}

// del returns base without key.
func del(base []kv, keys ...string) []kv {
	var out []kv
	for _, m := range base {
		drop := false
		for _, k := range keys {
			drop = drop || m.k == k
		}
		if !drop {
			out = append(out, m)
		}
	}
	return out
}

// named returns base with event_name set to name.
func named(base []kv, name string) []kv { return set(base, "event_name", `"`+name+`"`) }

func parseReason(t *testing.T, line string) string {
	t.Helper()
	var ev Event
	return NewParser(ParserOptions{}).Parse([]byte(line), &ev).String()
}

// checkAgainstReference fails t when the model in reference_test.go
// disagrees with want for line.
func checkAgainstReference(t *testing.T, line, want string) {
	t.Helper()
	ref := referenceCheck([]byte(line), DefaultMaxRecordBytes)
	if ref.skip {
		return
	}
	if diff := cmp.Diff(want, strings.Join(ref.reasons, ",")); diff != "" {
		t.Errorf("reference model disagrees with the expected reasons for %q (-want +reference):\n%s", line, diff)
	}
}

func TestParseReasons(t *testing.T) {
	tests := []struct {
		name string
		line string
		want string
	}{
		// The contract's examples.
		{"contract example 1", `{"event_id":"e1","event_ts":"2026-11-20T13:45:12.345Z","event_name":"purchase","user_id":"u_1","product_id":"p_9","price":-1,"quantity":0,"currency":"CAD"}`, "negative_price,invalid_quantity,missing_order_id"},
		{"contract example 2", `{"event_id":"","event_ts":"yesterday","event_name":"click","user_id":"u_1"}`, "missing_event_id,invalid_event_ts,invalid_event_name"},
		{"contract example 3", `{"event_id":"e2"`, "malformed_json"},

		// Valid events.
		{"valid purchase", obj(purchase), ""},
		{"valid page_view", obj(pageView), ""},
		{"valid product_view", obj(set(named(pageView, "product_view"), "product_id", `"p"`)), ""},
		{"valid add_to_cart", obj(del(named(purchase, "add_to_cart"), "order_id")), ""},
		{"valid checkout_started", obj(named(pageView, "checkout_started")), ""},
		{"valid with nulls for optional fields", obj(set(set(set(pageView, "session_id", "null"), "price", "null"), "currency", "null")), ""},
		{"valid with empty optional strings", obj(set(set(pageView, "city", `""`), "currency", `""`)), ""},
		{"valid with whitespace everywhere", " \t{ \"event_id\" : \"e\" ,\r\n\"event_ts\":\"2026-01-01 00:00:00\" , \"event_name\":\"page_view\",\"user_id\":\"u\" } \t\r\n", ""},
		{"valid with BOM", "\xef\xbb\xbf" + obj(pageView), ""},
		{"unknown fields of every type ignored", obj(append(append([]kv(nil), pageView...), kv{"x", `{"a":[1,{"b":null}],"c":"d"}`}, kv{"y", `[[],[{}]]`}, kv{"z", `-1.5e-3`}, kv{"w", `true`})), ""},
		{"event_date ignored whatever its type", obj(set(pageView, "event_date", `{"x":[1]}`)), ""},
		{"event_date string ignored", obj(set(pageView, "event_date", `"not a date"`)), ""},
		{"price on page_view with currency", obj(set(set(pageView, "price", "1"), "currency", `"EUR"`)), ""},
		{"quantity 1.0 is an integer", obj(set(purchase, "quantity", "1.0")), ""},
		{"quantity 1e2 is an integer", obj(set(purchase, "quantity", "1e2")), ""},
		{"quantity 15e-1 is not an integer", obj(set(purchase, "quantity", "15e-1")), "invalid_type:quantity"},
		{"price -0 is not negative", obj(set(purchase, "price", "-0")), ""},
		{"price -0.0 is not negative", obj(set(purchase, "price", "-0.0e5")), ""},
		{"price 1e-400 rounds to zero", obj(set(purchase, "price", "1e-400")), ""},
		{"price at the maximum", obj(set(purchase, "price", "9999999999999999.99")), ""},
		{"price rounding to the maximum", obj(set(purchase, "price", "9999999999999999.994999")), ""},
		{"escaped key matches", `{"event\u005fid":"e","event_ts":"2026-01-01T00:00:00Z","event_name":"page_view","user_id":"u"}`, ""},
		{"escaped event_name matches", obj(set(pageView, "event_name", `"page\u005Fview"`)), ""},
		{"escaped currency matches", obj(set(purchase, "currency", `"\u0043AD"`)), ""},
		{"escaped timestamp", obj(set(pageView, "event_ts", `"2026-01-01T00:00:00\u002e5Z"`)), ""},
		{"non-ASCII strings", obj(set(set(pageView, "city", `"Montréal"`), "region", `"東京 😀"`)), ""},

		// malformed_json: the grammar of RFC 8259, strictly.
		{"empty line", "", "malformed_json"},
		{"whitespace only", " \t ", "malformed_json"},
		{"top-level array", `[{"event_id":"e"}]`, "malformed_json"},
		{"top-level string", `"x"`, "malformed_json"},
		{"top-level number", `1`, "malformed_json"},
		{"top-level null", `null`, "malformed_json"},
		{"unterminated object", `{"a":1`, "malformed_json"},
		{"unterminated string", `{"a":"x}`, "malformed_json"},
		{"trailing text", obj(pageView) + ` x`, "malformed_json"},
		{"two objects", obj(pageView) + obj(pageView), "malformed_json"},
		{"trailing comma in object", `{"a":1,}`, "malformed_json"},
		{"trailing comma in array", `{"a":[1,]}`, "malformed_json"},
		{"leading comma", `{,"a":1}`, "malformed_json"},
		{"missing colon", `{"a" 1}`, "malformed_json"},
		{"missing comma", `{"a":1 "b":2}`, "malformed_json"},
		{"missing array comma", `{"a":[1 2]}`, "malformed_json"},
		{"object member without value", `{"a":{"b"}}`, "malformed_json"},
		{"unquoted key", `{a:1}`, "malformed_json"},
		{"single quotes", `{'a':1}`, "malformed_json"},
		{"number key", `{1:1}`, "malformed_json"},
		{"leading zero", `{"a":01}`, "malformed_json"},
		{"negative leading zero", `{"a":-01}`, "malformed_json"},
		{"plus sign", `{"a":+1}`, "malformed_json"},
		{"leading dot", `{"a":.5}`, "malformed_json"},
		{"trailing dot", `{"a":1.}`, "malformed_json"},
		{"dot before exponent", `{"a":1.e5}`, "malformed_json"},
		{"empty exponent", `{"a":1e}`, "malformed_json"},
		{"sign-only exponent", `{"a":1e+}`, "malformed_json"},
		{"lone minus", `{"a":-}`, "malformed_json"},
		{"NaN", `{"a":NaN}`, "malformed_json"},
		{"Infinity", `{"a":-Infinity}`, "malformed_json"},
		{"hex number", `{"a":0x10}`, "malformed_json"},
		{"truncated true", `{"a":tru}`, "malformed_json"},
		{"true with suffix", `{"a":truex}`, "malformed_json"},
		{"capitalised literal", `{"a":True}`, "malformed_json"},
		{"truncated null", `{"a":nul}`, "malformed_json"},
		{"comment", `{/*c*/"a":1}`, "malformed_json"},
		{"line comment", `{"a":1}//c`, "malformed_json"},
		{"NUL in string", "{\"a\":\"x\x00y\"}", "malformed_json"},
		{"NUL outside string", "{\"a\":1\x00}", "malformed_json"},
		{"control character in string", "{\"a\":\"x\x1fy\"}", "malformed_json"},
		{"tab in string", "{\"a\":\"x\ty\"}", "malformed_json"},
		{"newline in string", "{\"a\":\"x\ny\"}", "malformed_json"},
		{"invalid escape", `{"a":"\x"}`, "malformed_json"},
		{"short unicode escape", `{"a":"\u12"}`, "malformed_json"},
		{"bad hex in escape", `{"a":"\u12G4"}`, "malformed_json"},
		{"escape at end of line", `{"a":"\`, "malformed_json"},
		{"invalid UTF-8 in value", "{\"a\":\"\xff\"}", "malformed_json"},
		{"invalid UTF-8 in key", "{\"\xc3\":1}", "malformed_json"},
		{"invalid UTF-8 in a known field", obj(set(pageView, "city", "\"Montr\xe9al\"")), "malformed_json"},
		{"overlong UTF-8", "{\"a\":\"\xc0\xaf\"}", "malformed_json"},
		{"UTF-8 encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", "malformed_json"},
		{"truncated UTF-8 sequence", "{\"a\":\"\xe6\x9d\"}", "malformed_json"},
		{"UTF-8 above U+10FFFF", "{\"a\":\"\xf4\x90\x80\x80\"}", "malformed_json"},
		{"non-ASCII outside strings", "{\"a\":1\xc2\xa0}", "malformed_json"},
		{"BOM not at the start", " \xef\xbb\xbf" + obj(pageView), "malformed_json"},
		{"two BOMs", "\xef\xbb\xbf\xef\xbb\xbf" + obj(pageView), "malformed_json"},
		{"BOM only", "\xef\xbb\xbf", "malformed_json"},
		{"unbalanced nesting in unknown field", `{"x":[[1]}`, "malformed_json"},
		{"mismatched brackets", `{"x":[{]}}`, "malformed_json"},
		{"vertical tab is not whitespace", "{\"a\":1\v}", "malformed_json"},
		{"form feed is not whitespace", "\f{}", "malformed_json"},
		{"NUL key after the last field", obj(purchase)[:len(obj(purchase))-1] + ",\"\x00\":1}", "malformed_json"},
		{"NUL key after the last field, padded", obj(purchase)[:len(obj(purchase))-1] + ",\"\x00:1,\"aaaaaaaaaaaaaaaaaaaaaa\":1}", "malformed_json"},
		{"NUL in a known key", "{\"event_id\x00\":1}", "malformed_json"},
		{"empty key after the last field", obj(set(purchase, "", "1")), ""},
		{"malformed wins over every other rule", `{"event_id":"","price":-1,}`, "malformed_json"},

		// Required fields.
		{"empty object", `{}`, "missing_event_id,missing_event_ts,missing_event_name,missing_user_id"},
		{"event_id absent", obj(del(pageView, "event_id")), "missing_event_id"},
		{"event_id null", obj(set(pageView, "event_id", "null")), "missing_event_id"},
		{"event_id empty", obj(set(pageView, "event_id", `""`)), "missing_event_id"},
		{"event_id whitespace is not missing", obj(set(pageView, "event_id", `" "`)), ""},
		{"event_ts absent", obj(del(pageView, "event_ts")), "missing_event_ts"},
		{"event_ts null", obj(set(pageView, "event_ts", "null")), "missing_event_ts"},
		{"event_ts empty", obj(set(pageView, "event_ts", `""`)), "missing_event_ts"},
		{"event_name absent", obj(del(pageView, "event_name")), "missing_event_name"},
		{"event_name empty", obj(set(pageView, "event_name", `""`)), "missing_event_name"},
		{"user_id absent", obj(del(pageView, "user_id")), "missing_user_id"},
		{"user_id null", obj(set(pageView, "user_id", "null")), "missing_user_id"},

		// invalid_type, one per field.
		{"event_id number", obj(set(pageView, "event_id", "1")), "invalid_type:event_id"},
		{"event_ts number", obj(set(pageView, "event_ts", "1700000000")), "invalid_type:event_ts"},
		{"event_name array", obj(set(pageView, "event_name", `["page_view"]`)), "invalid_type:event_name"},
		{"user_id bool", obj(set(pageView, "user_id", "true")), "invalid_type:user_id"},
		{"session_id number", obj(set(pageView, "session_id", "1")), "invalid_type:session_id"},
		{"device_type object", obj(set(pageView, "device_type", `{}`)), "invalid_type:device_type"},
		{"platform false", obj(set(pageView, "platform", "false")), "invalid_type:platform"},
		{"country array", obj(set(pageView, "country", `[]`)), "invalid_type:country"},
		{"region number", obj(set(pageView, "region", "0")), "invalid_type:region"},
		{"city number", obj(set(pageView, "city", "-1.5")), "invalid_type:city"},
		{"utm_source bool", obj(set(pageView, "utm_source", "true")), "invalid_type:utm_source"},
		{"utm_medium object", obj(set(pageView, "utm_medium", `{"a":1}`)), "invalid_type:utm_medium"},
		{"utm_campaign array", obj(set(pageView, "utm_campaign", `["x"]`)), "invalid_type:utm_campaign"},
		{"product_id number", obj(set(purchase, "product_id", "9")), "invalid_type:product_id"},
		{"category bool", obj(set(pageView, "category", "false")), "invalid_type:category"},
		{"price string", obj(set(purchase, "price", `"9.99"`)), "invalid_type:price"},
		{"price bool", obj(set(purchase, "price", `true`)), "invalid_type:price"},
		{"quantity fraction", obj(set(purchase, "quantity", "1.5")), "invalid_type:quantity"},
		{"quantity string", obj(set(purchase, "quantity", `"2"`)), "invalid_type:quantity"},
		{"currency number", obj(set(purchase, "currency", "124")), "invalid_type:currency"},
		{"order_id number", obj(set(purchase, "order_id", "5")), "invalid_type:order_id"},
		{"order_id wrong type on page_view", obj(set(pageView, "order_id", "[]")), "invalid_type:order_id"},
		{"several types in fields-table order", obj(set(set(set(set(purchase, "quantity", "0.5"), "event_id", "1"), "city", "{}"), "order_id", "true")), "invalid_type:event_id,invalid_type:city,invalid_type:quantity,invalid_type:order_id"},
		{"all fields wrong type", `{"event_id":1,"event_ts":2,"event_name":3,"user_id":4,"session_id":5,"device_type":6,"platform":7,"country":8,"region":9,"city":10,"utm_source":11,"utm_medium":12,"utm_campaign":13,"product_id":14,"category":15,"price":"16","quantity":17.5,"currency":18,"order_id":19}`,
			"invalid_type:event_id,invalid_type:event_ts,invalid_type:event_name,invalid_type:user_id,invalid_type:session_id,invalid_type:device_type,invalid_type:platform,invalid_type:country,invalid_type:region,invalid_type:city,invalid_type:utm_source,invalid_type:utm_medium,invalid_type:utm_campaign,invalid_type:product_id,invalid_type:category,invalid_type:price,invalid_type:quantity,invalid_type:currency,invalid_type:order_id"},
		{"wrong type is not also missing", obj(set(set(purchase, "product_id", "1"), "order_id", "{}")), "invalid_type:product_id,invalid_type:order_id"},
		{"wrong-typed price is not also missing and needs no currency", obj(set(del(set(pageView, "price", `"1"`), "currency"), "quantity", "[1]")), "invalid_type:price,invalid_type:quantity"},

		// invalid_event_ts, invalid_event_name.
		{"event_ts not a timestamp", obj(set(pageView, "event_ts", `"yesterday"`)), "invalid_event_ts"},
		{"event_ts date only", obj(set(pageView, "event_ts", `"2026-11-20"`)), "invalid_event_ts"},
		{"event_ts bad day", obj(set(pageView, "event_ts", `"2026-02-29T00:00:00Z"`)), "invalid_event_ts"},
		{"event_ts epoch number string", obj(set(pageView, "event_ts", `"1700000000"`)), "invalid_event_ts"},
		{"event_name unknown", obj(set(pageView, "event_name", `"click"`)), "invalid_event_name"},
		{"event_name wrong case", obj(set(pageView, "event_name", `"Page_View"`)), "invalid_event_name"},
		{"event_name with space", obj(set(pageView, "event_name", `"page_view "`)), "invalid_event_name"},

		// Prices.
		{"negative price", obj(set(purchase, "price", "-1")), "negative_price"},
		{"tiny negative price", obj(set(purchase, "price", "-0.001")), "negative_price"},
		{"price too large", obj(set(purchase, "price", "1e400")), "invalid_price"},
		{"price rounding past the maximum", obj(set(purchase, "price", "9999999999999999.995")), "invalid_price"},
		{"price 1e16", obj(set(purchase, "price", "1e16")), "invalid_price"},
		{"negative and too large", obj(set(purchase, "price", "-1e20")), "negative_price,invalid_price"},
		{"negative price on page_view needs currency", obj(set(pageView, "price", "-5")), "negative_price,missing_currency"},

		// Quantities.
		{"quantity zero", obj(set(purchase, "quantity", "0")), "invalid_quantity"},
		{"quantity negative", obj(set(purchase, "quantity", "-3")), "invalid_quantity"},
		{"quantity minus zero", obj(set(purchase, "quantity", "-0")), "invalid_quantity"},
		{"quantity 2^31", obj(set(purchase, "quantity", "2147483648")), "invalid_quantity"},
		{"quantity 2^31-1", obj(set(purchase, "quantity", "2147483647")), ""},
		{"quantity 1e400", obj(set(purchase, "quantity", "1e400")), "invalid_quantity"},
		{"quantity on page_view still checked", obj(set(pageView, "quantity", "0")), "invalid_quantity"},

		// Currency.
		{"currency lower case", obj(set(purchase, "currency", `"cad"`)), "invalid_currency"},
		{"currency too short", obj(set(purchase, "currency", `"CA"`)), "invalid_currency"},
		{"currency too long", obj(set(purchase, "currency", `"CADD"`)), "invalid_currency"},
		{"currency with digit", obj(set(purchase, "currency", `"C4D"`)), "invalid_currency"},
		{"currency non-ASCII letter", obj(set(purchase, "currency", `"ÇAD"`)), "invalid_currency"},
		{"currency checked on page_view", obj(set(pageView, "currency", `"usd"`)), "invalid_currency"},
		{"currency empty is missing, not invalid", obj(set(purchase, "currency", `""`)), "missing_currency"},

		// The per-event row.
		{"product_view needs product_id", obj(named(pageView, "product_view")), "missing_product_id"},
		{"add_to_cart needs four", obj(named(pageView, "add_to_cart")), "missing_product_id,missing_price,missing_quantity,missing_currency"},
		{"purchase needs five", obj(named(pageView, "purchase")), "missing_product_id,missing_price,missing_quantity,missing_currency,missing_order_id"},
		{"purchase with nulls", obj(set(set(set(set(set(purchase, "product_id", "null"), "price", "null"), "quantity", "null"), "currency", "null"), "order_id", `""`)), "missing_product_id,missing_price,missing_quantity,missing_currency,missing_order_id"},
		{"checkout_started needs nothing more", obj(named(pageView, "checkout_started")), ""},
		{"add_to_cart needs no order_id", obj(del(named(purchase, "add_to_cart"), "order_id")), ""},
		{"price on page_view needs currency", obj(set(pageView, "price", "1.5")), "missing_currency"},
		{"price null on page_view needs no currency", obj(set(pageView, "price", "null")), ""},
		{"invalid name skips the per-event row", obj(set(set(pageView, "event_name", `"Purchase"`), "price", "1")), "invalid_event_name"},
		{"missing name skips the per-event row", obj(set(del(pageView, "event_name"), "price", "1")), "missing_event_name"},
		{"wrong-typed name skips the per-event row", obj(set(set(pageView, "event_name", "5"), "price", "1")), "invalid_type:event_name"},

		// Duplicate keys: the last one counts, type included.
		{"duplicate: later valid wins", `{"price":"x",` + obj(purchase)[1:], ""},
		{"duplicate: later wrong type wins", obj(append(append([]kv(nil), purchase...), kv{"price", `"x"`})), "invalid_type:price"},
		{"duplicate: later null wins", obj(append(append([]kv(nil), pageView...), kv{"event_id", "null"})), "missing_event_id"},
		{"duplicate: later empty wins", obj(append(append([]kv(nil), pageView...), kv{"user_id", `""`})), "missing_user_id"},
		{"duplicate: later name wins", obj(append(append([]kv(nil), pageView...), kv{"event_name", `"purchase"`})), "missing_product_id,missing_price,missing_quantity,missing_currency,missing_order_id"},
		{"duplicate via escaped key", obj(append(append([]kv(nil), pageView...), kv{`event\u005fid`, `""`})), "missing_event_id"},

		// Several codes at once, across the table.
		{"one code from every group", `{"event_ts":"2026-13-01T00:00:00Z","event_name":"purchase","user_id":"u","city":1,"price":-1e400,"quantity":0,"currency":"eur"}`,
			"missing_event_id,invalid_type:city,invalid_event_ts,negative_price,invalid_price,invalid_quantity,invalid_currency,missing_product_id,missing_order_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, parseReason(t, tt.line)); diff != "" {
				t.Errorf("Parse(%q) reasons (-want +got):\n%s", tt.line, diff)
			}
			checkAgainstReference(t, tt.line, tt.want)
		})
	}
}

func TestParseFillsEvent(t *testing.T) {
	day := func(y int, m time.Month, d int) int32 {
		return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	}
	micros := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMicro()
	}
	b := func(s string) []byte { return []byte(s) }
	tests := []struct {
		name string
		line string
		want Event
	}{
		{
			name: "full purchase",
			line: `{"event_id":"e1","event_ts":"2026-11-20T13:45:12.345678912+05:30","event_name":"purchase","user_id":"u_1","session_id":"s","device_type":"mobile","platform":"ios","country":"CA","region":"ON","city":"Toronto","utm_source":"google","utm_medium":"cpc","utm_campaign":"bf","product_id":"p_9","category":"toys","price":2.675,"quantity":3,"currency":"CAD","order_id":"o_1","event_date":"1999-01-01"}`,
			want: Event{
				EventID: b("e1"), EventName: b("purchase"), UserID: b("u_1"), SessionID: b("s"),
				DeviceType: b("mobile"), Platform: b("ios"), Country: b("CA"), Region: b("ON"),
				City: b("Toronto"), UTMSource: b("google"), UTMMedium: b("cpc"), UTMCampaign: b("bf"),
				ProductID: b("p_9"), Category: b("toys"), Currency: b("CAD"), OrderID: b("o_1"),
				EventTS: micros("2026-11-20T08:15:12.345678Z"), EventDate: day(2026, 11, 20), Name: Purchase,
				Price: 268, HasPrice: true, Quantity: 3, HasQuantity: true,
			},
		},
		{
			name: "page_view, optional fields missing, offset crosses midnight",
			line: `{"event_id":"e2","event_ts":"2026-11-20T23:30:00-02:00","event_name":"page_view","user_id":"u","city":"","region":null}`,
			want: Event{
				EventID: b("e2"), EventName: b("page_view"), UserID: b("u"),
				EventTS: micros("2026-11-21T01:30:00Z"), EventDate: day(2026, 11, 21), Name: PageView,
			},
		},
		{
			name: "escapes decoded",
			line: `{"event_id":"a\"b\\c\/d","event_ts":"2026-01-01T00:00:00Z","event_name":"page_view","user_id":"\u00e9\u00C9","city":"\ud83d\ude00 \b\f\n\r\t","region":"\ud800x\udc00","country":"\uDBFF\uDFFF","utm_source":"\ud83d\ud83d\ude00","utm_medium":"\u0000"}`,
			want: Event{
				EventID: b(`a"b\c/d`), EventName: b("page_view"), UserID: b("éÉ"),
				City: b("😀 \b\f\n\r\t"), Region: b("\uFFFDx\uFFFD"), Country: b("\U0010FFFF"),
				UTMSource: b("\uFFFD😀"), UTMMedium: b("\x00"),
				EventTS: micros("2026-01-01T00:00:00Z"), EventDate: day(2026, 1, 1), Name: PageView,
			},
		},
		{
			name: "timestamp before 1970 floors the date",
			line: `{"event_id":"e","event_ts":"1969-12-31T23:59:59.999999Z","event_name":"checkout_started","user_id":"u"}`,
			want: Event{
				EventID: b("e"), EventName: b("checkout_started"), UserID: b("u"),
				EventTS: -1, EventDate: -1, Name: CheckoutStarted,
			},
		},
	}
	p := NewParser(ParserOptions{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev Event
			r := p.Parse([]byte(tt.line), &ev)
			if !r.Valid() {
				t.Fatalf("Parse(%q) = %q, want valid", tt.line, r)
			}
			if diff := cmp.Diff(tt.want, ev); diff != "" {
				t.Errorf("Parse(%q) event (-want +got):\n%s", tt.line, diff)
			}
			ref := referenceCheck([]byte(tt.line), DefaultMaxRecordBytes)
			if diff := cmp.Diff(ref.ev.Strings, eventStrings(&ev)); diff != "" {
				t.Errorf("strings differ from the reference model (-ref +got):\n%s", diff)
			}
		})
	}
}

func TestParseReusesParser(t *testing.T) {
	// Slices from one Parse must not leak into the next one's values, and a
	// Parser must give the same answer whatever it parsed before.
	p := NewParser(ParserOptions{})
	lines := []string{
		`{"event_id":"\u0041","event_ts":"2026-01-01T00:00:00Z","event_name":"page_view","user_id":"\u0042"}`,
		`{"event_id":"x"`,
		obj(purchase),
		`{"event_id":"\u0043","event_ts":"2026-01-01T00:00:00Z","event_name":"page_view","user_id":"u"}`,
	}
	var got []string
	for _, l := range lines {
		var ev Event
		r := p.Parse([]byte(l), &ev)
		got = append(got, r.String()+"|"+string(ev.EventID)+"|"+string(ev.UserID))
	}
	want := []string{"|A|B", "malformed_json||", "|e1|u_1", "|C|u"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reasons|event_id|user_id per line (-want +got):\n%s", diff)
	}
}

func TestParseRecordTooLarge(t *testing.T) {
	pad := func(n int) string {
		// A valid event padded with an unknown field to exactly n bytes.
		base := obj(pageView)
		filler := n - len(base) - len(`,"pad":""`)
		return base[:len(base)-1] + `,"pad":"` + strings.Repeat("x", filler) + `"}`
	}
	tests := []struct {
		name string
		max  int
		line string
		want string
	}{
		{"exactly the default limit", 0, pad(1 << 20), ""},
		{"one byte over the default limit", 0, pad(1<<20 + 1), "record_too_large"},
		{"over a custom limit", 200, pad(201), "record_too_large"},
		{"at a custom limit", 200, pad(200), ""},
		{"too large wins over malformed", 10, `{"event_id":`, "record_too_large"},
		{"the BOM counts", 200, "\xef\xbb\xbf" + pad(198), "record_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev Event
			got := NewParser(ParserOptions{MaxRecordBytes: tt.max}).Parse([]byte(tt.line), &ev).String()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseHostile(t *testing.T) {
	deep := func(open, close string, n int) string {
		return strings.Repeat(open, n) + strings.Repeat(close, n)
	}
	withX := func(v string) string { return obj(set(pageView, "x", v)) }
	const mib = 1 << 20
	tests := []struct {
		name string
		line string
		want string
	}{
		{"a line of 1 MiB of [", strings.Repeat("[", mib), "malformed_json"},
		{"1 MiB of [ in an unknown field", `{"x":` + strings.Repeat("[", mib-len(`{"x":`)), "malformed_json"},
		{"deep balanced arrays in an unknown field", withX(deep("[", "]", 400_000)), ""},
		{"deep balanced objects in an unknown field", withX(strings.Repeat(`{"a":`, 150_000) + "1" + strings.Repeat("}", 150_000)), ""},
		{"deep mixed nesting closed wrongly", withX(strings.Repeat(`[{"a":`, 100_000) + "1" + strings.Repeat("}]", 99_999) + "]}"), "malformed_json"},
		{"deep nesting in a known field", obj(set(pageView, "city", deep("[", "]", 300_000))), "invalid_type:city"},
		{"long string", withX(`"` + strings.Repeat("é", 400_000) + `"`), ""},
		{"many escapes", obj(set(pageView, "city", `"`+strings.Repeat(`\ud83d\ude00`, 80_000)+`"`)), ""},
		{"long number", obj(set(purchase, "price", "0."+strings.Repeat("0", 900_000)+"1")), ""},
		{"long integer price", obj(set(purchase, "price", "1"+strings.Repeat("0", 900_000))), "invalid_price"},
		{"huge exponent", obj(set(purchase, "price", "1e"+strings.Repeat("9", 900_000))), "invalid_price"},
		{"huge negative exponent", obj(set(purchase, "quantity", "1e-"+strings.Repeat("9", 900_000))), "invalid_type:quantity"},
		{"many members", "{" + strings.Repeat(`"a":1,`, 150_000) + obj(pageView)[1:], ""},
		{"many duplicate keys", "{" + strings.Repeat(`"event_id":1,`, 70_000) + obj(pageView)[1:], ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			got := parseReason(t, tt.line)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
			// Linear time: a megabyte should take milliseconds; allow for
			// slow, shared and race-instrumented machines.
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Parse took %v for %d bytes", d, len(tt.line))
			}
		})
	}
}

func TestParseAllocs(t *testing.T) {
	p := NewParser(ParserOptions{})
	lines := [][]byte{[]byte(benchPurchase), []byte(benchPageView), []byte(obj(set(purchase, "city", `"\u00e9t\u00e9"`)))}
	var ev Event
	for _, l := range lines {
		p.Parse(l, &ev) // warm up scratch buffers
	}
	for _, l := range lines {
		if n := testing.AllocsPerRun(100, func() { p.Parse(l, &ev) }); n != 0 {
			t.Errorf("Parse(%.40q…) allocates %v times per call, want 0", l, n)
		}
	}
	var r Reasons
	r = r.With(MissingEventID).WithInvalidType(FieldPrice).With(MissingOrderID)
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf = r.AppendString(buf[:0]) }); n != 0 {
		t.Errorf("AppendString allocates %v times per call, want 0", n)
	}
}
