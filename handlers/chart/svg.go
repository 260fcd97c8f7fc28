package chart

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
)

// fontFamily is the SVG's font list: the embedded font first, then what
// Chinese systems have.
const fontFamily = `"WenQuanYi Micro Hei","Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif`

// SVG returns the chart as a standalone SVG document, also fit to be
// inlined in an HTML page. It is accessible as an image named by the
// title, with every figure written out in its <desc>.
func (c *Chart) SVG() []byte {
	var b bytes.Buffer
	_ = c.WriteSVG(&b) // a bytes.Buffer does not fail
	return b.Bytes()
}

// WriteSVG writes the chart as SVG to w.
func (c *Chart) WriteSVG(w io.Writer) error {
	sc := c.layout()
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="`,
		Width, Height, Width, Height)
	escape(&b, sc.title)
	fmt.Fprintf(&b, "\" font-family='%s'>\n<title>", fontFamily)
	escape(&b, sc.title)
	b.WriteString("</title>\n<desc>")
	escape(&b, sc.desc)
	b.WriteString("</desc>\n")
	for _, s := range sc.shapes {
		switch s := s.(type) {
		case box:
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`+"\n", num(s.x), num(s.y), num(s.w), num(s.h), hex(s.fill))
		case path:
			b.WriteString(`<polyline fill="none" points="`)
			for i, p := range s.pts {
				if i > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(num(p.x) + "," + num(p.y))
			}
			fmt.Fprintf(&b, `" stroke="%s" stroke-width="%s" stroke-linejoin="round"/>`+"\n", hex(s.color), num(s.width))
		case dot:
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="%s" fill="%s"/>`+"\n", num(s.x), num(s.y), num(s.r), hex(s.fill))
		case label:
			fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="%s" fill="%s"`, num(s.x), num(s.y), num(s.size), hex(s.color))
			switch s.anchor {
			case middle:
				b.WriteString(` text-anchor="middle"`)
			case end:
				b.WriteString(` text-anchor="end"`)
			}
			if s.bold {
				b.WriteString(` font-weight="bold"`)
			}
			b.WriteByte('>')
			escape(&b, s.text)
			b.WriteString("</text>\n")
		}
	}
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// escape writes s as XML character data or an attribute value: markup
// characters as entities, characters XML cannot hold as U+FFFD.
func escape(b *bytes.Buffer, s string) { _ = xml.EscapeText(b, []byte(s)) }

// num writes a coordinate with at most one decimal.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

func hex(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }
