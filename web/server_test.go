package web

import (
	"strings"
	"testing"
	"time"

	"github.com/autonews/autonews/batch"
)

func TestRunViewsPlaceStepsOnTheRunsTimeline(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)
	records := []batch.RunRecord{
		{Run: 1, Step: batch.StepRun, Status: "succeeded", Started: t0, Finished: t0.Add(100 * time.Millisecond)},
		{Run: 1, Step: batch.StepCut, Status: "succeeded", Started: t0, Finished: t0.Add(50 * time.Millisecond), Rows: 7},
		{Run: 1, Step: batch.StepCompute, Status: "failed", Started: t0.Add(50 * time.Millisecond), Finished: t0.Add(100 * time.Millisecond)},
		{Run: 2, Step: batch.StepRun, Status: "running", Started: t0.Add(time.Second)},
	}
	runs := runViews(records)
	if len(runs) != 2 || runs[0].Run != 2 || runs[1].Run != 1 {
		t.Fatalf("runs %+v", runs)
	}
	steps := runs[1].Steps
	if len(steps) != 2 || steps[0].Rows != 7 || steps[1].Duration != "50ms" {
		t.Fatalf("steps %+v", steps)
	}
	if !strings.Contains(string(steps[1].Bar), `x="50.00"`) || !strings.Contains(string(steps[1].Bar), "#c9413b") {
		t.Fatalf("the failed step is not drawn red at the middle: %s", steps[1].Bar)
	}
}

func TestSafeURLKeepsOnlyWebLinks(t *testing.T) {
	for in, want := range map[string]string{
		"https://news.example/a": "https://news.example/a",
		"http://x.test":          "http://x.test",
		"javascript:alert(1)":    "",
		"data:text/html,hi":      "",
		"":                       "",
	} {
		if got := safeURL(in); got != want {
			t.Errorf("safeURL(%q) = %q, want %q", in, got, want)
		}
	}
}
