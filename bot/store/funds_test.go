package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

func mustRoom(t *testing.T, s string) numerals.Room {
	t.Helper()
	r, err := numerals.ParseRoom(s)
	if err != nil {
		t.Fatalf("ParseRoom(%q): %v", s, err)
	}
	return r
}

func mustFund(t *testing.T, s *store.Store, st int64, goal, per int64, buildings ...string) *store.Fund {
	t.Helper()
	f, err := s.CreateFund(context.Background(), st, store.NewFund{Title: "3幢安全门", Goal: goal, PerHousehold: per,
		Buildings: buildings, By: head, Chat: group1.Key()}, t0)
	if err != nil {
		t.Fatalf("CreateFund: %v", err)
	}
	return f
}

func TestFundLifecycle(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "清川佳园", group1)
		f := mustFund(t, s, st.ID, 10200_00, 300_00, "3")
		if f.N != 1 || f.Status != store.FundOpen || !f.Covers("3") || f.Covers("5") {
			t.Fatalf("CreateFund = %+v", f)
		}
		if open, err := s.OpenFunds(ctx, st.ID); err != nil || len(open) != 1 || open[0].Title != "3幢安全门" {
			t.Fatalf("OpenFunds = %v, %v", open, err)
		}
		r101, r102 := mustRoom(t, "3-1-101"), mustRoom(t, "3-1-102")

		// A pledge, then a changed pledge: the totals follow, the ledger keeps both.
		ch, err := s.Pledge(ctx, st.ID, 1, r101, 300_00, alice, t0)
		if err != nil || ch.PrevPledged != 0 || ch.Household.Pledged != 300_00 || ch.Fund.Pledged != 300_00 {
			t.Fatalf("Pledge = %+v, %v", ch, err)
		}
		ch, err = s.Pledge(ctx, st.ID, 1, r101, 500_00, alice, t0.Add(time.Minute))
		if err != nil || ch.PrevPledged != 300_00 || ch.Fund.Pledged != 500_00 {
			t.Fatalf("Pledge again = %+v, %v", ch, err)
		}
		// The same pledge again changes nothing and writes no entry.
		if _, err := s.Pledge(ctx, st.ID, 1, r101, 500_00, alice, t0); err != nil {
			t.Fatal(err)
		}

		// Payments add up; over- and under-payment are kept as they are.
		ch, err = s.RecordPayment(ctx, st.ID, 1, r101, 200_00, bob, t0)
		if err != nil || ch.Household.Paid != 200_00 || ch.Household.Owed() != 300_00 || ch.PledgedByPayment {
			t.Fatalf("RecordPayment short = %+v, %v", ch, err)
		}
		ch, err = s.RecordPayment(ctx, st.ID, 1, r101, 400_00, bob, t0)
		if err != nil || ch.Household.Paid != 600_00 || ch.Household.Owed() != -100_00 {
			t.Fatalf("RecordPayment over = %+v, %v", ch, err)
		}
		// A payment with no pledge becomes the pledge.
		ch, err = s.RecordPayment(ctx, st.ID, 1, r102, 300_00, bob, t0)
		if err != nil || !ch.PledgedByPayment || ch.Household.Pledged != 300_00 || ch.Fund.Paid != 900_00 || ch.Fund.Pledged != 800_00 {
			t.Fatalf("RecordPayment without pledge = %+v, %v", ch, err)
		}
		f, err = s.Spend(ctx, st.ID, 1, 1000_00, "首付款", head, t0)
		if err != nil || f.Spent != 1000_00 || f.Balance() != -100_00 {
			t.Fatalf("Spend = %+v, %v", f, err)
		}

		cs, err := s.Contributions(ctx, st.ID, 1)
		if err != nil || len(cs) != 2 || cs[0].Room != r101 || cs[0].Paid != 600_00 || cs[1].Room != r102 {
			t.Fatalf("Contributions = %+v, %v", cs, err)
		}
		ledger, err := s.FundLedger(ctx, st.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []store.LedgerKind
		for _, e := range ledger {
			kinds = append(kinds, e.Kind)
		}
		want := []store.LedgerKind{store.LedgerOpened, store.LedgerPledged, store.LedgerPledged, store.LedgerPaid,
			store.LedgerPaid, store.LedgerPledged, store.LedgerPaid, store.LedgerSpent}
		if fmt.Sprint(kinds) != fmt.Sprint(want) {
			t.Fatalf("ledger kinds = %v; want %v", kinds, want)
		}
		if e := ledger[2]; e.Prev != 300_00 || e.Amount != 500_00 || e.By != alice.Key() || e.Room != "3-1-101" || !e.At.Equal(t0.Add(time.Minute)) {
			t.Errorf("changed pledge entry = %+v", e)
		}

		// Households pledged for are added to the station when it has no roster.
		hs, err := s.Households(ctx, st.ID)
		if err != nil || len(hs) != 2 {
			t.Errorf("Households = %v, %v", hs, err)
		}

		// Closing: once, and nothing after.
		if f, err = s.CloseFund(ctx, st.ID, 1, head, t0); err != nil || f.Status != store.FundClosed {
			t.Fatalf("CloseFund = %+v, %v", f, err)
		}
		if _, err := s.CloseFund(ctx, st.ID, 1, head, t0); !errors.Is(err, store.ErrFundClosed) {
			t.Errorf("CloseFund twice: %v; want ErrFundClosed", err)
		}
		for name, err := range map[string]error{
			"pledge":  second(s.Pledge(ctx, st.ID, 1, r101, 100_00, alice, t0)),
			"payment": second(s.RecordPayment(ctx, st.ID, 1, r101, 100_00, bob, t0)),
			"spend":   second(s.Spend(ctx, st.ID, 1, 100_00, "x", head, t0)),
		} {
			if !errors.Is(err, store.ErrFundClosed) || !errors.Is(err, store.ErrConflict) {
				t.Errorf("%s on a closed campaign: %v; want ErrFundClosed", name, err)
			}
		}
		if after, _ := s.Fund(ctx, st.ID, 1); after.Pledged != 800_00 || after.Paid != 900_00 || after.Spent != 1000_00 {
			t.Errorf("closed campaign changed: %+v", after)
		}
		if open, _ := s.OpenFunds(ctx, st.ID); len(open) != 0 {
			t.Errorf("OpenFunds after close = %v", open)
		}
		if _, err := s.Pledge(ctx, st.ID, 9, r101, 100_00, alice, t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Pledge to campaign 9: %v; want ErrNotFound", err)
		}
	})
}

