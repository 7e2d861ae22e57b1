package logline

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestAttrsAreReadFromTheWholeLineOfTheMessage(t *testing.T) {
	const serving = `time=2026-11-27T18:39:46.848Z level=INFO msg="autonews serving" mysql=127.0.0.1:38357 kafka=127.0.0.1:35703 http=127.0.0.1:43695 data_dir=/tmp/d epoch=0 cut="" startup.total=19ms` + "\n"
	const before = `time=2026-11-27T18:39:46.832Z level=INFO msg="no published snapshot: starting from an empty epoch 0"` + "\n"
	const broker = `time=2026-11-27T18:40:00.000Z level=INFO msg="broker serving" kafka=127.0.0.1:40001 data_dir=/tmp/b` + "\n"
	for _, tc := range []struct {
		name, log, msg string
		keys, want     []string
	}{
		{"serving", before + serving, "autonews serving", []string{"kafka", "mysql", "http"}, []string{"127.0.0.1:35703", "127.0.0.1:38357", "127.0.0.1:43695"}},
		{"the broker", before + broker, "broker serving", []string{"kafka"}, []string{"127.0.0.1:40001"}},
		{"not yet serving", before, "autonews serving", []string{"kafka"}, nil},
		{"the line not yet written whole", before + serving[:len(serving)-20], "autonews serving", []string{"kafka"}, nil},
		{"the line without a key", before + strings.Replace(serving, " http=127.0.0.1:43695", "", 1), "autonews serving", []string{"kafka", "http"}, nil},
		{"another message naming the keys", `time=x level=INFO msg="autonews serving soon" kafka=1` + "\n", "autonews serving", []string{"kafka"}, nil},
		{"an empty value", `time=x level=INFO msg="broker serving" kafka= data_dir=/d` + "\n", "broker serving", []string{"kafka"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Attrs(tc.log, tc.msg, tc.keys...)
			if ok != (tc.want != nil) || !slices.Equal(got, tc.want) {
				t.Fatalf("Attrs = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
}

// A restarted process appends to its log: only the lines after the offset the caller
// noted before the restart count.
func TestAttrsInFileSkipTheRunsBefore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "serve.log")
	first := `time=a level=INFO msg="broker serving" kafka=127.0.0.1:1000` + "\n"
	if err := os.WriteFile(path, []byte(first), 0o644); err != nil {
		t.Fatal(err)
	}
	from := int64(len(first))
	if got, ok := AttrsInFile(path, from, "broker serving", "kafka"); ok {
		t.Fatalf("the run before counted: %q", got)
	}
	if err := os.WriteFile(path, []byte(first+`time=b level=INFO msg="broker serving" kafka=127.0.0.1:2000`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, ok := AttrsInFile(path, from, "broker serving", "kafka"); !ok || got[0] != "127.0.0.1:2000" {
		t.Fatalf("AttrsInFile = %q, %v", got, ok)
	}
	if got, ok := AttrsInFile(filepath.Join(t.TempDir(), "none.log"), 0, "broker serving", "kafka"); ok {
		t.Fatalf("a missing log gave %q", got)
	}
	if got, ok := AttrsInFile(path, 1<<20, "broker serving", "kafka"); ok {
		t.Fatalf("an offset beyond the log gave %q", got)
	}
}

// Whatever the message, its line is found as log/slog's text handler writes it: bare,
// or quoted because it holds a space, an equals sign or a quote.
func TestAttrsReadWhatSlogsTextHandlerWrites(t *testing.T) {
	for _, msg := range []string{"serving", "autonews serving", `the "quoted" server serving`, "a=b"} {
		var log strings.Builder
		slog.New(slog.NewTextHandler(&log, nil)).Info(msg, "kafka", "127.0.0.1:9092")
		got, ok := Attrs(log.String(), msg, "kafka")
		if !ok || !slices.Equal(got, []string{"127.0.0.1:9092"}) {
			t.Errorf("message %q in %q: %q, %v", msg, log.String(), got, ok)
		}
	}
}
