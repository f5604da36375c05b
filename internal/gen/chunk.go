package gen

const (
	// concurrentSessions is how many sessions are open at once in a chunk;
	// their events interleave, as in a real tracker's stream.
	concurrentSessions = 6
	// maxSteps bounds the events of one session (plan uses at most 25).
	maxSteps = 32
	// dupDelay bounds how many lines after the original a re-send comes.
	dupDelay = 4096
	// meanEventsPerSession is the expected length of a session's plan,
	// measured (TestMeanEventsPerSession); it sizes the user pool.
	meanEventsPerSession = 4.06
)

var eventNameFields = [numEvents]string{
	`,"event_name":"page_view"`,
	`,"event_name":"product_view"`,
	`,"event_name":"add_to_cart"`,
	`,"event_name":"checkout_started"`,
	`,"event_name":"purchase"`,
}

var quantityFields = [6]string{"", `,"quantity":1`, `,"quantity":2`, `,"quantity":3`, `,"quantity":4`, `,"quantity":5`}

var currencyFields = [numCurrencies]string{
	`,"currency":"USD"`, `,"currency":"CAD"`, `,"currency":"GBP"`, `,"currency":"EUR"`, `,"currency":"AUD"`,
}

type step struct {
	ts      int64 // Unix ms
	product int32
	kind    uint8
	qty     uint8
}

// session is one visit: a user on a device from a channel, walking part of
// the funnel. Its plan is drawn when it starts; events are emitted in plan
// order.
type session struct {
	// frag holds the fields every event of the session shares, user_id to
	// utm_campaign, each with a leading comma; frag[:userEnd] is user_id.
	frag     []byte
	userEnd  int
	currency int

	steps  [maxSteps]step
	n, pos int

	last int64 // ts of the session's latest record, valid or not
	seen bool  // a valid event of the session was emitted
	day  int64 // UTC day of the last valid event
	mask uint8 // funnel steps seen on that day
}

type dupEntry struct {
	due  int64 // the slot from which the re-send may be emitted
	line []byte
}

// ChunkWriter produces the lines of one chunk, in order. It is not safe for
// concurrent use; use one per goroutine.
type ChunkWriter struct {
	g     *Generator
	index int
	base  int64 // global line number of the chunk's first line
	n     int64 // lines in the chunk
	slot  int64 // lines produced so far
	r     rng

	sess      [concurrentSessions]session
	orderBase int64
	orders    int64

	// Pending re-sends, a FIFO from dupHead ordered by due; free recycles
	// their buffers.
	dups    []dupEntry
	dupHead int
	free    [][]byte

	scratch []byte
	t       tally
}

// Index returns the chunk's number.
func (c *ChunkWriter) Index() int { return c.index }

// Lines returns the number of lines in the chunk.
func (c *ChunkWriter) Lines() int64 { return c.n }

// Done reports whether every line of the chunk was produced.
func (c *ChunkWriter) Done() bool { return c.slot >= c.n }

// AppendLine appends the next line, without its trailing newline, to dst.
// It returns dst unchanged and false once the chunk is done.
func (c *ChunkWriter) AppendLine(dst []byte) ([]byte, bool) {
	if c.slot >= c.n {
		return dst, false
	}
	return c.next(dst), true
}

// Fill appends up to maxLines lines to dst, each ending in '\n', and returns
// dst and the number of lines appended (0 once the chunk is done).
func (c *ChunkWriter) Fill(dst []byte, maxLines int) ([]byte, int) {
	k := 0
	for k < maxLines && c.slot < c.n {
		dst = c.next(dst)
		dst = append(dst, '\n')
		k++
	}
	return dst, k
}

// AppendLineID appends the next line like AppendLine and, when it is a
// valid event (or a re-send of one), returns its event_id as a subslice of
// out: such a line starts with {"event_id":"<id>", its only event_id,
// without escapes, so a parser reads that very id. id is nil for an
// invalid or malformed line, and both are nil once the chunk is done.
func (c *ChunkWriter) AppendLineID(dst []byte) (out, id []byte) {
	if c.slot >= c.n {
		return dst, nil
	}
	start := len(dst)
	out, valid := c.nextLine(dst)
	if valid {
		id = out[start+headerIDAt : start+headerIDAt+36 : start+headerIDAt+36]
	}
	return out, id
}

