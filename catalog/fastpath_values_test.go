package catalog

import (
	"bytes"
	"testing"
)

// A DATETIME goes to a prepared statement's client in the binary protocol's form: year,
// month, day, hour, minute, second and, with a fraction, microseconds, little-endian.
func TestBinaryDatetimeIsTheBinaryProtocolsForm(t *testing.T) {
	cases := []struct {
		text string
		want []byte // nil: not a DATETIME text the fast path converts
	}{
		// The example of MySQL's protocol documentation (Binary Protocol Value, DATETIME).
		{"2010-10-17 19:27:30.000001", []byte{0xda, 0x07, 0x0a, 0x11, 0x13, 0x1b, 0x1e, 0x01, 0x00, 0x00, 0x00}},
		{"2026-11-27 06:19:44", []byte{0xea, 0x07, 11, 27, 6, 19, 44}},
		{"2026-11-27 06:19:44.123456", []byte{0xea, 0x07, 11, 27, 6, 19, 44, 0x40, 0xe2, 0x01, 0x00}},
		{"2026-11-27 06:19:44.5", []byte{0xea, 0x07, 11, 27, 6, 19, 44, 0x20, 0xa1, 0x07, 0x00}}, // 500000 µs
		{"0000-00-00 00:00:00", []byte{0, 0, 0, 0, 0, 0, 0}},
		{"9999-12-31 23:59:59.999999", []byte{0x0f, 0x27, 12, 31, 23, 59, 59, 0x3f, 0x42, 0x0f, 0x00}},
		{"2026-11-27", nil},
		{"2026-11-27 06:19", nil},
		{"2026-11-27 06:19:44.", nil},
		{"2026-11-27 06:19:44.1234567", nil},
		{"2026-11-27T06:19:44", nil},
		{"2026/11/27 06:19:44", nil},
		{"+026-11-27 06:19:44", nil},
		{"2026-11-27 06:19:4x", nil},
		{"2026-11-27 06:19:44.12a", nil},
		{"", nil},
	}
	for _, c := range cases {
		got, ok := binaryDatetime([]byte(c.text))
		if ok != (c.want != nil) || !bytes.Equal(got, c.want) {
			t.Errorf("binaryDatetime(%q) = % x, %v; want % x", c.text, got, ok, c.want)
		}
	}
}
