package gen

// The read-only tables the generator draws from. Every string here is
// written into JSON verbatim, so none may contain '"', '\\' or control
// characters (TestTablesNeedNoEscaping checks it).

// Event kinds, in funnel order. The order is the contract's and the gold
// funnel's: page_view → product_view → add_to_cart → checkout_started → purchase.
const (
	evPageView = iota
	evProductView
	evAddToCart
	evCheckoutStarted
	evPurchase
	numEvents
)

var eventNames = [numEvents]string{"page_view", "product_view", "add_to_cart", "checkout_started", "purchase"}

// EventNames returns the five event names in funnel order.
func EventNames() []string { return append([]string(nil), eventNames[:]...) }

// currencies: ISO code and the fixed exchange rate from the catalog's USD
// base price. A country sells in one currency.
const (
	curUSD = iota
	curCAD
	curGBP
	curEUR
	curAUD
	numCurrencies
)

var currencyCodes = [numCurrencies]string{"USD", "CAD", "GBP", "EUR", "AUD"}
var currencyFX = [numCurrencies]float64{1, 1.37, 0.79, 0.92, 1.52}

type place struct {
	region, city string
	weight       int
}

type country struct {
	code     string
	currency int
	weight   int
	places   []place
}

var countries = []country{
	{"US", curUSD, 44, []place{
		{"California", "Los Angeles", 14}, {"California", "San Francisco", 8}, {"California", "San Diego", 5},
		{"New York", "New York", 16}, {"New York", "Buffalo", 2}, {"Texas", "Houston", 8}, {"Texas", "Austin", 5},
		{"Texas", "Dallas", 6}, {"Illinois", "Chicago", 9}, {"Washington", "Seattle", 6}, {"Florida", "Miami", 6},
		{"Florida", "Orlando", 3}, {"Massachusetts", "Boston", 5}, {"Georgia", "Atlanta", 5}, {"Colorado", "Denver", 4},
	}},
	{"CA", curCAD, 22, []place{
		{"Ontario", "Toronto", 24}, {"Ontario", "Ottawa", 8}, {"Ontario", "Hamilton", 4}, {"Québec", "Montréal", 16},
		{"Québec", "Québec City", 5}, {"British Columbia", "Vancouver", 14}, {"British Columbia", "Victoria", 3},
		{"Alberta", "Calgary", 9}, {"Alberta", "Edmonton", 8}, {"Manitoba", "Winnipeg", 5}, {"Nova Scotia", "Halifax", 4},
	}},
	{"GB", curGBP, 12, []place{
		{"England", "London", 30}, {"England", "Manchester", 9}, {"England", "Birmingham", 8}, {"England", "Leeds", 5},
		{"Scotland", "Edinburgh", 5}, {"Scotland", "Glasgow", 5}, {"Wales", "Cardiff", 4}, {"Northern Ireland", "Belfast", 3},
	}},
	{"DE", curEUR, 9, []place{
		{"Bayern", "München", 12}, {"Berlin", "Berlin", 18}, {"Hamburg", "Hamburg", 9}, {"Nordrhein-Westfalen", "Köln", 8},
		{"Nordrhein-Westfalen", "Düsseldorf", 5}, {"Hessen", "Frankfurt am Main", 6}, {"Baden-Württemberg", "Stuttgart", 5},
	}},
	{"FR", curEUR, 7, []place{
		{"Île-de-France", "Paris", 24}, {"Auvergne-Rhône-Alpes", "Lyon", 7}, {"Provence-Alpes-Côte d'Azur", "Marseille", 7},
		{"Provence-Alpes-Côte d'Azur", "Nice", 3}, {"Occitanie", "Toulouse", 5}, {"Nouvelle-Aquitaine", "Bordeaux", 4},
	}},
	{"AU", curAUD, 6, []place{
		{"New South Wales", "Sydney", 16}, {"Victoria", "Melbourne", 15}, {"Queensland", "Brisbane", 8},
		{"Western Australia", "Perth", 6}, {"South Australia", "Adelaide", 4},
	}},
}

// Platforms and the devices each runs on, with weights: native apps run on
// phones and tablets only; the web runs everywhere.
const (
	platWeb = iota
	platIOS
	platAndroid
	numPlatforms
)

var platformNames = [numPlatforms]string{"web", "ios", "android"}
var platformWeights = [numPlatforms]int{50, 28, 22}

type device struct {
	name   string
	weight int
}

var platformDevices = [numPlatforms][]device{
	platWeb:     {{"desktop", 58}, {"mobile", 34}, {"tablet", 8}},
	platIOS:     {{"mobile", 82}, {"tablet", 18}},
	platAndroid: {{"mobile", 88}, {"tablet", 12}},
}

// channel is a session's attribution. Direct traffic has no utm keys;
// organic search has a source and medium but no campaign. cartBoost scales
// the add-to-cart rate (percent): e-mail and retargeting convert better than
// cold social traffic.
type channel struct {
	source, medium, campaign string
	weight                   int
	cartBoost                int
}

