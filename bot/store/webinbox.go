package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
)

// A household that acts from the web page with its code has no chat to be
// written to: what the bot says to its web person (the household told of a
// change, a reminder, a join request) is kept in the household's inbox and
// shown on its page, to every phone that uses the code. The inbox keeps the
// newest MaxWebMessages for WebInboxFor.

const (
	// MaxWebMessages is how many messages a household's web inbox keeps.
	MaxWebMessages = 50
	// WebInboxFor is how long an inbox is kept after its last message.
	WebInboxFor = 90 * 24 * time.Hour
)

// WebMessage is one message in a household's web inbox.
type WebMessage struct {
	Text string    `json:"t"`
	At   time.Time `json:"-"`
	AtMS int64     `json:"at"`
}

// webInboxKey is the inbox of the household web user u acts for.
func (s *Store) webInboxKey(u bot.User) (string, error) {
	st, roomKey, _, ok := parseWebUserID(u.ID)
	if u.Platform != WebPlatform || !ok {
		return "", fmt.Errorf("%w: not a web user: %s", ErrNotFound, u.Key())
	}
	return s.k.webInbox(st, roomKey), nil
}

// AddWebMessage keeps text, said at now to the web user u, in its
// household's inbox.
func (s *Store) AddWebMessage(ctx context.Context, u bot.User, text string, now time.Time) error {
	key, err := s.webInboxKey(u)
	if err != nil {
		return err
	}
	b, err := json.Marshal(WebMessage{Text: text, AtMS: now.UnixMilli()})
	if err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, key, b)
		p.LTrim(ctx, key, 0, MaxWebMessages-1)
		p.Expire(ctx, key, WebInboxFor)
		return nil
	})
	return err
}

// WebMessages returns the messages in the inbox of u's household, newest
// first.
func (s *Store) WebMessages(ctx context.Context, u bot.User) ([]WebMessage, error) {
	key, err := s.webInboxKey(u)
	if err != nil {
		return nil, err
	}
	raw, err := s.rdb.LRange(ctx, key, 0, MaxWebMessages-1).Result()
	if err != nil {
		return nil, err
	}
	out := make([]WebMessage, 0, len(raw))
	for _, r := range raw {
		var m WebMessage
		if json.Unmarshal([]byte(r), &m) == nil {
			m.At = time.UnixMilli(m.AtMS)
			out = append(out, m)
		}
	}
	return out, nil
}
