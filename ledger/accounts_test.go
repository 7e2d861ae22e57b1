package ledger

import (
	"maps"
	"math"
	"math/rand/v2"
	"testing"
)

// The account table finds every user's account, whatever the id (zero and negative ones
// included), as a map would, through its growth; touching ahead changes nothing.
func TestAccountTableFindsWhatAMapWould(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ids := []int64{0, -1, 1, math.MinInt64, math.MaxInt64}
	for range 5000 {
		ids = append(ids, rng.Int64N(3000)-1000, rng.Int64())
	}
	var table accountTable
	want := map[int64]*account{}
	for i, id := range ids {
		if i%7 == 0 {
			table.touch(ids[i:min(i+7, len(ids))])
		}
		acct := table.getOrAdd(id)
		if old, ok := want[id]; ok && old != acct {
			t.Fatalf("user %d has a second account", id)
		}
		want[id] = acct
		acct.trades++
		if table.get(id) != acct {
			t.Fatalf("user %d: get differs from getOrAdd", id)
		}
	}
	if table.len() != len(want) {
		t.Fatalf("%d accounts, want %d", table.len(), len(want))
	}
	got := map[int64]*account{}
	table.each(func(user int64, acct *account) { got[user] = acct })
	if !maps.Equal(got, want) {
		t.Fatal("each lists other accounts than were opened")
	}
	for _, id := range []int64{-1001, 2001, 42424242} {
		if _, opened := want[id]; !opened && table.get(id) != nil {
			t.Fatalf("user %d has an account it never opened", id)
		}
	}
	var empty accountTable
	if empty.get(7) != nil || empty.touch([]int64{7}) != 0 {
		t.Fatal("an empty table holds an account")
	}
}
