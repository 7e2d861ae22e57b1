package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// palette colours the slices of a portfolio, in order.
var palette = []string{"#2f6fdf", "#e0822f", "#3aa55d", "#c9413b", "#8a5cc7", "#8c6d3f", "#d562b1", "#6f7b86", "#b5b52f", "#2fb5c9"}

func colour(i int) string { return palette[i%len(palette)] }

// weightBar draws a horizontal bar as long as the weight.
func weightBar(weight float64, i int) template.HTML {
	w := math.Max(0, math.Min(1, weight)) * 100
	return template.HTML(fmt.Sprintf(`<svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" role="img" aria-label="%.1f%%">`+
		`<rect width="100" height="8" fill="#e8ebef"/><rect width="%.2f" height="8" fill="%s"/></svg>`, w, w, colour(i)))
}

// donut draws the portfolio's weights as a ring of slices.
func donut(weights []float64) template.HTML {
	const r, c = 40.0, 50.0
	var b strings.Builder
	b.WriteString(`<svg class="donut" viewBox="0 0 100 100" role="img" aria-label="portfolio weights">`)
	b.WriteString(`<circle cx="50" cy="50" r="40" fill="none" stroke="#e8ebef" stroke-width="16"/>`)
	start := -math.Pi / 2
	for i, w := range weights {
		if w <= 0 {
			continue
		}
		if w >= 0.9999 {
			fmt.Fprintf(&b, `<circle cx="50" cy="50" r="40" fill="none" stroke="%s" stroke-width="16"/>`, colour(i))
			break
		}
		end := start + w*2*math.Pi
		large := 0
		if w > 0.5 {
			large = 1
		}
		fmt.Fprintf(&b, `<path d="M %.3f %.3f A %.0f %.0f 0 %d 1 %.3f %.3f" fill="none" stroke="%s" stroke-width="16"/>`,
			c+r*math.Cos(start), c+r*math.Sin(start), r, r, large, c+r*math.Cos(end), c+r*math.Sin(end), colour(i))
		start = end
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// timelineBar places a step on a run's timeline: offset and width in percent.
func timelineBar(offset, width float64, status string) template.HTML {
	fill := map[string]string{"succeeded": "#3aa55d", "failed": "#c9413b", "running": "#e0b12f", "interrupted": "#6f7b86"}[status]
	return template.HTML(fmt.Sprintf(`<svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none"><rect width="100" height="8" fill="#f3f5f7"/>`+
		`<rect x="%.2f" width="%.2f" height="8" fill="%s"/></svg>`, offset, math.Max(width, 0.8), fill))
}
