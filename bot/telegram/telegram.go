package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/intake"
)

// PlatformName is Telegram's platform name, used in its chat and user keys
// ("telegram:123456789").
const PlatformName = "telegram"

// DefaultListen is where the webhook is served when Options.Listen is empty.
const DefaultListen = ":8443"

// DefaultParallel is how many chats are served at once by default.
const DefaultParallel = 32

// allowedUpdates are the updates huzhu reads: messages, button presses,
// and changes to the bot's own membership (removed from a group, blocked).
var allowedUpdates = []string{
	models.AllowedUpdateMessage,
	models.AllowedUpdateCallbackQuery,
	models.AllowedUpdateMyChatMember,
}

var (
	_ bot.Platform       = (*Telegram)(nil)
	_ bot.PrivateReacher = (*Telegram)(nil)
	_ bot.ButtonSender   = (*Telegram)(nil)
	_ bot.Toaster        = (*Telegram)(nil)
)

// DefaultPressWait is how long a button press waits for its handler's note
// (see Toast) before it is answered without one, unless Options.PressWait
// says otherwise: the presser's button spins until the press is answered,
// and the chat's queue may be waiting on a send limit. A note that comes
// later is replied in the chat instead.
const DefaultPressWait = 3 * time.Second

// maxNoteUnits is the longest note the Bot API shows for a button press, in
// UTF-16 code units; a longer answer is replied in the chat.
const maxNoteUnits = 200

// Options configures a Telegram platform.
type Options struct {
	// Token is the bot's token from BotFather. Required; never logged.
	Token string
	// APIURL is the Bot API server; empty means Telegram's own. Set it for
	// a self-hosted telegram-bot-api server (or a test's fake).
	APIURL string
	// WebhookURL, when set, switches from long polling to a webhook: Run
	// registers this public HTTPS address with Telegram and serves updates
	// on Listen, at the URL's path. Several instances may serve one
	// webhook behind a load balancer.
	WebhookURL string
	// WebhookSecret is the secret Telegram sends in the
	// X-Telegram-Bot-Api-Secret-Token header; requests without it are
	// refused. Required with WebhookURL.
	WebhookSecret string
	// Listen is the address the webhook is served on; DefaultListen when
	// empty.
	Listen string
	// Listener, when set, is used instead of listening on Listen (tests
	// pass one on a free loopback port). Run closes it, so it serves one
	// Run only.
	Listener net.Listener
	// Records keeps what the adapter learns (who started the bot, which
	// chats refused it, usernames, migrations) for every instance; nil keeps
	// it in this process only, and a migration then moves nothing stored.
	Records Records
	// Log receives the adapter's log lines; nil discards them.
	Log *slog.Logger
	// Clock stamps button presses; nil means the system clock.
	Clock bot.Clock
	// PressWait is how long a button press waits for its handler's note
	// before it is answered without one (the note is then posted in the
	// chat); DefaultPressWait when zero.
	PressWait time.Duration
	// Parallel is how many chats are served at once without an Intake;
	// DefaultParallel when zero.
	Parallel int
	// Intake keeps the updates read until they are served: an update is
	// confirmed to Telegram (by the next getUpdates, or the webhook's
	// answer) only once Intake.Add returned. An *intake.Queue keeps them in
	// the store, so that no update is lost when a process dies; nil keeps
	// them in this process only.
	Intake intake.Intake
}

// Telegram is the Telegram platform. Send is safe for concurrent use, also
// before and between Runs; Run must not be called twice at once.
type Telegram struct {
	opts        Options
	api         *tgbot.Bot
	log         *slog.Logger
	clock       bot.Clock
	rec         *cachedRecords
	webhookPath string
	intake      intake.Intake
	apiURL      string       // the Bot API server, for getUpdates
	poller      *http.Client // getUpdates' long polls

	me  atomic.Pointer[models.User]
	run atomic.Pointer[runState]

	aliasMu sync.Mutex
	aliases map[int64]int64 // old group id → supergroup id

	answerSlots chan struct{} // callback answers in flight on their own
	presses     pressBook     // button presses not answered yet
	apiErrs     throttle      // polling errors
	keepErrs    throttle      // updates the intake could not keep
	badSecrets  throttle      // webhook requests without the secret
}

// runState is one Run's.
type runState struct {
	// ctx outlives reading updates, for the button presses answered while
	// Run stops.
	ctx  context.Context
	fail context.CancelCauseFunc
}

// ErrNoToken is returned by New without a token.
var ErrNoToken = errors.New("telegram: no bot token")

