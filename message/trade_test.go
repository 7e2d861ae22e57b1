package message

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

const goodTrade = `{"trade_id":"T-000001","user_id":42,"symbol":"MMM","side":"BUY","quantity":5000,"price":178.25,"ts":"2026-11-25T14:03:00.123Z"}`

func TestDecodeTradeAcceptsTheContract(t *testing.T) {
	got, err := DecodeTrade([]byte("42"), []byte(goodTrade))
	if err != nil {
		t.Fatal(err)
	}
	want := Trade{ID: "T-000001", UserID: 42, Symbol: "MMM", Side: Buy, Quantity: 5000, Price: 178.25,
		TS: time.Date(2026, 11, 25, 14, 3, 0, 123e6, time.UTC)}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if got.SignedQuantity() != 5000 {
		t.Fatalf("signed quantity %d", got.SignedQuantity())
	}
}

func TestDecodeTradeRoundTripsThroughEncodeTrade(t *testing.T) {
	in, err := DecodeTrade([]byte("42"), []byte(goodTrade))
	if err != nil {
		t.Fatal(err)
	}
	in.Side = Sell
	out, err := DecodeTrade(TradeKey(in.UserID), EncodeTrade(in))
	if err != nil {
		t.Fatal(err)
	}
	if in != out {
		t.Fatalf("round trip changed the trade: %+v -> %+v", in, out)
	}
	if out.SignedQuantity() != -5000 {
		t.Fatalf("a SELL is a negative delta, got %d", out.SignedQuantity())
	}
}

// with replaces one field of the good trade by raw JSON, or removes it when raw is "".
func with(field, raw string) string {
	parts := strings.Split(strings.Trim(goodTrade, "{}"), ",")
	var kept []string
	for _, p := range parts {
		if strings.HasPrefix(p, `"`+field+`":`) {
			if raw != "" {
				kept = append(kept, `"`+field+`":`+raw)
			}
			continue
		}
		kept = append(kept, p)
	}
	return "{" + strings.Join(kept, ",") + "}"
}

func TestDecodeTradeRejectsWithAPreciseReason(t *testing.T) {
	for _, tc := range []struct {
		name, key, value, reason string
	}{
		{"empty payload", "42", "", "empty payload"},
		{"not an object", "42", `[1,2]`, "must be a JSON object"},
		{"truncated JSON", "42", goodTrade[:40], "malformed JSON"},
		{"invalid UTF-8", "42", "{\"trade_id\":\"\xff\"}", "not valid UTF-8"},
		{"invalid UTF-8 in a field beyond the contract", "42", goodTrade[:len(goodTrade)-1] + ",\"venue\":\"B\xf6rse Frankfurt\"}", "not valid UTF-8"},
		{"oversized", "42", `{"pad":"` + strings.Repeat("x", MaxPayload) + `"}`, "exceeds the"},
		{"missing trade_id", "42", with("trade_id", ""), "missing trade_id"},
		{"null trade_id", "42", with("trade_id", "null"), "missing trade_id"},
		{"numeric trade_id", "42", with("trade_id", "7"), "trade_id must be a JSON string"},
		{"empty trade_id", "42", with("trade_id", `""`), "empty trade_id"},
		{"control char in trade_id", "42", with("trade_id", `"T\u0001"`), "control characters"},
		{"DEL in trade_id", "42", with("trade_id", "\"T\x7f\""), "control characters"},
		{"key with a leading zero", "042", goodTrade, "does not match user_id"},
		{"long trade_id", "42", with("trade_id", `"`+strings.Repeat("T", 200)+`"`), "longer than"},
		{"missing user_id", "42", with("user_id", ""), "missing user_id"},
		{"string user_id", "42", with("user_id", `"42"`), "user_id must be a JSON number"},
		{"fractional user_id", "42", with("user_id", "4.2"), "user_id 4.2 is not a 64-bit integer"},
		{"zero user_id", "0", with("user_id", "0"), "user_id 0 is not positive"},
		{"negative user_id", "-3", with("user_id", "-3"), "user_id -3 is not positive"},
		{"missing symbol", "42", with("symbol", ""), "missing symbol"},
		{"lowercase symbol", "42", with("symbol", `"mmm"`), "symbol \"mmm\""},
		{"symbol with space", "42", with("symbol", `"M M"`), "symbol \"M M\""},
		{"long symbol", "42", with("symbol", `"ABCDEFGHIJKLM"`), "1 to 12 characters"},
		{"unknown side", "42", with("side", `"HOLD"`), "side \"HOLD\" must be BUY or SELL"},
		{"lowercase side", "42", with("side", `"buy"`), "must be BUY or SELL"},
		{"missing quantity", "42", with("quantity", ""), "missing quantity"},
		{"zero quantity", "42", with("quantity", "0"), "quantity 0 is not positive"},
		{"negative quantity", "42", with("quantity", "-5"), "quantity -5 is not positive"},
		{"fractional quantity", "42", with("quantity", "1.5"), "not a 64-bit integer"},
		{"huge quantity", "42", with("quantity", "1000000000001"), "exceeds the limit"},
		{"overflowing quantity", "42", with("quantity", "99999999999999999999"), "not a 64-bit integer"},
		{"string quantity", "42", with("quantity", `"5"`), "quantity must be a JSON number"},
		{"zero price", "42", with("price", "0"), "price 0 is not positive"},
		{"negative price", "42", with("price", "-1.5"), "price -1.5 is not positive"},
		{"infinite price", "42", with("price", "1e999"), "not a finite number"},
		{"NaN price", "42", with("price", `"NaN"`), "price must be a JSON number"},
		{"missing ts", "42", with("ts", ""), "missing ts"},
		{"bad ts", "42", with("ts", `"yesterday"`), "not an RFC 3339 time"},
		{"key is not the user", "7", goodTrade, "does not match user_id"},
		{"null key", "", goodTrade, "missing message key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var key []byte
			if tc.key != "" {
				key = []byte(tc.key)
			}
			_, err := DecodeTrade(key, []byte(tc.value))
			var verr *Error
			if !errors.As(err, &verr) {
				t.Fatalf("want a validation error, got %v", err)
			}
			if !strings.Contains(verr.Reason, tc.reason) {
				t.Fatalf("reason %q does not say %q", verr.Reason, tc.reason)
			}
		})
	}
}

