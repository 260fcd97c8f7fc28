package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eatmoreapple/openwechat"
	"github.com/mdp/qrterminal/v3"

	"github.com/huzhu-station/huzhu/bot"
)

// session is what Send needs of the current login. It is copied from
// openwechat's hot-login dump, never shared with the openwechat.Bot, whose
// message loop changes its own state without locks.
type session struct {
	key      string // the login's wxsid: UserNames are valid within it
	self     string // the bot account's UserName
	nick     string
	caller   *openwechat.Caller // with a cookie jar of its own
	info     *openwechat.LoginInfo
	request  *openwechat.BaseRequest
	contacts *contactCache
}

func (p *Platform) current() *session {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sess
}

func (p *Platform) endSession() {
	p.mu.Lock()
	p.sess = nil
	p.mu.Unlock()
}

// newBot returns an openwechat.Bot wired to p. Each login gets a new one:
// a Bot whose session ended cannot be used again.
func (p *Platform) newBot(ctx context.Context, deliver func(*bot.Message)) *openwechat.Bot {
	b := openwechat.NewBot(ctx)
	if !p.opts.WebMode {
		openwechat.Desktop.Prepare(b)
	}
	if p.opts.Transport != nil {
		b.Caller.Client.HTTPClient().Transport = p.opts.Transport
	}
	backoff := &syncBackoff{p: p, ctx: ctx}
	b.MessageErrorHandler = backoff.handle
	b.SyncCheckCallback = func(openwechat.SyncCheckResponse) { backoff.wait = 0 }
	b.ScanCallBack = func(openwechat.CheckLoginResponse) {
		p.log.Info("wechat: QR code scanned; confirm the login on the phone")
	}
	b.MessageHandler = func(msg *openwechat.Message) {
		if m := p.translate(ctx, msg); m != nil {
			deliver(m)
		}
	}
	return b
}

// login logs in: from the stored session when WeChat still accepts it,
// otherwise with a confirmation on the phone or a QR code. lost is why the
// previous session ended, nil at start-up.
func (p *Platform) login(ctx context.Context, lost error, deliver func(*bot.Message)) (*openwechat.Bot, error) {
	stored, err := p.opts.Store.WeChatSession(ctx, p.account)
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	b := p.newBot(ctx, deliver)
	fb := &loginFallback{p: p, ctx: ctx, stored: len(stored) > 0, relogin: lost != nil, uin: storedUin(stored)}
	b.UUIDCallback = fb.show
	// HotLogin with an empty store fails at once and falls back to a fresh
	// login; either way openwechat then dumps the session into our storage,
	// which it does only for a Bot that was given one through HotLogin.
	if err := b.HotLogin(&sessionStorage{p: p, ctx: ctx, bot: b}, fb); err != nil {
		p.endSession() // a half-done login may have adopted a session
		return nil, err
	}
	s := p.current()
	if s == nil {
		return nil, errors.New("logged in but no session was stored")
	}
	p.log.Info("wechat: logged in", "account", p.account, "as", s.nick, "hot", !fb.fresh)
	if fb.stored && fb.fresh {
		p.alert(ctx, p.say("wechat_alert_logged_in", nil))
	}
	return b, nil
}

func storedUin(data []byte) int64 {
	var item struct{ LoginInfo *openwechat.LoginInfo }
	if json.Unmarshal(data, &item) != nil || item.LoginInfo == nil {
		return 0
	}
	return item.LoginInfo.WxUin
}

// loginFallback is the openwechat login option that takes over when the hot
// login fails: it asks the phone to confirm, then shows QR codes until one
// is scanned.
type loginFallback struct {
	openwechat.BaseBotLoginOption
	p       *Platform
	ctx     context.Context
	stored  bool  // a session was stored, so a login is being repeated
	relogin bool  // WeChat ended a running session
	uin     int64 // the account's uin, for a push login
	fresh   bool  // the stored session was not used
	push    string
	shown   int  // QR codes shown
	active  bool // OnError is running: openwechat calls it again when Login fails
}

