package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// thursday is the occurrence day most tests use: 2026-11-26, the day after t0.
const thursday = "20261126"

func mustTeam(t *testing.T, s *store.Store, st int64, name string, lead bot.User) *store.Team {
	t.Helper()
	team, err := s.CreateTeam(context.Background(), st, store.Team{Name: name, Lead: lead.Key(), LeadName: lead.Name,
		Chat: group1.Key()}, t0)
	if err != nil {
		t.Fatalf("CreateTeam(%s): %v", name, err)
	}
	return team
}

func mustShift(t *testing.T, s *store.Store, st, team int64, spec string, dur time.Duration, places int) *store.Shift {
	t.Helper()
	sh, err := s.CreateShift(context.Background(), st, store.Shift{Team: team, Spec: spec, Duration: dur,
		Place: "1号垃圾点", Places: places}, t0)
	if err != nil {
		t.Fatalf("CreateShift(%s): %v", spec, err)
	}
	return sh
}

func person(i int) bot.User {
	return bot.User{Platform: "console", ID: fmt.Sprintf("v%02d", i), Name: fmt.Sprintf("志愿者%d", i)}
}

func names(es []store.ShiftEntry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Name)
	}
	return out
}

func TestTeams(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "鼓东站", group1).ID
		team := mustTeam(t, s, st, "垃圾分类督导队", alice)
		if team.ID != 1 || team.Lead != alice.Key() {
			t.Errorf("team = %+v", team)
		}
		if _, err := s.CreateTeam(ctx, st, store.Team{Name: " 垃圾分类督导队 "}, t0); !errors.Is(err, store.ErrTeamExists) {
			t.Errorf("same name again: %v; want ErrTeamExists", err)
		}
		if _, err := s.CreateTeam(ctx, st, store.Team{Name: "dog patrol"}, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateTeam(ctx, st, store.Team{Name: "Dog Patrol"}, t0); !errors.Is(err, store.ErrConflict) {
			t.Errorf("name differing in case: %v; want a conflict", err)
		}
		teams, err := s.Teams(ctx, st)
		if err != nil || len(teams) != 2 || teams[0].Name != "垃圾分类督导队" || teams[1].Name != "dog patrol" {
			t.Fatalf("Teams = %+v, %v", teams, err)
		}
		// The lead is a member; others join once.
		if added, err := s.JoinTeam(ctx, st, 1, bob, t0.Add(time.Minute)); err != nil || !added {
			t.Errorf("JoinTeam(bob) = %v, %v", added, err)
		}
		if added, _ := s.JoinTeam(ctx, st, 1, bob, t0.Add(2*time.Minute)); added {
			t.Error("bob joined twice")
		}
		if _, err := s.JoinTeam(ctx, st, 1, carol, t0.Add(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
		members, _ := s.TeamMembers(ctx, st, 1)
		if got := []string{members[0].Name, members[1].Name, members[2].Name}; !slices.Equal(got, []string{"Alice", "Bob", "Carol"}) {
			t.Errorf("members = %v; want by joining order", got)
		}
		if left, _ := s.LeaveTeam(ctx, st, 1, carol.Key()); !left {
			t.Error("carol could not leave")
		}
		if in, _ := s.InTeam(ctx, st, 1, carol.Key()); in {
			t.Error("carol still in the team")
		}
		if err := s.SetTeamLead(ctx, st, 2, carol, t0); err != nil {
			t.Fatal(err)
		}
		if tm, _ := s.Team(ctx, st, 2); tm.Lead != carol.Key() || tm.LeadName != "Carol" {
			t.Errorf("lead = %+v", tm)
		}
		if in, _ := s.InTeam(ctx, st, 2, carol.Key()); !in {
			t.Error("a new lead is not a member")
		}
		if err := s.SetTeamLead(ctx, st, 9, carol, t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("lead of a missing team: %v", err)
		}
	})
}

