package event

import "encoding/binary"

// DefaultMaxRecordBytes is the default ParserOptions.MaxRecordBytes (1 MiB).
const DefaultMaxRecordBytes = 1 << 20

// ParserOptions configures a Parser. The zero value means the defaults.
type ParserOptions struct {
	// MaxRecordBytes is the longest line Parse reads; a longer one gets
	// record_too_large alone, unparsed. 0 means DefaultMaxRecordBytes.
	MaxRecordBytes int
}

// kind is the JSON type of a field's last value in the record.
type kind uint8

const (
	kindAbsent kind = iota
	kindNull
	kindString
	kindNumber
	kindBool
	kindArray
	kindObject
)

// slot remembers where the last value of a known field is in the line: the
// string content (between the quotes) or the number text.
type slot struct {
	start, end int
	kind       kind
	esc        bool // string content holds escapes
}

// Parser validates event lines against the contract. It keeps scratch
// buffers between calls, so reuse one Parser per goroutine; it is not safe
// for concurrent use.
type Parser struct {
	maxRecord int
	slots     [numFields]slot // slots[f] is meaningful only if seen has bit f
	seen      uint32
	scratch   []byte // decoded strings of the current record
	keyBuf    []byte // a decoded key holding escapes
	stack     bitStack
	quotes    []uint64 // scanFast's quote bitmap of the line
}

// NewParser returns a Parser with opts (zero fields take their defaults).
func NewParser(opts ParserOptions) *Parser {
	if opts.MaxRecordBytes <= 0 {
		opts.MaxRecordBytes = DefaultMaxRecordBytes
	}
	return &Parser{maxRecord: opts.MaxRecordBytes}
}

// Parse validates one line (without its line terminator) against the event
// contract, fills ev and returns the rules the line breaks. For a valid line
// (Reasons.Valid) every field of ev is set; otherwise only the Reasons are
// meaningful. The slices in ev alias line or p's scratch buffer and stay
// valid until the next Parse call on p. A UTF-8 byte order mark at the very
// start of line is ignored.
func (p *Parser) Parse(line []byte, ev *Event) Reasons {
	if len(line) > p.maxRecord {
		*ev = Event{}
		return Reasons{}.With(RecordTooLarge)
	}
	if !p.scan(line) {
		*ev = Event{}
		return Reasons{}.With(MalformedJSON)
	}
	return p.check(line, ev)
}

// scan checks that line is one JSON object and records in p.slots where the
// last value of every known field is.
func (p *Parser) scan(b []byte) bool {
	if haveClassify && p.scanFast(b) {
		return true
	}
	return p.scanAny(b)
}

// scanAny is scan for any line, one byte (or word) at a time.
func (p *Parser) scanAny(b []byte) bool {
	p.seen = 0
	n := len(b)
	i := 0
	if n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		i = 3
	}
	i = skipWS(b, i)
	if i >= n || b[i] != '{' {
		return false
	}
	i = skipWS(b, i+1)
	if i < n && b[i] == '}' {
		return skipWS(b, i+1) == n
	}
	// Writers emit the fields in one order, nearly always the contract's:
	// guess that the next key is the field after the last one, and check
	// the guess with one comparison before scanning the key in general.
	guess := FieldEventID
	var ok bool
	for {
		if i >= n || b[i] != '"' {
			return false
		}
		f, keyEnd := guess, keyAt(b, i, guess)
		if keyEnd < 0 {
			var keyEsc bool
			if keyEnd, keyEsc, ok = scanString(b, i+1); !ok {
				return false
			}
			key := b[i+1 : keyEnd]
			if keyEsc {
				p.keyBuf = appendUnescaped(p.keyBuf[:0], key)
				key = p.keyBuf
			}
			f = lookupField(key)
		}
		if f < numFields {
			guess = f + 1
		}
		// Compact JSON, the usual case, has no whitespace to skip: look
		// for it only where a token is not where it would be.
		if i = keyEnd + 1; i >= n || b[i] != ':' {
			if i = skipWS(b, i); i >= n || b[i] != ':' {
				return false
			}
		}
		if i++; i < n && b[i] <= ' ' {
			i = skipWS(b, i)
		}
		if i >= n {
			return false
		}
		var s slot
		switch c := b[i]; c {
		case '"':
			end, esc, ok := scanString(b, i+1)
			if !ok {
				return false
			}
			s = slot{start: i + 1, end: end, kind: kindString, esc: esc}
			i = end + 1
		case 't', 'f':
			lit := "true"
			if c == 'f' {
				lit = "false"
			}
			if i, ok = scanLiteral(b, i, lit); !ok {
				return false
			}
			s.kind = kindBool
		case 'n':
			if i, ok = scanLiteral(b, i, "null"); !ok {
				return false
			}
			s.kind = kindNull
		case '[', '{':
			s.kind = kindArray
			if c == '{' {
				s.kind = kindObject
			}
			if i, ok = skipComposite(b, i, &p.stack); !ok {
				return false
			}
		default:
			start := i
			if i, ok = scanNumber(b, i); !ok {
				return false
			}
			s = slot{start: start, end: i, kind: kindNumber}
		}
		if f < numFields {
			p.slots[f] = s
			p.seen |= 1 << f
		}
		if i < n && b[i] <= ' ' {
			i = skipWS(b, i)
		}
		if i >= n {
			return false
		}
		switch b[i] {
		case ',':
			if i++; i < n && b[i] <= ' ' {
				i = skipWS(b, i)
			}
		case '}':
			return skipWS(b, i+1) == n
		default:
			return false
		}
	}
}

