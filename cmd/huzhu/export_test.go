package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// runCLI runs huzhu with args on the embedded store in dir, with no Redis
// configured whatever the environment says.
func runCLI(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	var out, errs bytes.Buffer
	getenv := func(k string) string {
		if k == "LOG_LEVEL" {
			return "error"
		}
		return ""
	}
	err := run(context.Background(), append(args, "--data", dir), getenv, strings.NewReader(""), &out, &errs)
	return out.String(), err
}

// seedStation creates a station with a campaign and a poll in the embedded
// store in dir, as a group chat would have.
func seedStation(t *testing.T, dir string) {
	t.Helper()
	s, done := openEmbedded(t, dir)
	defer done()
	ctx := context.Background()
	head := bot.User{Platform: "console", ID: "张站长", Name: "张站长"}
	li := bot.User{Platform: "console", ID: "老李", Name: "老李"}
	st, err := s.CreateStation(ctx, "清川佳园互助站", bot.Chat{Platform: "console", ID: "g", Kind: bot.Group}, head, transcriptStart)
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.CreateFund(ctx, st.ID, store.NewFund{Title: "3幢安全门", Goal: 10200_00, PerHousehold: 300_00,
		Buildings: []string{"3"}, By: head}, transcriptStart)
	if err != nil {
		t.Fatal(err)
	}
	room := func(s string) numerals.Room { r, _ := numerals.ParseRoom(s); return r }
	for _, step := range []func() error{
		func() error {
			_, err := s.RecordPayment(ctx, st.ID, f.N, room("3-1-101"), 300_00, li, transcriptStart)
			return err
		},
		func() error {
			_, err := s.Pledge(ctx, st.ID, f.N, room("3-1-102"), 300_00, li, transcriptStart)
			return err
		},
		func() error {
			_, err := s.RecordPayment(ctx, st.ID, f.N, room("3-1-102"), 400_00, li, transcriptStart)
			return err
		},
		func() error {
			_, err := s.Spend(ctx, st.ID, f.N, 500_00, "安全门首付款", head, transcriptStart)
			return err
		},
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.CreatePoll(ctx, st.ID, store.NewPoll{Question: "安全门选什么颜色", Options: []string{"深灰", "古铜"},
		PerHousehold: true, By: head}, transcriptStart)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CastVote(ctx, st.ID, p.N, store.Ballot{User: li, Room: "3-1-101", Option: 1}, transcriptStart); err != nil {
		t.Fatal(err)
	}
}

func TestImportAndExport(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "data")
	seedStation(t, dir)

	roster := filepath.Join(tmp, "名册.csv")
	if err := os.WriteFile(roster, append([]byte{0xEF, 0xBB, 0xBF}, "楼栋,单元,房号,户主\n3,1,101,王家\n3,1,102,赵家\n3,1,201,\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, dir, "import", "roster", roster, "--station", "1")
	if err != nil || !strings.Contains(out, "imported 3 households") || !strings.Contains(out, "1 new, 2 already known") {
		t.Fatalf("import: %q, %v", out, err)
	}
	// Flags may come first, and the station by code.
	if _, err := runCLI(t, dir, "import", "--station", "NOSUCH", "roster", roster); err == nil || !strings.Contains(err.Error(), "NOSUCH") {
		t.Errorf("import into an unknown station: %v", err)
	}

	csvFile := filepath.Join(tmp, "fund.csv")
	if out, err := runCLI(t, dir, "export", "fund", "1", "--out", csvFile); err != nil || !strings.Contains(out, "wrote "+csvFile) {
		t.Fatalf("export fund csv: %q, %v", out, err)
	}
	raw, err := os.ReadFile(csvFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte{0xEF, 0xBB, 0xBF}) || !bytes.Contains(raw, []byte("\r\n")) {
		t.Errorf("CSV lacks the BOM or CRLF Excel needs")
	}
	r := csv.NewReader(bytes.NewReader(raw[3:]))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	text := func(rows [][]string) string {
		var lines []string
		for _, r := range rows {
			lines = append(lines, strings.Join(r, ","))
		}
		return strings.Join(lines, "\n")
	}(rows)
	for _, want := range []string{
		"名称,3幢安全门", "实收合计(元),700.00", "结余(元),200.00",
		"3,1,101,王家,300.00,300.00,0.00,已交齐",
		"3,1,102,赵家,300.00,400.00,0.00,多交 100.00",
		"3,1,201,,0.00,0.00,0.00,未认捐",
		"2026-11-25 09:00,老李,收款,3幢1单元102,400.00,,",
		"2026-11-25 09:00,张站长,支出,,500.00,,安全门首付款",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("CSV lacks %q:\n%s", want, text)
		}
	}

	xlsxFile := filepath.Join(tmp, "fund.xlsx")
	if _, err := runCLI(t, dir, "export", "fund", "1", "--format", "xlsx", "--out", xlsxFile); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenFile(xlsxFile)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if sheets := x.GetSheetList(); strings.Join(sheets, ",") != "汇总,住户,账目" {
		t.Errorf("sheets = %v", sheets)
	}
	if v, _ := x.GetCellValue("住户", "F3"); v != "400.00" {
		t.Errorf("住户!F3 (paid by 3-1-102) = %q; want 400.00", v)
	}
	if v, _ := x.GetCellValue("住户", "D2"); v != "王家" {
		t.Errorf("住户!D2 = %q; want 王家", v)
	}

	var pollOut bytes.Buffer
	out, err = runCLI(t, dir, "export", "poll", "1", "--out", "-")
	pollOut.WriteString(out)
	if err != nil || !strings.Contains(out, "古铜,1,100.0%") || !strings.Contains(out, "3幢1单元101,老李,古铜") {
		t.Errorf("export poll: %q, %v", pollOut.String(), err)
	}

	// The office's exports: a month's figures of every station, the
	// problems, hours and dogs of one.
	statsFile := filepath.Join(tmp, "stats.xlsx")
	if out, err := runCLI(t, dir, "export", "stats", "--month", "2026-11", "--station", "all", "--format", "xlsx", "--out", statsFile); err != nil ||
		!strings.Contains(out, "of all stations") {
		t.Errorf("export stats: %q, %v", out, err)
	}
	if x, err := excelize.OpenFile(statsFile); err != nil {
		t.Error(err)
	} else {
		if v, _ := x.GetCellValue("统计", "A2"); v != "清川佳园互助站" {
			t.Errorf("统计!A2 = %q", v)
		}
		_ = x.Close()
	}
	for _, kind := range []string{"issues", "shifts", "dogs"} {
		if out, err := runCLI(t, dir, "export", kind, "--out", "-"); err != nil || !strings.HasPrefix(out, "\xEF\xBB\xBF") {
			t.Errorf("export %s: %q, %v", kind, out, err)
		}
	}

	for _, args := range [][]string{
		{"export", "fund"}, {"export", "fund", "x"}, {"export", "fund", "1", "--format", "pdf"},
		{"export", "meeting", "1"}, {"import", "roster"}, {"export", "stats", "--month", "11月"},
		{"export", "issues", "--station", "all"}, {"export", "stats", "3"},
	} {
		if _, err := runCLI(t, dir, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	if _, err := runCLI(t, dir, "export", "fund", "9", "--out", "-"); err == nil || !strings.Contains(err.Error(), "no campaign 9") {
		t.Errorf("export of campaign 9: %v", err)
	}

	// A station that speaks English gets its exports in English; every
	// station's figures together stay in the default, Chinese.
	setStationLocale(t, dir, 1, "en")
	out, err = runCLI(t, dir, "export", "fund", "1", "--out", "-")
	for _, want := range []string{"Summary\r\n", "Balance (yuan),200.00", "3,1,101,王家,300.00,300.00,0.00,paid in full",
		"2026-11-25 09:00,老李,payment,3-1-102,400.00,,"} {
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("export fund of an English station lacks %q: %q, %v", want, out, err)
		}
	}
	if out, err := runCLI(t, dir, "export", "stats", "--station", "all", "--out", "-"); err != nil || !strings.Contains(out, "统计") {
		t.Errorf("export stats of all stations: %q, %v", out, err)
	}
}

// setStationLocale sets station st's language in the embedded store in dir.
func setStationLocale(t *testing.T, dir string, st int64, locale string) {
	t.Helper()
	s, done := openEmbedded(t, dir)
	defer done()
	if err := s.SetStationLocale(context.Background(), st, locale); err != nil {
		t.Fatal(err)
	}
}

// openEmbedded starts the embedded store in dir and returns a Store on it,
// and the function that closes both.
func openEmbedded(t *testing.T, dir string) (*store.Store, func()) {
	t.Helper()
	e, err := store.StartEmbedded(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := store.NewEmbeddedClient(e.SocketPath())
	return store.New(c), func() { _ = c.Close(); _ = e.Close() }
}
