package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// The contract tests below run against every backend storetest offers, so a
// store method that works on one Redis but not another fails here.

var (
	t0      = time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai)
	group1  = bot.Chat{Platform: "console", ID: "g1", Kind: bot.Group, Title: "阳光小区一群"}
	group2  = bot.Chat{Platform: "console", ID: "g2", Kind: bot.Group, Title: "阳光小区二群"}
	group3  = bot.Chat{Platform: "console", ID: "g3", Kind: bot.Group, Title: "幸福里"}
	office  = bot.Chat{Platform: "console", ID: "office", Kind: bot.Group, Title: "社区办公室"}
	head    = bot.User{Platform: "console", ID: "head", Name: "王站长"}
	alice   = bot.User{Platform: "console", ID: "alice", Name: "Alice"}
	bob     = bot.User{Platform: "console", ID: "bob", Name: "Bob"}
	carol   = bot.User{Platform: "console", ID: "carol", Name: "Carol"}
	neutral = func(is *store.Issue) (store.IssueEvent, error) {
		return store.IssueEvent{By: head.Key(), ByName: head.Name, Kind: store.EventUpdate, Text: "note"}, nil
	}
)

func newStore(b storetest.Backend) *store.Store {
	return store.New(b.Client, store.WithKeyPrefix(b.Prefix))
}

func mustStation(t *testing.T, s *store.Store, name string, chat bot.Chat) *store.Station {
	t.Helper()
	st, err := s.CreateStation(context.Background(), name, chat, head, t0)
	if err != nil {
		t.Fatalf("CreateStation(%s): %v", name, err)
	}
	return st
}

func mustReport(t *testing.T, s *store.Store, st int64, by bot.User, text string) *store.Issue {
	t.Helper()
	is, err := s.ReportIssue(context.Background(), st, store.NewIssue{
		Reporter: by, ReportChat: group1.Key(), Text: text, Category: "other",
	}, t0)
	if err != nil {
		t.Fatalf("ReportIssue(%s): %v", text, err)
	}
	return is
}

// listed returns the numbers ListIssues shows and the total it reports.
func listed(t *testing.T, s *store.Store, st int64, f store.IssueFilter, userKey string) ([]int64, int64) {
	t.Helper()
	list, total, err := s.ListIssues(context.Background(), st, f, userKey, 20)
	if err != nil {
		t.Fatalf("ListIssues(%s): %v", f, err)
	}
	ns := []int64{}
	for _, is := range list {
		ns = append(ns, is.N)
	}
	return ns, total
}

