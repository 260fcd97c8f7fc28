package store

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
)

// pendingMark holds a message's made key between taking a number and
// writing the record.
const pendingMark = "pending"

// numbered gives a new record of station st the next number of its kind
// (problems, polls, meetings, notices) and writes it with write in one
// MULTI. The message being served (bot.MessageKey) is remembered with the
// number, so when a command that failed halfway (a reminder not scheduled)
// is served again, it finds the record it made (existed) instead of making
// a second one, and can finish the rest. It costs the same two round trips
// as taking the number and writing the record; the first goes with the
// other messages' claims and reads of the moment (pipelinedTogether). A
// number is skipped only when a process dies between the two, or when a
// message whose record exists is served again.
func (s *Store) numbered(ctx context.Context, st int64, kind, seq string, write func(p redis.Pipeliner, n int64)) (n int64, existed bool, err error) {
	made := ""
	if msg := bot.MessageKey(ctx); msg != "" {
		made = s.k.made(st, kind, msg)
	}
	var first *redis.BoolCmd
	var next *redis.IntCmd
	s.pipelinedTogether(ctx, func(p redis.Pipeliner) {
		if made != "" {
			first = p.SetNX(ctx, made, pendingMark, servedTTL)
		}
		next = p.Incr(ctx, seq)
	})
	if first != nil && first.Err() != nil {
		return 0, false, first.Err()
	}
	if err := next.Err(); err != nil {
		return 0, false, err
	}
	if first != nil && !first.Val() {
		v, err := s.rdb.Get(ctx, made).Result()
		if err != nil {
			return 0, false, err
		}
		if v != pendingMark {
			return atoi(v), true, nil
		}
		// The first try died before writing its record: write it now.
	}
	n = next.Val()
	err = s.writeLast(ctx, seq, nil, func(p redis.Pipeliner) error {
		if made != "" {
			p.Set(ctx, made, n, servedTTL)
		}
		write(p, n)
		return nil
	})
	return n, false, err
}