// next produces one line.
func (c *ChunkWriter) next(dst []byte) []byte {
	dst, _ = c.nextLine(dst)
	return dst
}

// nextLine produces one line and reports whether it is a valid event. A
// due re-send goes first (and must, once as many are pending as slots
// remain); otherwise the slot is invalid, malformed or a valid event, and a
// valid event may schedule re-sends of itself.
func (c *ChunkWriter) nextLine(dst []byte) ([]byte, bool) {
	s := c.slot
	c.slot++
	if pending := len(c.dups) - c.dupHead; pending > 0 {
		if e := &c.dups[c.dupHead]; e.due <= s || c.n-s <= int64(pending) {
			dst = append(dst, e.line...)
			c.free = append(c.free, e.line)
			e.line = nil
			c.dupHead++
			if c.dupHead == len(c.dups) {
				c.dups, c.dupHead = c.dups[:0], 0
			}
			c.t.dups++
			return dst, true // only valid events are re-sent
		}
	}
	g := c.g
	if g.pInvalid|g.pMalformed != 0 {
		u := c.r.next() >> 11
		if u < g.pInvalid {
			return c.appendInvalid(dst), false
		}
		if u-g.pInvalid < g.pMalformed {
			return c.appendMalformed(dst), false
		}
	}
	start := len(dst)
	dst = c.appendValid(dst)
	if g.dupWhole > 0 || g.pDupFrac > 0 {
		c.spawn(dst[start:])
	}
	return dst, true
}

func (c *ChunkWriter) appendValid(dst []byte) []byte {
	s := c.pick()
	st := &s.steps[s.pos]
	s.pos++
	s.last = st.ts
	order := int64(-1)
	if st.kind == evPurchase {
		order = c.orderBase + c.orders
		c.orders++
	}
	dst = c.appendEvent(dst, s, st, order, fNone, 0)
	c.t.count(c.g, s, st)
	return dst
}

// spawn schedules re-sends of line, never more than the chunk has room for.
func (c *ChunkWriter) spawn(line []byte) {
	k := c.g.dupWhole
	if c.g.pDupFrac > 0 && c.r.chance(c.g.pDupFrac) {
		k++
	}
	for ; k > 0; k-- {
		pending := len(c.dups) - c.dupHead
		if int64(pending) >= c.n-c.slot {
			return
		}
		due := c.slot + int64(c.r.intn(dupDelay))
		if pending > 0 {
			due = max(due, c.dups[len(c.dups)-1].due)
		}
		var buf []byte
		if n := len(c.free); n > 0 {
			buf, c.free = c.free[n-1][:0], c.free[:n-1]
		}
		if c.dupHead > 0 && len(c.dups) == cap(c.dups) {
			n := copy(c.dups, c.dups[c.dupHead:])
			clear(c.dups[n:])
			c.dups, c.dupHead = c.dups[:n], 0
		}
		c.dups = append(c.dups, dupEntry{due: due, line: append(buf, line...)})
	}
}

// pick chooses one of the open sessions, starting a new one in its place
// when it has run out of events.
func (c *ChunkWriter) pick() *session {
	s := &c.sess[c.r.intn(concurrentSessions)]
	if s.pos >= s.n {
		c.startSession(s)
	}
	return s
}