func TestShiftOccurrences(t *testing.T) {
	sh := &store.Shift{Spec: "0 19 * * 2,4", Duration: 90 * time.Minute}
	thu := time.Date(2026, 11, 26, 15, 0, 0, 0, calendar.Shanghai)
	if start, ok := sh.StartOn(thu); !ok || !start.Equal(time.Date(2026, 11, 26, 19, 0, 0, 0, calendar.Shanghai)) {
		t.Errorf("StartOn(Thu) = %v, %v", start, ok)
	}
	if _, ok := sh.StartOn(thu.AddDate(0, 0, 1)); ok {
		t.Error("a Tue/Thu slot falls on Friday")
	}
	midnight := &store.Shift{Spec: "0 0 * * *", Duration: time.Hour}
	if start, ok := midnight.StartOn(thu); !ok || store.DayKey(start) != thursday || start.Hour() != 0 {
		t.Errorf("a slot at 00:00: StartOn = %v, %v", start, ok)
	}
	if next, ok := sh.Next(thu); !ok || store.DayKey(next) != thursday {
		t.Errorf("Next = %v", next)
	}
	if d, err := store.ParseDayKey(thursday); err != nil || store.DayKey(d) != thursday || d.Hour() != 0 {
		t.Errorf("ParseDayKey = %v, %v", d, err)
	}
}

func TestSignupWaitlistCancel(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "鼓东站", group1).ID
		team := mustTeam(t, s, st, "督导队", alice)
		sh := mustShift(t, s, st, team.ID, "0 18 * * *", 2*time.Hour, 2)
		now := t0
		for i := 1; i <= 4; i++ {
			res, err := s.Signup(ctx, st, sh.N, thursday, person(i), group1.Key(), now)
			if err != nil {
				t.Fatalf("Signup(%d): %v", i, err)
			}
			wantWaiting, wantPos := i > 2, max(0, i-2)
			if res.Waiting != wantWaiting || res.Position != wantPos {
				t.Errorf("Signup(%d) = waiting %v at %d; want %v at %d", i, res.Waiting, res.Position, wantWaiting, wantPos)
			}
		}
		if _, err := s.Signup(ctx, st, sh.N, thursday, person(3), "", now); !errors.Is(err, store.ErrAlreadySignedUp) {
			t.Errorf("waiting volunteer again: %v", err)
		}
		if _, err := s.Signup(ctx, st, sh.N, thursday, person(1), "", now); !errors.Is(err, store.ErrAlreadySignedUp) {
			t.Errorf("volunteer again: %v", err)
		}
		o, _ := s.Occurrence(ctx, st, sh.N, thursday)
		if got := names(o.On); !slices.Equal(got, []string{"志愿者1", "志愿者2"}) {
			t.Errorf("on = %v", got)
		}
		if got := names(o.Waiting); !slices.Equal(got, []string{"志愿者3", "志愿者4"}) {
			t.Errorf("waiting = %v (sign-ups within one millisecond keep their order)", got)
		}

		// A waiting volunteer leaving promotes nobody.
		res, err := s.CancelSignup(ctx, st, sh.N, thursday, person(3).Key(), now)
		if err != nil || !res.WasWaiting || res.Promoted != nil || res.Taken != 2 {
			t.Errorf("cancel a waitlist place = %+v, %v", res, err)
		}
		// A place freed goes to the first waiting, who keeps the chat they
		// signed up in.
		res, err = s.CancelSignup(ctx, st, sh.N, thursday, person(1).Key(), now)
		if err != nil || res.WasWaiting || res.Promoted == nil || res.Promoted.UserKey != person(4).Key() || res.Taken != 2 {
			t.Fatalf("cancel a place = %+v, %v", res, err)
		}
		if res.Promoted.Chat != group1.Key() {
			t.Errorf("promoted chat = %q", res.Promoted.Chat)
		}
		o, _ = s.Occurrence(ctx, st, sh.N, thursday)
		if got := names(o.On); !slices.Equal(got, []string{"志愿者2", "志愿者4"}) || len(o.Waiting) != 0 {
			t.Errorf("after cancelling: on %v, waiting %v", got, names(o.Waiting))
		}
		if _, err := s.CancelSignup(ctx, st, sh.N, thursday, person(1).Key(), now); !errors.Is(err, store.ErrNotSignedUp) {
			t.Errorf("cancel twice: %v", err)
		}
		// The volunteer's index follows: person 1 has nothing left.
		if refs, _ := s.VolunteerShifts(ctx, st, person(1).Key(), t0, t0.AddDate(0, 0, 7)); len(refs) != 0 {
			t.Errorf("person 1 still holds %v", refs)
		}
		if refs, _ := s.VolunteerShifts(ctx, st, person(4).Key(), t0, t0.AddDate(0, 0, 7)); len(refs) != 1 ||
			refs[0].Day != thursday || refs[0].Start.Hour() != 18 {
			t.Errorf("person 4 holds %v", refs)
		}

		// Started: no sign-up, no cancellation.
		started := time.Date(2026, 11, 26, 18, 0, 0, 0, calendar.Shanghai)
		if _, err := s.Signup(ctx, st, sh.N, thursday, person(5), "", started); !errors.Is(err, store.ErrShiftStarted) {
			t.Errorf("sign up at the start: %v", err)
		}
		if _, err := s.CancelSignup(ctx, st, sh.N, thursday, person(2).Key(), started); !errors.Is(err, store.ErrShiftStarted) {
			t.Errorf("cancel at the start: %v", err)
		}
		// A weekly slot on a day it does not fall on; a missing slot.
		weekly := mustShift(t, s, st, team.ID, "0 19 * * 2", time.Hour, 1)
		if _, err := s.Signup(ctx, st, weekly.N, thursday, person(5), "", now); !errors.Is(err, store.ErrNoOccurrence) {
			t.Errorf("sign up on a day without the slot: %v", err)
		}
		if _, err := s.Signup(ctx, st, 99, thursday, person(5), "", now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("sign up for a missing slot: %v", err)
		}
	})
}