func TestDecodeTradeIgnoresUnknownFields(t *testing.T) {
	value := strings.Replace(goodTrade, "{", `{"venue":"XNYS","meta":{"a":[1,2]},`, 1)
	if _, err := DecodeTrade([]byte("42"), []byte(value)); err != nil {
		t.Fatal(err)
	}
}

// Real producers add fields of their own; the one-pass scanner takes messages whose
// extra fields are scalars (the general path, ten times slower, took every one before),
// and leaves to the general path what only it decides alike.
func TestTheScannerSkipsUnknownScalarFields(t *testing.T) {
	want, err := DecodeTrade([]byte("42"), []byte(goodTrade))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		extra   string
		scanned bool
	}{
		{`"order_ref":"O-1234"`, true},
		{`"venue":"XNYS", "fee":-0.25e-2,"odd_lot":false,"note":null,"flag":true`, true},
		{`"n":0`, true},
		{`"meta":{"a":1}`, false}, // objects and arrays: general path
		{`"tags":["x"]`, false},   // "
		{`"note":"a\"b"`, false},  // escapes: general path
		{`"Side":"SELL"`, false},  // the general path matches keys ignoring case
		{`"ſide":"SELL"`, false},  // ſide folds to side there too
		{`"n":01`, false},         // not JSON
		{`"n":tru`, false},        // "
		{`"user_id":43`, false},   // repeated: the general path decides
		{`"venue":"Börse"`, true},
		{`"venue":"Börse Frankfurt, Parkett und Xetra"`, true},         // beyond ASCII in a checked word
		{"\"venue\":\"B\xf6rse\"", false},                              // not UTF-8, then rejected
		{"\"venue\":\"B\xf6rse Frankfurt, Parkett und Xetra\"", false}, // "
	} {
		// Before the contract's fields, and after them (the compact form producers
		// write, read by its own path).
		for _, value := range []string{
			strings.Replace(goodTrade, "{", "{"+c.extra+",", 1),
			goodTrade[:len(goodTrade)-1] + "," + c.extra + "}",
		} {
			scanned, ok := scanTrade([]byte(value), false)
			if ok != c.scanned {
				t.Errorf("%s: scanned %v, want %v", value, ok, c.scanned)
			}
			if ok && scanned != want {
				t.Errorf("%s: scanned %+v, want %+v", value, scanned, want)
			}
		}
	}
}

