package handlers

import (
	"context"
	"fmt"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
)

// PrivacyWording says, in the reader's language, the only two lines the
// privacy rule lets into a group about a private message: that it was sent,
// and that one waits. Neither carries any of its content.
type PrivacyWording struct{}

// Pointer tells a person that a private message waits for them.
func (PrivacyWording) Pointer(ctx context.Context, link string) string {
	if link != "" {
		return tr(ctx, "private_waiting_link", i18n.Args{"Link": link})
	}
	return tr(ctx, "private_waiting")
}

// Ack tells a person that the answer went to them privately.
func (PrivacyWording) Ack(ctx context.Context) string { return tr(ctx, "sent_privately") }

var _ bot.PrivacyWording = PrivacyWording{}

// deliverKept hands a person who writes to the bot privately the messages
// kept for them while they could not be reached, before serving what they
// wrote. Each is dropped only once it has been sent, so none is lost.
func (a *App) deliverKept(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, r bot.Responder, m *bot.Message) error {
		if m.IsPrivate() {
			n, err := a.sendKept(ctx, m.Sender)
			sessionFrom(ctx).delivered = n
			if err != nil {
				return err
			}
		}
		return next.ServeMessage(ctx, r, m)
	})
}

// sendKept sends u what is kept for them, oldest first, and returns how many
// were sent.
func (a *App) sendKept(ctx context.Context, u bot.User) (int, error) {
	ctx = bot.Direct(ctx) // each is dropped once sent: they cannot wait in the outbox
	kept, err := a.store.Kept(ctx, u)
	if err != nil || len(kept) == 0 {
		return 0, err
	}
	header := bot.Outgoing{Chat: u.PrivateChat(), Text: tr(ctx, "kept_header", i18n.Args{"N": len(kept)})}
	if err := a.sender.Send(ctx, header); err != nil {
		return 0, fmt.Errorf("deliver kept messages: %w", err)
	}
	for i, out := range kept {
		if err := a.sender.Send(ctx, out); err != nil {
			return i, fmt.Errorf("deliver kept messages: %w", err)
		}
		if err := a.store.DropKept(ctx, u, 1); err != nil {
			return i + 1, err
		}
	}
	return len(kept), nil
}

// inbox serves 取信 and Telegram's "/start inbox": what was kept has been
// delivered by deliverKept on the way in; this says so, or that nothing
// waits. Asked in a group, it points to the private chat.
func (a *App) inbox(ctx context.Context, r bot.Responder, m *bot.Message) error {
	if !m.IsPrivate() {
		return r.ReplyPrivately(ctx, tr(ctx, "inbox_private_only"))
	}
	if sessionFrom(ctx).delivered > 0 {
		return r.Reply(ctx, tr(ctx, "inbox_done", i18n.Args{"N": sessionFrom(ctx).delivered}))
	}
	return r.Reply(ctx, tr(ctx, "inbox_empty"))
}

// replyPersonal answers with text that ties a household or a person to
// money, a vote, a dog or a complaint. In a private chat it is the reply;
// asked in a group, the group reads only public (may be "", and must name no
// one) and personal goes to the asker privately, acknowledged in the group.
func replyPersonal(ctx context.Context, r bot.Responder, m *bot.Message, public, personal string) error {
	if m.IsPrivate() {
		return r.Reply(ctx, personal)
	}
	if public != "" {
		if err := r.Reply(ctx, public); err != nil {
			return err
		}
	}
	return r.ReplyPrivately(ctx, personal)
}

// tellHousehold tells every member of the household at room (a household
// key) but by, privately and each in their own language, of a change by
// by to what the household pledged, paid or voted, and returns how many
// it told. It never falls back to a group: the household's part is its
// own. text words the message for one reader's ctx.
func (a *App) tellHousehold(ctx context.Context, st *store.Station, room string, by bot.User, text func(context.Context) string) int {
	keys, err := a.store.HouseholdMembers(ctx, st.ID, room)
	if err != nil {
		a.log.Warn("household not told of a change", "room", room, "err", err)
		return 0
	}
	return a.tellMembers(ctx, st, keys, by, text)
}

// tellMembers is tellHousehold for a household whose members' user keys
// are known already.
func (a *App) tellMembers(ctx context.Context, st *store.Station, keys []string, by bot.User, text func(context.Context) string) int {
	told := 0
	for _, key := range keys {
		if key == by.Key() {
			continue
		}
		mem, err := a.store.MemberByKey(ctx, st.ID, key)
		if err != nil {
			a.log.Warn("household member not told of a change", "err", err)
			continue
		}
		lctx := bot.WithLocale(ctx, a.personLocale(ctx, key, st))
		a.notifyPerson(lctx, key, mem.Name, "", text(lctx))
		told++
	}
	return told
}
