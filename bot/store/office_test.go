package store_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

func TestStationPrefix(t *testing.T) {
	tests := []struct {
		name  string
		taken []string
		want  string
	}{
		{"清川佳园互助站", nil, "清川"},
		{"清川花苑互助站", []string{"清川"}, "清川花"},
		{"清川花苑", []string{"清川", "清川花", "清川花苑"}, "清川2"},
		{"清川", []string{"清川"}, "清川2"},
		{"清川", []string{"清川", "清川2"}, "清川3"},
		{"1号院 互助站", nil, "号院"},
		{"Sunny Garden", []string{"su"}, "Sun"},
		{"123", nil, "站"},
		{"123", []string{"站"}, "站2"},
		{"阳", nil, "阳"},
	}
	for _, tt := range tests {
		got := store.StationPrefix(tt.name, func(p string) bool {
			return slices.ContainsFunc(tt.taken, func(x string) bool { return x == p || x == toLower(p) })
		})
		if got != tt.want {
			t.Errorf("StationPrefix(%q, taken %v) = %q; want %q", tt.name, tt.taken, got, tt.want)
		}
	}
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// TestOfficeLifecycle follows escalations from two stations through one
// office group: prefixes, the office's open and done lists, the office's
// figures, a resolution undone by reopening, and a problem sent back.
func TestOfficeLifecycle(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		if _, err := s.Office(ctx, office.Key()); !errors.Is(err, store.ErrNotOffice) {
			t.Fatalf("Office of an unlinked chat: err = %v; want ErrNotOffice", err)
		}
		st1 := mustStation(t, s, "阳光小区互助站", group1)
		st2 := mustStation(t, s, "阳光花园互助站", group3)
		for _, st := range []int64{st1.ID, st2.ID} {
			if err := s.LinkOffice(ctx, st, office, store.Community); err != nil {
				t.Fatal(err)
			}
		}
		o, err := s.Office(ctx, office.Key())
		if err != nil {
			t.Fatal(err)
		}
		if got := o.Prefixes(); !slices.Equal(got, []string{"阳光", "阳光花"}) || o.OverdueDays != store.DefaultOfficeOverdueDays {
			t.Fatalf("Office = prefixes %v, %d days", got, o.OverdueDays)
		}
		if ost, ok := o.ByPrefix("阳光花"); !ok || ost.ID != st2.ID || !ost.Serves(store.Community) || ost.Serves(store.Subdistrict) {
			t.Errorf("ByPrefix(阳光花) = %+v, %v", ost, ok)
		}
		if err := s.SetOfficeOverdueDays(ctx, office.Key(), 5); err != nil {
			t.Fatal(err)
		}
		if o, _ := s.Office(ctx, office.Key()); o.OverdueDays != 5 {
			t.Errorf("OverdueDays = %d after setting 5", o.OverdueDays)
		}

		a := mustReport(t, s, st1.ID, alice, "路灯坏了")
		c := mustReport(t, s, st1.ID, bob, "油烟")
		d := mustReport(t, s, st2.ID, carol, "下水道堵了")
		step := func(st, n int64, at time.Time, kind store.IssueEventKind, change func(is *store.Issue)) *store.Issue {
			t.Helper()
			ch, err := s.ChangeIssue(ctx, st, n, at, func(is *store.Issue) (store.IssueEvent, error) {
				change(is)
				return store.IssueEvent{By: head.Key(), ByName: head.Name, Kind: kind, Office: is.EscalatedTo}, nil
			})
			if err != nil {
				t.Fatalf("%s of %d/%d: %v", kind, st, n, err)
			}
			return ch.Issue
		}
		escalate := func(is *store.Issue) { is.Status, is.EscalatedTo = store.IssueEscalated, store.Community }
		for _, p := range []struct{ st, n int64 }{{st1.ID, a.N}, {st1.ID, c.N}, {st2.ID, d.N}} {
			is := step(p.st, p.n, t0.Add(time.Hour), store.EventEscalated, escalate)
			if is.Office != store.OfficePending || !is.OfficeAt.Equal(t0.Add(time.Hour)) {
				t.Errorf("escalated: office %q at %v", is.Office, is.OfficeAt)
			}
		}
		escalated := func(st int64, f store.IssueFilter) []int64 {
			t.Helper()
			list, total, err := s.Escalations(ctx, st, []store.OfficeLevel{store.Community}, f, 20)
			if err != nil {
				t.Fatal(err)
			}
			ns := []int64{}
			for _, is := range list {
				ns = append(ns, is.N)
			}
			if int(total) != len(ns) {
				t.Errorf("Escalations(%d, %s): total %d for %v", st, f, total, ns)
			}
			return ns
		}
		if got := escalated(st1.ID, store.FilterOpen); !slices.Equal(got, []int64{c.N, a.N}) {
			t.Errorf("open escalations of station 1 = %v", got)
		}
		if got := escalated(st2.ID, store.FilterOpen); !slices.Equal(got, []int64{d.N}) {
			t.Errorf("open escalations of station 2 = %v", got)
		}

		// The office takes a on and resolves it: done, and solved by the
		// office in the month of the resolution.
		later := t0.Add(48 * time.Hour)
		is := step(st1.ID, a.N, later, store.EventOfficeAccepted, func(is *store.Issue) {
			is.Office, is.OfficeHandlerName = store.OfficeAccepted, "陈主任"
		})
		if !is.OfficeAt.Equal(later) || escalated(st1.ID, store.FilterOpen)[1] != a.N {
			t.Errorf("accepted: office at %v; still open: %v", is.OfficeAt, escalated(st1.ID, store.FilterOpen))
		}
		resolved := t0.AddDate(0, 0, 7) // 2026-12-02: the next month
		is = step(st1.ID, a.N, resolved, store.EventOfficeResolved, func(is *store.Issue) {
			is.Office, is.Status = store.OfficeResolved, store.IssueResolved
		})
		if is.ResolvedBy != store.Community || !is.ResolvedAt.Equal(resolved) {
			t.Errorf("office resolution: by %q at %v", is.ResolvedBy, is.ResolvedAt)
		}
		if got := escalated(st1.ID, store.FilterClosed); !slices.Equal(got, []int64{a.N}) {
			t.Errorf("done escalations = %v", got)
		}
		if got := escalated(st1.ID, store.FilterAll); !slices.Equal(got, []int64{c.N, a.N}) {
			t.Errorf("all escalations = %v", got)
		}
		figures := func(at time.Time) store.OfficeFigures {
			t.Helper()
			f, err := s.OfficeFigures(ctx, st1.ID, []store.OfficeLevel{store.Community}, at)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
		if f := figures(resolved); f != (store.OfficeFigures{Open: 1, Solved: 1}) {
			t.Errorf("OfficeFigures(December) = %+v; want 1 open, 1 solved", f)
		}
		if f := figures(t0); f.Solved != 0 {
			t.Errorf("OfficeFigures(November) = %+v; want none solved", f)
		}
		if m, _ := s.MonthStats(ctx, st1.ID, resolved); m.Solved != 1 {
			t.Errorf("MonthStats(December).Solved = %d; the office's resolution counts for the station", m.Solved)
		}

		// Reopened, it counts as solved nowhere; resolved again by the
		// station, it is the station's.
		step(st1.ID, a.N, resolved.Add(time.Hour), store.EventReopened, func(is *store.Issue) { is.Status = store.IssueOpen })
		if f := figures(resolved); f.Solved != 0 {
			t.Errorf("reopened: OfficeFigures = %+v; want none solved", f)
		}
		is = step(st1.ID, a.N, resolved.Add(2*time.Hour), store.EventResolved, func(is *store.Issue) { is.Status = store.IssueResolved })
		if f := figures(resolved); is.ResolvedBy != "" || f.Solved != 0 {
			t.Errorf("resolved by the station: by %q, OfficeFigures = %+v", is.ResolvedBy, f)
		}

		// Sent back: off the office's open list, open at the station.
		is = step(st2.ID, d.N, later, store.EventOfficeReturned, func(is *store.Issue) {
			is.Office, is.Status = store.OfficeReturned, store.IssueOpen
		})
		if got := escalated(st2.ID, store.FilterOpen); len(got) != 0 {
			t.Errorf("sent back, still open at the office: %v", got)
		}
		if got, _ := listed(t, s, st2.ID, store.FilterOpen, ""); !slices.Equal(got, []int64{d.N}) {
			t.Errorf("sent back, open at the station: %v", got)
		}
		// Handed up again, it waits at the office again.
		is = step(st2.ID, d.N, resolved, store.EventEscalated, escalate)
		if is.Office != store.OfficePending || !slices.Equal(escalated(st2.ID, store.FilterOpen), []int64{d.N}) {
			t.Errorf("escalated again: office %q, open %v", is.Office, escalated(st2.ID, store.FilterOpen))
		}
	})
}

