package handlers

import (
	"context"
	"fmt"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
)

// session is who is speaking and where, found once per message by identify.
type session struct {
	user    bot.User
	private bool // the message came in a private chat
	id      *store.Identity
	// page is set for a web page's reading (Render): the reader reads the
	// whole of a long answer, since a page has room for it.
	page bool
	// delivered counts the kept private messages handed over on the way
	// in (see deliverKept).
	delivered int
}

type sessionKey struct{}

func withSession(ctx context.Context, s *session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// sessionFrom returns the message's session. identify always sets one before
// a handler runs.
func sessionFrom(ctx context.Context) *session {
	s, _ := ctx.Value(sessionKey{}).(*session)
	if s == nil {
		return &session{id: &store.Identity{Chat: &store.ChatRecord{}, User: &store.UserRecord{}}}
	}
	return s
}

func (s *session) station() *store.Station { return s.id.Station }
func (s *session) member() *store.Member   { return s.id.Member }

// identifyAhead has the sender's identity read in the round trip that
// claims the message (see store.WithIdentity), for identify to use, and
// for 事项 N the problem's card too (store.WithCardAhead).
func (a *App) identifyAhead(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, r bot.Responder, m *bot.Message) error {
		ctx = store.WithIdentity(ctx, m.Chat, m.Sender)
		if m.Command == "issue" {
			// The most asked-for read: the card comes with the claim.
			if _, args, _ := a.router.Match(m.Text); args != "" {
				if n, _, err := parseRefArg(args, "usage_issue"); err == nil {
					ctx = store.WithCardAhead(ctx, n)
				}
			}
		}
		return next.ServeMessage(ctx, r, m)
	})
}

// identify looks up the chat, the sender and their station, chooses the
// reply language, marks a display name that reads as the head's (see
// notTheHead), and records a member the station meets for the first time.
func (a *App) identify(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, r bot.Responder, m *bot.Message) error {
		id, err := a.store.Identify(ctx, m.Chat, m.Sender)
		if err != nil {
			return fmt.Errorf("identify: %w", err)
		}
		ctx = bot.WithLocale(ctx, chooseLocale(id))
		m.Sender.Name = notTheHead(ctx, id.Station, m.Sender)
		sess := &session{user: m.Sender, private: m.IsPrivate(), id: id}
		ctx = withSession(ctx, sess)
		if id.Station != nil && m.Chat.Kind == bot.Group {
			if err := a.rememberMember(ctx, id, m.Sender); err != nil {
				return err
			}
		}
		return next.ServeMessage(ctx, r, m)
	})
}

// chooseLocale picks the most personal choice made: the person's, then the
// chat's, then the station's.
func chooseLocale(id *store.Identity) string {
	for _, l := range []string{id.User.Locale, id.Chat.Locale, stationLocale(id.Station)} {
		if l != "" {
			return l
		}
	}
	return bot.DefaultLocale
}

func stationLocale(st *store.Station) string {
	if st == nil {
		return ""
	}
	return st.Locale
}

// tr renders a sentence in the message's language.
func tr(ctx context.Context, key string, args ...i18n.Args) string {
	return i18n.T(bot.LocaleFrom(ctx), key, args...)
}

// rememberMember records a person the station meets in one of its groups for
// the first time, and makes their private chat speak for this station. It
// writes only when something changed, so most messages cost nothing here.
func (a *App) rememberMember(ctx context.Context, id *store.Identity, u bot.User) error {
	if id.Member.Joined.IsZero() {
		if err := a.store.Touch(ctx, id.Station.ID, u, a.now()); err != nil {
			return err
		}
	}
	if id.User.Station != id.Station.ID {
		return a.store.SetUserStation(ctx, u.Key(), id.Station.ID)
	}
	return nil
}

// notTheHead returns u's display name, marked as a resident's when it reads
// as the station head's name (bot.NameKey: the same once case, width,
// spaces and invisible characters are set aside) but u is not the head, so
// that nobody can speak in a group as the head by taking their name.
func notTheHead(ctx context.Context, st *store.Station, u bot.User) string {
	if st == nil || u.Key() == st.Head || bot.NameKey(u.Name) != bot.NameKey(st.HeadName) {
		return u.Name
	}
	return tr(ctx, "name_not_head", i18n.Args{"Name": u.Name})
}
