package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

func mustPoll(t *testing.T, s *store.Store, st int64, perHousehold bool, deadline time.Time) *store.Poll {
	t.Helper()
	p, err := s.CreatePoll(context.Background(), st, store.NewPoll{Question: "安全门选什么颜色", Options: []string{"深灰", "古铜", "墨绿"},
		Deadline: deadline, PerHousehold: perHousehold, By: head, Chat: group1.Key()}, t0)
	if err != nil {
		t.Fatalf("CreatePoll: %v", err)
	}
	return p
}

func TestPollVotes(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "清川佳园", group1)
		deadline := t0.Add(24 * time.Hour)
		p := mustPoll(t, s, st.ID, true, deadline)
		got, err := s.Poll(ctx, st.ID, p.N)
		if err != nil || len(got.Options) != 3 || !got.PerHousehold || !got.Deadline.Equal(deadline) || !got.Open(t0) || got.Open(deadline) {
			t.Fatalf("Poll = %+v, %v", got, err)
		}

		// One household, two people: whoever votes last counts.
		prev, err := s.CastVote(ctx, st.ID, p.N, store.Ballot{User: alice, Room: "3-1-101", Option: 0}, t0)
		if err != nil || prev != nil {
			t.Fatalf("first vote: prev %v, %v", prev, err)
		}
		prev, err = s.CastVote(ctx, st.ID, p.N, store.Ballot{User: bob, Room: "3-1-101", Option: 2}, t0)
		if err != nil || prev == nil || prev.UserKey != alice.Key() || prev.Option != 0 {
			t.Fatalf("second vote of the household: prev %+v, %v", prev, err)
		}
		if _, err := s.CastVote(ctx, st.ID, p.N, store.Ballot{User: carol, Room: "3-1-102", Option: 2}, t0); err != nil {
			t.Fatal(err)
		}
		votes, err := s.Votes(ctx, st.ID, p.N)
		if err != nil || len(votes) != 2 || votes[0].Voter != "3-1-101" || votes[0].UserKey != bob.Key() {
			t.Fatalf("Votes = %+v, %v", votes, err)
		}
		if tally := got.Tally(votes); fmt.Sprint(tally) != "[0 0 2]" {
			t.Errorf("Tally = %v", tally)
		}
		// A per-household vote without a room, an option that does not exist.
		if _, err := s.CastVote(ctx, st.ID, p.N, store.Ballot{User: carol, Option: 0}, t0); err == nil {
			t.Error("household vote without a room accepted")
		}
		if _, err := s.CastVote(ctx, st.ID, p.N, store.Ballot{User: carol, Room: "3-1-102", Option: 3}, t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("vote for option 4: %v", err)
		}
		// At the deadline the poll takes no more votes, even before it is closed.
		if _, err := s.CastVote(ctx, st.ID, p.N, store.Ballot{User: carol, Room: "3-1-102", Option: 0}, deadline); !errors.Is(err, store.ErrPollClosed) {
			t.Errorf("vote at the deadline: %v; want ErrPollClosed", err)
		}
		closed, now, err := s.ClosePoll(ctx, st.ID, p.N, deadline)
		if err != nil || !now || !closed.Closed {
			t.Fatalf("ClosePoll = %+v, %v, %v", closed, now, err)
		}
		if _, now, err := s.ClosePoll(ctx, st.ID, p.N, deadline); err != nil || now {
			t.Errorf("ClosePoll twice: closed again = %v, %v", now, err)
		}
		if open, _ := s.OpenPolls(ctx, st.ID); len(open) != 0 {
			t.Errorf("OpenPolls after close = %v", open)
		}

		// Per person: each person's own vote, replaced when they vote again.
		q := mustPoll(t, s, st.ID, false, time.Time{})
		for _, v := range []store.Ballot{{User: alice, Room: "3-1-101", Option: 1}, {User: bob, Room: "3-1-101", Option: 1}, {User: alice, Option: 2}} {
			if _, err := s.CastVote(ctx, st.ID, q.N, v, t0); err != nil {
				t.Fatal(err)
			}
		}
		votes, _ = s.Votes(ctx, st.ID, q.N)
		if tally := q.Tally(votes); fmt.Sprint(tally) != "[0 1 1]" {
			t.Errorf("per-person Tally = %v", tally)
		}
		if _, err := s.CastVote(ctx, st.ID, 99, store.Ballot{User: alice, Option: 0}, t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("vote on poll 99: %v", err)
		}
	})
}

// TestConcurrentHouseholdVotes has the members of one household vote at once
// from two Store instances: one vote counts for the household, and it is one
// of the votes cast.
func TestConcurrentHouseholdVotes(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s1 := newStore(b)
		s2 := store.New(secondClient(t, b), store.WithKeyPrefix(b.Prefix))
		st := mustStation(t, s1, "清川佳园", group1)
		p := mustPoll(t, s1, st.ID, true, time.Time{})
		const voters = 6
		var wg sync.WaitGroup
		errs := make(chan error, voters*3)
		for w := range voters {
			s := s1
			if w%2 == 1 {
				s = s2
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				user := bot.User{Platform: "console", ID: fmt.Sprintf("v%d", w), Name: fmt.Sprintf("V%d", w)}
				for i := range 3 {
					if err := untilNotBusy(func() error {
						_, err := s.CastVote(ctx, st.ID, p.N, store.Ballot{User: user, Room: "3-1-101", Option: (w + i) % 3}, t0)
						return err
					}); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent vote: %v", err)
		}
		votes, err := s1.Votes(ctx, st.ID, p.N)
		if err != nil || len(votes) != 1 || votes[0].Voter != "3-1-101" || votes[0].Room != "3-1-101" {
			t.Fatalf("Votes = %+v, %v; want one vote for the household", votes, err)
		}
		total := 0
		for _, c := range p.Tally(votes) {
			total += c
		}
		if total != 1 {
			t.Errorf("household counted %d times", total)
		}
	})
}

func TestRecentPolls(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "清川佳园", group1)
		if got, err := s.RecentPolls(ctx, st.ID, 5); err != nil || len(got) != 0 {
			t.Fatalf("RecentPolls with none = %v, %v", got, err)
		}
		for range 3 {
			mustPoll(t, s, st.ID, false, time.Time{})
		}
		if _, _, err := s.ClosePoll(ctx, st.ID, 1, t0); err != nil {
			t.Fatal(err)
		}
		got, err := s.RecentPolls(ctx, st.ID, 2)
		if err != nil || len(got) != 2 || got[0].N != 3 || got[1].N != 2 {
			t.Fatalf("RecentPolls(2) = %+v, %v; want 3, 2", got, err)
		}
		if got, err = s.RecentPolls(ctx, st.ID, 10); err != nil || len(got) != 3 || got[2].N != 1 || !got[2].Closed {
			t.Fatalf("RecentPolls(10) = %+v, %v; want 3, 2, 1 closed", got, err)
		}
	})
}
