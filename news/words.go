package news

import "strings"

// curatedAliases are the names people write for companies that the listed name does not
// give: brands, former names, common abbreviations.
var curatedAliases = map[string][]string{
	"Google":             {"GOOGL", "GOOG"},
	"Alphabet":           {"GOOGL", "GOOG"},
	"Facebook":           {"META"},
	"Meta":               {"META"},
	"Berkshire":          {"BRK.B"},
	"JPMorgan":           {"JPM"},
	"JP Morgan":          {"JPM"},
	"J.P. Morgan":        {"JPM"},
	"Coca-Cola":          {"KO"},
	"Coke":               {"KO"},
	"Pepsi":              {"PEP"},
	"Exxon":              {"XOM"},
	"Exxon Mobil":        {"XOM"},
	"Disney":             {"DIS"},
	"Goldman":            {"GS"},
	"BofA":               {"BAC"},
	"Citi":               {"C"},
	"J&J":                {"JNJ"},
	"P&G":                {"PG"},
	"McDonalds":          {"MCD"},
	"Wal-Mart":           {"WMT"},
	"NVIDIA":             {"NVDA"},
	"Amex":               {"AXP"},
	"UPS":                {"UPS"},
	"FedEx":              {"FDX"},
	"Deere":              {"DE"},
	"John Deere":         {"DE"},
	"Lilly":              {"LLY"},
	"Schwab":             {"SCHW"},
	"Lockheed":           {"LMT"},
	"Raytheon":           {"RTX"},
	"Salesforce":         {"CRM"},
	"Broadcom":           {"AVGO"},
	"Qualcomm":           {"QCOM"},
	"Micron":             {"MU"},
	"T-Mobile":           {"TMUS"},
	"UnitedHealth":       {"UNH"},
	"Merck":              {"MRK"},
	"Pfizer":             {"PFE"},
	"Costco":             {"COST"},
	"Starbucks":          {"SBUX"},
	"Nike":               {"NKE"},
	"Intel":              {"INTC"},
	"Cisco":              {"CSCO"},
	"Oracle":             {"ORCL"},
	"Adobe":              {"ADBE"},
	"PayPal":             {"PYPL"},
	"eBay":               {"EBAY"},
	"Verizon":            {"VZ"},
	"Comcast":            {"CMCSA"},
	"General Electric":   {"GE"},
	"Home Depot":         {"HD"},
	"Wells Fargo":        {"WFC"},
	"Bank of America":    {"BAC"},
	"American Express":   {"AXP"},
	"Procter & Gamble":   {"PG"},
	"Johnson & Johnson":  {"JNJ"},
	"Texas Instruments":  {"TXN"},
	"Booking.com":        {"BKNG"},
	"Caterpillar":        {"CAT"},
	"Tesla":              {"TSLA"},
	"Walmart":            {"WMT"},
	"Boeing":             {"BA"},
	"Chevron":            {"CVX"},
	"Gartner":            {"IT"},
	"ServiceNow":         {"NOW"},
	"Allstate":           {"ALL"},
	"KeyCorp":            {"KEY"},
	"Realty Income":      {"O"},
	"AT&T":               {"T"},
	"Agilent":            {"A"},
	"Visa":               {"V"},
	"Mastercard":         {"MA"},
	"Morgan Stanley":     {"MS"},
	"Goldman Sachs":      {"GS"},
	"General Motors":     {"GM"},
	"Ford":               {"F"},
	"ON Semiconductor":   {"ON"},
	"onsemi":             {"ON"},
	"Microsoft":          {"MSFT"},
	"Apple":              {"AAPL"},
	"Amazon":             {"AMZN"},
	"Netflix":            {"NFLX"},
	"3M":                 {"MMM"},
	"Berkshire Hathaway": {"BRK.B"},
}

// ordinaryWords are short forms that are also everyday words or common capitalized terms;
// as a bare name they say too little to name a company.
var ordinaryWords = setOf(`
American Ball Block Booking Capital Cardinal Carnival Carrier Coherent Cooper Crown Digital
Dollar Dover Dow Eastern Equity Everest First Flex Fortune Fox General Global Hartford Match
Mosaic Nasdaq National News Northern Pool Premier Progressive Public Regions Republic Rollins
Southern Steel Target Travelers Tyler United Universal Waters Western Williams Zebra
`)

// ambiguousTickers are symbols that are also words or abbreviations in ordinary text.
// They match as cashtags or in a message's symbols, never as bare words.
var ambiguousTickers = setOf(`
ALL AMP APP ARE ARES BALL BIG CAT CEO COO COR COST DAY DOC DOW ECHO EXE FANG FAST FIX FLEX GEN HAL
HAS HOOD HUM ICE KEY KIM LEN LIN LOW MAR MAS MET MOS NOW PEAK PEG POOL PSA TAP TECH TEL TXT
URI WELL
`)

func setOf(words string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Fields(words) {
		set[w] = true
	}
	return set
}

func isOrdinaryWord(name string) bool { return ordinaryWords[name] }
