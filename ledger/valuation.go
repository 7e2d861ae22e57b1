package ledger

import "math"

// Valued is a position with its market value at the last price and its weight in the
// user's portfolio.
type Valued struct {
	Holding
	LastPrice   float64
	MarketValue float64
	// Weight is |market value| ÷ the user's gross market value (the sum of |market value|
	// over their positions), so long and short positions both count as exposure.
	Weight float64
}

// Value prices one user's positions and computes their weights. price returns a symbol's
// last price; a position without one is worth nothing.
func Value(positions []Holding, price func(symbol string) (float64, bool)) []Valued {
	return AppendValued(make([]Valued, 0, len(positions)), positions, price)
}

// AppendValued appends one user's positions, priced and weighted as Value does, to dst:
// the serving fast path values into a buffer it reuses.
func AppendValued(dst []Valued, positions []Holding, price func(symbol string) (float64, bool)) []Valued {
	start := len(dst)
	var gross float64
	for _, h := range positions {
		p, _ := price(h.Symbol)
		mv := float64(h.Shares) * p
		dst = append(dst, Valued{Holding: h, LastPrice: p, MarketValue: mv})
		gross += math.Abs(mv)
	}
	if gross > 0 {
		out := dst[start:]
		for i := range out {
			out[i].Weight = math.Abs(out[i].MarketValue) / gross
		}
	}
	return dst
}
