package scheduler

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// benchBackends runs fn on redka and, when one can be had, a real Redis.
// Each run gets its own key prefix, since the testing package calls fn
// several times with growing b.N on one server.
func benchBackends(b *testing.B, fn func(b *testing.B, s func(send bot.Sender, clock bot.Clock) *Scheduler)) {
	backends := []storetest.Backend{storetest.Redka(b)}
	if r, ok := storetest.RealRedis(b); ok {
		backends = append(backends, r)
	}
	for _, be := range backends {
		var run atomic.Int64
		b.Run(be.Name, func(b *testing.B) {
			prefix := be.Prefix + strconv.FormatInt(run.Add(1), 10) + ":"
			fn(b, func(send bot.Sender, clock bot.Clock) *Scheduler {
				return New(be.Client, send, clock, nil, WithKeyPrefix(prefix))
			})
		})
	}
}

// BenchmarkEnqueue measures Schedule of a new one-off reminder.
func BenchmarkEnqueue(b *testing.B) {
	benchBackends(b, func(b *testing.B, newScheduler func(bot.Sender, bot.Clock) *Scheduler) {
		ctx := context.Background()
		s := newScheduler(newRecorder(), bot.NewFakeClock(t0))
		for i := 0; b.Loop(); i++ {
			id := "bench:" + strconv.Itoa(i)
			if err := s.Schedule(ctx, Reminder{ID: id, At: t0.Add(time.Hour), Message: outgoing(id)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDeliver measures one instance claiming, sending and acking due
// reminders, a third of them recurring.
func BenchmarkDeliver(b *testing.B) {
	benchBackends(b, func(b *testing.B, newScheduler func(bot.Sender, bot.Clock) *Scheduler) {
		ctx := context.Background()
		var sent atomic.Int64
		send := bot.SenderFunc(func(context.Context, bot.Outgoing) error {
			sent.Add(1)
			return nil
		})
		s := newScheduler(send, bot.NewFakeClock(t0))
		for i := range b.N {
			id := "bench:" + strconv.Itoa(i)
			r := Reminder{ID: id, At: t0.Add(-time.Duration(i) * time.Millisecond), Message: outgoing(id)}
			if i%3 == 0 {
				r.Spec = "0 9 * * *"
			}
			if err := s.Schedule(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		for sent.Load() < int64(b.N) {
			if _, err := s.RunDue(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if got := sent.Load(); got != int64(b.N) {
			b.Fatalf("sent %d, want %d", got, b.N)
		}
	})
}