func TestTheMessageKeyMustBeTheUserIDInDecimal(t *testing.T) {
	for _, c := range []struct {
		key     string
		user    int64
		matches bool
	}{
		{"42", 42, true},
		{"42", 43, false},
		{"042", 42, false},
		{"+42", 42, false},
		{"42 ", 42, false},
		{"", 0, false},
		{"0", 0, false},
		{"-42", -42, false},
		{"9223372036854775807", math.MaxInt64, true},
		{"9223372036854775808", math.MinInt64, false},
		{"18446744073709551658", 42, false}, // 2^64+42
		{"4/", 39, false},                   // '/' is '0'-1
	} {
		if got := keyMatches([]byte(c.key), c.user); got != c.matches {
			t.Errorf("key %q, user %d: %v, want %v", c.key, c.user, got, c.matches)
		}
	}
}

func FuzzDecodeTrade(f *testing.F) {
	f.Add([]byte("42"), []byte(goodTrade))
	f.Add([]byte("42"), []byte(strings.Replace(goodTrade, "{", `{"venue":"XNYS","fee":-1.5e3,"odd":true,"n":null,"Venue":"x",`, 1)))
	f.Add([]byte("42"), []byte(strings.Replace(goodTrade, `"side"`, `"Side"`, 1)))
	f.Add([]byte("42"), []byte(with("price", "1e999")))
	f.Add([]byte("1"), []byte(`{"trade_id":"\u0000"}`))
	f.Add([]byte("42"), []byte(` { "ts" : "2026-11-25T14:03:00Z", "price":1.5e2,"quantity":7,"side":"SELL","symbol":"BRK.B","user_id":42,"trade_id":"x"} `))
	f.Add([]byte("42"), []byte(goodTrade[:len(goodTrade)-1]+`,"order_ref":"O-1", "n":1.5e3} `))
	f.Add([]byte("42"), []byte(goodTrade[:len(goodTrade)-1]+`,"price":1}`))
	f.Add([]byte("42"), []byte(`{"trade_id":"T","user_id":042,"symbol":"MMM","side":"BUY","quantity":5,"price":1,"ts":"2026-11-25T14:03:00Z"}`))
	f.Add([]byte("42"), []byte(goodTrade[:len(goodTrade)-1]+`,"venue":"Börse Frankfurt, Xetra"}`))
	f.Add([]byte("42"), []byte(goodTrade[:len(goodTrade)-1]+`,"venue":"B\xf6rse Frankfurt, Xetra"}`))
	f.Add([]byte("42"), []byte(strings.Replace(goodTrade, "T-000001", "T-\xc3", 1)))
	f.Fuzz(func(t *testing.T, key, value []byte) {
		tr, err := DecodeTrade(key, value)
		if inPlace, errInPlace := DecodeTradeInPlace(key, value); inPlace != tr || (errInPlace == nil) != (err == nil) {
			t.Fatalf("in place %+v, %v; copied %+v, %v", inPlace, errInPlace, tr, err)
		}
		// Whatever the one-pass scanner takes passes checkPayload (valid UTF-8, among
		// others), which it is not given, and the general path reads it alike.
		if scanned, ok := scanTrade(value, false); ok {
			if err := checkPayload(value); err != nil {
				t.Fatalf("scanned %+v from a payload checkPayload rejects: %v", scanned, err)
			}
			general, generalErr := decodeTradeFields(TradeKey(scanned.UserID), value)
			if generalErr != nil || general != scanned {
				t.Fatalf("scanned %+v, the general path %+v, %v", scanned, general, generalErr)
			}
		}
		if err != nil {
			var verr *Error
			if !errors.As(err, &verr) {
				t.Fatalf("decode error is not a validation error: %v", err)
			}
			return
		}
		// Whatever is accepted satisfies the contract and survives a round trip.
		if tr.UserID <= 0 || tr.Quantity <= 0 || tr.Quantity > MaxQuantity || !(tr.Price > 0) || !IsSymbol(tr.Symbol) {
			t.Fatalf("accepted a trade outside the contract: %+v", tr)
		}
		again, err := DecodeTrade(TradeKey(tr.UserID), EncodeTrade(tr))
		if err != nil || again != tr {
			t.Fatalf("round trip of %+v: %+v, %v", tr, again, err)
		}
	})
}
