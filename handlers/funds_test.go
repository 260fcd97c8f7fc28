package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/numerals"
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
	out     []bot.Outgoing // every message, with the chat it went to
}

func newFundChat(t *testing.T, b storetest.Backend) *fundChat {
	t.Helper()
	c := &fundChat{t: t, store: store.New(b.Client, store.WithKeyPrefix(b.Prefix))}
	c.sender = bot.SenderFunc(func(_ context.Context, out bot.Outgoing) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.said = append(c.said, out.Text)
		c.out = append(c.out, out)
		return nil
	})
	sender := c.sender
	clock := bot.NewFakeClock(time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai))
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
					// A copy that arrives while another is served is held
					// back (ErrInFlight), for the platform to redeliver.
					if err := c.handler.ServeMessage(ctx, bot.NewResponder(c.sender, m), m); err != nil && !errors.Is(err, bot.ErrInFlight) {
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
			room, _ := numerals.ParseRoom(r)
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

// sentSince returns what the bot sent from message index start on, split
// into what groups read and what each person read privately.
func (c *fundChat) sentSince(start int) (group []string, private map[string][]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	private = map[string][]string{}
	for _, out := range c.out[start:] {
		if out.Chat.Kind == bot.Private {
			private[out.Chat.ID] = append(private[out.Chat.ID], out.Text)
		} else {
			group = append(group, out.Text)
		}
	}
	return group, private
}

func (c *fundChat) mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.out)
}

// TestHouseholdPartsStayPrivate follows one household through a campaign:
// what it pledged and paid never reaches the group, a stranger cannot
// pledge for it, and when the building leader changes its pledge or
// records its payment, the household is told privately.
func TestHouseholdPartsStayPrivate(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := newFundChat(t, b)
		c.send("m1", fundHead, "建站 清川佳园互助站")
		st := c.station()
		if err := c.store.SetRole(ctx, st, fundLeader, store.RoleLeader, "3"); err != nil {
			t.Fatal(err)
		}
		c.send("m2", fundWang, "登记 3-1-101")
		c.send("m3", fundHead, "众筹 新建 3幢安全门 目标 10200 每户 300")
		stranger := bot.User{Platform: "console", ID: "stranger", Name: "陌生人"}
		noRoomInGroup := func(step string, group []string) {
			t.Helper()
			for _, g := range group {
				if strings.Contains(g, "3幢1单元101") || strings.Contains(g, "还差") {
					t.Errorf("%s: the group read %q", step, g)
				}
			}
		}

		at := c.mark()
		c.send("m4", fundWang, "认捐 300")
		group, private := c.sentSince(at)
		noRoomInGroup("own pledge", group)
		if !strings.Contains(strings.Join(private[fundWang.ID], "\n"), "3幢1单元101 认捐300元") {
			t.Errorf("own pledge: 王阿姨 read privately %q; want her pledge", private[fundWang.ID])
		}

		at = c.mark()
		c.send("m5", stranger, "认捐 1 3-1-101")
		group, _ = c.sentSince(at)
		noRoomInGroup("stranger's pledge", group)
		if cs, _ := c.store.Contributions(ctx, st, 1); len(cs) != 1 || cs[0].Pledged != 300_00 {
			t.Errorf("after a stranger's pledge: %+v; want the household's 300 yuan untouched", cs)
		}
		if mem, _ := c.store.Member(ctx, st, stranger); mem.Room != "" {
			t.Errorf("the stranger took household %q", mem.Room)
		}

		at = c.mark()
		c.send("m6", fundLeader, "认捐 200 3-1-101")
		c.send("m7", fundLeader, "已收 3-1-101 150")
		group, private = c.sentSince(at)
		noRoomInGroup("leader's pledge and payment", group)
		told := strings.Join(private[fundWang.ID], "\n")
		for _, want := range []string{"从300元改为200元", "交来的150元"} {
			if !strings.Contains(told, want) {
				t.Errorf("王阿姨 was told privately %q; want %q", told, want)
			}
		}

		at = c.mark()
		c.send("m8", fundWang, "账目 1")
		group, private = c.sentSince(at)
		noRoomInGroup("ledger", group)
		if !strings.Contains(strings.Join(private[fundWang.ID], "\n"), "认捐200元，已交150元") {
			t.Errorf("ledger: 王阿姨 read privately %q; want her own line", private[fundWang.ID])
		}
	})
}

// sendPrivately serves text from who in their private chat with the bot,
// as message id.
func (c *fundChat) sendPrivately(id string, who bot.User, text string) {
	c.t.Helper()
	m := &bot.Message{ID: id, Chat: bot.Chat{Platform: who.Platform, ID: who.ID, Kind: bot.Private}, Sender: who, Text: text}
	if err := c.handler.ServeMessage(context.Background(), bot.NewResponder(c.sender, m), m); err != nil {
		c.t.Fatalf("%s: %v", text, err)
	}
}
