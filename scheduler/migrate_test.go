package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// TestRemindersOfTheOldLayoutAreDelivered: reminders an older version kept
// under the single tag {rm} are moved into the shards when an instance
// starts, and delivered once, the due one at once and the future one when
// it falls due.
func TestRemindersOfTheOldLayoutAreDelivered(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := bot.NewFakeClock(t0)
		rec := newRecorder()
		s := newTestScheduler(b, nil, rec, clock, nil)
		old := []*store.ReminderRecord{
			{ID: "old:due", AtMs: t0.Add(-time.Minute).UnixMilli(), Message: outgoing("old:due"), CreatedMs: t0.UnixMilli()},
			{ID: "old:weekly", AtMs: t0.Add(time.Hour).UnixMilli(), Spec: "0 9 * * *", Message: outgoing("old:weekly"), CreatedMs: t0.UnixMilli()},
		}
		for _, r := range old {
			r.DueMs = r.AtMs
			if err := reminders(s).PutLegacy(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		// Two instances start at once; each reminder is moved once.
		other := newTestScheduler(b, ownClient(t, b), rec, clock, nil)
		if _, err := other.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if got := rec.counts(); got["old:due"] != 1 || got["old:weekly"] != 0 {
			t.Fatalf("after the move, sent %v; want old:due once", got)
		}
		assertPending(t, s, "old:", "old:weekly")
		clock.Set(t0.Add(time.Hour))
		if n, err := s.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("RunDue at the weekly one = %d, %v; want 1", n, err)
		}
		// Nothing is left in the old layout to move again.
		if n, err := reminders(s).Migrate(ctx, clock.Now().UnixMilli(), "t", time.Second); err != nil || n != 0 {
			t.Fatalf("Migrate again moved %d, %v; want 0", n, err)
		}
		if got := rec.counts(); got["old:due"] != 1 || got["old:weekly"] != 1 {
			t.Fatalf("sent %v; want each once", got)
		}
	})
}

// TestShardsCannotChange: an instance given another number of shards than
// the store was started with refuses to deliver, rather than looking for
// reminders where they are not.
func TestShardsCannotChange(t *testing.T) {
	b := storetest.Miniredis(t)
	ctx := context.Background()
	s := newTestScheduler(b, nil, newRecorder(), bot.NewFakeClock(t0), nil)
	if _, err := s.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	other := newTestScheduler(b, nil, newRecorder(), bot.NewFakeClock(t0), nil, WithShards(4))
	if _, err := other.RunDue(ctx); err == nil {
		t.Fatal("RunDue with 4 shards on a store of 16 succeeded")
	}
}
