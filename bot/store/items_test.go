package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

func TestItemsLendAndReturn(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "阳光站", group1).ID

		if _, _, err := s.Lend(ctx, st, "牵引绳", alice, group1.Key(), 1, t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Lend before any stock: err = %v; want ErrNotFound", err)
		}
		it, created, err := s.AddItemStock(ctx, st, "牵引绳", 2, false, t0)
		if err != nil || !created || it.Stock != 2 || it.Available() != 2 {
			t.Fatalf("AddItemStock = %+v, %v, %v", it, created, err)
		}
		if it, created, err = s.AddItemStock(ctx, st, "牵引绳", 1, true, t0); err != nil || created || it.Stock != 3 || it.Consumable {
			t.Fatalf("AddItemStock again = %+v, %v, %v; want 3 in stock, still returnable", it, created, err)
		}
		if _, _, err := s.AddItemStock(ctx, st, "bad name", 1, false, t0); !errors.Is(err, store.ErrBadItemName) {
			t.Errorf("AddItemStock(bad name): err = %v", err)
		}

		it, loan, err := s.Lend(ctx, st, "牵引绳", alice, group1.Key(), 2, t0)
		if err != nil || it.Out != 2 || it.Available() != 1 || loan.Count != 2 || !loan.Since.Equal(t0) || loan.Chat != group1.Key() {
			t.Fatalf("Lend 2 = %+v, %+v, %v", it, loan, err)
		}
		later := t0.Add(48 * 3600e9)
		if _, loan, err = s.Lend(ctx, st, "牵引绳", alice, "", 1, later); err != nil || loan.Count != 3 || !loan.Since.Equal(t0) {
			t.Fatalf("Lend more = %+v, %v; want 3 since the first", loan, err)
		}
		if _, _, err := s.Lend(ctx, st, "牵引绳", bob, "", 1, t0); !errors.Is(err, store.ErrNoStock) || !errors.Is(err, store.ErrConflict) {
			t.Errorf("Lend with none left: err = %v; want ErrNoStock", err)
		}
		if _, _, err := s.ReturnItem(ctx, st, "牵引绳", bob.Key(), 1); !errors.Is(err, store.ErrNotBorrowed) {
			t.Errorf("ReturnItem never borrowed: err = %v; want ErrNotBorrowed", err)
		}
		if _, _, err := s.ReturnItem(ctx, st, "牵引绳", alice.Key(), 4); !errors.Is(err, store.ErrNotBorrowed) {
			t.Errorf("ReturnItem more than borrowed: err = %v; want ErrNotBorrowed", err)
		}
		if _, err := s.WriteOffItems(ctx, st, "牵引绳", 1); !errors.Is(err, store.ErrStockInUse) {
			t.Errorf("WriteOffItems with all lent: err = %v; want ErrStockInUse", err)
		}
		it, loan, err = s.ReturnItem(ctx, st, "牵引绳", alice.Key(), 1)
		if err != nil || it.Out != 2 || loan.Count != 2 {
			t.Fatalf("ReturnItem 1 = %+v, %+v, %v", it, loan, err)
		}
		if _, loan, err = s.ReturnItem(ctx, st, "牵引绳", alice.Key(), 2); err != nil || loan.Count != 0 {
			t.Fatalf("ReturnItem the rest = %+v, %v", loan, err)
		}
		if _, err := s.Loan(ctx, st, "牵引绳", alice.Key()); !errors.Is(err, store.ErrNotBorrowed) {
			t.Errorf("Loan after returning all: err = %v", err)
		}
		if it, err = s.WriteOffItems(ctx, st, "牵引绳", 1); err != nil || it.Stock != 2 {
			t.Errorf("WriteOffItems = %+v, %v", it, err)
		}

		// Bags are handed out, never returned.
		if _, _, err := s.AddItemStock(ctx, st, "清理袋", 10, true, t0); err != nil {
			t.Fatal(err)
		}
		it, loan, err = s.Lend(ctx, st, "清理袋", bob, "", 4, t0)
		if err != nil || loan != nil || it.Stock != 6 || it.Given != 4 {
			t.Fatalf("Lend bags = %+v, %+v, %v", it, loan, err)
		}
		if _, _, err := s.ReturnItem(ctx, st, "清理袋", bob.Key(), 1); !errors.Is(err, store.ErrConsumable) {
			t.Errorf("ReturnItem bags: err = %v; want ErrConsumable", err)
		}
		if _, _, err := s.Lend(ctx, st, "清理袋", bob, "", 7, t0); !errors.Is(err, store.ErrNoStock) {
			t.Errorf("Lend 7 of 6 bags: err = %v; want ErrNoStock", err)
		}

		items, loans, err := s.Items(ctx, st)
		if err != nil || len(items) != 2 || len(loans) != 0 {
			t.Fatalf("Items = %v, %v, %v", items, loans, err)
		}
		if _, _, err := s.Lend(ctx, st, "牵引绳", bob, group1.Key(), 1, t0); err != nil {
			t.Fatal(err)
		}
		_, loans, _ = s.Items(ctx, st)
		if l := loans["牵引绳"]; len(l) != 1 || l[0].User != bob.Key() || l[0].Name != bob.Name || l[0].Item != "牵引绳" {
			t.Errorf("loans = %+v", loans)
		}
	})
}

