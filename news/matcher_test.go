package news

import (
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/autonews/autonews/message"
)

var defaultMatcher = NewMatcher(DefaultDictionary())

// TestMatch runs the matcher cases in testdata/match: "match [symbols=A,B]" with the text
// as input and the expected symbols (or "(none)") as output.
func TestMatch(t *testing.T) {
	datadriven.RunTest(t, "testdata/match", func(t *testing.T, d *datadriven.TestData) string {
		n := message.News{Headline: d.Input}
		if d.HasArg("symbols") {
			var list string
			d.ScanArgs(t, "symbols", &list)
			n.Symbols = strings.Split(list, ",")
		}
		got := defaultMatcher.Match(n)
		if len(got) == 0 {
			return "(none)\n"
		}
		return strings.Join(got, " ") + "\n"
	})
}

func TestDefaultDictionaryHoldsTheSP500(t *testing.T) {
	d := DefaultDictionary()
	if d.Len() != 503 {
		t.Fatalf("%d companies", d.Len())
	}
	if c, ok := d.Lookup("MMM"); !ok || c.Name != "3M" {
		t.Fatalf("MMM: %+v", c)
	}
}

func TestParseDictionaryErrorsSayWhatIsWrong(t *testing.T) {
	for _, tc := range []struct{ csv, says string }{
		{"Ticker,Name\nMMM,3M\n", "Symbol and Security"},
		{"Symbol,Security\nmmm x,3M\n", "line 2"},
		{"Symbol,Security\n", "no companies"},
		{"", "header"},
	} {
		if _, err := ParseDictionary(strings.NewReader(tc.csv)); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q: %v does not say %q", tc.csv, err, tc.says)
		}
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("Apple and $MSFT beat; AT&T's Q3", "AAPL")
	f.Add("$BRK.B. $", "")
	f.Fuzz(func(t *testing.T, text, symbols string) {
		n := message.News{Headline: text}
		if symbols != "" {
			n.Symbols = strings.Split(symbols, ",")
		}
		got := defaultMatcher.Match(n)
		for i, s := range got {
			if i > 0 && got[i-1] >= s {
				t.Fatalf("unsorted or duplicate symbols %v", got)
			}
		}
	})
}
