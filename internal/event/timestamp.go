package event

const (
	microsPerSecond = 1_000_000
	microsPerDay    = 86_400 * microsPerSecond

	// The UTC range a timestamp must fall in: 0001-01-01T00:00:00Z up to
	// 9999-12-31T23:59:59.999999Z, the range of the timestamp and date
	// types the silver table is read with.
	minDays   = -719_162 // days from 1970-01-01 back to 0001-01-01
	maxDays   = 2_932_896
	minMicros = minDays * microsPerDay
	maxMicros = (maxDays+1)*microsPerDay - 1
)

// ParseTimestamp reads an event_ts per the contract, an RFC 3339 /
// ISO-8601 date-time:
//
//	YYYY-MM-DD('T'|'t'|' ')hh:mm:ss[.f…][offset]
//
// with 1 to 9 fractional digits (kept to microseconds, the rest truncated)
// and an offset of 'Z', 'z', ±hh:mm or ±hhmm (hh <= 23, mm <= 59); no offset
// means UTC. Years are 0001–9999, days of month follow the Gregorian
// calendar, hours <= 23, minutes and seconds <= 59 (no leap second). The
// result, microseconds since the Unix epoch in UTC, must also lie in years
// 0001–9999. Date-only strings and any leading or trailing text are invalid.
func ParseTimestamp(b []byte) (micros int64, ok bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	switch b[10] {
	case 'T', 't', ' ':
	default:
		return 0, false
	}
	year, ok1 := digits4(b[0:4])
	month, ok2 := digits2(b[5:7])
	day, ok3 := digits2(b[8:10])
	hour, ok4 := digits2(b[11:13])
	minute, ok5 := digits2(b[14:16])
	sec, ok6 := digits2(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return 0, false
	}
	if year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}

	i := 19
	var frac int64
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for i < len(b) && b[i]-'0' <= 9 {
			if i-start < 6 {
				frac = frac*10 + int64(b[i]-'0')
			}
			i++
		}
		nd := i - start
		if nd == 0 || nd > 9 {
			return 0, false
		}
		for ; nd < 6; nd++ {
			frac *= 10
		}
	}

	var offset int // seconds east of UTC
	if i < len(b) {
		switch b[i] {
		case 'Z', 'z':
			i++
		case '+', '-':
			rest := b[i+1:]
			var oh, om int
			var okh, okm bool
			switch {
			case len(rest) == 5 && rest[2] == ':':
				oh, okh = digits2(rest[0:2])
				om, okm = digits2(rest[3:5])
			case len(rest) == 4:
				oh, okh = digits2(rest[0:2])
				om, okm = digits2(rest[2:4])
			default:
				return 0, false
			}
			if !okh || !okm || oh > 23 || om > 59 {
				return 0, false
			}
			offset = oh*3600 + om*60
			if b[i] == '-' {
				offset = -offset
			}
			i = len(b)
		default:
			return 0, false
		}
	}
	if i != len(b) {
		return 0, false
	}

	days := daysFromCivil(year, month, day)
	secs := days*86_400 + int64(hour*3600+minute*60+sec-offset)
	micros = secs*microsPerSecond + frac
	if micros < minMicros || micros > maxMicros {
		return 0, false
	}
	return micros, true
}

// DateOf returns the UTC date of a timestamp as days since the Unix epoch
// (floor division, so instants before 1970 land on the right day).
func DateOf(micros int64) int32 {
	d := micros / microsPerDay
	if micros%microsPerDay < 0 {
		d--
	}
	return int32(d)
}

func digits2(b []byte) (int, bool) {
	d0, d1 := b[0]-'0', b[1]-'0'
	return int(d0)*10 + int(d1), d0 <= 9 && d1 <= 9
}

func digits4(b []byte) (int, bool) {
	hi, ok1 := digits2(b[0:2])
	lo, ok2 := digits2(b[2:4])
	return hi*100 + lo, ok1 && ok2
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(year, month int) int {
	switch month {
	case 2:
		if isLeap(year) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's days_from_civil), for years >= 1.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400 // y >= 0 here, so no floor correction
	yoe := y - era*400
	mp := (m + 9) % 12 // March = 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146_097 + int64(doe) - 719_468
}
