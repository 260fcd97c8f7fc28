package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/handlers/export"
)

var (
	t0    = time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai)
	head  = bot.User{Platform: "console", ID: "张站长", Name: "张站长"}
	li    = bot.User{Platform: "console", ID: "老李", Name: "老李"}
	wang  = bot.User{Platform: "console", ID: "王阿姨", Name: "王阿姨"}
	group = bot.Chat{Platform: "console", ID: "g", Kind: bot.Group}
)

// seed makes two stations: the first with problems (one anonymous, one
// confidential), a campaign with money collected, a volunteer's shift
// and a dog due for its shot; the second with one problem.
func seed(t *testing.T, s *store.Store) (first, second int64) {
	t.Helper()
	ctx := context.Background()
	st, err := s.CreateStation(ctx, "清川佳园互助站", group, head, t0)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.CreateStation(ctx, "平安里互助站", bot.Chat{Platform: "console", ID: "g2", Kind: bot.Group}, head, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []store.NewIssue{
		{Reporter: li, ReportChat: group.Key(), Text: "3幢楼道漏水", Category: "leak"},
		{Reporter: wang, Text: "楼上邻居半夜装修", Category: "environment", Anonymous: true},
		{Reporter: head, Text: "602室王某家狗咬人", Category: "dogs", Confidential: true},
	} {
		if _, err := s.ReportIssue(ctx, st.ID, in, t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ReportIssue(ctx, other.ID, store.NewIssue{Reporter: li, Text: "路灯坏了", Category: "other"}, t0); err != nil {
		t.Fatal(err)
	}
	f, err := s.CreateFund(ctx, st.ID, store.NewFund{Title: "3幢安全门", Goal: 10200_00, PerHousehold: 300_00, By: head}, t0)
	if err != nil {
		t.Fatal(err)
	}
	room, _ := numerals.ParseRoom("3-1-101")
	if _, err := s.RecordPayment(ctx, st.ID, f.N, room, 300_50, li, t0); err != nil {
		t.Fatal(err)
	}
	team, err := s.CreateTeam(ctx, st.ID, store.Team{Name: "督导队", Lead: li.Key(), LeadName: li.Name, Chat: group.Key()}, t0)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := s.CreateShift(ctx, st.ID, store.Shift{Team: team.ID, Spec: "0 6 * * *", Duration: 90 * time.Minute, Place: "1号垃圾点", Places: 2}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Signup(ctx, st.ID, sh.N, "20261126", li, "", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckIn(ctx, st.ID, sh.N, "20261126", li, time.Date(2026, 11, 26, 5, 55, 0, 0, calendar.Shanghai), 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	shot := time.Date(2025, 12, 1, 0, 0, 0, 0, calendar.Shanghai)
	if _, err := s.RegisterDog(ctx, st.ID, store.Dog{Name: "旺财", Breed: "柴犬", Room: "3-2-301", Owner: wang.Key(), OwnerName: wang.Name, LastShot: shot}, t0); err != nil {
		t.Fatal(err)
	}
	return st.ID, other.ID
}

// TestExports writes every kind as xlsx and csv and reads them back:
// the xlsx's header frozen, headings Chinese, money numbers with two
// decimals, columns sized; the csv starting with a BOM; and nobody who
// reported privately named, nor a confidential problem's text.
func TestExports(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := store.New(b.Client, store.WithKeyPrefix(b.Prefix))
		first, second := seed(t, s)
		month := time.Date(2026, 11, 1, 0, 0, 0, 0, calendar.Shanghai)
		now := t0.Add(time.Hour)

		f := readXLSX(t, ctx, s, export.Stats, export.Options{Stations: []int64{first, second}, Month: month, Now: now},
			"stats-2026-11-all.xlsx")
		rows, _ := f.GetRows("统计")
		if rows[0][0] != "互助站" || rows[0][2] != "报事(件)" || len(rows) != 4 || rows[3][0] != "合计" || rows[3][2] != "4" {
			t.Errorf("stats rows: %q", rows)
		}
		if rows[1][9] != "300.50" {
			t.Errorf("collected written %q, want 300.50", rows[1][9])
		}
		if typ, _ := f.GetCellType("统计", "J2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
			t.Errorf("collected stored as type %v, want a number", typ)
		}
		id, _ := f.GetCellStyle("统计", "J2")
		if st, err := f.GetStyle(id); err != nil || st.NumFmt != 2 {
			t.Errorf("collected has style %+v (%v), want number format 2 (0.00)", st, err)
		}
		if rows[1][10] != "1.5" {
			t.Errorf("volunteer hours %q, want 1.5", rows[1][10])
		}
		checkSheet(t, f, "统计")
		cats, _ := f.GetRows("分类")
		if len(cats) != 5 || cats[0][3] != "合计(件)" {
			t.Errorf("categories: %q", cats)
		}

		f = readXLSX(t, ctx, s, export.Issues, export.Options{Stations: []int64{first}, Now: now}, "issues-station1.xlsx")
		issues, _ := f.GetRows("报事")
		all := flatten(issues)
		if len(issues) != 4 || !strings.Contains(all, "老李") || !strings.Contains(all, "3幢楼道漏水") {
			t.Errorf("issues: %q", issues)
		}
		for _, private := range []string{"王阿姨", "602", "狗咬人"} {
			if strings.Contains(all, private) {
				t.Errorf("the issues export shows %q, which was reported privately or confidentially:\n%s", private, all)
			}
		}
		if !strings.Contains(all, "匿名") || !strings.Contains(all, "漏水") || !strings.Contains(all, "待受理") {
			t.Errorf("issues export lacks the anonymous mark, category or status:\n%s", all)
		}
		checkSheet(t, f, "报事")

		f = readXLSX(t, ctx, s, export.Shifts, export.Options{Stations: []int64{first}, Month: month, Now: now},
			"shifts-2026-11-station1.xlsx")
		people, _ := f.GetRows("志愿者")
		if len(people) != 3 || people[1][0] != "老李" || people[1][2] != "1.5" || people[1][3] != "1" {
			t.Errorf("hours per volunteer: %q", people)
		}

		f = readXLSX(t, ctx, s, export.Dogs, export.Options{Stations: []int64{first}, Now: now}, "dogs-station1.xlsx")
		dogs, _ := f.GetRows("犬只接种")
		if len(dogs) != 2 || dogs[1][1] != "旺财" || dogs[1][6] != "2026-12-01" || dogs[1][7] != "6天后到期" {
			t.Errorf("dogs due: %q", dogs)
		}

		var buf bytes.Buffer
		d, err := export.Write(ctx, s, &buf, export.Fund, export.Options{Stations: []int64{first}, N: 1, Format: export.CSV})
		if err != nil {
			t.Fatal(err)
		}
		if d.Filename != "fund-1.csv" || d.ContentType != "text/csv; charset=utf-8" {
			t.Errorf("download %+v", d)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte("\xEF\xBB\xBF")) {
			t.Error("CSV does not start with a UTF-8 BOM")
		}
		records, err := readCSV(buf.Bytes())
		if err != nil || !strings.Contains(flatten(records), "300.50") {
			t.Errorf("fund csv: %q, %v", records, err)
		}

		rec := httptest.NewRecorder()
		if _, err := export.Write(ctx, s, rec, export.Dogs, export.Options{Stations: []int64{first}, Format: export.XLSX}); err != nil {
			t.Fatal(err)
		}
		if h := rec.Header(); !strings.Contains(h.Get("Content-Type"), "spreadsheetml") ||
			h.Get("Content-Disposition") != `attachment; filename=dogs-station1.xlsx` || rec.Body.Len() == 0 {
			t.Errorf("download headers %v, %d bytes", h, rec.Body.Len())
		}

		buf.Reset()
		if _, err := export.Write(ctx, s, &buf, export.Stats, export.Options{Stations: []int64{first}, Month: month}); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"老李", "王阿姨", "张站长"} {
			if strings.Contains(buf.String(), name) {
				t.Errorf("the stats export names %s", name)
			}
		}

		for _, bad := range []struct {
			kind export.Kind
			o    export.Options
		}{
			{export.Fund, export.Options{Stations: []int64{first}, N: 9}},
			{export.Issues, export.Options{Stations: []int64{first, second}}},
			{export.Stats, export.Options{Stations: []int64{99}}},
			{export.Stats, export.Options{}},
			{"nonsense", export.Options{Stations: []int64{first}}},
			{export.Stats, export.Options{Stations: []int64{first}, Format: "pdf"}},
		} {
			buf.Reset()
			if _, err := export.Write(ctx, s, &buf, bad.kind, bad.o); !errors.Is(err, export.ErrBadRequest) || buf.Len() > 0 {
				t.Errorf("%s %+v: %v, %d bytes written", bad.kind, bad.o, err, buf.Len())
			}
		}
	})
}

// readXLSX writes an export as xlsx and opens it.
func readXLSX(t *testing.T, ctx context.Context, s *store.Store, kind export.Kind, o export.Options, name string) *excelize.File {
	t.Helper()
	o.Format = export.XLSX
	var buf bytes.Buffer
	d, err := export.Write(ctx, s, &buf, kind, o)
	if err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
	if d.Filename != name || !strings.Contains(d.ContentType, "spreadsheetml") {
		t.Errorf("%s download %+v, want %s", kind, d, name)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// checkSheet checks a sheet's header row is frozen and its columns sized.
func checkSheet(t *testing.T, f *excelize.File, sheet string) {
	t.Helper()
	panes, err := f.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("%s: panes %+v, %v: want the header row frozen", sheet, panes, err)
	}
	w, err := f.GetColWidth(sheet, "A")
	if err != nil || w < 8 {
		t.Errorf("%s: column A width %v, %v", sheet, w, err)
	}
}

func readCSV(b []byte) ([][]string, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))))
	r.FieldsPerRecord = -1
	return r.ReadAll()
}

