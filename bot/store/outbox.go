package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/redis/go-redis/v9"
)

// The outbox (see bot.Outbox): per chat, a hash of the replies waiting to
// be sent, by an ID that sorts in sending order; per platform, a sorted set
// of the chats with replies waiting, by when they are due; per chat, a
// delivery lease. The served mark of the message that left the replies is
// under the same hash tag, so the mark and the replies are one MULTI.

var _ bot.Outbox = (*Store)(nil)

// keptReply is a reply as the outbox stores it.
type keptReply struct {
	Locale string       `json:"locale,omitempty"`
	Out    bot.Outgoing `json:"out"`
}

// FinishServed implements bot.Outbox. The writes the command held (see
// HoldWrites) are made in the same MULTI; when it fails, the error wraps
// bot.ErrNotSaved. What is written to one platform's outbox at the same
// moment, other messages' marks and ended deliveries, shares the MULTI (see
// groupCommit), each told the outcome of its own commands.
func (s *Store) FinishServed(ctx context.Context, msgKey, _, chatKey string, replies []bot.KeptReply) (string, bool, error) {
	held := heldIn(ctx).take()
	mark := func(p redis.Pipeliner) { p.Set(ctx, s.k.seen(msgKey), markDone, servedTTL) }
	if len(replies) == 0 {
		f := &batchedWrite{held: held, more: mark}
		s.writeOutbox(ctx, chatKey, f)
		return "", true, notSaved(held, f.err)
	}
	now := time.Now()
	fields := make([]any, 0, 2*len(replies))
	for i := range replies {
		// Microseconds since 1970, zero-padded, sort as numbers do; a
		// chat's messages are served one after another.
		replies[i].ID = fmt.Sprintf("%017d|%s|%03d", now.UnixMicro(), msgKey, i)
		data, err := json.Marshal(keptReply{Locale: replies[i].Locale, Out: replies[i].Out})
		if err != nil {
			// The command's writes are made; the message is not marked.
			return "", false, errors.Join(err, notSaved(held, s.makeWith(ctx, held, "", nil)))
		}
		fields = append(fields, replies[i].ID, data)
	}
	lease := newToken()
	var took *redis.BoolCmd
	var waiting *redis.IntCmd
	f := &batchedWrite{held: held, more: func(p redis.Pipeliner) {
		mark(p)
		p.HSet(ctx, s.k.outboxReplies(chatKey), fields...)
		p.ZAdd(ctx, s.k.outboxDue(platformOf(chatKey)), redis.Z{Score: float64(now.UnixMilli()), Member: chatKey})
		took = p.SetNX(ctx, s.k.outboxLease(chatKey), lease, bot.OutboxLease)
		waiting = p.HLen(ctx, s.k.outboxReplies(chatKey))
	}}
	s.writeOutbox(ctx, chatKey, f)
	if f.err != nil {
		return "", false, notSaved(held, f.err)
	}
	if !took.Val() {
		return "", false, nil
	}
	return lease, waiting.Val() == int64(len(replies)), nil
}

// writeOutbox makes f with whatever else of chatKey's platform's outbox is
// written at the same moment, in one MULTI (see groupCommit), and returns
// once it is made; f.err is the outcome of its own commands.
func (s *Store) writeOutbox(ctx context.Context, chatKey string, f *batchedWrite) {
	s.outboxWrites.of(platformOf(chatKey)).do(f, func(batch []*batchedWrite) {
		s.makeAll(context.WithoutCancel(ctx), batch)
	})
}

// notSaved marks err, the failure of the write that was to make held, as
// one that left the command's effects unsaved.
func notSaved(held []heldWrite, err error) error {
	if err == nil || len(held) == 0 {
		return err
	}
	return fmt.Errorf("%w: %w", bot.ErrNotSaved, err)
}

// DueOutboxes implements bot.Outbox.
func (s *Store) DueOutboxes(ctx context.Context, platform string, now time.Time, n int) ([]string, error) {
	return s.rdb.ZRangeByScore(ctx, s.k.outboxDue(platform), &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(n),
	}).Result()
}

// TakeOutbox implements bot.Outbox.
func (s *Store) TakeOutbox(ctx context.Context, chatKey string) (string, error) {
	lease := newToken()
	ok, err := s.rdb.SetNX(ctx, s.k.outboxLease(chatKey), lease, bot.OutboxLease).Result()
	if err != nil || !ok {
		return "", err
	}
	return lease, nil
}

