package wechat_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/bot/wechat"
	"github.com/huzhu-station/huzhu/bot/wechat/wechattest"
)

var _ wechat.Store = (*store.Store)(nil)

var adminChat = bot.Chat{Platform: "telegram", ID: "-100", Kind: bot.Group, Title: "管理员"}

// harness runs Platforms against one fake WeChat and one store, as
// restarts of huzhu would.
type harness struct {
	t      *testing.T
	f      *wechattest.Server
	st     *store.Store
	qr     syncBuffer
	in     chan *bot.Message
	mu     sync.Mutex
	alerts []string
	// reply, when set, is called for every message received, with the
	// platform that received it.
	reply func(ctx context.Context, p *wechat.Platform, m *bot.Message)
	// photos, when set before start, is the Platform's Options.Photos.
	photos wechat.Photos
	quiet  atomic.Bool
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, in: make(chan *bot.Message, 16)}
	// Registered first, so it runs last: openwechat's loop may still log
	// for a moment after Run returned, and t.Log panics once t is done.
	t.Cleanup(func() { h.quiet.Store(true) })
	b := storetest.Miniredis(t)
	h.f, h.st = wechattest.NewServer(t), store.New(b.Client, store.WithKeyPrefix(b.Prefix))
	return h
}

// start runs a new Platform, as a (re)start of huzhu; stop ends it.
func (h *harness) start() (p *wechat.Platform, stop func()) {
	h.t.Helper()
	p = wechat.New(wechat.Options{
		Store: h.st,
		Chats: wechat.ChatLookupFunc(func(ctx context.Context, key string) (bool, error) {
			rec, err := h.st.Chat(ctx, key)
			return err == nil && (rec.Station != 0 || rec.Office != ""), err
		}),
		QR:     &h.qr,
		Photos: h.photos,
		Say:    func(key string, args map[string]any) string { return i18n.T(bot.DefaultLocale, key, args) },
		Alert: bot.SenderFunc(func(_ context.Context, out bot.Outgoing) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			if out.Chat != adminChat {
				h.t.Errorf("alert to %v", out.Chat)
			}
			h.alerts = append(h.alerts, out.Text)
			return nil
		}),
		AlertChat: &adminChat,
		Log:       slog.New(slog.NewTextHandler(testWriter{h}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Limits:    bot.Limits{MinGap: time.Millisecond},
		Transport: h.f.Transport(),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- p.Run(ctx, bot.ReceiverFunc(func(ctx context.Context, m *bot.Message) {
			if h.reply != nil {
				h.reply(ctx, p, m)
			}
			h.in <- m
		}))
	}()
	return p, func() {
		h.t.Helper()
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				h.t.Errorf("Run = %v; want context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			h.t.Fatal("Run did not return after cancel")
		}
	}
}

func (h *harness) next() *bot.Message {
	h.t.Helper()
	select {
	case m := <-h.in:
		return m
	case <-time.After(4 * time.Second):
		h.t.Fatal("no message received")
		return nil
	}
}

func (h *harness) alertsText() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.alerts, "\n")
}

// echo replies "收到：TEXT" to every message, in its chat.
func echo(ctx context.Context, p *wechat.Platform, m *bot.Message) {
	_ = p.Send(ctx, bot.Outgoing{Chat: m.Chat, Text: "收到：" + m.Text})
}