func flatten(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, "|") + "\n")
	}
	return b.String()
}

// TestParseMonth reads the months the office writes.
func TestParseMonth(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" for an error
	}{
		{"2026-11", "2026-11"}, {" 2026-1 ", "2026-01"}, {"2026/11", "2026-11"}, {"2026年11月", "2026-11"},
		{"2026-13", ""}, {"2026-0", ""}, {"26-11", ""}, {"2026", ""}, {"", ""}, {"2026-11-01", ""},
		{"1999-12", ""}, {"2026-+1", ""}, {"２０２６-11", ""},
	} {
		got, err := export.ParseMonth(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("ParseMonth(%q) = %v, want an error", tc.in, got)
		case tc.want != "" && (err != nil || got.Format("2006-01") != tc.want || got.Location() != calendar.Shanghai):
			t.Errorf("ParseMonth(%q) = %v, %v, want %s", tc.in, got, err, tc.want)
		}
	}
}

// FuzzParseMonth: any text is a month of 2000–2100 starting at midnight
// on the 1st in Shanghai, or an ErrBadRequest.
func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2026-11", "2026年1月", "2026/12", "-1-1", "9999-99", "2026-+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := export.ParseMonth(s)
		if err != nil {
			if !errors.Is(err, export.ErrBadRequest) {
				t.Fatalf("%q: %v is no ErrBadRequest", s, err)
			}
			return
		}
		if m.Year() < 2000 || m.Year() > 2100 || m.Day() != 1 || m.Hour() != 0 || m.Location() != calendar.Shanghai {
			t.Fatalf("%q: %v", s, m)
		}
	})
}

