package export

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/huzhu-station/huzhu/bot/calendar"
)

// Table is one part of an export: a sheet in xlsx, a section in csv.
type Table struct {
	Name   string
	Header []string
	Rows   [][]any // string, int, int64, Money or Hours
}

// Money is an amount in fen, written as yuan with two decimals.
type Money int64

func (m Money) String() string {
	sign, v := "", int64(m)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Hours is a time in minutes, written as hours with one decimal, rounded
// to the nearest tenth as the chat writes them.
type Hours int64

func (h Hours) String() string { return fmt.Sprintf("%.1f", h.value()) }

func (h Hours) value() float64 { return float64((int64(h)*10+30)/60) / 10 }

// cellText is a cell as CSV writes it.
func cellText(v any) string {
	switch v := v.(type) {
	case fmt.Stringer:
		return v.String()
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// utf8BOM makes Excel open a UTF-8 CSV as UTF-8, so Chinese text is not
// garbled.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// WriteCSV writes the tables one after another, each under its name and
// followed by an empty line, in UTF-8 with a BOM and CRLF line ends, as
// Excel expects.
func WriteCSV(w io.Writer, tables []Table) error {
	if _, err := w.Write(utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	for i, t := range tables {
		if i > 0 {
			if err := cw.Write([]string{""}); err != nil {
				return err
			}
		}
		if err := cw.Write([]string{t.Name}); err != nil {
			return err
		}
		if err := cw.Write(t.Header); err != nil {
			return err
		}
		for _, r := range t.Rows {
			cells := make([]string, len(r))
			for j, v := range r {
				cells[j] = cellText(v)
			}
			if err := cw.Write(cells); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// Column widths in the xlsx, in characters: a column is as wide as its
// widest cell (a Chinese character counting two), within these bounds.
const (
	minColWidth = 8
	maxColWidth = 60
)

// WriteXLSX writes each table as a sheet: the header in bold and frozen,
// columns as wide as their text, amounts as numbers with two decimals and
// hours with one, so the office can add them up.
func WriteXLSX(w io.Writer, tables []Table) (err error) {
	f := excelize.NewFile()
	defer func() { err = errors.Join(err, f.Close()) }()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	yuan, err := f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
	if err != nil {
		return err
	}
	tenths, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.0")})
	if err != nil {
		return err
	}
	for i, t := range tables {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", t.Name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(t.Name); err != nil {
			return err
		}
		if err := f.SetSheetRow(t.Name, "A1", &t.Header); err != nil {
			return err
		}
		last, _ := excelize.CoordinatesToCellName(max(len(t.Header), 1), 1)
		if err := f.SetCellStyle(t.Name, "A1", last, bold); err != nil {
			return err
		}
		widths := make([]int, len(t.Header))
		for c, h := range t.Header {
			widths[c] = textWidth(h)
		}
		for r, row := range t.Rows {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
				if c < len(widths) {
					widths[c] = max(widths[c], textWidth(cellText(v)))
				}
				var style int
				switch v := v.(type) {
				case Money:
					err, style = f.SetCellFloat(t.Name, cell, float64(v)/100, 2, 64), yuan
				case Hours:
					err, style = f.SetCellFloat(t.Name, cell, v.value(), 1, 64), tenths
				default:
					err = f.SetCellValue(t.Name, cell, v)
				}
				if err != nil {
					return err
				}
				if style != 0 {
					if err := f.SetCellStyle(t.Name, cell, cell, style); err != nil {
						return err
					}
				}
			}
		}
		for c, wd := range widths {
			col, _ := excelize.ColumnNumberToName(c + 1)
			if err := f.SetColWidth(t.Name, col, col, float64(min(max(wd+2, minColWidth), maxColWidth))); err != nil {
				return err
			}
		}
		if err := f.SetPanes(t.Name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
	}
	_, err = f.WriteTo(w)
	return err
}

func ptr[T any](v T) *T { return &v }

// textWidth is how many character widths s takes in a spreadsheet: two
// for a Chinese character, one for others.
func textWidth(s string) int {
	w := 0
	for _, r := range s {
		if r >= 0x2e80 {
			w += 2
		} else {
			w++
		}
	}
	return min(w, utf8.RuneCountInString(s)*2)
}

// exportTime writes a moment in Shanghai for a spreadsheet.
func exportTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(calendar.Shanghai).Format("2006-01-02 15:04")
}

// exportDate writes a day in Shanghai for a spreadsheet.
func exportDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(calendar.Shanghai).Format("2006-01-02")
}