func TestSignupOverlap(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "鼓东站", group1).ID
		team := mustTeam(t, s, st, "督导队", alice)
		evening := mustShift(t, s, st, team.ID, "0 18 * * *", 2*time.Hour, 2) // 18:00-20:00
		overlap := mustShift(t, s, st, team.ID, "30 19 * * *", time.Hour, 2)  // 19:30-20:30
		after := mustShift(t, s, st, team.ID, "0 20 * * *", time.Hour, 2)     // 20:00-21:00
		night := mustShift(t, s, st, team.ID, "0 22 * * *", 8*time.Hour, 2)   // 22:00-06:00
		morning := mustShift(t, s, st, team.ID, "0 5 * * *", 2*time.Hour, 2)  // 05:00-07:00
		if _, err := s.Signup(ctx, st, evening.N, thursday, bob, "", t0); err != nil {
			t.Fatal(err)
		}
		_, err := s.Signup(ctx, st, overlap.N, thursday, bob, "", t0)
		var oe *store.OverlapError
		if !errors.As(err, &oe) || oe.With.N != evening.N || !errors.Is(err, store.ErrConflict) {
			t.Errorf("overlapping sign-up: %v", err)
		}
		if _, err := s.Signup(ctx, st, after.N, thursday, bob, "", t0); err != nil {
			t.Errorf("a shift starting when the other ends: %v", err)
		}
		// A night shift crossing midnight overlaps the next morning's.
		if _, err := s.Signup(ctx, st, night.N, thursday, carol, "", t0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Signup(ctx, st, morning.N, "20261127", carol, "", t0); !errors.As(err, &oe) || oe.With.N != night.N {
			t.Errorf("morning after a night shift: %v", err)
		}
		// A waitlist place counts too: it may become a place.
		full := mustShift(t, s, st, team.ID, "0 9 * * *", time.Hour, 1)
		if _, err := s.Signup(ctx, st, full.N, thursday, alice, "", t0); err != nil {
			t.Fatal(err)
		}
		if res, err := s.Signup(ctx, st, full.N, thursday, carol, "", t0); err != nil || !res.Waiting {
			t.Fatalf("waitlist: %+v, %v", res, err)
		}
		same := mustShift(t, s, st, team.ID, "30 9 * * *", time.Hour, 1)
		if _, err := s.Signup(ctx, st, same.N, thursday, carol, "", t0); !errors.As(err, &oe) {
			t.Errorf("overlapping a waitlist place: %v", err)
		}
	})
}

