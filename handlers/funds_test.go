package handlers_test

import (
	"context"
	"fmt"
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

var (
	fundGroup  = bot.Chat{Platform: "console", ID: "fund-group", Kind: bot.Group, Title: "清川佳园"}
	fundHead   = bot.User{Platform: "console", ID: "head", Name: "张站长"}
	fundLeader = bot.User{Platform: "console", ID: "li", Name: "老李"}
	fundWang   = bot.User{Platform: "console", ID: "wang", Name: "王阿姨"}
	fundWangBo = bot.User{Platform: "console", ID: "wangbo", Name: "王大伯"}
)

// fundChat drives the whole handler chain (dedupe included) the way a
// platform does, and keeps what the bot said.
type fundChat struct {
	t       *testing.T
	handler bot.Handler
	store   *store.Store
	sender  bot.Sender
	mu      sync.Mutex
	said    []string
}

func newFundChat(t *testing.T, b storetest.Backend) *fundChat {
	t.Helper()
	c := &fundChat{t: t, store: store.New(b.Client, store.WithKeyPrefix(b.Prefix))}
	c.sender = bot.SenderFunc(func(_ context.Context, out bot.Outgoing) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.said = append(c.said, out.Text)
		return nil
	})
	sender := c.sender
	clock := bot.NewFakeClock(time.Date(2026, 11, 25, 9, 0, 0, 0, bot.Shanghai))
	deps := handlers.Deps{Store: c.store, Sender: sender, Clock: clock,
		Scheduler: scheduler.New(b.Client, sender, clock, nil, scheduler.WithKeyPrefix(b.Prefix)),
		Log:       slog.New(slog.DiscardHandler), RateBurst: 1 << 20}
	c.handler = handlers.New(deps).Handler(deps)
	return c
}

// send serves text from who in the group as message id and returns what
// the bot said in reply.
func (c *fundChat) send(id string, who bot.User, text string) string {
	c.t.Helper()
	c.mu.Lock()
	start := len(c.said)
	c.mu.Unlock()
	m := &bot.Message{ID: id, Chat: fundGroup, Sender: who, Text: text}
	if err := c.handler.ServeMessage(context.Background(), bot.NewResponder(c.sender, m), m); err != nil {
		c.t.Fatalf("%s: %v", text, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.said[start:], "\n")
}

func (c *fundChat) station() int64 {
	c.t.Helper()
	rec, err := c.store.Chat(context.Background(), fundGroup.Key())
	if err != nil || rec.Station == 0 {
		c.t.Fatalf("no station: %+v, %v", rec, err)
	}
	return rec.Station
}

// TestRedeliveredMessagesCountOnce sends each pledge, payment and vote twice
// with the same platform message id, as a platform that redelivers does,
// and concurrently: each counts once.
func TestRedeliveredMessagesCountOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := newFundChat(t, b)
		c.send("m1", fundHead, "建站 清川佳园互助站")
		st := c.station()
		if err := c.store.SetRole(ctx, st, fundLeader, store.RoleLeader, "3"); err != nil {
			t.Fatal(err)
		}
		c.send("m3", fundWang, "登记 3-1-101")
		c.send("m4", fundWangBo, "登记 3-1-101")
		c.send("m5", fundHead, "众筹 新建 3幢安全门 目标 10200 每户 300")
		c.send("m6", fundHead, "投票 颜色 | 深灰 | 古铜 每户一票")

		// Each step is delivered three times at once; the steps follow one
		// another, so the ledger's order is known.
		for _, msg := range []struct {
			id   string
			who  bot.User
			text string
		}{
			{"m7", fundWang, "认捐 300"},
			{"m8", fundLeader, "已收 3-1-101 200"},
			{"m9", fundLeader, "已收 3-1-102 300"},
			{"m10", fundWang, "投 1 2"},
			{"m11", fundWangBo, "投 1 1"},
		} {
			var wg sync.WaitGroup
			for range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					m := &bot.Message{ID: msg.id, Chat: fundGroup, Sender: msg.who, Text: msg.text}
					if err := c.handler.ServeMessage(ctx, bot.NewResponder(c.sender, m), m); err != nil {
						t.Errorf("%s: %v", msg.text, err)
					}
				}()
			}
			wg.Wait()
		}

		f, err := c.store.Fund(ctx, st, 1)
		if err != nil {
			t.Fatal(err)
		}
		if f.Pledged != 600_00 || f.Paid != 500_00 {
			t.Errorf("campaign pledged %d, paid %d; want 60000, 50000 (each message once)", f.Pledged, f.Paid)
		}
		ledger, err := c.store.FundLedger(ctx, st, 1)
		if err != nil {
			t.Fatal(err)
		}
		// Opened, the pledge, a payment, and for 3-1-102 a pledge and a payment.
		if len(ledger) != 5 {
			t.Errorf("ledger has %d entries; want 5: %+v", len(ledger), ledger)
		}
		votes, err := c.store.Votes(ctx, st, 1)
		if err != nil || len(votes) != 1 {
			t.Fatalf("votes = %+v, %v; want one for the household", votes, err)
		}
	})
}

// TestRoomOutsideRosterRefused imports a roster and checks that pledges and
// payments for rooms outside it are refused with a clear reply and leave no
// trace.
func TestRoomOutsideRosterRefused(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := newFundChat(t, b)
		c.send("m1", fundHead, "建站 清川佳园互助站")
		st := c.station()
		var entries []store.RosterEntry
		for _, r := range []string{"3-1-101", "3-1-102"} {
			room, _ := bot.ParseRoom(r)
			entries = append(entries, store.RosterEntry{Room: room})
		}
		if _, err := c.store.ImportRoster(ctx, st, entries); err != nil {
			t.Fatal(err)
		}
		c.send("m2", fundHead, "众筹 新建 安全门 目标 10200")
		for i, text := range []string{"认捐 300 9-1-101", "已收 9-1-101 300", "认捐 300 3幢1单元103"} {
			got := c.send(fmt.Sprintf("r%d", i), fundHead, text)
			if !strings.Contains(got, "不在本站的住户名册里") {
				t.Errorf("%s: reply %q; want the room refused", text, got)
			}
		}
		if got := c.send("m3", fundWang, "认捐 300 9-1-101"); !strings.Contains(got, "不在本站的住户名册里") {
			t.Errorf("resident pledging outside the roster: %q", got)
		}
		cs, err := c.store.Contributions(ctx, st, 1)
		if err != nil || len(cs) != 0 {
			t.Errorf("refused pledges recorded: %v, %v", cs, err)
		}
		if hs, _ := c.store.Households(ctx, st); len(hs) != 2 {
			t.Errorf("households = %v; want only the roster's", hs)
		}
		if got := c.send("m4", fundHead, "认捐 300 3-1-102"); !strings.Contains(got, "认捐300元") {
			t.Errorf("pledge inside the roster: %q", got)
		}
	})
}
