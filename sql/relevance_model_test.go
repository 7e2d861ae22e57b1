package sql_test

import (
	"fmt"
	"math"
	"strings"

	"github.com/autonews/autonews/message"
)

// relevanceQuery counts each user's relevant news per symbol, with the weight rounded.
const relevanceQuery = "SELECT user_id, symbol, round(weight, 6), count(*) FROM relevant_news GROUP BY user_id, symbol, round(weight, 6)"

// independentRelevance computes what relevanceQuery must return, from the messages alone:
// positions, last prices (latest timestamp), weights, and news matched by cashtag.
func independentRelevance(trades []message.Trade, items []message.News, threshold float64) string {
	shares := map[position]int64{}
	type mark struct {
		price float64
		ts    int64
	}
	last := map[string]mark{}
	for _, t := range trades {
		shares[position{t.UserID, t.Symbol}] += t.SignedQuantity()
		if m, ok := last[t.Symbol]; !ok || t.TS.UnixMicro() > m.ts {
			last[t.Symbol] = mark{t.Price, t.TS.UnixMicro()}
		}
	}
	newsPerSymbol := map[string]int{}
	for _, n := range items {
		for _, word := range strings.Fields(n.Headline) {
			if strings.HasPrefix(word, "$") {
				newsPerSymbol[strings.TrimPrefix(word, "$")]++
			}
		}
	}
	gross := map[int64]float64{}
	for p, s := range shares {
		gross[p.user] += math.Abs(float64(s) * last[p.symbol].price)
	}
	var lines []string
	for p, s := range shares {
		if s == 0 || gross[p.user] == 0 {
			continue
		}
		w := math.Abs(float64(s)*last[p.symbol].price) / gross[p.user]
		if w+1e-9 >= threshold && newsPerSymbol[p.symbol] > 0 {
			lines = append(lines, fmt.Sprintf("%d %s %s %d", p.user, p.symbol, trimFloat(math.Round(w*1e6)/1e6), newsPerSymbol[p.symbol]))
		}
	}
	return sortedLines(lines)
}

func trimFloat(f float64) string { return fmt.Sprint(f) }