// untilNotBusy runs fn again while it reports ErrBusy, as a person told
// "busy, try again" sends the command again. Under the race detector on a
// loaded machine an entity's lease can be held longer than the store waits.
func untilNotBusy(fn func() error) error {
	for {
		if err := fn(); !errors.Is(err, store.ErrBusy) {
			return err
		}
	}
}

// secondClient returns another client, with its own connections, to b's
// server: a second huzhu instance on the same store.
func secondClient(t testing.TB, b storetest.Backend) redis.UniversalClient {
	t.Helper()
	c, ok := b.Client.(*redis.Client)
	if !ok {
		t.Fatalf("backend %s: client is %T, not *redis.Client", b.Name, b.Client)
	}
	opt := *c.Options()
	own := redis.NewClient(&opt)
	t.Cleanup(func() { _ = own.Close() })
	return own
}

func second[T any](_ T, err error) error { return err }

func TestRosterLocksRooms(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "清川佳园", group1)
		// Bound before the import: stays.
		if err := s.BindRoom(ctx, st.ID, alice, mustRoom(t, "5-101"), t0); err != nil {
			t.Fatal(err)
		}
		res, err := s.ImportRoster(ctx, st.ID, []store.RosterEntry{
			{Room: mustRoom(t, "3-1-101"), Name: "王家"}, {Room: mustRoom(t, "3-1-102")},
			{Room: mustRoom(t, "3-1-101")}, {Room: mustRoom(t, "5-101")},
		})
		if err != nil || res.Added != 2 || res.Known != 1 {
			t.Fatalf("ImportRoster = %+v, %v", res, err)
		}
		info, _ := s.Station(ctx, st.ID)
		if !info.RosterLocked {
			t.Error("roster not locked after import")
		}
		names, err := s.HouseholdNames(ctx, st.ID)
		if err != nil || names["3-1-101"] != "王家" || len(names) != 1 {
			t.Errorf("HouseholdNames = %v, %v", names, err)
		}
		f := mustFund(t, s, st.ID, 1000_00, 0)
		outside := mustRoom(t, "9-1-901")
		if _, err := s.Pledge(ctx, st.ID, f.N, outside, 100_00, bob, t0); !errors.Is(err, store.ErrRoomUnknown) {
			t.Errorf("Pledge outside the roster: %v; want ErrRoomUnknown", err)
		}
		if _, err := s.RecordPayment(ctx, st.ID, f.N, outside, 100_00, bob, t0); !errors.Is(err, store.ErrRoomUnknown) {
			t.Errorf("payment outside the roster: %v; want ErrRoomUnknown", err)
		}
		if err := s.BindRoom(ctx, st.ID, bob, outside, t0); !errors.Is(err, store.ErrRoomUnknown) {
			t.Errorf("BindRoom outside the roster: %v; want ErrRoomUnknown", err)
		}
		if cs, _ := s.Contributions(ctx, st.ID, f.N); len(cs) != 0 {
			t.Errorf("refused pledges recorded: %v", cs)
		}
		if _, err := s.Pledge(ctx, st.ID, f.N, mustRoom(t, "3-1-102"), 100_00, bob, t0); err != nil {
			t.Errorf("Pledge inside the roster: %v", err)
		}
		hs, _ := s.Households(ctx, st.ID)
		if len(hs) != 3 {
			t.Errorf("Households = %v; want the 3 of the roster", hs)
		}
		if _, err := s.ImportRoster(ctx, 999, nil); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ImportRoster(unknown station): %v", err)
		}
	})
}

