package export_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/handlers/export"
)

// TestEnglishExports makes every export of a station whose people wrote
// in Latin letters, in English: no sheet name, heading, label or state may
// hold a Chinese character, nor be a catalogue key left unrendered, and
// the xlsx must be one Excel opens (its sheet names valid). The same
// export in Chinese has Chinese headings, so the test sees the locale at
// work.
func TestEnglishExports(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := store.New(b.Client, store.WithKeyPrefix(b.Prefix))
		latin := seedLatin(t, s)
		other, err := s.CreateStation(ctx, "Peace Lane", bot.Chat{Platform: "console", ID: "peace", Kind: bot.Group},
			bot.User{Platform: "console", ID: "zhou", Name: "Zhou"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReportIssue(ctx, other.ID, store.NewIssue{Reporter: bot.User{Platform: "console", ID: "zhou", Name: "Zhou"},
			Text: "Lamp out", Category: "other"}, t0); err != nil {
			t.Fatal(err)
		}
		month := time.Date(2026, 11, 1, 0, 0, 0, 0, calendar.Shanghai)
		now := t0.Add(time.Hour)
		cases := []struct {
			kind export.Kind
			o    export.Options
		}{
			{export.Fund, export.Options{Stations: []int64{latin}, N: 1}},
			{export.Fund, export.Options{Stations: []int64{latin}, N: 2}},
			{export.Poll, export.Options{Stations: []int64{latin}, N: 1}},
			{export.Poll, export.Options{Stations: []int64{latin}, N: 2}},
			{export.Stats, export.Options{Stations: []int64{latin, other.ID}, Month: month}},
			{export.Issues, export.Options{Stations: []int64{latin}}},
			{export.Shifts, export.Options{Stations: []int64{latin}, Month: month}},
			{export.Dogs, export.Options{Stations: []int64{latin}}},
		}
		for _, c := range cases {
			name := fmt.Sprintf("%s %d", c.kind, c.o.N)
			c.o.Now = now
			c.o.Locale = "en"
			tables, err := export.Tables(ctx, s, c.kind, c.o)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, tb := range tables {
				texts := append([]string{tb.Name}, tb.Header...)
				for _, r := range tb.Rows {
					for _, v := range r {
						texts = append(texts, fmt.Sprint(v))
					}
				}
				for _, text := range texts {
					if strings.IndexFunc(text, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0 ||
						keyLike.MatchString(text) {
						t.Errorf("%s: sheet %q has %q in English", name, tb.Name, text)
					}
				}
			}
			c.o.Format = export.XLSX
			var buf bytes.Buffer
			if _, err := export.Write(ctx, s, &buf, c.kind, c.o); err != nil {
				t.Fatalf("%s as xlsx: %v", name, err)
			}
			f, err := excelize.OpenReader(&buf)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			sheets := f.GetSheetList()
			_ = f.Close()
			if len(sheets) != len(tables) || sheets[0] != tables[0].Name {
				t.Errorf("%s: sheets %q, want those of %d tables named as %q", name, sheets, len(tables), tables[0].Name)
			}
			c.o.Locale = ""
			zh, err := export.Tables(ctx, s, c.kind, c.o)
			if err != nil {
				t.Fatal(err)
			}
			if zh[0].Name == tables[0].Name || zh[0].Header[0] == tables[0].Header[0] {
				t.Errorf("%s: the Chinese export is named %q with %q, as the English one", name, zh[0].Name, zh[0].Header[0])
			}
		}
	})
}

// keyLike matches a catalogue key rendered as itself (export_total).
var keyLike = regexp.MustCompile(`^[a-z]+(_[a-z]+)+$`)

// TestExportLocale: an unknown or empty locale is the default's, zh-CN.
func TestExportLocale(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := store.New(b.Client, store.WithKeyPrefix(b.Prefix))
		st := seedLatin(t, s)
		want := i18n.T(bot.DefaultLocale, "export_dogs_sheet")
		for _, l := range []string{"", bot.DefaultLocale, "fr", "EN"} {
			tables, err := export.Tables(ctx, s, export.Dogs, export.Options{Stations: []int64{st}, Locale: l})
			if err != nil || tables[0].Name != want {
				t.Errorf("locale %q: %v, %v; want the sheet %q", l, tables, err, want)
			}
		}
	})
}

