package message

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// scanTrade decodes the common case of a trade message in one pass without a JSON
// library: a flat object holding the seven contract fields once each, strings without
// escapes and in valid UTF-8, integers in plain decimal, and any other fields with a
// string, number, true, false or null (the contract ignores them; real producers add
// some). It reports false for anything else, valid or not, and DecodeTrade then takes
// the general path, which gives every rejection its reason. A profile of the speed layer
// put the general path (goccy/go-json into raw fields, then a second decode per field)
// at 3.1 µs and 16 allocations per trade; this takes a tenth of it. FuzzDecodeTrade
// checks that both paths agree.
//
// With idInPlace the trade's ID shares value's memory.
func scanTrade(value []byte, idInPlace bool) (Trade, bool) {
	s := tradeScanner{b: value}
	if t, ok := s.compactContractFields(idInPlace); ok {
		return t, s.otherFields()
	}
	var t Trade
	s = tradeScanner{b: value}
	s.space()
	return t, s.consume('{') && s.members(&t, 0, idInPlace)
}

// allTradeFields has a bit set for each of the contract's fields (numbered as in
// tradeFields), stringTradeFields for those whose values are strings.
const (
	allTradeFields    = 1<<len(tradeFields) - 1
	stringTradeFields = 1<<0 | 1<<2 | 1<<3 | 1<<6 // trade_id, symbol, side, ts
)

// compactContractFields reads the form producers write, which a field at a time would
// read at about twice the cost (the ingest profile): no whitespace, and the contract's
// fields first, in the contract's order. It stops after the last one, ts.
func (s *tradeScanner) compactContractFields(idInPlace bool) (t Trade, ok bool) {
	if !s.token(&compactKeys[0]) {
		return t, false
	}
	if t.ID, ok = s.tradeID(idInPlace); !ok || !s.token(&compactKeys[1]) {
		return t, false
	}
	if t.UserID, ok = s.positiveInteger(); !ok || !s.token(&compactKeys[2]) {
		return t, false
	}
	if t.Symbol, ok = s.symbol(); !ok || !s.token(&compactKeys[3]) {
		return t, false
	}
	if t.Side, ok = s.side(); !ok || !s.token(&compactKeys[4]) {
		return t, false
	}
	if t.Quantity, ok = s.quantity(); !ok || !s.token(&compactKeys[5]) {
		return t, false
	}
	if t.Price, ok = s.price(); !ok || !s.token(&compactKeys[6]) {
		return t, false
	}
	t.TS, ok = s.timestamp()
	return t, ok
}

// compactKeys are what precedes each contract field's value in the compact form: the
// punctuation before the key, the key, its colon and a string's opening quote.
var compactKeys = [...]token{
	newToken(`{"trade_id":"`), newToken(`,"user_id":`), newToken(`,"symbol":"`), newToken(`,"side":"`),
	newToken(`,"quantity":`), newToken(`,"price":`), newToken(`,"ts":"`),
}

// token is a literal of at most 16 bytes held as two masked words. Matching one with
// strings.HasPrefix called memequal: the compiler compares in registers only against a
// constant, which a literal passed through a function is not.
type token struct {
	words, masks [2]uint64
	text         string
}

func newToken(text string) token {
	if len(text) > 16 {
		panic("message: token longer than 16 bytes: " + text)
	}
	t := token{text: text}
	for i := range len(text) {
		t.words[i/8] |= uint64(text[i]) << (8 * (i % 8))
		t.masks[i/8] |= 0xff << (8 * (i % 8))
	}
	return t
}

// token consumes t if the input goes on with it.
func (s *tradeScanner) token(t *token) bool {
	if len(s.b)-s.i < 16 {
		return s.literal(t.text)
	}
	lo, hi := binary.LittleEndian.Uint64(s.b[s.i:]), binary.LittleEndian.Uint64(s.b[s.i+8:])
	if lo&t.masks[0] != t.words[0] || hi&t.masks[1] != t.words[1] {
		return false
	}
	s.i += len(t.text)
	return true
}

// otherFields reads the rest of an object whose contract fields were all read: fields
// the contract does not have, and the end.
func (s *tradeScanner) otherFields() bool {
	s.space()
	if s.consume('}') {
		s.space()
		return s.i == len(s.b)
	}
	return s.consume(',') && s.members(nil, allTradeFields, false)
}

// members reads an object's members from the first after '{' or ',' to the end into t;
// seen has the bits of the contract fields read before. The object must end the input,
// holding every contract field once.
func (s *tradeScanner) members(t *Trade, seen int, idInPlace bool) bool {
	for {
		s.space()
		field, ok := s.key(bits.OnesCount(uint(seen)))
		if !ok {
			return false
		}
		s.space()
		if field < 0 {
			if !s.skipScalar() {
				return false // an object, an array or escapes: the general path knows
			}
		} else if seen&(1<<field) != 0 {
			return false // repeated: the general path knows what to do
		} else {
			seen |= 1 << field
			if !s.contractValue(t, field, idInPlace) {
				return false
			}
		}
		s.space()
		if s.consume('}') {
			break
		}
		if !s.consume(',') {
			return false
		}
	}
	s.space()
	return seen == allTradeFields && s.i == len(s.b)
}

