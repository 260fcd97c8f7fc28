package scheduler

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/metrics"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

func TestScheduleAllSchedulesAndMoves(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := bot.NewFakeClock(t0)
		rec := newRecorder()
		s := newTestScheduler(b, nil, rec, clock, nil)

		if err := s.ScheduleAll(ctx); err != nil {
			t.Fatalf("ScheduleAll of nothing: %v", err)
		}
		if err := s.Schedule(ctx, Reminder{ID: "overdue:1", At: t0.Add(time.Hour), Message: outgoing("old")}); err != nil {
			t.Fatal(err)
		}
		err := s.ScheduleAll(ctx,
			Reminder{ID: "overdue:1", At: t0.Add(3 * time.Hour), Message: outgoing("overdue:1")},
			Reminder{ID: "overdue:2", At: t0.Add(2 * time.Hour), Message: outgoing("overdue:2")},
			Reminder{ID: "duty:daily", Spec: "0 9 * * *", Message: outgoing("duty:daily")},
		)
		if err != nil {
			t.Fatalf("ScheduleAll: %v", err)
		}
		// 09:00 daily first, then the two one-offs.
		assertPending(t, s, "", "duty:daily", "overdue:2", "overdue:1")
		if n := queued(t, s); n != 3 {
			t.Fatalf("queue holds %d occurrences, want 3 (the moved one's old occurrence gone)", n)
		}
		got, err := s.Get(ctx, "overdue:1")
		if err != nil || !got.At.Equal(t0.Add(3*time.Hour)) || got.Message.Text != "overdue:1" || !got.Created.Equal(t0) {
			t.Fatalf("moved reminder = %+v, %v", got, err)
		}
		for _, key := range []string{leaseKey(s, "overdue:1"), leaseKey(s, "overdue:2"), leaseKey(s, "duty:daily")} {
			if n := s.rdb.Exists(ctx, key).Val(); n != 0 {
				t.Fatalf("lease %s left behind", key)
			}
		}

		// Re-scheduling the same occurrence keeps one queue entry.
		if err := s.ScheduleAll(ctx, Reminder{ID: "overdue:2", At: t0.Add(2 * time.Hour), Message: outgoing("overdue:2")}); err != nil {
			t.Fatal(err)
		}
		if n := queued(t, s); n != 3 {
			t.Fatalf("queue holds %d occurrences after an idempotent re-schedule, want 3", n)
		}

		clock.Set(t0.Add(3 * time.Hour))
		if n, err := s.RunDue(ctx); err != nil || n != 3 {
			t.Fatalf("RunDue = %d, %v; want 3", n, err)
		}
		if got, want := rec.counts(), map[string]int{"duty:daily": 1, "overdue:1": 1, "overdue:2": 1}; !reflect.DeepEqual(got, want) {
			t.Fatalf("sent %v, want %v (nothing at the old time)", got, want)
		}
		assertPending(t, s, "", "duty:daily")
	})
}

func TestScheduleAllRejectsBeforeWriting(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newTestScheduler(b, nil, newRecorder(), bot.NewFakeClock(t0), nil)
		good := Reminder{ID: "good", At: t0.Add(time.Hour), Message: outgoing("good")}
		for _, bad := range []Reminder{
			{At: t0, Message: outgoing("x")},
			{ID: "no-chat", At: t0, Message: bot.Outgoing{Text: "x"}},
			{ID: strings.Repeat("x", maxIDLen+1), At: t0, Message: outgoing("x")},
			{ID: "a\nb", At: t0, Message: outgoing("x")},
			{ID: "no-at", Message: outgoing("x")},
			{ID: "bad-spec", Spec: "every tuesday", Message: outgoing("x")},
			{ID: "negative", At: t0, StaleAfter: -time.Minute, Message: outgoing("x")},
		} {
			if err := s.ScheduleAll(ctx, good, bad); !errors.Is(err, ErrBadReminder) {
				t.Fatalf("ScheduleAll(good, %+v) = %v, want ErrBadReminder", bad, err)
			}
		}
		// Nothing was written, the good one included, and no lease taken.
		assertPending(t, s, "")
		if n := s.rdb.Exists(ctx, leaseKey(s, "good")).Val(); n != 0 || hasRecord(t, s, "good") {
			t.Fatalf("a rejected batch left %d keys behind", n)
		}
		if err := s.CancelAll(ctx, "good", ""); !errors.Is(err, ErrBadReminder) {
			t.Fatalf("CancelAll with an empty id = %v, want ErrBadReminder", err)
		}
	})
}

