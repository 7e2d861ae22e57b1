package ledger

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
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
type Book struct {
	accounts map[int64]map[string]int64
	prices   map[string]PriceMark
}

// NewBook returns an empty book.
func NewBook() *Book {
	return &Book{accounts: make(map[int64]map[string]int64), prices: make(map[string]PriceMark)}
}

// Apply is the reducer: it adds the trade's signed quantity to the user's position and
// moves the symbol's last price if this trade is later than the one that set it. A trade
// refused because the position would overflow still sets the price: the price is the
// market's, whatever the position.
func (b *Book) Apply(t message.Trade, at LogPosition) error {
	NotePrice(b.prices, t.Symbol, PriceMark{Price: t.Price, TSMicros: t.TS.UnixMicro(), At: at})
	account := b.accounts[t.UserID]
	if account == nil {
		account = make(map[string]int64, 4)
		b.accounts[t.UserID] = account
	}
	shares, ok := AddShares(account[t.Symbol], t.SignedQuantity())
	if !ok {
		return fmt.Errorf("trade %s at p%d:%d: %w", t.ID, at.Partition, at.Offset, ErrOverflow)
	}
	account[t.Symbol] = shares
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
	account := b.accounts[userID]
	if account == nil {
		account = map[string]int64{}
		b.accounts[userID] = account
	}
	account[symbol] += shares
}

// Shares returns the user's position in symbol.
func (b *Book) Shares(userID int64, symbol string) int64 { return b.accounts[userID][symbol] }

// Price returns the last price of symbol this book has seen.
func (b *Book) Price(symbol string) (PriceMark, bool) {
	m, ok := b.prices[symbol]
	return m, ok
}

// Prices returns a copy of every last price.
func (b *Book) Prices() map[string]PriceMark { return maps.Clone(b.prices) }

// Holdings returns the non-zero positions of users in [lo, hi], ordered by user and symbol.
func (b *Book) Holdings(lo, hi int64) []Holding {
	var out []Holding
	if lo == hi {
		return b.appendUser(out, lo)
	}
	users := make([]int64, 0, len(b.accounts))
	for u := range b.accounts {
		if u >= lo && u <= hi {
			users = append(users, u)
		}
	}
	slices.Sort(users)
	for _, u := range users {
		out = b.appendUser(out, u)
	}
	return out
}

func (b *Book) appendUser(out []Holding, user int64) []Holding {
	account := b.accounts[user]
	start := len(out)
	for sym, shares := range account {
		if shares != 0 {
			out = append(out, Holding{UserID: user, Symbol: sym, Shares: shares})
		}
	}
	slices.SortFunc(out[start:], func(x, y Holding) int { return compareString(x.Symbol, y.Symbol) })
	return out
}

func compareString(a, b string) int { return cmp.Compare(a, b) }
