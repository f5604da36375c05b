package event

import (
	"fmt"
	"math/bits"
	"strings"
)

// Code is one quarantine reason code of the contract. The constants are in
// contract order, which is the order Reasons.String lists them in.
type Code uint8

// The reason codes, in contract order.
const (
	MalformedJSON    Code = iota // not a JSON object; stands alone
	RecordTooLarge               // longer than ParserOptions.MaxRecordBytes; stands alone
	MissingEventID               // event_id absent, null or ""
	MissingEventTS               // event_ts absent, null or ""
	MissingEventName             // event_name absent, null or ""
	MissingUserID                // user_id absent, null or ""
	InvalidType                  // a field has the wrong JSON type; named by a Field
	InvalidEventTS               // event_ts is a string but not a valid timestamp
	InvalidEventName             // event_name is a string but not one of the five names
	NegativePrice                // price < 0
	InvalidPrice                 // price does not fit decimal(18,2) after rounding
	InvalidQuantity              // quantity < 1 or > 2^31-1
	InvalidCurrency              // currency is not three upper-case ASCII letters
	MissingProductID             // required by event_name and missing
	MissingPrice                 // required by event_name and missing
	MissingQuantity              // required by event_name and missing
	MissingCurrency              // required by event_name or by a price, and missing
	MissingOrderID               // required by event_name and missing
	numCodes
)

var codeNames = [numCodes]string{
	MalformedJSON:    "malformed_json",
	RecordTooLarge:   "record_too_large",
	MissingEventID:   "missing_event_id",
	MissingEventTS:   "missing_event_ts",
	MissingEventName: "missing_event_name",
	MissingUserID:    "missing_user_id",
	InvalidType:      "invalid_type",
	InvalidEventTS:   "invalid_event_ts",
	InvalidEventName: "invalid_event_name",
	NegativePrice:    "negative_price",
	InvalidPrice:     "invalid_price",
	InvalidQuantity:  "invalid_quantity",
	InvalidCurrency:  "invalid_currency",
	MissingProductID: "missing_product_id",
	MissingPrice:     "missing_price",
	MissingQuantity:  "missing_quantity",
	MissingCurrency:  "missing_currency",
	MissingOrderID:   "missing_order_id",
}

// String returns the code as the contract writes it, e.g. "negative_price".
// InvalidType is "invalid_type", without a field.
func (c Code) String() string {
	if c < numCodes {
		return codeNames[c]
	}
	return fmt.Sprintf("Code(%d)", uint8(c))
}

// Field is one field of the contract's fields table, in table order (which is
// the order of several invalid_type codes in a reason string).
type Field uint8

// The fields of the contract, in table order. event_date is not among them:
// the parser ignores it.
const (
	FieldEventID Field = iota
	FieldEventTS
	FieldEventName
	FieldUserID
	FieldSessionID
	FieldDeviceType
	FieldPlatform
	FieldCountry
	FieldRegion
	FieldCity
	FieldUTMSource
	FieldUTMMedium
	FieldUTMCampaign
	FieldProductID
	FieldCategory
	FieldPrice
	FieldQuantity
	FieldCurrency
	FieldOrderID
	numFields
)

var fieldNames = [numFields]string{
	FieldEventID:     "event_id",
	FieldEventTS:     "event_ts",
	FieldEventName:   "event_name",
	FieldUserID:      "user_id",
	FieldSessionID:   "session_id",
	FieldDeviceType:  "device_type",
	FieldPlatform:    "platform",
	FieldCountry:     "country",
	FieldRegion:      "region",
	FieldCity:        "city",
	FieldUTMSource:   "utm_source",
	FieldUTMMedium:   "utm_medium",
	FieldUTMCampaign: "utm_campaign",
	FieldProductID:   "product_id",
	FieldCategory:    "category",
	FieldPrice:       "price",
	FieldQuantity:    "quantity",
	FieldCurrency:    "currency",
	FieldOrderID:     "order_id",
}

// String returns the field's JSON key, e.g. "event_ts".
func (f Field) String() string {
	if f < numFields {
		return fieldNames[f]
	}
	return fmt.Sprintf("Field(%d)", uint8(f))
}

const invalidTypePrefix = "invalid_type:"

// Reasons is the set of rules one record breaks. The zero value is a valid
// record. It is a small comparable value: use it as a map key or compare it
// with ==.
type Reasons struct {
	codes uint32 // bit c set: Code c applies (never InvalidType: see types)
	types uint32 // bit f set: invalid_type:FIELD applies for Field f
}

// Valid reports whether the record breaks no rule.
func (r Reasons) Valid() bool { return r.codes == 0 && r.types == 0 }

