package wechat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/huzhu-station/huzhu/bot"
)

// PlatformName is the platform's name in chat and user keys ("wechat:g12").
const PlatformName = "wechat"

// DefaultAccount names the bot account in the store when Options.Account is
// empty.
const DefaultAccount = "default"

// Errors returned by Send.
var (
	// ErrOffline means the account is not logged in right now (before the
	// first login, or between a logout and the next login).
	ErrOffline = errors.New("wechat: not logged in")
	// ErrChatNotFound means a group's stable id has no UserName in this
	// login: the group has not spoken since the login and is not saved to
	// the account's contacts, so it cannot be found by name.
	ErrChatNotFound = errors.New("wechat: group not found in this login")
)

// Store keeps what the platform must remember across logins and restarts:
// the hot-login session, stable identities with their fingerprints, the
// UserName map of each login session, and the lease on the account.
// *store.Store implements it; its doc comments give the contract.
type Store interface {
	WeChatSession(ctx context.Context, account string) ([]byte, error)
	SaveWeChatSession(ctx context.Context, account string, data []byte) error
	NewWeChatID(ctx context.Context, prefix string) (string, error)
	WeChatIdentity(ctx context.Context, account, id string) (map[string]string, error)
	WeChatIdentities(ctx context.Context, account, fingerprint string) ([]string, error)
	SaveWeChatIdentity(ctx context.Context, account, id string, fields map[string]string, fingerprints []string) error
	WeChatAliases(ctx context.Context, account, session string) (map[string]string, error)
	SetWeChatAlias(ctx context.Context, account, session, userName, id string) error
	ClaimWeChatAccount(ctx context.Context, account, owner string, ttl time.Duration) (bool, error)
	ReleaseWeChatAccount(ctx context.Context, account, owner string) error
}

// ChatLookup tells whether a group is bound to a station (or linked as an
// office group), which decides whether its messages are served.
type ChatLookup interface {
	IsBound(ctx context.Context, chatKey string) (bool, error)
}

// ChatLookupFunc adapts a function to a ChatLookup.
type ChatLookupFunc func(ctx context.Context, chatKey string) (bool, error)

// IsBound calls f.
func (f ChatLookupFunc) IsBound(ctx context.Context, chatKey string) (bool, error) {
	return f(ctx, chatKey)
}

// Options configures a Platform. Store and Chats are required.
type Options struct {
	Store Store
	// Account names the bot account in the store, so several accounts can
	// share one Redis; DefaultAccount when empty. No braces, colons or
	// spaces.
	Account string
	Chats   ChatLookup
	// SetupCommand reports whether text, from a group not bound to a
	// station, could create or link one and must be served;
	// CouldSetUpStation when nil.
	SetupCommand func(text string) bool
	// QR receives the login QR codes and prompts; os.Stdout when nil.
	QR io.Writer
	// Photos, when set, picks the pictures worth fetching and keeps them, so
	// a picture sent right after a report joins it; when nil, pictures are
	// ignored.
	Photos Photos
	// Alert and AlertChat, when both set, receive a message whenever WeChat
	// ends the session and a new login is needed (with the QR link), and
	// when an identity cannot be told apart. AlertChat may be on any
	// platform; Alert is usually the bot.Dispatcher.
	Alert     bot.Sender
	AlertChat *bot.Chat
	// Say renders an alert from the catalogue: cmd passes the i18n
	// catalogue in the default language. Keys are the wechat_alert_* ones.
	// When nil, the key and its arguments are sent as they are.
	Say   func(key string, args map[string]any) string
	Log   *slog.Logger // discarded when nil
	Clock bot.Clock    // bot.SystemClock when nil
	// Limits pace every send; the package's Limits when zero. Sleep is passed
	// to bot.NewPacer (nil: a real timer).
	Limits bot.Limits
	Sleep  func(ctx context.Context, d time.Duration) error
	// Transport, when not nil, carries every HTTP request to WeChat: a proxy,
	// or in tests a fake WeChat (it becomes the Transport of
	// openwechat's Bot.Caller.Client.HTTPClient()).
	Transport http.RoundTripper
	// WebMode logs in as the plain web client instead of the desktop (UOS)
	// client that openwechat recommends; most accounts may only use the
	// latter.
	WebMode bool
	// NoPushLogin skips asking the phone to confirm a new login and always
	// shows a QR code.
	NoPushLogin bool
}

