package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
)

// Kept private messages: what could not be delivered to a person privately
// waits in a list of their own until they write to the bot. The list lives
// for KeptFor after the last message was added and holds at most MaxKept
// messages, the newest; both bound what a person who never comes back
// costs.
const (
	KeptFor = 30 * 24 * time.Hour
	MaxKept = 100
)

// keptMessage is the stored form of a kept bot.Outgoing: only what a private
// message needs to be sent again.
type keptMessage struct {
	Platform string         `json:"p"`
	ID       string         `json:"c"`
	Name     string         `json:"n,omitempty"`
	Text     string         `json:"t"`
	Buttons  [][]bot.Button `json:"b,omitempty"`
}

// Keep stores out, a private message that could not be delivered, for the
// person it is addressed to, and returns how many messages wait for them. It
// implements bot.Keeper.
func (s *Store) Keep(ctx context.Context, out bot.Outgoing) (int, error) {
	km := keptMessage{Platform: out.Chat.Platform, ID: out.Chat.ID, Text: out.Text, Buttons: out.Buttons}
	for _, u := range out.Mentions {
		if u.Platform == out.Chat.Platform && u.ID == out.Chat.ID {
			km.Name = u.Name
		}
	}
	b, err := json.Marshal(km)
	if err != nil {
		return 0, fmt.Errorf("store: keep message: %w", err)
	}
	key := s.k.kept(out.Chat.Platform + ":" + out.Chat.ID)
	var n *redis.IntCmd
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.RPush(ctx, key, b)
		p.LTrim(ctx, key, -MaxKept, -1)
		p.Expire(ctx, key, KeptFor)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: keep message for %s:%s: %w", out.Chat.Platform, out.Chat.ID, err)
	}
	return int(min(n.Val(), MaxKept)), nil
}

// Kept returns the messages waiting for u, oldest first, without removing
// them: they are dropped with DropKept once delivered, so a crash between
// the two delivers one twice rather than losing it.
func (s *Store) Kept(ctx context.Context, u bot.User) ([]bot.Outgoing, error) {
	raw, err := s.rdb.LRange(ctx, s.k.kept(u.Key()), 0, MaxKept-1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: kept messages of %s: %w", u.Key(), err)
	}
	outs := make([]bot.Outgoing, 0, len(raw))
	for _, r := range raw {
		var km keptMessage
		if err := json.Unmarshal([]byte(r), &km); err != nil {
			return nil, fmt.Errorf("store: kept message of %s: %w", u.Key(), err)
		}
		chat := bot.Chat{Platform: km.Platform, ID: km.ID, Kind: bot.Private}
		out := bot.Outgoing{Chat: chat, Text: km.Text, Buttons: km.Buttons}
		if km.Name != "" {
			out.Mentions = []bot.User{{Platform: km.Platform, ID: km.ID, Name: km.Name}}
		}
		outs = append(outs, out)
	}
	return outs, nil
}

// DropKept removes the oldest n messages waiting for u.
func (s *Store) DropKept(ctx context.Context, u bot.User, n int) error {
	if n <= 0 {
		return nil
	}
	if err := s.rdb.LTrim(ctx, s.k.kept(u.Key()), int64(n), -1).Err(); err != nil {
		return fmt.Errorf("store: drop kept messages of %s: %w", u.Key(), err)
	}
	return nil
}

var _ bot.Keeper = (*Store)(nil)
