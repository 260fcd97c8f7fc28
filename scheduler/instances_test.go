package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// manyReminders is N for the multi-instance tests: the full 2,000 on a real
// Redis, fewer on the in-process servers to keep the suite fast, and fewer
// still on redka under -race.
func manyReminders(b storetest.Backend) int {
	switch {
	case b.Name == "redis":
		return 2000
	case b.Name == "redka" && raceEnabled:
		return 120
	}
	return 300
}

// checkExactlyOnce fails the test for every ID sent a different number of
// times than want says.
func checkExactlyOnce(t *testing.T, got, want map[string]int) {
	t.Helper()
	var dup, missing, extra int
	for id, n := range want {
		switch {
		case got[id] > n:
			dup += got[id] - n
		case got[id] < n:
			missing += n - got[id]
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			extra++
		}
	}
	if dup > 0 || missing > 0 || extra > 0 {
		t.Fatalf("%d duplicate, %d missing and %d unexpected deliveries", dup, missing, extra)
	}
}

func TestThreeInstancesDeliverEachOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := manyReminders(b)
		clock := bot.NewFakeClock(t0)
		rec := newRecorder()
		var instances []*Scheduler
		for range 3 {
			instances = append(instances, newTestScheduler(b, ownClient(t, b), rec, clock, nil, WithBatchSize(50)))
		}

		// A third recurring every 10 minutes, the rest one-off over the hour
		// with some already past due; the clock then walks the hour.
		const hour = time.Hour
		want := map[string]int{}
		for i := range n {
			id := fmt.Sprintf("r:%d", i)
			r := Reminder{ID: id, Message: outgoing(id)}
			if i%3 == 0 {
				r.Spec = "*/10 * * * *"
				want[id] = 6 // 08:10 … 09:00
			} else {
				r.At = t0.Add(time.Duration(i%65-5) * time.Minute).Add(time.Duration(i) * time.Millisecond)
				want[id] = 1
			}
			if err := instances[i%3].Schedule(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := instances[0].Pending(ctx, "r:"); err != nil || len(got) != n {
			t.Fatalf("Pending = %d reminders, %v; want %d", len(got), err, n)
		}

		errs := make(chan error, 3)
		var wg sync.WaitGroup
		for _, s := range instances {
			wg.Go(func() { loop(ctx, s, errs) })
		}
		for at := time.Duration(0); at <= hour; at += 5 * time.Minute {
			clock.Set(t0.Add(at))
			waitFor(t, 30*time.Second, fmt.Sprintf("deliveries due at +%v", at), func() bool {
				select {
				case err := <-errs:
					t.Fatalf("RunDue: %v", err)
				default:
				}
				return dueCount(t, instances[0], clock.Now()) == 0
			})
		}
		cancel()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("RunDue: %v", err)
		}
		checkExactlyOnce(t, rec.counts(), want)
		t.Logf("%s: %d reminders, %d deliveries by 3 instances", b.Name, n, rec.total())
	})
}

// blockingSender stands in for an instance killed mid-send: its sends (as
// many as it runs at once) never return (they ignore ctx) until the test
// ends, and then fail, so the instance never acks what it claimed.
type blockingSender struct {
	mu      sync.Mutex
	entered []string
	first   chan struct{} // closed by the first send
	release chan struct{}
}

func (s *blockingSender) Send(_ context.Context, out bot.Outgoing) error {
	s.mu.Lock()
	s.entered = append(s.entered, out.Text)
	if len(s.entered) == 1 {
		close(s.first)
	}
	s.mu.Unlock()
	<-s.release
	return errors.New("killed")
}

// stuck returns the texts whose sends are stuck.
func (s *blockingSender) stuck() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.entered...)
}

func TestKilledInstanceLeasesExpire(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := manyReminders(b) / 4
		// Long enough that a live instance descheduled between its send and
		// its ack on a loaded machine (the one window where a reminder may go
		// out twice, by design) does not lose its lease; short enough to
		// keep the test quick.
		const ttl = time.Second
		clock := bot.NewFakeClock(t0)
		rec := newRecorder()

		want := map[string]int{}
		admin := newTestScheduler(b, nil, rec, clock, nil)
		for i := range n {
			id := fmt.Sprintf("k:%d", i)
			r := Reminder{ID: id, At: t0.Add(-time.Duration(i) * time.Second), Message: outgoing(id)}
			if i%4 == 0 {
				r.Spec, r.At = "0 9 * * *", t0.Add(-time.Minute)
			}
			if err := admin.Schedule(ctx, r); err != nil {
				t.Fatal(err)
			}
			want[id] = 1
		}

		// A dead instance left leases on 20 reminders...
		held := map[string]time.Time{}
		for i := range 20 {
			id := fmt.Sprintf("k:%d", i*(n/20))
			held[id] = time.Now()
			if err := b.Client.SetNX(ctx, leaseKey(admin, id), "dead", ttl).Err(); err != nil {
				t.Fatal(err)
			}
		}
		// ...and another is stuck forever in the sends of a pass.
		killed := &blockingSender{first: make(chan struct{}), release: make(chan struct{})}
		k := newTestScheduler(b, ownClient(t, b), killed, clock, nil, WithLeaseTTL(ttl))
		errs := make(chan error, 3)
		var wg sync.WaitGroup
		kctx, kcancel := context.WithCancel(ctx)
		kStart := time.Now() // its leases on the reminders it is stuck on are later
		wg.Go(func() { loop(kctx, k, errs) })
		<-killed.first

		for range 2 {
			s := newTestScheduler(b, ownClient(t, b), rec, clock, nil, WithLeaseTTL(ttl))
			wg.Go(func() { loop(ctx, s, errs) })
		}
		waitFor(t, 30*time.Second, "all deliveries", func() bool {
			select {
			case err := <-errs:
				t.Fatalf("RunDue: %v", err)
			default:
			}
			return dueCount(t, admin, clock.Now()) == 0
		})
		for _, id := range killed.stuck() {
			held[id] = kStart
		}
		cancel()
		kcancel()
		close(killed.release)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("RunDue: %v", err)
		}
		checkExactlyOnce(t, rec.counts(), want)
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for id, since := range held {
			if wait := rec.at[id].Sub(since); wait < ttl-20*time.Millisecond {
				t.Errorf("%s was delivered %v after its lease was taken, before the %v lease expired", id, wait, ttl)
			}
		}
		t.Logf("%s: %d reminders, %d leases held by dead instances, all delivered once", b.Name, n, len(held))
	})
}