func TestStations(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)

		st := mustStation(t, s, "阳光站", group1)
		if st.ID == 0 || len(st.Code) != 6 || st.Head != head.Key() || st.HeadName != head.Name {
			t.Fatalf("CreateStation = %+v", st)
		}
		got, err := s.Station(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "阳光站" || got.Code != st.Code || !got.Created.Equal(t0) ||
			got.StaffOverdueDays != store.DefaultStaffOverdueDays || got.HeadOverdueDays != store.DefaultHeadOverdueDays {
			t.Errorf("Station = %+v", got)
		}
		byCode, err := s.StationByCode(ctx, strings.ToLower(st.Code))
		if err != nil || byCode.ID != st.ID {
			t.Errorf("StationByCode(lower case) = %v, %v; want station %d", byCode, err, st.ID)
		}
		if _, err := s.StationByCode(ctx, "NOSUCH"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("StationByCode(unknown): err = %v; want ErrNotFound", err)
		}
		if _, err := s.Station(ctx, 999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Station(999): err = %v; want ErrNotFound", err)
		}
		rec, err := s.Chat(ctx, group1.Key())
		if err != nil || rec.Station != st.ID || rec.Title != group1.Title {
			t.Errorf("Chat(group1) = %+v, %v", rec, err)
		}
		me, err := s.Member(ctx, st.ID, head)
		if err != nil || !me.Has(store.RoleHead) || me.Joined.IsZero() {
			t.Errorf("head's membership = %+v, %v", me, err)
		}

		// One chat, one station.
		_, err = s.CreateStation(ctx, "另一个站", group1, alice, t0)
		if !errors.Is(err, store.ErrChatTaken) || !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateStation twice on one chat: err = %v; want ErrChatTaken", err)
		}

		// More groups for the same station.
		if err := s.LinkChat(ctx, st.ID, group2); err != nil {
			t.Fatalf("LinkChat: %v", err)
		}
		if err := s.LinkChat(ctx, st.ID, group2); err != nil {
			t.Errorf("LinkChat again to the same station: %v", err)
		}
		chats, err := s.StationChats(ctx, st.ID)
		if want := []string{group1.Key(), group2.Key()}; err != nil || !slices.Equal(chats, want) {
			t.Errorf("StationChats = %v, %v; want %v", chats, err, want)
		}
		st2 := mustStation(t, s, "幸福站", group3)
		if st2.ID == st.ID || st2.Code == st.Code {
			t.Fatalf("second station %+v repeats the first %+v", st2, st)
		}
		if err := s.LinkChat(ctx, st2.ID, group2); !errors.Is(err, store.ErrChatTaken) {
			t.Errorf("LinkChat of another station's group: err = %v; want ErrChatTaken", err)
		}
		ids, err := s.StationIDs(ctx)
		if want := []int64{st.ID, st2.ID}; err != nil || !slices.Equal(ids, want) {
			t.Errorf("StationIDs = %v, %v; want %v", ids, err, want)
		}

		// Office groups: one may serve many stations, but never is one.
		if err := s.LinkOffice(ctx, st.ID, office, store.Community); err != nil {
			t.Fatalf("LinkOffice: %v", err)
		}
		if err := s.LinkOffice(ctx, st2.ID, office, store.Community); err != nil {
			t.Fatalf("LinkOffice for a second station: %v", err)
		}
		got, _ = s.Station(ctx, st.ID)
		if got.Offices[store.Community] != office.Key() || got.Offices[store.Subdistrict] != "" {
			t.Errorf("Offices = %v", got.Offices)
		}
		rec, _ = s.Chat(ctx, office.Key())
		if rec.Office != store.Community || rec.Station != 0 {
			t.Errorf("Chat(office) = %+v", rec)
		}
		served, err := s.OfficeStations(ctx, office.Key())
		if want := []int64{st.ID, st2.ID}; err != nil || !slices.Equal(served, want) {
			t.Errorf("OfficeStations = %v, %v; want %v", served, err, want)
		}
		if err := s.LinkOffice(ctx, st.ID, group2, store.Subdistrict); !errors.Is(err, store.ErrChatTaken) {
			t.Errorf("LinkOffice of a station group: err = %v; want ErrChatTaken", err)
		}
		if err := s.LinkChat(ctx, st.ID, office); !errors.Is(err, store.ErrChatTaken) {
			t.Errorf("LinkChat of an office group: err = %v; want ErrChatTaken", err)
		}
		if _, err := s.CreateStation(ctx, "办公室站", office, head, t0); !errors.Is(err, store.ErrChatTaken) {
			t.Errorf("CreateStation in an office group: err = %v; want ErrChatTaken", err)
		}
	})
}

