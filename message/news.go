package message

import (
	"slices"
	"strings"
	"time"

	json "github.com/goccy/go-json"
)

// Limits of the news contract.
const (
	MaxNewsIDLen    = 128
	MaxHeadlineLen  = 2000
	MaxSourceLen    = 128
	MaxURLLen       = 2048
	MaxNewsSymbols  = 64
	MaxNewsBodySize = 32 << 10
)

// News is one validated news message. Symbols are those the message lists, deduplicated;
// the news package adds the companies it finds in the text.
type News struct {
	ID          string
	PublishedAt time.Time
	Source      string
	Headline    string
	Body        string
	URL         string
	Symbols     []string
}

type newsWire struct {
	NewsID   json.RawMessage `json:"news_id"`
	TS       json.RawMessage `json:"ts"`
	Source   json.RawMessage `json:"source"`
	Headline json.RawMessage `json:"headline"`
	Body     json.RawMessage `json:"body"`
	URL      json.RawMessage `json:"url"`
	Symbols  json.RawMessage `json:"symbols"`
}

// DecodeNews decodes and validates a news message. key is the Kafka message key, which the
// contract fixes to the news_id. Every failure is an *Error.
func DecodeNews(key, value []byte) (News, error) {
	if err := checkPayload(value); err != nil {
		return News{}, err
	}
	var w newsWire
	if err := json.Unmarshal(value, &w); err != nil {
		return News{}, invalid("malformed JSON: %s", shortJSONError(err))
	}
	var n News
	var err error
	if n.ID, err = boundedText("news_id", w.NewsID, MaxNewsIDLen, true); err != nil {
		return News{}, err
	}
	if n.PublishedAt, err = timestamp(w.TS); err != nil {
		return News{}, err
	}
	if n.Headline, err = boundedText("headline", w.Headline, MaxHeadlineLen, true); err != nil {
		return News{}, err
	}
	if n.Source, err = optionalText("source", w.Source, MaxSourceLen); err != nil {
		return News{}, err
	}
	if n.Body, err = bodyText(w.Body); err != nil {
		return News{}, err
	}
	if n.URL, err = optionalText("url", w.URL, MaxURLLen); err != nil {
		return News{}, err
	}
	if n.Symbols, err = symbolList(w.Symbols); err != nil {
		return News{}, err
	}
	if key == nil {
		return News{}, invalid("missing message key: news is keyed by news_id")
	}
	if string(key) != n.ID {
		return News{}, invalid("message key %q does not match news_id %q", truncate(key, 32), truncate([]byte(n.ID), 32))
	}
	return n, nil
}

// boundedText reads a required (or, with required false, optional) single-line string.
func boundedText(name string, raw json.RawMessage, limit int, required bool) (string, error) {
	if !required && isMissing(raw) {
		return "", nil
	}
	s, err := stringField(name, raw)
	switch {
	case err != nil:
		return "", err
	case required && strings.TrimSpace(s) == "":
		return "", invalid("empty %s", name)
	case len(s) > limit:
		return "", invalid("%s longer than %d bytes", name, limit)
	case hasControl(s):
		return "", invalid("%s contains control characters", name)
	}
	return s, nil
}

func optionalText(name string, raw json.RawMessage, limit int) (string, error) {
	return boundedText(name, raw, limit, false)
}

// bodyText reads the optional body, which may hold line breaks and tabs but no other
// control characters.
func bodyText(raw json.RawMessage) (string, error) {
	if isMissing(raw) {
		return "", nil
	}
	s, err := stringField("body", raw)
	if err != nil {
		return "", err
	}
	if len(s) > MaxNewsBodySize {
		return "", invalid("body longer than %d bytes", MaxNewsBodySize)
	}
	if hasControl(strings.NewReplacer("\n", " ", "\r", " ", "\t", " ").Replace(s)) {
		return "", invalid("body contains control characters")
	}
	return s, nil
}

func symbolList(raw json.RawMessage) ([]string, error) {
	if isMissing(raw) {
		return nil, nil
	}
	if raw[0] != '[' {
		return nil, invalid("symbols must be a JSON array of strings, got %s", truncate(raw, 32))
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, invalid("symbols must be a JSON array of strings")
	}
	if len(list) > MaxNewsSymbols {
		return nil, invalid("symbols lists %d entries, more than %d", len(list), MaxNewsSymbols)
	}
	var out []string
	for _, s := range list {
		s = strings.ToUpper(strings.TrimPrefix(strings.TrimSpace(s), "$"))
		if !IsSymbol(s) {
			return nil, invalid("symbols entry %q is not a ticker symbol", truncate([]byte(s), 32))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// EncodeNews renders a news item in the message contract, the inverse of DecodeNews.
func EncodeNews(n News) []byte {
	w := map[string]any{"news_id": n.ID, "ts": n.PublishedAt.UTC().Format(time.RFC3339Nano), "headline": n.Headline}
	if n.Source != "" {
		w["source"] = n.Source
	}
	if n.Body != "" {
		w["body"] = n.Body
	}
	if n.URL != "" {
		w["url"] = n.URL
	}
	if len(n.Symbols) > 0 {
		w["symbols"] = n.Symbols
	}
	b, _ := json.Marshal(w) // a map of strings cannot fail to encode
	return b
}
