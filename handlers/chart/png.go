package chart

import (
	"bytes"
	"embed"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// PNGScale is how many pixels a user unit is in the PNG: 2, so a chart
// sent to a phone is sharp (1280×720).
const PNGScale = 2

// fonts holds the Chinese font PNGs are drawn with: WenQuanYi Micro Hei,
// cut down to the characters of GB 2312 (which covers everyday Chinese,
// names of places included) and ASCII; font/README.md says how, and
// font/LICENSE is its licence.
//
//go:embed font/wqy-microhei-gb2312.ttf
var fonts embed.FS

var loadFont = sync.OnceValues(func() (*opentype.Font, error) {
	b, err := fonts.ReadFile("font/wqy-microhei-gb2312.ttf")
	if err != nil {
		return nil, err
	}
	return opentype.Parse(b)
})

// PNG returns the chart as a PNG image, PNGScale times the SVG's size.
func (c *Chart) PNG() ([]byte, error) {
	var b bytes.Buffer
	if err := c.WritePNG(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WritePNG draws the chart as a PNG image to w.
func (c *Chart) WritePNG(w io.Writer) error {
	img, err := c.Image()
	if err != nil {
		return err
	}
	return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, img)
}

// Image draws the chart.
func (c *Chart) Image() (*image.RGBA, error) {
	f, err := loadFont()
	if err != nil {
		return nil, fmt.Errorf("chart font: %w", err)
	}
	faces := map[float64]font.Face{}
	defer func() {
		for _, face := range faces {
			_ = face.Close()
		}
	}()
	face := func(size float64) (font.Face, error) {
		if fc, ok := faces[size]; ok {
			return fc, nil
		}
		fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size * PNGScale, DPI: 72, Hinting: font.HintingNone})
		if err != nil {
			return nil, err
		}
		faces[size] = fc
		return fc, nil
	}
	const s = PNGScale
	img := image.NewRGBA(image.Rect(0, 0, Width*s, Height*s))
	for _, shape := range c.layout().shapes {
		switch sh := shape.(type) {
		case box: // axis-aligned: whole pixels, no rasterizer needed
			r := image.Rect(int(math.Round(sh.x*s)), int(math.Round(sh.y*s)), int(math.Round((sh.x+sh.w)*s)), int(math.Round((sh.y+sh.h)*s)))
			draw.Draw(img, r, image.NewUniform(sh.fill), image.Point{}, draw.Over)
		case path:
			for i := 1; i < len(sh.pts); i++ {
				fill(img, segment(sh.pts[i-1], sh.pts[i], sh.width), sh.color)
			}
			for i := 1; i < len(sh.pts)-1; i++ { // round joins
				fill(img, circle(sh.pts[i], sh.width/2), sh.color)
			}
		case dot:
			fill(img, circle(point{sh.x, sh.y}, sh.r), sh.fill)
		case label:
			fc, err := face(sh.size)
			if err != nil {
				return nil, err
			}
			d := font.Drawer{Dst: img, Src: image.NewUniform(sh.color), Face: fc}
			x := sh.x * s
			switch wd := float64(d.MeasureString(sh.text)) / 64; sh.anchor {
			case middle:
				x -= wd / 2
			case end:
				x -= wd
			}
			d.Dot = fixed.Point26_6{X: fixed.Int26_6(x * 64), Y: fixed.Int26_6(sh.y * s * 64)}
			d.DrawString(sh.text)
			if sh.bold { // the font has no bold: draw it again a pixel over
				d.Dot = fixed.Point26_6{X: fixed.Int26_6((x + 1) * 64), Y: fixed.Int26_6(sh.y * s * 64)}
				d.DrawString(sh.text)
			}
		}
	}
	return img, nil
}

// segment is the outline of a line from a to b of width w.
func segment(a, b point, w float64) []point {
	dx, dy := b.x-a.x, b.y-a.y
	l := math.Hypot(dx, dy)
	if l == 0 {
		return nil
	}
	nx, ny := -dy/l*w/2, dx/l*w/2
	return []point{{a.x + nx, a.y + ny}, {b.x + nx, b.y + ny}, {b.x - nx, b.y - ny}, {a.x - nx, a.y - ny}}
}

// circle is the outline of a circle, as a polygon fine enough at PNGScale.
func circle(c point, r float64) []point {
	const n = 24
	pts := make([]point, n)
	for i := range pts {
		a := 2 * math.Pi * float64(i) / n
		pts[i] = point{c.x + r*math.Cos(a), c.y + r*math.Sin(a)}
	}
	return pts
}

// fill paints the polygon pts (user units) onto img in col, anti-aliased,
// rasterizing only the pixels it covers.
func fill(img *image.RGBA, pts []point, col color.RGBA) {
	if len(pts) < 3 {
		return
	}
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		x0, y0 = math.Min(x0, p.x*PNGScale), math.Min(y0, p.y*PNGScale)
		x1, y1 = math.Max(x1, p.x*PNGScale), math.Max(y1, p.y*PNGScale)
	}
	area := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1))).Intersect(img.Bounds())
	if area.Empty() {
		return
	}
	r := vector.NewRasterizer(area.Dx(), area.Dy())
	at := func(p point) (float32, float32) {
		return float32(p.x*PNGScale - float64(area.Min.X)), float32(p.y*PNGScale - float64(area.Min.Y))
	}
	r.MoveTo(at(pts[0]))
	for _, p := range pts[1:] {
		r.LineTo(at(p))
	}
	r.ClosePath()
	r.Draw(img, area, image.NewUniform(col), image.Point{})
}
