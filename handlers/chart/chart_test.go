package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden SVG files from what the renderer draws now")

// samples are charts of every kind and edge the golden files hold.
var samples = map[string]*Chart{
	"bar": {Kind: Bar, Title: "2026年11月各类报事", Unit: "件",
		Labels: []string{"漏水", "绿化", "违建", "其他"},
		Series: []Series{{Name: "报事", Values: []float64{7, 3, 2, 1}}}},
	"bars": {Kind: Bar, Title: "每月报事与办结", Unit: "件",
		Labels: []string{"6月", "7月", "8月", "9月", "10月", "11月"},
		Series: []Series{{Name: "报事", Values: []float64{4, 6, 3, 8, 5, 7}}, {Name: "办结", Values: []float64{3, 5, 4, 6, 5, 6}}}},
	"line": {Kind: Line, Title: "每月满意率", Unit: "%", Max: 100,
		Labels: []string{"6月", "7月", "8月", "9月", "10月", "11月"},
		Series: []Series{{Name: "满意率", Values: []float64{80, 75, math.NaN(), 90, 100, 85}}}},
	"empty": {Kind: Bar, Title: "2026年11月各类报事", Unit: "件", Note: "这个月还没有人报事",
		Series: []Series{{Name: "报事"}}},
	"escaped": {Kind: Bar, Title: `<script>alert("x")</script> & 清川佳园互助站第一居委会`, Unit: "元",
		Labels: []string{"a<b", `"q"&'s'`, "很长很长很长很长很长很长的名字", "line\nbreak"},
		Series: []Series{{Name: "x]]>", Values: []float64{1.5, 2.25, 1000, 0}}}},
}

// TestSVGGolden compares every sample's SVG with its golden file: a change
// to the drawing shows as a diff of testdata to read.
func TestSVGGolden(t *testing.T) {
	for name, c := range samples {
		t.Run(name, func(t *testing.T) {
			got := c.SVG()
			wellFormed(t, got)
			file := filepath.Join("testdata", name+".svg")
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from what is drawn now (run with -update and read the diff):\n%s", file, got)
			}
		})
	}
}

// TestSVGAccessible checks the parts a screen reader reads: the image role,
// the title and the figures in the description, escaped.
func TestSVGAccessible(t *testing.T) {
	svg := string(samples["bar"].SVG())
	for _, want := range []string{`role="img"`, `aria-label="2026年11月各类报事"`, "<title>2026年11月各类报事</title>",
		"<desc>漏水: 7件; 绿化: 3件; 违建: 2件; 其他: 1件</desc>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %s", want)
		}
	}
	svg = string(samples["escaped"].SVG())
	if strings.Contains(svg, "<script") || !strings.Contains(svg, "&lt;script&gt;") {
		t.Errorf("title not escaped:\n%s", svg)
	}
	if d := samples["line"].Description(); d != "6月: 80%; 7月: 75%; 8月: -; 9月: 90%; 10月: 100%; 11月: 85%" {
		t.Errorf("line description = %q", d)
	}
}

// wellFormed fails unless svg parses as XML to the end.
func wellFormed(t testing.TB, svg []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, svg)
		}
	}
}

// FuzzSVG draws charts with arbitrary labels, title, series name and unit:
// the SVG must stay well-formed XML.
func FuzzSVG(f *testing.F) {
	f.Add("漏水", "每月<报事>", "a&b", "件", 3.0, false)
	f.Add("\x00\xff\xfe", "]]>", "<!--", "\"'", math.Inf(1), true)
	f.Add("\u2028\ufffe\U0010FFFF", "&amp;", "</text>", "%", -5.0, true)
	f.Add("", "", "", "", math.NaN(), false)
	f.Fuzz(func(t *testing.T, lbl, title, series, unit string, v float64, line bool) {
		c := &Chart{Title: title, Unit: unit, Note: lbl, Labels: []string{lbl, title, "x"},
			Series: []Series{{Name: series, Values: []float64{v, 1}}, {Name: lbl, Values: []float64{2}}}}
		if line {
			c.Kind = Line
		}
		wellFormed(t, c.SVG())
		c.Labels = nil
		wellFormed(t, c.SVG())
	})
}

