package event

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseMatchesReference builds random event lines from pools of valid
// and broken values per field (with shuffled order, duplicate keys and
// unknown fields) and checks that Parser and the reference model in
// reference_test.go agree on every one: reasons and, for valid lines, values.
func TestParseMatchesReference(t *testing.T) {
	strVals := []string{`"x"`, `"Ω≈ç"`, `""`, `null`, `1`, `true`, `[]`, `{"a":"b"}`, `"a\"b\\c"`, `"\u0041\ud83d\ude00"`}
	pools := map[string][]string{
		"event_id": {`"e1"`, `"5f0c3a9e-8b1d-4c2e-9f7a-1d2b3c4d5e6f"`, `""`, `null`, `1`, `"\u0041"`, `false`},
		"event_ts": {
			`"2026-11-20T13:45:12.345Z"`, `"2026-11-20 13:45:12"`, `"2026-11-20t13:45:12.123456789z"`,
			`"2026-12-31T23:30:00-01:00"`, `"2026-01-01T00:30:00+0100"`, `"2024-02-29T00:00:00Z"`,
			`"1969-12-31T23:59:59.9999999Z"`, `"0001-01-01T00:00:00Z"`, `"9999-12-31T23:59:59.999999+00:00"`,
			`"0001-01-01T00:00:00+00:01"`, `"2026-02-29T00:00:00Z"`, `"2026-11-20"`, `"2026-11-20T25:00:00Z"`,
			`"2026-11-20T13:45:12.Z"`, `"2026-11-20T13:45:12+24:00"`, `"yesterday"`, `""`, `null`, `1700000000`,
			`"2026-11-20T13:45:12\u002e5Z"`, `"2026-11-20T13:45:12.1234567890Z"`,
		},
		"event_name": {`"page_view"`, `"product_view"`, `"add_to_cart"`, `"checkout_started"`, `"purchase"`,
			`"click"`, `"Purchase"`, `""`, `null`, `3`, `"page\u005fview"`, `["purchase"]`},
		"user_id": {`"u_1"`, `""`, `null`, `7`, `" "`},
		"price": {`19.99`, `-1`, `-0`, `0`, `2.675`, `2.665`, `0.005`, `1e400`, `-1e20`, `9999999999999999.995`,
			`9999999999999999.99`, `1E-400`, `-0.001`, `123456789012345678.999`, `0.02675e2`, `1e2`,
			`"9.99"`, `null`, `true`, `{}`},
		"quantity": {`1`, `2`, `0`, `-0`, `1.0`, `1.5`, `2147483647`, `2147483648`, `1e400`, `15e-1`, `150e-1`,
			`"2"`, `null`, `1e2`, `-1`, `-1.5`, `1e-400`, `[1]`},
		"currency": {`"CAD"`, `"EUR"`, `"cad"`, `""`, `null`, `1`, `"CADD"`, `"\u0043AD"`, `"ÇAD"`},
	}
	for _, f := range []string{"session_id", "device_type", "platform", "country", "region", "city",
		"utm_source", "utm_medium", "utm_campaign", "product_id", "category", "order_id"} {
		pools[f] = strVals
	}
	extras := []kv{
		{"event_date", `"2026-11-20"`}, {"event_date", `{"d":[1,2]}`}, {"x", `[[[]],{"y":null}]`},
		{"", `0`}, {"event_id ", `1`}, {"EVENT_ID", `1`}, {"z", `-1.5e-7`},
	}

	rng := rand.New(rand.NewPCG(1, 2))
	p := NewParser(ParserOptions{})
	const n = 20_000
	valid := 0
	for range n {
		var members []kv
		for _, f := range refFields {
			switch x := rng.IntN(10); {
			case x == 0:
				continue // absent
			case x < 3:
				members = append(members, kv{f, pools[f][rng.IntN(len(pools[f]))]})
			default:
				members = append(members, kv{f, pools[f][0]}) // mostly good values
			}
		}
		if rng.IntN(4) == 0 {
			members = append(members, extras[rng.IntN(len(extras))])
		}
		if rng.IntN(5) == 0 && len(members) > 0 {
			// A duplicate key with another value, before or after.
			m := members[rng.IntN(len(members))]
			if pool := pools[m.k]; pool != nil {
				members = append(members, kv{m.k, pool[rng.IntN(len(pool))]})
			}
		}
		if rng.IntN(3) == 0 {
			rng.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
		}
		line := obj(members)
		if rng.IntN(10) == 0 {
			line = strings.ReplaceAll(line, ",", " ,\t")
		}

		var ev Event
		r := p.Parse([]byte(line), &ev)
		ref := referenceCheck([]byte(line), DefaultMaxRecordBytes)
		if ref.skip {
			continue
		}
		if diff := cmp.Diff(strings.Join(ref.reasons, ","), r.String()); diff != "" {
			t.Fatalf("reasons for %s (-reference +got):\n%s", line, diff)
		}
		if !r.Valid() {
			continue
		}
		valid++
		checkValidEvent(t, &ev)
		got := refEvent{
			Strings: eventStrings(&ev), TS: ev.EventTS, Date: ev.EventDate, Name: ev.Name.String(),
			Price: ev.Price, Quantity: ev.Quantity, HasPrice: ev.HasPrice, HasQuant: ev.HasQuantity,
			ValidName: ev.Name != 0,
		}
		if diff := cmp.Diff(ref.ev, got); diff != "" {
			t.Fatalf("event for %s (-reference +got):\n%s", line, diff)
		}
	}
	t.Logf("%d of %d lines valid", valid, n)
	// The generator must produce both kinds in bulk, or the test says little.
	if valid < n/20 || valid > n*9/10 {
		t.Errorf("%d of %d generated lines valid; the pools are off balance", valid, n)
	}
}
