package scheduler

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// t0 is 08:00 in Shanghai on Saturday 1 March 2025.
var t0 = time.Date(2025, 3, 1, 8, 0, 0, 0, calendar.Shanghai)

// recorder is a Sender that remembers what it sent, keyed by Text, which the
// tests set to the reminder's ID.
type recorder struct {
	mu    sync.Mutex
	sent  []bot.Outgoing
	count map[string]int
	at    map[string]time.Time // wall time of the first send of each text
}

func newRecorder() *recorder {
	return &recorder{count: map[string]int{}, at: map[string]time.Time{}}
}

func (r *recorder) Send(_ context.Context, out bot.Outgoing) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, out)
	if r.count[out.Text] == 0 {
		r.at[out.Text] = time.Now()
	}
	r.count[out.Text]++
	return nil
}

func (r *recorder) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, o := range r.sent {
		out = append(out, o.Text)
	}
	return out
}

func (r *recorder) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent)
}

func (r *recorder) counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.count))
	for k, v := range r.count {
		out[k] = v
	}
	return out
}

// logBuffer collects log lines written from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newTestScheduler returns a Scheduler on b with b's key prefix.
func newTestScheduler(b storetest.Backend, rdb redis.UniversalClient, send bot.Sender, clock bot.Clock, log *slog.Logger, opts ...Option) *Scheduler {
	if rdb == nil {
		rdb = b.Client
	}
	return New(rdb, send, clock, log, append([]Option{WithKeyPrefix(b.Prefix)}, opts...)...)
}

// ownClient returns a new client, with its own connections, to b's server,
// so each scheduler instance in a test is as separate as a process.
func ownClient(t testing.TB, b storetest.Backend) redis.UniversalClient {
	t.Helper()
	c, ok := b.Client.(*redis.Client)
	if !ok {
		t.Fatalf("backend %s: client is %T, not *redis.Client", b.Name, b.Client)
	}
	opt := *c.Options()
	own := redis.NewClient(&opt)
	t.Cleanup(func() { _ = own.Close() })
	return own
}

func outgoing(text string) bot.Outgoing {
	return bot.Outgoing{
		Chat:     bot.Chat{Platform: "console", ID: "u1", Kind: bot.Private},
		Text:     text,
		Mentions: []bot.User{{Platform: "console", ID: "u1", Name: "王阿姨"}},
		Fallback: &bot.Chat{Platform: "console", ID: "g1", Kind: bot.Group, Title: "3号楼"},
	}
}

// dueCount is how many occurrences are due at now.
func dueCount(t testing.TB, s *Scheduler, now time.Time) int64 {
	t.Helper()
	n, err := reminders(s).Queued(context.Background(), now.UnixMilli())
	if err != nil {
		t.Fatalf("count due: %v", err)
	}
	return n
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// loop runs RunDue over and over until ctx is done, as Run does without the
// pause, and reports the first error other than ctx's.
func loop(ctx context.Context, s *Scheduler, errs chan<- error) {
	for ctx.Err() == nil {
		n, err := s.RunDue(ctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			errs <- err
			return
		}
		if n == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// reminders is s's storage, for tests that look inside.
func reminders(s *Scheduler) *store.Reminders { return s.q.(*store.Reminders) }

// queued is how many occurrences s's queue holds.
func queued(t testing.TB, s *Scheduler) int64 {
	t.Helper()
	n, err := reminders(s).Queued(context.Background(), math.MaxInt64)
	if err != nil {
		t.Fatalf("count queued: %v", err)
	}
	return n
}

// leaseKey is the key of reminder id's lease.
func leaseKey(s *Scheduler, id string) string { return reminders(s).LeaseKey(id) }

// hasRecord reports whether reminder id has a record.
func hasRecord(t testing.TB, s *Scheduler, id string) bool {
	t.Helper()
	recs, err := s.q.Records(context.Background(), []string{id})
	if err != nil {
		t.Fatal(err)
	}
	return recs[0] != nil
}
