package event

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReasonsString(t *testing.T) {
	tests := []struct {
		name string
		r    Reasons
		want string
	}{
		{"valid", Reasons{}, ""},
		{"one code", Reasons{}.With(MissingEventID), "missing_event_id"},
		{"order follows the table, not the calls", Reasons{}.With(MissingOrderID).With(NegativePrice).With(InvalidQuantity), "negative_price,invalid_quantity,missing_order_id"},
		{"invalid_type in fields order, at its place", Reasons{}.With(MissingUserID).WithInvalidType(FieldOrderID).With(InvalidEventTS).WithInvalidType(FieldEventID).WithInvalidType(FieldPrice),
			"missing_user_id,invalid_type:event_id,invalid_type:price,invalid_type:order_id,invalid_event_ts"},
		{"With(InvalidType) alone adds nothing", Reasons{}.With(InvalidType), ""},
		{"repeated codes once", Reasons{}.With(MalformedJSON).With(MalformedJSON), "malformed_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.r.String()); diff != "" {
				t.Errorf("String (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, string(tt.r.AppendString([]byte(nil)))); diff != "" {
				t.Errorf("AppendString (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want == "", tt.r.Valid()); diff != "" {
				t.Errorf("Valid (-want +got):\n%s", diff)
			}
			var wantCodes []string
			if tt.want != "" {
				wantCodes = strings.Split(tt.want, ",")
			}
			if diff := cmp.Diff(wantCodes, tt.r.Codes(nil)); diff != "" {
				t.Errorf("Codes (-want +got):\n%s", diff)
			}
			back, err := ParseReasons(tt.want)
			if err != nil {
				t.Fatalf("ParseReasons(%q): %v", tt.want, err)
			}
			if back != tt.r {
				t.Errorf("ParseReasons(%q) = %+v, want %+v", tt.want, back, tt.r)
			}
		})
	}
}

func TestReasonsHas(t *testing.T) {
	r := Reasons{}.With(NegativePrice).WithInvalidType(FieldCity)
	got := map[string]bool{
		"NegativePrice":  r.Has(NegativePrice),
		"InvalidPrice":   r.Has(InvalidPrice),
		"InvalidType":    r.Has(InvalidType),
		"type city":      r.HasInvalidType(FieldCity),
		"type region":    r.HasInvalidType(FieldRegion),
		"unknown code":   r.Has(numCodes + 3),
		"unknown field":  r.HasInvalidType(numFields + 3),
		"valid:InvalidT": Reasons{}.Has(InvalidType),
	}
	want := map[string]bool{
		"NegativePrice": true, "InvalidPrice": false, "InvalidType": true, "type city": true,
		"type region": false, "unknown code": false, "unknown field": false, "valid:InvalidT": false,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Has (-want +got):\n%s", diff)
	}
}

func TestCodeStrings(t *testing.T) {
	want := []string{
		"malformed_json", "record_too_large",
		"missing_event_id", "missing_event_ts", "missing_event_name", "missing_user_id",
		"invalid_type:event_id", "invalid_type:event_ts", "invalid_type:event_name", "invalid_type:user_id",
		"invalid_type:session_id", "invalid_type:device_type", "invalid_type:platform", "invalid_type:country",
		"invalid_type:region", "invalid_type:city", "invalid_type:utm_source", "invalid_type:utm_medium",
		"invalid_type:utm_campaign", "invalid_type:product_id", "invalid_type:category", "invalid_type:price",
		"invalid_type:quantity", "invalid_type:currency", "invalid_type:order_id",
		"invalid_event_ts", "invalid_event_name", "negative_price", "invalid_price", "invalid_quantity",
		"invalid_currency",
		"missing_product_id", "missing_price", "missing_quantity", "missing_currency", "missing_order_id",
	}
	got := CodeStrings()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CodeStrings (-want +got):\n%s", diff)
	}
	got[0] = "changed"
	if CodeStrings()[0] != "malformed_json" {
		t.Errorf("CodeStrings returns shared storage")
	}
	// Every single code parses and prints back.
	for _, s := range want {
		r, err := ParseReasons(s)
		if err != nil || r.String() != s {
			t.Errorf("ParseReasons(%q) = %q, %v", s, r, err)
		}
	}
}

func TestParseReasonsErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"unknown code", "bogus"},
		{"bare invalid_type", "invalid_type"},
		{"unknown field", "invalid_type:event_date"},
		{"wrong order", "missing_order_id,negative_price"},
		{"types in wrong order", "invalid_type:price,invalid_type:city"},
		{"repeated", "negative_price,negative_price"},
		{"space", "negative_price, invalid_price"},
		{"trailing comma", "negative_price,"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseReasons(tt.in)
			if !errors.Is(err, ErrUnknownReason) {
				t.Errorf("ParseReasons(%q) error = %v, want one wrapping ErrUnknownReason", tt.in, err)
			}
		})
	}
}

func TestNames(t *testing.T) {
	var got []string
	for n := range Name(7) {
		s := n.String()
		back, ok := ParseName([]byte(s))
		got = append(got, s)
		if ok != (s != "") || (ok && back != n) {
			t.Errorf("ParseName(%q) = %v, %v for Name %d", s, back, ok, n)
		}
	}
	want := []string{"", "page_view", "product_view", "add_to_cart", "checkout_started", "purchase", ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Name.String (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"malformed_json", "invalid_type", "missing_order_id", "Code(18)", "event_id", "order_id", "Field(19)"},
		[]string{MalformedJSON.String(), InvalidType.String(), MissingOrderID.String(), numCodes.String(), FieldEventID.String(), FieldOrderID.String(), numFields.String()}); diff != "" {
		t.Errorf("Code and Field strings (-want +got):\n%s", diff)
	}
}
