package message

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const goodNews = `{"news_id":"N-1","ts":"2026-11-25T14:05:00Z","source":"twitter","headline":"3M beats estimates","body":"line one\nline two","url":"https://example.com/n1","symbols":["MMM","$aapl","MMM"]}`

func TestDecodeNewsAcceptsTheContract(t *testing.T) {
	n, err := DecodeNews([]byte("N-1"), []byte(goodNews))
	if err != nil {
		t.Fatal(err)
	}
	want := News{ID: "N-1", PublishedAt: time.Date(2026, 11, 25, 14, 5, 0, 0, time.UTC), Source: "twitter",
		Headline: "3M beats estimates", Body: "line one\nline two", URL: "https://example.com/n1", Symbols: []string{"MMM", "AAPL"}}
	if !reflect.DeepEqual(n, want) {
		t.Fatalf("got %+v\nwant %+v", n, want)
	}
	again, err := DecodeNews([]byte("N-1"), EncodeNews(n))
	if err != nil || !reflect.DeepEqual(again, n) {
		t.Fatalf("round trip: %+v %v", again, err)
	}
	minimal := `{"news_id":"N-2","ts":"2026-11-25T14:05:00Z","headline":"Markets open"}`
	if _, err := DecodeNews([]byte("N-2"), []byte(minimal)); err != nil {
		t.Fatalf("optional fields are optional: %v", err)
	}
}

func TestDecodeNewsRejectsWithAPreciseReason(t *testing.T) {
	replace := func(old, new string) string { return strings.Replace(goodNews, old, new, 1) }
	for _, tc := range []struct{ name, key, value, reason string }{
		{"missing news_id", "N-1", replace(`"news_id":"N-1",`, ""), "missing news_id"},
		{"numeric news_id", "N-1", replace(`"N-1"`, `1`), "news_id must be a JSON string"},
		{"missing ts", "N-1", replace(`"ts":"2026-11-25T14:05:00Z",`, ""), "missing ts"},
		{"bad ts", "N-1", replace(`2026-11-25T14:05:00Z`, `today`), "not an RFC 3339 time"},
		{"missing headline", "N-1", replace(`"headline":"3M beats estimates",`, ""), "missing headline"},
		{"blank headline", "N-1", replace(`3M beats estimates`, `  `), "empty headline"},
		{"control char in headline", "N-1", replace(`3M beats`, `3M\u0007beats`), "headline contains control characters"},
		{"long headline", "N-1", replace(`3M beats estimates`, strings.Repeat("x", MaxHeadlineLen+1)), "headline longer than"},
		{"symbols not an array", "N-1", replace(`["MMM","$aapl","MMM"]`, `"MMM"`), "symbols must be a JSON array"},
		{"bad symbol", "N-1", replace(`"MMM","$aapl"`, `"MMM","not a ticker"`), "is not a ticker symbol"},
		{"numeric symbol", "N-1", replace(`"MMM","$aapl"`, `"MMM",5`), "symbols must be a JSON array of strings"},
		{"escape in body", "N-1", replace(`line one`, `line\u0000one`), "body contains control characters"},
		{"null key", "", goodNews, "missing message key"},
		{"other key", "N-2", goodNews, "does not match news_id"},
		{"not JSON", "N-1", "headline only", "must be a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var key []byte
			if tc.key != "" {
				key = []byte(tc.key)
			}
			_, err := DecodeNews(key, []byte(tc.value))
			var verr *Error
			if !errors.As(err, &verr) || !strings.Contains(verr.Reason, tc.reason) {
				t.Fatalf("error %v does not say %q", err, tc.reason)
			}
		})
	}
}

func FuzzDecodeNews(f *testing.F) {
	f.Add([]byte("N-1"), []byte(goodNews))
	f.Add([]byte("x"), []byte(`{"news_id":"x","ts":"2026-01-01T00:00:00Z","headline":"h","symbols":[]}`))
	f.Fuzz(func(t *testing.T, key, value []byte) {
		n, err := DecodeNews(key, value)
		if err != nil {
			var verr *Error
			if !errors.As(err, &verr) {
				t.Fatalf("decode error is not a validation error: %v", err)
			}
			return
		}
		for _, s := range n.Symbols {
			if !IsSymbol(s) {
				t.Fatalf("accepted symbol %q", s)
			}
		}
		again, err := DecodeNews(key, EncodeNews(n))
		if err != nil || !reflect.DeepEqual(again, n) {
			t.Fatalf("round trip of %+v: %+v, %v", n, again, err)
		}
	})
}
