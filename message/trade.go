package message

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	json "github.com/goccy/go-json"
)

// Topic names of the message contract.
const (
	TradesTopic = "trades"
	NewsTopic   = "news"
)

// Limits of the trade contract.
const (
	// MaxQuantity bounds a single trade so that sums of many trades stay far from int64
	// overflow; larger quantities are rejected as implausible input.
	MaxQuantity = 1_000_000_000_000
	// MaxTradeIDLen bounds trade_id; ids are kept in memory by the deduplication window.
	MaxTradeIDLen = 128
	// MaxSymbolLen is the longest accepted ticker symbol.
	MaxSymbolLen = 12
	// MaxPayload is the largest message accepted; real trades are a few hundred bytes.
	MaxPayload = 64 << 10
)

// Side says whether a trade adds to or removes from a position.
type Side int8

// The two sides of a trade.
const (
	Buy  Side = 1
	Sell Side = -1
)

func (s Side) String() string {
	if s == Sell {
		return "SELL"
	}
	return "BUY"
}

// Trade is one validated trade message.
type Trade struct {
	ID       string
	UserID   int64
	Symbol   string
	Side     Side
	Quantity int64
	Price    float64
	TS       time.Time
}

// SignedQuantity is the change the trade makes to the user's position: a SELL is a
// negative delta.
func (t Trade) SignedQuantity() int64 { return int64(t.Side) * t.Quantity }

// Error is a validation failure: the message must not be applied. Reason is meant for a
// person reading rejected_messages.
type Error struct {
	Reason string
}

func (e *Error) Error() string { return e.Reason }

func invalid(format string, args ...any) *Error {
	return &Error{Reason: fmt.Sprintf(format, args...)}
}

// tradeWire mirrors the JSON object. Fields stay raw so that each failure can name the
// field and what is wrong with it, rather than the decoder's generic type error.
type tradeWire struct {
	TradeID  json.RawMessage `json:"trade_id"`
	UserID   json.RawMessage `json:"user_id"`
	Symbol   json.RawMessage `json:"symbol"`
	Side     json.RawMessage `json:"side"`
	Quantity json.RawMessage `json:"quantity"`
	Price    json.RawMessage `json:"price"`
	TS       json.RawMessage `json:"ts"`
}

// DecodeTrade decodes and validates a trade message. key is the Kafka message key, which
// the contract fixes to the user_id in decimal, so that one user's trades stay in one
// partition and in order. Every failure is an *Error.
func DecodeTrade(key, value []byte) (Trade, error) {
	return decodeTrade(key, value, false)
}

// DecodeTradeInPlace is DecodeTrade for a caller that keeps value unchanged for as long
// as it keeps the trade's ID, which may then share value's memory rather than be
// copied: the speed layer and the archiver only hash or copy the id, and its allocation
// was the last one per trade.
func DecodeTradeInPlace(key, value []byte) (Trade, error) {
	return decodeTrade(key, value, true)
}

func decodeTrade(key, value []byte, idInPlace bool) (Trade, error) {
	// The scanner accepts only what checkPayload would: an object, and valid UTF-8,
	// which it checks where JSON allows anything but ASCII, in strings.
	if len(value) <= MaxPayload {
		if t, ok := scanTrade(value, idInPlace); ok && keyMatches(key, t.UserID) {
			return t, nil
		}
	}
	if err := checkPayload(value); err != nil {
		return Trade{}, err
	}
	return decodeTradeFields(key, value)
}

// keyMatches reports whether the message key is the user id in decimal: digits without
// a leading zero, whose value (below 10^19, which fits in 64 bits) is the id.
func keyMatches(key []byte, userID int64) bool {
	if len(key) == 0 || len(key) > 19 || key[0] == '0' {
		return false
	}
	var n uint64
	for _, c := range key {
		digit := c - '0' // a byte below '0' wraps above 9
		if digit > 9 {
			return false
		}
		n = n*10 + uint64(digit)
	}
	return userID > 0 && n == uint64(userID)
}

// decodeTradeFields is the general path of DecodeTrade: a JSON decoder into raw fields,
// each then decoded and checked on its own so that a rejection names its field.
func decodeTradeFields(key, value []byte) (Trade, error) {
	var w tradeWire
	if err := json.Unmarshal(value, &w); err != nil {
		return Trade{}, invalid("malformed JSON: %s", shortJSONError(err))
	}
	var t Trade
	var err error
	if t.ID, err = tradeID(w.TradeID); err != nil {
		return Trade{}, err
	}
	if t.UserID, err = userID(w.UserID); err != nil {
		return Trade{}, err
	}
	if t.Symbol, err = symbol(w.Symbol); err != nil {
		return Trade{}, err
	}
	if t.Side, err = side(w.Side); err != nil {
		return Trade{}, err
	}
	if t.Quantity, err = quantity(w.Quantity); err != nil {
		return Trade{}, err
	}
	if t.Price, err = price(w.Price); err != nil {
		return Trade{}, err
	}
	if t.TS, err = timestamp(w.TS); err != nil {
		return Trade{}, err
	}
	if key == nil {
		return Trade{}, invalid("missing message key: trades are keyed by user_id (kcat: -K: and \"%d:{...}\")", t.UserID)
	}
	if !keyMatches(key, t.UserID) {
		return Trade{}, invalid("message key %q does not match user_id %d: trades are keyed by user_id", truncate(key, 32), t.UserID)
	}
	return t, nil
}

