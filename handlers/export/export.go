// Package export writes a station's records as spreadsheets for the
// community office: a campaign's accounts (fund), a poll's record (poll),
// the month's figures (stats), the problems (issues), volunteer hours per
// volunteer (shifts) and the dogs due for their rabies shot (dogs). Each
// is CSV (UTF-8 with a BOM, so Excel reads the Chinese) or xlsx (header
// row frozen, columns sized, money in yuan with two decimals as numbers).
// Sheet names, headings, labels and states come from the i18n catalogues
// (export.toml) in Options.Locale: the station's language, Chinese (zh-CN)
// by default, as the office's documents are.
//
// Who may see what: exports are the station's staff view, for the office
// that works with them, and are offered only to staff (the command line
// runs on the server; the web pages only behind the staff link). Even so
// the stats and issues exports name no one who reported privately: an
// anonymous report's reporter is written as anonymous (匿名), and a
// confidential problem's text (made from a patrol note, which names
// neighbours) is left out. The fund, poll, shifts and dogs exports are records the office
// keeps by household and person (who paid, who voted, who served, whose
// dog), as staff see them in the chat.
//
// The command line (huzhu export) and the staff web page call Write.
package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// Kind is what is exported.
type Kind string

// Kinds of export.
const (
	Fund   Kind = "fund"   // a campaign's summary, households and ledger (Options.N)
	Poll   Kind = "poll"   // a poll's summary, results and votes (Options.N)
	Stats  Kind = "stats"  // the month's figures, per station, and problems by category
	Issues Kind = "issues" // every problem, or those reported in Options.Month
	Shifts Kind = "shifts" // the month's volunteer hours per volunteer and per team
	Dogs   Kind = "dogs"   // dogs whose rabies shot is due within store.DogsDueDays, or unknown
)

// Kinds lists every kind, in the order the command line's usage names them.
var Kinds = []Kind{Fund, Poll, Stats, Issues, Shifts, Dogs}

// Format is how an export is written.
type Format string

// Formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// Options say what to export.
type Options struct {
	Format Format // CSV when empty
	// Stations are the stations exported: one for every kind; for Stats,
	// several (the subdistrict's) give a row each and a total.
	Stations []int64
	// N is the campaign's or poll's number, for Fund and Poll.
	N int64
	// Month is the month of Stats and Shifts (this month when zero), and
	// of Issues when set (every problem when zero).
	Month time.Time
	// Now is when the export is made, for Dogs' due dates and the default
	// month; time.Now() when zero.
	Now time.Time
	// Locale is the language of the sheet names, headings, labels and
	// states, one of i18n.Locales; the default (zh-CN) when empty or
	// unknown. What people typed (names, titles, problems) is as typed.
	Locale string
}

// Download names an export for a browser or a file: a file name (ASCII,
// safe in a Content-Disposition header) and its media type.
type Download struct {
	Filename    string
	ContentType string
}

// ErrBadRequest wraps the errors of an export that cannot be made as asked
// (an unknown kind, a missing number, a station that does not exist): the
// asker's mistake, not the store's.
var ErrBadRequest = errors.New("bad export request")

// Write writes the export kind of s's records as asked by o to w, and
// returns its file name and media type. When w is an http.ResponseWriter,
// its Content-Type and Content-Disposition (attachment, with the file
// name) are set before the body. Nothing is written when it fails: the
// file is made before the first byte goes out, so a web handler can still
// answer with an error status (400 for an error wrapping ErrBadRequest).
func Write(ctx context.Context, s *store.Store, w io.Writer, kind Kind, o Options) (Download, error) {
	o = o.withDefaults()
	if o.Format != CSV && o.Format != XLSX {
		return Download{}, fmt.Errorf("%w: format %q: want csv or xlsx", ErrBadRequest, o.Format)
	}
	tables, err := Tables(ctx, s, kind, o)
	if err != nil {
		return Download{}, err
	}
	var buf bytes.Buffer
	d := Download{Filename: filename(kind, o), ContentType: "text/csv; charset=utf-8"}
	if o.Format == XLSX {
		d.ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		err = WriteXLSX(&buf, tables)
	} else {
		err = WriteCSV(&buf, tables)
	}
	if err != nil {
		return Download{}, err
	}
	if hw, ok := w.(http.ResponseWriter); ok {
		hw.Header().Set("Content-Type", d.ContentType)
		hw.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Filename}))
	}
	_, err = w.Write(buf.Bytes())
	return d, err
}

// Tables builds the tables of export kind.
func Tables(ctx context.Context, s *store.Store, kind Kind, o Options) ([]Table, error) {
	o = o.withDefaults()
	if len(o.Stations) == 0 {
		return nil, fmt.Errorf("%w: no station", ErrBadRequest)
	}
	if kind != Stats && len(o.Stations) > 1 {
		return nil, fmt.Errorf("%w: %s exports one station at a time", ErrBadRequest, kind)
	}
	stations := make([]*store.Station, 0, len(o.Stations))
	for _, id := range o.Stations {
		st, err := s.Station(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: no station %d", ErrBadRequest, id)
		}
		if err != nil {
			return nil, err
		}
		stations = append(stations, st)
	}
	x := exporter{s: s, locale: o.Locale}
	switch kind {
	case Fund:
		return x.fundTables(ctx, stations[0], o.N)
	case Poll:
		return x.pollTables(ctx, stations[0], o.N)
	case Stats:
		return x.statsTables(ctx, stations, monthOf(kind, o))
	case Issues:
		return x.issueTables(ctx, stations[0], o.Month)
	case Shifts:
		return x.shiftTables(ctx, stations[0], monthOf(kind, o))
	case Dogs:
		return x.dogTables(ctx, stations[0], o.Now)
	}
	return nil, fmt.Errorf("%w: unknown export %q", ErrBadRequest, kind)
}