// appendEvent renders one record of s: the valid event st when f is fNone,
// otherwise the same record with fault f (variant v picks among the ways
// to break the rule). Every field is written with a leading comma; the
// first comma becomes the opening brace.
func (c *ChunkWriter) appendEvent(dst []byte, s *session, st *step, order int64, f int, v uint64) []byte {
	g := c.g
	start := len(dst)

	switch f {
	case fMissingEventID:
		dst = appendMissing(dst, `,"event_id":`, v, true)
		dst = append(dst, `,"event_ts":"`...)
		dst = appendTS(dst, &g.dates[st.ts/msPerDay-g.firstDay], st.ts)
		dst = append(dst, '"')
	case fMissingEventTS, fInvalidEventTS:
		dst = append(dst, `,"event_id":"`...)
		dst = appendUUID(dst, c.r.next(), c.r.next())
		dst = append(dst, '"')
		if f == fMissingEventTS {
			dst = appendMissing(dst, `,"event_ts":`, v, true)
		} else {
			dst = appendString(dst, `,"event_ts":`, badTimestamps[v%uint64(len(badTimestamps))])
		}
	default:
		dst = appendHeader(dst, c.r.next(), c.r.next(), &g.dates[st.ts/msPerDay-g.firstDay], st.ts)
	}

	switch f {
	case fMissingEventName:
		dst = appendMissing(dst, `,"event_name":`, v, true)
	case fInvalidEventName:
		dst = appendString(dst, `,"event_name":`, badEventNames[v%uint64(len(badEventNames))])
	default:
		dst = append(dst, eventNameFields[st.kind]...)
	}

	if f == fMissingUserID {
		dst = appendMissing(dst, `,"user_id":`, v, true)
		dst = append(dst, s.frag[s.userEnd:]...)
	} else {
		dst = append(dst, s.frag...)
	}

	if st.kind == evPageView || st.kind == evCheckoutStarted {
		dst[start] = '{'
		return append(dst, '}')
	}

	idcat := g.catalog.idcatOf(st.product)
	if f == fMissingProductID {
		dst = appendMissing(dst, `,"product_id":`, v, true)
		dst = append(dst, idcat[g.catalog.catOff[st.product]:]...)
	} else {
		dst = append(dst, idcat...)
	}

	switch f {
	case fMissingPrice:
		dst = appendMissing(dst, `,"price":`, v, false)
	case fPriceType:
		dst = append(dst, `,"price":"`...)
		dst = appendCents(dst, g.catalog.centsOf(st.product, s.currency))
		dst = append(dst, '"')
	case fNegativePrice:
		dst = append(dst, `,"price":-`...)
		dst = appendCents(dst, g.catalog.centsOf(st.product, s.currency))
	case fInvalidPrice:
		dst = append(dst, `,"price":`...)
		dst = append(dst, badPrices[v%uint64(len(badPrices))]...)
	default:
		dst = append(dst, g.catalog.priceOf(st.product, s.currency)...)
	}

	if st.kind != evProductView {
		switch f {
		case fMissingQuantity:
			dst = appendMissing(dst, `,"quantity":`, v, false)
		case fInvalidQuantity:
			dst = append(dst, `,"quantity":`...)
			dst = append(dst, badQuantities[v%uint64(len(badQuantities))]...)
		default:
			dst = append(dst, quantityFields[st.qty]...)
		}
	}

	switch f {
	case fMissingCurrency:
		dst = appendMissing(dst, `,"currency":`, v, true)
	case fInvalidCurrency:
		bad := badCurrencies[s.currency]
		dst = appendString(dst, `,"currency":`, bad[v%uint64(len(bad))])
	default:
		dst = append(dst, currencyFields[s.currency]...)
	}

	if st.kind == evPurchase {
		if f == fMissingOrderID {
			dst = appendMissing(dst, `,"order_id":`, v, true)
		} else {
			dst = append(dst, `,"order_id":"ord_`...)
			dst = appendUint(dst, uint64(order))
			dst = append(dst, '"')
		}
	}
	dst[start] = '{'
	return append(dst, '}')
}

// appendMissing writes a missing field in one of the ways the contract
// counts as missing: absent, null, or (for strings) empty.
func appendMissing(dst []byte, key string, v uint64, isString bool) []byte {
	ways := uint64(2)
	if isString {
		ways = 3
	}
	switch (v >> 8) % ways {
	case 0:
		return dst
	case 1:
		dst = append(dst, key...)
		return append(dst, "null"...)
	default:
		dst = append(dst, key...)
		return append(dst, `""`...)
	}
}

func appendString(dst []byte, key, val string) []byte {
	dst = append(dst, key...)
	dst = append(dst, '"')
	dst = append(dst, val...)
	return append(dst, '"')
}

