package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// dataOptions are what `huzhu import` and `huzhu export` were asked for.
type dataOptions struct {
	command string   // import or export
	what    string   // roster, fund or poll
	args    []string // the roster file, or the campaign or poll number
	station string   // id or code; "" when the store has one station
	format  string   // csv or xlsx
	out     string   // file to write; "-" for stdout
}

const dataUsage = `usage:
  huzhu import roster FILE.csv [--station N]
  huzhu export fund N [--station N] [--format csv|xlsx] [--out FILE]
  huzhu export poll N [--station N] [--format csv|xlsx] [--out FILE]`

// dataFlags defines the import and export flags on fs and takes the words
// of the command (roster FILE, fund N) out of args, wherever they stand
// among the flags, so `import roster a.csv --station 2` and `import
// --station 2 roster a.csv` both work. It returns the flags left to parse.
func dataFlags(fs *flag.FlagSet, command string, args []string) (*dataOptions, []string) {
	o := &dataOptions{command: command}
	fs.StringVar(&o.station, "station", "", "import/export: the station, by number or code (default: the only one)")
	fs.StringVar(&o.format, "format", "csv", "export: csv or xlsx")
	fs.StringVar(&o.out, "out", "", `export: the file to write (default fund-N.csv, poll-N.xlsx…; "-" for stdout)`)
	var words, flags []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			words = append(words, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			words = append(words, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil && !isBoolFlag(f) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	if len(words) > 0 {
		o.what, o.args = words[0], words[1:]
	}
	return o, flags
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// validate reports a data command that cannot be run, with the usage.
func (o *dataOptions) validate() error {
	switch {
	case o.command == "import" && o.what == "roster" && len(o.args) == 1:
	case o.command == "export" && (o.what == "fund" || o.what == "poll") && len(o.args) == 1:
		if _, err := strconv.ParseInt(o.args[0], 10, 64); err != nil {
			return fmt.Errorf("%s number %q is not a number\n%s", o.what, o.args[0], dataUsage)
		}
		if o.format != "csv" && o.format != "xlsx" {
			return fmt.Errorf("--format %q: want csv or xlsx", o.format)
		}
	default:
		return errors.New(dataUsage)
	}
	return nil
}

// runData runs `huzhu import …` or `huzhu export …` against the configured
// store. With the embedded store the bot must not be running: one process
// per data directory.
func runData(ctx context.Context, cfg *Config, stdout io.Writer, log *slog.Logger) (err error) {
	o := cfg.Data
	if err := o.validate(); err != nil {
		return err
	}
	backend, err := store.Open(ctx, cfg.Store, log.With("component", "store"))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, backend.Close()) }()
	st := store.New(backend.Client)
	station, err := pickStation(ctx, st, o.station)
	if err != nil {
		return err
	}
	if o.command == "import" {
		return importRoster(ctx, st, station, o.args[0], stdout)
	}
	n, _ := strconv.ParseInt(o.args[0], 10, 64)
	var tables []table
	if o.what == "fund" {
		tables, err = fundTables(ctx, st, station, n)
	} else {
		tables, err = pollTables(ctx, st, station, n)
	}
	if err != nil {
		return err
	}
	out := o.out
	if out == "" {
		out = fmt.Sprintf("%s-%d.%s", o.what, n, o.format)
	}
	var buf bytes.Buffer
	if o.format == "xlsx" {
		err = writeXLSX(&buf, tables)
	} else {
		err = writeCSV(&buf, tables)
	}
	if err != nil {
		return err
	}
	if out == "-" {
		_, err = stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "wrote %s (%s %d of station %d %s)\n", out, o.what, n, station.ID, station.Name)
	return err
}

// pickStation finds the station named by id or code, or the only one.
func pickStation(ctx context.Context, st *store.Store, which string) (*store.Station, error) {
	if which != "" {
		if id, err := strconv.ParseInt(which, 10, 64); err == nil {
			s, err := st.Station(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("no station %d", id)
			}
			return s, err
		}
		s, err := st.StationByCode(ctx, which)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("no station with code %q", which)
		}
		return s, err
	}
	ids, err := st.StationIDs(ctx)
	if err != nil {
		return nil, err
	}
	switch len(ids) {
	case 0:
		return nil, errors.New("the store has no station yet: create one in a group with 建站 NAME")
	case 1:
		return st.Station(ctx, ids[0])
	}
	var names []string
	for _, id := range ids {
		if s, err := st.Station(ctx, id); err == nil {
			names = append(names, fmt.Sprintf("%d %s", id, s.Name))
		}
	}
	return nil, fmt.Errorf("the store has %d stations; choose one with --station: %s", len(ids), strings.Join(names, ", "))
}

// table is one part of an export: a sheet in xlsx, a section in csv.
type table struct {
	name   string
	header []string
	rows   [][]any // string, int, int64 or money
}

// money is an amount in fen, written as yuan with two decimals.
type money int64

func (m money) String() string {
	sign, v := "", int64(m)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// cellText is a cell as CSV writes it.
func cellText(v any) string {
	switch v := v.(type) {
	case money:
		return v.String()
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// utf8BOM makes Excel open a UTF-8 CSV as UTF-8, so Chinese text is not
// garbled.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// writeCSV writes the tables one after another, each under its name and
// followed by an empty line, in UTF-8 with a BOM and CRLF line ends, as
// Excel expects.
func writeCSV(w io.Writer, tables []table) error {
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
		if err := cw.Write([]string{t.name}); err != nil {
			return err
		}
		if err := cw.Write(t.header); err != nil {
			return err
		}
		for _, r := range t.rows {
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

// writeXLSX writes each table as a sheet, the header in bold and frozen,
// amounts as numbers with two decimals so the office can add them up.
func writeXLSX(w io.Writer, tables []table) (err error) {
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
	for i, t := range tables {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", t.name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(t.name); err != nil {
			return err
		}
		if err := f.SetSheetRow(t.name, "A1", &t.header); err != nil {
			return err
		}
		last, _ := excelize.CoordinatesToCellName(max(len(t.header), 1), 1)
		if err := f.SetCellStyle(t.name, "A1", last, bold); err != nil {
			return err
		}
		for r, row := range t.rows {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
				if m, ok := v.(money); ok {
					if err := f.SetCellFloat(t.name, cell, float64(m)/100, 2, 64); err != nil {
						return err
					}
					if err := f.SetCellStyle(t.name, cell, cell, yuan); err != nil {
						return err
					}
					continue
				}
				if err := f.SetCellValue(t.name, cell, v); err != nil {
					return err
				}
			}
		}
		lastCol, _ := excelize.ColumnNumberToName(max(len(t.header), 1))
		if err := f.SetColWidth(t.name, "A", lastCol, 16); err != nil {
			return err
		}
		if err := f.SetPanes(t.name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
	}
	_, err = f.WriteTo(w)
	return err
}

// exportTime writes a moment in Shanghai for a spreadsheet.
func exportTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(calendar.Shanghai).Format("2006-01-02 15:04")
}

// fundTables are campaign n's summary, every household of its scope with
// what it pledged and paid, and the whole ledger.
func fundTables(ctx context.Context, st *store.Store, station *store.Station, n int64) ([]table, error) {
	f, err := st.Fund(ctx, station.ID, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("station %d has no campaign %d", station.ID, n)
	}
	if err != nil {
		return nil, err
	}
	cs, err := st.Contributions(ctx, station.ID, n)
	if err != nil {
		return nil, err
	}
	hs, err := st.Households(ctx, station.ID)
	if err != nil {
		return nil, err
	}
	names, err := st.HouseholdNames(ctx, station.ID)
	if err != nil {
		return nil, err
	}
	ledger, err := st.FundLedger(ctx, station.ID, n)
	if err != nil {
		return nil, err
	}
	status := "进行中"
	if f.Status == store.FundClosed {
		status = "已结束 " + exportTime(f.Closed)
	}
	scope := "全站"
	if len(f.Buildings) > 0 {
		scope = strings.Join(f.Buildings, "、") + "幢"
	}
	deadline := ""
	if !f.Deadline.IsZero() {
		deadline = f.Deadline.In(calendar.Shanghai).Format("2006-01-02")
	}
	byRoom := map[string]store.Contribution{}
	for _, c := range cs {
		byRoom[c.Room.Key()] = c
	}
	households := table{name: "住户", header: []string{"楼栋", "单元", "房号", "户主", "认捐(元)", "已交(元)", "还差(元)", "情况"}}
	pledgedCount := 0
	seen := map[string]bool{}
	addRow := func(room numerals.Room, c store.Contribution) {
		seen[room.Key()] = true
		state := "未认捐"
		switch owed := c.Owed(); {
		case c.Pledged == 0:
		case owed == 0:
			state = "已交齐"
		case owed < 0:
			state = "多交 " + money(-owed).String()
		case c.Paid == 0:
			state = "未交"
		default:
			state = "未交齐"
		}
		if c.Pledged > 0 {
			pledgedCount++
		}
		households.rows = append(households.rows, []any{room.Building, room.Unit, room.Number, names[room.Key()],
			money(c.Pledged), money(c.Paid), money(max(c.Owed(), 0)), state})
	}
	for _, h := range hs {
		if f.Covers(h.Room.Building) {
			addRow(h.Room, byRoom[h.Room.Key()])
		}
	}
	for _, c := range cs { // pledged households no longer in the roster stay on the record
		if !seen[c.Room.Key()] {
			addRow(c.Room, c)
		}
	}
	summary := table{name: "汇总", header: []string{"项目", "内容"}, rows: [][]any{
		{"互助站", station.Name}, {"众筹编号", f.N}, {"名称", f.Title}, {"范围", scope},
		{"目标(元)", money(f.Goal)}, {"每户(元)", money(f.PerHousehold)}, {"截止", deadline}, {"状态", status},
		{"认捐户数", pledgedCount}, {"认捐合计(元)", money(f.Pledged)}, {"实收合计(元)", money(f.Paid)},
		{"支出合计(元)", money(f.Spent)}, {"结余(元)", money(f.Balance())},
		{"发起人", f.ByName}, {"发起时间", exportTime(f.Created)},
	}}
	entries := table{name: "账目", header: []string{"时间", "经手人", "类型", "房号", "金额(元)", "原认捐(元)", "说明"}}
	kinds := map[store.LedgerKind]string{store.LedgerOpened: "发起", store.LedgerPledged: "认捐",
		store.LedgerPaid: "收款", store.LedgerSpent: "支出", store.LedgerClosed: "结束"}
	for _, e := range ledger {
		room := ""
		if r, err := numerals.ParseRoom(e.Room); err == nil {
			room = r.String()
		}
		kind, prev, text := kinds[e.Kind], any(""), e.Text
		switch {
		case e.Kind == store.LedgerPledged && e.Prev > 0:
			kind, prev = "改认捐", money(e.Prev)
		case e.Kind == store.LedgerPledged && e.Text == "paid":
			text = "交款时一并认捐"
		case e.Kind == store.LedgerClosed:
			text = "结余"
		}
		entries.rows = append(entries.rows, []any{exportTime(e.At), e.ByName, kind, room, money(e.Amount), prev, text})
	}
	return []table{summary, households, entries}, nil
}

// pollTables are poll n's summary, the count per option and every counted
// vote with who cast it, for the record the community office keeps.
func pollTables(ctx context.Context, st *store.Store, station *store.Station, n int64) ([]table, error) {
	p, err := st.Poll(ctx, station.ID, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("station %d has no poll %d", station.ID, n)
	}
	if err != nil {
		return nil, err
	}
	votes, err := st.Votes(ctx, station.ID, n)
	if err != nil {
		return nil, err
	}
	how := "每人一票"
	if p.PerHousehold {
		how = "每户一票"
	}
	status := "进行中"
	if p.Closed {
		status = "已结束 " + exportTime(p.ClosedAt)
	}
	summary := table{name: "汇总", header: []string{"项目", "内容"}, rows: [][]any{
		{"互助站", station.Name}, {"投票编号", p.N}, {"问题", p.Question}, {"方式", how},
		{"截止", exportTime(p.Deadline)}, {"状态", status}, {"投票数", len(votes)},
		{"发起人", p.ByName}, {"发起时间", exportTime(p.Created)},
	}}
	counts := p.Tally(votes)
	results := table{name: "结果", header: []string{"编号", "选项", "票数", "占比"}}
	for i, o := range p.Options {
		share := "0%"
		if len(votes) > 0 {
			share = fmt.Sprintf("%.1f%%", float64(counts[i])*100/float64(len(votes)))
		}
		results.rows = append(results.rows, []any{i + 1, o, counts[i], share})
	}
	cast := table{name: "投票记录", header: []string{"房号", "投票人", "选项", "时间"}}
	for _, v := range votes {
		room := ""
		if r, err := numerals.ParseRoom(v.Room); err == nil {
			room = r.String()
		}
		option := ""
		if v.Option >= 0 && v.Option < len(p.Options) {
			option = p.Options[v.Option]
		}
		cast.rows = append(cast.rows, []any{room, v.Name, option, exportTime(v.At)})
	}
	return []table{summary, results, cast}, nil
}
