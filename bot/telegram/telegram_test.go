package telegram_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/intake"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/bot/telegram"
	"github.com/huzhu-station/huzhu/bot/telegram/telegramtest"
	"github.com/huzhu-station/huzhu/handlers"
	"github.com/huzhu-station/huzhu/scheduler"
)

// testTimeout bounds every test that runs the platform.
const testTimeout = 20 * time.Second

// The people and the group the tests' updates come from.
var (
	alice = models.User{ID: 1001, FirstName: "Alice", LastName: "Wang", Username: "alice_w"}
	bob   = models.User{ID: 3003, FirstName: "Bob", Username: "bob_w"}
	zhang = models.User{ID: 4004, FirstName: "张阿姨"} // no username
	group = telegramtest.Group(-100, "阳光小区")
)

func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// recorder is a Receiver that keeps every message it is handed.
type recorder struct {
	ch chan *bot.Message
}

func newRecorder() *recorder { return &recorder{ch: make(chan *bot.Message, 100)} }

func (r *recorder) Receive(_ context.Context, m *bot.Message) { r.ch <- m }

func (r *recorder) next(t *testing.T) *bot.Message {
	t.Helper()
	select {
	case m := <-r.ch:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message received")
		return nil
	}
}

// start runs a Telegram platform against f until the test ends, and checks
// that Run then stops cleanly.
func start(t *testing.T, f *telegramtest.Server, opts telegram.Options, in bot.Receiver) *telegram.Telegram {
	t.Helper()
	opts.Token, opts.APIURL = telegramtest.Token, f.URL()
	if opts.PressWait == 0 {
		// A press is answered with its note however slow a loaded machine
		// serves it; TestLateNote sets a short wait.
		opts.PressWait = testTimeout
	}
	if opts.Log == nil {
		opts.Log = testLog(t)
	}
	tg, err := telegram.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	done := make(chan error, 1)
	go func() { done <- tg.Run(ctx, in) }()
	// Run has learnt the bot's username (getMe) once the link is known.
	for deadline := time.Now().Add(5 * time.Second); tg.PrivateLink(ctx) == "" && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Run = %v, want the context's error", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("Run did not return after its context was cancelled")
		}
	})
	return tg
}

