package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

func day(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, calendar.Shanghai)
}

func TestDogs(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "阳光站", group1).ID

		wangcai, err := s.RegisterDog(ctx, st, store.Dog{Name: "旺财", Breed: "泰迪", Room: "3-2-301", Owner: alice.Key(),
			OwnerName: alice.Name, OwnerChat: group1.Key(), LastShot: day(2025, 12, 10), Sterilised: store.SterilisedNo}, t0)
		if err != nil || wangcai.N != 1 {
			t.Fatalf("RegisterDog = %+v, %v", wangcai, err)
		}
		if due := wangcai.ShotDue(); !due.Equal(day(2026, 12, 10)) {
			t.Errorf("ShotDue = %v; want 2026-12-10", due)
		}
		// The same name in the same room is the same dog, letter case aside.
		old, err := s.RegisterDog(ctx, st, store.Dog{Name: "旺财", Room: "3-2-301", Owner: bob.Key()}, t0)
		if !errors.Is(err, store.ErrDogExists) || !errors.Is(err, store.ErrConflict) || old == nil || old.N != 1 {
			t.Errorf("RegisterDog twice = %+v, %v; want ErrDogExists with #1", old, err)
		}
		if _, err := s.RegisterDog(ctx, st, store.Dog{Name: "Lucky", Room: "5-101", Owner: bob.Key()}, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RegisterDog(ctx, st, store.Dog{Name: "LUCKY", Room: "5-101"}, t0); !errors.Is(err, store.ErrDogExists) {
			t.Errorf("RegisterDog(LUCKY) after Lucky: err = %v", err)
		}
		other, err := s.RegisterDog(ctx, st, store.Dog{Name: "旺财", Room: "8-101", Owner: bob.Key(), LastShot: day(2026, 11, 1)}, t0)
		if err != nil || other.N != 3 {
			t.Fatalf("RegisterDog(another 旺财) = %+v, %v", other, err)
		}

		got, err := s.Dog(ctx, st, 1)
		if err != nil || got.Name != "旺财" || got.Breed != "泰迪" || got.Owner != alice.Key() || got.OwnerChat != group1.Key() ||
			!got.LastShot.Equal(day(2025, 12, 10)) || got.Sterilised != store.SterilisedNo || !got.Created.Equal(t0) {
			t.Errorf("Dog(1) = %+v, %v", got, err)
		}
		if _, err := s.Dog(ctx, st, 99); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Dog(99): err = %v", err)
		}
		if all, err := s.Dogs(ctx, st); err != nil || len(all) != 3 || all[0].N != 1 || all[2].N != 3 {
			t.Errorf("Dogs = %v, %v", all, err)
		}
		if named, err := s.DogsNamed(ctx, st, "旺财"); err != nil || len(named) != 2 {
			t.Errorf("DogsNamed(旺财) = %v, %v", named, err)
		}
		if named, _ := s.DogsNamed(ctx, st, "lucky"); len(named) != 1 {
			t.Errorf("DogsNamed(lucky) = %v", named)
		}
		// Due within 30 days of 2026-11-25: only #1; the dog with no shot
		// is never on the due list.
		due, err := s.DogsDue(ctx, st, day(2026, 12, 25))
		if err != nil || len(due) != 1 || due[0].N != 1 {
			t.Errorf("DogsDue = %v, %v", due, err)
		}

		// A new shot moves the due day a year on; an older one is refused.
		if _, err := s.RecordShot(ctx, st, 1, day(2025, 1, 1)); !errors.Is(err, store.ErrShotOlder) {
			t.Errorf("RecordShot(older): err = %v", err)
		}
		d, err := s.RecordShot(ctx, st, 1, day(2026, 12, 5))
		if err != nil || !d.ShotDue().Equal(day(2027, 12, 5)) {
			t.Fatalf("RecordShot = %+v, %v", d, err)
		}
		if due, _ := s.DogsDue(ctx, st, day(2026, 12, 25)); len(due) != 0 {
			t.Errorf("DogsDue after the shot = %v; want none", due)
		}
		if due, _ := s.DogsDue(ctx, st, day(2028, 1, 1)); len(due) != 2 || due[0].N != 3 || due[1].N != 1 {
			t.Errorf("DogsDue(2028) = %v; want #3 then #1, soonest first", due)
		}
		if d, err := s.SetSterilised(ctx, st, 2, store.SterilisedYes); err != nil || d.Sterilised != store.SterilisedYes {
			t.Errorf("SetSterilised = %+v, %v", d, err)
		}

		if err := s.RemoveDog(ctx, st, 1); err != nil {
			t.Fatal(err)
		}
		if all, _ := s.Dogs(ctx, st); len(all) != 2 {
			t.Errorf("Dogs after RemoveDog = %v", all)
		}
		if due, _ := s.DogsDue(ctx, st, day(2028, 1, 1)); len(due) != 1 {
			t.Errorf("DogsDue after RemoveDog = %v", due)
		}
		// Its name is free again for that room.
		if _, err := s.RegisterDog(ctx, st, store.Dog{Name: "旺财", Room: "3-2-301"}, t0); err != nil {
			t.Errorf("RegisterDog after RemoveDog: %v", err)
		}

		if spec, err := s.SterilisationNudge(ctx, st); err != nil || spec != "" {
			t.Errorf("SterilisationNudge before set = %q, %v", spec, err)
		}
		if err := s.SetSterilisationNudge(ctx, st, "0 9 1 3 *"); err != nil {
			t.Fatal(err)
		}
		if spec, _ := s.SterilisationNudge(ctx, st); spec != "0 9 1 3 *" {
			t.Errorf("SterilisationNudge = %q", spec)
		}
	})
}

func TestRegisterDogConcurrent(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "阳光站", group1).ID
		var wg sync.WaitGroup
		var mu sync.Mutex
		added := 0
		for range 6 {
			wg.Go(func() {
				err := retryBusy(func() error {
					_, err := s.RegisterDog(ctx, st, store.Dog{Name: "豆豆", Room: "5-1-502", Owner: alice.Key()}, t0)
					return err
				})
				switch {
				case err == nil:
					mu.Lock()
					added++
					mu.Unlock()
				case !errors.Is(err, store.ErrDogExists):
					t.Errorf("RegisterDog: %v", err)
				}
			})
		}
		wg.Wait()
		if all, _ := s.Dogs(ctx, st); added != 1 || len(all) != 1 {
			t.Errorf("%d registrations succeeded, %d dogs; want 1 and 1", added, len(all))
		}
	})
}