// TestConcurrentPledgesOneRecord has goroutines on two Store instances (two
// clients, as two huzhu processes would have) pledge and pay for the same
// households at once. Whatever the interleaving, each household ends with
// one record, the campaign's totals equal the sum of the households, and the
// ledger holds exactly one entry per change.
func TestConcurrentPledgesOneRecord(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s1 := newStore(b)
		s2 := store.New(secondClient(t, b), store.WithKeyPrefix(b.Prefix))
		st := mustStation(t, s1, "清川佳园", group1)
		f := mustFund(t, s1, st.ID, 10000_00, 300_00)
		rooms := []numerals.Room{mustRoom(t, "3-1-101"), mustRoom(t, "3-1-102")}
		const workers, rounds = 4, 4
		var wg sync.WaitGroup
		errs := make(chan error, workers*rounds*2)
		for w := range workers {
			s := s1
			if w%2 == 1 {
				s = s2
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range rounds {
					room := rooms[(w+i)%len(rooms)]
					user := bot.User{Platform: "console", ID: fmt.Sprintf("w%d", w), Name: fmt.Sprintf("W%d", w)}
					if err := untilNotBusy(func() error {
						_, err := s.Pledge(ctx, st.ID, f.N, room, int64(100+w*10+i)*100, user, t0)
						return err
					}); err != nil {
						errs <- err
					}
					if err := untilNotBusy(func() error {
						_, err := s.RecordPayment(ctx, st.ID, f.N, room, 100_00, user, t0)
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
			t.Fatalf("concurrent change: %v", err)
		}
		got, err := s1.Fund(ctx, st.ID, f.N)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := s1.Contributions(ctx, st.ID, f.N)
		if err != nil || len(cs) != len(rooms) {
			t.Fatalf("Contributions = %v, %v", cs, err)
		}
		var pledged, paid int64
		for _, c := range cs {
			pledged += c.Pledged
			paid += c.Paid
		}
		if got.Pledged != pledged || got.Paid != paid || paid != workers*rounds*100_00 {
			t.Errorf("totals %d pledged, %d paid; households %d, %d; want paid %d", got.Pledged, got.Paid, pledged, paid, workers*rounds*100_00)
		}
		ledger, err := s1.FundLedger(ctx, st.ID, f.N)
		if err != nil {
			t.Fatal(err)
		}
		// Replaying the ledger gives the same households: nothing lost, nothing twice.
		replay := map[string]store.Contribution{}
		for _, e := range ledger {
			c := replay[e.Room]
			switch e.Kind {
			case store.LedgerPledged:
				if c.Pledged != e.Prev {
					t.Errorf("entry %+v replaces %d, but the pledge was %d", e, e.Prev, c.Pledged)
				}
				c.Pledged = e.Amount
			case store.LedgerPaid:
				c.Paid += e.Amount
			}
			replay[e.Room] = c
		}
		for _, c := range cs {
			if r := replay[c.Room.Key()]; r.Pledged != c.Pledged || r.Paid != c.Paid {
				t.Errorf("%s: ledger replays to %+v, record is %+v", c.Room, r, c)
			}
		}
	})
}

// The count of households that pledged follows every pledge, payment and
// withdrawn pledge, and equals the count from the households' records; a
// campaign that has no count yet (opened before it was kept) gets one from
// its records on its first change.
func TestPledgedHouseholds(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "清川佳园", group1)
		f := mustFund(t, s, st.ID, 10000_00, 300_00)
		fromRecords := func() int64 {
			t.Helper()
			cs, err := s.Contributions(ctx, st.ID, f.N)
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			for _, c := range cs {
				if c.Pledged > 0 {
					n++
				}
			}
			return n
		}
		r101, r102, r103 := mustRoom(t, "3-1-101"), mustRoom(t, "3-1-102"), mustRoom(t, "3-1-103")
		steps := []struct {
			what string
			do   func() (*store.ContributionChange, error)
			want int64
		}{
			{"101 pledges", func() (*store.ContributionChange, error) { return s.Pledge(ctx, st.ID, f.N, r101, 300_00, alice, t0) }, 1},
			{"101 pledges more", func() (*store.ContributionChange, error) { return s.Pledge(ctx, st.ID, f.N, r101, 500_00, alice, t0) }, 1},
			{"101 the same again", func() (*store.ContributionChange, error) { return s.Pledge(ctx, st.ID, f.N, r101, 500_00, alice, t0) }, 1},
			{"102 pays without a pledge", func() (*store.ContributionChange, error) {
				return s.RecordPayment(ctx, st.ID, f.N, r102, 300_00, head, t0)
			}, 2},
			{"103 pledges", func() (*store.ContributionChange, error) { return s.Pledge(ctx, st.ID, f.N, r103, 300_00, bob, t0) }, 3},
			{"101 withdraws", func() (*store.ContributionChange, error) { return s.Pledge(ctx, st.ID, f.N, r101, 0, alice, t0) }, 2},
			{"101 withdraws again", func() (*store.ContributionChange, error) { return s.Pledge(ctx, st.ID, f.N, r101, 0, alice, t0) }, 2},
			{"103 pays", func() (*store.ContributionChange, error) {
				return s.RecordPayment(ctx, st.ID, f.N, r103, 300_00, head, t0)
			}, 2},
		}
		for i, step := range steps {
			if i == 4 {
				// From here on the campaign is as one opened before the
				// count was kept.
				if err := store.ForgetPledgedCount(ctx, s, st.ID, f.N); err != nil {
					t.Fatal(err)
				}
			}
			ch, err := step.do()
			if err != nil {
				t.Fatalf("%s: %v", step.what, err)
			}
			if ch.PledgedHouseholds != step.want || fromRecords() != step.want {
				t.Fatalf("%s: %d households pledged, %d by the records; want %d", step.what, ch.PledgedHouseholds, fromRecords(), step.want)
			}
		}
	})
}
