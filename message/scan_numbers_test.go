package message

import (
	"strconv"
	"testing"
	"time"
)

func TestTimestampsParseAsTimeParseDoes(t *testing.T) {
	for _, s := range []string{
		"2026-11-25T14:03:00Z", "2026-11-25T14:03:00.123Z", "2026-11-25T14:03:00.123456789Z",
		"2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2000-02-29T23:59:59.5Z",
		"2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-25T24:00:00Z", "2026-11-25T14:60:00Z",
		"2026-11-25T14:03:60Z", "2026-11-25T14:03:00.Z", "2026-11-25T14:03:00.1234567890Z",
		"2026-11-25T14:03:00+01:00", "2026-11-25t14:03:00z", "2026-11-25T14:03:00,5Z", "0000-01-01T00:00:00Z",
		"2026-11-25 14:03:00Z", "2026-1-25T14:03:00Z", "+026-11-25T14:03:00Z",
	} {
		checkTimestamp(t, s)
	}
}

func FuzzParseTimestamp(f *testing.F) {
	f.Add("2026-11-25T14:03:00.123Z")
	f.Add("2024-02-29T00:00:00+05:30")
	f.Fuzz(checkTimestamp)
}

func checkTimestamp(t *testing.T, s string) {
	want, wantErr := time.Parse(time.RFC3339Nano, s)
	got, err := parseTimestamp(s)
	if (err != nil) != (wantErr != nil) || err == nil && got != want.UTC() {
		t.Fatalf("%q: got %v, %v; time.Parse gives %v, %v", s, got, err, want.UTC(), wantErr)
	}
}

func FuzzParsePrice(f *testing.F) {
	for _, s := range []string{"178.25", "0.1", "123456789012345", "1234567890123456", "0.000000000000001", "1e3", "-2.5", "9007199254740993",
		"178.25,", "01.5", "1.", "1.5e2", "12345678901234.56"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// The one-pass reader of plain decimals takes a number that number() reads,
		// to where number() stops, and gives strconv's value for it.
		plain := tradeScanner{b: []byte(s)}
		fast, fastOK := plain.plainDecimal()
		sc := tradeScanner{b: []byte(s)}
		num, ok := sc.number()
		if fastOK {
			want, err := strconv.ParseFloat(string(num), 64)
			if !ok || plain.i != sc.i || err != nil || fast != want {
				t.Fatalf("%q: plain decimal %v to byte %d; number() %q to byte %d, strconv %v, %v", s, fast, plain.i, num, sc.i, want, err)
			}
		} else if plain.i != 0 {
			t.Fatalf("%q: the plain decimal reader moved to byte %d and reported false", s, plain.i)
		}
		if !ok || sc.i != len(s) {
			return // not a JSON number: the scanner never asks for it
		}
		want, wantErr := strconv.ParseFloat(s, 64)
		got, err := parsePrice(num)
		if (err != nil) != (wantErr != nil) || got != want {
			t.Fatalf("%q: got %v, %v; strconv gives %v, %v", s, got, err, want, wantErr)
		}
	})
}
