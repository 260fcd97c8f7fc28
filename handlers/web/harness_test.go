package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/bot/wechat"
	"github.com/huzhu-station/huzhu/handlers"
	"github.com/huzhu-station/huzhu/scheduler"
)

// t0 is when every test's clock starts.
var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai)

// world is a station served by the production handler chain, talked to
// as a chat platform would, with its pages served by a Server.
type world struct {
	t     *testing.T
	st    *store.Store
	clock *bot.FakeClock
	bot   *bot.Bot
	web   *Server
	http  *httptest.Server
	mu    sync.Mutex
	sent  []bot.Outgoing
	seq   int
	base  string // the public base URL links start with
}

const testGroup = "g1"

// remotePhotos are the pictures a platform keeps (as Telegram does), by
// their attachment's handle.
var remotePhotos = map[string][]byte{"tg-lamp": tinyPNG()}

func newWorld(t *testing.T, b storetest.Backend) *world {
	t.Helper()
	return newWorldAt(t, b, "http://pages.test")
}

// newWorldAt is newWorld with the pages' public base URL base.
func newWorldAt(t *testing.T, b storetest.Backend, base string) *world {
	t.Helper()
	w := &world{t: t, clock: bot.NewFakeClock(t0), base: base}
	w.st = store.New(b.Client, store.WithKeyPrefix(b.Prefix))
	sender := bot.SenderFunc(func(_ context.Context, out bot.Outgoing) error {
		w.mu.Lock()
		w.sent = append(w.sent, out)
		w.mu.Unlock()
		return nil
	})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sched := scheduler.New(b.Client, sender, w.clock, log, scheduler.WithKeyPrefix(b.Prefix))
	deps := handlers.Deps{Store: w.st, Sender: sender, Clock: w.clock, Scheduler: sched, Log: log,
		BotNames: []string{"huzhu"}, WebURL: base, Admins: []string{"console:街道管理员"}}
	app := handlers.New(deps)
	w.bot = &bot.Bot{Handler: app.Handler(deps), Sender: sender, Log: log}
	var err error
	w.web, err = New(Options{Store: w.st, App: app, Receiver: w.bot, Clock: w.clock, Log: log, TelegramToken: testBotToken, PublicURL: base,
		KeptPhoto: func(ref string) (string, bool) { return strings.CutPrefix(ref, wechat.PhotoRefPrefix) },
		PhotoRef:  func(name string) string { return wechat.PhotoRefPrefix + name },
		RemotePhoto: func(_ context.Context, ref string) ([]byte, error) {
			if b, ok := remotePhotos[ref]; ok {
				return b, nil
			}
			return nil, store.ErrNotFound
		}})
	if err != nil {
		t.Fatal(err)
	}
	w.http = httptest.NewServer(w.web)
	t.Cleanup(w.http.Close)
	return w
}

// say sends text from who in the group (or privately) and returns what
// the bot sent in answer.
func (w *world) say(who string, private bool, text string) []bot.Outgoing {
	w.t.Helper()
	user := bot.User{Platform: "console", ID: who, Name: who}
	chat := bot.Chat{Platform: "console", ID: testGroup, Kind: bot.Group, Title: "阳光小区群"}
	if private {
		chat = user.PrivateChat()
	}
	w.mu.Lock()
	w.seq++
	id := "m" + string(rune('a'+w.seq%26)) + strings.Repeat("x", w.seq/26)
	before := len(w.sent)
	w.mu.Unlock()
	w.bot.Receive(context.Background(), &bot.Message{ID: id, Chat: chat, Sender: user, Text: text, Time: w.clock.Now()})
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]bot.Outgoing(nil), w.sent[before:]...)
}

// link asks for a link with text from who, privately, and returns its path.
func (w *world) link(who, text string) string {
	w.t.Helper()
	for _, out := range w.say(who, true, text) {
		if i := strings.Index(out.Text, w.base+"/w/"); i >= 0 {
			rest := out.Text[i+len(w.base):]
			if j := strings.IndexAny(rest, "\n "); j >= 0 {
				rest = rest[:j]
			}
			return rest
		}
	}
	w.t.Fatalf("%s: no link in the answer to %q", who, text)
	return ""
}

// get fetches path and returns its status and body.
func (w *world) get(path string) (int, string) {
	w.t.Helper()
	resp, err := http.Get(w.http.URL + path)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// setUp plays a station full of personal records: rooms, pledges, votes,
// a private report and an anonymous one, a meeting, a shift, a loan.
func (w *world) setUp() {
	w.t.Helper()
	for _, l := range []struct {
		who     string
		private bool
		text    string
	}{
		{"张站长", false, "建站 阳光互助站"},
		{"王阿姨", false, "登记 3幢2单元301"},
		{"李伯伯", false, "登记 5幢1单元702"},
		{"赵大哥", false, "登记 8幢402"},
		{"王阿姨", true, "报事 隔壁602家天天半夜装修太吵"},
		{"李伯伯", false, "报事 匿名 楼下群租房住了十几个人"},
		{"赵大哥", false, "报事 3幢楼道灯坏了"},
		{"张站长", false, "众筹 新建 更换单元门 目标 30000 每户 300"},
		{"王阿姨", false, "认捐 筹1 300"},
		{"李伯伯", false, "认捐 筹1 500"},
		{"张站长", false, "已收 3幢2单元301 300"},
		{"张站长", false, "投票 单元门选哪种颜色 | 古铜 | 银灰"},
		{"王阿姨", false, "投 票1 1"},
		{"李伯伯", false, "投 票1 2"},
		{"张站长", false, "开会 12月3日 19:00 活动室 单元门选型"},
		{"王阿姨", false, "参加 会1"},
		{"张站长", false, "建队 垃圾分类督导队"},
		{"王阿姨", false, "入队 垃圾分类督导队"},
		{"张站长", false, "排班 新增 垃圾分类督导队 每天 18:00-20:00 1号垃圾点 2人"},
		{"王阿姨", false, "报名 班1"},
	} {
		w.say(l.who, l.private, l.text)
	}
}
