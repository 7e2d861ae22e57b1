package news

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/autonews/autonews/message"
)

func TestConvertTweetsReadsEveryRecord(t *testing.T) {
	csv := "id,text,timestamp,source,symbols,company_names,url,verified\n" +
		`1,"He said ""buy"" $MMM",Wed Jul 18 21:33:26 +0000 2018,src,MMM,3M,https://x.test/a,True` + "\n" +
		`2,"Quoted" then not $A,Mon Jul 09 12:00:00 +0000 2018,src,A,"Agilent, Inc.",https://x.test/b,c,d,False` + "\n"
	var out bytes.Buffer
	n, err := ConvertTweets(strings.NewReader(csv), &out)
	if err != nil || n != 2 {
		t.Fatalf("converted %d: %v", n, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	first, err := message.DecodeNews([]byte("tweet-1"), []byte(lines[0]))
	if err != nil || first.Headline != `He said "buy" $MMM` || first.PublishedAt.Hour() != 21 {
		t.Fatalf("first: %+v %v", first, err)
	}
	second, err := message.DecodeNews([]byte("tweet-2"), []byte(lines[1]))
	if err != nil || second.Headline != `"Quoted" then not $A` || second.URL != "https://x.test/b,c,d" {
		t.Fatalf("second: %+v %v", second, err)
	}
}

var labelCashtag = regexp.MustCompile(`\$([A-Za-z][A-Za-z.\-]*)`)

// TestMatcherOnTheTweetSample measures the matcher on 1,540 real tweets. The labels are
// the cashtags of listed companies in each text, the reliable labels of the dataset.
// Matches found by company name count as false positives when the tweet has no cashtag
// for them, so precision here is a lower bound.
func TestMatcherOnTheTweetSample(t *testing.T) {
	f, err := os.Open("testdata/stock-tweets.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var tp, fp, fn, tweets, labelled int
	var falsePositives []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var key struct {
			NewsID string `json:"news_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &key); err != nil {
			t.Fatalf("tweet %d: %v", tweets+1, err)
		}
		n, err := message.DecodeNews([]byte(key.NewsID), sc.Bytes())
		if err != nil {
			t.Fatalf("tweet %d: %v", tweets+1, err)
		}
		tweets++
		labels := map[string]bool{}
		for _, m := range labelCashtag.FindAllStringSubmatch(n.Headline, -1) {
			sym := strings.TrimRight(strings.ToUpper(m[1]), ".-")
			if _, listed := defaultMatcher.Dictionary().Lookup(sym); listed {
				labels[sym] = true
			}
		}
		if len(labels) > 0 {
			labelled++
		}
		for _, s := range defaultMatcher.Match(n) {
			if labels[s] {
				tp++
				delete(labels, s)
			} else {
				fp++
				falsePositives = append(falsePositives, s+" in "+n.Headline)
			}
		}
		fn += len(labels)
	}
	precision := float64(tp) / float64(tp+fp)
	recall := float64(tp) / float64(tp+fn)
	t.Logf("%d tweets, %d with cashtag labels: %d true positives, %d false positives, %d false negatives; precision %.3f, recall %.3f",
		tweets, labelled, tp, fp, fn, precision, recall)
	for i, s := range falsePositives {
		if i == 15 {
			break
		}
		t.Logf("unlabelled match: %.140s", s)
	}
	if tweets != 1540 || recall < 0.99 || precision < 0.85 {
		t.Fatalf("precision %.3f, recall %.3f over %d tweets", precision, recall, tweets)
	}
}
