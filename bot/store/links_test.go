package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// TestThreadOfAProblem opens a poll, a meeting, a campaign and a shift
// about one problem and checks the links, the outcomes written into its
// timeline once each, and the minutes served on the shift.
func TestThreadOfAProblem(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st, is := doorProblem(t, s)
		other, err := s.ReportIssue(ctx, st.ID, store.NewIssue{Reporter: bob, Text: "路灯", Category: "other"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		later := t0.Add(time.Hour)
		p, err := s.CreatePoll(ctx, st.ID, store.NewPoll{Question: "款式", Options: []string{"不锈钢", "铝合金"}, By: head, About: is.N}, later)
		if err != nil {
			t.Fatal(err)
		}
		mt, err := s.CreateMeeting(ctx, st.ID, store.Meeting{At: t0.Add(48 * time.Hour), Place: "活动室", Topic: "安全门",
			By: head.Key(), ByName: head.Name, About: is.N}, later)
		if err != nil {
			t.Fatal(err)
		}
		f, err := s.CreateFund(ctx, st.ID, store.NewFund{Title: "安全门", Goal: 90_000, By: head, About: is.N}, later)
		if err != nil {
			t.Fatal(err)
		}
		// A campaign about nothing is linked to no problem.
		if _, err := s.CreateFund(ctx, st.ID, store.NewFund{Title: "别的", Goal: 100, By: head}, later); err != nil {
			t.Fatal(err)
		}
		links, err := s.IssueLinks(ctx, st.ID, is.N)
		if err != nil || fmt.Sprint(links) != "[poll:1 meeting:1 fund:1]" {
			t.Fatalf("IssueLinks = %v, %v", links, err)
		}
		if links, err := s.IssueLinks(ctx, st.ID, other.N); err != nil || len(links) != 0 {
			t.Fatalf("IssueLinks of an unrelated problem = %v, %v", links, err)
		}
		if got, _ := s.Issue(ctx, st.ID, is.N); !got.Updated.Equal(later) {
			t.Errorf("problem last worked on %v; want %v, when something was opened about it", got.Updated, later)
		}
		if _, err := s.CastVote(ctx, st.ID, p.N, store.Ballot{User: alice, Option: 0}, later); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CastVote(ctx, st.ID, p.N, store.Ballot{User: bob, Option: 0}, later); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordPayment(ctx, st.ID, f.N, mustRoom(t, "3-1-101"), 30_000, head, later); err != nil {
			t.Fatal(err)
		}
		end := t0.Add(72 * time.Hour)
		for range 2 { // closing and holding again write nothing more
			if _, _, err := s.ClosePoll(ctx, st.ID, p.N, end); err != nil {
				t.Fatal(err)
			}
			if _, err := s.HoldMeeting(ctx, st.ID, mt.N, end); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CloseFund(ctx, st.ID, f.N, head, end); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Meeting(ctx, st.ID, mt.N); !got.Held || got.About != is.N {
			t.Errorf("meeting = %+v; want held, about #%d", got, is.N)
		}
		events, err := s.IssueTimeline(ctx, st.ID, is.N)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ev := range events {
			got = append(got, fmt.Sprintf("%s %s %s %d", ev.Kind, ev.Ref, ev.Text, ev.Value))
		}
		want := "[reported  单元门坏了 0 linked poll:1  0 linked meeting:1  0 linked fund:1  0 " +
			"outcome poll:1 不锈钢 2 outcome meeting:1  0 outcome fund:1  30000]"
		if fmt.Sprint(got) != want {
			t.Errorf("timeline = %v\nwant %v", got, want)
		}
	})
}

// TestShiftAboutAProblemAddsUpMinutes checks the minutes credited on a
// shift opened about a problem.
func TestShiftAboutAProblemAddsUpMinutes(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st, is := doorProblem(t, s)
		team, err := s.CreateTeam(ctx, st.ID, store.Team{Name: "看工队"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		sh, err := s.CreateShift(ctx, st.ID, store.Shift{Team: team.ID, Spec: "0 9 * * *", Duration: 90 * time.Minute,
			Places: 2, By: head.Key(), ByName: head.Name, About: is.N}, t0)
		if err != nil {
			t.Fatal(err)
		}
		start, _ := sh.Next(t0)
		day := store.DayKey(start)
		if _, err := s.Signup(ctx, st.ID, sh.N, day, alice, "", t0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CheckIn(ctx, st.ID, sh.N, day, alice, start, 10*time.Minute); err != nil {
			t.Fatal(err)
		}
		got, err := s.Shift(ctx, st.ID, sh.N)
		if err != nil || got.About != is.N || got.MinutesServed != 90 {
			t.Fatalf("Shift = %+v, %v; want about #%d with 90 minutes served", got, err, is.N)
		}
		if links, err := s.IssueLinks(ctx, st.ID, is.N); err != nil || fmt.Sprint(links) != "[shift:1]" {
			t.Fatalf("IssueLinks = %v, %v", links, err)
		}
	})
}

// doorProblem makes a station with one problem reported in it.
func doorProblem(t *testing.T, s *store.Store) (*store.Station, *store.Issue) {
	t.Helper()
	st := mustStation(t, s, "清川佳园", group1)
	is, err := s.ReportIssue(context.Background(), st.ID, store.NewIssue{Reporter: alice, Text: "单元门坏了", Category: "other"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return st, is
}
