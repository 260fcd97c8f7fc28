package scheduler

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot/store"
)

// Queue is the storage the scheduler keeps reminders in; store.Reminders is
// the one huzhu uses. The scheduler decides what to deliver, when an
// occurrence is stale and how a recurring reminder catches up; the Queue
// keeps records, finds what is due and changes many reminders per round
// trip. Leases taken by Lease or Claim are released by Put, Remove, Ack
// and Requeue in the same MULTI as their change.
type Queue interface {
	// Lease tries to take the lease of each of ids and reports which.
	Lease(ctx context.Context, ids []string, token string, ttl time.Duration) ([]bool, error)
	// Release gives leases back; verify deletes only those still holding
	// token.
	Release(ctx context.Context, ids []string, token string, verify bool) error
	// LeaseHeld reports which of ids' leases still hold token.
	LeaseHeld(ctx context.Context, ids []string, token string) ([]bool, error)
	// Records reads reminders' records; a missing one is nil.
	Records(ctx context.Context, ids []string) ([]*store.ReminderRecord, error)
	// RecordsIn queues the same reads in p, a pipeline the caller runs;
	// what it returns gives the records once p has run.
	RecordsIn(ctx context.Context, p redis.Pipeliner, ids []string) func() ([]*store.ReminderRecord, error)
	// Put writes and queues recs, replacing old (nil: none).
	Put(ctx context.Context, nowMs int64, recs, old []*store.ReminderRecord) error
	// PutNew writes and queues recs that are new, without leases.
	PutNew(ctx context.Context, nowMs int64, recs []*store.ReminderRecord) error
	// Remove deletes reminders and their pending occurrences.
	Remove(ctx context.Context, old []*store.ReminderRecord) error
	// Due reads up to limit occurrences per shard due by nowMs, past
	// skip's counts, and the earliest due time after nowMs up to untilMs.
	Due(ctx context.Context, nowMs, untilMs int64, limit int, skip map[int64]int) ([]store.DueReminder, int64, error)
	// SkipKey is d's key in Due's skip.
	SkipKey(d store.DueReminder) int64
	// Claim leases due occurrences and reads their state after the lease.
	Claim(ctx context.Context, due []store.DueReminder, nowMs int64, token string, ttl time.Duration) ([]store.Claimed, error)
	// Ack finishes claimed occurrences, one MULTI through tx per shard.
	Ack(ctx context.Context, tx store.TxFunc, nowMs int64, acks []store.ReminderAck) error
	// AckKey is the key Ack hands tx for id's shard.
	AckKey(id string) string
	// MarkDone marks an occurrence delivered outside an ack.
	MarkDone(ctx context.Context, nowMs int64, id string, firedMs int64) error
	// Requeue puts a claimed occurrence back for retryMs.
	Requeue(ctx context.Context, nowMs int64, d store.DueReminder, rec *store.ReminderRecord, retryMs int64) error
	// RecordFailure counts a failed delivery and returns the count.
	RecordFailure(ctx context.Context, id, member, errText string, reached []string) (int, error)
	// Failures returns the failed deliveries of an occurrence.
	Failures(ctx context.Context, id, member string) (int, string, error)
	// Reached returns whom earlier tries of an occurrence reached.
	Reached(ctx context.Context, id, member string) ([]string, error)
	// KeepDead and Dead keep and read the dead letters.
	KeepDead(ctx context.Context, data []byte, maxKept int) error
	Dead(ctx context.Context, maxRead int) ([]string, error)
	// Pending returns the queued reminders whose ID starts with prefix,
	// soonest first.
	Pending(ctx context.Context, prefix string) ([]*store.ReminderRecord, error)
	// NextDue returns the earliest due time queued.
	NextDue(ctx context.Context) (int64, bool, error)
	// Migrate moves what an older layout left, once at start.
	Migrate(ctx context.Context, nowMs int64, token string, ttl time.Duration) (int, error)
}

var _ Queue = (*store.Reminders)(nil)