func TestMembers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "阳光站", group1)

		room := func(text string) numerals.Room {
			r, err := numerals.ParseRoom(text)
			if err != nil {
				t.Fatalf("ParseRoom(%q): %v", text, err)
			}
			return r
		}
		r301, r302, r401 := room("3-2-301"), room("3-2-302"), room("4-1-401")

		// Before a roster is imported any well-formed room is taken.
		if err := s.BindRoom(ctx, st.ID, alice, r301, t0); err != nil {
			t.Fatalf("BindRoom: %v", err)
		}
		if err := s.BindRoom(ctx, st.ID, bob, r302, t0); err != nil {
			t.Fatalf("BindRoom: %v", err)
		}
		m, err := s.Member(ctx, st.ID, alice)
		if err != nil || m.Room != r301.Key() || m.Name != alice.Name || m.Joined.IsZero() {
			t.Errorf("Member(alice) = %+v, %v", m, err)
		}
		u, err := s.User(ctx, alice.Key())
		if err != nil || u.Station != st.ID {
			t.Errorf("User(alice) = %+v, %v; want station %d", u, err, st.ID)
		}
		// Moving flats leaves the old household.
		if err := s.BindRoom(ctx, st.ID, alice, r302, t0); err != nil {
			t.Fatalf("BindRoom again: %v", err)
		}
		if v, _ := s.HouseholdMembers(ctx, st.ID, r301.Key()); len(v) != 0 {
			t.Errorf("old household still has %v", v)
		}
		if v, _ := s.HouseholdMembers(ctx, st.ID, r302.Key()); !slices.Equal(v, []string{alice.Key(), bob.Key()}) {
			t.Errorf("HouseholdMembers(302) = %v", v)
		}
		hs, err := s.Households(ctx, st.ID)
		if err != nil || len(hs) != 2 || hs[0].Room != r301 || hs[1].Room != r302 {
			t.Errorf("Households = %+v, %v", hs, err)
		}

		// Once the roster is locked only its rooms are taken. No store
		// method locks it yet (the roster import will), so the test sets
		// the flag where Station reads it.
		info := b.Prefix + store.KeyVersion + "{st:" + strconv.FormatInt(st.ID, 10) + "}:info"
		if err := b.Client.HSet(ctx, info, "roster_locked", "1").Err(); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Station(ctx, st.ID); !got.RosterLocked {
			t.Fatalf("RosterLocked not read back from %s", info)
		}
		err = s.BindRoom(ctx, st.ID, carol, r401, t0)
		if !errors.Is(err, store.ErrRoomUnknown) || !errors.Is(err, store.ErrNotFound) {
			t.Errorf("BindRoom outside a locked roster: err = %v; want ErrRoomUnknown", err)
		}
		if m, _ := s.Member(ctx, st.ID, carol); m.Room != "" {
			t.Errorf("refused room was bound: %+v", m)
		}
		if err := s.BindRoom(ctx, st.ID, carol, r301, t0); err != nil {
			t.Errorf("BindRoom inside a locked roster: %v", err)
		}

		// Roles.
		if err := s.SetRole(ctx, st.ID, bob, store.RoleLeader, "3"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetRole(ctx, st.ID, bob, store.RoleLeader, "3"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetRole(ctx, st.ID, bob, store.RoleLeader, "5"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetRole(ctx, st.ID, bob, store.RoleDuty, ""); err != nil {
			t.Fatal(err)
		}
		m, _ = s.Member(ctx, st.ID, bob)
		if !slices.Equal(m.Roles, []store.Role{store.RoleLeader, store.RoleDuty}) ||
			!slices.Equal(m.Buildings, []string{"3", "5"}) || !m.LeadsBuilding("5") || m.LeadsBuilding("4") ||
			m.IsStaff() || m.Room != r302.Key() {
			t.Errorf("bob after SetRole = %+v", m)
		}
		duty, err := s.MembersWithRole(ctx, st.ID, store.RoleDuty)
		if err != nil || len(duty) != 1 || duty[0].UserKey != bob.Key() {
			t.Errorf("MembersWithRole(duty) = %v, %v", duty, err)
		}
		if err := s.RemoveRole(ctx, st.ID, bob, store.RoleLeader); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveRole(ctx, st.ID, bob, store.RoleDeputy); err != nil {
			t.Errorf("RemoveRole of a role not held: %v", err)
		}
		m, _ = s.Member(ctx, st.ID, bob)
		if !slices.Equal(m.Roles, []store.Role{store.RoleDuty}) || len(m.Buildings) != 0 || m.LeadsBuilding("3") {
			t.Errorf("bob after RemoveRole = %+v", m)
		}
		// A role for someone the station has not met makes them a member.
		if err := s.SetRole(ctx, st.ID, bot.User{Platform: "console", ID: "dan", Name: "Dan"}, store.RoleDeputy, ""); err != nil {
			t.Fatal(err)
		}
		members, err := s.Members(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, m := range members {
			keys = append(keys, m.UserKey)
		}
		if want := []string{alice.Key(), bob.Key(), carol.Key(), "console:dan", head.Key()}; !slices.Equal(keys, want) {
			t.Errorf("Members = %v; want %v", keys, want)
		}
	})
}

func TestIssues(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st1 := mustStation(t, s, "阳光站", group1).ID
		st2 := mustStation(t, s, "幸福站", group3).ID

		// Numbering is per station, and stations do not see each other's.
		for i, text := range []string{"楼道漏水", "路灯不亮", "垃圾没收"} {
			if is := mustReport(t, s, st1, alice, text); is.N != int64(i+1) || is.Status != store.IssueOpen {
				t.Fatalf("report %d = %+v", i+1, is)
			}
		}
		if is := mustReport(t, s, st2, bob, "狗叫"); is.N != 1 {
			t.Fatalf("first report of the second station is #%d; want #1", is.N)
		}
		if is, err := s.Issue(ctx, st2, 1); err != nil || is.Text != "狗叫" || is.Station != st2 {
			t.Errorf("Issue(st2, 1) = %+v, %v", is, err)
		}
		if is, err := s.Issue(ctx, st1, 1); err != nil || is.Text != "楼道漏水" || is.Reporter != alice.Key() ||
			is.ReporterName != alice.Name || is.ReportChat != group1.Key() || !is.Created.Equal(t0) {
			t.Errorf("Issue(st1, 1) = %+v, %v", is, err)
		}
		if _, err := s.Issue(ctx, st2, 2); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Issue(st2, 2): err = %v; want ErrNotFound", err)
		}
		if ns, total := listed(t, s, st1, store.FilterOpen, ""); !slices.Equal(ns, []int64{3, 2, 1}) || total != 3 {
			t.Errorf("open list of st1 = %v (%d)", ns, total)
		}
		if ns, total := listed(t, s, st2, store.FilterAll, ""); !slices.Equal(ns, []int64{1}) || total != 1 {
			t.Errorf("all list of st2 = %v (%d)", ns, total)
		}
		if ns, _ := listed(t, s, st1, store.FilterMine, bob.Key()); len(ns) != 0 {
			t.Errorf("bob's list in st1 = %v; he reported in st2 only", ns)
		}

		// Lifecycle steps move problems between the lists and count in the
		// month's figures.
		change := func(n int64, step func(*store.Issue) (store.IssueEvent, error)) *store.Issue {
			t.Helper()
			ch, err := s.ChangeIssue(ctx, st1, n, t0.Add(time.Hour), step)
			if err != nil {
				t.Fatalf("ChangeIssue(%d): %v", n, err)
			}
			return ch.Issue
		}
		is := change(2, func(is *store.Issue) (store.IssueEvent, error) {
			is.Status = store.IssueResolved
			return store.IssueEvent{By: head.Key(), ByName: head.Name, Kind: store.EventResolved, Text: "换了灯泡"}, nil
		})
		if is.Status != store.IssueResolved || !is.Updated.Equal(t0.Add(time.Hour)) {
			t.Errorf("after resolving: %+v", is)
		}
		if ns, total := listed(t, s, st1, store.FilterOpen, ""); !slices.Equal(ns, []int64{3, 1}) || total != 2 {
			t.Errorf("open list after resolving #2 = %v (%d)", ns, total)
		}
		if ns, total := listed(t, s, st1, store.FilterClosed, ""); !slices.Equal(ns, []int64{2}) || total != 1 {
			t.Errorf("closed list after resolving #2 = %v (%d)", ns, total)
		}
		change(2, func(is *store.Issue) (store.IssueEvent, error) {
			is.Status, is.Rating = store.IssueClosed, store.RatingSatisfied
			return store.IssueEvent{By: alice.Key(), Kind: store.EventRated, Text: string(store.RatingSatisfied)}, nil
		})
		for range 2 { // escalating twice counts once
			change(1, func(is *store.Issue) (store.IssueEvent, error) {
				is.Status, is.EscalatedTo = store.IssueEscalated, store.Community
				return store.IssueEvent{By: head.Key(), Kind: store.EventEscalated}, nil
			})
		}
		if ns, _ := listed(t, s, st1, store.FilterOpen, ""); !slices.Equal(ns, []int64{3, 1}) {
			t.Errorf("escalated problems stay open: %v", ns)
		}
		// People counts who took part in the month: Alice reported and
		// rated; the head, who only worked on the problems, is not counted.
		stats, err := s.MonthStats(ctx, st1, t0)
		if want := (store.MonthStats{Filed: 3, Solved: 1, Escalated: 1, Rated: 1, Satisfied: 1, People: 1}); err != nil || stats != want {
			t.Errorf("MonthStats(st1) = %+v, %v; want %+v", stats, err, want)
		}
		if stats, _ := s.MonthStats(ctx, st2, t0); stats != (store.MonthStats{Filed: 1, People: 1}) {
			t.Errorf("MonthStats(st2) = %+v; want only the one filed", stats)
		}
		if stats, _ := s.MonthStats(ctx, st1, t0.AddDate(0, 1, 0)); stats != (store.MonthStats{}) {
			t.Errorf("next month's stats = %+v; want none", stats)
		}

		// Reopening moves it back.
		change(2, func(is *store.Issue) (store.IssueEvent, error) {
			is.Status, is.Rating = store.IssueOpen, ""
			return store.IssueEvent{By: alice.Key(), Kind: store.EventReopened}, nil
		})
		if ns, _ := listed(t, s, st1, store.FilterOpen, ""); !slices.Equal(ns, []int64{3, 2, 1}) {
			t.Errorf("open list after reopening #2 = %v", ns)
		}
		if ns, total := listed(t, s, st1, store.FilterClosed, ""); len(ns) != 0 || total != 0 {
			t.Errorf("closed list after reopening #2 = %v (%d)", ns, total)
		}
		// ... and out of the month's solved and rated problems.
		if stats, _ := s.MonthStats(ctx, st1, t0); stats != (store.MonthStats{Filed: 3, Escalated: 1, People: 1}) {
			t.Errorf("MonthStats(st1) after reopening #2 = %+v; want it neither solved nor rated", stats)
		}
		events, err := s.IssueTimeline(ctx, st1, 2)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []store.IssueEventKind
		for _, ev := range events {
			kinds = append(kinds, ev.Kind)
		}
		if want := []store.IssueEventKind{store.EventReported, store.EventResolved, store.EventRated, store.EventReopened}; !slices.Equal(kinds, want) {
			t.Errorf("timeline of #2 = %v; want %v", kinds, want)
		}
		if !events[1].At.Equal(t0.Add(time.Hour)) || events[1].Text != "换了灯泡" {
			t.Errorf("resolved event = %+v", events[1])
		}

		// A step that refuses leaves the problem as it was.
		refused := errors.New("not yours")
		_, err = s.ChangeIssue(ctx, st1, 3, t0, func(is *store.Issue) (store.IssueEvent, error) {
			is.Status = store.IssueClosed
			return store.IssueEvent{}, refused
		})
		if !errors.Is(err, refused) {
			t.Errorf("refused step: err = %v; want the step's error", err)
		}
		if is, _ := s.Issue(ctx, st1, 3); is.Status != store.IssueOpen {
			t.Errorf("refused step changed the problem: %+v", is)
		}
		if events, _ := s.IssueTimeline(ctx, st1, 3); len(events) != 1 {
			t.Errorf("refused step wrote the timeline: %v", events)
		}
		if _, err := s.ChangeIssue(ctx, st1, 99, t0, neutral); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ChangeIssue of a missing problem: err = %v; want ErrNotFound", err)
		}
	})
}

