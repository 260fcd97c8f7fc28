package handlers

import (
	"context"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/scheduler"
)

// send delivers out and logs a failure instead of failing the command: the
// command's own work is done and the person who asked has been answered.
// From a reminder's job, each recipient is sent once however often the job
// is retried, and a failure makes the reminder retry (scheduler.SendOnce).
func (a *App) send(ctx context.Context, out bot.Outgoing) error {
	err := scheduler.SendOnce(ctx, a.sender, out)
	if err != nil {
		a.log.Warn("notification not delivered", "chat", out.Chat.Key(), "err", err)
	}
	return err
}

// notifyPerson tells a person privately, or in fallback (a group, with a
// mention) when they cannot be reached privately.
func (a *App) notifyPerson(ctx context.Context, userKey, name, fallbackChat, text string) {
	u := userFromKey(userKey, name)
	out := bot.Outgoing{Chat: u.PrivateChat(), Text: text, Mentions: []bot.User{u}}
	if fallbackChat != "" {
		fb := chatFromKey(fallbackChat, bot.Group)
		out.Fallback = &fb
	}
	a.send(ctx, out)
}

// broadcast posts text in every group of station st and returns how many
// groups it reached.
func (a *App) broadcast(ctx context.Context, st *store.Station, text string, buttons ...[]bot.Button) int {
	return a.broadcastOut(ctx, st, bot.Outgoing{Text: text, Buttons: buttons})
}

// broadcastOut sends out to every group of station st, as broadcast does.
func (a *App) broadcastOut(ctx context.Context, st *store.Station, out bot.Outgoing) int {
	chats, err := a.store.StationChats(ctx, st.ID)
	if err != nil {
		a.log.Warn("broadcast: station groups unknown", "station", st.ID, "err", err)
		return 0
	}
	sent := 0
	for _, c := range chats {
		out.Chat = chatFromKey(c, bot.Group)
		if err := a.send(ctx, out); err != nil {
			continue
		}
		sent++
	}
	return sent
}

// stationLocaleOrDefault is the language messages to a whole station are
// written in.
func stationLocaleOrDefault(st *store.Station) string {
	if st.Locale != "" {
		return st.Locale
	}
	return bot.DefaultLocale
}

// personLocale is the language a message to one person is written in: their
// own choice, else the station's.
func (a *App) personLocale(ctx context.Context, userKey string, st *store.Station) string {
	if u, err := a.store.User(ctx, userKey); err == nil && u.Locale != "" {
		return u.Locale
	}
	return stationLocaleOrDefault(st)
}

// personCtx is ctx speaking the language a person chose, else the
// station's.
func (a *App) personCtx(ctx context.Context, st *store.Station, userKey string) context.Context {
	if u, err := a.store.User(ctx, userKey); err == nil && u.Locale != "" {
		return bot.WithLocale(ctx, u.Locale)
	}
	return bot.WithLocale(ctx, stationLocaleOrDefault(st))
}