// maxQRAlerts bounds how many QR links one login sends to the admin chat; a
// code lives about five minutes, so a night without a scan is not a night
// of messages.
const maxQRAlerts = 6

// OnError replaces a failed hot login with a push login or a QR code.
func (f *loginFallback) OnError(b *openwechat.Bot, err error) error {
	if f.active || f.ctx.Err() != nil {
		// b.Login below fails through the same options; its error goes
		// back to the loop below, not into a second fallback.
		return err
	}
	f.active = true
	defer func() { f.active = false }()
	p := f.p
	f.fresh = true
	if f.stored {
		p.log.Warn("wechat: the stored session no longer works; a new login is needed", "account", p.account, "err", redact(err))
	} else {
		p.log.Info("wechat: no stored session; first login", "account", p.account)
	}
	if f.stored && !f.relogin {
		p.alert(f.ctx, p.say("wechat_alert_session_expired", nil))
	}
	if f.uin != 0 && !p.opts.NoPushLogin {
		resp, perr := b.Caller.WebWxPushLogin(f.ctx, f.uin)
		if perr == nil {
			perr = resp.Err()
		}
		if perr == nil {
			f.push = resp.UUID
			openwechat.WithUUIDOption(resp.UUID).Prepare(b)
		} else {
			p.log.Info("wechat: login by phone confirmation refused; showing a QR code", "err", redact(perr))
		}
	}
	for {
		err = b.Login()
		if !errors.Is(err, openwechat.ErrLoginTimeout) || f.ctx.Err() != nil {
			return err
		}
		p.log.Info("wechat: login code expired; showing a new QR code")
		openwechat.WithUUIDOption("").Prepare(b)
	}
}

// show is the UUIDCallback: it prints the QR code for uuid, or for a push
// login asks for the confirmation on the phone.
func (f *loginFallback) show(uuid string) {
	p := f.p
	if uuid == f.push {
		p.log.Info("wechat: waiting for the login to be confirmed on the phone")
		fmt.Fprintf(p.opts.QR, "微信登录：请在机器人的手机微信上点「登录」确认。 WeChat login: confirm on the phone.\n")
		return
	}
	link := openwechat.GetQrcodeUrl(uuid)
	p.log.Info("wechat: showing a login QR code", "url", link)
	fmt.Fprintf(p.opts.QR, "微信登录：请用机器人的手机微信扫描下面的二维码（或打开 %s ）。 WeChat login: scan with the bot's phone.\n", link)
	qrterminal.GenerateWithConfig("https://login.weixin.qq.com/l/"+uuid, qrterminal.Config{
		Level:          qrterminal.L,
		Writer:         p.opts.QR,
		HalfBlocks:     true,
		BlackChar:      qrterminal.BLACK_BLACK,
		WhiteBlackChar: qrterminal.WHITE_BLACK,
		WhiteChar:      qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE,
		QuietZone:      2,
	})
	if f.stored && f.shown < maxQRAlerts {
		p.alert(f.ctx, p.say("wechat_alert_qr", map[string]any{"Link": link}))
	}
	f.shown++
}

// sessionStorage is openwechat's HotReloadStorage on the store. openwechat
// reads it once per login and writes the whole session in one Write (a
// json.Encoder) after every login and message batch.
type sessionStorage struct {
	p   *Platform
	ctx context.Context
	bot *openwechat.Bot
	r   *bytes.Reader
}

// Read reads the stored session, or fails with openwechat.ErrInvalidStorage
// when there is none.
func (s *sessionStorage) Read(b []byte) (int, error) {
	if s.r == nil {
		data, err := s.p.opts.Store.WeChatSession(s.ctx, s.p.account)
		if err != nil {
			return 0, err
		}
		if len(data) == 0 {
			return 0, openwechat.ErrInvalidStorage
		}
		s.r = bytes.NewReader(data)
	}
	return s.r.Read(b)
}