// TestMonthStatsShanghai checks that figures follow the Shanghai calendar:
// 1 December 01:00 in Shanghai is still 30 November in UTC.
func TestMonthStatsShanghai(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "阳光站", group1).ID
		dec1 := time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC)
		if _, err := s.ReportIssue(ctx, st, store.NewIssue{Reporter: alice, Text: "x", Category: "other"}, dec1); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.MonthStats(ctx, st, time.Date(2026, 12, 15, 0, 0, 0, 0, calendar.Shanghai)); got.Filed != 1 {
			t.Errorf("December figures = %+v; want the report filed", got)
		}
		if got, _ := s.MonthStats(ctx, st, t0); got.Filed != 0 {
			t.Errorf("November figures = %+v; want nothing", got)
		}
	})
}

func TestAddSupporter(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "阳光站", group1).ID
		mustReport(t, s, st, alice, "楼道漏水")

		steps := []struct {
			who   bot.User
			added bool
			count int64
		}{
			{bob, true, 1},
			{bob, false, 1},
			{alice, false, 1}, // the reporter is not their own supporter
			{carol, true, 2},
			{carol, false, 2},
		}
		for i, step := range steps {
			is, added, err := s.AddSupporter(ctx, st, 1, step.who, t0)
			if err != nil || added != step.added || is.Supporters != step.count {
				t.Errorf("step %d: AddSupporter(%s) = %d supporters, added %v, %v; want %d, %v",
					i+1, step.who.Name, is.Supporters, added, err, step.count, step.added)
			}
		}
		if is, _ := s.Issue(ctx, st, 1); is.Supporters != 2 {
			t.Errorf("stored supporters = %d; want 2", is.Supporters)
		}
		keys, err := s.IssueSupporters(ctx, st, 1)
		slices.Sort(keys)
		if want := []string{bob.Key(), carol.Key()}; err != nil || !slices.Equal(keys, want) {
			t.Errorf("IssueSupporters = %v, %v; want %v", keys, err, want)
		}
		if events, _ := s.IssueTimeline(ctx, st, 1); len(events) != 3 {
			t.Errorf("timeline has %d events; want the report and two me-toos", len(events))
		}
		if _, _, err := s.AddSupporter(ctx, st, 7, bob, t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AddSupporter to a missing problem: err = %v; want ErrNotFound", err)
		}
	})
}

