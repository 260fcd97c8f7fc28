package wechat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/huzhu-station/huzhu/bot"
)

// tooOftenHold is how long all sends wait after WeChat answers ret 1205
// ("operate too often"), which names no time of its own.
const tooOftenHold = time.Minute

// Send delivers out through the Pacer built from Options.Limits, so every
// send of the account keeps WeChat's pace, whoever sends: replies,
// reminders and alerts alike. Buttons are dropped (Text says how to answer
// by typing), and so are pictures: WeChat is no bot.PhotoSender, since a
// web login sending images to many groups is soon limited, so the
// Dispatcher never loads them and Text stands alone. Mentions become "@name" at the start of a group message. A
// private message to someone who is not the account's friend fails with
// bot.ErrUnreachable, so the Dispatcher posts it in the group instead.
func (p *Platform) Send(ctx context.Context, out bot.Outgoing) error {
	if out.Chat.Platform != PlatformName {
		return fmt.Errorf("wechat: %w: %q", bot.ErrUnknownPlatform, out.Chat.Platform)
	}
	return p.pacer.Send(ctx, out)
}

// CanReachPrivately reports whether u is the account's friend: web WeChat
// cannot write to anyone else.
func (p *Platform) CanReachPrivately(ctx context.Context, u bot.User) bool {
	s := p.current()
	if s == nil {
		return false
	}
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	_, err := p.friendUserName(ctx, s, u.ID)
	return err == nil
}

// deliver sends one message now; the Pacer calls it in turn.
func (p *Platform) deliver(ctx context.Context, out bot.Outgoing) error {
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	s := p.current()
	if s == nil {
		return ErrOffline
	}
	var to string
	var err error
	text := out.Text
	if out.Chat.Kind == bot.Private {
		to, err = p.friendUserName(ctx, s, out.Chat.ID)
	} else {
		to, err = p.groupUserName(ctx, s, out.Chat.ID)
		text = p.mentionPrefix(ctx, out.Chat.ID, out.Mentions) + text
	}
	if err != nil {
		return err
	}
	_, err = s.caller.WebWxSendMsg(ctx, &openwechat.CallerWebWxSendMsgOptions{
		LoginInfo: s.info, BaseRequest: s.request,
		Message: openwechat.NewTextSendMessage(text, s.self, to),
	})
	return sendError(err)
}

// sendError turns WeChat's refusals into huzhu's errors.
func sendError(err error) error {
	if err == nil {
		return nil
	}
	var ret openwechat.Ret
	if errors.As(err, &ret) && ret == 1205 {
		return &bot.RetryAfterError{After: tooOftenHold, Global: true, Err: err}
	}
	if _, ok := loggedOut(err); ok {
		return fmt.Errorf("%w: %w", ErrOffline, redact(err))
	}
	return fmt.Errorf("wechat: send: %w", redact(err))
}

// groupUserName returns the UserName of group id in session s: the one it
// spoke with, or else the saved group of its name in the contact list. The
// caller holds p.sendMu.
func (p *Platform) groupUserName(ctx context.Context, s *session, id string) (string, error) {
	if u, ok := p.ids.userName(id); ok {
		return u, nil
	}
	rec, err := p.opts.Store.WeChatIdentity(ctx, p.account, id)
	if err != nil {
		return "", err
	}
	if rec[fKind] != "g" {
		return "", fmt.Errorf("%w: no group %q", ErrChatNotFound, id)
	}
	contacts, err := p.contacts(ctx, s)
	if err != nil {
		return "", err
	}
	var found []string
	for _, c := range contacts {
		if c.IsGroup() && c.NickName == rec[fName] && p.unclaimed(c.UserName, id) {
			found = append(found, c.UserName)
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("%w: %s (%q) has not spoken since the login and is not one saved group of that name in the contact list",
			ErrChatNotFound, id, rec[fName])
	}
	return found[0], p.adoptUserName(ctx, s, id, found[0])
}

// friendUserName returns the UserName of person id in session s when they
// are the account's friend, and an error wrapping bot.ErrUnreachable when
// they are not. The caller holds p.sendMu.
func (p *Platform) friendUserName(ctx context.Context, s *session, id string) (string, error) {
	contacts, err := p.contacts(ctx, s)
	if err != nil {
		return "", err
	}
	if u, ok := p.ids.userName(id); ok {
		if c, ok := contacts.GetByUserName(u); ok && c.IsFriend() {
			return u, nil
		}
		return "", fmt.Errorf("wechat: %s is not the account's friend: %w", id, bot.ErrUnreachable)
	}
	rec, err := p.opts.Store.WeChatIdentity(ctx, p.account, id)
	if err != nil {
		return "", err
	}
	var found []string
	for _, c := range contacts {
		if !c.IsFriend() || !p.unclaimed(c.UserName, id) {
			continue
		}
		switch {
		case rec[fRemark] != "":
			if c.RemarkName == rec[fRemark] {
				found = append(found, c.UserName)
			}
		case c.NickName == rec[fNick] && rec[fNick] != "":
			if a := nonZero(c.AttrStatus); a == "" || rec[fAttr] == "" || a == rec[fAttr] {
				found = append(found, c.UserName)
			}
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("wechat: %s is not one friend in the contact list: %w", id, bot.ErrUnreachable)
	}
	return found[0], p.adoptUserName(ctx, s, id, found[0])
}

// unclaimed reports whether userName is free to be id: not another id's.
func (p *Platform) unclaimed(userName, id string) bool {
	other, ok := p.ids.known(userName)
	return !ok || other == id
}

// adoptUserName binds a UserName found in the contact list to id.
func (p *Platform) adoptUserName(ctx context.Context, s *session, id, userName string) error {
	if err := p.opts.Store.SaveWeChatIdentity(ctx, p.account, id,
		map[string]string{fSession: s.key, fUser: userName}, nil); err != nil {
		return err
	}
	return p.ids.bind(ctx, s.key, userName, id)
}

// mentionPrefix returns "@name\u2005" for each person mentioned, by the name
// they go by in group gid. Web WeChat sends no real mention, so this only
// names them; people still see their name.
func (p *Platform) mentionPrefix(ctx context.Context, gid string, users []bot.User) string {
	var b strings.Builder
	for _, u := range users {
		name := u.Name
		if rec, err := p.opts.Store.WeChatIdentity(ctx, p.account, u.ID); err == nil {
			name = first(first(rec[fInGroup+gid], rec[fNick]), name)
		}
		if name == "" {
			name = u.ID
		}
		b.WriteString("@" + name + mentionEnd)
	}
	return b.String()
}
