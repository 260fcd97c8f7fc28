package store

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
)

// Identity is everything a command needs to know about who is speaking and
// where: the chat, the person, their station and their record in it.
type Identity struct {
	Chat    *ChatRecord
	User    *UserRecord
	Station *Station // nil when neither the chat nor the person has a station
	Member  *Member  // nil when Station is nil
}

// Identify looks up the chat and the sender of a message in two round trips:
// one for the chat and the person, one for the station and the membership.
// A group's station comes from the group; a private chat speaks for the
// station the person last bound to.
func (s *Store) Identify(ctx context.Context, chat bot.Chat, user bot.User) (*Identity, error) {
	var chatCmd, userCmd *redis.MapStringStringCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		chatCmd = p.HGetAll(ctx, s.k.chat(chat.Key()))
		userCmd = p.HGetAll(ctx, s.k.user(user.Key()))
		return nil
	}); err != nil {
		return nil, err
	}
	c, u := chatCmd.Val(), userCmd.Val()
	id := &Identity{
		Chat: &ChatRecord{Key: chat.Key(), Station: atoi(c["station"]), Office: OfficeLevel(c["office"]),
			Title: c["title"], Locale: c["locale"]},
		User: &UserRecord{Station: atoi(u["station"]), Locale: u["locale"]},
	}
	st := id.Chat.Station
	if chat.Kind == bot.Private {
		st = id.User.Station
	}
	if st == 0 {
		return id, nil
	}
	var infoCmd, memberCmd *redis.MapStringStringCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		infoCmd = p.HGetAll(ctx, s.k.stationInfo(st))
		memberCmd = p.HGetAll(ctx, s.k.member(st, user.Key()))
		return nil
	}); err != nil {
		return nil, err
	}
	if len(infoCmd.Val()) == 0 {
		return id, nil
	}
	id.Station = stationFromHash(st, infoCmd.Val())
	id.Member = memberFromHash(st, user, memberCmd.Val())
	return id, nil
}