func TestLoginGroupMessageReplyAndHotLogin(t *testing.T) {
	h := newHarness(t)
	f := h.f
	li := f.AddPerson(&wechattest.Person{Nick: "李阿姨", Attr: 101})
	wang := f.AddPerson(&wechattest.Person{Nick: "老王", Attr: 102})
	g := f.AddGroup(&wechattest.Group{Name: "阳光小区1幢", Members: []wechattest.Member{{Person: li, Display: "1-1-101 李"}, {Person: wang}}})
	h.reply = echo

	_, stop := h.start()
	f.Scan()
	if !strings.Contains(h.qr.String(), "login.weixin.qq.com/qrcode/QR1") || !strings.Contains(h.qr.String(), "▀") {
		t.Errorf("QR output = %q; want the link and a QR code in blocks", h.qr.String())
	}

	// Not bound yet: chatter is ignored, setting up a station is served.
	f.Say(g, wang, "今天天气不错")
	f.Say(g, li, "@"+wechattest.SelfDisplay+"\u2005建站 阳光站")
	m := h.next()
	if m.Text != "建站 阳光站" || !m.AddressedToBot || m.Chat.Kind != bot.Group || m.Chat.Platform != "wechat" ||
		m.Sender.Name != "1-1-101 李" || m.Chat.Title != "阳光小区1幢" || m.ID == "" {
		t.Fatalf("first message = %+v; want the 建站 command from 李阿姨, addressed to the bot", m)
	}
	if strings.HasPrefix(m.Chat.ID, "@") || strings.HasPrefix(m.Sender.ID, "@") {
		t.Fatalf("ids %q, %q are session UserNames, not stable ids", m.Chat.ID, m.Sender.ID)
	}
	waitFor(t, "the reply", func() bool { return len(f.Sent()) == 1 })
	if s := f.Sent()[0]; s.To != f.GroupUserName(g) || s.Content != "收到：建站 阳光站" || s.From != "@s1self" {
		t.Errorf("sent %+v; want the reply to %s", s, f.GroupUserName(g))
	}
	ctx := context.Background()
	st, err := h.st.CreateStation(ctx, "阳光站", m.Chat, m.Sender, time.Now())
	if err != nil {
		t.Fatal(err)
	}

	// Bound: plain text is served; a mention names the member.
	f.Say(g, wang, "任命 @1-1-101 李\u2005 楼组长")
	m = h.next()
	if m.Text != "任命 @1-1-101 李  楼组长" || m.AddressedToBot || len(m.Mentions) != 1 || m.Mentions[0].Name != "1-1-101 李" {
		t.Fatalf("message = %+v; want the appointment with 李阿姨 mentioned", m)
	}
	liID := m.Mentions[0].ID
	chatID := m.Chat.ID
	stop()

	// A restart logs in from the stored session: no QR code, same ids.
	_, stop = h.start()
	defer stop()
	waitFor(t, "the hot login", func() bool { return f.Inits() == 2 })
	f.Say(g, li, "报事 3幢楼道灯坏了")
	m = h.next()
	if m.Chat.ID != chatID || m.Sender.ID != liID || m.Text != "报事 3幢楼道灯坏了" {
		t.Fatalf("after restart: %+v; want chat %s, sender %s", m, chatID, liID)
	}
	if f.QRCodes() != 1 {
		t.Errorf("%d QR codes shown; the hot login needs none", f.QRCodes())
	}
	waitFor(t, "the reply after restart", func() bool { return len(f.Sent()) == 3 })
	if s := f.Sent()[2]; s.To != f.GroupUserName(g) || s.From != "@s1self" {
		t.Errorf("sent %+v; want it in the same session's group %s", s, f.GroupUserName(g))
	}
	if rec, _ := h.st.Chat(ctx, m.Chat.Key()); rec.Station != st.ID {
		t.Errorf("chat %s is bound to station %d; want %d", m.Chat.Key(), rec.Station, st.ID)
	}
}