// retryBusy calls fn again while another caller holds the lease too long
// (ErrBusy, which a resident is told to retry), as a loaded test machine
// can make happen.
func retryBusy(fn func() error) error {
	for {
		if err := fn(); !errors.Is(err, store.ErrBusy) {
			return err
		}
	}
}

// TestLendNeverMoreThanStock lends from many goroutines through two Store
// instances on separate connections, as two huzhu processes would: no more
// are ever lent or handed out than the station has.
func TestLendNeverMoreThanStock(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c2 := redis.NewClient(b.Client.(*redis.Client).Options())
		t.Cleanup(func() { _ = c2.Close() })
		s1, s2 := newStore(b), store.New(c2, store.WithKeyPrefix(b.Prefix))
		st := mustStation(t, s1, "阳光站", group1).ID
		const leashes, bags, workers = 5, 12, 16
		if _, _, err := s1.AddItemStock(ctx, st, "牵引绳", leashes, false, t0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s2.AddItemStock(ctx, st, "清理袋", bags, true, t0); err != nil {
			t.Fatal(err)
		}
		var lent, handed, refused atomic.Int64
		var wg sync.WaitGroup
		for i := range workers {
			s := s1
			if i%2 == 1 {
				s = s2
			}
			who := bot.User{Platform: "console", ID: fmt.Sprintf("n%d", i), Name: fmt.Sprintf("邻居%d", i)}
			wg.Go(func() {
				err := retryBusy(func() error { _, _, err := s.Lend(ctx, st, "牵引绳", who, "", 1, t0); return err })
				switch {
				case err == nil:
					lent.Add(1)
				case errors.Is(err, store.ErrNoStock):
					refused.Add(1)
				default:
					t.Errorf("Lend leash: %v", err)
				}
			})
			wg.Go(func() {
				err := retryBusy(func() error { _, _, err := s.Lend(ctx, st, "清理袋", who, "", 2, t0); return err })
				switch {
				case err == nil:
					handed.Add(2)
				case errors.Is(err, store.ErrNoStock):
				default:
					t.Errorf("Lend bags: %v", err)
				}
			})
		}
		wg.Wait()
		if lent.Load() != leashes || refused.Load() != workers-leashes {
			t.Errorf("leashes lent %d, refused %d; want %d and %d", lent.Load(), refused.Load(), leashes, workers-leashes)
		}
		if handed.Load() != bags {
			t.Errorf("bags handed out %d; want all %d and no more", handed.Load(), bags)
		}
		leash, err := s2.Item(ctx, st, "牵引绳")
		if err != nil || leash.Out != leashes || leash.Available() != 0 {
			t.Errorf("leash record = %+v, %v", leash, err)
		}
		bag, err := s1.Item(ctx, st, "清理袋")
		if err != nil || bag.Stock != 0 || bag.Given != bags {
			t.Errorf("bag record = %+v, %v", bag, err)
		}
		_, loans, err := s1.Items(ctx, st)
		if err != nil || len(loans["牵引绳"]) != leashes {
			t.Errorf("%d loans recorded, %v; want %d", len(loans["牵引绳"]), err, leashes)
		}

		// Returns and new loans racing each other keep the count right.
		for _, l := range loans["牵引绳"] {
			wg.Go(func() {
				if err := retryBusy(func() error { _, _, err := s1.ReturnItem(ctx, st, "牵引绳", l.User, 1); return err }); err != nil {
					t.Errorf("ReturnItem: %v", err)
				}
			})
			wg.Go(func() {
				err := retryBusy(func() error { _, _, err := s2.Lend(ctx, st, "牵引绳", bob, "", 1, t0); return err })
				if err != nil && !errors.Is(err, store.ErrNoStock) {
					t.Errorf("Lend: %v", err)
				}
			})
		}
		wg.Wait()
		leash, _ = s1.Item(ctx, st, "牵引绳")
		bobs, err := s1.Loan(ctx, st, "牵引绳", bob.Key())
		if err != nil && !errors.Is(err, store.ErrNotBorrowed) {
			t.Fatal(err)
		}
		var bobHas int64
		if bobs != nil {
			bobHas = bobs.Count
		}
		if leash.Out != bobHas || leash.Out > leashes || leash.Available() < 0 {
			t.Errorf("after the race: %+v, bob has %d", leash, bobHas)
		}
	})
}

func TestValidItemName(t *testing.T) {
	for name, want := range map[string]bool{
		"牵引绳": true, "雨衣": true, "a": true, "十个字十个字十个字十": true,
		"": false, "十一个字十一个字十一个": false, "a b": false, "a:b": false, "a|b": false, "a\tb": false,
	} {
		if got := store.ValidItemName(name); got != want {
			t.Errorf("ValidItemName(%q) = %v; want %v", name, got, want)
		}
	}
}
