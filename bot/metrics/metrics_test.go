package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/metrics"
)

var errMalformed = errors.New("malformed")

// classify stands for the program's own classifier.
func classify(err error) metrics.Outcome {
	if errors.Is(err, errMalformed) {
		return metrics.BadInput
	}
	return ""
}

func get(t *testing.T, h http.Handler) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

func TestHealthz(t *testing.T) {
	healthz, _ := metrics.Health(metrics.Check{Name: "store", Check: func(context.Context) error { return errors.New("down") }})
	if code, _ := get(t, healthz); code != http.StatusOK {
		t.Fatalf("healthz = %d, want 200 while the process runs, whatever the store", code)
	}
}

func TestReadyzStore(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	ready := true
	_, readyz := metrics.Health(
		metrics.Check{Name: "store", Check: func(ctx context.Context) error { return rdb.Ping(ctx).Err() }},
		metrics.Check{Name: "telegram", Check: func(context.Context) error {
			if !ready {
				return errors.New("not logged in")
			}
			return nil
		}},
	)
	if code, body := get(t, readyz); code != http.StatusOK {
		t.Fatalf("readyz with the store up = %d %q, want 200", code, body)
	}
	ready = false
	if code, body := get(t, readyz); code != http.StatusServiceUnavailable || !strings.Contains(body, "telegram: not logged in") {
		t.Fatalf("readyz with a platform logged out = %d %q, want 503 naming it", code, body)
	}
	ready = true
	mr.Close()
	if code, body := get(t, readyz); code != http.StatusServiceUnavailable || !strings.Contains(body, "store: ") || strings.Contains(body, "store: ok") {
		t.Fatalf("readyz with the store down = %d %q, want 503 naming the store", code, body)
	}
}

// serve passes a message for command through the outer and inner
// middleware to a handler returning err.
func serve(m *metrics.Metrics, command string, err error) {
	inner := bot.HandlerFunc(func(context.Context, bot.Responder, *bot.Message) error { return err })
	// The chain's error answerer: it swallows what it answers.
	answer := func(next bot.Handler) bot.Handler {
		return bot.HandlerFunc(func(ctx context.Context, r bot.Responder, msg *bot.Message) error {
			if e := next.ServeMessage(ctx, r, msg); e != nil && !errors.Is(e, errMalformed) && !errors.Is(e, bot.ErrRateLimited) {
				return e
			}
			return nil
		})
	}
	h := bot.Chain(inner, m.Middleware(), answer, m.Outcomes())
	msg := &bot.Message{ID: "1", Text: command, Command: command}
	_ = h.ServeMessage(context.Background(), nil, msg)
}

func TestMessagesByCommandAndOutcome(t *testing.T) {
	m := metrics.New(classify)
	serve(m, "report", nil)
	serve(m, "report", nil)
	serve(m, "pledge", errMalformed)
	serve(m, "vote", bot.ErrRateLimited)
	serve(m, "metoo", bot.ErrPanic)
	serve(m, "", nil) // ordinary chat: not counted

	_, body := get(t, m.Handler())
	for _, want := range []string{
		`huzhu_messages_total{command="report",outcome="served"} 2`,
		`huzhu_messages_total{command="pledge",outcome="bad_input"} 1`,
		`huzhu_messages_total{command="vote",outcome="rate_limited"} 1`,
		`huzhu_messages_total{command="metoo",outcome="error"} 1`,
		`huzhu_message_duration_seconds_count{command="report"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, `command="none"`) {
		t.Error("ordinary chat was counted")
	}
}

func TestRoundTripsRemindersAndSends(t *testing.T) {
	m := metrics.New(nil)
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	rdb.AddHook(m.RedisHook())
	rdb.Ping(context.Background()) // connects: the handshake's commands are not the caller's
	var tally atomic.Int64
	ctx := metrics.CountRoundTrips(context.Background(), &tally)
	rdb.Set(ctx, "a", "1", 0)
	_, _ = rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "b")
		p.Incr(ctx, "c")
		return nil
	})
	if tally.Load() != 2 {
		t.Errorf("tally = %d round trips, want 2 (a command, a MULTI)", tally.Load())
	}

	m.ReminderDue()
	m.ReminderSent(30 * time.Millisecond)
	m.ReminderLate()
	m.ReminderRetried()
	m.ReminderDeadLettered()
	send := m.Sender("telegram", bot.SenderFunc(func(context.Context, bot.Outgoing) error { return errors.New("refused") }))
	_ = send.Send(context.Background(), bot.Outgoing{})
	m.PlatformFailed("wechat")
	_ = m.PacerSleep("telegram", func(context.Context, time.Duration) error { return nil })(context.Background(), time.Second)

	_, body := get(t, m.Handler())
	for _, want := range []string{
		"huzhu_redis_round_trips_total ",
		"huzhu_reminders_due_total 1",
		"huzhu_reminders_sent_total 1",
		"huzhu_reminders_late_total 1",
		"huzhu_reminders_retried_total 1",
		"huzhu_reminders_dead_lettered_total 1",
		"huzhu_reminder_lag_seconds_count 1",
		`huzhu_platform_errors_total{op="send",platform="telegram"} 1`,
		`huzhu_platform_errors_total{op="run",platform="wechat"} 1`,
		`huzhu_sends_throttled_total{platform="telegram"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
