package news

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/autonews/autonews/message"
)

// Matcher finds the companies a text is about. It is safe for concurrent use.
type Matcher struct {
	dict *Dictionary
	// byFirstByte lists the names that start with a byte, longest first, so that "Bank of
	// America" wins over a shorter name at the same place.
	byFirstByte [256][]string
}

// NewMatcher returns a matcher over dict.
func NewMatcher(dict *Dictionary) *Matcher {
	m := &Matcher{dict: dict}
	for name := range dict.names {
		m.byFirstByte[name[0]] = append(m.byFirstByte[name[0]], name)
	}
	for i := range m.byFirstByte {
		slices.SortFunc(m.byFirstByte[i], func(a, b string) int {
			if len(a) != len(b) {
				return len(b) - len(a)
			}
			return strings.Compare(a, b)
		})
	}
	return m
}

// Dictionary is the matcher's company list.
func (m *Matcher) Dictionary() *Dictionary { return m.dict }

// Match returns the symbols a news item is about, sorted: those its message lists, the
// cashtags of listed companies in its text, bare tickers of listed companies that are not
// ordinary words, and listed company names.
func (m *Matcher) Match(n message.News) []string {
	found := map[string]bool{}
	for _, s := range n.Symbols {
		found[s] = true
	}
	m.scan(n.Headline, found)
	if n.Body != "" {
		m.scan(n.Body, found)
	}
	out := make([]string, 0, len(found))
	for s := range found {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// MatchText returns the symbols the text is about, sorted.
func (m *Matcher) MatchText(text string) []string {
	return m.Match(message.News{Headline: text})
}

func (m *Matcher) scan(text string, found map[string]bool) {
	shouting := isShouting(text)
	for i := 0; i < len(text); {
		if i > 0 && isWordByte(text[i-1]) {
			i++
			continue
		}
		if text[i] == '$' {
			if sym, n := cashtag(text[i+1:]); n > 0 {
				if _, listed := m.dict.companies[sym]; listed {
					found[sym] = true
				}
				i += 1 + n
				continue
			}
		}
		if n := m.matchName(text[i:], found); n > 0 {
			i += n
			continue
		}
		word := leadingWord(text[i:])
		if !shouting && isBareTicker(word) {
			if _, listed := m.dict.companies[word]; listed {
				found[word] = true
			}
		}
		i += max(len(word), 1)
	}
}

// matchName finds the longest company name at the start of text that ends at a word
// boundary, records its symbols and returns its length.
func (m *Matcher) matchName(text string, found map[string]bool) int {
	for _, name := range m.byFirstByte[text[0]] {
		if strings.HasPrefix(text, name) && (len(text) == len(name) || !isWordByte(text[len(name)])) {
			for _, s := range m.dict.names[name] {
				found[s] = true
			}
			return len(name)
		}
	}
	return 0
}

// cashtag reads a ticker after a '$': letters, digits, '.' and '-', upper-cased, without
// a trailing '.' that ends a sentence. n is the bytes consumed, 0 if there is no ticker.
func cashtag(text string) (sym string, n int) {
	for n < len(text) && n < message.MaxSymbolLen+1 && (isAlnum(text[n]) || text[n] == '.' || text[n] == '-') {
		n++
	}
	if n < len(text) && isAlnum(text[n]) { // longer than any ticker
		return "", 0
	}
	word := strings.TrimRight(text[:n], ".-")
	if word == "" || !isLetter(word[0]) {
		return "", 0
	}
	sym = strings.ToUpper(word)
	if !message.IsSymbol(sym) {
		return "", 0
	}
	return sym, n
}

// isBareTicker accepts an upper-case word as a ticker only when it cannot be an ordinary
// word: three letters or more, and not on the list of tickers that are words.
func isBareTicker(word string) bool {
	if len(word) < 3 || ambiguousTickers[word] {
		return false
	}
	for i := 0; i < len(word); i++ {
		if !(word[i] >= 'A' && word[i] <= 'Z' || word[i] == '.') {
			return false
		}
	}
	return true
}

func leadingWord(text string) string {
	n := 0
	for n < len(text) && (isAlnum(text[n]) || text[n] == '.' && n+1 < len(text) && isAlnum(text[n+1])) {
		n++
	}
	return text[:n]
}

// isShouting reports a text written mostly in capitals, where capitals say nothing.
func isShouting(text string) bool {
	upper, letters := 0, 0
	for _, r := range text {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	return letters >= 12 && upper*10 >= letters*7
}

func isWordByte(c byte) bool { return isAlnum(c) || c >= utf8.RuneSelf }

func isAlnum(c byte) bool { return isLetter(c) || c >= '0' && c <= '9' }

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
