package telegram_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/telegram"
	"github.com/huzhu-station/huzhu/bot/telegram/telegramtest"
)

// limitedAPI stands in front of a fake Bot API and refuses a sendMessage
// the way Telegram does when a bot goes faster than its limits: more than
// 30 messages in any second, or more than 20 in a minute to one group, is
// answered 429 with retry_after, by the time of a (fake) clock. Every other
// call, and every send within the limits, goes through to the fake.
type limitedAPI struct {
	clock bot.Clock
	proxy *httputil.ReverseProxy

	mu       sync.Mutex
	all      []time.Time            // accepted sends, oldest first
	perChat  map[string][]time.Time // accepted sends per chat
	refused  int
	accepted int
}

func newLimitedAPI(t *testing.T, f *telegramtest.Server, clock bot.Clock) (*limitedAPI, string) {
	target, err := url.Parse(f.URL())
	if err != nil {
		t.Fatal(err)
	}
	l := &limitedAPI{clock: clock, proxy: httputil.NewSingleHostReverseProxy(target), perChat: map[string][]time.Time{}}
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	return l, srv.URL
}

func (l *limitedAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/sendMessage") {
		l.proxy.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	probe := r.Clone(r.Context())
	probe.Body = io.NopCloser(bytes.NewReader(body))
	chat := ""
	if err := probe.ParseMultipartForm(1 << 20); err == nil {
		chat = probe.FormValue("chat_id")
	} else if err := probe.ParseForm(); err == nil {
		chat = probe.FormValue("chat_id")
	}
	if wait := l.admit(chat); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"ok": false, "error_code": 429,
			"description": fmt.Sprintf("Too Many Requests: retry after %d", secs),
			"parameters":  map[string]any{"retry_after": secs},
		})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	l.proxy.ServeHTTP(w, r)
}

// admit counts a send to chat now and returns zero, or returns how long
// until it would be within the limits and does not count it.
func (l *limitedAPI) admit(chat string) time.Duration {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	wait := tooMany(l.all, now, telegram.Limits.Burst, time.Second)
	if id, err := strconv.ParseInt(chat, 10, 64); err == nil && id < 0 {
		wait = max(wait, tooMany(l.perChat[chat], now, int(telegram.Limits.PerChat), telegram.Limits.PerChatWindow))
	}
	if wait > 0 {
		l.refused++
		return wait
	}
	l.accepted++
	l.all = append(l.all, now)
	l.perChat[chat] = append(l.perChat[chat], now)
	return 0
}

// tooMany returns zero when one more send at now keeps at most n sends in
// any span, else how long until it would.
func tooMany(sent []time.Time, now time.Time, n int, span time.Duration) time.Duration {
	in := 0
	for i := len(sent) - 1; i >= 0 && now.Sub(sent[i]) < span; i-- {
		in++
	}
	if in < n {
		return 0
	}
	return sent[len(sent)-n].Add(span).Sub(now)
}

func (l *limitedAPI) counts() (accepted, refused int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.accepted, l.refused
}

// TestBroadcastToThousandGroups sends one notice to 1,000 groups, one after
// another as a station's broadcast does, through the pacer with Telegram's
// limits and the real adapter, to a fake Bot API that answers 429 whenever
// those limits are broken. The pacer's clock is fake and moves when the
// pacer waits, so the time is the pacer's, never the machine's. Telegram's
// floor is 1000/30 s ≈ 33.3 s; the broadcast must take no more than 10%
// over it, with no 429 and every group reached.
func TestBroadcastToThousandGroups(t *testing.T) {
	const groups = 1000
	f := telegramtest.NewServer(t)
	clock := bot.NewFakeClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	limited, apiURL := newLimitedAPI(t, f, clock)
	tg, err := telegram.New(telegram.Options{Token: telegramtest.Token, APIURL: apiURL, Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	sleep := func(ctx context.Context, d time.Duration) error {
		if until := clock.Now().Add(d); clock.Now().Before(until) {
			clock.Set(until)
		}
		return ctx.Err()
	}
	pacer := bot.NewPacer(tg, telegram.Limits, clock, sleep)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	began, wall := clock.Now(), time.Now()
	var failed int
	for i := range groups {
		chat := bot.Chat{Platform: telegram.PlatformName, Kind: bot.Group, ID: strconv.Itoa(-1000000 - i)}
		if err := pacer.Send(ctx, bot.Outgoing{Chat: chat, Text: "【通知】明天上午9点停水，请提前接水。"}); err != nil {
			failed++
			var ra *bot.RetryAfterError
			if failed <= 3 || errors.As(err, &ra) {
				t.Logf("group %d: %v", i, err)
			}
		}
	}
	took := clock.Now().Sub(began)
	floor := time.Duration(float64(groups) / telegram.Limits.PerSecond * float64(time.Second))
	accepted, refused := limited.counts()
	reached := map[int64]bool{}
	for _, m := range f.Sent() {
		reached[m.ChatID] = true
	}
	t.Logf("broadcast to %d groups: %v by the pacer's clock, floor %v, ratio %.3f; %d 429s; %d arrived in %d groups; %v on the machine",
		groups, took, floor.Round(time.Millisecond), took.Seconds()/floor.Seconds(), refused, accepted, len(reached), time.Since(wall).Round(time.Millisecond))
	if failed > 0 {
		t.Errorf("%d sends failed", failed)
	}
	if refused != 0 {
		t.Errorf("the fake answered 429 %d times; want none", refused)
	}
	if len(reached) != groups || accepted != groups {
		t.Errorf("%d messages arrived in %d groups; want one in each of %d", accepted, len(reached), groups)
	}
	if took > floor*11/10 {
		t.Errorf("the broadcast took %v by the pacer's clock; want within 10%% of the floor %v", took, floor)
	}

	// The fake does refuse what breaks the limits: thirty more sends at
	// this same moment, straight to the adapter, meet a 429.
	var tooFast int
	for i := range 30 {
		chat := bot.Chat{Platform: telegram.PlatformName, Kind: bot.Group, ID: strconv.Itoa(-2000000 - i)}
		var ra *bot.RetryAfterError
		if err := tg.Send(ctx, bot.Outgoing{Chat: chat, Text: "再来一条"}); errors.As(err, &ra) {
			tooFast++
		}
	}
	if tooFast == 0 {
		t.Error("30 unpaced sends right after the broadcast met no 429; the fake does not enforce the limits")
	}
}