func TestAttachPhotoToLastReport(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "阳光站", group1).ID

		if _, err := s.AttachPhotoToLastReport(ctx, st, alice, group1.Key(), "p0", t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("photo with no report: err = %v; want ErrNotFound", err)
		}
		mustReport(t, s, st, alice, "楼道漏水")
		mustReport(t, s, st, bob, "路灯不亮")
		mustReport(t, s, st, alice, "垃圾没收")

		n, err := s.AttachPhotoToLastReport(ctx, st, alice, group1.Key(), "p1", t0)
		if err != nil || n != 3 {
			t.Fatalf("AttachPhotoToLastReport(alice) = %d, %v; want #3, her latest", n, err)
		}
		n, err = s.AttachPhotoToLastReport(ctx, st, bob, group1.Key(), "p2", t0)
		if err != nil || n != 2 {
			t.Fatalf("AttachPhotoToLastReport(bob) = %d, %v; want #2", n, err)
		}
		if _, err := s.AttachPhotoToLastReport(ctx, st, carol, group1.Key(), "p3", t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("photo from someone who reported nothing: err = %v; want ErrNotFound", err)
		}
		if is, _ := s.Issue(ctx, st, 3); !slices.Equal(is.Photos, []string{"p1"}) {
			t.Errorf("#3 photos = %v", is.Photos)
		}
		if is, _ := s.Issue(ctx, st, 1); len(is.Photos) != 0 {
			t.Errorf("#1 photos = %v; want none", is.Photos)
		}
		// Alice's report was made in group1: her photo privately or in
		// another group is not hers to attach there.
		for _, elsewhere := range []string{"", group2.Key()} {
			if _, err := s.AttachPhotoToLastReport(ctx, st, alice, elsewhere, "p4", t0); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("photo in %q after a report in group1: err = %v; want ErrNotFound", elsewhere, err)
			}
		}
		for i := 1; i < store.MaxReportPhotos; i++ { // #3 has p1 already
			if _, err := s.AttachPhotoToLastReport(ctx, st, alice, group1.Key(), "p", t0); err != nil {
				t.Fatalf("photo %d: %v", i+1, err)
			}
		}
		if _, err := s.AttachPhotoToLastReport(ctx, st, alice, group1.Key(), "p", t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("photo beyond MaxReportPhotos: err = %v; want ErrNotFound", err)
		}
		if is, _ := s.Issue(ctx, st, 3); len(is.Photos) != store.MaxReportPhotos {
			t.Errorf("#3 has %d photos; want %d", len(is.Photos), store.MaxReportPhotos)
		}
	})
}