// RenewOutbox implements bot.Outbox.
func (s *Store) RenewOutbox(ctx context.Context, chatKey, lease string) error {
	key := s.k.outboxLease(chatKey)
	v, err := s.rdb.Get(ctx, key).Result()
	switch {
	case err != nil && !errors.Is(err, redis.Nil):
		return err
	case v != lease:
		// Not taken again: it may have been given up by the last
		// removal (SentLast) a moment ago.
		return fmt.Errorf("lease on the outbox of %s lost", chatKey)
	}
	return s.rdb.PExpire(ctx, key, bot.OutboxLease).Err()
}

// ReleaseOutbox implements bot.Outbox.
func (s *Store) ReleaseOutbox(ctx context.Context, chatKey, lease string) error {
	key := s.k.outboxLease(chatKey)
	v, err := s.rdb.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) || (err == nil && v != lease) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.rdb.Del(ctx, key).Err()
}

// OutboxReplies implements bot.Outbox.
func (s *Store) OutboxReplies(ctx context.Context, chatKey string) ([]bot.KeptReply, error) {
	all, err := s.rdb.HGetAll(ctx, s.k.outboxReplies(chatKey)).Result()
	if err != nil {
		return nil, err
	}
	replies := make([]bot.KeptReply, 0, len(all))
	for id, data := range all {
		var kr keptReply
		if err := json.Unmarshal([]byte(data), &kr); err != nil {
			return nil, fmt.Errorf("outbox of %s: reply %s: %w", chatKey, id, err)
		}
		replies = append(replies, bot.KeptReply{ID: id, Locale: kr.Locale, Out: kr.Out})
	}
	slices.SortFunc(replies, func(a, b bot.KeptReply) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return replies, nil
}

// ReplaceReply implements bot.Outbox. The write goes with whatever else of
// the platform's outbox is written at the same moment (see groupCommit).
func (s *Store) ReplaceReply(ctx context.Context, chatKey string, r bot.KeptReply) error {
	data, err := json.Marshal(keptReply{Locale: r.Locale, Out: r.Out})
	if err != nil {
		return err
	}
	f := &batchedWrite{more: func(p redis.Pipeliner) { p.HSet(ctx, s.k.outboxReplies(chatKey), r.ID, data) }}
	s.writeOutbox(ctx, chatKey, f)
	return f.err
}

// SentReply implements bot.Outbox.
func (s *Store) SentReply(ctx context.Context, chatKey string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.rdb.HDel(ctx, s.k.outboxReplies(chatKey), ids...).Err()
}

// SentLast implements bot.Outbox. The chat leaves the due list in the same
// MULTI that counts what is left, and is put back if replies arrived
// meanwhile: FinishServed writes a reply and the due entry together, so
// none is left without one. The removal goes to the store with whatever
// else of the platform's outbox is being written at the same moment, served
// marks included (see groupCommit).
func (s *Store) SentLast(ctx context.Context, chatKey, lease string, ids ...string) (bool, error) {
	var left *redis.IntCmd
	r := &batchedWrite{more: func(p redis.Pipeliner) {
		replies := s.k.outboxReplies(chatKey)
		if len(ids) > 0 {
			p.HDel(ctx, replies, ids...)
		}
		p.ZRem(ctx, s.k.outboxDue(platformOf(chatKey)), chatKey)
		if lease != "" {
			p.Del(ctx, s.k.outboxLease(chatKey))
		}
		left = p.HLen(ctx, replies)
	}}
	s.writeOutbox(ctx, chatKey, r)
	if r.err != nil || left.Val() == 0 {
		return false, r.err
	}
	due := s.k.outboxDue(platformOf(chatKey))
	if err := s.rdb.ZAdd(ctx, due, redis.Z{Score: float64(time.Now().UnixMilli()), Member: chatKey}).Err(); err != nil {
		return false, err
	}
	if lease == "" {
		return true, nil
	}
	return s.rdb.SetNX(ctx, s.k.outboxLease(chatKey), lease, bot.OutboxLease).Result()
}

// PostponeOutbox implements bot.Outbox.
func (s *Store) PostponeOutbox(ctx context.Context, chatKey string, until time.Time) error {
	return s.rdb.ZAdd(ctx, s.k.outboxDue(platformOf(chatKey)), redis.Z{Score: float64(until.UnixMilli()), Member: chatKey}).Err()
}