func TestCheckInHoursAbsence(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "鼓东站", group1).ID
		team := mustTeam(t, s, st, "督导队", alice)
		sh := mustShift(t, s, st, team.ID, "0 6 * * *", 2*time.Hour, 2)
		for _, u := range []bot.User{alice, bob} {
			if _, err := s.Signup(ctx, st, sh.N, thursday, u, "", t0); err != nil {
				t.Fatal(err)
			}
		}
		if res, err := s.Signup(ctx, st, sh.N, thursday, carol, "", t0); err != nil || !res.Waiting {
			t.Fatalf("carol: %+v, %v", res, err)
		}
		at := func(h, m int) time.Time { return time.Date(2026, 11, 26, h, m, 0, 0, calendar.Shanghai) }
		grace := 10 * time.Minute
		// Early: the whole shift counts; on time.
		c, err := s.CheckIn(ctx, st, sh.N, thursday, alice, at(5, 50), grace)
		if err != nil || c.Late || c.Minutes != 120 {
			t.Errorf("early check-in = %+v, %v", c, err)
		}
		if _, err := s.CheckIn(ctx, st, sh.N, thursday, alice, at(6, 0), grace); !errors.Is(err, store.ErrAlreadyCheckedIn) {
			t.Errorf("second check-in: %v", err)
		}
		if _, err := s.CheckIn(ctx, st, sh.N, thursday, carol, at(6, 0), grace); !errors.Is(err, store.ErrOnWaitlist) {
			t.Errorf("waiting volunteer checks in: %v", err)
		}
		if _, err := s.CheckIn(ctx, st, sh.N, thursday, head, at(6, 0), grace); !errors.Is(err, store.ErrNotSignedUp) {
			t.Errorf("stranger checks in: %v", err)
		}
		if _, err := s.CheckIn(ctx, st, sh.N, thursday, bob, at(8, 0), grace); !errors.Is(err, store.ErrShiftOver) {
			t.Errorf("check-in at the end: %v", err)
		}
		// Late: from the check-in to the end.
		c, err = s.CheckIn(ctx, st, sh.N, thursday, bob, at(6, 25), grace)
		if err != nil || !c.Late || c.Minutes != 95 {
			t.Errorf("late check-in = %+v, %v", c, err)
		}
		hours, err := s.TeamHours(ctx, st, team.ID, at(12, 0))
		if err != nil || len(hours) != 2 {
			t.Fatalf("TeamHours = %+v, %v", hours, err)
		}
		if h := hours[0]; h.Name != "Alice" || h.Minutes != 120 || h.Shifts != 1 || h.Late != 0 {
			t.Errorf("first = %+v", h)
		}
		if h := hours[1]; h.Name != "Bob" || h.Minutes != 95 || h.Late != 1 {
			t.Errorf("second = %+v", h)
		}
		// Another month is empty.
		if h, _ := s.TeamHours(ctx, st, team.ID, at(12, 0).AddDate(0, 1, 0)); len(h) != 0 {
			t.Errorf("next month = %+v", h)
		}

		// Friday: alice holds the place and never comes.
		if _, err := s.Signup(ctx, st, sh.N, "20261127", alice, "", t0); err != nil {
			t.Fatal(err)
		}
		absent, err := s.CloseOccurrence(ctx, st, sh.N, "20261127")
		if err != nil || len(absent) != 1 || absent[0].UserKey != alice.Key() {
			t.Errorf("CloseOccurrence = %+v, %v", absent, err)
		}
		if again, err := s.CloseOccurrence(ctx, st, sh.N, "20261127"); err != nil || len(again) != 0 {
			t.Errorf("closing twice = %+v, %v", again, err)
		}
		if absent, _ := s.CloseOccurrence(ctx, st, sh.N, thursday); len(absent) != 0 {
			t.Errorf("everyone came on Thursday, yet absent: %+v", absent)
		}
		o, _ := s.Occurrence(ctx, st, sh.N, "20261127")
		if !o.Closed || !slices.Equal(o.Absent, []string{alice.Key()}) {
			t.Errorf("occurrence = %+v", o)
		}
		hours, _ = s.TeamHours(ctx, st, team.ID, at(12, 0))
		if hours[0].Name != "Alice" || hours[0].Absent != 1 {
			t.Errorf("alice's month = %+v", hours[0])
		}
	})
}