// Platform is a personal WeChat account serving huzhu. Send and
// CanReachPrivately are safe for concurrent use; Run must not be called twice
// at once.
type Platform struct {
	opts    Options
	log     *slog.Logger
	pacer   *bot.Pacer
	ids     *identities
	owner   string // this instance's token on the account lease
	setup   func(string) bool
	account string

	mu   sync.Mutex
	sess *session // the current login; nil while logged out

	// sendMu makes sends (and the contact look-ups they need) one at a
	// time: WeChat wants a person's pace anyway, and the send client's
	// cookie jar is not safe for concurrent use.
	sendMu sync.Mutex
}

var (
	_ bot.Platform       = (*Platform)(nil)
	_ bot.PrivateReacher = (*Platform)(nil)
)

// New returns a Platform. It panics when Store or Chats is missing or the
// account name is unusable, since that is a wiring mistake found at start-up.
func New(opts Options) *Platform {
	if opts.Store == nil || opts.Chats == nil {
		panic("wechat: Options.Store and Options.Chats are required")
	}
	if opts.Account == "" {
		opts.Account = DefaultAccount
	}
	if strings.ContainsAny(opts.Account, "{}: \t\r\n") {
		panic(fmt.Sprintf("wechat: bad account name %q", opts.Account))
	}
	if opts.QR == nil {
		opts.QR = os.Stdout
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = bot.SystemClock{}
	}
	if opts.Limits == (bot.Limits{}) {
		opts.Limits = Limits
	}
	p := &Platform{opts: opts, log: opts.Log, owner: newToken(), setup: opts.SetupCommand, account: opts.Account}
	if p.setup == nil {
		p.setup = CouldSetUpStation
	}
	p.ids = &identities{store: opts.Store, account: opts.Account, log: opts.Log, alert: p.alert, say: p.say}
	p.pacer = bot.NewPacer(bot.SenderFunc(p.deliver), opts.Limits, opts.Clock, opts.Sleep)
	return p
}

// Name returns "wechat".
func (p *Platform) Name() string { return PlatformName }

// leaseTTL is how long the account lease lasts without renewal; it is
// renewed at a third of that.
const leaseTTL = 30 * time.Second

// inboxSize bounds the messages read but not yet served. The sync loop reads
// on while huzhu serves (a reply waits seconds for its pacing slot), and
// WeChat takes a client that stops polling for a dead one.
const inboxSize = 256

// Run logs in and serves messages until ctx is done, logging in again
// whenever WeChat ends the session. It returns ctx.Err() when ctx is done,
// and another error only when logging in fails for a reason other than a
// QR code nobody scanned, or when the account lease is lost.
func (p *Platform) Run(ctx context.Context, in bot.Receiver) error {
	if err := p.claim(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer func() {
		if err := p.opts.Store.ReleaseWeChatAccount(context.WithoutCancel(ctx), p.account, p.owner); err != nil {
			p.log.Warn("wechat: lease not released", "account", p.account, "err", err)
		}
	}()
	go p.keepLease(ctx, cancel)

	inbox := make(chan *bot.Message, inboxSize)
	stop := make(chan struct{})
	served := make(chan struct{})
	go func() {
		defer close(served)
		for {
			select {
			case m := <-inbox:
				in.Receive(ctx, m)
			case <-stop:
				return
			}
		}
	}()
	defer func() { close(stop); <-served }()
	deliver := func(m *bot.Message) {
		select {
		case inbox <- m:
		case <-stop:
		}
	}

	var lost error // why the last session ended; nil before the first login
	for {
		b, err := p.login(ctx, lost, deliver)
		if err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return fmt.Errorf("wechat: login: %w", redact(err))
		}
		// Not b.Block(): it reads the Bot's state without synchronising
		// with the message loop. The loop cancels the Bot's context after
		// setting the crash reason, so reading it then is safe; when our
		// own ctx ended instead, there is nothing to read.
		<-b.Context().Done()
		p.endSession()
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		err = b.CrashReason()
		code, ok := loggedOut(err)
		if !ok {
			return fmt.Errorf("wechat: message loop ended: %w", redact(err))
		}
		lost = err
		p.log.Warn("wechat: WeChat ended the session; logging in again: confirm on the phone or scan the QR code",
			"account", p.account, "ret", int(code), "reason", retReason(code))
		p.alert(ctx, p.say("wechat_alert_logged_out", map[string]any{"Code": int(code), "Reason": retReason(code)}))
	}
}