// TestScale checks the value axis: round steps, whole ones for counts.
func TestScale(t *testing.T) {
	for _, tc := range []struct {
		values    []float64
		max       float64
		top, step float64
	}{
		{nil, 0, 5, 1},
		{[]float64{0, 0}, 0, 5, 1},
		{[]float64{1}, 0, 1, 1},
		{[]float64{3, 7}, 0, 8, 2},
		{[]float64{12}, 0, 15, 5},
		{[]float64{0.4}, 0, 0.4, 0.1},
		{[]float64{85, 90}, 100, 100, 20},
		{[]float64{1234}, 0, 1500, 500},
		{[]float64{1234.5}, 0, 1250, 250},
		{[]float64{7.5}, 0, 8, 2},
	} {
		c := &Chart{Max: tc.max, Series: []Series{{Values: tc.values}}, Labels: make([]string, len(tc.values))}
		top, step := c.scale()
		if math.Abs(top-tc.top) > 1e-9 || math.Abs(step-tc.step) > 1e-9 {
			t.Errorf("scale of %v (max %v) = %v step %v, want %v step %v", tc.values, tc.max, top, step, tc.top, tc.step)
		}
	}
}

// TestFit shortens labels by their drawn width.
func TestFit(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width float64
		want  string
	}{
		{"漏水", 40, "漏水"},
		{"清川佳园互助站", 48, "清川佳…"},
		{"abcdefghij", 36, "abcd…"},
		{"a\nb", 100, "a b"},
		{"\xff", 100, "\uFFFD"},
	} {
		if got := fit(tc.in, tc.width, 12); got != tc.want {
			t.Errorf("fit(%q, %v) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}

// TestPNG decodes the PNG and checks its size, that the bars are drawn in
// the series' colour and that the labels' pixels are inked: the title's
// band and the category labels' band hold dark pixels, and a chart with
// longer labels inks more of them.
func TestPNG(t *testing.T) {
	b, err := samples["bar"].PNG()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Size(); got != (image.Point{Width * PNGScale, Height * PNGScale}) {
		t.Fatalf("PNG is %v, want %dx%d", got, Width*PNGScale, Height*PNGScale)
	}
	titleBand := image.Rect(0, 10*PNGScale, Width*PNGScale, 36*PNGScale)
	labelBand := image.Rect(plotLeft*PNGScale, (plotBot+6)*PNGScale, plotRight*PNGScale, (plotBot+26)*PNGScale)
	if n := dark(img, titleBand); n < 200 {
		t.Errorf("title band has %d dark pixels: the title is not drawn", n)
	}
	labels := dark(img, labelBand)
	if labels < 200 {
		t.Errorf("label band has %d dark pixels: the labels are not drawn", labels)
	}
	// Under the first bar's middle, in the plot, the pixel is the series' colour.
	x := (plotLeft + (plotRight-plotLeft)/8) * PNGScale
	if r, g, bl, _ := img.At(x, (plotBot-10)*PNGScale).RGBA(); uint8(r>>8) != palette[0].R || uint8(g>>8) != palette[0].G || uint8(bl>>8) != palette[0].B {
		t.Errorf("bar pixel is %x %x %x, want %v", r>>8, g>>8, bl>>8, palette[0])
	}
	// No labels, no ink in their band.
	empty, err := (&Chart{Kind: Bar, Labels: []string{"", "", "", ""}, Series: samples["bar"].Series}).Image()
	if err != nil {
		t.Fatal(err)
	}
	if n := dark(empty, labelBand); n != 0 {
		t.Errorf("empty labels ink %d pixels", n)
	}
}

// dark counts the pixels in r darker than mid-grey.
func dark(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c, g, b, _ := img.At(x, y).RGBA()
			if (c+g+b)/3 < 0x6000 {
				n++
			}
		}
	}
	return n
}

// BenchmarkPNG measures drawing a two-series chart as PNG, as the chat
// sends it.
func BenchmarkPNG(b *testing.B) {
	c := samples["bars"]
	for b.Loop() {
		if _, err := c.PNG(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSVG measures writing the same chart as SVG, as a page shows it.
func BenchmarkSVG(b *testing.B) {
	c := samples["bars"]
	for b.Loop() {
		_ = c.SVG()
	}
}
