// Package chart draws the station's figures as small charts: a bar or line
// chart with a title, category labels along the bottom, one or more series
// and a unit. The same chart renders to SVG, written by hand for web pages
// (small, crisp at any size, readable by screen readers through its <title>
// and <desc>), and to PNG for chats, drawn with a Chinese font embedded in
// the binary so an image looks the same wherever it is made.
//
// Both renderers draw one layout (scene), so a page and a chat show the
// same chart. The standard charts the station's figures are shown with
// (problems by category, reported and solved per month, satisfaction, volunteer
// hours) are built in standard.go from the store's monthly figures.
package chart

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind is how a chart shows its series.
type Kind uint8

// Chart kinds.
const (
	// Bar draws a bar per series in each category, side by side.
	Bar Kind = iota
	// Line joins each series' values across the categories, for a trend.
	Line
)

// Series is one row of values, one per category label. A NaN value is
// missing (a month with no ratings): a bar is not drawn, a line breaks.
type Series struct {
	Name   string
	Values []float64
}

// Chart is what is drawn. Labels and text may be anything a person typed
// (a station's name): the renderers escape and shorten them.
type Chart struct {
	Kind Kind
	// Title is drawn above the chart and is the image's accessible name.
	Title string
	// Labels name the categories along the bottom, left to right.
	Labels []string
	Series []Series
	// Unit is what the values count (件, %, 小时), shown over the axis and
	// in the description.
	Unit string
	// Max, when above zero, is the top of the scale (100 for a
	// percentage); otherwise the scale fits the largest value.
	Max float64
	// Note is drawn across an empty chart (no labels, or no value under
	// any), such as "no problems reported this month".
	Note string
}

// empty reports whether c has nothing to draw: no labels, or every value
// missing.
func (c *Chart) empty() bool {
	for _, s := range c.Series {
		for i := range c.Labels {
			if !math.IsNaN(s.value(i)) {
				return false
			}
		}
	}
	return true
}

// Size of a chart in SVG user units; the PNG is PNGScale times larger.
const (
	Width  = 480
	Height = 320
)

// value returns series s's value for label i, NaN where there is none.
func (s Series) value(i int) float64 {
	if i < len(s.Values) {
		v := s.Values[i]
		if math.IsInf(v, 0) {
			return math.NaN()
		}
		return v
	}
	return math.NaN()
}

// Description is the chart's figures written out, for the SVG's <desc>
// and for a reader who cannot see the image: "漏水: 3件; 绿化: 1件".
func (c *Chart) Description() string {
	if c.Note != "" && c.empty() {
		return c.Note
	}
	var b strings.Builder
	for i, l := range c.Labels {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(l)
		b.WriteString(": ")
		for j, s := range c.Series {
			if j > 0 {
				b.WriteString(", ")
			}
			if len(c.Series) > 1 && s.Name != "" {
				b.WriteString(s.Name)
				b.WriteString(" ")
			}
			v := s.value(i)
			if math.IsNaN(v) {
				b.WriteString("-")
				continue
			}
			b.WriteString(formatValue(v))
			b.WriteString(c.Unit)
		}
	}
	return b.String()
}

// formatValue writes v with at most one decimal, trimmed: 3, 2.5.
func formatValue(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// textWidth estimates how wide s is drawn at size: a Chinese character is
// as wide as the size, a Latin one a little over half. The SVG cannot
// measure (the reader's font decides), so both renderers shorten by this.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		if isWide(r) {
			w += size
		} else {
			w += size * 0.6
		}
	}
	return w
}

// isWide reports a character drawn a full square wide: CJK and the
// full-width forms.
func isWide(r rune) bool {
	return r >= 0x1100 && (r <= 0x115f || (r >= 0x2e80 && r <= 0xa4cf) ||
		(r >= 0xac00 && r <= 0xd7a3) || (r >= 0xf900 && r <= 0xfaff) ||
		(r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) ||
		(r >= 0xffe0 && r <= 0xffe6) || r >= 0x20000)
}

// fit shortens s with an ellipsis so it is drawn within width at size.
func fit(s string, width, size float64) string {
	s = clean(s)
	if textWidth(s, size) <= width {
		return s
	}
	var b strings.Builder
	w := textWidth("…", size)
	for _, r := range s {
		rw := textWidth(string(r), size)
		if w+rw > width {
			break
		}
		w += rw
		b.WriteRune(r)
	}
	return b.String() + "…"
}

// clean keeps a label to one line of printable text: line breaks and other
// controls become spaces, invalid UTF-8 the replacement character.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 {
			return ' '
		}
		return r
	}, s)
}
