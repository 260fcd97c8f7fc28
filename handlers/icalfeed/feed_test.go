package icalfeed_test

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/handlers/icalfeed"
)

var (
	t0    = time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai)
	group = bot.Chat{Platform: "console", ID: "g1", Kind: bot.Group, Title: "阳光小区一群"}
	head  = bot.User{Platform: "console", ID: "head", Name: "王站长"}
	alice = bot.User{Platform: "console", ID: "alice", Name: "Alice"}
	bob   = bot.User{Platform: "console", ID: "bob", Name: "Bob"}
	carol = bot.User{Platform: "console", ID: "carol", Name: "Carol"}
	home  = numerals.Room{Building: "3", Unit: "1", Number: "101"}
	other = numerals.Room{Building: "3", Unit: "1", Number: "102"}
)

// must returns v, and stops the test (by a panic the test reports) when
// setting up the scripted state failed.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestFeed builds a household's feed from a scripted station and reads it
// back with a second, independent iCalendar library.
func TestFeed(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := store.New(b.Client, store.WithKeyPrefix(b.Prefix))
		st := must(s.CreateStation(ctx, "阳光小区互助站", group, head, t0)).ID
		for _, m := range []struct {
			u    bot.User
			room numerals.Room
		}{{alice, home}, {bob, home}, {carol, other}} {
			if err := s.BindRoom(ctx, st, m.u, m.room, t0); err != nil {
				t.Fatal(err)
			}
		}
		// Shifts: Bob of the household holds Thursday's; Carol, of another
		// household, Friday's.
		team := must(s.CreateTeam(ctx, st, store.Team{Name: "垃圾分类督导队", Lead: head.Key(), LeadName: head.Name, Chat: group.Key()}, t0))
		sh := must(s.CreateShift(ctx, st, store.Shift{Team: team.ID, Spec: "0 7 * * *", Duration: 90 * time.Minute,
			Place: "1号垃圾点", Places: 2}, t0))
		must(s.Signup(ctx, st, sh.N, "20261126", bob, group.Key(), t0))
		must(s.Signup(ctx, st, sh.N, "20261127", carol, group.Key(), t0))
		// Meetings: Alice comes to the first; only Carol to the second.
		m1 := must(s.CreateMeeting(ctx, st, store.Meeting{At: t0.Add(48 * time.Hour), Place: "活动室", Topic: "加装电梯"}, t0))
		m2 := must(s.CreateMeeting(ctx, st, store.Meeting{At: t0.Add(72 * time.Hour), Place: "活动室", Topic: "停车"}, t0))
		if err := s.RSVP(ctx, st, m1.N, alice, true, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.RSVP(ctx, st, m2.N, carol, true, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.RSVP(ctx, st, m2.N, bob, false, t0); err != nil {
			t.Fatal(err)
		}
		// Dogs: the household's shot falls due in a month; the neighbour's too.
		shot := time.Date(2025, 12, 20, 0, 0, 0, 0, calendar.Shanghai)
		must(s.RegisterDog(ctx, st, store.Dog{Name: "旺财", Breed: "泰迪", Room: home.Key(), Owner: alice.Key(), LastShot: shot}, t0))
		must(s.RegisterDog(ctx, st, store.Dog{Name: "小黑", Breed: "柴犬", Room: other.Key(), Owner: carol.Key(), LastShot: shot}, t0))
		// Campaigns: the station's, and one for building 4 only.
		deadline := time.Date(2026, 12, 10, 0, 0, 0, 0, calendar.Shanghai)
		must(s.CreateFund(ctx, st, store.NewFund{Title: "楼道灯", Goal: 100000, Deadline: deadline, By: head, Chat: group.Key()}, t0))
		must(s.CreateFund(ctx, st, store.NewFund{Title: "4幢门禁", Goal: 100000, Deadline: deadline, Buildings: []string{"4"}, By: head, Chat: group.Key()}, t0))

		raw, err := icalfeed.Feed(ctx, s, st, home, t0)
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{"Carol", "小黑", "停车", "4幢门禁", "shift-1-20261127", "Bob", "Alice"} {
			if bytes.Contains(raw, []byte(leak)) {
				t.Errorf("the feed names %q, which is not the household's:\n%s", leak, raw)
			}
		}
		cal, err := ical.NewDecoder(bytes.NewReader(raw)).Decode()
		if err != nil {
			t.Fatalf("decode: %v\n%s", err, raw)
		}
		type event struct {
			uid, summary string
			start, end   time.Time
			alarms       int
		}
		var got []event
		for _, e := range cal.Events() {
			start, err := e.DateTimeStart(calendar.Shanghai)
			if err != nil {
				t.Fatal(err)
			}
			end, err := e.DateTimeEnd(calendar.Shanghai)
			if err != nil {
				t.Fatal(err)
			}
			alarms := 0
			for _, c := range e.Children {
				if c.Name == ical.CompAlarm {
					alarms++
				}
			}
			got = append(got, event{uid: e.Props.Get(ical.PropUID).Value, summary: e.Props.Get(ical.PropSummary).Value,
				start: start, end: end, alarms: alarms})
		}
		want := []event{
			{fmtisUID(st, "shift-1-20261126"), "志愿值班：垃圾分类督导队（1号垃圾点）",
				time.Date(2026, 11, 26, 7, 0, 0, 0, calendar.Shanghai), time.Date(2026, 11, 26, 8, 30, 0, 0, calendar.Shanghai), 2},
			{fmtUID(st, "meeting", m1.N), "开会：加装电梯", t0.Add(48 * time.Hour), t0.Add(49 * time.Hour), 2},
			{fmtisUID(st, "dog-1-20261220"), "旺财该打狂犬疫苗了",
				time.Date(2026, 12, 20, 0, 0, 0, 0, calendar.Shanghai), time.Date(2026, 12, 21, 0, 0, 0, 0, calendar.Shanghai), 2},
			{fmtUID(st, "fund", 1), "众筹「楼道灯」截止", deadline, deadline.AddDate(0, 0, 1), 1},
		}
		if len(got) != len(want) {
			t.Fatalf("events = %+v\nwant %+v\n%s", got, want, raw)
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.uid != w.uid || g.summary != w.summary || !g.start.Equal(w.start) || !g.end.Equal(w.end) || g.alarms != w.alarms {
				t.Errorf("event %d = %+v; want %+v", i, g, w)
			}
		}
		// Stable: the same state gives the same UIDs.
		again, _ := icalfeed.Feed(ctx, s, st, home, t0.Add(time.Minute))
		for _, w := range want {
			if !bytes.Contains(again, []byte(w.uid)) {
				t.Errorf("UID %s changed", w.uid)
			}
		}
		// Another household's feed has its own shift, meeting and dog only.
		theirs := string(must(icalfeed.Feed(ctx, s, st, other, t0)))
		for _, w := range []string{"小黑", "停车", "shift-1-20261127"} {
			if !strings.Contains(theirs, w) {
				t.Errorf("the other household's feed lacks %q", w)
			}
		}
		if slices.ContainsFunc([]string{"旺财", "加装电梯"}, func(s string) bool { return strings.Contains(theirs, s) }) {
			t.Errorf("the other household's feed names this one's:\n%s", theirs)
		}
	})
}

func fmtUID(st int64, kind string, n int64) string {
	return "huzhu-" + itoa(st) + "-" + kind + "-" + itoa(n) + "@huzhu"
}

func fmtisUID(st int64, rest string) string { return "huzhu-" + itoa(st) + "-" + rest + "@huzhu" }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
