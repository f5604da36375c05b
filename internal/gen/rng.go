package gen

import "math/bits"

// rng is wyrand: a 64-bit state, one multiply per output, passes BigCrush
// and PractRand. It is a value owned by one ChunkWriter; nothing is shared.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// intn returns a number in [0, n) (n > 0) by Lemire's multiply-shift; the
// bias, at most n/2^64, does not matter here.
func (r *rng) intn(n uint64) uint64 {
	hi, _ := bits.Mul64(r.next(), n)
	return hi
}

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int64) int64 {
	return lo + int64(r.intn(uint64(hi-lo+1)))
}

// chance reports true with probability p53/2^53.
func (r *rng) chance(p53 uint64) bool { return r.next()>>11 < p53 }

// float returns a number in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// prob53 converts a probability in [0, 1] to the threshold chance takes.
func prob53(p float64) uint64 {
	if p <= 0 {
		return 0
	}
	if p >= 1 {
		return 1 << 53
	}
	return uint64(p * (1 << 53))
}

// mix is the splitmix64 finalizer: it turns related inputs (seed, seed+1)
// into unrelated outputs, for seeding streams and hashing ids.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// lut picks an index by weight in one lookup: entry k holds the index whose
// share of the total weight covers the point (k+0.5)/1024. Weights are
// approximated to 1/1024, which no table here needs finer than.
type lut [1024]uint8

func newLUT(weights []int) *lut {
	cum := cumulative(weights)
	total := cum[len(cum)-1]
	var l lut
	i := 0
	for k := range l {
		x := (2*k + 1) * total // the point, scaled by 2*1024
		for i < len(cum)-1 && x >= cum[i]*2*len(l) {
			i++
		}
		l[k] = uint8(i)
	}
	return &l
}

// pick maps a random u to an index.
func (l *lut) pick(u uint64) int { return int(l[u>>54]) }

// pickWeighted picks an index by integer weights; cum holds the running sums.
func pickWeighted(cum []int, u uint64) int {
	total := cum[len(cum)-1]
	hi, _ := bits.Mul64(u, uint64(total))
	x := int(hi)
	for i, c := range cum {
		if x < c {
			return i
		}
	}
	return len(cum) - 1
}

func cumulative(weights []int) []int {
	cum := make([]int, len(weights))
	sum := 0
	for i, w := range weights {
		sum += w
		cum[i] = sum
	}
	return cum
}
