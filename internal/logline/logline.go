// Package logline reads attributes back from the lines log/slog's text handler writes: the
// bench and the tests that start `autonews serve` or `autonews broker` on ports the
// process picks itself learn those ports from the line it logs once it serves.
package logline

import (
	"os"
	"strconv"
	"strings"
)

// Attrs returns the values of keys in the first whole line of log whose message is msg,
// and whether that line holds them all. A line still being written, without its newline,
// does not count. Values must be unquoted, as addresses are.
func Attrs(log, msg string, keys ...string) ([]string, bool) {
	for line := range strings.Lines(log) {
		if !strings.HasSuffix(line, "\n") || !strings.Contains(line, " msg="+quote(msg)+" ") {
			continue
		}
		values := make([]string, len(keys))
		for i, key := range keys {
			_, rest, found := strings.Cut(line, " "+key+"=")
			if !found {
				return nil, false
			}
			values[i] = rest[:strings.IndexAny(rest, " \n")] // the line ends with a newline
			if values[i] == "" {
				return nil, false
			}
		}
		return values, true
	}
	return nil, false
}

// AttrsInFile is Attrs over the file at path after its first from bytes: a process that
// is restarted appends to the log of the runs before, whose lines must not count.
func AttrsInFile(path string, from int64, msg string, keys ...string) ([]string, bool) {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) < from {
		return nil, false
	}
	return Attrs(string(b[from:]), msg, keys...)
}

// quote writes msg as the text handler does: quoted by strconv when it holds a space, an
// equals sign or a quote.
func quote(msg string) string {
	if strings.ContainsAny(msg, " =\"") {
		return strconv.Quote(msg)
	}
	return msg
}
