package benchmark

import (
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

// Asking to touch more memory than the system has available is refused before any is
// mapped, with the most that may be asked for.
func TestTouchMemoryRefusesMoreThanIsAvailable(t *testing.T) {
	err := TouchMemory(1<<20, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ask for at most") {
		t.Fatalf("touching a PiB: %v, want a refusal saying how much may be asked for", err)
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
