package scheduler

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// TestMonthlyJobRunsOnceAcrossInstances: the monthly report and huzhu's
// other singleton jobs are recurring reminders with a fixed ID, which every
// instance schedules (at start-up or when a station is made). Three
// instances scheduling the same IDs keep one reminder each, and each month's
// occurrence runs on exactly one of them.
func TestMonthlyJobRunsOnceAcrossInstances(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		clock := bot.NewFakeClock(t0) // 1 March, 08:00
		var mu sync.Mutex
		runs := map[string]int{} // "station@month" → runs
		var instances []*Scheduler
		for i := range 3 {
			s := newTestScheduler(b, ownClient(t, b), newRecorder(), clock, nil)
			s.Handle("monthly", func(_ context.Context, r Reminder) error {
				mu.Lock()
				defer mu.Unlock()
				runs[r.Payload+"@"+clock.Now().Format("2006-01")]++
				return nil
			})
			for _, st := range []string{"1", "2"} {
				id := "monthly:" + st
				if err := s.Schedule(ctx, Reminder{ID: id, Spec: "0 9 1 * *", Job: "monthly", Payload: st}); err != nil {
					t.Fatalf("instance %d: %v", i, err)
				}
			}
			instances = append(instances, s)
		}
		if got, err := instances[0].Pending(ctx, "monthly:"); err != nil || len(got) != 2 {
			t.Fatalf("Pending = %d reminders, %v; want one per station", len(got), err)
		}

		errs := make(chan error, 3)
		var wg sync.WaitGroup
		for _, s := range instances {
			wg.Go(func() { loop(ctx, s, errs) })
		}
		want := map[string]int{}
		for month := range 4 { // March to June
			at := time.Date(2025, time.March+time.Month(month), 1, 9, 1, 0, 0, calendar.Shanghai)
			clock.Set(at)
			for _, st := range []string{"1", "2"} {
				want[st+"@"+at.Format("2006-01")] = 1
			}
			waitFor(t, 30*time.Second, fmt.Sprintf("the reports of %s", at.Format("2006-01")), func() bool {
				mu.Lock()
				defer mu.Unlock()
				return runs["1@"+at.Format("2006-01")] > 0 && runs["2@"+at.Format("2006-01")] > 0 &&
					dueCount(t, instances[0], at) == 0
			})
		}
		cancel()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("RunDue: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		checkExactlyOnce(t, runs, want)
	})
}
