package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/intake"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/telegram"
	"github.com/huzhu-station/huzhu/bot/wechat"
	"github.com/huzhu-station/huzhu/handlers"
	"github.com/huzhu-station/huzhu/handlers/web"
	"github.com/huzhu-station/huzhu/scheduler"
)

// The store keeps what the Telegram adapter learns, for every instance.
var _ telegram.Records = (*store.Store)(nil)

// TelegramConfig is the Telegram bot's settings; an empty Token leaves
// Telegram off. The token is a secret: nothing here logs it.
type TelegramConfig struct {
	Token         string // TELEGRAM_TOKEN, from BotFather
	WebhookURL    string // TELEGRAM_WEBHOOK_URL; empty means long polling
	WebhookSecret string // TELEGRAM_WEBHOOK_SECRET
	Listen        string // TELEGRAM_LISTEN, where the webhook is served
	APIURL        string // TELEGRAM_API_URL, a self-hosted Bot API server
}

func telegramConfig(getenv func(string) string) TelegramConfig {
	return TelegramConfig{
		Token:         strings.TrimSpace(getenv("TELEGRAM_TOKEN")),
		WebhookURL:    getenv("TELEGRAM_WEBHOOK_URL"),
		WebhookSecret: getenv("TELEGRAM_WEBHOOK_SECRET"),
		Listen:        envOr(getenv, "TELEGRAM_LISTEN", telegram.DefaultListen),
		APIURL:        getenv("TELEGRAM_API_URL"),
	}
}

// Validate reports Telegram settings that cannot work. Its messages never
// quote the token.
func (c TelegramConfig) Validate() error {
	if c.Token == "" {
		if c.WebhookURL != "" || c.APIURL != "" {
			return errors.New("TELEGRAM_WEBHOOK_URL and TELEGRAM_API_URL need TELEGRAM_TOKEN")
		}
		return nil
	}
	id, secret, ok := strings.Cut(c.Token, ":")
	if _, err := strconv.ParseInt(id, 10, 64); !ok || err != nil || secret == "" {
		return errors.New(`TELEGRAM_TOKEN does not look like a bot token ("123456789:AA…" from BotFather)`)
	}
	if c.APIURL != "" {
		if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("TELEGRAM_API_URL %q should be like http://127.0.0.1:8081", c.APIURL)
		}
	}
	if c.WebhookURL == "" {
		return nil
	}
	u, err := url.Parse(c.WebhookURL)
	// Telegram's own servers only call HTTPS; a self-hosted Bot API server
	// also calls plain HTTP.
	if err != nil || u.Host == "" || (u.Scheme != "https" && (u.Scheme != "http" || c.APIURL == "")) {
		return fmt.Errorf("TELEGRAM_WEBHOOK_URL %q should be the public https:// address Telegram calls", c.WebhookURL)
	}
	if n := len(c.WebhookSecret); n == 0 || n > 256 || strings.ContainsFunc(c.WebhookSecret, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) {
		return errors.New("TELEGRAM_WEBHOOK_SECRET is required with a webhook: 1 to 256 of A-Z a-z 0-9 _ -, the same on every instance")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("TELEGRAM_LISTEN %q should be host:port or :port: %w", c.Listen, err)
	}
	return nil
}

// platform is one configured chat platform and the limits its sends are
// paced by; selfPaced platforms (WeChat) pace their own sends.
type platform struct {
	bot.Platform
	limits    bot.Limits
	selfPaced bool
}

// WeChatConfig is the WeChat account's settings; WeChat is off unless
// Enabled.
type WeChatConfig struct {
	Enabled bool   // WECHAT=1
	Account string // WECHAT_ACCOUNT, names the account's session in the store
}

func wechatConfig(getenv func(string) string) WeChatConfig {
	return WeChatConfig{Enabled: getenv("WECHAT") == "1", Account: getenv("WECHAT_ACCOUNT")}
}

// relay is a Sender that forwards to another set later: platforms are
// built before the Dispatcher that their alerts go through.
type relay struct{ to bot.Sender }

func (r *relay) Send(ctx context.Context, out bot.Outgoing) error {
	if r.to == nil {
		return fmt.Errorf("%w: not started yet", bot.ErrUnknownPlatform)
	}
	return r.to.Send(ctx, out)
}

