package server

import (
	"log/slog"
	"time"
)

// startupClock times the phases of Start for the line that announces serving: whoever
// restarts a server wants to know where its start-up went.
type startupClock struct {
	start, last time.Time
	phases      []any
}

func newStartupClock() *startupClock {
	now := time.Now()
	return &startupClock{start: now, last: now}
}

// done ends the phase named phase, which began when the previous one ended.
func (c *startupClock) done(phase string) {
	now := time.Now()
	c.phases = append(c.phases, slog.Duration(phase, now.Sub(c.last).Round(time.Millisecond)))
	c.last = now
}

// took notes phases that ran alongside the ones done marks.
func (c *startupClock) took(phases ...slog.Attr) {
	for _, p := range phases {
		c.phases = append(c.phases, p)
	}
}

func (c *startupClock) attr() slog.Attr {
	return slog.Group("startup", append(c.phases, slog.Duration("total", time.Since(c.start).Round(time.Millisecond)))...)
}
