package message

import (
	"strconv"

	json "github.com/goccy/go-json"
)

// The helpers below read one raw JSON field. A field that is absent or null is missing;
// a field of the wrong JSON type is named as such, so a producer can fix its encoder.

func stringField(name string, raw json.RawMessage) (string, error) {
	if isMissing(raw) {
		return "", invalid("missing %s", name)
	}
	if raw[0] != '"' {
		return "", invalid("%s must be a JSON string, got %s", name, truncate(raw, 32))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalid("%s is not a valid JSON string", name)
	}
	return s, nil
}

func integerField(name string, raw json.RawMessage) (int64, error) {
	if err := numberShape(name, raw); err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, invalid("%s %s is not a 64-bit integer", name, truncate(raw, 32))
	}
	return n, nil
}

func floatField(name string, raw json.RawMessage) (float64, error) {
	if err := numberShape(name, raw); err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, invalid("%s %s is not a finite number", name, truncate(raw, 32))
	}
	return f, nil
}

func numberShape(name string, raw json.RawMessage) error {
	if isMissing(raw) {
		return invalid("missing %s", name)
	}
	if c := raw[0]; c != '-' && (c < '0' || c > '9') {
		return invalid("%s must be a JSON number, got %s", name, truncate(raw, 32))
	}
	return nil
}

func isMissing(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}