// Write stores the session and adopts it for sending. openwechat calls it
// on the goroutine that owns the Bot's state (the login, then the message
// loop), which is what makes reading the Bot's current user here safe.
func (s *sessionStorage) Write(b []byte) (int, error) {
	data := bytes.Clone(b)
	if err := s.p.opts.Store.SaveWeChatSession(s.ctx, s.p.account, data); err != nil {
		return 0, err
	}
	if err := s.p.adopt(s.ctx, s.bot, data); err != nil {
		return 0, err
	}
	return len(b), nil
}

// adopt makes the dumped session the one Send uses. The first dump of a
// login starts a new identity session, before the message loop starts.
func (p *Platform) adopt(ctx context.Context, b *openwechat.Bot, dump []byte) error {
	var item openwechat.HotReloadStorageItem
	if err := json.Unmarshal(dump, &item); err != nil {
		return fmt.Errorf("read session dump: %w", err)
	}
	if item.LoginInfo == nil || item.BaseRequest == nil || item.Jar == nil {
		return errors.New("session dump without login info")
	}
	self, err := b.GetCurrentUser()
	if err != nil {
		return err
	}
	client := openwechat.DefaultClient()
	client.MaxRetryTimes = 1 // a send retried after a network error may arrive twice
	if p.opts.Transport != nil {
		client.HTTPClient().Transport = p.opts.Transport
	}
	client.SetCookieJar(item.Jar)
	client.Domain = item.WechatDomain
	s := &session{
		key: item.LoginInfo.WxSid, self: self.UserName, nick: self.NickName,
		caller: openwechat.NewCaller(client), info: item.LoginInfo, request: item.BaseRequest,
		contacts: &contactCache{},
	}
	if prev := p.current(); prev != nil && prev.key == s.key {
		s.contacts = prev.contacts
	} else if err := p.ids.startSession(ctx, s.key, s.self); err != nil {
		// Before the session is published: Send must never pair the new
		// session with the last one's UserNames.
		return err
	}
	p.mu.Lock()
	p.sess = s
	p.mu.Unlock()
	return nil
}

// syncBackoff is the MessageErrorHandler: a session WeChat ended stops the
// loop; anything else (the network) is retried after a growing pause, where
// openwechat by default would retry at once, in a tight loop.
type syncBackoff struct {
	p    *Platform
	ctx  context.Context
	wait time.Duration
}

func (s *syncBackoff) handle(err error) error {
	if s.ctx.Err() != nil {
		// Shutting down: the loop ends by itself now. Returning an error
		// would make openwechat record it as the crash reason while Run
		// may already be reading the Bot's state.
		return nil
	}
	if _, ok := loggedOut(err); ok {
		return err
	}
	s.wait = min(max(2*s.wait, time.Second), time.Minute)
	s.p.log.Warn("wechat: message sync failed; retrying", "err", redact(err), "in", s.wait)
	_ = sleep(s.ctx, s.wait)
	return nil
}

// contactCache holds the account's contact list (friends and groups saved
// to contacts), fetched when Send needs a UserName it has not seen.
type contactCache struct {
	at      time.Time
	members openwechat.Members
}

// contactsMaxAge is how long a fetched contact list is trusted.
const contactsMaxAge = time.Minute

// contacts returns the contact list, fetching it when it is older than
// contactsMaxAge. The caller holds p.sendMu.
func (p *Platform) contacts(ctx context.Context, s *session) (openwechat.Members, error) {
	c := s.contacts
	if c.members != nil && time.Since(c.at) < contactsMaxAge {
		return c.members, nil
	}
	m, err := s.caller.WebWxGetContact(ctx, s.info)
	if err != nil {
		return nil, fmt.Errorf("wechat: contact list: %w", redact(err))
	}
	c.members, c.at = m, time.Now()
	return m, nil
}