// contractValue reads the value of the contract's field number field into t.
func (s *tradeScanner) contractValue(t *Trade, field int, idInPlace bool) (ok bool) {
	if stringTradeFields&(1<<field) != 0 && !s.consume('"') {
		return false
	}
	switch field {
	case 0:
		t.ID, ok = s.tradeID(idInPlace)
	case 1:
		t.UserID, ok = s.positiveInteger()
	case 2:
		t.Symbol, ok = s.symbol()
	case 3:
		t.Side, ok = s.side()
	case 4:
		t.Quantity, ok = s.quantity()
	case 5:
		t.Price, ok = s.price()
	case 6:
		t.TS, ok = s.timestamp()
	}
	return ok
}

// The values of the contract's fields; the readers of strings start after the opening
// quote.

func (s *tradeScanner) tradeID(inPlace bool) (string, bool) {
	id, ok := s.stringBody()
	if !ok || checkTradeID(unsafeString(id)) != nil {
		return "", false
	}
	if inPlace {
		return unsafeString(id), true
	}
	return string(id), true
}

func (s *tradeScanner) symbol() (string, bool) {
	sym, ok := s.stringBody()
	if !ok || !IsSymbol(unsafeString(sym)) {
		return "", false
	}
	return internSymbol(sym), true
}

func (s *tradeScanner) side() (Side, bool) {
	switch {
	case s.literal(`BUY"`):
		return Buy, true
	case s.literal(`SELL"`):
		return Sell, true
	}
	return 0, false
}

func (s *tradeScanner) quantity() (int64, bool) {
	q, ok := s.positiveInteger()
	return q, ok && q <= MaxQuantity
}

func (s *tradeScanner) price() (float64, bool) {
	if p, ok := s.plainDecimal(); ok {
		return p, p > 0
	}
	num, ok := s.number()
	if !ok {
		return 0, false
	}
	p, err := parsePrice(num)
	return p, err == nil && p > 0 // a nil error means a finite number
}

func (s *tradeScanner) timestamp() (time.Time, bool) {
	ts, ok := s.stringBody()
	if !ok {
		return time.Time{}, false
	}
	parsed, err := parseTimestamp(unsafeString(ts))
	return parsed, err == nil
}

var tradeFields = [...]string{"trade_id", "user_id", "symbol", "side", "quantity", "price", "ts"}

// tradeKeys are the fields as a compact encoder writes them, key and colon.
var tradeKeys = func() (keys [len(tradeFields)]string) {
	for i, name := range tradeFields {
		keys[i] = `"` + name + `":`
	}
	return keys
}()

// key reads an object key and its colon and returns the field's number, -1 for a field
// the contract does not have. next is the field that comes next in the contract's order:
// written that way, compactly, as producers do, it is matched in one comparison.
func (s *tradeScanner) key(next int) (field int, ok bool) {
	if next < len(tradeKeys) && s.literal(tradeKeys[next]) {
		return next, true
	}
	if !s.consume('"') {
		return 0, false
	}
	name, ok := s.stringBody()
	if !ok {
		return 0, false
	}
	s.space()
	if !s.consume(':') {
		return 0, false
	}
	return tradeFieldIndex(name)
}

// tradeFieldIndex returns the contract field named key, or -1 for a key the general
// path ignores too. The general path matches keys as encoding/json does, ignoring case
// (with Unicode folds such as 'ſ' for 's'), so a key that differs from a field only in
// case, or that is not ASCII, is left to it (false).
func tradeFieldIndex(key []byte) (int, bool) {
	folded := false
	for i, name := range tradeFields {
		if len(key) != len(name) { // folds aside, which non-ASCII keys are left for
			continue
		}
		if string(key) == name {
			return i, true
		}
		folded = folded || strings.EqualFold(unsafeString(key), name)
	}
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return 0, false
		}
	}
	return -1, !folded
}

// skipScalar reads a string without escapes, a number, true, false or null.
func (s *tradeScanner) skipScalar() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		s.i++
		_, ok := s.stringBody()
		return ok
	case c == '-' || c >= '0' && c <= '9':
		_, ok := s.number()
		return ok
	}
	return s.literal("true") || s.literal("false") || s.literal("null")
}

// unsafeString views b as a string for a call that does not keep it.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

type tradeScanner struct {
	b []byte
	i int
}