// TestExportKeys: every catalogue key the package's code names exists in
// every locale, and every export_ key of the catalogue is used, so none is
// left behind when a heading goes.
func TestExportKeys(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range quotedKey.FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = true
		}
	}
	if len(used) < 50 {
		t.Fatalf("found only %d keys in the code: %v", len(used), used)
	}
	for k := range used {
		for _, l := range i18n.Locales {
			if !i18n.Has(l, k) {
				t.Errorf("%s: key %q is used but missing", l, k)
			}
		}
	}
	for _, l := range i18n.Locales {
		for _, k := range i18n.Keys(l) {
			if strings.HasPrefix(k, "export_") && !used[k] {
				t.Errorf("%s: key %q is not used", l, k)
			}
		}
	}
	if !used["list_sep"] {
		t.Error(`the exports no longer use "list_sep": update this test`)
	}
}

// quotedKey matches a catalogue key written as a Go string literal.
// (Rooms are written by i18n.Room, with keys of its own.)
var quotedKey = regexp.MustCompile(`"(export_[a-z_]+|list_sep)"`)

// seedLatin makes a station whose records take every branch the exports
// write words for (a campaign for two buildings with a changed pledge, a
// payment without one, an overpayment, spending and a close; a closed
// poll; problems anonymous, confidential, escalated, solved and rated;
// a volunteer's shift; dogs overdue, due today, due later and with no
// shot on record), with everything people type in Latin letters, so an
// English export must hold no Chinese at all.
func seedLatin(t *testing.T, s *store.Store) int64 {
	t.Helper()
	ctx := context.Background()
	head := bot.User{Platform: "console", ID: "zhang", Name: "Zhang"}
	li := bot.User{Platform: "console", ID: "li", Name: "Li"}
	wang := bot.User{Platform: "console", ID: "wang", Name: "Wang"}
	chat := bot.Chat{Platform: "console", ID: "latin", Kind: bot.Group}
	st, err := s.CreateStation(ctx, "Sunny Court", chat, head, t0)
	if err != nil {
		t.Fatal(err)
	}
	room := func(s string) numerals.Room { r, _ := numerals.ParseRoom(s); return r }
	if _, err := s.ImportRoster(ctx, st.ID, []store.RosterEntry{{Room: room("3-1-101"), Name: "Wu"},
		{Room: room("3-1-102"), Name: "Zhao"}, {Room: room("3-1-201")}, {Room: room("4-101"), Name: "Qian"},
		{Room: room("5-1-101"), Name: "Sun"}}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []store.NewIssue{
		{Reporter: li, ReportChat: chat.Key(), Text: "Leak in the stairwell", Category: "leak", Photos: []string{"p1"}},
		{Reporter: wang, Text: "Noise at night", Category: "environment", Anonymous: true},
		{Reporter: head, Text: "A dog bit someone", Category: "dogs", Confidential: true},
		{Reporter: li, Text: "Broken lamp", Category: "lamps"},
	} {
		if _, err := s.ReportIssue(ctx, st.ID, in, t0); err != nil {
			t.Fatal(err)
		}
	}
	for n, step := range map[int64]func(is *store.Issue) (store.IssueEvent, error){
		1: func(is *store.Issue) (store.IssueEvent, error) {
			is.Status, is.AssigneeName, is.EscalatedTo, is.Office = store.IssueEscalated, "Li", store.Community, store.OfficeAccepted
			return store.IssueEvent{Kind: store.EventEscalated, Office: store.Community}, nil
		},
		4: func(is *store.Issue) (store.IssueEvent, error) {
			is.Status, is.Rating = store.IssueResolved, store.RatingSatisfied
			return store.IssueEvent{Kind: store.EventResolved}, nil
		},
	} {
		if _, err := s.ChangeIssue(ctx, st.ID, n, t0, step); err != nil {
			t.Fatal(err)
		}
	}

	f, err := s.CreateFund(ctx, st.ID, store.NewFund{Title: "Security doors", Goal: 10200_00, PerHousehold: 300_00,
		Buildings: []string{"3", "4"}, Deadline: t0.AddDate(0, 1, 0), By: head}, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { _, err := s.Pledge(ctx, st.ID, f.N, room("3-1-101"), 200_00, li, t0); return err },
		func() error { _, err := s.Pledge(ctx, st.ID, f.N, room("3-1-101"), 300_00, li, t0); return err },
		func() error { _, err := s.RecordPayment(ctx, st.ID, f.N, room("3-1-101"), 300_00, li, t0); return err },
		func() error { _, err := s.Pledge(ctx, st.ID, f.N, room("3-1-102"), 300_00, li, t0); return err },
		func() error { _, err := s.RecordPayment(ctx, st.ID, f.N, room("3-1-102"), 400_00, li, t0); return err },
		func() error { _, err := s.RecordPayment(ctx, st.ID, f.N, room("4-101"), 100_00, li, t0); return err },
		func() error { _, err := s.Pledge(ctx, st.ID, f.N, room("3-1-201"), 300_00, li, t0); return err },
		func() error { _, err := s.Spend(ctx, st.ID, f.N, 500_00, "Door deposit", head, t0); return err },
		func() error { _, err := s.CloseFund(ctx, st.ID, f.N, head, t0.Add(time.Hour)); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateFund(ctx, st.ID, store.NewFund{Title: "Benches", Goal: 1000_00, By: head}, t0); err != nil {
		t.Fatal(err)
	}

	p, err := s.CreatePoll(ctx, st.ID, store.NewPoll{Question: "Door colour", Options: []string{"Grey", "Bronze"},
		PerHousehold: true, Deadline: t0.AddDate(0, 0, 7), By: head}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CastVote(ctx, st.ID, p.N, store.Ballot{User: li, Room: "3-1-101", Option: 1}, t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ClosePoll(ctx, st.ID, p.N, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePoll(ctx, st.ID, store.NewPoll{Question: "Bench place", Options: []string{"Gate", "Garden"},
		By: head}, t0); err != nil {
		t.Fatal(err)
	}

	team, err := s.CreateTeam(ctx, st.ID, store.Team{Name: "Patrol", Lead: li.Key(), LeadName: li.Name, Chat: chat.Key()}, t0)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := s.CreateShift(ctx, st.ID, store.Shift{Team: team.ID, Spec: "0 6 * * *", Duration: 90 * time.Minute, Place: "Gate", Places: 2}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Signup(ctx, st.ID, sh.N, "20261126", li, "", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckIn(ctx, st.ID, sh.N, "20261126", li, time.Date(2026, 11, 26, 5, 55, 0, 0, calendar.Shanghai), 10*time.Minute); err != nil {
		t.Fatal(err)
	}

	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, calendar.Shanghai) }
	for _, d := range []store.Dog{
		{Name: "Lucky", Breed: "Shiba", Room: "3-2-301", Owner: wang.Key(), OwnerName: wang.Name, LastShot: day(2025, 11, 20), Sterilised: store.SterilisedYes},
		{Name: "Bean", Breed: "Poodle", Room: "3-101", Owner: li.Key(), OwnerName: li.Name, LastShot: day(2025, 11, 25), Sterilised: store.SterilisedNo},
		{Name: "Coco", Breed: "Corgi", Room: "4-101", Owner: li.Key(), OwnerName: li.Name, LastShot: day(2025, 12, 5)},
		{Name: "Max", Breed: "Mixed", Room: "5-1-101", Owner: wang.Key(), OwnerName: wang.Name},
	} {
		if _, err := s.RegisterDog(ctx, st.ID, d, t0); err != nil {
			t.Fatal(err)
		}
	}
	return st.ID
}