func (o Options) withDefaults() Options {
	if o.Format == "" {
		o.Format = CSV
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if !slices.Contains(i18n.Locales, o.Locale) {
		o.Locale = bot.DefaultLocale
	}
	return o
}

// exporter builds the tables from the store, in its locale's words.
type exporter struct {
	s      *store.Store
	locale string
}

// t renders the catalogue's sentence key in x's locale.
func (x exporter) t(key string, args ...i18n.Args) string { return i18n.T(x.locale, key, args...) }

// named is the catalogue's name for a stored value ("cat_leak": 漏水,
// leak), or the value itself where the catalogue has none.
func (x exporter) named(prefix, value string) string {
	if value == "" || !i18n.Has(x.locale, prefix+value) {
		return value
	}
	return x.t(prefix + value)
}

// table is an empty table named by the catalogue's key name, with the
// headings of the keys columns.
func (x exporter) table(name string, columns ...string) Table {
	t := Table{Name: x.t(name), Header: make([]string, len(columns))}
	for i, c := range columns {
		t.Header[i] = x.t(c)
	}
	return t
}

// summaryRow is one line of a summary table: its label's key and value.
type summaryRow struct {
	label string
	value any
}

// summary is a two-column table of items and their values.
func (x exporter) summary(rows []summaryRow) Table {
	t := x.table("export_summary_sheet", "export_summary_item", "export_summary_value")
	for _, r := range rows {
		t.Rows = append(t.Rows, []any{x.t(r.label), r.value})
	}
	return t
}

// status is a campaign's or poll's state: open, or closed at a time.
func (x exporter) status(closed bool, at time.Time) string {
	if closed {
		return x.t("export_closed_at", i18n.Args{"At": exportTime(at)})
	}
	return x.t("export_open")
}

// roomText writes a stored household key (3-2-301) as residents read it.
func (x exporter) roomText(key string) string {
	r, err := numerals.ParseRoom(key)
	if err != nil {
		return key
	}
	return i18n.Room(x.locale, r.Building, r.Unit, r.Number)
}

// filename names an export: fund-3.csv, stats-2026-11-all.xlsx,
// issues-station2.csv.
func filename(kind Kind, o Options) string {
	name := string(kind)
	switch kind {
	case Fund, Poll:
		name += "-" + strconv.FormatInt(o.N, 10)
	default:
		if kind == Stats || kind == Shifts || !o.Month.IsZero() {
			name += "-" + monthOf(kind, o).Format("2006-01")
		}
		if len(o.Stations) > 1 {
			name += "-all"
		} else {
			name += "-station" + strconv.FormatInt(o.Stations[0], 10)
		}
	}
	return name + "." + string(o.Format)
}

// monthOf is the month an export covers: o.Month, or this month.
func monthOf(kind Kind, o Options) time.Time {
	if !o.Month.IsZero() || kind == Issues {
		return o.Month
	}
	return MonthStart(o.Now)
}

// MonthStart is midnight on the 1st of t's month in Shanghai.
func MonthStart(t time.Time) time.Time {
	t = t.In(calendar.Shanghai)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, calendar.Shanghai)
}

// ParseKind reads an export's kind as typed: fund, poll, stats, issues,
// shifts, dogs.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if strings.EqualFold(strings.TrimSpace(s), string(k)) {
			return k, nil
		}
	}
	return "", fmt.Errorf("%w: unknown export %q", ErrBadRequest, s)
}

// ParseFormat reads csv or xlsx, in any letter case.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case CSV, XLSX:
		return f, nil
	}
	return "", fmt.Errorf("%w: format %q: want csv or xlsx", ErrBadRequest, s)
}

// ParseMonth reads a month as the office writes it: 2026-11, 2026/11 or
// 2026年11月, as the start of that month in Shanghai.
func ParseMonth(s string) (time.Time, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimSuffix(strings.NewReplacer("年", "-", "/", "-").Replace(t), "月")
	y, m, ok := strings.Cut(t, "-")
	year, err1 := strconv.Atoi(y)
	month, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || !digits(y) || !digits(m) || len(y) != 4 || len(m) > 2 ||
		year < 2000 || year > 2100 || month < 1 || month > 12 {
		return time.Time{}, fmt.Errorf("%w: month %q: write it as 2026-11", ErrBadRequest, s)
	}
	return time.Date(year, time.Month(month), 1, 0, 0, 0, 0, calendar.Shanghai), nil
}

// digits reports whether s is one or more ASCII digits.
func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