func TestMoveAndRemoveShift(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "鼓东站", group1).ID
		team := mustTeam(t, s, st, "督导队", alice)
		sh := mustShift(t, s, st, team.ID, "0 6 * * *", 2*time.Hour, 1)
		for _, day := range []string{"20261126", "20261127", "20261128"} { // Thu, Fri, Sat
			if _, err := s.Signup(ctx, st, sh.N, day, bob, "", t0); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Signup(ctx, st, sh.N, "20261126", carol, "", t0); err != nil {
			t.Fatal(err)
		}
		// Weekdays only, half an hour later: Thursday and Friday move,
		// Saturday is dropped.
		affected, err := s.MoveShift(ctx, st, sh.N, "30 6 * * 1-5", 2*time.Hour, t0)
		if err != nil || len(affected) != 3 {
			t.Fatalf("MoveShift = %+v, %v", affected, err)
		}
		for _, a := range affected {
			dropped := a.Day == "20261128"
			if a.NewStart.IsZero() != dropped || !dropped && a.NewStart.Minute() != 30 {
				t.Errorf("%s: new start %v", a.Day, a.NewStart)
			}
		}
		if got := names(affected[0].Waiting); !slices.Equal(got, []string{"Carol"}) {
			t.Errorf("Thursday's waitlist = %v", got)
		}
		refs, _ := s.VolunteerShifts(ctx, st, bob.Key(), t0, t0.AddDate(0, 0, 7))
		if len(refs) != 2 || refs[0].Start.Minute() != 30 || refs[1].Day != "20261127" {
			t.Errorf("bob's shifts after the move = %+v", refs)
		}
		if o, _ := s.Occurrence(ctx, st, sh.N, "20261128"); len(o.On) != 0 {
			t.Errorf("Saturday still has %v", names(o.On))
		}
		moved, _ := s.Shift(ctx, st, sh.N)
		if moved.Spec != "30 6 * * 1-5" {
			t.Errorf("spec = %q", moved.Spec)
		}

		affected, err = s.RemoveShift(ctx, st, sh.N, t0)
		if err != nil || len(affected) != 2 {
			t.Fatalf("RemoveShift = %+v, %v", affected, err)
		}
		if refs, _ := s.VolunteerShifts(ctx, st, bob.Key(), t0, t0.AddDate(0, 0, 7)); len(refs) != 0 {
			t.Errorf("bob still holds %+v", refs)
		}
		if list, _ := s.Shifts(ctx, st); len(list) != 0 {
			t.Errorf("active shifts = %+v", list)
		}
		if _, err := s.RemoveShift(ctx, st, sh.N, t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removing twice: %v", err)
		}
		if _, err := s.Signup(ctx, st, sh.N, "20261130", bob, "", t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("sign up for a removed slot: %v", err)
		}
	})
}

