package ledger

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/autonews/autonews/message"
)

// ErrOverflow means a trade would push a position beyond what an int64 holds. The trade
// is rejected rather than wrapped around; both layers reject it alike.
var ErrOverflow = errors.New("position would overflow a 64-bit share count")

// Holding is one user's position in one symbol.
type Holding struct {
	UserID int64
	Symbol string
	Shares int64
}

// Book is mutable ledger state: positions by user and symbol, and last prices. It is not
// safe for concurrent use; its owner serializes access.
//
// Symbols are numbered on first sight and an account is a short list of (symbol number,
// shares): the speed layer applies every trade here under its lock, and a profile of the
// earlier map of maps keyed by symbol name had three string-keyed map operations per
// trade as its largest cost.
type Book struct {
	symbols  message.SymbolNumbers
	marks    SymbolMarks
	accounts accountTable
	// touched keeps what TouchAccounts read, so that its reads are not optimized away.
	touched uint64
}

type account struct {
	positions []position
	// trades counts the trades applied to the account.
	trades int
	// inline holds the first positions, so that a new account is one allocation.
	inline [4]position
}

type position struct {
	symbol uint32
	shares int64
}

// NewBook returns an empty book.
func NewBook() *Book {
	return &Book{}
}

// Apply is the reducer: it adds the trade's signed quantity to the user's position and
// moves the symbol's last price if this trade is later than the one that set it. A trade
// refused because the position would overflow still sets the price: the price is the
// market's, whatever the position.
func (b *Book) Apply(t message.Trade, at LogPosition) error {
	return b.ApplySymbol(t, b.Symbol(t.Symbol), MarkOf(t, at))
}

// ApplySymbol is Apply for a caller that already holds the trade's price mark and the
// book's number for its symbol (see Symbol).
func (b *Book) ApplySymbol(t message.Trade, symbol uint32, mark PriceMark) error {
	if !b.AddNumbered(t.UserID, symbol, t.SignedQuantity(), mark) {
		return fmt.Errorf("trade %s at p%d:%d: %w", t.ID, mark.At.Partition, mark.At.Offset, ErrOverflow)
	}
	return nil
}

// Symbol returns the book's number for symbol, numbering it if it is new. Numbers are the
// book's own: another book numbers its symbols otherwise.
func (b *Book) Symbol(symbol string) uint32 { return b.symbols.Number(symbol) }

// SymbolName is the symbol the book numbered id.
func (b *Book) SymbolName(id uint32) string { return b.symbols.Name(id) }

// AddNumbered is Apply for a trade already reduced to its user, the book's number for its
// symbol, its signed quantity and its price mark. It reports false, changing only the
// price, when the position would overflow.
func (b *Book) AddNumbered(userID int64, id uint32, shares int64, mark PriceMark) bool {
	b.marks.Note(id, mark)
	acct := b.account(userID)
	p := acct.position(id)
	sum, ok := AddShares(p.shares, shares)
	if ok {
		p.shares = sum
		acct.trades++
	}
	return ok
}

func (b *Book) account(userID int64) *account { return b.accounts.getOrAdd(userID) }

func newAccount() *account {
	acct := &account{}
	acct.positions = acct.inline[:0]
	return acct
}

// TouchAccounts reads ahead the accounts of users, whose trades are about to be applied:
// their cache misses then overlap (see accountTable.touch).
func (b *Book) TouchAccounts(users []int64) {
	b.touched += b.accounts.touch(users)
}

// position returns the account's position in symbol, adding it at zero shares.
func (a *account) position(symbol uint32) *position {
	if p := a.find(symbol); p != nil {
		return p
	}
	a.positions = append(a.positions, position{symbol: symbol})
	return &a.positions[len(a.positions)-1]
}

// find returns the account's position in symbol, or nil.
func (a *account) find(symbol uint32) *position {
	for i := range a.positions {
		if a.positions[i].symbol == symbol {
			return &a.positions[i]
		}
	}
	return nil
}

// AddShares adds two share counts; ok is false when the sum does not fit in an int64.
func AddShares(a, b int64) (sum int64, ok bool) {
	sum = a + b
	if (b > 0 && sum < a) || (b < 0 && sum > a) {
		return a, false
	}
	return sum, true
}

// Adjust changes a position without a trade. Only fault-injection hooks use it: every
// real change goes through Apply.
func (b *Book) Adjust(userID int64, symbol string, shares int64) {
	b.account(userID).position(b.Symbol(symbol)).shares += shares
}

// Shares returns the user's position in symbol.
func (b *Book) Shares(userID int64, symbol string) int64 {
	id, ok := b.symbols.Lookup(symbol)
	acct := b.accounts.get(userID)
	if !ok || acct == nil {
		return 0
	}
	if p := acct.find(id); p != nil {
		return p.shares
	}
	return 0
}

// EachAccount calls fn with every user that has an account and the trades applied to it.
func (b *Book) EachAccount(fn func(userID int64, trades int)) {
	b.accounts.each(func(u int64, acct *account) { fn(u, acct.trades) })
}

// Price returns the last price of symbol this book has seen.
func (b *Book) Price(symbol string) (PriceMark, bool) {
	id, ok := b.symbols.Lookup(symbol)
	if !ok {
		return PriceMark{}, false
	}
	return b.marks.Get(id)
}

// Prices returns a copy of every last price.
func (b *Book) Prices() map[string]PriceMark {
	out := make(map[string]PriceMark, b.symbols.Len())
	b.marks.Each(func(symbol uint32, mark PriceMark) { out[b.symbols.Name(symbol)] = mark })
	return out
}

// Holdings returns the non-zero positions of users in [lo, hi], ordered by user and symbol.
func (b *Book) Holdings(lo, hi int64) []Holding {
	var out []Holding
	if lo == hi {
		return b.appendUser(out, lo)
	}
	var users []int64
	b.accounts.each(func(u int64, _ *account) {
		if u >= lo && u <= hi {
			users = append(users, u)
		}
	})
	slices.Sort(users)
	for _, u := range users {
		out = b.appendUser(out, u)
	}
	return out
}

func (b *Book) appendUser(out []Holding, user int64) []Holding {
	acct := b.accounts.get(user)
	if acct == nil {
		return out
	}
	start := len(out)
	for _, p := range acct.positions {
		if p.shares != 0 {
			out = append(out, Holding{UserID: user, Symbol: b.symbols.Name(p.symbol), Shares: p.shares})
		}
	}
	slices.SortFunc(out[start:], func(x, y Holding) int { return compareString(x.Symbol, y.Symbol) })
	return out
}

func compareString(a, b string) int { return cmp.Compare(a, b) }
