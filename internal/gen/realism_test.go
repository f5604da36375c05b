package gen

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The default run, shared by the tests that decode it.
var defaultRun struct {
	once sync.Once
	g    *Generator
	m    Manifest
	sc   scan
}

const defaultRunRows = 200_000

func sharedDefaultRun(t *testing.T) (*Generator, Manifest, scan) {
	t.Helper()
	defaultRun.once.Do(func() {
		defaultRun.g = mustNew(t, testConfig(2026, defaultRunRows))
		var data []byte
		data, defaultRun.m = generate(t, defaultRun.g)
		defaultRun.sc = recount(t, data)
	})
	if defaultRun.sc.lines == nil {
		t.Fatal("the shared default run failed")
	}
	return defaultRun.g, defaultRun.m, defaultRun.sc
}

var (
	uuidV4Pattern  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	eventTSPattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
	pricePattern   = regexp.MustCompile(`"price":(\d+\.\d{2})[,}]`)
)

var canonicalOrder = []string{
	"event_id", "event_ts", "event_name", "user_id", "session_id", "device_type", "platform", "country",
	"region", "city", "utm_source", "utm_medium", "utm_campaign", "product_id", "category", "price",
	"quantity", "currency", "order_id",
}

// keysOf returns the object's keys in the order they appear in line.
func keysOf(t *testing.T, line []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	var keys []string
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

type sessionView struct {
	events []record
	attrs  string // everything that must not change within a session
}

func TestRealism(t *testing.T) {
	g, _, sc := sharedDefaultRun(t)
	cfg := g.Config()
	windowStart := cfg.End.Add(-time.Duration(cfg.Days) * 24 * time.Hour)

	sessions := map[string]*sessionView{}
	var sessionOrder []string
	userHome := map[string]string{}
	userSessions := map[string]map[string]bool{}
	cityPlace := map[string]string{}
	countryCurrency := map[string]string{}
	productCategory := map[string]string{}
	productPrice := map[string]string{} // product_id + currency -> price
	orders := map[string]bool{}
	currencies := map[string]bool{}
	dates := map[string]bool{}
	direct := 0

	for k, r := range sc.records {
		if sc.reasons[k] != "" {
			continue
		}
		line := sc.lines[k]
		id, ts, name := r.str("event_id"), r.str("event_ts"), r.str("event_name")
		if !uuidV4Pattern.MatchString(id) {
			t.Fatalf("line %d: event_id %q is not a lowercase UUIDv4", k, id)
		}
		if !eventTSPattern.MatchString(ts) {
			t.Fatalf("line %d: event_ts %q is not RFC 3339 UTC with milliseconds", k, ts)
		}
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil || at.Before(windowStart) || at.After(cfg.End) {
			t.Fatalf("line %d: event_ts %s outside [%s, %s] (%v)", k, ts, windowStart.Format(time.RFC3339Nano), cfg.End.Format(time.RFC3339Nano), err)
		}
		dates[ts[:10]] = true

		if k%7 == 0 { // a sample: the order comes from one code path
			if keys := keysOf(t, line); !isSubsequence(keys, canonicalOrder) {
				t.Fatalf("line %d: keys %v are not in the contract's order", k, keys)
			}
		}
		platform, device := r.str("platform"), r.str("device_type")
		switch {
		case platform == "ios" || platform == "android":
			if device != "mobile" && device != "tablet" {
				t.Fatalf("line %d: %s on a %s", k, platform, device)
			}
		case platform == "web":
			if device != "desktop" && device != "mobile" && device != "tablet" {
				t.Fatalf("line %d: web on a %q", k, device)
			}
		default:
			t.Fatalf("line %d: platform %q", k, platform)
		}

		place := r.str("country") + "/" + r.str("region")
		if prev, ok := cityPlace[r.str("city")]; ok && prev != place {
			t.Fatalf("line %d: city %s is in %s and in %s", k, r.str("city"), prev, place)
		}
		cityPlace[r.str("city")] = place
		home := place + "/" + r.str("city")
		user := r.str("user_id")
		if prev, ok := userHome[user]; ok && prev != home {
			t.Fatalf("line %d: user %s lives in %s and in %s", k, user, prev, home)
		}
		userHome[user] = home

		if r.str("utm_source") == "" && (r.str("utm_medium") != "" || r.str("utm_campaign") != "") {
			t.Fatalf("line %d: a medium or campaign without a source", k)
		}
		if _, ok := r["product_id"]; ok {
			pid, cur := r.str("product_id"), r.str("currency")
			currencies[cur] = true
			if prev, ok := countryCurrency[r.str("country")]; ok && prev != cur {
				t.Fatalf("line %d: country %s pays in %s and in %s", k, r.str("country"), prev, cur)
			}
			countryCurrency[r.str("country")] = cur
			if prev, ok := productCategory[pid]; ok && prev != r.str("category") {
				t.Fatalf("line %d: product %s is in %s and in %s", k, pid, prev, r.str("category"))
			}
			productCategory[pid] = r.str("category")
			pm := pricePattern.FindSubmatch(line)
			if pm == nil {
				t.Fatalf("line %d: price not written with two decimals: %s", k, line)
			}
			if prev, ok := productPrice[pid+cur]; ok && prev != string(pm[1]) {
				t.Fatalf("line %d: product %s costs %s and %s %s", k, pid, prev, pm[1], cur)
			}
			productPrice[pid+cur] = string(pm[1])
		}
		if q, ok := r["quantity"].(json.Number); ok {
			if n, err := q.Int64(); err != nil || n < 1 || n > 5 {
				t.Fatalf("line %d: quantity %s, want 1 to 5", k, q)
			}
		}
		if name == "purchase" {
			oid := r.str("order_id")
			if oid == "" || orders[oid] {
				t.Fatalf("line %d: order_id %q missing or not unique", k, oid)
			}
			orders[oid] = true
		}

		sid := r.str("session_id")
		attrs := strings.Join([]string{user, device, platform, home,
			r.str("utm_source"), r.str("utm_medium"), r.str("utm_campaign")}, "|")
		s := sessions[sid]
		if s == nil {
			s = &sessionView{attrs: attrs}
			sessions[sid] = s
			sessionOrder = append(sessionOrder, sid)
			if r.str("utm_source") == "" {
				direct++
			}
			if userSessions[user] == nil {
				userSessions[user] = map[string]bool{}
			}
			userSessions[user][sid] = true
		}
		if s.attrs != attrs {
			t.Fatalf("line %d: session %s changed its user, device, place or attribution", k, sid)
		}
		s.events = append(s.events, r)
	}

	// Each session walks the funnel in order, in strictly increasing time.
	var reached [numEvents]int
	for _, sid := range sessionOrder {
		s := sessions[sid]
		var seen [numEvents]bool
		viewed := map[string]bool{}
		carted := map[string]bool{}
		prevTS := ""
		for i, e := range s.events {
			ts, name := e.str("event_ts"), e.str("event_name")
			if ts <= prevTS {
				t.Fatalf("session %s: event %d at %s is not after %s", sid, i, ts, prevTS)
			}
			prevTS = ts
			var need []int
			switch name {
			case "page_view":
			case "product_view":
				need = []int{evPageView}
				viewed[e.str("product_id")] = true
			case "add_to_cart":
				need = []int{evPageView, evProductView}
				if !viewed[e.str("product_id")] {
					t.Fatalf("session %s: add_to_cart of %s it never viewed", sid, e.str("product_id"))
				}
				carted[e.str("product_id")] = true
			case "checkout_started":
				need = []int{evPageView, evProductView, evAddToCart}
			case "purchase":
				need = []int{evPageView, evProductView, evAddToCart, evCheckoutStarted}
				if !carted[e.str("product_id")] {
					t.Fatalf("session %s: purchase of %s never added to cart", sid, e.str("product_id"))
				}
			}
			for _, step := range need {
				if !seen[step] {
					t.Fatalf("session %s: %s before any %s", sid, name, eventNames[step])
				}
			}
			seen[kindOf(name)] = true
		}
		for k := range seen {
			if seen[k] {
				reached[k]++
			}
		}
	}

	n := float64(len(sessions))
	within := func(what string, got, lo, hi float64) {
		if got < lo || got > hi {
			t.Errorf("%s = %.3f, want %.2f to %.2f", what, got, lo, hi)
		}
	}
	within("sessions viewing a product", float64(reached[evProductView])/n, 0.50, 0.70)
	within("product viewers adding to cart", float64(reached[evAddToCart])/float64(reached[evProductView]), 0.18, 0.35)
	within("carts reaching checkout", float64(reached[evCheckoutStarted])/float64(reached[evAddToCart]), 0.40, 0.60)
	within("checkouts purchasing", float64(reached[evPurchase])/float64(reached[evCheckoutStarted]), 0.50, 0.70)
	within("direct sessions", float64(direct)/n, 0.22, 0.38)
	within("sessions per user", n/float64(len(userSessions)), 2.5, 6)
	if len(currencies) < 2 {
		t.Errorf("currencies %v, want at least two", currencies)
	}
	if want := cfg.Days + 1; len(dates) != want {
		t.Errorf("events on %d dates, want %d (a window of %d days not starting at midnight)", len(dates), want, cfg.Days)
	}
}

func kindOf(name string) int {
	for k, n := range eventNames {
		if n == name {
			return k
		}
	}
	return -1
}

func isSubsequence(keys, order []string) bool {
	i := 0
	for _, k := range keys {
		for i < len(order) && order[i] != k {
			i++
		}
		if i == len(order) {
			return false
		}
		i++
	}
	return true
}

// TestMeanEventsPerSession keeps the constant that sizes the user pool
// honest.
func TestMeanEventsPerSession(t *testing.T) {
	g := mustNew(t, testConfig(77, 1000))
	c := g.Chunk(0)
	const sessions = 100_000
	total, longest := 0, 0
	for range sessions {
		c.startSession(&c.sess[0])
		total += c.sess[0].n
		longest = max(longest, c.sess[0].n)
	}
	if longest > maxSteps {
		t.Errorf("a session planned %d events, maxSteps is %d", longest, maxSteps)
	}
	mean := float64(total) / sessions
	if mean < meanEventsPerSession*0.97 || mean > meanEventsPerSession*1.03 {
		t.Errorf("mean events per session = %.3f, meanEventsPerSession = %v", mean, meanEventsPerSession)
	}
}

// TestSessionsStayInWindow draws many sessions at the edges of the window
// (a one-day window ending just after midnight) and checks their events.
func TestSessionsStayInWindow(t *testing.T) {
	tests := []struct {
		name string
		end  time.Time
		days int
	}{
		{"one day ending at midnight", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), 1},
		{"sub-millisecond end", time.Date(2026, 3, 1, 0, 0, 0, 999_999, time.UTC), 1},
		{"a year across a leap day", time.Date(2024, 12, 31, 23, 59, 59, 999_000_000, time.UTC), 366},
		{"end in another zone", time.Date(2026, 6, 1, 12, 0, 0, 0, time.FixedZone("EDT", -4*3600)), 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Defaults(1, 20_000, tc.end)
			cfg.Days = tc.days
			g := mustNew(t, cfg)
			lo := tc.end.Add(-time.Duration(tc.days) * 24 * time.Hour)
			c := g.Chunk(0)
			for {
				line, ok := c.AppendLine(nil)
				if !ok {
					break
				}
				r, ok := decodeLine(line)
				if !ok {
					continue // malformed
				}
				ts, err := time.Parse(time.RFC3339Nano, r.str("event_ts"))
				if err != nil {
					continue // an invalid timestamp on purpose, or none
				}
				if ts.Before(lo) || ts.After(tc.end) {
					t.Fatalf("event_ts %s outside [%s, %s]", r.str("event_ts"), lo.UTC().Format(time.RFC3339Nano), tc.end.UTC().Format(time.RFC3339Nano))
				}
			}
		})
	}
}
