package event

// Name is the event_name of a valid event. The zero value is no name (missing
// or not one of the five).
type Name uint8

// The five event names of the contract, in funnel order.
const (
	PageView        Name = iota + 1 // page_view
	ProductView                     // product_view
	AddToCart                       // add_to_cart
	CheckoutStarted                 // checkout_started
	Purchase                        // purchase
)

var nameStrings = [...]string{
	PageView:        "page_view",
	ProductView:     "product_view",
	AddToCart:       "add_to_cart",
	CheckoutStarted: "checkout_started",
	Purchase:        "purchase",
}

// String returns the name as the contract writes it ("add_to_cart"), or ""
// for the zero Name and unknown values.
func (n Name) String() string {
	if n >= PageView && n <= Purchase {
		return nameStrings[n]
	}
	return ""
}

// ParseName returns the Name spelled exactly (case-sensitively) as b.
func ParseName(b []byte) (Name, bool) {
	switch string(b) {
	case "page_view":
		return PageView, true
	case "product_view":
		return ProductView, true
	case "add_to_cart":
		return AddToCart, true
	case "checkout_started":
		return CheckoutStarted, true
	case "purchase":
		return Purchase, true
	}
	return 0, false
}

// Event is one parsed event. String fields hold the decoded JSON string
// (escapes resolved); nil means missing (absent, null or ""). They alias the
// parsed line or the Parser's scratch buffer and stay valid only until the
// next Parse call on the same Parser.
type Event struct {
	EventID     []byte
	EventName   []byte
	UserID      []byte
	SessionID   []byte
	DeviceType  []byte
	Platform    []byte
	Country     []byte
	Region      []byte
	City        []byte
	UTMSource   []byte
	UTMMedium   []byte
	UTMCampaign []byte
	ProductID   []byte
	Category    []byte
	Currency    []byte
	OrderID     []byte

	EventTS   int64 // microseconds since the Unix epoch, UTC
	EventDate int32 // days since the Unix epoch of EventTS in UTC (floor)
	Name      Name

	Price       int64 // unscaled decimal(18,2): cents, rounded half-up
	HasPrice    bool
	Quantity    int32
	HasQuantity bool
}
