package news

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/autonews/autonews/message"
)

// tweetTime is the timestamp layout of the stock-tweets dataset.
const tweetTime = "Mon Jan 02 15:04:05 -0700 2006"

// tweetLine splits a record around its timestamp, the one field of a fixed shape: the
// text before it is not always properly quoted, and the URL after it once holds unquoted
// commas, so a strict CSV reader cannot read the file.
var tweetLine = regexp.MustCompile(`^(\d+),(.*),((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} [+-]\d{4} \d{4}),(.*)$`)

// ConvertTweets turns the stock-tweets CSV (id, text, timestamp, source, symbols,
// company_names, url, verified) into news messages, one JSON object per line. The bot's
// attached symbols are left out: they are noisy, and the matcher finds what the text says.
// It returns the number of messages written.
func ConvertTweets(r io.Reader, w io.Writer) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	if !sc.Scan() {
		return 0, fmt.Errorf("tweets header: %w", cmp.Or(sc.Err(), io.ErrUnexpectedEOF))
	}
	n := 0
	for line := 2; sc.Scan(); line++ {
		m := tweetLine.FindStringSubmatch(sc.Text())
		if m == nil {
			return n, fmt.Errorf("tweets line %d: no id, text and timestamp", line)
		}
		ts, err := time.Parse(tweetTime, m[3])
		if err != nil {
			return n, fmt.Errorf("tweets line %d: timestamp %q: %w", line, m[3], err)
		}
		rest, err := csv.NewReader(strings.NewReader(m[4])).Read()
		if err != nil || len(rest) < 5 {
			return n, fmt.Errorf("tweets line %d: source, symbols, company names, url and verified: %v", line, err)
		}
		item := message.News{
			ID: "tweet-" + m[1], PublishedAt: ts.UTC(), Source: rest[0], Headline: strings.TrimSpace(unquoteCSV(m[2])),
			URL: strings.Join(rest[3:len(rest)-1], ","),
		}
		if _, err := w.Write(append(message.EncodeNews(item), '\n')); err != nil {
			return n, err
		}
		n++
	}
	return n, sc.Err()
}

// unquoteCSV undoes CSV quoting of a field that is quoted as a whole.
func unquoteCSV(field string) string {
	if len(field) >= 2 && field[0] == '"' && field[len(field)-1] == '"' {
		inner := field[1 : len(field)-1]
		if !strings.Contains(strings.ReplaceAll(inner, `""`, ""), `"`) {
			return strings.ReplaceAll(inner, `""`, `"`)
		}
	}
	return field
}