func TestReloginAfterLogoutKeepsIdentities(t *testing.T) {
	h := newHarness(t)
	f := h.f
	li := f.AddPerson(&wechattest.Person{Nick: "李阿姨", Attr: 101})
	zhang1 := f.AddPerson(&wechattest.Person{Nick: "张阿姨", Attr: 303})
	zhang2 := f.AddPerson(&wechattest.Person{Nick: "张阿姨", Attr: 303}) // a namesake with the same AttrStatus
	g := f.AddGroup(&wechattest.Group{Name: "阳光小区1幢", Members: []wechattest.Member{{Person: li, Display: "1-1-101 李"}, {Person: zhang1, Display: "3-2-301 张"}, {Person: zhang2, Display: "5-1-102 张"}}})
	h.reply = echo

	_, stop := h.start()
	defer stop()
	f.Scan()
	f.Say(g, li, "建站 阳光站")
	m := h.next()
	ctx, now := context.Background(), time.Now()
	st, err := h.st.CreateStation(ctx, "阳光站", m.Chat, m.Sender, now)
	if err != nil {
		t.Fatal(err)
	}
	room, _ := numerals.ParseRoom("1-1-101")
	if err := h.st.BindRoom(ctx, st.ID, m.Sender, room, now); err != nil {
		t.Fatal(err)
	}
	chatID, liID := m.Chat.ID, m.Sender.ID
	f.Say(g, zhang1, "我是三幢的")
	f.Say(g, zhang2, "我是五幢的")
	z1, z2 := h.next().Sender.ID, h.next().Sender.ID
	if z1 == z2 {
		t.Fatalf("two people with one nickname got one id %s", z1)
	}
	if err := h.st.SetRole(ctx, st.ID, bot.User{Platform: "wechat", ID: z2}, store.RoleLeader, "5"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "replies", func() bool { return len(f.Sent()) == 3 })

	// WeChat ends the session; nobody scans the first code in time; the
	// second is scanned: logged in again with new UserNames.
	f.Expire()
	f.ExpireQR()
	f.Scan()
	if alerts := h.alertsText(); !strings.Contains(alerts, "1101") || !strings.Contains(alerts, "qrcode/QR3") {
		t.Errorf("alerts = %q; want the logout (1101) and the new QR link", alerts)
	}
	if qr := h.qr.String(); !strings.Contains(qr, "qrcode/QR2") || !strings.Contains(qr, "qrcode/QR3") {
		t.Errorf("QR output = %q; want the expired code and its replacement", qr)
	}
	if f.GroupUserName(g) == "@@s1g0" {
		t.Fatal("the fake kept the old UserNames")
	}
	f.Say(g, zhang2, "我的")
	f.Say(g, zhang1, "我的")
	f.Say(g, li, "我的")
	for _, want := range []struct{ id, who string }{{z2, "张阿姨 5-1-102"}, {z1, "张阿姨 3-2-301"}, {liID, "李阿姨"}} {
		m := h.next()
		if m.Sender.ID != want.id || m.Chat.ID != chatID {
			t.Errorf("%s after the new login: sender %s in %s; want %s in %s", want.who, m.Sender.ID, m.Chat.ID, want.id, chatID)
		}
	}
	mem, err := h.st.Member(ctx, st.ID, bot.User{Platform: "wechat", ID: liID})
	if err != nil || mem.Room != room.Key() || !mem.Has(store.RoleHead) {
		t.Errorf("李阿姨's record = %+v, %v; want room %s and head", mem, err, room.Key())
	}
	if mem, _ := h.st.Member(ctx, st.ID, bot.User{Platform: "wechat", ID: z2}); !mem.LeadsBuilding("5") {
		t.Errorf("张阿姨 (5-1-102) lost her role: %+v", mem)
	}
	waitFor(t, "replies in the new session", func() bool { return len(f.Sent()) == 6 })
	if s := f.Sent()[5]; s.To != f.GroupUserName(g) || s.From != "@s2self" {
		t.Errorf("sent %+v; want the new session's UserNames", s)
	}
	waitFor(t, "the re-login alert", func() bool { return strings.Contains(h.alertsText(), "已重新登录") })
}