func TestAwaitsPhoto(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "阳光站", group1).ID
		awaits := func(chat bot.Chat, u bot.User) bool {
			t.Helper()
			ok, err := s.AwaitsPhoto(ctx, chat, u)
			if err != nil {
				t.Fatalf("AwaitsPhoto(%s, %s): %v", chat.Key(), u.Key(), err)
			}
			return ok
		}
		if awaits(group1, alice) || awaits(group2, alice) || awaits(alice.PrivateChat(), alice) {
			t.Error("a photo is awaited before any report")
		}
		mustReport(t, s, st, alice, "楼道漏水")
		if !awaits(group1, alice) {
			t.Error("a photo in the report's group is not awaited")
		}
		if awaits(group1, bob) {
			t.Error("a neighbour's photo is awaited")
		}
		if err := s.SetUserStation(ctx, alice.Key(), st); err != nil {
			t.Fatal(err)
		}
		if awaits(alice.PrivateChat(), alice) {
			t.Error("a private photo is awaited after a report in the group")
		}
		if _, err := s.ReportIssue(ctx, st, store.NewIssue{Reporter: alice, Text: "匿名", Category: "other", Anonymous: true}, t0); err != nil {
			t.Fatal(err)
		}
		if !awaits(alice.PrivateChat(), alice) || awaits(group1, alice) {
			t.Error("after a private report only a private photo is awaited")
		}
	})
}

func TestWeChatPhotoKept(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		data := []byte("\xff\xd8\xff\xe0 picture")
		if err := s.SaveWeChatPhoto(ctx, "abc", data); err != nil {
			t.Fatal(err)
		}
		if got, err := s.WeChatPhoto(ctx, "abc"); err != nil || !bytes.Equal(got, data) {
			t.Errorf("WeChatPhoto = %q, %v; want %q", got, err, data)
		}
		if _, err := s.WeChatPhoto(ctx, "nothing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("WeChatPhoto(missing): err = %v; want ErrNotFound", err)
		}
		if err := s.SaveWeChatPhoto(ctx, "big", make([]byte, store.MaxWeChatPhotoBytes+1)); err == nil {
			t.Error("a picture over MaxWeChatPhotoBytes was kept")
		}
	})
}