// loggedOut reports whether err is WeChat ending the session: ret 1100, 1101
// or 1102.
func loggedOut(err error) (openwechat.Ret, bool) {
	var ret openwechat.Ret
	if errors.As(err, &ret) && (ret == 1100 || ret == 1101 || ret == 1102) {
		return ret, true
	}
	return 0, false
}

func retReason(code openwechat.Ret) string {
	switch code {
	case 1100:
		return "登录异常 login warning"
	case 1101:
		return "已在手机上退出或会话过期 logged out on the phone or expired"
	case 1102:
		return "登录凭据失效 cookie invalid"
	}
	return "未知 unknown"
}

// claim takes the account lease, waiting while another instance holds it.
func (p *Platform) claim(ctx context.Context) error {
	warned := false
	for {
		ok, err := p.opts.Store.ClaimWeChatAccount(ctx, p.account, p.owner, leaseTTL)
		if err != nil {
			return fmt.Errorf("wechat: claim account %s: %w", p.account, err)
		}
		if ok {
			return nil
		}
		if !warned {
			p.log.Warn("wechat: another instance is logged in to this account; waiting for it to stop", "account", p.account)
			warned = true
		}
		if err := sleep(ctx, leaseTTL/3); err != nil {
			return err
		}
	}
}

// ErrLeaseLost ends Run when another instance took the account.
var ErrLeaseLost = errors.New("wechat: account lease lost to another instance")

// keepLease renews the lease until ctx is done, and cancels ctx when it is
// lost or cannot be renewed before it would expire.
func (p *Platform) keepLease(ctx context.Context, cancel context.CancelCauseFunc) {
	last := time.Now()
	for sleep(ctx, leaseTTL/3) == nil {
		ok, err := p.opts.Store.ClaimWeChatAccount(ctx, p.account, p.owner, leaseTTL)
		switch {
		case err == nil && ok:
			last = time.Now()
		case err == nil, time.Since(last) > leaseTTL*2/3:
			p.log.Error("wechat: lost the account lease; stopping", "account", p.account, "err", err)
			cancel(ErrLeaseLost)
			return
		default:
			p.log.Warn("wechat: lease renewal failed, retrying", "err", err)
		}
	}
}

// alert tells the admin chat, if one is configured.
// say renders an alert sentence through Options.Say.
func (p *Platform) say(key string, args map[string]any) string {
	if p.opts.Say != nil {
		return p.opts.Say(key, args)
	}
	if len(args) == 0 {
		return key
	}
	return fmt.Sprint(key, " ", args)
}

func (p *Platform) alert(ctx context.Context, text string) {
	if p.opts.Alert == nil || p.opts.AlertChat == nil {
		return
	}
	// The admin chat may be paced on its platform; a login must not wait
	// on it for long.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	if err := p.opts.Alert.Send(ctx, bot.Outgoing{Chat: *p.opts.AlertChat, Text: text}); err != nil {
		p.log.Error("wechat: alert not delivered", "chat", p.opts.AlertChat.Key(), "err", err)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// queryInURL matches the query of a URL in an error message: WeChat's
// URLs carry the session's keys (sid, skey, pass_ticket), which must not
// reach a log.
var queryInURL = regexp.MustCompile(`(https?://[^\s"?]+)\?[^\s"]*`)

// redactedError is an error whose message has the queries of URLs
// removed; errors.Is and errors.As still see the original.
type redactedError struct{ err error }

func (e redactedError) Error() string { return queryInURL.ReplaceAllString(e.err.Error(), "$1?…") }
func (e redactedError) Unwrap() error { return e.err }

// redact returns err with the keys in its URLs hidden; nil stays nil.
func redact(err error) error {
	if err == nil {
		return nil
	}
	return redactedError{err}
}