func TestPrivateMessagesAndFallback(t *testing.T) {
	h := newHarness(t)
	f := h.f
	friend := f.AddPerson(&wechattest.Person{Nick: "赵大爷", Attr: 404, Remark: "2-1-201 赵", Friend: true})
	stranger := f.AddPerson(&wechattest.Person{Nick: "钱阿姨", Attr: 505})
	g := f.AddGroup(&wechattest.Group{Name: "阳光小区2幢", Saved: true, Members: []wechattest.Member{{Person: friend}, {Person: stranger, Display: "2-3-302 钱"}}})

	p, stop := h.start()
	defer stop()
	f.Scan()
	f.Private(friend, "帮助")
	m := h.next()
	if m.Chat.Kind != bot.Private || m.Chat.ID != m.Sender.ID || m.Text != "帮助" || m.Sender.Name != "赵大爷" {
		t.Fatalf("private message = %+v", m)
	}
	ctx := context.Background()
	if err := p.Send(ctx, bot.Outgoing{Chat: m.Chat, Text: "您好"}); err != nil {
		t.Fatal(err)
	}
	if s := f.Sent()[0]; s.To != f.PersonUserName(friend) || s.Content != "您好" {
		t.Errorf("sent %+v; want it to %s", s, f.PersonUserName(friend))
	}

	f.Say(g, stranger, "建站 二幢站")
	m = h.next()
	if p.CanReachPrivately(ctx, m.Sender) {
		t.Error("CanReachPrivately(a member who is not a friend) = true")
	}
	d := bot.NewDispatcher(slog.New(slog.DiscardHandler))
	keeper := &bot.MemoryKeeper{}
	d.UsePrivacy(keeper, bot.FixedWording{PointerText: "有一条私信等你，加我好友后私聊我「取信」"})
	d.Add(p.Name(), p, p)
	group := m.Chat
	err := d.Send(ctx, bot.Outgoing{Chat: m.Sender.PrivateChat(), Text: "站码 ABC", Mentions: []bot.User{m.Sender}, Fallback: &group})
	if err != nil {
		t.Fatal(err)
	}
	if s := f.Sent()[1]; s.To != f.GroupUserName(g) || s.Content != "@2-3-302 钱\u2005有一条私信等你，加我好友后私聊我「取信」" {
		t.Errorf("group got %+v; want only a pointer, with a mention", s)
	}
	if kept, _ := keeper.Kept(ctx, m.Sender); len(kept) != 1 || kept[0].Text != "站码 ABC" {
		t.Errorf("kept %+v; want the private message kept for a non-friend", kept)
	}
	if err := p.Send(ctx, bot.Outgoing{Chat: bot.Chat{Platform: "telegram", ID: "1"}}); !errors.Is(err, bot.ErrUnknownPlatform) {
		t.Errorf("Send to telegram = %v", err)
	}
}

// A group saved to contacts can be written to after a new login before it
// speaks: a reminder must not wait for residents to talk first.
func TestSendToSavedGroupBeforeItSpeaks(t *testing.T) {
	h := newHarness(t)
	f := h.f
	li := f.AddPerson(&wechattest.Person{Nick: "李阿姨", Attr: 101})
	g := f.AddGroup(&wechattest.Group{Name: "阳光小区3幢", Saved: true, Members: []wechattest.Member{{Person: li}}})
	quiet := f.AddGroup(&wechattest.Group{Name: "未保存的群", Members: []wechattest.Member{{Person: li}}})

	p, stop := h.start()
	defer stop()
	f.Scan()
	f.Say(g, li, "建站 三幢")
	f.Say(quiet, li, "建站 另一个")
	chat, other := h.next().Chat, h.next().Chat
	f.Expire()
	f.Scan()
	ctx := context.Background()
	if err := p.Send(ctx, bot.Outgoing{Chat: chat, Text: "明早九点开会"}); err != nil {
		t.Fatal(err)
	}
	if s := f.Sent(); len(s) != 1 || s[0].To != f.GroupUserName(g) {
		t.Errorf("sent %+v; want one message to %s", s, f.GroupUserName(g))
	}
	if err := p.Send(ctx, bot.Outgoing{Chat: other, Text: "x"}); !errors.Is(err, wechat.ErrChatNotFound) {
		t.Errorf("Send to an unsaved group that has not spoken = %v; want ErrChatNotFound", err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testWriter sends log lines to t.Log, so they show only for failing tests.
type testWriter struct{ h *harness }

func (w testWriter) Write(p []byte) (int, error) {
	if !w.h.quiet.Load() {
		w.h.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// waitFor polls cond until it holds, failing the test after a few seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(4 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
