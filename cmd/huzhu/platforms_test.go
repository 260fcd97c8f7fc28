package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
)

func TestTelegramConfig(t *testing.T) {
	const token = "123456:AAsecret"
	tests := []struct {
		name string
		env  map[string]string
		ok   bool
	}{
		{"off", nil, true},
		{"polling", map[string]string{"TELEGRAM_TOKEN": token}, true},
		{"webhook", map[string]string{"TELEGRAM_TOKEN": token, "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg",
			"TELEGRAM_WEBHOOK_SECRET": "abc_DEF-123"}, true},
		{"webhook without secret", map[string]string{"TELEGRAM_TOKEN": token, "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg"}, false},
		{"bad secret", map[string]string{"TELEGRAM_TOKEN": token, "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg",
			"TELEGRAM_WEBHOOK_SECRET": "has space"}, false},
		{"plain http to Telegram", map[string]string{"TELEGRAM_TOKEN": token, "TELEGRAM_WEBHOOK_URL": "http://bot.example.org/tg",
			"TELEGRAM_WEBHOOK_SECRET": "s"}, false},
		{"plain http to a self-hosted server", map[string]string{"TELEGRAM_TOKEN": token, "TELEGRAM_WEBHOOK_URL": "http://huzhu:8443/tg",
			"TELEGRAM_WEBHOOK_SECRET": "s", "TELEGRAM_API_URL": "http://127.0.0.1:8081"}, true},
		{"bad listen", map[string]string{"TELEGRAM_TOKEN": token, "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg",
			"TELEGRAM_WEBHOOK_SECRET": "s", "TELEGRAM_LISTEN": "8443"}, false},
		{"bad token", map[string]string{"TELEGRAM_TOKEN": "AAsecret-without-id"}, false},
		{"webhook without token", map[string]string{"TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(nil, func(k string) string { return tt.env[k] }, io.Discard)
			if (err == nil) != tt.ok {
				t.Errorf("parseConfig = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && (strings.Contains(err.Error(), "AAsecret")) {
				t.Errorf("the error quotes the token: %v", err)
			}
		})
	}
}

// flaky is a platform whose Run fails (or panics) a number of times, then
// serves until its context is done.
type flaky struct {
	name   string
	fails  int
	panics bool
	runs   atomic.Int32
	up     chan struct{}
	once   sync.Once
}

func (f *flaky) Name() string                             { return f.name }
func (f *flaky) Send(context.Context, bot.Outgoing) error { return nil }
func (f *flaky) Run(ctx context.Context, _ bot.Receiver) error {
	if int(f.runs.Add(1)) <= f.fails {
		if f.panics {
			panic("boom")
		}
		return errors.New("connection refused")
	}
	f.once.Do(func() { close(f.up) })
	<-ctx.Done()
	return ctx.Err()
}

func TestSuperviseRestartsWithBackoff(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var mu sync.Mutex
	var waits []time.Duration
	sleep := func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	b := backoff{initial: time.Second, max: 4 * time.Second, healthy: time.Hour}
	var logs bytes.Buffer
	var logMu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), nil))

	failing := &flaky{name: "telegram", fails: 5, up: make(chan struct{})}
	panicking := &flaky{name: "wechat", fails: 1, panics: true, up: make(chan struct{})}
	steady := &flaky{name: "steady", up: make(chan struct{})}
	var wg sync.WaitGroup
	for _, p := range []*flaky{failing, panicking, steady} {
		wg.Go(func() { supervise(ctx, p, bot.ReceiverFunc(func(context.Context, *bot.Message) {}), log, b, sleep) })
	}
	for _, p := range []*flaky{failing, panicking, steady} {
		select {
		case <-p.up:
		case <-ctx.Done():
			t.Fatalf("%s never came up", p.name)
		}
	}
	if n := steady.runs.Load(); n != 1 {
		t.Errorf("the steady platform was started %d times", n)
	}
	cancel()
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	// Five failures of one platform and one panic of another: the waits
	// double up to the cap, each within the jitter.
	want := map[time.Duration]int{time.Second: 2, 2 * time.Second: 1, 4 * time.Second: 3}
	got := map[time.Duration]int{}
	for _, w := range waits {
		for base := range want {
			if w >= base*9/10 && w <= base*11/10 {
				got[base]++
			}
		}
	}
	if len(waits) != 6 || got[time.Second] != 2 || got[2*time.Second] != 1 || got[4*time.Second] != 3 {
		t.Errorf("waits %v, want 1s 2s 4s 4s 4s for one platform and 1s for the other", waits)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "panic: boom") || strings.Count(logs.String(), "platform failed") != 6 {
		t.Errorf("log:\n%s", logs.String())
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestRunStartsTelegram runs the whole program with a Telegram token: it
// starts Telegram instead of the console, and keeps running (retrying)
// while the Bot API cannot be reached.
func TestRunStartsTelegram(t *testing.T) {
	var getMe atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/getMe"):
			if getMe.Add(1) == 1 {
				w.WriteHeader(http.StatusBadGateway) // down at first
				_, _ = io.WriteString(w, `{"ok":false,"error_code":502,"description":"Bad Gateway"}`)
				return
			}
			_, _ = io.WriteString(w, `{"ok":true,"result":{"id":777,"is_bot":true,"first_name":"huzhu","username":"huzhu_test_bot"}}`)
		case strings.HasSuffix(r.URL.Path, "/getWebhookInfo"):
			_, _ = io.WriteString(w, `{"ok":true,"result":{"url":""}}`)
		case strings.HasSuffix(r.URL.Path, "/getUpdates"):
			select {
			case <-time.After(100 * time.Millisecond):
			case <-r.Context().Done():
			}
			_, _ = io.WriteString(w, `{"ok":true,"result":[]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"ok":false,"error_code":404,"description":"Not Found"}`)
		}
	}))
	defer api.Close()
	env := map[string]string{
		"TELEGRAM_TOKEN":   "777:run-test-token",
		"TELEGRAM_API_URL": api.URL,
		"HUZHU_DATA":       t.TempDir(),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	}()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(stderr.String(), "telegram ready") {
		if time.Now().After(deadline) {
			t.Fatalf("telegram never became ready; log:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run = %v", err)
	}
	logs := stderr.String()
	if !strings.Contains(logs, "platform failed; restarting") {
		t.Errorf("the first failure was not logged and retried:\n%s", logs)
	}
	if strings.Contains(logs, "run-test-token") {
		t.Error("the token was logged")
	}
	if stdout.String() != "" || strings.Contains(logs, "console ready") {
		t.Errorf("the console started beside Telegram: %q", stdout.String())
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
