package news

import (
	"testing"

	"github.com/autonews/autonews/message"
)

func BenchmarkMatch(b *testing.B) {
	n := message.News{Headline: "Goldman Sachs $GS tells interns how the CEO learned; Apple and Microsoft rally as AAPL, NVDA lead the Nasdaq"}
	b.ReportAllocs()
	b.SetBytes(int64(len(n.Headline)))
	for b.Loop() {
		defaultMatcher.Match(n)
	}
}
