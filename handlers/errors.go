package handlers

import (
	"context"
	"errors"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
)

// replyError is an error the person who typed the command should read: a
// sentence from the catalogue, and for a malformed command the right form
// with an example.
type replyError struct {
	key   string
	args  i18n.Args
	usage string // catalogue key of the command's form, "" for none
	// private is set for a sentence that names a household or a person
	// with money, a vote, a dog or a complaint: it goes to the sender
	// alone, never into the group.
	private bool
}

func (e *replyError) Error() string { return "reply: " + e.key }

// say returns an error replied as the sentence key.
func say(key string, args ...i18n.Args) error {
	e := &replyError{key: key}
	if len(args) > 0 {
		e.args = args[0]
	}
	return e
}

// sayPrivately returns an error replied as the sentence key to the sender
// alone: the sentence is personal (privacy.go).
func sayPrivately(key string, args ...i18n.Args) error {
	e := say(key, args...).(*replyError)
	e.private = true
	return e
}

// badForm returns an error that says what was wrong (the sentence why) and
// shows the command's right form (the sentence usage).
func badForm(usage, why string, args ...i18n.Args) error {
	e := &replyError{key: why, usage: usage}
	if len(args) > 0 {
		e.args = args[0]
	}
	return e
}

// replyToErrors is the one place errors reach: sentences for the person are
// replied and end there; anything else gets a short apology and goes on to
// be logged. In a group, the error in a line that may not have been meant
// as a command (a keyword alone, bot.Message.Unsure) and a rate-limit
// notice go to the sender alone, so chat is never answered in the group. The answer to a button press pressed in a group (a vote on a
// closed poll, a meeting called off, a refusal) is a note for the presser
// alone where the platform shows one (bot.Responder.Toast): the button
// changed nothing, so the group has nothing to read.
func (a *App) replyToErrors(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, r bot.Responder, m *bot.Message) error {
		err := next.ServeMessage(ctx, r, m)
		if err == nil {
			return nil
		}
		var re *replyError
		var role *roleError
		switch {
		case errors.As(err, &re):
			text := tr(ctx, re.key, re.args)
			if re.usage != "" {
				text += "\n" + tr(ctx, "right_form") + tr(ctx, re.usage)
			}
			switch {
			case re.private:
				// Never a toast: one that cannot be shown becomes a reply.
				return r.ReplyPrivately(ctx, text)
			case m.Unsure:
				return tellQuietly(ctx, r, m, text)
			}
			return r.Toast(ctx, text)
		case errors.As(err, &role):
			text := tr(ctx, "need_role", i18n.Args{"Roles": roleNames(ctx, role.roles)})
			if m.Unsure {
				return tellQuietly(ctx, r, m, text)
			}
			return r.Toast(ctx, text)
		case errors.Is(err, bot.ErrRateLimited):
			return tellQuietly(ctx, r, m, tr(ctx, "rate_limited"))
		case errors.Is(err, bot.ErrGroupRateLimited):
			return tellQuietly(ctx, r, m, tr(ctx, "group_rate_limited"))
		case errors.Is(err, store.ErrBusy):
			return r.Toast(ctx, tr(ctx, "busy"))
		}
		key := "internal_error"
		if store.Unavailable(err) {
			key = "store_unavailable"
		}
		if rerr := r.Toast(ctx, tr(ctx, key)); rerr != nil {
			return errors.Join(err, rerr)
		}
		return answeredError{err}
	})
}

// tellQuietly tells the sender alone, saying nothing in the group, not
// even that a private message was sent: for what the group need not read
// (a rate-limit notice, the error in a line that may not have been meant as
// a command, see bot.Message.Unsure). One that cannot be delivered yet is
// kept for the sender.
func tellQuietly(ctx context.Context, r bot.Responder, m *bot.Message, text string) error {
	if m.IsPrivate() {
		return r.Reply(ctx, text)
	}
	return r.Send(ctx, bot.Outgoing{Chat: m.Sender.PrivateChat(), Text: text, Mentions: []bot.User{m.Sender}})
}

// answeredError is a failure the person has been answered for; it still
// goes on to be logged, and the message to be served again.
type answeredError struct{ error }

func (e answeredError) Unwrap() error { return e.error }

// answerOutages tells the person the system is busy when the store could
// not be reached before their message got as far as replyToErrors (the
// dedupe mark or the identity lookup failed), or after it (the write that
// was to save the command's changes with the served mark failed: nothing
// was saved, see bot.ErrNotSaved), in the chat's language as far as it is
// known without the store.
func (a *App) answerOutages(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, r bot.Responder, m *bot.Message) error {
		err := next.ServeMessage(ctx, r, m)
		var answered answeredError
		if err == nil || errors.As(err, &answered) || !(store.Unavailable(err) || errors.Is(err, bot.ErrNotSaved)) {
			return err
		}
		if rerr := r.Reply(ctx, tr(ctx, "store_unavailable")); rerr != nil {
			return errors.Join(err, rerr)
		}
		return answeredError{err}
	})
}
