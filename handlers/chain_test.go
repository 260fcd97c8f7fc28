package handlers_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/handlers"
	"github.com/huzhu-station/huzhu/scheduler"
)

// chainChat serves messages through the whole chain with a small rate
// limit, and keeps what the bot said and what it logged.
type chainChat struct {
	t      *testing.T
	bot    *bot.Bot
	trips  *roundTrips
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
	clock := bot.NewFakeClock(time.Date(2026, 11, 25, 9, 0, 0, 0, bot.Shanghai))
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
	start := len(c.said)
	c.seq++
	id := "c" + strings.Repeat("i", c.seq)
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
		for range 25 {
			if got := c.send(benchAlice, "今天天气真好，大家下午去公园走走吧"); got != "" {
				t.Fatalf("plain chat answered: %q", got)
			}
		}
		if n := c.trips.n.Load() - before; n != 0 {
			t.Errorf("25 lines of plain chat cost %d Redis round trips; want 0", n)
		}
		if got := c.send(benchAlice, "事项"); strings.Contains(got, "太快") || got == "" {
			t.Errorf("after chatting, 事项 got %q; want it served", got)
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