// TestChangeIssueConcurrent runs lifecycle steps on one problem from many
// goroutines at once: the lease must serialise them so none is lost.
func TestChangeIssueConcurrent(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "阳光站", group1).ID
		mustReport(t, s, st, alice, "楼道漏水")

		const workers = 8
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for i := range workers {
			wg.Go(func() {
				ref := fmt.Sprintf("p%d", i)
				// On a loaded machine a lease can outlast the wait; the
				// person is told to try again, and does.
				errs <- untilNotBusy(func() error {
					_, err := s.ChangeIssue(ctx, st, 1, t0, func(is *store.Issue) (store.IssueEvent, error) {
						is.Photos = append(is.Photos, ref)
						return store.IssueEvent{By: alice.Key(), Kind: store.EventPhoto, Text: ref}, nil
					})
					return err
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("ChangeIssue: %v", err)
			}
		}
		is, err := s.Issue(ctx, st, 1)
		if err != nil {
			t.Fatal(err)
		}
		photos := slices.Clone(is.Photos)
		slices.Sort(photos)
		if want := []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"}; !slices.Equal(photos, want) {
			t.Errorf("photos = %v; want %v", is.Photos, want)
		}
		events, _ := s.IssueTimeline(ctx, st, 1)
		if len(events) != 1+workers {
			t.Errorf("timeline has %d events; want %d", len(events), 1+workers)
		}

		// Concurrent me-toos by different people all count; by one person,
		// once.
		people := make([]bot.User, workers)
		for i := range people {
			people[i] = bot.User{Platform: "console", ID: fmt.Sprintf("n%d", i), Name: fmt.Sprintf("邻居%d", i)}
		}
		var bobAdded, othersAdded atomic.Int32
		for i := range 2 * workers {
			wg.Go(func() {
				who := people[i%workers]
				if i >= workers {
					who = bob
				}
				_, ok, err := s.AddSupporter(ctx, st, 1, who, t0)
				if err != nil {
					t.Errorf("AddSupporter: %v", err)
				}
				switch {
				case ok && who == bob:
					bobAdded.Add(1)
				case ok:
					othersAdded.Add(1)
				}
			})
		}
		wg.Wait()
		if n, m := bobAdded.Load(), othersAdded.Load(); n != 1 || m != workers {
			t.Errorf("me-toos added: bob %d, others %d; want 1 and %d", n, m, workers)
		}
		if is, _ := s.Issue(ctx, st, 1); is.Supporters != workers+1 {
			t.Errorf("supporters = %d; want %d", is.Supporters, workers+1)
		}
	})
}

func TestClaimMessage(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		first, err := s.ClaimMessage(ctx, "console:g1:m1")
		if err != nil {
			t.Fatalf("first claim: %v", err)
		}
		if _, err := s.ClaimMessage(ctx, "console:g1:m1"); !errors.Is(err, bot.ErrInFlight) {
			t.Errorf("claim while served: err = %v; want ErrInFlight", err)
		}
		// It failed: let go, and the redelivery is served.
		if err := s.FinishMessage(ctx, "console:g1:m1", first, false); err != nil {
			t.Fatal(err)
		}
		again, err := s.ClaimMessage(ctx, "console:g1:m1")
		if err != nil {
			t.Fatalf("claim after a failure: %v", err)
		}
		// A stale token cannot let go of the new claim.
		if err := s.FinishMessage(ctx, "console:g1:m1", first, false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimMessage(ctx, "console:g1:m1"); !errors.Is(err, bot.ErrInFlight) {
			t.Errorf("claim after a stale release: err = %v; want ErrInFlight", err)
		}
		if err := s.FinishMessage(ctx, "console:g1:m1", again, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimMessage(ctx, "console:g1:m1"); !errors.Is(err, bot.ErrAlreadyServed) {
			t.Errorf("claim after it was served: err = %v; want ErrAlreadyServed", err)
		}
		if _, err := s.ClaimMessage(ctx, "console:g2:m1"); err != nil {
			t.Errorf("same id in another chat: %v", err)
		}
		// Two stores with different prefixes do not share what they saw.
		other := store.New(b.Client, store.WithKeyPrefix(b.Prefix+"other:"))
		if _, err := other.ClaimMessage(ctx, "console:g1:m1"); err != nil {
			t.Errorf("claim under another prefix: %v", err)
		}
	})
}

// TestOldMarks: a mark kept where it was before the outbox counts for a day
// from the first claim under the outbox (every old mark has expired then),
// and not at all in a store that held no station at that claim.
func TestOldMarks(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		oldMark := func(prefix, msg string) {
			t.Helper()
			if err := b.Client.Set(ctx, prefix+store.KeyVersion+"seen:"+msg, "done", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
		moved := func(prefix string) string {
			return b.Client.Get(ctx, prefix+store.KeyVersion+"seenmoved").Val()
		}

		// A store with stations, upgraded a moment ago.
		s := newStore(b)
		mustStation(t, s, "东区", bot.Chat{Platform: "console", ID: "g1", Kind: bot.Group})
		oldMark(b.Prefix, "console:g1:old")
		for range 2 {
			if _, err := s.ClaimMessage(ctx, "console:g1:old"); !errors.Is(err, bot.ErrAlreadyServed) {
				t.Errorf("claim of a message marked before the outbox: err = %v; want ErrAlreadyServed", err)
			}
		}
		start := moved(b.Prefix)
		if ms, err := strconv.ParseInt(start, 10, 64); err != nil || time.Since(time.UnixMilli(ms)) > time.Minute {
			t.Errorf("window's start = %q; want about now", start)
		}
		// Another instance reads the same start.
		if _, err := newStore(b).ClaimMessage(ctx, "console:g1:old"); !errors.Is(err, bot.ErrAlreadyServed) {
			t.Errorf("second instance: err = %v; want ErrAlreadyServed", err)
		}
		if got := moved(b.Prefix); got != start {
			t.Errorf("second instance moved the start: %q, was %q", got, start)
		}

		// The same store a day and more after the upgrade.
		late := b.Prefix + "late:"
		lateStore := store.New(b.Client, store.WithKeyPrefix(late))
		mustStation(t, lateStore, "西区", bot.Chat{Platform: "console", ID: "g2", Kind: bot.Group})
		dayAgo := time.Now().Add(-25 * time.Hour).UnixMilli()
		if err := b.Client.Set(ctx, late+store.KeyVersion+"seenmoved", dayAgo, 0).Err(); err != nil {
			t.Fatal(err)
		}
		oldMark(late, "console:g2:old")
		if _, err := lateStore.ClaimMessage(ctx, "console:g2:old"); err != nil {
			t.Errorf("claim a day after the upgrade: %v; the old mark has expired by then", err)
		}

		// A store that never held a station reads no old mark.
		fresh := b.Prefix + "fresh:"
		oldMark(fresh, "console:g3:old")
		if _, err := store.New(b.Client, store.WithKeyPrefix(fresh)).ClaimMessage(ctx, "console:g3:old"); err != nil {
			t.Errorf("claim in a new store: %v", err)
		}
		if got := moved(fresh); got != "0" {
			t.Errorf("new store's window start = %q; want 0", got)
		}
	})
}

