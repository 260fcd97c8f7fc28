package bot_test

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
)

// counter is a handler that counts the messages it serves.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) ServeMessage(context.Context, bot.Responder, *bot.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return nil
}

func (c *counter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func groupMessage(id, user string) *bot.Message {
	return &bot.Message{
		ID:     id,
		Chat:   bot.Chat{Platform: "console", ID: "g1", Kind: bot.Group},
		Sender: bot.User{Platform: "console", ID: user, Name: user},
		Text:   "/issues",
	}
}

func TestRecover(t *testing.T) {
	ctx := context.Background()
	t.Run("panic becomes ErrPanic", func(t *testing.T) {
		h := bot.Recover()(bot.HandlerFunc(func(context.Context, bot.Responder, *bot.Message) error {
			panic("boom")
		}))
		err := h.ServeMessage(ctx, nil, groupMessage("1", "u1"))
		if !errors.Is(err, bot.ErrPanic) {
			t.Fatalf("err = %v; want one wrapping ErrPanic", err)
		}
		if !strings.Contains(err.Error(), "boom") {
			t.Errorf("err = %q; want it to carry the panic value", err)
		}
	})
	t.Run("error passes through", func(t *testing.T) {
		want := errors.New("plain")
		h := bot.Recover()(bot.HandlerFunc(func(context.Context, bot.Responder, *bot.Message) error {
			return want
		}))
		if err := h.ServeMessage(ctx, nil, groupMessage("1", "u1")); err != want {
			t.Errorf("err = %v; want %v", err, want)
		}
	})
	t.Run("nil stays nil", func(t *testing.T) {
		if err := bot.Recover()(nop).ServeMessage(ctx, nil, groupMessage("1", "u1")); err != nil {
			t.Errorf("err = %v; want nil", err)
		}
	})
}

func TestRateLimit(t *testing.T) {
	ctx := context.Background()
	clock := bot.NewFakeClock(time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai))
	var next counter
	h := bot.RateLimit(time.Minute, 3, clock)(&next)
	send := func(user string) error { return h.ServeMessage(ctx, nil, groupMessage("", user)) }

	for i := range 3 {
		if err := send("u1"); err != nil {
			t.Fatalf("message %d within the burst: %v", i+1, err)
		}
	}
	if err := send("u1"); !errors.Is(err, bot.ErrRateLimited) {
		t.Fatalf("first message over the limit: err = %v; want ErrRateLimited", err)
	}
	for i := range 3 {
		if err := send("u1"); err != nil {
			t.Fatalf("message %d after the warning: err = %v; want nil (dropped quietly)", i+1, err)
		}
	}
	if got := next.count(); got != 3 {
		t.Fatalf("served %d messages; want 3 (the burst only)", got)
	}

	// Another person has their own allowance.
	if err := send("u2"); err != nil {
		t.Fatalf("another person: %v", err)
	}

	clock.Advance(time.Minute)
	if err := send("u1"); err != nil {
		t.Fatalf("after the interval: %v", err)
	}
	if got := next.count(); got != 5 {
		t.Fatalf("served %d messages; want 5", got)
	}
	// Over the limit again: the person is warned again, once.
	if err := send("u1"); !errors.Is(err, bot.ErrRateLimited) {
		t.Fatalf("over the limit again: err = %v; want ErrRateLimited", err)
	}
	if err := send("u1"); err != nil {
		t.Fatalf("after the second warning: err = %v; want nil", err)
	}
}

// mapDeduper is a Deduper on a map: "serving" or "done" per key.
type mapDeduper struct {
	mu   sync.Mutex
	mark map[string]string
	err  error
}

func (d *mapDeduper) ClaimMessage(_ context.Context, key string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.err != nil:
		return "", d.err
	case d.mark[key] == "done":
		return "", bot.ErrAlreadyServed
	case d.mark[key] == "serving":
		return "", bot.ErrInFlight
	}
	d.mark[key] = "serving"
	return "t", nil
}

func (d *mapDeduper) FinishMessage(_ context.Context, key, _ string, served bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if served {
		d.mark[key] = "done"
	} else {
		delete(d.mark, key)
	}
	return nil
}

