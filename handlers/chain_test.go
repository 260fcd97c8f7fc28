package handlers_test

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/handlers"
	"github.com/huzhu-station/huzhu/scheduler"
	"github.com/redis/go-redis/v9"
)

// chainChat serves messages through the whole chain with a small rate
// limit, and keeps what the bot said and what it logged.
type chainChat struct {
	t      *testing.T
	bot    *bot.Bot
	trips  *roundTrips
	clock  *bot.FakeClock
	mu     sync.Mutex
	said   []string
	logged bytes.Buffer
	seq    int
}

func newChainChat(t *testing.T, b storetest.Backend, extra func(*handlers.App)) *chainChat {
	t.Helper()
	c := &chainChat{t: t, trips: &roundTrips{}}
	b.Client.AddHook(c.trips)
	sender := bot.SenderFunc(func(_ context.Context, out bot.Outgoing) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.said = append(c.said, out.Text)
		return nil
	})
	clock := bot.NewFakeClock(time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai))
	c.clock = clock
	log := slog.New(slog.NewTextHandler(&syncWriter{mu: &c.mu, w: &c.logged}, nil))
	deps := handlers.Deps{Store: store.New(b.Client, store.WithKeyPrefix(b.Prefix)), Sender: sender, Clock: clock,
		Scheduler: scheduler.New(b.Client, sender, clock, nil, scheduler.WithKeyPrefix(b.Prefix)),
		Log:       log, RateInterval: time.Hour, RateBurst: 3}
	app := handlers.New(deps)
	if extra != nil {
		extra(app)
	}
	c.bot = &bot.Bot{Handler: app.Handler(deps), Sender: sender, Log: log}
	return c
}

// syncWriter lets the logger write under the chat's lock.
type syncWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// send has who write text in the group, the way a platform hands it over,
// and returns what the bot said.
func (c *chainChat) send(who bot.User, text string) string {
	c.mu.Lock()
	c.seq++
	id := "c" + strconv.Itoa(c.seq)
	c.mu.Unlock()
	return c.sendID(id, who, text)
}

// sendID is send with the platform's message id, for redeliveries.
func (c *chainChat) sendID(id string, who bot.User, text string) string {
	c.mu.Lock()
	start := len(c.said)
	c.mu.Unlock()
	c.bot.Receive(context.Background(), &bot.Message{ID: id, Chat: benchGroup, Sender: who, Text: text})
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.said[start:], "\n")
}

// TestPlainChatCostsNothing: ordinary chat in a group reaches no
// middleware: no Redis command, no reply, and it does not count toward the
// rate limit, so a resident who chats a lot is still answered.
func TestPlainChatCostsNothing(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		c := newChainChat(t, b, nil)
		c.send(benchHead, "建站 测试站")
		before := c.trips.n.Load()
		// Keywords used in ordinary chat are chat too (see bot.Router).
		chat := []string{"今天天气真好，大家下午去公园走走吧", "通知：明天停水吗？", "取消，今天不去了",
			"同问，我家也漏水", "+1 我也觉得", "帮助，谁会修电脑", "报事的人多吗", "同问一下大家"}
		for i := range 25 {
			if got := c.send(benchAlice, chat[i%len(chat)]); got != "" {
				t.Fatalf("plain chat %q answered: %q", chat[i%len(chat)], got)
			}
		}
		if n := c.trips.n.Load() - before; n != 0 {
			t.Errorf("25 lines of plain chat cost %d Redis round trips; want 0", n)
		}
		if got := c.send(benchAlice, "清单"); strings.Contains(got, "太快") || got == "" {
			t.Errorf("after chatting, 清单 got %q; want it served", got)
		}
	})
}

