package chart

import (
	"image/color"
	"math"
	"strings"
)

// A scene is a chart laid out as shapes in SVG user units, drawn in order.
type scene struct {
	title  string
	desc   string
	shapes []any // box, path, dot or label
}

// box is a filled axis-aligned rectangle.
type box struct {
	x, y, w, h float64
	fill       color.RGBA
}

// path is a polyline of a width.
type path struct {
	pts   []point
	width float64
	color color.RGBA
}

type point struct{ x, y float64 }

// dot is a filled circle.
type dot struct {
	x, y, r float64
	fill    color.RGBA
}

// anchor is where a label's x is: its start, middle or end.
type anchor uint8

const (
	start anchor = iota
	middle
	end
)

// label is a line of text whose baseline is at y.
type label struct {
	x, y   float64
	text   string
	size   float64
	anchor anchor
	color  color.RGBA
	bold   bool
}

// Colours: text and axes dark enough for elderly eyes; series colours
// told apart by people with the common colour blindnesses (Okabe–Ito).
var (
	ink     = color.RGBA{0x22, 0x22, 0x22, 0xff}
	muted   = color.RGBA{0x55, 0x55, 0x55, 0xff}
	grid    = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	white   = color.RGBA{0xff, 0xff, 0xff, 0xff}
	palette = []color.RGBA{
		{0x00, 0x72, 0xb2, 0xff}, // blue
		{0xe6, 0x9f, 0x00, 0xff}, // orange
		{0x00, 0x9e, 0x73, 0xff}, // green
		{0xcc, 0x79, 0xa7, 0xff}, // purple
		{0xd5, 0x5e, 0x00, 0xff}, // vermilion
		{0x56, 0xb4, 0xe9, 0xff}, // sky blue
	}
)

// Layout sizes, in user units.
const (
	titleSize = 20
	textSize  = 14
	plotLeft  = 56
	plotRight = Width - 20
	plotTop   = 64
	plotBot   = Height - 64
	ticks     = 5
)

// layout places every part of c.
func (c *Chart) layout() *scene {
	sc := &scene{title: clean(c.Title), desc: clean(c.Description())}
	add := func(s any) { sc.shapes = append(sc.shapes, s) }
	add(box{0, 0, Width, Height, white})
	add(label{Width / 2, 30, fit(c.Title, Width-32, titleSize), titleSize, middle, ink, true})

	top, step := c.scale()
	plotH := float64(plotBot - plotTop)
	y := func(v float64) float64 { return plotBot - v/top*plotH }
	for i := 0; i <= ticks; i++ {
		v := step * float64(i)
		if v > top+step/2 {
			break
		}
		add(path{[]point{{plotLeft, y(v)}, {plotRight, y(v)}}, 1, grid})
		add(label{plotLeft - 6, y(v) + 4, formatValue(v), textSize, end, muted, false})
	}
	if c.Unit != "" {
		add(label{plotLeft - 6, plotTop - 14, fit(strings.TrimSpace(c.Unit), plotLeft+20, textSize), textSize, start, muted, false})
	}
	add(path{[]point{{plotLeft, plotBot}, {plotRight, plotBot}}, 1.5, ink})

	n := len(c.Labels)
	if n == 0 || (c.Note != "" && c.empty()) {
		if c.Note != "" {
			add(label{Width / 2, (plotTop + plotBot) / 2, fit(c.Note, plotRight-plotLeft, textSize+2), textSize + 2, middle, muted, false})
		}
		return sc
	}
	band := float64(plotRight-plotLeft) / float64(n)
	centre := func(i int) float64 { return plotLeft + band*(float64(i)+0.5) }
	for i, l := range c.Labels {
		add(label{centre(i), plotBot + 20, fit(l, band-4, textSize), textSize, middle, ink, false})
	}
	single := len(c.Series) == 1
	valueLabels := single && band >= 24
	switch c.Kind {
	case Line:
		for j, s := range c.Series {
			col := palette[j%len(palette)]
			var run []point
			flush := func() {
				if len(run) > 1 {
					add(path{run, 2.5, col})
				}
				run = nil
			}
			for i := range n {
				v := s.value(i)
				if math.IsNaN(v) {
					flush()
					continue
				}
				run = append(run, point{centre(i), y(clamp(v, top))})
			}
			flush()
			for i := range n {
				v := s.value(i)
				if math.IsNaN(v) {
					continue
				}
				add(dot{centre(i), y(clamp(v, top)), 4, col})
				if valueLabels {
					add(label{centre(i), y(clamp(v, top)) - 9, formatValue(v), textSize, middle, ink, false})
				}
			}
		}
	default:
		group := band * 0.7
		bw := group / float64(max(len(c.Series), 1))
		for j, s := range c.Series {
			col := palette[j%len(palette)]
			for i := range n {
				v := s.value(i)
				if math.IsNaN(v) {
					continue
				}
				x := centre(i) - group/2 + bw*float64(j)
				h := plotBot - y(clamp(v, top))
				add(box{x + 1, plotBot - h, bw - 2, h, col})
				if valueLabels {
					add(label{x + bw/2, plotBot - h - 5, formatValue(v), textSize, middle, ink, false})
				}
			}
		}
	}
	if len(c.Series) > 1 {
		c.legend(add)
	}
	return sc
}

// legend writes the series' names under the labels, centred.
func (c *Chart) legend(add func(any)) {
	const swatch, gap = 12, 16
	names := make([]string, len(c.Series))
	total := 0.0
	for j, s := range c.Series {
		names[j] = fit(s.Name, 160, textSize)
		total += swatch + 4 + textWidth(names[j], textSize) + gap
	}
	x := (Width - total + gap) / 2
	const y = Height - 18
	for j, name := range names {
		add(box{x, y - swatch + 2, swatch, swatch, palette[j%len(palette)]})
		x += swatch + 4
		add(label{x, y, name, textSize, start, ink, false})
		x += textWidth(name, textSize) + gap
	}
}

// clamp keeps v within the scale, so a value over a fixed Max, or under
// zero, stays inside the plot.
func clamp(v, top float64) float64 { return math.Min(math.Max(v, 0), top) }

// scale returns the top of the value axis and the step between its ticks:
// a round step (1, 2, 2.5 or 5 times a power of ten) with the largest
// value under the top; 1, 2 or 5 times one, whole, when every value is whole.
func (c *Chart) scale() (top, step float64) {
	hi, whole := 0.0, true
	for _, s := range c.Series {
		for i := range c.Labels {
			if v := s.value(i); !math.IsNaN(v) {
				hi = math.Max(hi, v)
				whole = whole && v == math.Trunc(v)
			}
		}
	}
	if c.Max > 0 && !math.IsInf(c.Max, 0) {
		hi = c.Max
	}
	if hi <= 0 {
		return ticks, 1
	}
	raw := hi / ticks
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	steps := []float64{1, 2, 2.5, 5}
	if whole {
		steps = []float64{1, 2, 5}
	}
	step = 10 * mag
	for _, m := range steps {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	if whole {
		step = math.Max(math.Ceil(step), 1)
	}
	return math.Ceil(hi/step-1e-9) * step, step
}