// EncodeTrade renders a trade in the message contract, the inverse of DecodeTrade.
func EncodeTrade(t Trade) []byte {
	b := make([]byte, 0, 160)
	b = append(b, `{"trade_id":`...)
	b = strconv.AppendQuote(b, t.ID)
	b = append(b, `,"user_id":`...)
	b = strconv.AppendInt(b, t.UserID, 10)
	b = append(b, `,"symbol":`...)
	b = strconv.AppendQuote(b, t.Symbol)
	b = append(b, `,"side":"`...)
	b = append(b, t.Side.String()...)
	b = append(b, `","quantity":`...)
	b = strconv.AppendInt(b, t.Quantity, 10)
	b = append(b, `,"price":`...)
	b = strconv.AppendFloat(b, t.Price, 'f', -1, 64)
	b = append(b, `,"ts":"`...)
	b = t.TS.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `"}`...)
	return b
}

// TradeKey is the Kafka message key of a trade.
func TradeKey(userID int64) []byte { return strconv.AppendInt(nil, userID, 10) }

func checkPayload(value []byte) error {
	switch {
	case len(value) == 0:
		return invalid("empty payload")
	case len(value) > MaxPayload:
		return invalid("payload of %d bytes exceeds the %d-byte limit", len(value), MaxPayload)
	case !utf8.Valid(value):
		return invalid("payload is not valid UTF-8")
	}
	trimmed := bytes.TrimSpace(value)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return invalid("malformed JSON: a message must be a JSON object")
	}
	return nil
}

func tradeID(raw json.RawMessage) (string, error) {
	id, err := stringField("trade_id", raw)
	if err != nil {
		return "", err
	}
	return id, checkTradeID(id)
}

func checkTradeID(id string) error {
	switch {
	case id == "":
		return invalid("empty trade_id")
	case len(id) > MaxTradeIDLen:
		return invalid("trade_id longer than %d bytes", MaxTradeIDLen)
	case hasControl(id):
		return invalid("trade_id contains control characters")
	}
	return nil
}

func userID(raw json.RawMessage) (int64, error) {
	n, err := integerField("user_id", raw)
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, invalid("user_id %d is not positive", n)
	}
	return n, nil
}

func symbol(raw json.RawMessage) (string, error) {
	s, err := stringField("symbol", raw)
	if err != nil {
		return "", err
	}
	if !IsSymbol(s) {
		return "", invalid("symbol %q must be 1 to %d characters of A-Z, 0-9, '.' and '-'", truncate([]byte(s), 32), MaxSymbolLen)
	}
	return s, nil
}

// IsSymbol reports whether s is a well-formed ticker symbol of the contract.
func IsSymbol(s string) bool {
	if s == "" || len(s) > MaxSymbolLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func side(raw json.RawMessage) (Side, error) {
	s, err := stringField("side", raw)
	if err != nil {
		return 0, err
	}
	switch s {
	case "BUY":
		return Buy, nil
	case "SELL":
		return Sell, nil
	}
	return 0, invalid("side %q must be BUY or SELL", truncate([]byte(s), 32))
}

func quantity(raw json.RawMessage) (int64, error) {
	n, err := integerField("quantity", raw)
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, invalid("quantity %d is not positive", n)
	}
	if n > MaxQuantity {
		return 0, invalid("quantity %d exceeds the limit of %d", n, int64(MaxQuantity))
	}
	return n, nil
}

func price(raw json.RawMessage) (float64, error) {
	p, err := floatField("price", raw)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(p) || math.IsInf(p, 0) {
		return 0, invalid("price %s is not a finite number", truncate(raw, 32))
	}
	if p <= 0 {
		return 0, invalid("price %v is not positive", p)
	}
	return p, nil
}

func timestamp(raw json.RawMessage) (time.Time, error) {
	s, err := stringField("ts", raw)
	if err != nil {
		return time.Time{}, err
	}
	ts, err := parseTimestamp(s)
	if err != nil {
		return time.Time{}, invalid("ts %q is not an RFC 3339 time", truncate([]byte(s), 40))
	}
	return ts, nil
}

// hasControl reports whether s holds a control character (below 0x20, or DEL). Bytes
// suffice: every byte of a multi-byte UTF-8 sequence is 0x80 or above.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}

// shortJSONError keeps decoder errors to one readable line.
func shortJSONError(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