func TestInboundMessages(t *testing.T) {
	f := telegramtest.NewServer(t)
	rec := newRecorder()
	start(t, f, telegram.Options{}, rec)
	f.Push(telegramtest.Message(group, bob, "大家好")) // Bob is seen, so @bob_w resolves
	if m := rec.next(t); m.Text != "大家好" {
		t.Fatalf("first message = %q", m.Text)
	}

	aliceU := bot.User{Platform: "telegram", ID: "1001", Name: "Alice Wang"}
	groupC := bot.Chat{Platform: "telegram", ID: "-100", Kind: bot.Group, Title: "阳光小区"}
	replyToBot := telegramtest.Message(group, alice, "好的")
	replyToBot.Message.ReplyToMessage = &models.Message{ID: 1, Chat: group, From: &telegramtest.BotUser, Text: "请回复"}
	photo := telegramtest.Photo(group, alice, "large", "报事 楼道漏水")

	tests := []struct {
		name string
		upd  models.Update
		want *bot.Message // nil: the update is not handed on
	}{{
		name: "slash command with the bot's name",
		upd: telegramtest.Message(group, alice, "/report@huzhu_test_bot 3幢灯坏了",
			telegramtest.Entity("/report@huzhu_test_bot 3幢灯坏了", "/report@huzhu_test_bot", models.MessageEntityTypeBotCommand)),
		want: &bot.Message{Chat: groupC, Sender: aliceU, Text: "/report 3幢灯坏了"},
	}, {
		name: "slash command for another bot",
		upd: telegramtest.Message(group, alice, "/help@other_bot",
			telegramtest.Entity("/help@other_bot", "/help@other_bot", models.MessageEntityTypeBotCommand)),
	}, {
		name: "plain Chinese keyword",
		upd:  telegramtest.Message(group, alice, "报事 楼道漏水"),
		want: &bot.Message{Chat: groupC, Sender: aliceU, Text: "报事 楼道漏水"},
	}, {
		name: "mention of the bot",
		upd: telegramtest.Message(group, alice, "@huzhu_test_bot 清单",
			telegramtest.Entity("@huzhu_test_bot 清单", "@huzhu_test_bot", models.MessageEntityTypeMention)),
		want: &bot.Message{Chat: groupC, Sender: aliceU, Text: "清单", AddressedToBot: true},
	}, {
		name: "reply to the bot",
		upd:  replyToBot,
		want: &bot.Message{Chat: groupC, Sender: aliceU, Text: "好的", AddressedToBot: true},
	}, {
		name: "photo with caption",
		upd:  photo,
		want: &bot.Message{Chat: groupC, Sender: aliceU, Text: "报事 楼道漏水",
			Attachments: []bot.Attachment{{Kind: bot.AttachmentPhoto, Ref: "large"}}},
	}, {
		name: "text mention of someone without a username",
		upd:  telegramtest.Message(group, alice, "任命 张阿姨 值班 😀", telegramtest.TextMention("任命 张阿姨 值班 😀", "张阿姨", zhang)),
		want: &bot.Message{Chat: groupC, Sender: aliceU, Text: "任命 @张阿姨 值班 😀",
			Mentions: []bot.User{{Platform: "telegram", ID: "4004", Name: "张阿姨"}}},
	}, {
		name: "username mention of someone seen, after an emoji",
		upd: telegramtest.Message(group, alice, "👍 /role @bob_w 值班",
			telegramtest.Entity("👍 /role @bob_w 值班", "@bob_w", models.MessageEntityTypeMention)),
		want: &bot.Message{Chat: groupC, Sender: aliceU, Text: "👍 /role @bob_w 值班",
			Mentions: []bot.User{{Platform: "telegram", ID: "3003", Name: "bob_w"}}},
	}, {
		name: "username mention of someone never seen",
		upd: telegramtest.Message(group, alice, "/role @stranger 值班",
			telegramtest.Entity("/role @stranger 值班", "@stranger", models.MessageEntityTypeMention)),
		want: &bot.Message{Chat: groupC, Sender: aliceU, Text: "/role @stranger 值班"},
	}, {
		name: "private message",
		upd:  telegramtest.Message(telegramtest.PrivateChat(alice), alice, "帮助"),
		want: &bot.Message{Chat: bot.Chat{Platform: "telegram", ID: "1001", Kind: bot.Private, Title: "Alice Wang"},
			Sender: aliceU, Text: "帮助"},
	}, {
		name: "message from another bot",
		upd:  telegramtest.Message(group, models.User{ID: 9, IsBot: true, Username: "other_bot"}, "报事 x"),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.Push(tt.upd)
			if tt.want == nil {
				// Ordered in the chat: the next message arrives first only
				// if the update was dropped.
				f.Push(telegramtest.Message(tt.upd.Message.Chat, alice, "哨兵"))
				if m := rec.next(t); m.Text != "哨兵" {
					t.Fatalf("dropped update was handed on as %+v", m)
				}
				return
			}
			got := rec.next(t)
			if got.ID == "" || got.Time.IsZero() {
				t.Errorf("message id %q, time %v: want both set", got.ID, got.Time)
			}
			got.ID, got.Time = "", time.Time{}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestChatOrder checks that one chat's messages are served in order and
// different chats' in parallel.
func TestChatOrder(t *testing.T) {
	f := telegramtest.NewServer(t)
	var mu sync.Mutex
	seen := map[string][]string{}
	var running, most atomic.Int32
	all := make(chan struct{}, 40)
	in := bot.ReceiverFunc(func(_ context.Context, m *bot.Message) {
		n := running.Add(1)
		for {
			if m := most.Load(); n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
		running.Add(-1)
		mu.Lock()
		seen[m.Chat.ID] = append(seen[m.Chat.ID], m.Text)
		mu.Unlock()
		all <- struct{}{}
	})
	start(t, f, telegram.Options{}, in)
	other := models.Chat{ID: -200, Type: models.ChatTypeSupergroup, Title: "二群"}
	var want []string
	for i := range 20 {
		text := "报事 " + string(rune('a'+i))
		want = append(want, text)
		f.Push(telegramtest.Message(group, alice, text))
		f.Push(telegramtest.Message(other, bob, text))
	}
	for range 40 {
		select {
		case <-all:
		case <-time.After(10 * time.Second):
			t.Fatal("not every message was served")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, chat := range []string{"-100", "-200"} {
		if !slices.Equal(seen[chat], want) {
			t.Errorf("chat %s served %v, want %v", chat, seen[chat], want)
		}
	}
	if most.Load() < 2 {
		t.Errorf("at most %d messages served at once; want the two chats in parallel", most.Load())
	}
}

// newApp wires the real handler chain on a fresh miniredis store, sending
// through the Dispatcher with tg registered behind a Pacer.
func newApp(t *testing.T, tg *telegram.Telegram) (*store.Store, *bot.Bot) {
	return newAppPaced(t, tg, bot.NewPacer(tg, telegram.Limits, bot.SystemClock{}, nil))
}

// newAppPaced is newApp with the Pacer tg's messages go through.
func newAppPaced(t *testing.T, tg *telegram.Telegram, pacer *bot.Pacer) (*store.Store, *bot.Bot) {
	b := storetest.Miniredis(t)
	st := store.New(b.Client, store.WithKeyPrefix(b.Prefix))
	log := testLog(t)
	disp := bot.NewDispatcher(log)
	disp.Add(tg.Name(), pacer, tg)
	deps := handlers.Deps{
		Store:     st,
		Sender:    disp,
		Clock:     bot.SystemClock{},
		Scheduler: scheduler.New(b.Client, disp, bot.SystemClock{}, log, scheduler.WithKeyPrefix(b.Prefix)),
		Log:       log,
		BotNames:  []string{"huzhu_test_bot"},
	}
	return st, &bot.Bot{Handler: handlers.New(deps).Handler(deps), Sender: disp, Log: log}
}

// lateReceiver lets a test build the platform before the receiver it
// needs, which needs the platform.
type lateReceiver struct{ in atomic.Pointer[bot.Bot] }

func (l *lateReceiver) Receive(ctx context.Context, m *bot.Message) { l.in.Load().Receive(ctx, m) }

// TestRedeliveredUpdate runs the whole chain by polling and by webhook: an
// update Telegram delivers twice files one problem and answers once.
func TestRedeliveredUpdate(t *testing.T) {
	const secret = "s3cret_token-1"
	for _, mode := range []string{"polling", "webhook"} {
		t.Run(mode, func(t *testing.T) {
			f := telegramtest.NewServer(t)
			late := &lateReceiver{}
			opts := telegram.Options{}
			var deliver func(u models.Update)
			if mode == "polling" {
				deliver = func(u models.Update) { f.Redeliver(u) }
			} else {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				opts.Listener, opts.WebhookSecret = ln, secret
				opts.WebhookURL = "https://bot.example.org/hook"
				hook := "http://" + ln.Addr().String() + "/hook"
				deliver = func(u models.Update) { postUpdate(t, hook, secret, u, http.StatusOK) }
			}
			tg := start(t, f, opts, late)
			st, app := newApp(t, tg)
			late.in.Store(app)

			send := func(u models.Update) models.Update {
				if mode == "polling" {
					u.ID = f.Push(u)
				} else {
					u.ID = int64(u.Message.ID)
					deliver(u)
				}
				return u
			}
			// 建站 answers in the group and tells the head the station code
			// privately; every other command answers once in the group.
			send(telegramtest.Message(group, alice, "建站 阳光互助站"))
			f.WaitSent(2)
			report := send(telegramtest.Message(group, alice, "报事 3幢楼道灯坏了"))
			f.WaitSent(3)
			deliver(report) // the same update again
			send(telegramtest.Message(group, alice, "清单"))
			sent := f.WaitSent(4)
			time.Sleep(50 * time.Millisecond)
			if got := f.Sent(); len(got) != 4 {
				t.Errorf("sent %d messages, want 4 (none for the redelivery): %+v", len(got), got)
			}
			if n := f.RedeliveriesPending(); n != 0 {
				t.Errorf("%d redeliveries never handed out", n)
			}
			if !strings.Contains(sent[3].Text, "3幢楼道灯坏了") {
				t.Errorf("list = %q, want the problem in it", sent[3].Text)
			}
			rec, err := st.Chat(context.Background(), "telegram:-100")
			if err != nil || rec.Station == 0 {
				t.Fatalf("group has no station: %+v, %v", rec, err)
			}
			issues, total, err := st.ListIssues(context.Background(), rec.Station, store.FilterAll, "", 10)
			if err != nil || total != 1 || len(issues) != 1 {
				t.Errorf("problems filed = %d (%v), want 1", total, err)
			}
		})
	}
}

func postUpdate(t *testing.T, url, secret string, u models.Update, want int) {
	t.Helper()
	body, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != want {
		t.Errorf("POST update %d: status %d, want %d", u.ID, resp.StatusCode, want)
	}
}

func TestWebhook(t *testing.T) {
	const secret = "another_secret"
	f := telegramtest.NewServer(t)
	rec := newRecorder()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	start(t, f, telegram.Options{Listener: ln, WebhookURL: "https://bot.example.org/tg/hook", WebhookSecret: secret}, rec)
	hook := "http://" + ln.Addr().String() + "/tg/hook"

	// Run listens before it registers, so once registered, it is served.
	deadline := time.Now().Add(5 * time.Second)
	for f.WebhookFields()["url"] == "" {
		if time.Now().After(deadline) {
			t.Fatal("webhook never registered")
		}
		time.Sleep(5 * time.Millisecond)
	}
	fields := f.WebhookFields()
	if fields["url"] != "https://bot.example.org/tg/hook" || fields["secret_token"] != secret ||
		!strings.Contains(fields["allowed_updates"], "callback_query") {
		t.Errorf("setWebhook sent %v", fields)
	}
	if n := f.CallCount("getUpdates"); n != 0 {
		t.Errorf("getUpdates called %d times in webhook mode", n)
	}

	u := telegramtest.Message(group, alice, "报事 没有密钥")
	u.ID = 1
	postUpdate(t, hook, "", u, http.StatusUnauthorized)
	postUpdate(t, hook, "wrong", u, http.StatusUnauthorized)
	postUpdate(t, "http://"+ln.Addr().String()+"/other", secret, u, http.StatusNotFound)
	resp, err := http.Get(hook)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("health check: %d", resp.StatusCode)
	}

	ok := telegramtest.Message(group, alice, "报事 有密钥")
	ok.ID = 2
	postUpdate(t, hook, secret, ok, http.StatusOK)
	// The request is answered once the update is kept; it is served from
	// there.
	if m := rec.next(t); m.Text != "报事 有密钥" {
		t.Errorf("served %q; the refused update must not be served", m.Text)
	}
}

func TestButtons(t *testing.T) {
	f := telegramtest.NewServer(t)
	rec := newRecorder()
	tg := start(t, f, telegram.Options{}, rec)
	if !tg.SupportsButtons() {
		t.Error("SupportsButtons = false")
	}
	ctx := context.Background()
	long := strings.Repeat("长", 30) // 90 bytes: too long for callback data
	err := tg.Send(ctx, bot.Outgoing{
		Chat: bot.Chat{Platform: "telegram", ID: "-100", Kind: bot.Group},
		Text: "3号会议：回复 /rsvp 3 yes 或 /rsvp 3 no",
		Buttons: [][]bot.Button{
			{{Label: "参加", Data: "/rsvp 3 yes"}, {Label: "不参加", Data: "/rsvp 3 no"}},
			{{Label: "太长", Data: long}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	sent := f.WaitSent(1)[0]
	want := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{
		{{Text: "参加", CallbackData: "/rsvp 3 yes"}, {Text: "不参加", CallbackData: "/rsvp 3 no"}},
	}}
	if !reflect.DeepEqual(sent.Markup, want) {
		t.Errorf("keyboard = %+v, want %+v", sent.Markup, want)
	}

	press := telegramtest.Press(group, bob, "/rsvp 3 yes")
	f.Push(press)
	m := rec.next(t)
	id := press.CallbackQuery.ID
	if m.Text != "/rsvp 3 yes" || m.Sender.Key() != "telegram:3003" || m.Chat.Key() != "telegram:-100" ||
		m.Chat.Kind != bot.Group || m.ID != "cb"+id {
		t.Errorf("press served as %+v", m)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Contains(f.Answered(), id) {
		if time.Now().After(deadline) {
			t.Fatal("the button press was not answered")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestMentionsAndLongText(t *testing.T) {
	f := telegramtest.NewServer(t)
	tg, err := telegram.New(telegram.Options{Token: telegramtest.Token, APIURL: f.URL(), Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	lines := make([]string, 0, 600)
	for i := range 600 {
		lines = append(lines, strings.Repeat("事", 10)+"😀") // 12 units and a newline each
		_ = i
	}
	err = tg.Send(context.Background(), bot.Outgoing{
		Chat:     bot.Chat{Platform: "telegram", ID: "-100", Kind: bot.Group},
		Text:     strings.Join(lines, "\n"),
		Mentions: []bot.User{{Platform: "telegram", ID: "4004", Name: "张 阿姨"}},
		Buttons:  [][]bot.Button{{{Label: "OK", Data: "/ok"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	sent := f.Sent()
	if len(sent) != 2 {
		t.Fatalf("sent %d parts, want 2", len(sent))
	}
	if !strings.HasPrefix(sent[0].Text, "@张阿姨 ") || len(sent[0].Entities) != 1 ||
		sent[0].Entities[0].Type != models.MessageEntityTypeTextMention || sent[0].Entities[0].User.ID != 4004 ||
		sent[0].Entities[0].Offset != 0 || sent[0].Entities[0].Length != 4 {
		t.Errorf("first part starts %q with entities %+v", sent[0].Text[:20], sent[0].Entities)
	}
	for i, s := range sent {
		if n := telegramtest.UTF16Units(s.Text); n > 4096 {
			t.Errorf("part %d has %d UTF-16 units", i, n)
		}
	}
	if sent[0].Markup != nil || sent[1].Markup == nil {
		t.Error("the keyboard belongs under the last part only")
	}
	if got := strings.Count(sent[0].Text+"\n"+sent[1].Text, "😀"); got != 600 {
		t.Errorf("%d lines arrived, want 600", got)
	}
}

func TestRetryAfter(t *testing.T) {
	f := telegramtest.NewServer(t)
	tg, err := telegram.New(telegram.Options{Token: telegramtest.Token, APIURL: f.URL(), Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	out := bot.Outgoing{Chat: bot.Chat{Platform: "telegram", ID: "-300", Kind: bot.Group}, Text: "通知"}
	tooMany := telegramtest.TooManyRequests(7)

	f.Fail(-300, tooMany)
	err = tg.Send(context.Background(), out)
	var ra *bot.RetryAfterError
	if !errors.As(err, &ra) || ra.After != 7*time.Second || ra.Global {
		t.Fatalf("Send = %v, want a RetryAfterError of 7s for the chat", err)
	}

	// Through the Pacer the message waits the 7 seconds and goes out.
	clock := bot.NewFakeClock(time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai))
	begin := clock.Now()
	sleep := func(_ context.Context, d time.Duration) error { clock.Advance(d); return nil }
	f.Fail(-300, tooMany)
	if err := bot.NewPacer(tg, telegram.Limits, clock, sleep).Send(context.Background(), out); err != nil {
		t.Fatalf("paced Send = %v", err)
	}
	if waited := clock.Now().Sub(begin); waited < 7*time.Second {
		t.Errorf("the pacer waited %v, want at least 7s", waited)
	}
	if sent := f.Sent(); len(sent) != 1 || sent[0].ChatID != -300 {
		t.Errorf("sent %+v, want the notice once", sent)
	}
}

func TestUnreachable(t *testing.T) {
	f := telegramtest.NewServer(t)
	rec := newRecorder()
	tg := start(t, f, telegram.Options{}, rec)
	ctx := context.Background()
	carol := bot.User{Platform: "telegram", ID: "5005", Name: "Carol"}
	groupC := bot.Chat{Platform: "telegram", ID: "-100", Kind: bot.Group}
	if !tg.CanReachPrivately(ctx, carol) {
		t.Error("a person nothing is known about should be tried")
	}
	if tg.CanReachPrivately(ctx, bot.User{Platform: "telegram", ID: "@carol"}) {
		t.Error("a handle is not a chat")
	}

	// Carol never started the bot: the private message is kept for her and
	// the group gets only a pointer, mentioning her, with the link that
	// opens her private chat with the bot; she is not tried again.
	f.Fail(5005, telegramtest.Forbidden("bot can't initiate conversation with a user"))
	disp := bot.NewDispatcher(testLog(t))
	keeper := &bot.MemoryKeeper{}
	disp.UsePrivacy(keeper, bot.FixedWording{PointerText: "有一条私信等你："})
	disp.Add(tg.Name(), tg, tg)
	out := bot.Outgoing{Chat: carol.PrivateChat(), Text: "明早8点值班", Mentions: []bot.User{carol}, Fallback: &groupC}
	if err := disp.Send(ctx, out); err != nil {
		t.Fatalf("Dispatcher.Send = %v", err)
	}
	sent := f.WaitSent(1)
	wantPointer := "@Carol 有一条私信等你： https://t.me/" + telegramtest.BotUser.Username + "?start=inbox"
	if sent[0].ChatID != -100 || sent[0].Text != wantPointer || len(sent[0].Entities) != 1 || sent[0].Entities[0].User.ID != 5005 {
		t.Errorf("group got %+v; want only the pointer %q", sent[0], wantPointer)
	}
	if kept, _ := keeper.Kept(ctx, carol); len(kept) != 1 || kept[0].Text != "明早8点值班" {
		t.Errorf("kept %+v; want the private message", kept)
	}
	if tg.CanReachPrivately(ctx, carol) {
		t.Error("CanReachPrivately after a 403 = true")
	}
	calls := f.CallCount("sendMessage")
	if err := tg.Send(ctx, bot.Outgoing{Chat: carol.PrivateChat(), Text: "again"}); !errors.Is(err, bot.ErrUnreachable) {
		t.Errorf("Send to a refused chat = %v, want ErrUnreachable", err)
	}
	if f.CallCount("sendMessage") != calls {
		t.Error("a chat that refused the bot was sent to again")
	}

	// Once she writes to the bot, she can be reached.
	carolM := models.User{ID: 5005, FirstName: "Carol"}
	f.Push(telegramtest.Message(telegramtest.PrivateChat(carolM), carolM, "/start"))
	rec.next(t)
	if !tg.CanReachPrivately(ctx, carol) {
		t.Error("CanReachPrivately after she wrote = false")
	}

	// A group that removed the bot is unreachable too, until it is added
	// back.
	f.Fail(-600, telegramtest.Forbidden("bot was kicked from the group chat"))
	gone := bot.Outgoing{Chat: bot.Chat{Platform: "telegram", ID: "-600", Kind: bot.Group}, Text: "通知"}
	if err := tg.Send(ctx, gone); !errors.Is(err, bot.ErrUnreachable) {
		t.Errorf("Send to a group that removed the bot = %v, want ErrUnreachable", err)
	}
	back := models.Chat{ID: -600, Type: models.ChatTypeGroup, Title: "回来了"}
	f.Push(models.Update{MyChatMember: &models.ChatMemberUpdated{
		Chat: back, From: alice, Date: int(time.Now().Unix()),
		OldChatMember: models.ChatMember{Type: models.ChatMemberTypeLeft, Left: &models.ChatMemberLeft{User: &telegramtest.BotUser}},
		NewChatMember: models.ChatMember{Type: models.ChatMemberTypeMember, Member: &models.ChatMemberMember{User: &telegramtest.BotUser}},
	}})
	f.Push(telegramtest.Message(back, alice, "哨兵")) // served after the membership change
	rec.next(t)
	if err := tg.Send(ctx, gone); err != nil {
		t.Errorf("Send after the bot was added back = %v", err)
	}
}

func TestMigration(t *testing.T) {
	b := storetest.Miniredis(t)
	st := store.New(b.Client, store.WithKeyPrefix(b.Prefix))
	ctx := context.Background()
	head := bot.User{Platform: "telegram", ID: "1001", Name: "Alice"}
	oldA := bot.Chat{Platform: "telegram", ID: "-400", Kind: bot.Group, Title: "一群"}
	oldB := bot.Chat{Platform: "telegram", ID: "-500", Kind: bot.Group, Title: "二群"}
	stA, err := st.CreateStation(ctx, "一站", oldA, head, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	stB, err := st.CreateStation(ctx, "二站", oldB, head, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	f := telegramtest.NewServer(t)
	rec := newRecorder()
	tg := start(t, f, telegram.Options{Records: st}, rec)

	// Telegram reports the upgrade in the old group.
	oldChat := models.Chat{ID: -400, Type: models.ChatTypeGroup, Title: "一群"}
	up := telegramtest.Message(oldChat, alice, "")
	up.Message.MigrateToChatID = -1004000
	f.Push(up)
	f.Push(telegramtest.Message(oldChat, alice, "哨兵")) // served after the migration
	rec.next(t)
	if rec, _ := st.Chat(ctx, "telegram:-1004000"); rec.Station != stA.ID {
		t.Errorf("supergroup bound to station %d, want %d", rec.Station, stA.ID)
	}
	if chats, _ := st.StationChats(ctx, stA.ID); !slices.Equal(chats, []string{"telegram:-1004000"}) {
		t.Errorf("station chats = %v", chats)
	}
	// What is still addressed to the old group goes to the new one.
	if err := tg.Send(ctx, bot.Outgoing{Chat: oldA, Text: "提醒"}); err != nil {
		t.Fatal(err)
	}
	if s := f.WaitSent(1); s[0].ChatID != -1004000 {
		t.Errorf("sent to %d, want the supergroup", s[0].ChatID)
	}

	// A migration missed while down shows up as a 400 on send.
	f.Fail(-500, telegramtest.Failure{Code: 400, Description: "Bad Request: group chat was upgraded to a supergroup chat", MigrateTo: -1005000})
	if err := tg.Send(ctx, bot.Outgoing{Chat: oldB, Text: "提醒"}); err != nil {
		t.Fatal(err)
	}
	if s := f.WaitSent(2); s[1].ChatID != -1005000 {
		t.Errorf("sent to %d, want the supergroup", s[1].ChatID)
	}
	if rec, _ := st.Chat(ctx, "telegram:-1005000"); rec.Station != stB.ID {
		t.Errorf("supergroup bound to station %d, want %d", rec.Station, stB.ID)
	}
}

func TestRefusedToken(t *testing.T) {
	f := telegramtest.NewServer(t)
	tg, err := telegram.New(telegram.Options{Token: "777:wrong", APIURL: f.URL(), Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	err = tg.Run(ctx, newRecorder())
	if err == nil || ctx.Err() != nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("Run with a refused token = %v; want an error at once, without the token", err)
	}

	// A token revoked while polling ends Run, so the supervisor says so.
	tg, err = telegram.New(telegram.Options{Token: telegramtest.Token, APIURL: f.URL(), Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- tg.Run(ctx, newRecorder()) }()
	for f.CallCount("getUpdates") == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	f.Revoke()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "token refused") {
			t.Errorf("Run after the token was revoked = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run went on polling with a revoked token")
	}

	if _, err := telegram.New(telegram.Options{}); !errors.Is(err, telegram.ErrNoToken) {
		t.Errorf("New without a token = %v", err)
	}
	if _, err := telegram.New(telegram.Options{Token: telegramtest.Token, WebhookURL: "https://x.example/hook"}); err == nil {
		t.Error("New accepted a webhook without a secret")
	}
}

// flakyIntake is an in-memory intake whose first Adds fail, as a store
// that is down would.
type flakyIntake struct {
	*intake.Local
	fails atomic.Int32
}

func (f *flakyIntake) Add(ctx context.Context, entries ...intake.Entry) error {
	if f.fails.Add(-1) >= 0 {
		return errors.New("store down")
	}
	return f.Local.Add(ctx, entries...)
}

// TestConfirmedOnlyOnceKept checks that an update the intake could not keep
// is not confirmed to Telegram: polling asks for it again, and the webhook
// answers 503 so that Telegram sends it again.
func TestConfirmedOnlyOnceKept(t *testing.T) {
	t.Run("polling", func(t *testing.T) {
		f := telegramtest.NewServer(t)
		rec := newRecorder()
		in := &flakyIntake{Local: intake.NewLocal(0)}
		in.fails.Store(3)
		start(t, f, telegram.Options{Intake: in}, rec)
		f.Push(telegramtest.Message(group, alice, "报事 第一次没存住"))
		if m := rec.next(t); m.Text != "报事 第一次没存住" {
			t.Errorf("served %q", m.Text)
		}
		if n := f.CallCount("getUpdates"); n < 4 {
			t.Errorf("getUpdates called %d times; want the batch asked for again after each failed keep", n)
		}
		// Confirmed by the next poll, and served once.
		for deadline := time.Now().Add(5 * time.Second); f.Unconfirmed() > 0 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		if n := f.Unconfirmed(); n != 0 {
			t.Errorf("%d updates never confirmed", n)
		}
		select {
		case m := <-rec.ch:
			t.Errorf("served again: %q", m.Text)
		case <-time.After(100 * time.Millisecond):
		}
	})
	t.Run("webhook", func(t *testing.T) {
		const secret = "hook_secret"
		f := telegramtest.NewServer(t)
		rec := newRecorder()
		in := &flakyIntake{Local: intake.NewLocal(0)}
		in.fails.Store(1)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		start(t, f, telegram.Options{Intake: in, Listener: ln, WebhookURL: "https://bot.example.org/hook", WebhookSecret: secret}, rec)
		hook := "http://" + ln.Addr().String() + "/hook"
		u := telegramtest.Message(group, alice, "报事 网络钩子")
		u.ID = 7
		postUpdate(t, hook, secret, u, http.StatusServiceUnavailable)
		postUpdate(t, hook, secret, u, http.StatusOK)
		if m := rec.next(t); m.Text != "报事 网络钩子" {
			t.Errorf("served %q", m.Text)
		}
	})
}

// TestStaleButton runs the whole chain: an RSVP button pressed in the group
// after the meeting was called off is answered with a note for the presser
// alone, and nothing is posted in the group.
func TestStaleButton(t *testing.T) {
	f := telegramtest.NewServer(t)
	late := &lateReceiver{}
	tg := start(t, f, telegram.Options{}, late)
	_, app := newApp(t, tg)
	late.in.Store(app)

	f.Push(telegramtest.Message(group, alice, "建站 阳光互助站"))
	f.WaitSent(2)
	// The app runs on the system clock: a year from now is always ahead,
	// and within the three years a date may be.
	next := time.Now().In(calendar.Shanghai).AddDate(1, 0, 0).Format("2006-01-02")
	f.Push(telegramtest.Message(group, alice, "开会 "+next+" 19:00 活动室 加装电梯"))
	f.WaitSent(4) // the notice in the group, the head's note privately
	f.Push(telegramtest.Message(group, alice, "取消 会议 1"))
	sent := f.WaitSent(5)
	if !strings.Contains(sent[4].Text, "取消") {
		t.Fatalf("cancellation notice = %q", sent[4].Text)
	}

	press := telegramtest.Press(group, bob, "/rsvp 1 yes")
	f.Push(press)
	a := f.WaitAnswer(press.CallbackQuery.ID)
	if a.Text != "会议 会1 已经取消了。" || !a.ShowAlert {
		t.Errorf("press answered %+v; want the note that the meeting was called off", a)
	}
	time.Sleep(50 * time.Millisecond)
	if got := f.Sent(); len(got) != 5 {
		t.Errorf("sent %d messages, want 5 (nothing for the stale button): %+v", len(got), got[5:])
	}
	if n := len(f.Answers()); n != 1 {
		t.Errorf("%d answers to one press: %+v", n, f.Answers())
	}

	// The same words typed are answered in the group as always.
	f.Push(telegramtest.Message(group, bob, "/rsvp 1 yes"))
	if got := f.WaitSent(6)[5]; got.ChatID != group.ID || got.Text != "会议 会1 已经取消了。" {
		t.Errorf("typed RSVP answered %+v", got)
	}
}

// TestPressAnswers: a press whose handler shows no note is answered without
// one once served; a note too long for Telegram is posted instead.
func TestPressAnswers(t *testing.T) {
	f := telegramtest.NewServer(t)
	late := &lateReceiver{}
	tg := start(t, f, telegram.Options{}, late)
	disp := bot.NewDispatcher(testLog(t))
	disp.Add(tg.Name(), tg, tg)
	long := strings.Repeat("长", 201)
	late.in.Store(&bot.Bot{Sender: disp, Log: testLog(t), Handler: bot.HandlerFunc(
		func(ctx context.Context, r bot.Responder, m *bot.Message) error {
			switch m.Text {
			case "quiet":
				return nil
			case "long":
				return r.Toast(ctx, long)
			}
			return r.Toast(ctx, "好")
		})})

	quiet := telegramtest.Press(group, bob, "quiet")
	f.Push(quiet)
	if a := f.WaitAnswer(quiet.CallbackQuery.ID); a.Text != "" {
		t.Errorf("quiet press answered %+v; want no note", a)
	}

	lp := telegramtest.Press(group, bob, "long")
	f.Push(lp)
	if got := f.WaitSent(1)[0]; got.ChatID != group.ID || got.Text != long {
		t.Errorf("long note sent as %+v; want it posted in the group", got)
	}
	if a := f.WaitAnswer(lp.CallbackQuery.ID); a.Text != "" {
		t.Errorf("long press answered %+v; want no note", a)
	}

	private := telegramtest.Press(telegramtest.PrivateChat(bob), bob, "short")
	f.Push(private)
	if got := f.WaitSent(2)[1]; got.ChatID != bob.ID || got.Text != "好" {
		t.Errorf("private press answered with %+v; want a reply in the private chat", got)
	}
	f.WaitAnswer(private.CallbackQuery.ID)
}

// eagerIntake serves entries inside Add, before it returns: a worker can
// pick an entry up that soon.
type eagerIntake struct {
	serving chan intake.Handler
	handle  intake.Handler
	once    sync.Once
}

func (in *eagerIntake) Add(ctx context.Context, entries ...intake.Entry) error {
	in.once.Do(func() { in.handle = <-in.serving })
	for _, e := range entries {
		in.handle(ctx, e)
	}
	return nil
}

func (in *eagerIntake) Serve(ctx context.Context, handle intake.Handler) error {
	select {
	case in.serving <- handle:
	case <-ctx.Done():
	}
	<-ctx.Done()
	return ctx.Err()
}

// TestPressServedAtOnce: a press the intake serves before keeping it has
// returned is answered with its handler's note all the same, and a quiet
// one without a note as soon as it is served; neither waits for PressWait,
// and no note goes to the group.
func TestPressServedAtOnce(t *testing.T) {
	f := telegramtest.NewServer(t)
	late := &lateReceiver{}
	tg := start(t, f, telegram.Options{Intake: &eagerIntake{serving: make(chan intake.Handler)}}, late)
	disp := bot.NewDispatcher(testLog(t))
	disp.Add(tg.Name(), tg, tg)
	late.in.Store(&bot.Bot{Sender: disp, Log: testLog(t), Handler: bot.HandlerFunc(
		func(ctx context.Context, r bot.Responder, m *bot.Message) error {
			if m.Text == "quiet" {
				return nil
			}
			return r.Toast(ctx, "投票 #1 已经结束了。")
		})})

	noted := telegramtest.Press(group, bob, "/vote 1 A")
	f.Push(noted)
	if a := f.WaitAnswer(noted.CallbackQuery.ID); a.Text != "投票 #1 已经结束了。" || !a.ShowAlert {
		t.Errorf("press answered %+v; want its note", a)
	}
	quiet := telegramtest.Press(group, bob, "quiet")
	f.Push(quiet)
	if a := f.WaitAnswer(quiet.CallbackQuery.ID); a.Text != "" {
		t.Errorf("quiet press answered %+v; want no note", a)
	}
	if sent := f.Sent(); len(sent) != 0 {
		t.Errorf("sent %+v; want nothing in the group", sent)
	}
}

// TestLateNote: a handler that takes longer than Telegram lets a button
// spin finds the press answered already, so its note is posted in the chat
// instead of being lost.
func TestLateNote(t *testing.T) {
	f := telegramtest.NewServer(t)
	late := &lateReceiver{}
	tg := start(t, f, telegram.Options{PressWait: 50 * time.Millisecond}, late)
	disp := bot.NewDispatcher(testLog(t))
	disp.Add(tg.Name(), tg, tg)
	press := telegramtest.Press(group, bob, "slow")
	id := press.CallbackQuery.ID
	late.in.Store(&bot.Bot{Sender: disp, Log: testLog(t), Handler: bot.HandlerFunc(
		func(ctx context.Context, r bot.Responder, m *bot.Message) error {
			f.WaitAnswer(id) // answered without a note while this handler works
			return r.Toast(ctx, "投票 #1 已经结束了。")
		})})
	f.Push(press)
	if got := f.WaitSent(1)[0]; got.ChatID != group.ID || got.Text != "投票 #1 已经结束了。" {
		t.Errorf("late note sent as %+v; want it posted in the group", got)
	}
	if a := f.Answers(); len(a) != 1 || a[0].Text != "" {
		t.Errorf("answers %+v; want one, without a note", a)
	}
}
