package event

const (
	// maxCents is the largest unscaled decimal(18,2): 9999999999999999.99.
	maxCents = 999_999_999_999_999_999
	maxInt32 = 1<<31 - 1
	// expLimit bounds the exponent kept from the number text. Anything
	// beyond it is far outside every range checked here, and keeping it
	// bounded makes the arithmetic below overflow-free.
	expLimit = 1 << 50
)

// decimal is a JSON number text split into its parts, without any
// conversion: value = sign × digits(ip ++ fp) × 10^(exp − len(fp)).
type decimal struct {
	neg bool
	ip  []byte // integer digits, at least one
	fp  []byte // fraction digits, maybe none
	exp int64  // exponent, clamped to ±expLimit
}

// splitNumber splits b, which must be exactly one JSON number (RFC 8259
// grammar), into its parts.
func splitNumber(b []byte) (d decimal, ok bool) {
	i := 0
	if i < len(b) && b[i] == '-' {
		d.neg = true
		i++
	}
	start := i
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i]-'1' <= 8:
		for i < len(b) && b[i]-'0' <= 9 {
			i++
		}
	default:
		return d, false
	}
	d.ip = b[start:i]
	if i < len(b) && b[i] == '.' {
		i++
		start = i
		for i < len(b) && b[i]-'0' <= 9 {
			i++
		}
		if i == start {
			return d, false
		}
		d.fp = b[start:i]
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		neg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			neg = b[i] == '-'
			i++
		}
		start = i
		var e int64
		for i < len(b) && b[i]-'0' <= 9 {
			if e < expLimit {
				e = e*10 + int64(b[i]-'0')
			}
			i++
		}
		if i == start {
			return d, false
		}
		e = min(e, expLimit)
		if neg {
			e = -e
		}
		d.exp = e
	}
	return d, i == len(b)
}

func (d *decimal) digitCount() int { return len(d.ip) + len(d.fp) }

// digit returns the i-th digit of ip ++ fp as a number.
func (d *decimal) digit(i int) uint64 {
	if i < len(d.ip) {
		return uint64(d.ip[i] - '0')
	}
	return uint64(d.fp[i-len(d.ip)] - '0')
}

// significant returns where the significant digits start and end in
// ip ++ fp (first and one past the last non-zero digit); lead == trail for
// zero.
func (d *decimal) significant() (lead, trail int) {
	n := d.digitCount()
	for lead < n && d.digit(lead) == 0 {
		lead++
	}
	trail = n
	for trail > lead && d.digit(trail-1) == 0 {
		trail--
	}
	return lead, trail
}

// ParsePrice reads a JSON number text as the contract's price: the value as
// written, rounded half-up (away from zero at the third decimal) to
// decimal(18,2). It returns the rounded value in cents, whether the number as
// written is below zero (-0 and -0.0 are not), and whether the rounded
// absolute value fits decimal(18,2) (at most 9999999999999999.99). ok is false
// when num is not exactly one JSON number. Nothing goes through float64, so
// any digit count or exponent is handled exactly; cents is meaningful only
// when fits.
func ParsePrice(num []byte) (cents int64, negative, fits, ok bool) {
	if c, simple := simplePrice(num); simple {
		return c, false, true, true
	}
	d, ok := splitNumber(num)
	if !ok {
		return 0, false, false, false
	}
	lead, trail := d.significant()
	if lead == trail {
		return 0, false, true, true
	}
	negative = d.neg
	// Strip leading zeros; trailing zeros of the significand stay, as the
	// cents computation below walks digit positions anyway.
	n := d.digitCount()
	// value×100 = digits[lead:n] × 10^scale
	scale := d.exp - int64(len(d.fp)) + 2
	// intLen is how many digits the integral part of value×100 has.
	intLen := int64(n-lead) + scale
	if intLen > 18 {
		return 0, negative, false, true
	}
	var c uint64
	for k := range intLen {
		c *= 10
		if idx := int64(lead) + k; idx < int64(n) {
			c += d.digit(int(idx))
		}
	}
	// Half-up: only the first dropped digit decides.
	if intLen >= 0 && intLen < int64(n-lead) && d.digit(lead+int(intLen)) >= 5 {
		c++
	}
	if c > maxCents {
		return 0, negative, false, true
	}
	cents = int64(c)
	if negative {
		cents = -cents
	}
	return cents, negative, true, true
}

// ParseQuantity reads a JSON number text as the contract's quantity. integer
// reports whether the value has no fractional part (the JSON Schema 2020-12
// meaning: 1.0, 1e2 and -0 are integers, 1.5 and 15e-2 are not); inRange
// whether it is an integer with 1 <= q <= 2^31-1, and then q is its value. ok
// is false when num is not exactly one JSON number.
func ParseQuantity(num []byte) (q int32, integer, inRange, ok bool) {
	if v, simple := simpleQuantity(num); simple {
		return v, true, true, true
	}
	d, ok := splitNumber(num)
	if !ok {
		return 0, false, false, false
	}
	lead, trail := d.significant()
	if lead == trail {
		return 0, true, false, true // zero
	}
	n := d.digitCount()
	// value = digits[lead:trail] × 10^scale
	scale := d.exp - int64(len(d.fp)) + int64(n-trail)
	if scale < 0 {
		return 0, false, false, true
	}
	if d.neg {
		return 0, true, false, true
	}
	intLen := int64(trail-lead) + scale
	if intLen > 10 {
		return 0, true, false, true
	}
	var v uint64
	for k := range intLen {
		v *= 10
		if idx := int64(lead) + k; idx < int64(trail) {
			v += d.digit(int(idx))
		}
	}
	if v < 1 || v > maxInt32 {
		return 0, true, false, true
	}
	return int32(v), true, true, true
}

// simplePrice is the fast path of ParsePrice for the common form: up to 16
// integer digits (no leading zero), then optionally '.' and one or two
// digits, no sign, no exponent. Such a value is exact in cents and always
// fits. Anything else reports simple=false and takes the general path.
func simplePrice(num []byte) (cents int64, simple bool) {
	n := len(num)
	i := 0
	var v int64
	for i < n && num[i]-'0' <= 9 {
		v = v*10 + int64(num[i]-'0')
		i++
	}
	if i == 0 || i > 16 || (num[0] == '0' && i > 1) {
		return 0, false
	}
	var frac int64
	fd := 0
	if i < n {
		if num[i] != '.' {
			return 0, false
		}
		i++
		for i < n && fd < 2 && num[i]-'0' <= 9 {
			frac = frac*10 + int64(num[i]-'0')
			fd++
			i++
		}
		if fd == 0 {
			return 0, false
		}
	}
	if i != n {
		return 0, false
	}
	for ; fd < 2; fd++ {
		frac *= 10
	}
	return v*100 + frac, true
}

// simpleQuantity is the fast path of ParseQuantity: one to nine digits
// without a leading zero, always an integer in range.
func simpleQuantity(num []byte) (q int32, simple bool) {
	if len(num) == 0 || len(num) > 9 || num[0]-'1' > 8 {
		return 0, false
	}
	var v int32
	for _, c := range num {
		if c-'0' > 9 {
			return 0, false
		}
		v = v*10 + int32(c-'0')
	}
	return v, true
}
