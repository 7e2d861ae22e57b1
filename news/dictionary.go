package news

import (
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/autonews/autonews/message"
)

// sp500 is the S&P 500 constituents list (symbol, company name, sector, ...), from the
// public-domain "S&P 500 Companies Dataset".
//
//go:embed companies/sp500.csv
var sp500 string

// Company is one listed company.
type Company struct {
	Symbol string
	Name   string
}

// Dictionary maps company names and their short forms to ticker symbols.
type Dictionary struct {
	companies map[string]Company
	// names maps each name or alias, as it is written, to the symbols it stands for.
	names map[string][]string
}

// DefaultDictionary is built from the S&P 500 list shipped inside the binary.
func DefaultDictionary() *Dictionary {
	d, err := ParseDictionary(strings.NewReader(sp500))
	if err != nil {
		panic(fmt.Sprintf("embedded company list: %v", err)) // a build defect, caught by tests
	}
	return d
}

// LoadDictionary reads a company list from path, in the columns of the S&P 500 list: a
// header with Symbol and Security (the company name), other columns ignored.
func LoadDictionary(path string) (*Dictionary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("company list: %w", err)
	}
	defer f.Close()
	d, err := ParseDictionary(f)
	if err != nil {
		return nil, fmt.Errorf("company list %s: %w", path, err)
	}
	return d, nil
}

// ParseDictionary reads a company list in CSV.
func ParseDictionary(r io.Reader) (*Dictionary, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	symbolCol, nameCol := slices.Index(header, "Symbol"), slices.Index(header, "Security")
	if symbolCol < 0 || nameCol < 0 {
		return nil, errors.New("the header must name the columns Symbol and Security")
	}
	d := &Dictionary{companies: map[string]Company{}, names: map[string][]string{}}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if len(rec) <= max(symbolCol, nameCol) {
			return nil, fmt.Errorf("line %d: %d columns, the header names %d", line, len(rec), len(header))
		}
		symbol := strings.TrimSpace(rec[symbolCol])
		if !message.IsSymbol(symbol) {
			return nil, fmt.Errorf("line %d: %q is not a ticker symbol", line, symbol)
		}
		c := Company{Symbol: symbol, Name: strings.TrimSpace(rec[nameCol])}
		d.companies[symbol] = c
		for _, alias := range aliasesOf(c) {
			d.addName(alias, symbol)
		}
	}
	if len(d.companies) == 0 {
		return nil, errors.New("no companies")
	}
	for alias, symbols := range curatedAliases {
		for _, s := range symbols {
			if _, listed := d.companies[s]; listed {
				d.addName(alias, s)
			}
		}
	}
	return d, nil
}

func (d *Dictionary) addName(name, symbol string) {
	if !slices.Contains(d.names[name], symbol) {
		d.names[name] = append(d.names[name], symbol)
	}
}

// CommonName is the company's name as text writes it: the listed name without
// parentheticals, a parenthetical first name put in front ("Lilly (Eli)" → "Eli Lilly").
func (c Company) CommonName() string {
	name := c.Name
	var front string
	if m := parenthetical.FindStringSubmatch(name); m != nil {
		inner := m[1]
		if !strings.HasPrefix(inner, "Class") && inner != "The" {
			front = inner + " "
		}
		name = parenthetical.ReplaceAllString(name, "")
	}
	return front + strings.TrimSpace(name)
}

// Lookup returns the company listed under symbol.
func (d *Dictionary) Lookup(symbol string) (Company, bool) {
	c, ok := d.companies[symbol]
	return c, ok
}

// Companies returns every company, ordered by symbol.
func (d *Dictionary) Companies() []Company {
	out := make([]Company, 0, len(d.companies))
	for _, c := range d.companies {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Company) int { return strings.Compare(a.Symbol, b.Symbol) })
	return out
}

// Len is the number of companies.
func (d *Dictionary) Len() int { return len(d.companies) }

var (
	parenthetical = regexp.MustCompile(`\s*\(([^)]*)\)`)
	// corporateSuffix matches legal-form words a company name may end with.
	corporateSuffix = regexp.MustCompile(`(?i)[,\s]+(inc\.?|incorporated|corp\.?|corporation|company|co\.?|companies|plc|ltd\.?|limited|n\.v\.|holdings?|group|technologies|platforms)$`)
)

// aliasesOf derives the names a company is written as: its listed name without
// parentheticals and legal form ("Alphabet Inc. (Class A)" → "Alphabet"), with a
// parenthetical first name put in front ("Lilly (Eli)" → "Eli Lilly"). A short form that
// is an ordinary word is left out ("Target Corporation" is matched, "Target" is not).
func aliasesOf(c Company) []string {
	name := c.CommonName()
	aliases := []string{name}
	short := name
	for {
		trimmed := corporateSuffix.ReplaceAllString(short, "")
		if trimmed == short {
			break
		}
		short = trimmed
	}
	if short != name && len(short) >= 3 && !isOrdinaryWord(short) {
		aliases = append(aliases, short)
	}
	if isOrdinaryWord(name) {
		return nil
	}
	return aliases
}