// configuredPlatforms builds every platform the configuration turns on;
// none means the console. A new platform adds its entry here.
func configuredPlatforms(cfg *Config, st *store.Store, log *slog.Logger, alerts bot.Sender, qr io.Writer) ([]platform, error) {
	var out []platform
	if c := cfg.Telegram; c.Token != "" {
		tg, err := telegram.New(telegram.Options{
			Token:         c.Token,
			APIURL:        c.APIURL,
			WebhookURL:    c.WebhookURL,
			WebhookSecret: c.WebhookSecret,
			Listen:        c.Listen,
			Records:       st,
			Log:           log.With("component", "telegram"),
			Intake:        platformIntake(st, telegram.PlatformName, log),
		})
		if err != nil {
			return nil, err
		}
		out = append(out, platform{Platform: tg, limits: telegram.Limits})
	}
	if cfg.WeChat.Enabled {
		var sleep func(context.Context, time.Duration) error // nil: a real timer
		if m := cfg.observe; m != nil {
			sleep = m.PacerSleep(wechat.PlatformName, sleepCtx)
		}
		wx := wechat.New(wechat.Options{
			Store:   st,
			Account: cfg.WeChat.Account,
			QR:      qr,
			// Only groups of a station (or an office) are served, besides
			// the commands that set a station up.
			Chats: wechat.ChatLookupFunc(func(ctx context.Context, key string) (bool, error) {
				rec, err := st.Chat(ctx, key)
				if err != nil {
					return false, err
				}
				return rec.Station != 0 || rec.Office != "", nil
			}),
			Photos:    st, // pictures right after a report, kept in the store
			Alert:     alerts,
			AlertChat: cfg.AlertChat,
			Say: func(key string, args map[string]any) string {
				return i18n.T(bot.DefaultLocale, key, args)
			},
			Sleep: sleep,
			Log:   log.With("component", "wechat"),
		})
		out = append(out, platform{Platform: wx, selfPaced: true})
	}
	return out, nil
}

// platformIntake is the queue in the store that a platform keeps what it
// read in until served, shared by every instance.
func platformIntake(st *store.Store, name string, log *slog.Logger) *intake.Queue {
	return intake.NewQueue(st.Client(), intake.Options{
		Prefix: st.KeyPrefix() + store.KeyVersion,
		Name:   name,
		Log:    log.With("component", "intake"),
	})
}

// core is what every platform shares: one Dispatcher that every reply,
// broadcast and reminder goes out through, the scheduler, the courier that
// sends replies from the outbox, and the handler chain.
type core struct {
	disp     *bot.Dispatcher
	sched    *scheduler.Scheduler
	courier  *bot.Courier
	receiver *bot.Bot
	app      *handlers.App
	// remotePhoto fetches the pictures a platform keeps, for the web
	// pages; nil when no platform does.
	remotePhoto func(ctx context.Context, ref string) ([]byte, error)
}

func newCore(cfg *Config, st *store.Store, clock bot.Clock, log *slog.Logger) *core {
	disp := bot.NewDispatcher(log.With("component", "dispatch"))
	disp.UsePrivacy(st, handlers.PrivacyWording{})
	disp.UseImages(st)
	// A household acting from the web page with its code is told what the
	// chat would tell it in its inbox there (「我家」的新消息).
	disp.Add(store.WebPlatform, web.Inbox{Store: st, Clock: clock}, nil)
	opts := []scheduler.Option{scheduler.WithKeyPrefix(st.KeyPrefix()), scheduler.WithAckTx(st.Acknowledged)}
	if cfg.observe != nil {
		opts = append(opts, scheduler.WithObserver(cfg.observe))
	}
	if _, fake := clock.(*bot.FakeClock); fake {
		opts = append(opts, scheduler.WithInOrder()) // repeatable console output
	}
	sched := scheduler.New(st.Client(), disp, clock, log, opts...)
	deps := handlers.Deps{
		Store:     st,
		Sender:    bot.Collecting(disp), // a command's notices wait in the outbox with its answers
		Clock:     clock,
		Scheduler: sched,
		Log:       log.With("component", "handlers"),
		Admins:    cfg.Admins,
		BotNames:  []string{cfg.BotName},
		RateBurst: cfg.RateBurst,
		WebURL:    cfg.PublicURL,
		Photos:    disp.SendsPhotos,
	}
	if cfg.observe != nil {
		deps.Observe = cfg.observe.Outcomes()
	}
	app := handlers.New(deps)
	h := app.Handler(deps)
	if cfg.observe != nil {
		h = cfg.observe.Middleware()(h)
	}
	courier := &bot.Courier{Outbox: st, Sender: disp, Clock: clock, Log: log.With("component", "outbox"), Platforms: disp.Platforms}
	return &core{disp: disp, sched: sched, courier: courier, app: app,
		receiver: &bot.Bot{Handler: h, Sender: disp, Log: log, Courier: courier}}
}