func TestScheduleAllWaitsForDelivery(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := bot.NewFakeClock(t0)
		rec := newRecorder()
		s := newTestScheduler(b, nil, rec, clock, nil)
		entered, release := make(chan struct{}), make(chan struct{})
		var ran atomic.Int32
		s.Handle("slow", func(ctx context.Context, r Reminder) error {
			ran.Add(1)
			close(entered)
			<-release
			return nil
		})
		if err := s.Schedule(ctx, Reminder{ID: "b", At: t0, Job: "slow"}); err != nil {
			t.Fatal(err)
		}
		delivered := make(chan error, 1)
		go func() {
			_, err := s.RunDue(ctx)
			delivered <- err
		}()
		<-entered // the delivery holds b's lease

		done := make(chan error, 1)
		go func() {
			done <- s.ScheduleAll(ctx,
				Reminder{ID: "a", At: t0.Add(time.Hour), Message: outgoing("a")},
				Reminder{ID: "b", At: t0.Add(2 * time.Hour), Message: outgoing("b")},
				Reminder{ID: "c", At: t0.Add(3 * time.Hour), Message: outgoing("c")},
			)
		}()
		// The free ones are written at once; b waits for its delivery.
		waitFor(t, 5*time.Second, "a and c scheduled", func() bool {
			return hasRecord(t, s, "a") && hasRecord(t, s, "c")
		})
		select {
		case err := <-done:
			t.Fatalf("ScheduleAll returned (%v) while a delivery held b", err)
		case <-time.After(50 * time.Millisecond):
		}
		close(release)
		if err := <-delivered; err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("ScheduleAll: %v", err)
		}
		got, err := s.Get(ctx, "b")
		if err != nil || !got.At.Equal(t0.Add(2*time.Hour)) || got.Job != "" || got.Message.Text != "b" {
			t.Fatalf("b after the batch = %+v, %v; want it moved", got, err)
		}
		assertPending(t, s, "", "a", "b", "c")
		if n := queued(t, s); n != 3 {
			t.Fatalf("queue holds %d, want 3", n)
		}
		clock.Set(t0.Add(3 * time.Hour))
		if n, err := s.RunDue(ctx); err != nil || n != 3 {
			t.Fatalf("RunDue = %d, %v; want 3", n, err)
		}
		if ran.Load() != 1 {
			t.Fatalf("job ran %d times, want 1", ran.Load())
		}
	})
}

func TestScheduleAllHeldLease(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newTestScheduler(b, nil, newRecorder(), bot.NewFakeClock(t0), nil)
		if err := s.Schedule(ctx, Reminder{ID: "b", At: t0.Add(time.Hour), Message: outgoing("b")}); err != nil {
			t.Fatal(err)
		}
		batch := []Reminder{
			{ID: "a", At: t0.Add(time.Hour), Message: outgoing("a")},
			{ID: "b", At: t0.Add(2 * time.Hour), Message: outgoing("b moved")},
			{ID: "c", At: t0.Add(3 * time.Hour), Message: outgoing("c")},
		}

		// Held briefly (another instance's lease, expiring): ScheduleAll
		// waits it out and moves b.
		if ok, err := s.rdb.SetNX(ctx, leaseKey(s, "b"), "other", 150*time.Millisecond).Result(); err != nil || !ok {
			t.Fatalf("SETNX lease = %v, %v", ok, err)
		}
		start := time.Now()
		if err := s.ScheduleAll(ctx, batch...); err != nil {
			t.Fatalf("ScheduleAll: %v", err)
		}
		if d := time.Since(start); d < 100*time.Millisecond {
			t.Fatalf("ScheduleAll took %v: it did not wait for the lease", d)
		}
		if got, err := s.Get(ctx, "b"); err != nil || got.Message.Text != "b moved" {
			t.Fatalf("b = %+v, %v; want it moved", got, err)
		}
		if n := queued(t, s); n != 3 {
			t.Fatalf("queue holds %d, want 3", n)
		}

		// Held for longer than Schedule waits: the others are written, b is
		// left as it was and the error says it is busy.
		if err := s.rdb.Set(ctx, leaseKey(s, "b"), "other", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		batch[0].At, batch[1].At, batch[2].At = t0.Add(4*time.Hour), t0.Add(5*time.Hour), t0.Add(6*time.Hour)
		batch[1].Message = outgoing("b again")
		if err := s.ScheduleAll(ctx, batch...); !errors.Is(err, store.ErrBusy) {
			t.Fatalf("ScheduleAll with b held = %v, want ErrBusy", err)
		}
		for id, want := range map[string]time.Time{"a": t0.Add(4 * time.Hour), "b": t0.Add(2 * time.Hour), "c": t0.Add(6 * time.Hour)} {
			if got, err := s.Get(ctx, id); err != nil || !got.At.Equal(want) {
				t.Fatalf("%s = %+v, %v; want At %v", id, got, err, want)
			}
		}
		if v := s.rdb.Get(ctx, leaseKey(s, "b")).Val(); v != "other" {
			t.Fatalf("b's lease = %q, want the holder's untouched", v)
		}
		if n := queued(t, s); n != 3 {
			t.Fatalf("queue holds %d, want 3", n)
		}
	})
}