// TestParseKindAndFormat reads the words of the command line and the web.
func TestParseKindAndFormat(t *testing.T) {
	for _, k := range export.Kinds {
		if got, err := export.ParseKind(" " + strings.ToUpper(string(k))); err != nil || got != k {
			t.Errorf("ParseKind(%s) = %q, %v", k, got, err)
		}
	}
	if _, err := export.ParseKind("roster"); err == nil {
		t.Error("roster is no export")
	}
	if f, err := export.ParseFormat("XLSX"); err != nil || f != export.XLSX {
		t.Errorf("ParseFormat(XLSX) = %q, %v", f, err)
	}
	if _, err := export.ParseFormat("pdf"); err == nil {
		t.Error("pdf accepted")
	}
}

// FuzzParseKindAndFormat: any word is a known kind and format, or a bad
// request.
func FuzzParseKindAndFormat(f *testing.F) {
	for _, s := range []string{"stats", " XLSX ", "csv", "roster", "", "ｓｔａｔｓ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := export.ParseKind(s); err != nil {
			if !errors.Is(err, export.ErrBadRequest) {
				t.Fatalf("%q: %v", s, err)
			}
		} else if !slices.Contains(export.Kinds, k) {
			t.Fatalf("%q: kind %q", s, k)
		}
		if f, err := export.ParseFormat(s); err != nil {
			if !errors.Is(err, export.ErrBadRequest) {
				t.Fatalf("%q: %v", s, err)
			}
		} else if f != export.CSV && f != export.XLSX {
			t.Fatalf("%q: format %q", s, f)
		}
	})
}
