package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
)

// This file keeps what chat adapters learn about a platform's chats and
// people: a group that moved to a new id, a chat that refused the bot, and
// the user a handle names. *Store implements the adapters' record
// interfaces (telegram.Records) with these methods.

// MigrateChat moves everything bound to the chat from onto the chat to:
// Telegram gives a group a new id when it becomes a supergroup, and the
// station, its locale and its office links must follow. The chat record,
// the station's chat set entry and the office links move; problems keep the
// key of the chat they were reported in, and the adapter sends what is
// addressed there to the new chat.
//
// It is idempotent: Telegram reports one migration twice (in the old group
// and in the new one), and from with nothing bound is no error. The new
// records are written before the old ones are removed, so a crash half-way
// leaves both chats bound and the next call finishes the move. It returns an
// error wrapping ErrChatTaken when to already belongs to another station.
func (s *Store) MigrateChat(ctx context.Context, from, to bot.Chat) error {
	return s.withLease(ctx, s.k.chatLease(from.Key()), func() error {
		return s.withLease(ctx, s.k.chatLease(to.Key()), func() error {
			return s.migrateChat(ctx, from, to)
		})
	})
}

func (s *Store) migrateChat(ctx context.Context, from, to bot.Chat) error {
	old, err := s.rdb.HGetAll(ctx, s.k.chat(from.Key())).Result()
	if err != nil {
		return err
	}
	if len(old) == 0 {
		return nil
	}
	dst, err := s.Chat(ctx, to.Key())
	if err != nil {
		return err
	}
	st := atoi(old["station"])
	if dst.Station != 0 && dst.Station != st {
		return fmt.Errorf("%w (station %d): moving %s to %s", ErrChatTaken, dst.Station, from.Key(), to.Key())
	}

	fields := make([]any, 0, 2*len(old)+2)
	for f, v := range old {
		fields = append(fields, f, v)
	}
	if to.Title != "" {
		fields = append(fields, "title", to.Title)
	}
	if err := s.rdb.HSet(ctx, s.k.chat(to.Key()), fields...).Err(); err != nil {
		return err
	}
	if st != 0 {
		if _, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.SAdd(ctx, s.k.stationChats(st), to.Key())
			p.SRem(ctx, s.k.stationChats(st), from.Key())
			return nil
		}); err != nil {
			return err
		}
	}
	if level := old["office"]; level != "" {
		if err := s.moveOffice(ctx, from, to, OfficeLevel(level)); err != nil {
			return err
		}
	}
	return s.rdb.Del(ctx, s.k.chat(from.Key())).Err()
}

// moveOffice points every station the office group from serves at to, and
// moves the office's own records.
func (s *Store) moveOffice(ctx context.Context, from, to bot.Chat, level OfficeLevel) error {
	served, err := s.rdb.SMembers(ctx, s.k.officeStations(from.Key())).Result()
	if err != nil {
		return err
	}
	if len(served) > 0 {
		members := make([]any, len(served))
		for i, v := range served {
			members[i] = v
		}
		if err := s.rdb.SAdd(ctx, s.k.officeStations(to.Key()), members...).Err(); err != nil {
			return err
		}
	}
	field := "office_" + string(level)
	for _, v := range served {
		st := atoi(v)
		cur, err := s.rdb.HGet(ctx, s.k.stationInfo(st), field).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		if cur == from.Key() {
			if err := s.rdb.HSet(ctx, s.k.stationInfo(st), field, to.Key()).Err(); err != nil {
				return err
			}
		}
	}
	// The office's own settings and its stations' prefixes go with it, so
	// 清川-12 names the same problem after the move.
	info, err := s.rdb.HGetAll(ctx, s.k.officeInfo(from.Key())).Result()
	if err != nil {
		return err
	}
	if len(info) > 0 {
		fields := make([]any, 0, 2*len(info))
		for f, v := range info {
			fields = append(fields, f, v)
		}
		if err := s.rdb.HSet(ctx, s.k.officeInfo(to.Key()), fields...).Err(); err != nil {
			return err
		}
	}
	return s.rdb.Del(ctx, s.k.officeStations(from.Key()), s.k.officeInfo(from.Key())).Err()
}

// reachTTL is how long a chat's reachability is remembered after it was
// last recorded. Forgetting is safe: an adapter tries a chat it knows
// nothing about, and records the answer again.
const reachTTL = 90 * 24 * time.Hour

// SetReachable records whether the chat chatKey can be sent to: false after
// the platform refused (the bot was removed, the person blocked it or never
// started it), true once the chat writes to the bot again.
func (s *Store) SetReachable(ctx context.Context, chatKey string, ok bool) error {
	v := "0"
	if ok {
		v = "1"
	}
	return s.rdb.Set(ctx, s.k.reach(chatKey), v, reachTTL).Err()
}

// Reachable returns what SetReachable last recorded for chatKey; known is
// false when nothing was.
func (s *Store) Reachable(ctx context.Context, chatKey string) (ok, known bool, err error) {
	v, err := s.rdb.Get(ctx, s.k.reach(chatKey)).Result()
	if errors.Is(err, redis.Nil) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	return v == "1", true, nil
}

// handleTTL is how long a handle is remembered after it was last seen.
// People change handles, and a freed handle can be taken by someone else, so
// an old answer must not live for ever.
const handleTTL = 90 * 24 * time.Hour

// RememberHandle records that handle (a Telegram @username, without the @)
// names u on u's platform. Handles are matched without regard to case.
func (s *Store) RememberHandle(ctx context.Context, handle string, u bot.User) error {
	key := s.k.handle(u.Platform, strings.ToLower(handle))
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, "id", u.ID, "name", u.Name)
		p.Expire(ctx, key, handleTTL)
		return nil
	})
	return err
}

// UserByHandle returns the user handle last named on platform; ok is false
// when the handle was never seen (or not for handleTTL).
func (s *Store) UserByHandle(ctx context.Context, platform, handle string) (u bot.User, ok bool, err error) {
	h, err := s.rdb.HGetAll(ctx, s.k.handle(platform, strings.ToLower(handle))).Result()
	if err != nil || h["id"] == "" {
		return bot.User{}, false, err
	}
	return bot.User{Platform: platform, ID: h["id"], Name: h["name"]}, true, nil
}
