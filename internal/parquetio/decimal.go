package parquetio

import "math/big"

// wideDecimalBytes encodes a *big.Int unscaled decimal as n bytes of
// big-endian two's complement.
func wideDecimalBytes(v interface{ FillBytes([]byte) []byte }, n int) []byte {
	x, ok := v.(*big.Int)
	if !ok {
		return make([]byte, n)
	}
	if x.Sign() >= 0 {
		return x.FillBytes(make([]byte, n))
	}
	// two's complement: 2^(8n) + x
	m := new(big.Int).Lsh(big.NewInt(1), uint(8*n))
	m.Add(m, x)
	return m.FillBytes(make([]byte, n))
}