// appendInvalid writes a record breaking exactly one rule, with a fresh
// event_id, in the context of an open session (whose plan it does not move).
func (c *ChunkWriter) appendInvalid(dst []byte) []byte {
	r := &c.r
	f := int(r.intn(numInvalidFaults))
	v := r.next()
	s, st := c.sideStep()
	switch f {
	case fPriceType, fNegativePrice, fInvalidPrice, fInvalidCurrency, fMissingCurrency, fMissingProductID:
		st.kind = productKinds[r.intn(3)]
	case fMissingPrice, fMissingQuantity:
		st.kind = evAddToCart
		if r.next()&1 == 0 {
			st.kind = evPurchase
		}
	case fInvalidQuantity, fMissingOrderID:
		st.kind = evPurchase
	}
	order := int64(-1)
	if st.kind == evPurchase && f != fMissingOrderID {
		order = c.orderBase + c.orders
		c.orders++
	}
	c.t.reasons[f]++
	return c.appendEvent(dst, s, &st, order, f, v)
}

var productKinds = [3]uint8{evProductView, evAddToCart, evPurchase}

// appendMalformed writes the first part of an event that is never sent
// whole: a truncated object, cut on a UTF-8 boundary.
func (c *ChunkWriter) appendMalformed(dst []byte) []byte {
	s, st := c.sideStep()
	c.scratch = c.appendEvent(c.scratch[:0], s, &st, c.orderBase+c.orders, fNone, 0)
	n := len(c.scratch)
	cut := n/4 + int(c.r.intn(uint64(n/2)))
	for cut > 1 && c.scratch[cut]&0xc0 == 0x80 {
		cut--
	}
	c.t.reasons[fMalformed]++
	return append(dst, c.scratch[:cut]...)
}

// sideStep picks a session and makes a step for a record that is not part
// of its plan (an invalid or malformed one): a random kind and product, at a
// time after the session's latest record and no later than its next
// planned event. So every record of a session has its own timestamp, and
// no two side records are byte-equal. A session with no room left is
// replaced by a new one.
func (c *ChunkWriter) sideStep() (*session, step) {
	r := &c.r
	s := c.pick()
	next := s.steps[s.pos].ts
	if next <= s.last {
		c.startSession(s)
		next = s.steps[0].ts
	}
	ts := s.last + 1 + int64(r.intn(uint64(min(next-s.last, 2000))))
	s.last = ts
	return s, step{
		ts:      ts,
		product: popular(r),
		kind:    uint8(r.intn(numEvents)),
		qty:     uint8(1 + c.g.quantityLUT.pick(r.next())),
	}
}

// startSession draws a new session into s: who, on what, from where, and
// the plan of its walk down the funnel.
func (c *ChunkWriter) startSession(s *session) {
	g := c.g
	r := &c.r

	// Half the sessions come from the tenth of users who visit most.
	pool := uint64(g.users)
	if r.next()&1 == 0 {
		pool = max(1, pool/10)
	}
	user := r.intn(pool)
	// A user's home and usual platform are fixed by the user number.
	h := mix(g.seedUs ^ user)
	ci := g.countryLUT.pick(h)
	h = mix(h)
	cty := &countries[ci]
	pi := g.placeLUT[ci].pick(h)
	h = mix(h)
	plat := g.platformLUT.pick(h)
	if r.intn(100) < 20 {
		plat = g.platformLUT.pick(r.next())
	}
	dev := g.deviceLUT[plat].pick(r.next())
	ch := g.channelLUT.pick(r.next())
	s.currency = cty.currency

	f := append(s.frag[:0], `,"user_id":"u_`...)
	f = appendPadded(f, userNumber(user, g.seedUs), 10)
	f = append(f, '"')
	s.userEnd = len(f)
	f = append(f, `,"session_id":"`...)
	f = appendUUID(f, r.next(), r.next())
	f = append(f, '"')
	f = append(f, g.deviceFrag[plat][dev]...)
	f = append(f, g.placeFrag[ci][pi]...)
	f = append(f, g.channelFrag[ch]...)
	s.frag = f

	c.plan(s, &channels[ch])
	s.pos, s.seen, s.day, s.mask = 0, false, -1, 0

	// The session starts where this line sits in the whole run, so the
	// output reads like a log in time order; a session that would end after
	// End is reflected back into the window.
	p := float64(c.base+c.slot) / float64(g.cfg.Rows)
	start := g.startAt(p)
	dur := s.steps[s.n-1].ts
	if start+dur > g.endMs {
		start = 2*(g.endMs-dur) - start
	}
	start = max(start, g.startMs)
	for i := range s.n {
		s.steps[i].ts += start
	}
	s.last = max(start-30_000, g.startMs-1)
}