// New returns a Telegram platform. It does not reach Telegram: Run does.
func New(opts Options) (*Telegram, error) {
	if strings.TrimSpace(opts.Token) == "" {
		return nil, ErrNoToken
	}
	t := &Telegram{
		opts:        opts,
		log:         opts.Log,
		clock:       opts.Clock,
		aliases:     map[int64]int64{},
		answerSlots: make(chan struct{}, 16),
		webhookPath: "/",
		intake:      opts.Intake,
		apiURL:      apiBase(opts.APIURL),
		poller:      newPoller(),
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.clock == nil {
		t.clock = bot.SystemClock{}
	}
	if t.opts.Listen == "" {
		t.opts.Listen = DefaultListen
	}
	if t.opts.Parallel <= 0 {
		t.opts.Parallel = DefaultParallel
	}
	if t.opts.PressWait <= 0 {
		t.opts.PressWait = DefaultPressWait
	}
	if t.intake == nil {
		t.intake = intake.NewLocal(t.opts.Parallel)
	}
	records := opts.Records
	if records == nil {
		records = newMemoryRecords()
	}
	t.rec = newCachedRecords(records, t.log, t.clock.Now)
	if opts.WebhookURL != "" {
		u, err := url.Parse(opts.WebhookURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("telegram: webhook URL %q is not an absolute URL", opts.WebhookURL)
		}
		if opts.WebhookSecret == "" {
			return nil, errors.New("telegram: a webhook needs a secret token")
		}
		if u.Path != "" {
			t.webhookPath = u.Path
		}
	}
	libOpts := []tgbot.Option{
		tgbot.WithSkipGetMe(), // Run asks, so a network failure is Run's to retry
		tgbot.WithErrorsHandler(t.onLibError),
	}
	if opts.APIURL != "" {
		libOpts = append(libOpts, tgbot.WithServerURL(strings.TrimRight(opts.APIURL, "/")))
	}
	api, err := tgbot.New(opts.Token, libOpts...)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	t.api = api
	return t, nil
}

// Name returns "telegram".
func (t *Telegram) Name() string { return PlatformName }

// SupportsButtons reports true: Outgoing.Buttons become an inline keyboard.
func (t *Telegram) SupportsButtons() bool { return true }

// SupportsPhotos reports true: a message's picture is sent as a photo.
func (t *Telegram) SupportsPhotos() bool { return true }

// CanReachPrivately reports whether u can be sent a private message: false
// once Telegram refused one (the person never started the bot, or blocked
// it), true again once they write to the bot. A person nothing is known
// about is tried; a refusal then makes the Dispatcher fall back to the group
// and is remembered, so each person costs at most one refused send.
func (t *Telegram) CanReachPrivately(ctx context.Context, u bot.User) bool {
	if u.Platform != PlatformName {
		return false
	}
	if _, err := strconv.ParseInt(u.ID, 10, 64); err != nil {
		return false
	}
	ok, known := t.rec.reachable(ctx, PlatformName+":"+u.ID)
	return ok || !known
}

// PrivateLink returns the link that opens a private chat with the bot and
// sends it "/start inbox", which delivers the messages kept for the person;
// "" before Run has learnt the bot's username. It implements
// bot.PrivateLinker.
func (t *Telegram) PrivateLink(context.Context) string {
	me := t.me.Load()
	if me == nil || me.Username == "" {
		return ""
	}
	return "https://t.me/" + me.Username + "?start=" + bot.InboxPayload
}

// Run reads updates, by long polling or from the webhook, keeps them in the
// intake and serves them from there, handing every message to in, until ctx
// is done or Telegram refuses the token. An update is confirmed to Telegram
// only once it is kept. Messages being served may finish within the
// intake's grace period after ctx is done. It returns ctx's error after a
// clean stop.
func (t *Telegram) Run(ctx context.Context, in bot.Receiver) error {
	me, err := t.api.GetMe(ctx)
	if err != nil {
		return fmt.Errorf("telegram: getMe: %w", err)
	}
	t.me.Store(me)

	reading, fail := context.WithCancelCause(ctx)
	defer fail(nil)
	rs := &runState{ctx: context.WithoutCancel(ctx), fail: fail}
	if !t.run.CompareAndSwap(nil, rs) {
		return errors.New("telegram: Run called twice at once")
	}
	defer t.run.Store(nil)

	served := make(chan error, 1)
	go func() { served <- t.intake.Serve(reading, t.handle(in)) }()
	if t.opts.WebhookURL != "" {
		t.log.Info("telegram ready", "bot", "@"+me.Username, "mode", "webhook", "listen", t.listenAddr(), "path", t.webhookPath)
		err = t.serveWebhook(reading, rs)
	} else {
		t.log.Info("telegram ready", "bot", "@"+me.Username, "mode", "polling")
		err = t.poll(reading, rs)
	}
	fail(nil)
	if serr := <-served; err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	return context.Cause(reading)
}

// onLibError receives the errors of polling, and those the library does not
// return. A refused token ends Run; the rest are retried.
func (t *Telegram) onLibError(err error) {
	if errors.Is(err, tgbot.ErrorUnauthorized) {
		if rs := t.run.Load(); rs != nil {
			rs.fail(fmt.Errorf("telegram: token refused: %w", err))
		}
		return
	}
	hint := ""
	if errors.Is(err, tgbot.ErrorConflict) {
		hint = "another process polls with this token, or a webhook was set"
	}
	t.apiErrs.do(t.clock.Now(), func(suppressed int) {
		t.log.Warn("telegram api error, retrying", "err", err, "hint", hint, "suppressed", suppressed)
	})
}

// handle returns the intake's handler: it serves one kept update and
// reports whether it was served to the end (not cut short by the end of
// the grace period), so that an update cut short is served again later.
func (t *Telegram) handle(in bot.Receiver) intake.Handler {
	return func(ctx context.Context, e intake.Entry) bool {
		var upd models.Update
		if err := json.Unmarshal(e.Data, &upd); err != nil {
			t.log.Error("kept update not readable, dropped", "update", e.ID, "err", err)
			return true
		}
		return t.serve(ctx, in, &upd) && ctx.Err() == nil
	}
}

// serve handles one update and reports false when it must be served again
// later (see bot.Retrier); a panic is logged, not allowed to stop the other
// chats.
func (t *Telegram) serve(ctx context.Context, in bot.Receiver, upd *models.Update) (served bool) {
	defer func() {
		if r := recover(); r != nil {
			t.log.Error("panic serving update", "update", upd.ID, "panic", r)
			served = true
		}
	}()
	switch {
	case upd.Message != nil:
		return t.serveMessage(ctx, in, upd.Message)
	case upd.CallbackQuery != nil:
		cq := upd.CallbackQuery
		defer t.settlePress(ctx, cq.ID)
		t.learn(ctx, cq.From)
		if m := convertCallback(cq, t.clock.Now()); m != nil {
			return receive(ctx, in, m)
		}
	case upd.MyChatMember != nil:
		t.membershipChanged(ctx, upd.MyChatMember)
	}
	return true
}

// receive hands m to in and reports false when in says m must be handed
// over again later.
func receive(ctx context.Context, in bot.Receiver, m *bot.Message) bool {
	if r, ok := in.(bot.Retrier); ok {
		return r.ReceiveOrRetry(ctx, m)
	}
	in.Receive(ctx, m)
	return true
}

func (t *Telegram) serveMessage(ctx context.Context, in bot.Receiver, msg *models.Message) bool {
	if msg.From != nil {
		t.learn(ctx, *msg.From)
	}
	for _, u := range msg.NewChatMembers {
		t.learn(ctx, u)
	}
	if r := msg.ReplyToMessage; r != nil && r.From != nil {
		t.learn(ctx, *r.From)
	}
	switch {
	case msg.MigrateToChatID != 0:
		t.migrate(ctx, msg.Chat.ID, msg.MigrateToChatID, msg.Chat.Title)
		return true
	case msg.MigrateFromChatID != 0:
		t.migrate(ctx, msg.MigrateFromChatID, msg.Chat.ID, msg.Chat.Title)
		return true
	}
	if msg.From != nil && !msg.From.IsBot {
		// Whoever writes in a chat shows the bot can write there: a private
		// message means the person started the bot.
		t.rec.setReachable(ctx, chatKey(msg.Chat.ID), true)
	}
	resolve := func(handle string) (bot.User, bool) { return t.rec.userByHandle(ctx, handle) }
	if m := convertMessage(msg, t.me.Load(), resolve); m != nil {
		return receive(ctx, in, m)
	}
	return true
}

// learn remembers u's username, so "@username" can be resolved later.
func (t *Telegram) learn(ctx context.Context, u models.User) {
	if u.Username == "" || u.IsBot {
		return
	}
	t.rec.rememberHandle(ctx, u.Username, userOf(u))
}

// membershipChanged records whether the bot can still write in a chat: it
// was removed from a group, or a person blocked or unblocked it.
func (t *Telegram) membershipChanged(ctx context.Context, cm *models.ChatMemberUpdated) {
	key := chatKey(cm.Chat.ID)
	switch cm.NewChatMember.Type {
	case models.ChatMemberTypeLeft, models.ChatMemberTypeBanned:
		if t.rec.setReachable(ctx, key, false) {
			t.log.Info("bot removed from the chat or blocked", "chat", key)
		}
	default:
		t.rec.setReachable(ctx, key, true)
	}
}

// migrate follows a group that became a supergroup: sends to the old id go
// to the new one from now on, and the station's binding moves.
func (t *Telegram) migrate(ctx context.Context, from, to int64, title string) {
	t.aliasMu.Lock()
	t.aliases[from] = to
	t.aliasMu.Unlock()
	f := bot.Chat{Platform: PlatformName, ID: strconv.FormatInt(from, 10), Kind: bot.Group, Title: title}
	d := bot.Chat{Platform: PlatformName, ID: strconv.FormatInt(to, 10), Kind: bot.Group, Title: title}
	if err := t.rec.next.MigrateChat(ctx, f, d); err != nil {
		t.log.Error("group became a supergroup; its station binding did not move", "from", f.Key(), "to", d.Key(), "err", err)
		return
	}
	t.log.Info("group became a supergroup", "from", f.Key(), "to", d.Key())
}

// alias returns the id a chat moved to, or id.
func (t *Telegram) alias(id int64) int64 {
	t.aliasMu.Lock()
	defer t.aliasMu.Unlock()
	if to, ok := t.aliases[id]; ok {
		return to
	}
	return id
}

// pressBook holds the button presses not answered yet. Each is answered
// once: with its handler's note (Toast), or without one once it has been
// served or Options.PressWait has passed, whichever comes first.
type pressBook struct {
	mu   sync.Mutex
	open map[string]*time.Timer // by callback query id; the timer settles it
}

// take removes press id and reports whether it was still unanswered; the
// caller answers it.
func (b *pressBook) take(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	timer, ok := b.open[id]
	if ok {
		timer.Stop()
		delete(b.open, id)
	}
	return ok
}

// openPress records press id as waiting for its answer, for at most
// Options.PressWait, and reports whether it was not waiting already (an
// update delivered twice).
func (t *Telegram) openPress(ctx context.Context, id string) bool {
	b := &t.presses
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open == nil {
		b.open = map[string]*time.Timer{}
	}
	if _, waiting := b.open[id]; waiting {
		return false
	}
	b.open[id] = time.AfterFunc(t.opts.PressWait, func() { t.settlePress(ctx, id) })
	return true
}

// settlePress answers press id without a note, unless it was answered.
func (t *Telegram) settlePress(ctx context.Context, id string) {
	if t.presses.take(id) {
		t.answer(ctx, id)
	}
}

// Toast answers the button press m stands for with text, shown to the
// presser alone as an alert over the chat that stays until they close it
// (the residents read slowly). It implements bot.Toaster: it returns an
// error wrapping bot.ErrNoToast when the press was answered already (its
// handler took longer than Options.PressWait) or text is longer than a note may be.
func (t *Telegram) Toast(ctx context.Context, m *bot.Message, text string) error {
	text = strings.TrimSpace(text)
	switch {
	case m.Press == "" || m.Chat.Platform != PlatformName:
		return fmt.Errorf("telegram: %w: not a Telegram button press", bot.ErrNoToast)
	case text == "" || utf16Count(text) > maxNoteUnits:
		return fmt.Errorf("telegram: %w: %d units do not fit a note", bot.ErrNoToast, utf16Count(text))
	case !t.presses.take(m.Press):
		return fmt.Errorf("telegram: %w: the press was answered already", bot.ErrNoToast)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := t.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{
		CallbackQueryID: m.Press, Text: text, ShowAlert: true})
	if err != nil {
		return fmt.Errorf("telegram: answer button press: %w: %w", bot.ErrNoToast, err)
	}
	return nil
}

// answer answers a button press without a note, on its own goroutine
// unless too many answers are in flight.
func (t *Telegram) answer(ctx context.Context, id string) {
	do := func() {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := t.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: id}); err != nil {
			t.log.Debug("button press not answered", "err", err)
		}
	}
	select {
	case t.answerSlots <- struct{}{}:
		go func() {
			defer func() { <-t.answerSlots }()
			do()
		}()
	default:
		do()
	}
}

func (t *Telegram) listenAddr() string {
	if t.opts.Listener != nil {
		return t.opts.Listener.Addr().String()
	}
	return t.opts.Listen
}

// throttle lets a repeated log line through at most once a minute.
type throttle struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// do calls f unless it was called less than a minute ago, passing how many
// calls were skipped since.
func (th *throttle) do(now time.Time, f func(suppressed int)) {
	th.mu.Lock()
	if !th.last.IsZero() && now.Sub(th.last) < time.Minute {
		th.suppressed++
		th.mu.Unlock()
		return
	}
	n := th.suppressed
	th.last, th.suppressed = now, 0
	th.mu.Unlock()
	f(n)
}