// TestSharedPhotosCountForNothing: photos shared in a group with no report
// awaiting them get no answer, cost a read each and no write, and do not
// count toward the rate limit; a photo right after its sender's report
// still attaches.
func TestSharedPhotosCountForNothing(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		c := newChainChat(t, b, nil)
		c.send(benchHead, "建站 测试站")
		photo := func(who bot.User, ref string) string {
			c.mu.Lock()
			c.seq++
			id := "p" + strconv.Itoa(c.seq)
			start := len(c.said)
			c.mu.Unlock()
			c.bot.Receive(context.Background(), &bot.Message{ID: id, Chat: benchGroup, Sender: who,
				Attachments: []bot.Attachment{{Kind: bot.AttachmentPhoto, Ref: ref}}})
			c.mu.Lock()
			defer c.mu.Unlock()
			return strings.Join(c.said[start:], "\n")
		}
		for i := range 25 {
			if got := photo(benchAlice, "family-"+strconv.Itoa(i)); got != "" {
				t.Fatalf("shared photo %d answered: %q", i, got)
			}
		}
		if got := c.send(benchAlice, "清单"); strings.Contains(got, "太快") || got == "" {
			t.Errorf("after 25 shared photos, 清单 got %q; want it served", got)
		}
		c.send(benchAlice, "报事 楼道灯坏了")
		if got := photo(benchAlice, "lamp"); !strings.Contains(got, "照片已附到 #1") {
			t.Errorf("a photo right after the report got %q; want it attached", got)
		}
	})
}

// TestPanicIsAnsweredAndLoggedOnce: a command that panics answers the person
// and is logged once, naming the command.
func TestPanicIsAnsweredAndLoggedOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		c := newChainChat(t, b, func(a *handlers.App) {
			a.Router().HandleFunc("boom", []string{"爆炸"}, func(context.Context, bot.Responder, *bot.Message) error {
				var m map[string]int
				m["x"]++ // a nil map: a programming error
				return nil
			})
		})
		c.send(benchHead, "建站 测试站")
		if got := c.send(benchAlice, "爆炸"); !strings.Contains(got, "出错了，已记录") {
			t.Errorf("after a panic the person read %q; want the apology", got)
		}
		c.mu.Lock()
		logged := c.logged.String()
		c.mu.Unlock()
		if n := strings.Count(logged, "level=ERROR"); n != 1 {
			t.Errorf("the panic was logged %d times; want once:\n%s", n, logged)
		}
		if !strings.Contains(logged, "command=boom") {
			t.Errorf("the log does not name the command:\n%s", logged)
		}
	})
}

// TestRedisKilledMidwayIsAnswered kills a real redis-server (AOF, fsync
// always) while residents write: each gets 系统忙 instead of silence, a
// message that failed is served when it is redelivered after the restart,
// and one served before the kill is not served again.
func TestRedisKilledMidwayIsAnswered(t *testing.T) {
	srv := storetest.StartRedisProcess(t, "--appendonly", "yes", "--appendfsync", "always")
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	c := newChainChat(t, storetest.Backend{Name: "redis", Client: client, Prefix: "outage:"}, nil)
	c.send(benchHead, "建站 测试站")
	if got := c.sendID("r1", benchAlice, "报事 3幢楼道灯坏了"); !strings.Contains(got, "#1") {
		t.Fatalf("before the kill: %q", got)
	}

	srv.Kill()
	for _, msg := range []struct{ id, text string }{{"r2", "报事 5幢门禁坏了"}, {"r3", "事项 1"}} {
		if got := c.sendID(msg.id, benchAlice, msg.text); !strings.Contains(got, "系统忙") {
			t.Errorf("%s with Redis down: the resident read %q; want 系统忙", msg.text, got)
		}
	}

	srv.Restart()
	// The platform redelivers all three: the first was served, the others not.
	if got := c.sendID("r1", benchAlice, "报事 3幢楼道灯坏了"); got != "" {
		t.Errorf("the report served before the kill, redelivered: %q; want it dropped", got)
	}
	if got := c.sendID("r2", benchAlice, "报事 5幢门禁坏了"); !strings.Contains(got, "#2") {
		t.Errorf("the report that failed, redelivered: %q; want it served as #2", got)
	}
	if got := c.sendID("r3", benchAlice, "事项 1"); !strings.Contains(got, "楼道灯") {
		t.Errorf("事项 1 redelivered: %q", got)
	}
	if got := c.send(benchAlice, "事项 3"); strings.Contains(got, "门禁") || strings.Contains(got, "楼道灯") {
		t.Errorf("a third problem exists: %q; want each report once", got)
	}
}