// Funnel rates, in percent: of sessions, of product viewers, of carts, of
// checkouts.
const (
	pctViewProduct = 60
	pctAddToCart   = 25
	pctCheckout    = 50
	pctPurchase    = 60
)

// plan draws the session's events with timestamps relative to its start:
// page views; with drop-off at each step, product views (some with a page
// view between), add-to-carts right after the view of the product,
// checkout, and one purchase (one order) per cart line.
func (c *ChunkWriter) plan(s *session, ch *channel) {
	r := &c.r
	s.n = 0
	var ts int64
	add := func(kind uint8, product int32, qty uint8, lo, hi int64) {
		if s.n > 0 {
			span := uint64(hi - lo)
			ts += lo + int64(min(r.intn(span), r.intn(span))) // skewed to short gaps
		}
		s.steps[s.n] = step{ts: ts, product: product, kind: kind, qty: qty}
		s.n++
	}

	pages := 1 + geometric(r, 55, 6)
	for range pages {
		add(evPageView, 0, 0, 3_000, 120_000)
	}
	if r.intn(100) >= pctViewProduct {
		return
	}
	var viewed [6]int32
	views := 1 + geometric(r, 55, 5)
	for i := range views {
		p := popular(r)
		for try := 0; try < 3 && contains(viewed[:i], p); try++ {
			p = popular(r)
		}
		viewed[i] = p
	}
	carted := 0
	if r.intn(100*100) < uint64(pctAddToCart*ch.cartBoost) {
		carted = 1 + c.g.cartLUT.pick(r.next())
		carted = min(carted, views)
	}
	var cart [3]step
	for i := range views {
		if i > 0 && r.intn(100) < 40 {
			add(evPageView, 0, 0, 3_000, 90_000)
		}
		add(evProductView, viewed[i], 0, 5_000, 150_000)
		if i >= views-carted {
			qty := uint8(1 + c.g.quantityLUT.pick(r.next()))
			add(evAddToCart, viewed[i], qty, 8_000, 90_000)
			cart[i-(views-carted)] = s.steps[s.n-1]
		}
	}
	if carted == 0 || r.intn(100) >= pctCheckout {
		return
	}
	add(evCheckoutStarted, 0, 0, 15_000, 180_000)
	if r.intn(100) >= pctPurchase {
		return
	}
	for _, it := range cart[:carted] {
		add(evPurchase, it.product, it.qty, 30_000, 300_000)
	}
}

// cartSizeWeights: how many distinct products a cart holds (1, 2 or 3).
var cartSizeWeights = [3]int{78, 17, 5}

// geometric counts successes (each with pct% chance) before the first
// failure, at most limit.
func geometric(r *rng, pct uint64, limit int) int {
	n := 0
	for n < limit && r.intn(100) < pct {
		n++
	}
	return n
}

func contains(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// userNumber maps a user's index in the pool (< 10^10, see MaxRows) to a
// ten-digit number, a bijection on [0, 10^10) (the multiplier is coprime
// with 10) so that ids are unique and look unordered.
func userNumber(u, seed uint64) uint64 {
	const m = 10_000_000_000
	return (u*7_654_321 + seed%m) % m
}

// appendPadded appends v in decimal, zero-padded to width digits.
func appendPadded(dst []byte, v uint64, width int) []byte {
	var buf [20]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[:width]...)
}
