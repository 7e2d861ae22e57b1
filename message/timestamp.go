package message

import "time"

// parseTimestamp parses an RFC 3339 time exactly as time.Parse(time.RFC3339Nano) does and
// returns it in UTC. The form producers send (UTC, "Z", up to nine fraction digits) is
// read directly: time.Parse was a tenth of the trade scanner's time.
func parseTimestamp(s string) (time.Time, error) {
	if t, ok := parseUTCTimestamp(s); ok {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC(), err
}

// parseUTCTimestamp reads YYYY-MM-DDTHH:MM:SS[.F{1,9}]Z. It reports false for anything
// else, valid or not, and for out-of-range fields, which time.Parse then judges.
func parseUTCTimestamp(s string) (time.Time, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
		s[13] != ':' || s[16] != ':' || s[len(s)-1] != 'Z' {
		return time.Time{}, false
	}
	century, ok1 := twoDigits(s, 0)
	decade, ok2 := twoDigits(s, 2)
	month, ok3 := twoDigits(s, 5)
	day, ok4 := twoDigits(s, 8)
	hour, ok5 := twoDigits(s, 11)
	minute, ok6 := twoDigits(s, 14)
	second, ok7 := twoDigits(s, 17)
	year := century*100 + decade
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, false
	}
	nanos := 0
	if frac := s[19 : len(s)-1]; frac != "" {
		digits := frac[1:]
		if frac[0] != '.' || len(digits) < 1 || len(digits) > 9 {
			return time.Time{}, false
		}
		n, ok := decimal(digits)
		if !ok {
			return time.Time{}, false
		}
		nanos = n * nanosPerDigit[len(digits)]
	}
	// time.Date normalizes and looks up zones; the fields are already checked, so count
	// the seconds directly.
	secs := (daysSinceEpoch(year, month, day)*24+int64(hour))*3600 + int64(minute)*60 + int64(second)
	return time.Unix(secs, int64(nanos)).UTC(), true
}

// daysSinceEpoch counts the days from 1970-01-01 to a date of the proleptic Gregorian
// calendar (Howard Hinnant's days_from_civil).
func daysSinceEpoch(year, month, day int) int64 {
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yearOfEra := y - era*400
	m := int64(month)
	if m > 2 {
		m -= 3
	} else {
		m += 9
	}
	dayOfYear := (153*m+2)/5 + int64(day) - 1
	dayOfEra := yearOfEra*365 + yearOfEra/4 - yearOfEra/100 + dayOfYear
	return era*146097 + dayOfEra - 719468
}

// nanosPerDigit[n] is what the last of n fraction digits counts in nanoseconds.
var nanosPerDigit = [...]int{1: 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 1e1, 1e0}

// twoDigits reads the two ASCII digits at s[i:i+2]. A byte below '0' wraps above 9.
func twoDigits(s string, i int) (int, bool) {
	tens, ones := s[i]-'0', s[i+1]-'0'
	return int(tens)*10 + int(ones), tens <= 9 && ones <= 9
}

// decimal reads a string of ASCII digits.
func decimal(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(m time.Month, year int) int {
	if m == time.February {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 31 - int((m-1)%7%2)
}
