package handlers_test

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"slices"
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
)

// webBench is a station whose households act from the web page with their
// codes, beside members who write to the bot.
type webBench struct {
	t       *testing.T
	app     *handlers.App
	st      *store.Store
	handler bot.Handler
	mu      sync.Mutex
	sent    []bot.Outgoing
	seq     int
	clock   *bot.FakeClock
}

func (w *webBench) Send(_ context.Context, out bot.Outgoing) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sent = append(w.sent, out)
	return nil
}

func newWebBench(t *testing.T, b storetest.Backend) *webBench {
	t.Helper()
	w := &webBench{t: t, st: store.New(b.Client, store.WithKeyPrefix(b.Prefix))}
	clock := bot.NewFakeClock(time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai))
	w.clock = clock
	deps := handlers.Deps{
		Store:     w.st,
		Sender:    w,
		Clock:     clock,
		Scheduler: scheduler.New(b.Client, w, clock, nil, scheduler.WithKeyPrefix(b.Prefix)),
		Log:       slog.New(slog.DiscardHandler),
		RateBurst: 1 << 30,
	}
	w.app = handlers.New(deps)
	w.handler = w.app.Handler(deps)
	return w
}

// send serves text from who in chat and returns the texts it caused.
func (w *webBench) send(chat bot.Chat, who bot.User, text string) []bot.Outgoing {
	w.t.Helper()
	w.seq++
	m := &bot.Message{ID: "m" + strconv.Itoa(w.seq), Chat: chat, Sender: who, Text: text}
	w.mu.Lock()
	n := len(w.sent)
	w.mu.Unlock()
	if err := w.handler.ServeMessage(context.Background(), bot.NewResponder(w, m), m); err != nil {
		w.t.Fatalf("%s: %v", text, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.sent[n:])
}

var codeLine = regexp.MustCompile(`(\S+)：([0-9A-Z]{4} [0-9A-Z]{4})`)

// codes asks for building's codes as the head and returns them by room.
func (w *webBench) codes(building string) map[string]string {
	w.t.Helper()
	out := map[string]string{}
	for _, o := range w.send(uxHead.PrivateChat(), uxHead, "住户码 "+building) {
		for _, m := range codeLine.FindAllStringSubmatch(o.Text, -1) {
			out[m[1]] = m[2]
		}
	}
	return out
}

func TestWebHouseholdVotesAsTheHousehold(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWebBench(t, b)
		w.send(uxGroup, uxHead, "建站 幸福里互助站")
		w.send(uxGroup, uxWang, "登记 3幢1单元101")
		w.send(uxGroup, uxLi, "登记 3-1-102")
		codes := w.codes("3幢")
		code := codes["3幢1单元101"]
		if len(codes) != 2 || code == "" {
			t.Fatalf("codes = %v", codes)
		}

		red, err := w.app.RedeemCode(ctx, strings.ToLower(code), "198.51.100.7")
		if err != nil {
			t.Fatalf("RedeemCode: %v", err)
		}
		web := red.User
		if red.Room.Key() != "3-1-101" || web.Platform != store.WebPlatform {
			t.Fatalf("redeemed %+v", red)
		}

		w.send(uxGroup, uxHead, "投票 安全门选什么颜色 | 深灰 | 古铜 每户一票")
		got := w.send(web.PrivateChat(), web, "投 1 深灰")
		if len(got) == 0 || !strings.Contains(got[0].Text, "深灰") {
			t.Fatalf("web vote answered %q", texts(got))
		}
		// A later vote of another member replaces the household's vote, and
		// the household's web person is told, as any member would be.
		got = w.send(uxWang.PrivateChat(), uxWang, "投 1 古铜")
		if !slices.ContainsFunc(got, func(o bot.Outgoing) bool { return o.Chat == web.PrivateChat() }) {
			t.Errorf("the web person was not told of the household's new vote: %q", texts(got))
		}
		votes, err := w.st.Votes(ctx, red.Station, 1)
		if err != nil || len(votes) != 1 || votes[0].Voter != "3-1-101" || votes[0].Option != 1 {
			t.Fatalf("votes = %+v, %v", votes, err)
		}

		// Revoked: the phone's person can no longer act for the household.
		w.send(uxHead.PrivateChat(), uxHead, "住户码 3幢1单元101 作废")
		if _, _, err := w.app.WebHousehold(ctx, web); !errors.Is(err, store.ErrCodeUnknown) {
			t.Errorf("WebHousehold after revoke: %v", err)
		}
		w.send(web.PrivateChat(), web, "投 1 深灰")
		votes, _ = w.st.Votes(ctx, red.Station, 1)
		if len(votes) != 1 || votes[0].UserKey != uxWang.Key() || votes[0].Option != 1 {
			t.Errorf("a revoked code's person voted: %+v", votes)
		}
		if _, err := w.app.RedeemCode(ctx, code, "198.51.100.7"); !errors.Is(err, store.ErrCodeUnknown) {
			t.Errorf("revoked code redeemed: %v", err)
		}

		// Wrong codes, again and again, from one client: limited.
		for range store.CodeFailLimit {
			_, _ = w.app.RedeemCode(ctx, "0000 0000", "203.0.113.5")
		}
		if _, err := w.app.RedeemCode(ctx, codes["3幢1单元102"], "203.0.113.5"); !errors.Is(err, store.ErrCodeLimited) {
			t.Errorf("after %d wrong codes: %v", store.CodeFailLimit, err)
		}
	})
}