func TestDedupe(t *testing.T) {
	ctx := context.Background()
	d := &mapDeduper{mark: map[string]string{}}
	var next counter
	h := bot.Dedupe(d)(&next)

	steps := []struct {
		name  string
		msg   *bot.Message
		total int // messages served after this one
	}{
		{"first", groupMessage("m1", "u1"), 1},
		{"redelivered", groupMessage("m1", "u1"), 1},
		{"redelivered by another person", groupMessage("m1", "u2"), 1},
		{"new id", groupMessage("m2", "u1"), 2},
		{"same id in another chat", &bot.Message{ID: "m1", Chat: bot.Chat{Platform: "console", ID: "g2"}}, 3},
		{"same id on another platform", &bot.Message{ID: "m1", Chat: bot.Chat{Platform: "telegram", ID: "g1"}}, 4},
		{"no id", groupMessage("", "u1"), 5},
		{"no id again", groupMessage("", "u1"), 6},
	}
	for _, s := range steps {
		if err := h.ServeMessage(ctx, nil, s.msg); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := next.count(); got != s.total {
			t.Fatalf("%s: served %d messages; want %d", s.name, got, s.total)
		}
	}

	d.err = errors.New("redis down")
	err := h.ServeMessage(ctx, nil, groupMessage("m3", "u1"))
	if !errors.Is(err, d.err) {
		t.Errorf("deduper failing: err = %v; want it wrapped", err)
	}
	if got := next.count(); got != 6 {
		t.Errorf("deduper failing: the message was served")
	}
}

// TestDedupeServesAFailedMessageAgain: a message whose handler failed is
// not marked served, so its redelivery is served; one being served is
// neither dropped nor served twice.
func TestDedupeServesAFailedMessageAgain(t *testing.T) {
	ctx := context.Background()
	d := &mapDeduper{mark: map[string]string{}}
	fail := errors.New("store down")
	calls := 0
	h := bot.Dedupe(d)(bot.HandlerFunc(func(context.Context, bot.Responder, *bot.Message) error {
		calls++
		if calls == 1 {
			return fail
		}
		return nil
	}))
	if err := h.ServeMessage(ctx, nil, groupMessage("m1", "u1")); !errors.Is(err, fail) {
		t.Fatalf("first try: err = %v; want the failure", err)
	}
	if err := h.ServeMessage(ctx, nil, groupMessage("m1", "u1")); err != nil || calls != 2 {
		t.Fatalf("redelivered after a failure: err = %v, served %d times; want served again", err, calls)
	}
	if err := h.ServeMessage(ctx, nil, groupMessage("m1", "u1")); err != nil || calls != 2 {
		t.Fatalf("redelivered after success: err = %v, served %d times; want dropped", err, calls)
	}
	d.mark["console:g1:m9"] = "serving"
	if err := h.ServeMessage(ctx, nil, groupMessage("m9", "u1")); !errors.Is(err, bot.ErrInFlight) || calls != 2 {
		t.Fatalf("while another serves it: err = %v, served %d times; want ErrInFlight and not served", err, calls)
	}
}

func TestChainOrder(t *testing.T) {
	var trace []string
	mark := func(name string) bot.Middleware {
		return func(next bot.Handler) bot.Handler {
			return bot.HandlerFunc(func(ctx context.Context, r bot.Responder, m *bot.Message) error {
				trace = append(trace, name+">")
				err := next.ServeMessage(ctx, r, m)
				trace = append(trace, "<"+name)
				return err
			})
		}
	}
	h := bot.Chain(bot.HandlerFunc(func(context.Context, bot.Responder, *bot.Message) error {
		trace = append(trace, "handler")
		return nil
	}), mark("a"), mark("b"), mark("c"))
	if err := h.ServeMessage(context.Background(), nil, groupMessage("1", "u1")); err != nil {
		t.Fatal(err)
	}
	want := "a> b> c> handler <c <b <a"
	if got := strings.Join(trace, " "); got != want {
		t.Errorf("order = %s; want %s", got, want)
	}

	// No middleware at all is the handler itself.
	trace = nil
	if err := bot.Chain(h).ServeMessage(context.Background(), nil, groupMessage("1", "u1")); err != nil {
		t.Fatal(err)
	}
	if len(trace) != 7 {
		t.Errorf("Chain(h) did not serve through h: %v", trace)
	}
}

