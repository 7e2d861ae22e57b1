package ledger

import "math/bits"

// accountTable finds a book's accounts by user id: open addressing with linear probing
// over one slice, at most half full. Applying a trade for a random one of 100,000 users
// missed the cache in a Go map about three times (its control word, its slot, then the
// account: 143 ns of the speed layer's 480 a trade); here a lookup is one slot, and
// touch lets a batch's misses overlap.
type accountTable struct {
	slots []accountSlot
	n     int
	shift uint8
}

// accountSlot is empty while acct is nil, so that every user id, zero included, is a key.
type accountSlot struct {
	user int64
	acct *account
}

func (t *accountTable) len() int { return t.n }

func (t *accountTable) home(user int64) uint64 { return (uint64(user) * fibonacci) >> t.shift }

// fibonacci is 2^64 / φ, the multiplier of Fibonacci hashing.
const fibonacci = 0x9E3779B97F4A7C15

// get returns the user's account, or nil.
func (t *accountTable) get(user int64) *account {
	if t.n == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := t.home(user); ; i = (i + 1) & mask {
		switch s := &t.slots[i]; {
		case s.acct == nil:
			return nil
		case s.user == user:
			return s.acct
		}
	}
}

// getOrAdd returns the user's account, opening an empty one if there is none.
func (t *accountTable) getOrAdd(user int64) *account {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	for i := t.home(user); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.acct == nil {
			s.user, s.acct = user, newAccount()
			t.n++
			return s.acct
		}
		if s.user == user {
			return s.acct
		}
	}
}

func (t *accountTable) grow() {
	size := max(16, 2*len(t.slots))
	old := t.slots
	t.slots, t.shift = make([]accountSlot, size), uint8(64-bits.TrailingZeros(uint(size)))
	mask := uint64(size - 1)
	for _, s := range old {
		if s.acct != nil {
			i := t.home(s.user)
			for t.slots[i].acct != nil {
				i = (i + 1) & mask
			}
			t.slots[i] = s
		}
	}
}

// each calls fn with every account, in no particular order.
func (t *accountTable) each(fn func(user int64, acct *account)) {
	for _, s := range t.slots {
		if s.acct != nil {
			fn(s.user, s.acct)
		}
	}
}

// touch reads the slots of users, then their accounts, then the accounts' positions, so
// that the cache misses of each round overlap instead of each lookup waiting for its own.
// It returns what it read, for the caller to keep, so that the reads are not dropped.
func (t *accountTable) touch(users []int64) (read uint64) {
	if t.n == 0 {
		return 0
	}
	for _, u := range users {
		read += uint64(t.slots[t.home(u)].user)
	}
	for _, u := range users {
		if acct := t.slots[t.home(u)].acct; acct != nil {
			read += uint64(acct.trades)
		}
	}
	for _, u := range users {
		if acct := t.slots[t.home(u)].acct; acct != nil && len(acct.positions) > 0 {
			read += uint64(acct.positions[0].symbol)
		}
	}
	return read
}
