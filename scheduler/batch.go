package scheduler

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// ScheduleAll schedules several reminders in three round trips in all (take
// their leases, read what they replace, write them), where Schedule takes
// three each. A reminder whose lease is held by a delivery in progress is
// scheduled on its own afterwards, waiting as Schedule does.
func (s *Scheduler) ScheduleAll(ctx context.Context, rs ...Reminder) error {
	now := s.clock.Now()
	ids := make([]string, len(rs))
	members := make([]string, len(rs))
	scores := make([]float64, len(rs))
	data := make([][]byte, len(rs))
	for i, r := range rs {
		at, err := firstFire(r, now)
		if err != nil {
			return err
		}
		ids[i], members[i], scores[i] = r.ID, occurrence(r.ID, at), float64(at.UnixMilli())
		if data[i], err = json.Marshal(newRecord(r, members[i], at, now)); err != nil {
			return fmt.Errorf("encode reminder %q: %w", r.ID, err)
		}
	}
	held, busy, token, err := s.leaseAll(ctx, ids)
	if err != nil {
		return err
	}
	if len(held) > 0 {
		old, err := s.recordsOf(ctx, ids, held)
		if err == nil {
			_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
				for j, i := range held {
					if old[j] != nil && old[j].Member != members[i] {
						p.ZRem(ctx, s.k.due(), old[j].Member)
					}
					p.ZAdd(ctx, s.k.due(), redis.Z{Score: scores[i], Member: members[i]})
					p.Set(ctx, s.k.reminder(ids[i]), data[i], 0)
					p.Del(ctx, s.k.lease(ids[i]))
				}
				return nil
			})
		}
		if err != nil {
			s.releaseAll(context.WithoutCancel(ctx), ids, held, token)
			return fmt.Errorf("schedule reminders: %w", err)
		}
	}
	for _, i := range busy {
		if err := s.Schedule(ctx, rs[i]); err != nil {
			return err
		}
	}
	return nil
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
		old, err := s.recordsOf(ctx, ids, held)
		if err == nil {
			_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
				for j, i := range held {
					if old[j] != nil {
						p.ZRem(ctx, s.k.due(), old[j].Member)
					}
					p.Del(ctx, s.k.reminder(ids[i]), s.k.lease(ids[i]))
				}
				return nil
			})
		}
		if err != nil {
			s.releaseAll(context.WithoutCancel(ctx), ids, held, token)
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
	cmds := make([]*redis.BoolCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.SetNX(ctx, s.k.lease(id), token, s.leaseTTL)
		}
		return nil
	})
	if err != nil {
		return nil, nil, "", fmt.Errorf("lease reminders: %w", err)
	}
	for i, c := range cmds {
		if c.Val() {
			held = append(held, i)
		} else {
			busy = append(busy, i)
		}
	}
	return held, busy, token, nil
}

// recordsOf reads the records of ids[held...] in one round trip; a missing
// record is nil.
func (s *Scheduler) recordsOf(ctx context.Context, ids []string, held []int) ([]*record, error) {
	keys := make([]string, len(held))
	for j, i := range held {
		keys[j] = s.k.reminder(ids[i])
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, err
	}
	out := make([]*record, len(vals))
	for j, v := range vals {
		if str, ok := v.(string); ok {
			if out[j], err = decodeRecord(str); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// releaseAll gives back the leases taken by leaseAll.
func (s *Scheduler) releaseAll(ctx context.Context, ids []string, held []int, token string) {
	for _, i := range held {
		if v, err := s.rdb.Get(ctx, s.k.lease(ids[i])).Result(); err == nil && v == token {
			s.rdb.Del(ctx, s.k.lease(ids[i]))
		}
	}
}