// keyAt returns the index of the closing quote of the key whose opening
// quote is b[i] if that key is field f's, else -1 (also for f = numFields).
// Both scanners guess the field after the last one, as writers emit fields
// in the contract's order, and check the guess with two loads.
func keyAt(b []byte, i int, f Field) int {
	if f >= numFields || i+17 > len(b) {
		return -1
	}
	k := &keyWords[f]
	w := b[i+1 : i+17 : i+17]
	if (binary.LittleEndian.Uint64(w)^k.lo)&k.loMask != 0 ||
		(binary.LittleEndian.Uint64(w[8:])^k.hi)&k.hiMask != 0 {
		return -1
	}
	return i + k.len
}

// keyWord is a field's key followed by its closing quote (at most 16 bytes),
// as two little-endian words and masks, to compare a key in the line with
// two loads.
type keyWord struct {
	lo, hi, loMask, hiMask uint64
	len                    int // key length with the closing quote
}

// keyWords holds the keyWord of every field.
var keyWords = func() (w [numFields]keyWord) {
	for f := range numFields {
		var q, mask [16]byte
		k := fieldNames[f] + `"`
		copy(q[:], k)
		for i := range len(k) {
			mask[i] = 0xFF
		}
		w[f] = keyWord{
			lo:     binary.LittleEndian.Uint64(q[:8]),
			hi:     binary.LittleEndian.Uint64(q[8:]),
			loMask: binary.LittleEndian.Uint64(mask[:8]),
			hiMask: binary.LittleEndian.Uint64(mask[8:]),
			len:    len(k),
		}
	}
	return w
}()

// lookupField returns the Field of a decoded key, or numFields for a key the
// contract does not check (event_date and unknown fields).
func lookupField(key []byte) Field {
	switch string(key) {
	case "event_id":
		return FieldEventID
	case "event_ts":
		return FieldEventTS
	case "event_name":
		return FieldEventName
	case "user_id":
		return FieldUserID
	case "session_id":
		return FieldSessionID
	case "device_type":
		return FieldDeviceType
	case "platform":
		return FieldPlatform
	case "country":
		return FieldCountry
	case "region":
		return FieldRegion
	case "city":
		return FieldCity
	case "utm_source":
		return FieldUTMSource
	case "utm_medium":
		return FieldUTMMedium
	case "utm_campaign":
		return FieldUTMCampaign
	case "product_id":
		return FieldProductID
	case "category":
		return FieldCategory
	case "price":
		return FieldPrice
	case "quantity":
		return FieldQuantity
	case "currency":
		return FieldCurrency
	case "order_id":
		return FieldOrderID
	}
	return numFields
}

// presence is how a field stands after type checking.
type presence uint8

const (
	missing   presence = iota // absent, null or ""
	present                   // the right JSON type, not empty
	wrongType                 // invalid_type
)

// absent is the slot of a field the line does not hold. Never written.
var absent slot

// slot returns where field f is in the line; kind is kindAbsent if it is
// not. The slot is read-only.
func (p *Parser) slot(f Field) *slot {
	if p.seen&(1<<f) == 0 {
		return &absent
	}
	return &p.slots[f]
}

// str returns the decoded value of a string field and how it stands.
func (p *Parser) str(b []byte, f Field) ([]byte, presence) {
	switch s := p.slot(f); s.kind {
	case kindAbsent, kindNull:
		return nil, missing
	case kindString:
		if s.start == s.end {
			return nil, missing
		}
		if !s.esc {
			return b[s.start:s.end:s.end], present
		}
		from := len(p.scratch)
		p.scratch = appendUnescaped(p.scratch, b[s.start:s.end])
		return p.scratch[from:len(p.scratch):len(p.scratch)], present
	}
	return nil, wrongType
}

