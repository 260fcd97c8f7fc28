package store

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/numerals"
)

// JoinRequest is a person asking to be bound to a household that already has
// members. Until a member of the household, its building leader or the
// station's staff confirms it, the person is not a member of the household.
type JoinRequest struct {
	Station int64
	N       int64
	UserKey string
	Name    string
	Room    numerals.Room
	Created time.Time
}

// joinTTL is how long an unanswered request waits before it lapses.
const joinTTL = 30 * 24 * time.Hour

// RequestJoin records user's request to join the household room in station
// st and returns it numbered. The room must be one the station accepts (see
// BindRoom). Asking again while a request for the same room waits returns
// that request with fresh false, so the household is not asked twice.
func (s *Store) RequestJoin(ctx context.Context, st int64, user bot.User, room numerals.Room, now time.Time) (req *JoinRequest, fresh bool, err error) {
	pendingField := user.Key() + " " + room.Key()
	if n, err := s.rdb.HGet(ctx, s.k.joinsPending(st), pendingField).Int64(); err == nil {
		if req, err := s.JoinRequest(ctx, st, n); err == nil {
			return req, false, nil
		}
	} else if !errors.Is(err, redis.Nil) {
		return nil, false, err
	}
	var check roomCheck
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		check = s.queueRoomCheck(ctx, p, st, room)
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, false, err
	}
	if _, err := check.allowed(); err != nil {
		return nil, false, err
	}
	n, err := s.rdb.Incr(ctx, s.k.joinSeq(st)).Result()
	if err != nil {
		return nil, false, err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.k.join(st, n), "user", user.Key(), "name", user.Name, "room", room.Key(), "created", ms(now))
		p.Expire(ctx, s.k.join(st, n), joinTTL)
		p.HSet(ctx, s.k.joinsPending(st), pendingField, n)
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return &JoinRequest{Station: st, N: n, UserKey: user.Key(), Name: user.Name, Room: room, Created: now}, true, nil
}

// JoinRequest returns request n of station st, ErrNotFound when there is no
// such request waiting (it was answered, lapsed or never made).
func (s *Store) JoinRequest(ctx context.Context, st, n int64) (*JoinRequest, error) {
	h, err := s.rdb.HGetAll(ctx, s.k.join(st, n)).Result()
	if err != nil {
		return nil, err
	}
	if len(h) == 0 {
		return nil, ErrNotFound
	}
	room, err := numerals.ParseRoom(h["room"])
	if err != nil {
		return nil, errors.Join(ErrNotFound, err)
	}
	return &JoinRequest{Station: st, N: n, UserKey: h["user"], Name: h["name"], Room: room,
		Created: fromMS(h["created"])}, nil
}

// DropJoinRequest removes request n of station st, answered either way. It
// reports false when the request was no longer waiting, so that two people
// answering it at once do not both act on it.
func (s *Store) DropJoinRequest(ctx context.Context, st, n int64) (bool, error) {
	req, err := s.JoinRequest(ctx, st, n)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var del *redis.IntCmd
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		del = p.Del(ctx, s.k.join(st, n))
		p.HDel(ctx, s.k.joinsPending(st), req.UserKey+" "+req.Room.Key())
		return nil
	})
	return err == nil && del.Val() == 1, err
}