// TestOfficeListsEarlierEscalations: problems handed up before offices kept
// lists are on the office's open list once the office is read.
func TestOfficeListsEarlierEscalations(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "阳光小区互助站", group1)
		is := mustReport(t, s, st.ID, alice, "路灯坏了")
		if _, err := s.ChangeIssue(ctx, st.ID, is.N, t0, func(is *store.Issue) (store.IssueEvent, error) {
			is.Status, is.EscalatedTo = store.IssueEscalated, store.Community
			return store.IssueEvent{By: head.Key(), Kind: store.EventEscalated}, nil
		}); err != nil {
			t.Fatal(err)
		}
		// As an earlier version left it: handed up, on no office list, no
		// office state.
		if err := b.Client.Del(ctx, b.Prefix+store.KeyVersion+"{st:"+strconv.FormatInt(st.ID, 10)+"}:escalations:community:open").Err(); err != nil {
			t.Fatal(err)
		}
		if err := b.Client.HSet(ctx, b.Prefix+store.KeyVersion+"{st:"+strconv.FormatInt(st.ID, 10)+"}:issue:1", "office", "").Err(); err != nil {
			t.Fatal(err)
		}
		if list, _, _ := s.Escalations(ctx, st.ID, []store.OfficeLevel{store.Community}, store.FilterOpen, 20); len(list) != 0 {
			t.Fatalf("the setup left %d on the list", len(list))
		}
		if err := s.LinkOffice(ctx, st.ID, office, store.Community); err != nil {
			t.Fatal(err)
		}
		list, total, err := s.Escalations(ctx, st.ID, []store.OfficeLevel{store.Community}, store.FilterOpen, 20)
		if err != nil || total != 1 || len(list) != 1 || list[0].N != is.N {
			t.Errorf("open escalations after linking = %d, %v; want problem %d", total, err, is.N)
		}
	})
}