// check applies the contract rules to the fields scan found.
func (p *Parser) check(b []byte, ev *Event) Reasons {
	var r Reasons
	p.scratch = p.scratch[:0]
	// check sets every field of ev; these stay zero unless set below.
	ev.EventTS, ev.EventDate, ev.Name = 0, 0, 0
	ev.EventName = nil
	ev.Price, ev.HasPrice, ev.Quantity, ev.HasQuantity = 0, false, 0, false

	required := func(f Field, c Code) []byte {
		v, st := p.str(b, f)
		switch st {
		case missing:
			r = r.With(c)
		case wrongType:
			r = r.WithInvalidType(f)
		}
		return v
	}
	optional := func(f Field) ([]byte, presence) {
		v, st := p.str(b, f)
		if st == wrongType {
			r = r.WithInvalidType(f)
		}
		return v, st
	}

	ev.EventID = required(FieldEventID, MissingEventID)
	if ts := required(FieldEventTS, MissingEventTS); ts != nil {
		if micros, ok := ParseTimestamp(ts); ok {
			ev.EventTS = micros
			ev.EventDate = DateOf(micros)
		} else {
			r = r.With(InvalidEventTS)
		}
	}
	if name := required(FieldEventName, MissingEventName); name != nil {
		ev.EventName = name
		if n, ok := ParseName(name); ok {
			ev.Name = n
		} else {
			r = r.With(InvalidEventName)
		}
	}
	ev.UserID = required(FieldUserID, MissingUserID)

	ev.SessionID, _ = optional(FieldSessionID)
	ev.DeviceType, _ = optional(FieldDeviceType)
	ev.Platform, _ = optional(FieldPlatform)
	ev.Country, _ = optional(FieldCountry)
	ev.Region, _ = optional(FieldRegion)
	ev.City, _ = optional(FieldCity)
	ev.UTMSource, _ = optional(FieldUTMSource)
	ev.UTMMedium, _ = optional(FieldUTMMedium)
	ev.UTMCampaign, _ = optional(FieldUTMCampaign)
	var productSt presence
	ev.ProductID, productSt = optional(FieldProductID)
	ev.Category, _ = optional(FieldCategory)

	priceSt := missing
	switch s := p.slot(FieldPrice); s.kind {
	case kindAbsent, kindNull:
	case kindNumber:
		priceSt = present
		cents, negative, fits, _ := ParsePrice(b[s.start:s.end])
		if negative {
			r = r.With(NegativePrice)
		}
		if !fits {
			r = r.With(InvalidPrice)
		}
		ev.Price, ev.HasPrice = cents, true
	default:
		priceSt = wrongType
		r = r.WithInvalidType(FieldPrice)
	}

	quantitySt := missing
	switch s := p.slot(FieldQuantity); s.kind {
	case kindAbsent, kindNull:
	case kindNumber:
		q, integer, inRange, _ := ParseQuantity(b[s.start:s.end])
		switch {
		case !integer:
			quantitySt = wrongType
			r = r.WithInvalidType(FieldQuantity)
		case !inRange:
			quantitySt = present
			r = r.With(InvalidQuantity)
		default:
			quantitySt = present
			ev.Quantity, ev.HasQuantity = q, true
		}
	default:
		quantitySt = wrongType
		r = r.WithInvalidType(FieldQuantity)
	}

	var currencySt presence
	ev.Currency, currencySt = optional(FieldCurrency)
	if currencySt == present && !isCurrencyCode(ev.Currency) {
		r = r.With(InvalidCurrency)
	}
	var orderSt presence
	ev.OrderID, orderSt = optional(FieldOrderID)

	// Rules that depend on a valid event_name.
	if ev.Name != 0 {
		cart := ev.Name == AddToCart || ev.Name == Purchase
		if (cart || ev.Name == ProductView) && productSt == missing {
			r = r.With(MissingProductID)
		}
		if cart && priceSt == missing {
			r = r.With(MissingPrice)
		}
		if cart && quantitySt == missing {
			r = r.With(MissingQuantity)
		}
		if (cart || priceSt == present) && currencySt == missing {
			r = r.With(MissingCurrency)
		}
		if ev.Name == Purchase && orderSt == missing {
			r = r.With(MissingOrderID)
		}
	}
	return r
}

func isCurrencyCode(b []byte) bool {
	return len(b) == 3 && b[0]-'A' <= 25 && b[1]-'A' <= 25 && b[2]-'A' <= 25
}
