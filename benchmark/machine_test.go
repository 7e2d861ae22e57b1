package benchmark

import (
	"context"
	"io"
	"strings"
	"testing"
)

func TestMemAvailableIsReadFromMeminfo(t *testing.T) {
	for _, tc := range []struct {
		name, info string
		want       int64
		err        string
	}{
		{"among other lines", "MemTotal:       24608040 kB\nMemFree:        22457912 kB\nMemAvailable:   21000000 kB\nBuffers: 1 kB\n", 21000000 << 10, ""},
		{"the first line", "MemAvailable: 1 kB", 1 << 10, ""},
		{"missing", "MemTotal: 5 kB\n", 0, "no MemAvailable line"},
		{"not a number", "MemAvailable: lots kB\n", 0, `"lots" is not a number of kB`},
		{"negative", "MemAvailable: -4 kB\n", 0, "is not a number of kB"},
		{"another unit", "MemAvailable: 4 MB\n", 0, "no MemAvailable line"},
		{"empty", "", 0, "no MemAvailable line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMemAvailable([]byte(tc.info))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("%d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

// Asking to touch more memory than the system has available, or less than none, is
// refused before any is mapped, saying what may be asked for.
func TestTouchMemoryRefusesWhatCannotBeTouched(t *testing.T) {
	for gib, want := range map[int]string{1 << 20: "ask for at most", -1: "0 or more"} {
		if err := TouchMemory(gib, io.Discard); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("touching %d GiB: %v, want a refusal saying %q", gib, err, want)
		}
	}
}

// The probe of fresh memory measures a positive cost a GiB, the first row of a run.
func TestFreshMemoryCostIsMeasured(t *testing.T) {
	res, err := freshMemoryCost()
	if err != nil {
		t.Fatal(err)
	}
	if res.Value <= 0 || res.Unit != "s/GiB" || res.Met != nil {
		t.Fatalf("%+v, want a positive figure in s/GiB and no target", res)
	}
}

// A run names its unknown scenarios before it touches any memory.
func TestARunChecksItsScenariosBeforeTouchingMemory(t *testing.T) {
	_, err := Run(context.Background(), Options{Only: []string{"nosuch"}, TouchMemory: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), `no scenario "nosuch"`) {
		t.Fatalf("%v, want the unknown scenario named", err)
	}
}
