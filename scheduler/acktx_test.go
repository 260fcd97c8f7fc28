package scheduler

import (
	"context"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// TestAckRunsThroughAckTx: each delivered occurrence is acknowledged by one
// MULTI through the TxFunc given with WithAckTx (the store's, which waits
// for replicas on Sentinel and Cluster), keyed by the due queue.
func TestAckRunsThroughAckTx(t *testing.T) {
	b := storetest.Miniredis(t)
	var mu sync.Mutex
	var keys []string
	tx := func(ctx context.Context, key string, fn func(redis.Pipeliner) error) ([]redis.Cmder, error) {
		mu.Lock()
		keys = append(keys, key)
		mu.Unlock()
		return b.Client.TxPipelined(ctx, fn)
	}
	rec := newRecorder()
	s := newTestScheduler(b, nil, rec, bot.NewFakeClock(t0), nil, WithAckTx(tx))
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		if err := s.Schedule(ctx, Reminder{ID: id, At: t0, Message: outgoing(id)}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.RunDue(ctx); err != nil || n != 2 {
		t.Fatalf("RunDue = %d, %v; want 2", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	// One MULTI per shard: a and b are in different shards.
	want := map[string]bool{reminders(s).AckKey("a"): true, reminders(s).AckKey("b"): true}
	if len(keys) != len(want) || !want[keys[0]] || !want[keys[len(keys)-1]] {
		t.Errorf("acks through WithAckTx keyed %v, want each reminder's shard once: %v", keys, want)
	}
	if rec.total() != 2 {
		t.Errorf("%d sent, want 2", rec.total())
	}
}
