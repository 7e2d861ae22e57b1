package logbook

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

type rec struct {
	ID    int
	State string
}

func byID(r rec) int { return r.ID }

func TestPutReplacesByKeyAndKeepsTheNewest(t *testing.T) {
	b := New(4, byID)
	for i := 1; i <= 10; i++ {
		b.Put(rec{i, "new"})
	}
	b.Put(rec{10, "done"})
	got := b.Records()
	want := []rec{{7, "new"}, {8, "new"}, {9, "new"}, {10, "done"}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if b.Has(2) || !b.Has(9) {
		t.Fatal("Has")
	}
}

func TestRecordsSurviveReopenAndTornLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "book.jsonl")
	b, err := Open(path, 100, byID)
	if err != nil {
		t.Fatal(err)
	}
	b.Put(rec{1, "running"})
	b.Put(rec{2, "running"})
	b.Put(rec{1, "done"})
	b.Close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"ID":3,"Sta`)
	f.Close()

	b, err = Open(path, 100, byID)
	if err != nil {
		t.Fatal(err)
	}
	b.Update(func(r rec) rec {
		if r.State == "running" {
			r.State = "interrupted"
		}
		return r
	})
	if got := b.Records(); !slices.Equal(got, []rec{{1, "done"}, {2, "interrupted"}}) {
		t.Fatalf("reopened: %v", got)
	}
	b.Put(rec{4, "new"})
	b.Close()
	b, _ = Open(path, 100, byID)
	defer b.Close()
	if got := b.Records(); len(got) != 3 || got[2] != (rec{4, "new"}) {
		t.Fatalf("appended after reopen: %v", got)
	}
}
