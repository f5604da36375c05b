package gen

import (
	"math"
	"sort"
	"time"
)

// ChunkLines is the number of lines in every chunk but the last.
const ChunkLines = 1 << 16

// catalogSize is the number of products; product popularity is skewed, so a
// few hundred of them get most of the views.
const catalogSize = 1200

// sessionsPerUser sizes the user pool: the expected number of sessions per
// user is about four (more for the loyal tenth, see startSession).
const sessionsPerUser = 4

// Generator holds what New precomputes from a Config: the product catalog,
// the time distribution of session starts, the dates of the window. It is
// immutable and safe for concurrent use.
type Generator struct {
	cfg Config

	startMs, endMs int64 // the window [startMs, endMs] in Unix ms
	firstDay       int64 // day number of startMs
	dates          [][10]byte

	users  int64 // size of the user pool
	seedUs uint64

	// Session starts: cumulative weight over hour buckets from startMs.
	hourCum   []float64
	hourStart []int64

	// Fault thresholds (see ChunkWriter.next for how they combine).
	pInvalid, pMalformed uint64 // per non-duplicate slot, out of 2^53
	dupWhole             int    // duplicates spawned by every valid line
	pDupFrac             uint64 // chance of one more, out of 2^53

	catalog catalog

	countryLUT  *lut
	placeLUT    []*lut
	platformLUT *lut
	deviceLUT   [numPlatforms]*lut
	channelLUT  *lut
	quantityLUT *lut
	cartLUT     *lut

	// Pre-rendered session fields, each with a leading comma.
	deviceFrag  [numPlatforms][]string // device_type and platform, by platform and device
	placeFrag   [][]string             // country, region, city, by country and place
	channelFrag []string               // utm_source, utm_medium, utm_campaign (none for direct)
}

// New checks cfg and precomputes what every chunk shares.
func New(cfg Config) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Generator{cfg: cfg}
	g.endMs = cfg.End.UnixMilli() // floor: no event after End
	start := cfg.End.Add(-time.Duration(cfg.Days) * 24 * time.Hour)
	g.startMs = start.UnixMilli()
	if start.After(time.UnixMilli(g.startMs)) {
		g.startMs++ // ceil: no event before End-Days
	}
	g.firstDay = g.startMs / msPerDay
	for d := g.firstDay; d <= g.endMs/msPerDay; d++ {
		g.dates = append(g.dates, civilDate(d))
	}

	seed := uint64(cfg.Seed)
	g.seedUs = mix(seed ^ 0x5ca1ab1e)
	sessions := float64(cfg.Rows) / meanEventsPerSession
	g.users = max(1, int64(math.Round(sessions/sessionsPerUser)))

	g.buildHours()
	g.buildFaults()
	g.catalog = newCatalog(mix(seed ^ 0xca7a1065))

	weights := make([]int, len(countries))
	for i, c := range countries {
		weights[i] = c.weight
		pw := make([]int, len(c.places))
		for j, p := range c.places {
			pw[j] = p.weight
		}
		g.placeLUT = append(g.placeLUT, newLUT(pw))
		frags := make([]string, len(c.places))
		for j, p := range c.places {
			frags[j] = `,"country":"` + c.code + `","region":"` + p.region + `","city":"` + p.city + `"`
		}
		g.placeFrag = append(g.placeFrag, frags)
	}
	g.countryLUT = newLUT(weights)
	g.platformLUT = newLUT(platformWeights[:])
	for p, devs := range platformDevices {
		dw := make([]int, len(devs))
		for i, d := range devs {
			dw[i] = d.weight
		}
		g.deviceLUT[p] = newLUT(dw)
		for _, d := range devs {
			g.deviceFrag[p] = append(g.deviceFrag[p], `,"device_type":"`+d.name+`","platform":"`+platformNames[p]+`"`)
		}
	}
	cw := make([]int, len(channels))
	for i, c := range channels {
		cw[i] = c.weight
		frag := ""
		if c.source != "" {
			frag = `,"utm_source":"` + c.source + `","utm_medium":"` + c.medium + `"`
			if c.campaign != "" {
				frag += `,"utm_campaign":"` + c.campaign + `"`
			}
		}
		g.channelFrag = append(g.channelFrag, frag)
	}
	g.channelLUT = newLUT(cw)
	g.quantityLUT = newLUT(quantityWeights[:])
	g.cartLUT = newLUT(cartSizeWeights[:])
	return g, nil
}

