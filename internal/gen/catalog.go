package gen

import "math"

// catalog is the product list: every product has one category and one
// price per currency, fixed for the Generator's seed. The JSON fragments
// the hot path copies are rendered once here.
type catalog struct {
	category []uint8
	cents    []int64 // [product*numCurrencies + currency]

	// idcat holds `,"product_id":"p_12345","category":"books"` per product;
	// idcatOff[p]..idcatOff[p+1] delimits it and catOff[p] is where its
	// category field starts.
	idcat    []byte
	idcatOff []int32
	catOff   []int32

	// price holds `,"price":19.99` per product and currency.
	price    []byte
	priceOff []int32
}

func newCatalog(seed uint64) catalog {
	r := rng{s: seed}
	weights := make([]int, len(categories))
	for i, c := range categories {
		weights[i] = c.weight
	}
	catCum := cumulative(weights)
	c := catalog{
		category: make([]uint8, catalogSize),
		cents:    make([]int64, catalogSize*numCurrencies),
		idcatOff: make([]int32, catalogSize+1),
		catOff:   make([]int32, catalogSize),
		priceOff: make([]int32, catalogSize*numCurrencies+1),
	}
	idOffset := r.intn(90000)
	for p := range catalogSize {
		ci := pickWeighted(catCum, r.next())
		cat := categories[ci]
		c.category[p] = uint8(ci)
		// Skewed to the cheap end of the category's range (u³), then a
		// shop's price endings: mostly .99, some .49, some round. Only
		// + - * / here, and every product rounded on its own (float64(...)
		// forbids fused multiply-add), so prices are the same on every
		// architecture.
		u := r.float()
		u3 := float64(float64(u*u) * u)
		base := float64(cat.min) + float64(float64(cat.max-cat.min)*u3)
		ending := r.intn(100)
		for cur := range numCurrencies {
			c.cents[p*numCurrencies+cur] = charm(base*currencyFX[cur], ending)
		}

		// Product ids are five digits, a permutation of the index so that
		// ids do not reveal popularity.
		id := 10000 + (uint64(p)*7919+idOffset)%90000
		c.idcat = append(c.idcat, `,"product_id":"p_`...)
		c.idcat = appendUint(c.idcat, id)
		c.idcat = append(c.idcat, '"')
		c.catOff[p] = int32(len(c.idcat) - int(c.idcatOff[p]))
		c.idcat = append(c.idcat, `,"category":"`...)
		c.idcat = append(c.idcat, cat.name...)
		c.idcat = append(c.idcat, '"')
		c.idcatOff[p+1] = int32(len(c.idcat))
	}
	for i, cents := range c.cents {
		c.price = append(c.price, `,"price":`...)
		c.price = appendCents(c.price, cents)
		c.priceOff[i+1] = int32(len(c.price))
	}
	return c
}

// charm rounds a price in cents to a whole unit and gives it a shop ending.
func charm(cents float64, ending uint64) int64 {
	units := max(1, int64(math.Round(cents/100)))
	switch {
	case ending < 72:
		return units*100 - 1 // 19.99
	case ending < 86:
		return units*100 - 51 // 19.49
	default:
		return units * 100 // 20.00
	}
}

func (c *catalog) idcatOf(p int32) []byte {
	return c.idcat[c.idcatOff[p]:c.idcatOff[p+1]]
}

func (c *catalog) priceOf(p int32, cur int) []byte {
	i := int(p)*numCurrencies + cur
	return c.price[c.priceOff[i]:c.priceOff[i+1]]
}

func (c *catalog) centsOf(p int32, cur int) int64 {
	return c.cents[int(p)*numCurrencies+cur]
}

// popular draws a product with a skewed popularity: index ~ n*u^2, so the
// first tenth of the catalog gets about a third of the draws.
func popular(r *rng) int32 {
	u := r.float()
	return int32(u * u * catalogSize)
}
