package gen

import "encoding/binary"

// Appenders for the hot path: no fmt, no strconv, no allocation beyond
// growing dst.

// appendUUID appends a, b as a lowercase UUID version 4, variant 1.
func appendUUID(dst []byte, a, b uint64) []byte {
	var buf [36]byte
	putUUID(&buf, a, b)
	return append(dst, buf[:]...)
}

// putUUID writes a, b as a lowercase UUID version 4, variant 1.
func putUUID(buf *[36]byte, a, b uint64) {
	a = a&^(0xf<<12) | 0x4<<12 // version nibble (bits 48-51 of the 128)
	b = b&^(0x3<<62) | 0x2<<62 // variant bits
	binary.BigEndian.PutUint64(buf[0:], hex8(uint32(a>>32)))
	lo := hex8(uint32(a))
	binary.BigEndian.PutUint32(buf[9:], uint32(lo>>32))
	binary.BigEndian.PutUint32(buf[14:], uint32(lo))
	hi := hex8(uint32(b >> 32))
	binary.BigEndian.PutUint32(buf[19:], uint32(hi>>32))
	binary.BigEndian.PutUint32(buf[24:], uint32(hi))
	binary.BigEndian.PutUint64(buf[28:], hex8(uint32(b)))
	buf[8], buf[13], buf[18], buf[23] = '-', '-', '-', '-'
}

// hex8 returns the eight lowercase hex digits of v as big-endian bytes of a
// uint64: the nibbles are spread one per byte, then mapped to '0'-'9' and
// 'a'-'f' in all bytes at once.
func hex8(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000ffff0000ffff
	x = (x | x<<8) & 0x00ff00ff00ff00ff
	x = (x | x<<4) & 0x0f0f0f0f0f0f0f0f
	letters := (x + 0x0606060606060606) >> 4 & 0x0101010101010101 // 1 where the nibble is >= 10
	return x + 0x3030303030303030 + letters*0x27
}

// appendUint appends v in decimal.
func appendUint(dst []byte, v uint64) []byte {
	var buf [20]byte
	i := len(buf)
	for v >= 10 {
		i--
		q := v / 10
		buf[i] = byte('0' + v - q*10)
		v = q
	}
	i--
	buf[i] = byte('0' + v)
	return append(dst, buf[i:]...)
}

// appendCents appends cents (>= 0) as a JSON number with two decimals: 1999 -> 19.99.
func appendCents(dst []byte, cents int64) []byte {
	dst = appendUint(dst, uint64(cents/100))
	c := cents % 100
	return append(dst, '.', byte('0'+c/10), byte('0'+c%10))
}

const msPerDay = 86_400_000

// appendTS appends ms (Unix milliseconds, >= 0) as 2026-11-20T13:45:12.345Z;
// date is the pre-rendered YYYY-MM-DD of its day.
func appendTS(dst []byte, date *[10]byte, ms int64) []byte {
	var buf [24]byte
	putTS(&buf, date, ms)
	return append(dst, buf[:]...)
}

// putTS writes ms as appendTS does.
func putTS(buf *[24]byte, date *[10]byte, ms int64) {
	t := uint32(ms % msPerDay)
	h := t / 3_600_000
	t -= h * 3_600_000
	m := t / 60_000
	t -= m * 60_000
	s := t / 1000
	f := t - s*1000
	copy(buf[:10], date[:])
	buf[10] = 'T'
	buf[11], buf[12] = byte('0'+h/10), byte('0'+h%10)
	buf[13] = ':'
	buf[14], buf[15] = byte('0'+m/10), byte('0'+m%10)
	buf[16] = ':'
	buf[17], buf[18] = byte('0'+s/10), byte('0'+s%10)
	buf[19] = '.'
	buf[20], buf[21], buf[22] = byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10)
	buf[23] = 'Z'
}

// header is the start of every valid record: event_id and event_ts.
const (
	headerID   = `,"event_id":"`
	headerTS   = `","event_ts":"`
	headerIDAt = len(headerID) // where the event_id's 36 characters start
	headerLen  = headerIDAt + 36 + len(headerTS) + 24 + 1
	headerTSAt = headerIDAt + 36 + len(headerTS)
)

// appendHeader appends `,"event_id":"<uuid>","event_ts":"<ts>"` in one copy.
func appendHeader(dst []byte, a, b uint64, date *[10]byte, ms int64) []byte {
	var buf [headerLen]byte
	copy(buf[:], headerID)
	putUUID((*[36]byte)(buf[headerIDAt:]), a, b)
	copy(buf[headerIDAt+36:], headerTS)
	putTS((*[24]byte)(buf[headerTSAt:]), date, ms)
	buf[headerLen-1] = '"'
	return append(dst, buf[:]...)
}

// civilDate renders a day number (days since 1970-01-01) as YYYY-MM-DD
// (Howard Hinnant's days_from_civil inverse).
func civilDate(day int64) [10]byte {
	z := day + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	var b [10]byte
	b[0], b[1], b[2], b[3] = byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
	b[4] = '-'
	b[5], b[6] = byte('0'+m/10), byte('0'+m%10)
	b[7] = '-'
	b[8], b[9] = byte('0'+d/10), byte('0'+d%10)
	return b
}