// Config returns the configuration g was made from.
func (g *Generator) Config() Config { return g.cfg }

// NumChunks returns the number of chunks: Rows / ChunkLines, rounded up.
func (g *Generator) NumChunks() int {
	return int((g.cfg.Rows + ChunkLines - 1) / ChunkLines)
}

// ChunkRows returns the number of lines of chunk i (0 outside the range).
func (g *Generator) ChunkRows(i int) int64 {
	if i < 0 || i >= g.NumChunks() {
		return 0
	}
	return min(int64(ChunkLines), g.cfg.Rows-int64(i)*ChunkLines)
}

// Chunk returns a writer for chunk i, 0 <= i < NumChunks(). Outside that
// range it returns a writer with no lines. Each call starts the chunk afresh.
func (g *Generator) Chunk(i int) *ChunkWriter {
	c := &ChunkWriter{g: g, index: i, n: g.ChunkRows(i)}
	c.base = int64(i) * ChunkLines
	c.r.s = mix(mix(uint64(g.cfg.Seed)^0x9e3779b97f4a7c15) ^ mix(uint64(g.cfg.Rows)+0x632be59bd9b4e019) ^ mix(uint64(i)+0x2545f4914f6cdd1d))
	c.orderBase = 1_000_000 + int64(i)*ChunkLines
	c.t.days = make([]dayTally, len(g.dates))
	c.t.minDay, c.t.maxDay = -1, -1
	return c
}

// buildHours lays hour buckets over the window, each weighted by its hour
// of day and day of week, so that session starts follow a daily rhythm.
func (g *Generator) buildHours() {
	const hour = 3_600_000
	sum := 0.0
	for t := g.startMs; t < g.endMs; {
		next := min((t/hour+1)*hour, g.endMs)
		day := t / msPerDay
		w := hourWeights[(t%msPerDay)/hour]
		if wd := (day + 4) % 7; wd == 0 || wd == 6 { // 1970-01-01 was a Thursday
			w *= weekendBoost
		}
		sum += float64(w * float64(next-t) / hour) // float64(): no fused multiply-add, same sums everywhere
		g.hourStart = append(g.hourStart, t)
		g.hourCum = append(g.hourCum, sum)
		t = next
	}
	g.hourStart = append(g.hourStart, g.endMs)
}

// startAt maps p in [0, 1) to a time in the window following the hourly weights.
func (g *Generator) startAt(p float64) int64 {
	if len(g.hourCum) == 0 {
		return g.startMs
	}
	target := p * g.hourCum[len(g.hourCum)-1]
	i := sort.SearchFloat64s(g.hourCum, target)
	if i >= len(g.hourCum) {
		i = len(g.hourCum) - 1
	}
	lo := 0.0
	if i > 0 {
		lo = g.hourCum[i-1]
	}
	frac := 0.0
	if w := g.hourCum[i] - lo; w > 0 {
		frac = (target - lo) / w
	}
	a, b := g.hourStart[i], g.hourStart[i+1]
	return a + int64(frac*float64(b-a))
}

// buildFaults turns the rates into thresholds. Duplicates are not drawn per
// slot: each valid line spawns on average q = d/(1-d-i-m) later re-sends of
// itself, so that duplicates make up a share d of all lines; the other slots
// draw invalid or malformed with probability i/(1-d) and m/(1-d).
func (g *Generator) buildFaults() {
	d, i, m := g.cfg.DuplicateRate, g.cfg.InvalidRate, g.cfg.MalformedRate
	if d < 1 {
		g.pInvalid = prob53(i / (1 - d))
		g.pMalformed = prob53(m / (1 - d))
	}
	if d > 0 {
		q := d / (1 - d - i - m)
		whole := math.Floor(q)
		g.dupWhole = int(whole)
		g.pDupFrac = prob53(q - whole)
	}
}