func (s *tradeScanner) space() {
	// Compact JSON, as producers write it, has none: one comparison decides (every
	// whitespace byte is at most ' ').
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return
	}
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *tradeScanner) consume(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// stringBody reads the rest of a JSON string, after its opening quote, without escapes
// or control characters and returns its bytes, which alias the message. It checks eight
// bytes at a time until a word holds a quote, a backslash or a control character, then
// goes byte by byte: producers add long references to trades. Bytes beyond ASCII must be
// valid UTF-8.
func (s *tradeScanner) stringBody() ([]byte, bool) {
	end := s.i
	var bytesOred uint64 // their high bits say whether any byte is beyond ASCII
	for end+8 <= len(s.b) {
		w := binary.LittleEndian.Uint64(s.b[end:])
		if hasQuoteBackslashOrControl(w) {
			break
		}
		bytesOred |= w
		end += 8
	}
	for ; end < len(s.b); end++ {
		switch c := s.b[end]; {
		case c == '"':
			str := s.b[s.i:end]
			s.i = end + 1
			return str, bytesOred&0x8080808080808080 == 0 || utf8.Valid(str)
		case c == '\\' || c < 0x20:
			return nil, false
		default:
			bytesOred |= uint64(c)
		}
	}
	return nil, false
}

// literal consumes text if the input goes on with it.
func (s *tradeScanner) literal(text string) bool {
	if strings.HasPrefix(unsafeString(s.b[s.i:]), text) {
		s.i += len(text)
		return true
	}
	return false
}

// hasQuoteBackslashOrControl reports whether any byte of w is '"', '\\' or below 0x20.
// (x-0x01...)&^x has a byte's high bit set where x has a zero byte, and not at all when
// it has none; below 0x20 likewise with 0x20... .
func hasQuoteBackslashOrControl(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote, backslash := w^(ones*'"'), w^(ones*'\\')
	return ((quote-ones)&^quote|(backslash-ones)&^backslash|(w-ones*0x20)&^w)&highs != 0
}

// positiveInteger reads a JSON integer in [1, 2^63).
func (s *tradeScanner) positiveInteger() (int64, bool) {
	b, start, end := s.b, s.i, s.i
	var n int64 // wrong beyond 18 digits, which strconv then reads
	for ; end < len(b); end++ {
		digit := b[end] - '0' // a byte below '0' wraps above 9
		if digit > 9 {
			break
		}
		n = n*10 + int64(digit)
	}
	s.i = end
	if end == start || b[start] == '0' || end < len(b) && (b[end] == '.' || b[end] == 'e' || b[end] == 'E') {
		return 0, false
	}
	if end-start > 18 {
		n, err := strconv.ParseInt(unsafeString(b[start:end]), 10, 64)
		return n, err == nil
	}
	return n, true
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *tradeScanner) number() ([]byte, bool) {
	start := s.i
	s.consume('-')
	switch {
	case s.consume('0'):
	case s.digits() == 0:
		return nil, false
	}
	if s.consume('.') && s.digits() == 0 {
		return nil, false
	}
	if s.consume('e') || s.consume('E') {
		if !s.consume('+') {
			s.consume('-')
		}
		if s.digits() == 0 {
			return nil, false
		}
	}
	return s.b[start:s.i], true
}

// parsePrice parses a JSON number as strconv.ParseFloat does. A plain decimal of at most
// 15 digits is read directly: its digits and its power of ten are exact float64s, and one
// IEEE division rounds their quotient correctly, as ParseFloat's own exact path does.
func parsePrice(num []byte) (float64, error) {
	var mantissa uint64
	digits, point := 0, -1
	for i, c := range num {
		switch {
		case c >= '0' && c <= '9' && digits < 15:
			mantissa = mantissa*10 + uint64(c-'0')
			digits++
		case c == '.' && point < 0:
			point = i
		default:
			return strconv.ParseFloat(unsafeString(num), 64)
		}
	}
	if point < 0 {
		return float64(mantissa), nil
	}
	return float64(mantissa) / exactPowersOfTen[len(num)-1-point], nil
}

// plainDecimal reads, in one pass, the form prices take: an integer part without
// leading zeros, perhaps a fraction, at most 15 digits in all, and no exponent. It gives
// parsePrice's result, and reports false, leaving s where it was, for anything else.
func (s *tradeScanner) plainDecimal() (float64, bool) {
	b, i := s.b, s.i
	var mantissa uint64
	for ; i < len(b) && b[i]-'0' <= 9; i++ {
		mantissa = mantissa*10 + uint64(b[i]-'0')
	}
	integerDigits, fractionDigits := i-s.i, 0
	if integerDigits == 0 || integerDigits > 1 && b[s.i] == '0' {
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		fractionStart := i
		for ; i < len(b) && b[i]-'0' <= 9; i++ {
			mantissa = mantissa*10 + uint64(b[i]-'0')
		}
		if fractionDigits = i - fractionStart; fractionDigits == 0 {
			return 0, false
		}
	}
	if integerDigits+fractionDigits > 15 || i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		return 0, false
	}
	s.i = i
	return float64(mantissa) / exactPowersOfTen[fractionDigits], true
}

var exactPowersOfTen = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

func (s *tradeScanner) digits() int {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i - start
}