func TestCancelAll(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := bot.NewFakeClock(t0)
		rec := newRecorder()
		s := newTestScheduler(b, nil, rec, clock, nil)
		if err := s.ScheduleAll(ctx,
			Reminder{ID: "a", At: t0.Add(time.Hour), Message: outgoing("a")},
			Reminder{ID: "b", Spec: "0 9 * * *", Message: outgoing("b")},
			Reminder{ID: "c", At: t0.Add(time.Hour), Message: outgoing("c")},
			Reminder{ID: "d", At: t0.Add(time.Hour), Message: outgoing("d")},
		); err != nil {
			t.Fatal(err)
		}
		if err := s.CancelAll(ctx); err != nil {
			t.Fatalf("CancelAll of nothing: %v", err)
		}
		if err := s.CancelAll(ctx, "a", "missing", "b"); err != nil {
			t.Fatalf("CancelAll: %v", err)
		}
		assertPending(t, s, "", "c", "d")
		if n := queued(t, s); n != 2 {
			t.Fatalf("queue holds %d, want 2", n)
		}
		if n := s.rdb.Exists(ctx, leaseKey(s, "a"), leaseKey(s, "b"), leaseKey(s, "missing")).Val(); n != 0 || hasRecord(t, s, "missing") {
			t.Fatalf("CancelAll left %d keys behind", n)
		}
		if err := s.CancelAll(ctx, "a", "b"); err != nil {
			t.Fatalf("CancelAll of cancelled ids = %v, want nil", err)
		}

		// A lease held for a moment (a delivery finishing) is waited out.
		if ok, err := s.rdb.SetNX(ctx, leaseKey(s, "c"), "other", 150*time.Millisecond).Result(); err != nil || !ok {
			t.Fatalf("SETNX lease = %v, %v", ok, err)
		}
		if err := s.CancelAll(ctx, "c", "missing"); err != nil {
			t.Fatalf("CancelAll with c's lease held: %v", err)
		}
		if _, err := s.Get(ctx, "c"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Get(c) after CancelAll = %v, want ErrNotFound", err)
		}
		assertPending(t, s, "", "d")

		clock.Set(t0.Add(2 * time.Hour))
		if n, err := s.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("RunDue = %d, %v; want 1 (d; b's 09:00 was cancelled)", n, err)
		}
		if got, want := rec.counts(), map[string]int{"d": 1}; !reflect.DeepEqual(got, want) {
			t.Fatalf("sent %v, want %v", got, want)
		}
	})
}

// roundTrips counts what a client sends to the server: each command and
// each pipeline (MULTI/EXEC or not) is one round trip.
type roundTrips struct {
	on atomic.Bool
	n  atomic.Int64
}

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if r.on.Load() && !metrics.Handshake(cmd) {
			r.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if r.on.Load() && (len(cmds) == 0 || !metrics.Handshake(cmds[0])) {
			r.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

// count returns how many round trips fn made.
func (r *roundTrips) count(fn func()) int64 {
	r.n.Store(0)
	r.on.Store(true)
	fn()
	r.on.Store(false)
	return r.n.Load()
}

func TestBatchRoundTrips(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		rdb := ownClient(t, b)
		var rt roundTrips
		rdb.AddHook(&rt)
		// Connections are set up (HELLO, CLIENT SETINFO, through the hooks)
		// outside the count: one for commands and, in go-redis 9.23, one
		// from a pool of its own for pipelines.
		if err := rdb.Ping(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error { p.Ping(ctx); return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Ping(ctx); return nil }); err != nil {
			t.Fatal(err)
		}
		s := newTestScheduler(b, rdb, newRecorder(), bot.NewFakeClock(t0), nil)
		two := []Reminder{
			{ID: "a", At: t0.Add(time.Hour), Message: outgoing("a")},
			{ID: "b", Spec: "0 9 * * *", Message: outgoing("b")},
		}
		check := func(what string, want int64, fn func() error) {
			t.Helper()
			var err error
			if got := rt.count(func() { err = fn() }); err != nil || got != want {
				t.Fatalf("%s: %d round trips, err %v; want %d, nil", what, got, err, want)
			}
		}
		// a and b are in different shards, whose MULTIs are two round
		// trips made at once.
		if ra, rb := reminders(s).AckKey("a"), reminders(s).AckKey("b"); ra == rb {
			t.Fatalf("a and b share a shard (%s); the counts below assume not", ra)
		}
		// The shards' MULTIs run at once, on connections of their own:
		// set them up outside the count too.
		if err := s.ScheduleAll(ctx, two...); err != nil {
			t.Fatal(err)
		}
		if err := s.CancelAll(ctx, "a", "b"); err != nil {
			t.Fatal(err)
		}
		check("ScheduleAll of 2 new", 4, func() error { return s.ScheduleAll(ctx, two...) })
		two[0].At = t0.Add(2 * time.Hour)
		check("ScheduleAll of 2 existing (one moved)", 4, func() error { return s.ScheduleAll(ctx, two...) })
		check("Schedule of 1", 3, func() error { return s.Schedule(ctx, two[0]) })
		// The missing one's lease is released in one more.
		check("CancelAll of 2 and a missing one", 5, func() error { return s.CancelAll(ctx, "a", "b", "missing") })
		assertPending(t, s, "")
	})
}
