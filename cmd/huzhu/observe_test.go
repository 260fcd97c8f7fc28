package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/console"
	"github.com/huzhu-station/huzhu/bot/store"
)

// readyPlatform is a platform that is logged in while ready is set.
type readyPlatform struct {
	discard
	ready atomic.Bool
}

func (*readyPlatform) Name() string                                  { return "telegram" }
func (*readyPlatform) Run(ctx context.Context, _ bot.Receiver) error { <-ctx.Done(); return nil }
func (p *readyPlatform) Ready() error {
	if !p.ready.Load() {
		return errors.New("not logged in")
	}
	return nil
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestMetricsServed wires the metrics as run does, serves messages through
// the whole chain and reads /metrics, /healthz and /readyz over HTTP.
func TestMetricsServed(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	log := slog.New(slog.DiscardHandler)
	cfg := &Config{BotName: "huzhu", MetricsAddr: "127.0.0.1:0", RateBurst: 1000}
	cfg.observe = newMetrics(rdb)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tg := &readyPlatform{}
	addr, err := serveMetrics(ctx, cfg, rdb, []platform{{Platform: tg}}, log)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr.String()

	c := newCore(cfg, store.New(rdb), bot.SystemClock{}, log)
	c.disp.Add(console.PlatformName, discard{}, discard{})
	group := bot.Chat{Platform: console.PlatformName, ID: "g", Kind: bot.Group, Title: "测试群"}
	for i, text := range []string{"建站 测试站", "帮助", "同问 九十九"} {
		m := &bot.Message{ID: string(rune('a' + i)), Chat: group, Sender: bot.User{Platform: console.PlatformName, ID: "王阿姨", Name: "王阿姨"}, Text: text}
		if err := c.receiver.Handler.ServeMessage(ctx, bot.NewResponder(c.disp, m), m); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
	}

	_, body := httpGet(t, base+"/metrics")
	for _, want := range []string{
		`huzhu_messages_total{command="help",outcome="served"} 1`,
		`huzhu_messages_total{command="metoo",outcome="bad_input"} 1`,
		`huzhu_message_duration_seconds_count{command="help"} 1`,
		"huzhu_redis_round_trips_total ",
		"huzhu_reminders_due_total 0",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, _ := httpGet(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200", code)
	}
	if code, body := httpGet(t, base+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "telegram: not logged in") {
		t.Errorf("/readyz before the platform is logged in = %d %q, want 503 naming it", code, body)
	}
	tg.ready.Store(true)
	if code, body := httpGet(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d %q, want 200", code, body)
	}
	mr.Close()
	if code, body := httpGet(t, base+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "store: ") {
		t.Errorf("/readyz with the store down = %d %q, want 503 naming the store", code, body)
	}
	if code, _ := httpGet(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz with the store down = %d, want 200", code)
	}
}