// servePlatforms runs every platform, each under its own supervisor, and
// the scheduler, until ctx is done. Each platform's sends are paced by its
// limits.
func servePlatforms(ctx context.Context, cfg *Config, st *store.Store, platforms []platform, alerts *relay, log *slog.Logger) error {
	clock := bot.SystemClock{}
	c := newCore(cfg, st, clock, log)
	for _, p := range platforms {
		if tg, ok := p.Platform.(*telegram.Telegram); ok {
			c.remotePhoto = tg.Photo // Telegram keeps its users' pictures
		}
	}
	if _, err := serveWeb(ctx, cfg, st, c, clock, log); err != nil {
		return err
	}
	names := make([]string, 0, len(platforms))
	if alerts != nil {
		alerts.to = c.disp
	}
	for _, p := range platforms {
		reach, _ := p.Platform.(bot.PrivateReacher)
		var send bot.Sender = p.Platform
		var sleep func(context.Context, time.Duration) error // nil: a real timer
		if m := cfg.observe; m != nil {
			send, sleep = m.Sender(p.Name(), send), m.PacerSleep(p.Name(), sleepCtx)
		}
		if !p.selfPaced {
			send = bot.NewPacer(send, p.limits, clock, sleep)
		}
		c.disp.Add(p.Name(), send, reach)
		names = append(names, p.Name())
	}
	log.Info("starting platforms", "platforms", names)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := c.sched.Run(ctx); err != nil && ctx.Err() == nil {
			log.Error("scheduler stopped", "err", err)
		}
	})
	wg.Go(func() {
		if err := c.courier.Run(ctx); err != nil && ctx.Err() == nil {
			log.Error("outbox courier stopped", "err", err)
		}
	})
	for _, p := range platforms {
		var run bot.Platform = p.Platform
		if cfg.observe != nil {
			run = observedPlatform{Platform: run, m: cfg.observe}
		}
		wg.Go(func() {
			supervise(ctx, run, c.receiver, log.With("platform", p.Name()), platformBackoff, sleepCtx)
		})
	}
	wg.Wait()
	return ctx.Err()
}

// backoff is how long a supervisor waits before restarting a failed
// platform: initial, doubling up to max; a run that lasted healthy counts as
// recovered and starts again from initial.
type backoff struct {
	initial, max, healthy time.Duration
}

var platformBackoff = backoff{initial: time.Second, max: 5 * time.Minute, healthy: 10 * time.Minute}

// supervise runs p until ctx is done. A failed (or panicking) run is logged
// and p is started again after a backoff, so one platform's outage (a
// network failure, Telegram down, WeChat logged out) never stops the others.
// A run that ends without an error (the console at the end of its input)
// is not restarted.
func supervise(ctx context.Context, p bot.Platform, in bot.Receiver, log *slog.Logger, b backoff, sleep func(context.Context, time.Duration) error) {
	wait := b.initial
	for {
		began := time.Now()
		err := runGuarded(ctx, p, in)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			log.Info("platform stopped")
			return
		}
		if time.Since(began) >= b.healthy {
			wait = b.initial
		}
		// A little jitter, so instances that failed together do not all
		// come back in the same second.
		d := time.Duration(float64(wait) * (0.9 + 0.2*rand.Float64()))
		log.Error("platform failed; restarting", "err", err, "in", d.Round(100*time.Millisecond))
		if sleep(ctx, d) != nil {
			return
		}
		wait = min(2*wait, b.max)
	}
}

// runGuarded runs p, turning a panic in Run into an error.
func runGuarded(ctx context.Context, p bot.Platform, in bot.Receiver) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: panic: %v", p.Name(), r)
		}
	}()
	return p.Run(ctx, in)
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
