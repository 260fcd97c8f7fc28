package handlers

import (
	"context"

	"github.com/huzhu-station/huzhu/bot"
)

// Long answers in a busy group: a command whose whole answer runs to many
// lines (the week's rota, every command) is answered in the group with a
// few lines, and the whole answer goes to the asker privately.

// replyInShort answers m with full when it was sent privately. Sent in a
// group, full goes to the sender privately and the group reads short, which
// says itself where the rest went, so the group gets no separate "sent
// privately" line. A web page (Render) has room for full, written as the
// group reads it. When the sender cannot be reached privately, the privacy
// gate keeps full for them and the group gets its usual pointer.
func replyInShort(ctx context.Context, r bot.Responder, m *bot.Message, short, full string) error {
	if m.IsPrivate() || sessionFrom(ctx).page {
		return r.Reply(ctx, full)
	}
	group := m.Chat
	if err := r.Send(ctx, bot.Outgoing{Chat: m.Sender.PrivateChat(), Text: full,
		Mentions: []bot.User{m.Sender}, Fallback: &group}); err != nil {
		return err
	}
	return r.Reply(ctx, short)
}
