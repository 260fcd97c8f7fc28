// Package slips makes what a printed household-code slip (住户码条) shows:
// the room, the code in large type, the station's link with the code in it
// as a QR code, and two lines of plain instructions. The web package lays
// the slips out on a printable page; nothing personal is on a slip beyond
// the room.
//
// It imports the store's types and the catalogues, never handlers.
package slips

import (
	"net/url"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
)

// CodeParam is the query parameter of a slip's link that carries the code.
// The page that receives it should redeem the code, remember the household
// on the phone and redirect to the link without it, so the code does not
// stay in the browser's history.
const CodeParam = "c"

// QRSize is the side of a slip's QR code in pixels: large enough to scan
// from paper held at arm's length.
const QRSize = 320

// Slip is one household's slip.
type Slip struct {
	Room  string   // as the catalogue writes it: 3幢1单元101
	Code  string   // printed form: 7KQ2 M9XD
	Link  string   // the station's link with the code in it
	QR    []byte   // PNG of Link
	Lines []string // the instructions, two short lines
}

// Make returns the slips of codes just issued (store.IssueHouseholdCodes or
// ReissueHouseholdCode), in the station's locale, with links to stationURL.
func Make(locale, stationURL string, issued []store.IssuedCode) ([]Slip, error) {
	out := make([]Slip, 0, len(issued))
	for _, c := range issued {
		link, err := CodeLink(stationURL, c.Code)
		if err != nil {
			return nil, err
		}
		png, err := QRPNG(link, QRSize)
		if err != nil {
			return nil, err
		}
		room := i18n.Room(locale, c.Room.Building, c.Room.Unit, c.Room.Number)
		out = append(out, Slip{Room: room, Code: store.FormatHouseholdCode(c.Code), Link: link, QR: png,
			Lines: []string{i18n.T(locale, "slip_line_scan"), i18n.T(locale, "slip_line_type")}})
	}
	return out, nil
}

// CodeLink returns stationURL with code in its query (CodeParam).
func CodeLink(stationURL, code string) (string, error) {
	u, err := url.Parse(stationURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set(CodeParam, code)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// QRPNG returns a PNG of a QR code of link, size pixels square, with
// medium error correction (a slip may be creased).
func QRPNG(link string, size int) ([]byte, error) {
	return qrcode.Encode(link, qrcode.Medium, size)
}
