package scheduler

import (
	"context"
	"fmt"
	"reflect"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot/store"
)

// ScheduleAll schedules several reminders in three round trips in all (take
// their leases, read what they replace, write them), where Schedule takes
// three each. A reminder whose lease is held by a delivery in progress is
// scheduled on its own afterwards, waiting as Schedule does.
func (s *Scheduler) ScheduleAll(ctx context.Context, rs ...Reminder) error {
	now := s.clock.Now()
	ids := make([]string, len(rs))
	recs := make([]*record, len(rs))
	for i, r := range rs {
		at, err := firstFire(r, now)
		if err != nil {
			return err
		}
		ids[i], recs[i] = r.ID, newRecord(r, at, now)
	}
	held, busy, token, err := s.leaseAll(ctx, ids)
	if err != nil {
		return err
	}
	if len(held) > 0 {
		heldIDs, heldRecs := pick(ids, held), pick(recs, held)
		old, err := s.q.Records(ctx, heldIDs)
		if err == nil {
			err = s.q.Put(ctx, now.UnixMilli(), heldRecs, old)
		}
		if err != nil {
			_ = s.q.Release(context.WithoutCancel(ctx), heldIDs, token, true)
			return fmt.Errorf("schedule reminders: %w", err)
		}
		for _, r := range heldRecs {
			s.poke(timeOfMs(r.DueMs), now)
		}
	}
	for _, i := range busy {
		if err := s.Schedule(ctx, rs[i]); err != nil {
			return err
		}
	}
	return nil
}

// ScheduleNew schedules reminders the caller knows to be new: their IDs
// name what the caller has just made (a problem under a number it has just
// taken), so no other instance schedules or delivers them yet. It takes no
// lease and reads no earlier record; while a message is served with its
// writes held, the reminders are written with its served mark, so the
// record and its reminders are made together or not at all.
func (s *Scheduler) ScheduleNew(ctx context.Context, rs ...Reminder) error {
	now := s.clock.Now()
	recs := make([]*record, len(rs))
	for i, r := range rs {
		at, err := firstFire(r, now)
		if err != nil {
			return err
		}
		recs[i] = newRecord(r, at, now)
	}
	if err := s.q.PutNew(ctx, now.UnixMilli(), recs); err != nil {
		return fmt.Errorf("schedule reminders: %w", err)
	}
	for _, r := range recs {
		s.poke(timeOfMs(r.DueMs), now)
	}
	return nil
}

// Ahead is the scheduling of reminders whose earlier records are read ahead,
// in the round trip of a caller's own reads (ReadAhead): for a command that
// takes the lease every scheduler of these reminders holds (a day of the
// rota), reads under it what it needs, and only then knows whether they are
// to be scheduled.
type Ahead struct {
	s   *Scheduler
	rs  []Reminder
	old func() ([]*store.ReminderRecord, error)
}

// ReadAhead returns the scheduling of rs, whose records Read queues.
func (s *Scheduler) ReadAhead(rs ...Reminder) *Ahead { return &Ahead{s: s, rs: rs} }

// Read queues the reads of the reminders' records in p, which the caller
// runs before Schedule.
func (a *Ahead) Read(ctx context.Context, p redis.Pipeliner) {
	ids := make([]string, len(a.rs))
	for i, r := range a.rs {
		ids[i] = r.ID
	}
	a.old = a.s.q.RecordsIn(ctx, p, ids)
}

// Schedule schedules the reminders, read ahead under a lease the caller
// still holds: one with no record is new, written with no round trip of
// its own while the message's writes are held (see ScheduleNew); one
// pending as it is wanted is left alone; one pending otherwise is replaced
// as ScheduleAll does.
func (a *Ahead) Schedule(ctx context.Context) error {
	if a.old == nil {
		return a.s.ScheduleAll(ctx, a.rs...)
	}
	old, err := a.old()
	if err != nil {
		return err
	}
	now := a.s.clock.Now()
	var fresh, changed []Reminder
	for i, r := range a.rs {
		switch at, err := firstFire(r, now); {
		case err != nil:
			return err
		case old[i] == nil:
			fresh = append(fresh, r)
		case !sameRecord(old[i], newRecord(r, at, now)):
			changed = append(changed, r)
		}
	}
	if len(fresh) > 0 {
		if err := a.s.ScheduleNew(ctx, fresh...); err != nil {
			return err
		}
	}
	if len(changed) > 0 {
		return a.s.ScheduleAll(ctx, changed...)
	}
	return nil
}

// sameRecord reports whether the pending reminder old is want, apart from
// when either was written and a retry's later due time.
func sameRecord(old, want *record) bool {
	return old.AtMs == want.AtMs && old.Spec == want.Spec &&
		old.StaleAfterMs == want.StaleAfterMs && old.Job == want.Job && old.Payload == want.Payload &&
		reflect.DeepEqual(old.Message, want.Message)
}

// CancelAll cancels the reminders with ids that exist, in three round trips
// in all; ids with no reminder are skipped without error.
func (s *Scheduler) CancelAll(ctx context.Context, ids ...string) error {
	for _, id := range ids {
		if err := validID(id); err != nil {
			return err
		}
	}
	held, busy, token, err := s.leaseAll(ctx, ids)
	if err != nil {
		return err
	}
	if len(held) > 0 {
		heldIDs := pick(ids, held)
		old, err := s.q.Records(ctx, heldIDs)
		if err == nil {
			err = s.q.Remove(ctx, old)
		}
		if err == nil {
			// Ids with no record kept their leases: Remove saw nothing.
			var none []string
			for j, r := range old {
				if r == nil {
					none = append(none, heldIDs[j])
				}
			}
			err = s.q.Release(ctx, none, token, false)
		}
		if err != nil {
			_ = s.q.Release(context.WithoutCancel(ctx), heldIDs, token, true)
			return fmt.Errorf("cancel reminders: %w", err)
		}
	}
	for _, i := range busy {
		if err := s.Cancel(ctx, ids[i]); err != nil && !isNotFound(err) {
			return err
		}
	}
	return nil
}

// leaseAll tries to take the lease of every id in one round trip and returns
// the indexes it holds and those another delivery holds.
func (s *Scheduler) leaseAll(ctx context.Context, ids []string) (held, busy []int, token string, err error) {
	token = newToken()
	got, err := s.q.Lease(ctx, ids, token, s.leaseTTL)
	if err != nil {
		return nil, nil, "", err
	}
	for i, ok := range got {
		if ok {
			held = append(held, i)
		} else {
			busy = append(busy, i)
		}
	}
	return held, busy, token, nil
}

// pick returns xs at the indexes idx.
func pick[T any](xs []T, idx []int) []T {
	out := make([]T, len(idx))
	for j, i := range idx {
		out[j] = xs[i]
	}
	return out
}