// Has reports whether code c applies. Has(InvalidType) reports whether any
// field has the wrong type.
func (r Reasons) Has(c Code) bool {
	if c == InvalidType {
		return r.types != 0
	}
	return c < numCodes && r.codes&(1<<c) != 0
}

// HasInvalidType reports whether invalid_type:f applies.
func (r Reasons) HasInvalidType(f Field) bool { return f < numFields && r.types&(1<<f) != 0 }

// With returns r with code c added. InvalidType needs a field: use
// WithInvalidType; With(InvalidType) and unknown codes return r unchanged.
func (r Reasons) With(c Code) Reasons {
	if c < numCodes && c != InvalidType {
		r.codes |= 1 << c
	}
	return r
}

// WithInvalidType returns r with invalid_type:f added.
func (r Reasons) WithInvalidType(f Field) Reasons {
	if f < numFields {
		r.types |= 1 << f
	}
	return r
}

// String returns the reason string of the contract, e.g.
// "negative_price,invalid_quantity,missing_order_id", or "" for a valid
// record.
func (r Reasons) String() string {
	if r.Valid() {
		return ""
	}
	var buf [256]byte
	return string(r.AppendString(buf[:0]))
}

// AppendString appends the reason string (see String) to dst. It allocates
// only if dst is too small.
func (r Reasons) AppendString(dst []byte) []byte {
	first := true
	r.each(func(code string, f Field, typed bool) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		if typed {
			dst = append(dst, invalidTypePrefix...)
			dst = append(dst, fieldNames[f]...)
		} else {
			dst = append(dst, code...)
		}
	})
	return dst
}

// Codes appends each code of r to dst as its own string, in contract order,
// with the field named for invalid_type ("invalid_type:price"). The strings
// are those of CodeStrings; use it to count quarantined records per code.
func (r Reasons) Codes(dst []string) []string {
	r.each(func(code string, f Field, typed bool) {
		if typed {
			dst = append(dst, invalidTypeNames[f])
		} else {
			dst = append(dst, code)
		}
	})
	return dst
}

// each calls fn for every code of r in contract order.
func (r Reasons) each(fn func(code string, f Field, typed bool)) {
	codes := r.codes
	if r.types != 0 {
		codes |= 1 << InvalidType
	}
	for codes != 0 {
		c := Code(bits.TrailingZeros32(codes))
		codes &= codes - 1
		if c != InvalidType {
			fn(codeNames[c], 0, false)
			continue
		}
		types := r.types
		for types != 0 {
			f := Field(bits.TrailingZeros32(types))
			types &= types - 1
			fn("", f, true)
		}
	}
}

var invalidTypeNames = func() (n [numFields]string) {
	for f := range numFields {
		n[f] = invalidTypePrefix + fieldNames[f]
	}
	return n
}()

// CodeStrings returns every single code a reason string can hold, in contract
// order, with invalid_type spelled out once per field in fields-table order
// ("invalid_type:event_id" … "invalid_type:order_id"). The slice is new on
// every call; callers may keep and change it.
func CodeStrings() []string {
	out := make([]string, 0, int(numCodes)-1+int(numFields))
	for c := range numCodes {
		if c == InvalidType {
			out = append(out, invalidTypeNames[:]...)
			continue
		}
		out = append(out, codeNames[c])
	}
	return out
}

// ParseReasons reads a reason string written by Reasons.String. It accepts
// only the canonical form (contract order, no repeats, no spaces), so that
// ParseReasons(s).String() == s; "" is the valid record.
func ParseReasons(s string) (Reasons, error) {
	var r Reasons
	if s == "" {
		return r, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		if name, ok := strings.CutPrefix(part, invalidTypePrefix); ok {
			f, found := lookupName(fieldNames[:], name)
			if !found {
				return Reasons{}, fmt.Errorf("parse reason %q: field %q: %w", s, name, ErrUnknownReason)
			}
			r = r.WithInvalidType(Field(f))
			continue
		}
		c, found := lookupName(codeNames[:], part)
		if !found || Code(c) == InvalidType {
			return Reasons{}, fmt.Errorf("parse reason %q: code %q: %w", s, part, ErrUnknownReason)
		}
		r = r.With(Code(c))
	}
	if r.String() != s {
		return Reasons{}, fmt.Errorf("parse reason %q: not in contract order (want %q): %w", s, r.String(), ErrUnknownReason)
	}
	return r, nil
}

func lookupName(names []string, s string) (int, bool) {
	for i, n := range names {
		if n == s {
			return i, true
		}
	}
	return 0, false
}