// TestSignupCapacityConcurrent signs up many volunteers at once, from
// several goroutines on two Store instances with their own connections to
// one backend, as two huzhu processes would: never more volunteers than
// places, and everyone else on the waitlist in distinct positions.
func TestSignupCapacityConcurrent(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c, ok := b.Client.(*redis.Client)
		if !ok {
			t.Fatalf("backend client is %T", b.Client)
		}
		other := redis.NewClient(c.Options())
		t.Cleanup(func() { _ = other.Close() })
		s1, s2 := newStore(b), store.New(other, store.WithKeyPrefix(b.Prefix))
		st := mustStation(t, s1, "鼓东站", group1).ID
		team := mustTeam(t, s1, st, "督导队", alice)
		const places, volunteers = 3, 12
		sh := mustShift(t, s1, st, team.ID, "0 18 * * *", 2*time.Hour, places)

		type result struct {
			res *store.SignupResult
			err error
		}
		results := make(chan result, volunteers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range volunteers {
			s := s1
			if i%2 == 1 {
				s = s2
			}
			wg.Go(func() {
				<-start
				res, err := s.Signup(ctx, st, sh.N, thursday, person(i), "", t0)
				for errors.Is(err, store.ErrBusy) { // told "try again" by the bot; try again
					res, err = s.Signup(ctx, st, sh.N, thursday, person(i), "", t0)
				}
				results <- result{res, err}
			})
		}
		close(start)
		wg.Wait()
		close(results)
		on, positions := 0, []int{}
		for r := range results {
			if r.err != nil {
				t.Fatalf("Signup: %v", r.err)
			}
			if r.res.Waiting {
				positions = append(positions, r.res.Position)
			} else {
				on++
			}
		}
		slices.Sort(positions)
		if on != places || len(positions) != volunteers-places || positions[0] != 1 || positions[len(positions)-1] != volunteers-places {
			t.Errorf("%d got places, waitlist positions %v; want %d places and positions 1..%d", on, positions, places, volunteers-places)
		}
		o, err := s2.Occurrence(ctx, st, sh.N, thursday)
		if err != nil || len(o.On) != places || len(o.Waiting) != volunteers-places {
			t.Fatalf("occurrence: %d on, %d waiting, %v", len(o.On), len(o.Waiting), err)
		}

		// Everyone on duty cancels at once: each freed place goes to a
		// different waiting volunteer, and the places stay full.
		promoted := make(chan string, places)
		for i, e := range o.On {
			s := []*store.Store{s1, s2}[i%2]
			wg.Go(func() {
				res, err := s.CancelSignup(ctx, st, sh.N, thursday, e.UserKey, t0)
				for errors.Is(err, store.ErrBusy) {
					res, err = s.CancelSignup(ctx, st, sh.N, thursday, e.UserKey, t0)
				}
				if err != nil || res.Promoted == nil {
					t.Errorf("CancelSignup(%s) = %+v, %v", e.Name, res, err)
					return
				}
				promoted <- res.Promoted.UserKey
			})
		}
		wg.Wait()
		close(promoted)
		seen := map[string]bool{}
		for k := range promoted {
			if seen[k] {
				t.Errorf("%s promoted twice", k)
			}
			seen[k] = true
		}
		after, _ := s1.Occurrence(ctx, st, sh.N, thursday)
		if len(after.On) != places || len(after.Waiting) != volunteers-2*places {
			t.Errorf("after cancelling: %d on, %d waiting", len(after.On), len(after.Waiting))
		}
		for _, e := range after.On {
			if !seen[e.UserKey] {
				t.Errorf("%s holds a place without being promoted", e.Name)
			}
		}

		// One volunteer signing up for two overlapping slots at once from
		// both instances gets one of them.
		a := mustShift(t, s1, st, team.ID, "0 9 * * *", 2*time.Hour, 5)
		b2 := mustShift(t, s1, st, team.ID, "0 10 * * *", 2*time.Hour, 5)
		errs := make(chan error, 2)
		for i, n := range []int64{a.N, b2.N} {
			s := []*store.Store{s1, s2}[i]
			wg.Go(func() {
				_, err := s.Signup(ctx, st, n, thursday, carol, "", t0)
				for errors.Is(err, store.ErrBusy) {
					_, err = s.Signup(ctx, st, n, thursday, carol, "", t0)
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		var okCount, overlapCount int
		for err := range errs {
			var oe *store.OverlapError
			switch {
			case err == nil:
				okCount++
			case errors.As(err, &oe):
				overlapCount++
			default:
				t.Errorf("overlapping sign-up: %v", err)
			}
		}
		if okCount != 1 || overlapCount != 1 {
			t.Errorf("overlapping sign-ups at once: %d taken, %d refused; want 1 and 1", okCount, overlapCount)
		}
	})
}