// TestServedAgainFindsItsRecord: a message served again after it failed
// halfway finds the problem, poll, meeting or notice it made, instead of
// making a second one; another message gets a new number (the retry may
// have skipped one, see numbered).
func TestServedAgainFindsItsRecord(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		s := newStore(b)
		ctx := bot.WithMessageKey(context.Background(), "console:g1:m1")
		now := time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai)
		report := func(ctx context.Context) int64 {
			t.Helper()
			is, err := s.ReportIssue(ctx, 1, store.NewIssue{Reporter: alice, Text: "楼道灯坏了"}, now)
			if err != nil {
				t.Fatal(err)
			}
			return is.N
		}
		if a, again := report(ctx), report(ctx); a != 1 || again != 1 {
			t.Errorf("the same message reported #%d, then #%d; want #1 both times", a, again)
		}
		if other := report(bot.WithMessageKey(context.Background(), "console:g1:m2")); other <= 1 {
			t.Errorf("another message reported #%d; want a new number", other)
		}
		if _, total, err := s.ListIssues(context.Background(), 1, store.FilterAll, "", 10); err != nil || total != 2 {
			t.Errorf("%d problems, %v; want 2", total, err)
		}
		p1, err := s.CreatePoll(ctx, 1, store.NewPoll{Question: "颜色", Options: []string{"灰", "绿"}, By: alice}, now)
		if err != nil {
			t.Fatal(err)
		}
		p2, err := s.CreatePoll(ctx, 1, store.NewPoll{Question: "颜色", Options: []string{"灰", "绿"}, By: alice}, now)
		if err != nil || p1.N != 1 || p2.N != 1 || p2.Question != "颜色" {
			t.Errorf("polls %+v, %+v, %v; want poll #1 found again", p1, p2, err)
		}
	})
}

// TestListIssuesPage reads a list a page at a time: pages of open and
// closed problems together stay newest first, a page past the end is empty,
// and the total counts every problem.
func TestListIssuesPage(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "分页站", group1)
		for i := range 7 {
			mustReport(t, s, st.ID, alice, "问题"+strconv.Itoa(i+1))
		}
		for _, n := range []int64{2, 5, 6} {
			if _, err := s.ChangeIssue(ctx, st.ID, n, t0.Add(time.Hour), func(is *store.Issue) (store.IssueEvent, error) {
				is.Status = store.IssueResolved
				return store.IssueEvent{By: head.Key(), ByName: head.Name, Kind: store.EventResolved, Text: "好了"}, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			f             store.IssueFilter
			offset, limit int
			want          []int64
			total         int64
		}{
			{store.FilterAll, 0, 3, []int64{7, 6, 5}, 7},
			{store.FilterAll, 3, 3, []int64{4, 3, 2}, 7},
			{store.FilterAll, 6, 3, []int64{1}, 7},
			{store.FilterAll, 9, 3, nil, 7},
			{store.FilterOpen, 2, 2, []int64{3, 1}, 4},
			{store.FilterClosed, 1, 5, []int64{5, 2}, 3},
		} {
			list, total, err := s.ListIssuesPage(ctx, st.ID, c.f, "", c.offset, c.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, is := range list {
				got = append(got, is.N)
			}
			if !slices.Equal(got, c.want) || total != c.total {
				t.Errorf("ListIssuesPage(%s, %d, %d) = %v of %d; want %v of %d", c.f, c.offset, c.limit, got, total, c.want, c.total)
			}
		}
	})
}