// recordHandler is an slog.Handler that keeps every record's message and
// attributes.
type recordHandler struct {
	mu      *sync.Mutex
	records *[]string
}

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h recordHandler) WithGroup(string) slog.Handler            { return h }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.records = append(*h.records, b.String())
	return nil
}

func TestLogging(t *testing.T) {
	var records []string
	log := slog.New(recordHandler{mu: &sync.Mutex{}, records: &records})
	failure := errors.New("store down")
	h := bot.Logging(log)(bot.HandlerFunc(func(_ context.Context, _ bot.Responder, m *bot.Message) error {
		if m.Text == "fail" {
			return failure
		}
		if m.Text == "command" {
			m.Command = "report"
		}
		return nil
	}))
	ctx := context.Background()
	for _, text := range []string{"chat", "command", "fail"} {
		m := groupMessage("1", "u1")
		m.Text = text
		err := h.ServeMessage(ctx, nil, m)
		if text == "fail" && (!errors.Is(err, failure) || !bot.Logged(err)) {
			t.Errorf("Logging passed on %v; want the failure, marked as logged", err)
		}
	}
	if len(records) != 2 {
		t.Fatalf("logged %d records; want 2 (plain chat is not logged): %q", len(records), records)
	}
	if !strings.HasPrefix(records[0], "DEBUG message served") || !strings.Contains(records[0], "command=report") {
		t.Errorf("served record = %q", records[0])
	}
	if !strings.HasPrefix(records[1], "ERROR message failed") || !strings.Contains(records[1], "err=store down") {
		t.Errorf("failed record = %q", records[1])
	}
	for _, r := range records {
		if strings.Contains(r, "fail ") || strings.Contains(r, "text=") {
			t.Errorf("record %q holds the message text", r)
		}
	}
}

// TestRateLimitCountsOnArrival: commands are counted when they were
// written, so a flood served slowly (behind a group's send limit) is still
// limited, and a flood from many accounts in one group is limited too,
// but one account's flood does not use up the group's allowance.
func TestRateLimitCountsOnArrival(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai)
	clock := bot.NewFakeClock(start)
	var next counter
	h := bot.RateLimit(time.Second, 5, clock)(&next)

	// 60 commands written in the same second, served one every 3 s.
	limited := 0
	for range 60 {
		m := groupMessage("", "flood")
		m.Time = start
		err := h.ServeMessage(ctx, nil, m)
		if errors.Is(err, bot.ErrRateLimited) {
			limited++
		}
		clock.Advance(3 * time.Second)
	}
	if got := next.count(); got != 5 || limited != 1 {
		t.Fatalf("a flood written at once and served slowly: served %d, warned %d; want the burst of 5, one warning", got, limited)
	}

	// Twenty accounts, a burst each, written at once in another group.
	var groupNext counter
	g := bot.RateLimit(time.Second, 5, clock)(&groupNext)
	groupWarned := 0
	for i := range 20 {
		for range 2 {
			m := groupMessage("", fmt.Sprintf("u%d", i))
			m.Time = start
			if err := g.ServeMessage(ctx, nil, m); errors.Is(err, bot.ErrGroupRateLimited) {
				groupWarned++
			}
		}
	}
	if got := groupNext.count(); got != 15 || groupWarned != 1 {
		t.Fatalf("many accounts flooding one group: served %d, warned %d; want the group's burst of 15, one warning", got, groupWarned)
	}

	// One account's flood is cut to its burst without using up the
	// group's: the next resident is served.
	var fairNext counter
	f := bot.RateLimit(time.Second, 5, clock)(&fairNext)
	for range 60 {
		m := groupMessage("", "flood")
		m.Time = start
		_ = f.ServeMessage(ctx, nil, m)
	}
	m := groupMessage("", "neighbour")
	m.Time = start
	if err := f.ServeMessage(ctx, nil, m); err != nil || fairNext.count() != 6 {
		t.Fatalf("after one account's flood, a neighbour: err %v, served %d; want the flood's 5 and the neighbour", err, fairNext.count())
	}
}