var channels = []channel{
	{"", "", "", 30, 100},
	{"google", "organic", "", 15, 100},
	{"google", "cpc", "brand_search", 8, 120},
	{"google", "cpc", "generic_search", 6, 100},
	{"google", "cpc", "shopping_feed", 5, 110},
	{"bing", "cpc", "brand_search", 2, 115},
	{"facebook", "paid_social", "spring_sale", 6, 80},
	{"instagram", "paid_social", "new_arrivals", 5, 75},
	{"tiktok", "paid_social", "creator_collab", 3, 65},
	{"pinterest", "paid_social", "holiday_ideas", 2, 80},
	{"newsletter", "email", "weekly_digest", 7, 140},
	{"klaviyo", "email", "abandoned_cart", 3, 190},
	{"rakuten", "affiliate", "cashback", 3, 120},
	{"reddit.com", "referral", "", 2, 90},
	{"youtube", "video", "unboxing_series", 3, 85},
}

// category: name, catalog weight and USD price range in cents.
type category struct {
	name     string
	weight   int
	min, max int64
}

var categories = []category{
	{"electronics", 14, 1999, 129999},
	{"home_kitchen", 14, 899, 39999},
	{"apparel", 16, 1299, 17999},
	{"beauty", 10, 599, 9499},
	{"sports_outdoors", 9, 999, 44999},
	{"toys_games", 8, 799, 14999},
	{"books", 9, 599, 4499},
	{"grocery", 7, 299, 3999},
	{"pet_supplies", 7, 499, 11999},
	{"jewelry", 6, 2499, 89999},
}

// hourWeights is the share of session starts by hour of day (UTC): a North
// American evening peak and a European afternoon, quiet before dawn in both.
var hourWeights = [24]float64{
	1.00, 1.00, 0.90, 0.72, 0.52, 0.38, 0.32, 0.36, 0.46, 0.56, 0.62, 0.66,
	0.70, 0.76, 0.82, 0.88, 0.92, 0.96, 1.00, 1.05, 1.10, 1.12, 1.08, 1.04,
}

// weekendBoost scales Saturday and Sunday.
const weekendBoost = 1.15

// quantityWeights: most carts hold one of a thing (index 0 is quantity 1).
var quantityWeights = [5]int{70, 18, 7, 3, 2}

// The invalid-record faults, one per reason code they produce.
const (
	fMissingEventID = iota
	fMissingEventTS
	fInvalidEventTS
	fMissingEventName
	fInvalidEventName
	fMissingUserID
	fPriceType
	fNegativePrice
	fInvalidPrice
	fInvalidQuantity
	fInvalidCurrency
	fMissingProductID
	fMissingPrice
	fMissingQuantity
	fMissingCurrency
	fMissingOrderID
	numInvalidFaults

	fMalformed = numInvalidFaults // the malformed_json slot in reason tallies
	numReasons = numInvalidFaults + 1
	fNone      = -1 // a valid record
)

// ReasonCodes returns the quarantine reasons the generator's faults produce
// (contracts/event.md), one per fault kind; the last is malformed_json.
func ReasonCodes() []string { return append([]string(nil), reasonCodes[:]...) }

var reasonCodes = [numReasons]string{
	fMissingEventID:   "missing_event_id",
	fMissingEventTS:   "missing_event_ts",
	fInvalidEventTS:   "invalid_event_ts",
	fMissingEventName: "missing_event_name",
	fInvalidEventName: "invalid_event_name",
	fMissingUserID:    "missing_user_id",
	fPriceType:        "invalid_type:price",
	fNegativePrice:    "negative_price",
	fInvalidPrice:     "invalid_price",
	fInvalidQuantity:  "invalid_quantity",
	fInvalidCurrency:  "invalid_currency",
	fMissingProductID: "missing_product_id",
	fMissingPrice:     "missing_price",
	fMissingQuantity:  "missing_quantity",
	fMissingCurrency:  "missing_currency",
	fMissingOrderID:   "missing_order_id",
	fMalformed:        "malformed_json",
}

// Values written by the faults that need a wrong value rather than a
// missing one. Each breaks only its own rule: a bad price is still >= 0, a
// bad quantity is still an integer, a bad currency is still a string.
var (
	badTimestamps = []string{"yesterday", "2026-13-45T99:00:00Z", "not a timestamp", "2026-11-31 25:61:00"}
	badEventNames = []string{"click", "pageview", "Purchase", "add-to-cart"}
	badPrices     = []string{"1e20", "12345678901234567.5", "1e300"}
	badQuantities = []string{"0", "-1", "2147483648"}
	badCurrencies = [numCurrencies][]string{
		curUSD: {"usd", "US", "DOLLAR"},
		curCAD: {"cad", "CA", "C$"},
		curGBP: {"gbp", "GB", "POUND"},
		curEUR: {"eur", "EU", "EURO"},
		curAUD: {"aud", "AU", "A$"},
	}
)
