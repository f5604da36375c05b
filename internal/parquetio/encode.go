package parquetio

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/ecomm-lakehouse/lakehouse/internal/column"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

// This file holds the encodings the writer needs: the RLE/bit-packing
// hybrid (definition levels and dictionary indices), PLAIN booleans, the
// page dictionary, and the page codecs.

// appendHybrid appends vals in the RLE/bit-packing hybrid encoding at
// bitWidth (1–32) bits a value: a run of 8 or more equal values becomes an
// RLE run, the rest is bit-packed in groups of 8 (at most 63 groups a run,
// as parquet-mr writes them), the last group padded with zeros.
func appendHybrid[T uint8 | uint32](dst []byte, vals []T, bitWidth int) []byte {
	valueBytes := (bitWidth + 7) / 8
	n := len(vals)
	packStart, packGroups := -1, 0 // pending bit-packed run: header position
	for i := 0; i < n; {
		// An RLE run at i?
		v := vals[i]
		j := i + 1
		for j < n && vals[j] == v {
			j++
		}
		if j-i >= 8 {
			packStart, packGroups = -1, 0
			dst = binary.AppendUvarint(dst, uint64(j-i)<<1)
			for k := 0; k < valueBytes; k++ {
				dst = append(dst, byte(uint32(v)>>(8*k)))
			}
			i = j
			continue
		}
		// One bit-packed group of 8 values (zero-padded past the end).
		if packStart < 0 || packGroups == 63 {
			packStart, packGroups = len(dst), 0
			dst = append(dst, 0) // header, set below (63<<1|1 fits a byte)
		}
		packGroups++
		dst[packStart] = byte(packGroups<<1 | 1)
		if i+8 <= n && bitWidth <= 8 {
			// A whole group fits a word: 8 values of w bits are w bytes.
			// (The shifts are below 64; &63 spares their range checks.)
			v := vals[i : i+8 : i+8]
			w := uint(bitWidth)
			acc := uint64(v[0]) | uint64(v[1])<<(w&63) | uint64(v[2])<<(2*w&63) | uint64(v[3])<<(3*w&63) |
				uint64(v[4])<<(4*w&63) | uint64(v[5])<<(5*w&63) | uint64(v[6])<<(6*w&63) | uint64(v[7])<<(7*w&63)
			at := len(dst)
			dst = binary.LittleEndian.AppendUint64(dst, acc)[:at+bitWidth]
			i += 8
			if i >= n {
				break
			}
			continue
		}
		var acc uint64
		bits := 0
		for k := i; k < i+8; k++ {
			var x uint64
			if k < n {
				x = uint64(vals[k])
			}
			acc |= x << bits
			bits += bitWidth
			for bits >= 8 {
				dst = append(dst, byte(acc))
				acc >>= 8
				bits -= 8
			}
		}
		i += 8
		if i >= n {
			break
		}
	}
	return dst
}

// appendBoolsPlain appends PLAIN booleans: one bit each, least significant
// bit first.
func appendBoolsPlain(dst []byte, vals []bool) []byte {
	for i := 0; i < len(vals); i += 8 {
		var b byte
		for k := i; k < min(i+8, len(vals)); k++ {
			if vals[k] {
				b |= 1 << (k - i)
			}
		}
		dst = append(dst, b)
	}
	return dst
}

// appendDictPage appends the entries of a column chunk's dictionary
// PLAIN-encoded: the dictionary page.
func appendDictPage(dst []byte, d *column.Dict) []byte {
	for _, e := range d.Entries() {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(e)))
		dst = append(dst, e...)
	}
	return dst
}

// pageCodec compresses pages for one file.
type pageCodec struct {
	id    format.CompressionCodec
	level zstd.EncoderLevel
}

func (c pageCodec) compress(dst, src []byte) ([]byte, error) {
	switch c.id {
	case format.Snappy:
		// s2's fastest snappy-compatible encoder: parquet-go's snappy
		// codec uses s2's "better" mode, which on NDJSON text is 2.7×
		// slower for 4% fewer bytes (BenchmarkBronzeCodecs); every
		// Parquet reader decodes both.
		return s2.EncodeSnappy(dst[:cap(dst)], src), nil
	case format.Zstd:
		enc, err := zstdEncoder(c.level)
		if err != nil {
			return nil, err
		}
		dst = enc.EncodeAll(src, dst[:0])
		zstdEncoders[c.level].Put(enc)
		return dst, nil
	}
	return append(dst[:0], src...), nil
}

// zstdFastest is the default zstd level: on this data level 1 compresses
// about as well as level 3, at twice the speed.
const zstdFastest = zstd.SpeedFastest

// zstdEncoders pools single-threaded encoders by level: an encoder holds
// its window tables, too much to keep one per open file.
var zstdEncoders = map[zstd.EncoderLevel]*sync.Pool{}

func init() {
	for l := zstd.SpeedFastest; l <= zstd.SpeedBestCompression; l++ {
		zstdEncoders[l] = &sync.Pool{}
	}
}

func zstdEncoder(level zstd.EncoderLevel) (*zstd.Encoder, error) {
	if enc, ok := zstdEncoders[level].Get().(*zstd.Encoder); ok {
		return enc, nil
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(1), zstd.WithZeroFrames(true))
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	return enc, nil
}
