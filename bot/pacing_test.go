package bot_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/telegram"
)

var pacingStart = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// fakeTelegram is a platform Sender that enforces Telegram's limits itself,
// on a fake clock: at most 30 sends in any 1 s window over all chats and at
// most 20 in any 60 s window per group. A send over either limit is refused
// with a *bot.RetryAfterError, as the Bot API answers 429, and counted.
type fakeTelegram struct {
	clock *bot.FakeClock

	mu      sync.Mutex
	all     []time.Time
	perChat map[string][]time.Time
	sent    []sentMessage
	tooMany int
}

type sentMessage struct {
	out bot.Outgoing
	at  time.Time
}

func newFakeTelegram(clock *bot.FakeClock) *fakeTelegram {
	return &fakeTelegram{clock: clock, perChat: map[string][]time.Time{}}
}

func (f *fakeTelegram) Send(_ context.Context, out bot.Outgoing) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	if wait := windowWait(f.all, now, 30, time.Second); wait > 0 {
		f.tooMany++
		return &bot.RetryAfterError{After: wait, Global: true}
	}
	key := out.Chat.Key()
	if out.Chat.Kind == bot.Group {
		if wait := windowWait(f.perChat[key], now, 20, time.Minute); wait > 0 {
			f.tooMany++
			return &bot.RetryAfterError{After: wait}
		}
	}
	f.all = append(f.all, now)
	f.perChat[key] = append(f.perChat[key], now)
	f.sent = append(f.sent, sentMessage{out: out, at: now})
	return nil
}

// windowWait returns how long until one more send fits in the window
// (now-span, now] that already holds the sends in times (in order), or 0.
func windowWait(times []time.Time, now time.Time, n int, span time.Duration) time.Duration {
	var in []time.Time
	for _, t := range times {
		if t.After(now.Add(-span)) && !t.After(now) {
			in = append(in, t)
		}
	}
	if len(in) < n {
		return 0
	}
	return in[len(in)-n].Add(span).Sub(now)
}

// fakeSleeper moves a FakeClock instead of waiting. Several goroutines may
// sleep at once: each moves the clock to its own wake time unless it is
// already later, so the clock never runs backwards and sleeps do not add up.
type fakeSleeper struct {
	clock *bot.FakeClock
	// during, when set, runs once inside the first sleep, before the clock
	// moves: it stands for what other goroutines do while one waits.
	during func()

	mu    sync.Mutex
	calls []time.Duration
}

func (s *fakeSleeper) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	wake := s.clock.Now().Add(d)
	s.mu.Lock()
	s.calls = append(s.calls, d)
	during := s.during
	s.during = nil
	s.mu.Unlock()
	if during != nil {
		during()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clock.Now().Before(wake) {
		s.clock.Set(wake)
	}
	return nil
}

func group(i int) bot.Chat {
	return bot.Chat{Platform: "telegram", ID: fmt.Sprintf("-100%d", i), Kind: bot.Group}
}

// broadcast sends rounds messages to each of groups chats, one round after
// another, from one goroutine, and returns how long it took on the fake
// clock: from the start until the last message was accepted.
func broadcast(t testing.TB, groups, rounds int) (took time.Duration, platform *fakeTelegram) {
	clock := bot.NewFakeClock(pacingStart)
	platform = newFakeTelegram(clock)
	sleeper := &fakeSleeper{clock: clock}
	p := bot.NewPacer(platform, telegram.Limits, clock, sleeper.Sleep)
	ctx := context.Background()
	for r := range rounds {
		for g := range groups {
			out := bot.Outgoing{Chat: group(g), Text: fmt.Sprintf("notice %d", r)}
			if err := p.Send(ctx, out); err != nil {
				t.Fatalf("send %d to group %d: %v", r, g, err)
			}
		}
	}
	return clock.Now().Sub(pacingStart), platform
}

// minimumBroadcast is the least time in which perGroup[i] messages to each
// group i can all be accepted under Telegram's limits, counted from the
// first send to the last. A limit of n sends in any window w means that,
// with all send times sorted, t[i+n] >= t[i] + w; chaining it from the last
// message back gives t[m-1] >= t[(m-1) mod n] + floor((m-1)/n)·w >= floor((m-1)/n)·w
// for m messages. That holds for all messages together (n=30, w=1s) and
// for each group's own (n=20, w=60s); the minimum is the larger bound:
//
//	100 groups × 1:  floor(99/30)·1s = 3s    (30 at 0s, 1s, 2s; 10 at 3s)
//	100 groups × 3:  floor(299/30)·1s = 9s
//	1 group × 50:    floor(49/20)·60s = 120s (20 at 0s, 20 at 60s, 10 at 120s)
//
// A token-bucket estimate such as (100-30)/30 s = 2.33s is not reachable:
// it puts 59 sends in the first second.
func minimumBroadcast(groups, rounds int) time.Duration {
	total := groups * rounds
	overall := time.Duration((total-1)/30) * time.Second
	perGroup := time.Duration((rounds-1)/20) * time.Minute
	return max(overall, perGroup)
}

func TestPacerBroadcastWithinTelegramLimits(t *testing.T) {
	tests := []struct {
		name           string
		groups, rounds int
	}{
		{"100 groups × 1", 100, 1},
		{"100 groups × 3", 100, 3},
		{"1 group × 50", 1, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			took, platform := broadcast(t, tt.groups, tt.rounds)
			if platform.tooMany != 0 {
				t.Errorf("platform refused %d sends with 429, want 0", platform.tooMany)
			}
			if got, want := len(platform.sent), tt.groups*tt.rounds; got != want {
				t.Errorf("platform accepted %d messages, want %d", got, want)
			}
			least := minimumBroadcast(tt.groups, tt.rounds)
			ratio := float64(took) / float64(least)
			t.Logf("took %s on the fake clock, minimum %s, ratio %.3f", took, least, ratio)
			if took < least || ratio > 1.10 {
				t.Errorf("took %s, want between the minimum %s and 10%% more", took, least)
			}
		})
	}
}

func BenchmarkPacerBroadcast100Groups(b *testing.B) {
	var took time.Duration
	for b.Loop() {
		var platform *fakeTelegram
		took, platform = broadcast(b, 100, 1)
		if platform.tooMany != 0 {
			b.Fatalf("platform refused %d sends with 429", platform.tooMany)
		}
	}
	b.ReportMetric(took.Seconds(), "fake-s/broadcast")
	b.ReportMetric(float64(took)/float64(minimumBroadcast(100, 1)), "x-minimum")
}

// flaky refuses the first refusals sends with err, then passes sends on.
type flaky struct {
	next     bot.Sender
	refusals int
	err      error

	mu       sync.Mutex
	attempts int
}

func (f *flaky) Send(ctx context.Context, out bot.Outgoing) error {
	f.mu.Lock()
	f.attempts++
	refuse := f.attempts <= f.refusals
	f.mu.Unlock()
	if refuse {
		return f.err
	}
	return f.next.Send(ctx, out)
}

func TestPacerHonoursRetryAfter(t *testing.T) {
	clock := bot.NewFakeClock(pacingStart)
	platform := newFakeTelegram(clock)
	// Wrapped, as an adapter would: the Pacer must still find it.
	refusal := fmt.Errorf("telegram: %w", &bot.RetryAfterError{After: 3 * time.Second, Err: errors.New("429 Too Many Requests")})
	f := &flaky{next: platform, refusals: 1, err: refusal}
	sleeper := &fakeSleeper{clock: clock}
	p := bot.NewPacer(f, telegram.Limits, clock, sleeper.Sleep)

	if err := p.Send(context.Background(), bot.Outgoing{Chat: group(1), Text: "duty at 19:00"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if f.attempts != 2 {
		t.Errorf("platform was tried %d times, want 2", f.attempts)
	}
	if len(platform.sent) != 1 || platform.sent[0].out.Text != "duty at 19:00" {
		t.Fatalf("platform got %+v, want the message once", platform.sent)
	}
	if got := platform.sent[0].at.Sub(pacingStart); got != 3*time.Second {
		t.Errorf("sent after %s on the fake clock, want 3s", got)
	}
}

func TestPacerHoldsChatOrPlatform(t *testing.T) {
	tests := []struct {
		name    string
		global  bool
		otherAt time.Duration // when another group's message goes out while the first is held
	}{
		{"chat", false, 0},
		{"platform", true, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := bot.NewFakeClock(pacingStart)
			platform := newFakeTelegram(clock)
			f := &flaky{next: platform, refusals: 1, err: &bot.RetryAfterError{After: 5 * time.Second, Global: tt.global}}
			sleeper := &fakeSleeper{clock: clock}
			p := bot.NewPacer(f, telegram.Limits, clock, sleeper.Sleep)
			ctx := context.Background()
			var otherErr error
			sleeper.during = func() { otherErr = p.Send(ctx, bot.Outgoing{Chat: group(2), Text: "other"}) }

			if err := p.Send(ctx, bot.Outgoing{Chat: group(1), Text: "held"}); err != nil {
				t.Fatalf("Send held: %v", err)
			}
			if otherErr != nil {
				t.Fatalf("Send other: %v", otherErr)
			}
			at := map[string]time.Duration{}
			for _, s := range platform.sent {
				at[s.out.Text] = s.at.Sub(pacingStart)
			}
			if len(platform.sent) != 2 || at["held"] != 5*time.Second || at["other"] != tt.otherAt {
				t.Errorf("sent at %v, want held at 5s and other at %s", at, tt.otherAt)
			}
		})
	}
}

func TestPacerGivesUpAfterRetries(t *testing.T) {
	clock := bot.NewFakeClock(pacingStart)
	f := &flaky{next: newFakeTelegram(clock), refusals: 1000, err: &bot.RetryAfterError{After: time.Second}}
	sleeper := &fakeSleeper{clock: clock}
	p := bot.NewPacer(f, telegram.Limits, clock, sleeper.Sleep)

	err := p.Send(context.Background(), bot.Outgoing{Chat: group(1), Text: "x"})
	var ra *bot.RetryAfterError
	if !errors.As(err, &ra) {
		t.Fatalf("Send = %v, want a RetryAfterError", err)
	}
	if want := bot.PacerRetries + 1; f.attempts != want {
		t.Errorf("platform was tried %d times, want %d", f.attempts, want)
	}
}

func TestPacerCancelWhileWaiting(t *testing.T) {
	t.Run("fake clock", func(t *testing.T) {
		clock := bot.NewFakeClock(pacingStart)
		platform := newFakeTelegram(clock)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sleeps := 0
		sleep := func(ctx context.Context, d time.Duration) error {
			sleeps++
			cancel() // the caller gives up while the message waits its turn
			return ctx.Err()
		}
		p := bot.NewPacer(platform, bot.Limits{MinGap: time.Minute}, clock, sleep)

		if err := p.Send(ctx, bot.Outgoing{Chat: group(1), Text: "first"}); err != nil {
			t.Fatalf("first Send: %v", err)
		}
		if err := p.Send(ctx, bot.Outgoing{Chat: group(1), Text: "cancelled"}); !errors.Is(err, context.Canceled) {
			t.Fatalf("Send while waiting = %v, want context.Canceled", err)
		}
		// The cancelled message gave its slot back: a minute on, the next
		// one goes at once instead of a minute after the slot it had.
		clock.Advance(time.Minute)
		if err := p.Send(context.Background(), bot.Outgoing{Chat: group(1), Text: "third"}); err != nil {
			t.Fatalf("third Send: %v", err)
		}
		if sleeps != 1 {
			t.Errorf("slept %d times, want 1 (the third message should not wait)", sleeps)
		}
		if len(platform.sent) != 2 || platform.sent[1].out.Text != "third" {
			t.Errorf("platform got %+v, want first and third", platform.sent)
		}
	})
	t.Run("real timer", func(t *testing.T) {
		var sent int
		next := bot.SenderFunc(func(context.Context, bot.Outgoing) error { sent++; return nil })
		p := bot.NewPacer(next, bot.Limits{MinGap: time.Hour}, bot.SystemClock{}, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if err := p.Send(ctx, bot.Outgoing{Chat: group(1)}); err != nil {
			t.Fatalf("first Send: %v", err)
		}
		if err := p.Send(ctx, bot.Outgoing{Chat: group(1)}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Send while waiting = %v, want context.DeadlineExceeded", err)
		}
		if sent != 1 {
			t.Errorf("sent %d messages, want 1", sent)
		}
	})
}

// TestPacerSlotsOutOfOrder checks the slots the Pacer books when messages
// arrive faster than they can go, so that bookings land out of order: a
// message to a group at its limit books a slot a minute on, and the next
// message, to another group, takes an earlier one. Every booking must keep
// both Telegram limits and be the earliest that does, which a brute-force
// search over the candidate times confirms.
func TestPacerSlotsOutOfOrder(t *testing.T) {
	clock := bot.NewFakeClock(pacingStart)
	var booked time.Time
	// The sleep only notes the slot and returns: the Pacer hands the message
	// on at once, and the next one arrives before earlier slots are due.
	sleep := func(_ context.Context, d time.Duration) error {
		booked = clock.Now().Add(d)
		return nil
	}
	p := bot.NewPacer(bot.SenderFunc(func(context.Context, bot.Outgoing) error { return nil }), telegram.Limits, clock, sleep)

	type slot struct {
		chat int
		at   time.Time
	}
	var slots []slot
	// keepsLimits reports whether a slot at for chat keeps both limits next
	// to the slots booked so far. The booked slots already keep them, so
	// only windows holding at matter, and those hold only slots within a
	// window's length of it.
	near := func(a, b time.Time, span time.Duration) bool { return a.Sub(b).Abs() < span }
	keepsLimits := func(chat int, at time.Time) bool {
		all, mine := []time.Time{at}, []time.Time{at}
		for _, s := range slots {
			if near(s.at, at, time.Second) {
				all = append(all, s.at)
			}
			if s.chat == chat && near(s.at, at, time.Minute) {
				mine = append(mine, s.at)
			}
		}
		return spaced(all, 30, time.Second) && spaced(mine, 20, time.Minute)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	outOfOrder := 0
	for range 200 {
		clock.Advance(time.Duration(rng.IntN(300)) * time.Millisecond)
		now := clock.Now()
		chat := rng.IntN(6)
		booked = now
		if err := p.Send(context.Background(), bot.Outgoing{Chat: group(chat)}); err != nil {
			t.Fatal(err)
		}
		if !keepsLimits(chat, booked) {
			t.Fatalf("slot %s for group %d breaks a limit", booked.Sub(pacingStart), chat)
		}
		// The earliest slot is now or a span after, or at, an earlier one.
		candidates := []time.Time{now}
		for _, s := range slots {
			candidates = append(candidates, s.at, s.at.Add(time.Second), s.at.Add(time.Minute))
		}
		for _, c := range candidates {
			if !c.Before(now) && c.Before(booked) && keepsLimits(chat, c) {
				t.Fatalf("slot %s for group %d, but %s was free", booked.Sub(pacingStart), chat, c.Sub(pacingStart))
			}
		}
		if len(slots) > 0 && booked.Before(slots[len(slots)-1].at) {
			outOfOrder++
		}
		slots = append(slots, slot{chat, booked})
	}
	if outOfOrder == 0 {
		t.Error("no booking came before an earlier one; the test did not exercise out-of-order slots")
	}
	t.Logf("%d of %d bookings before the previous one", outOfOrder, len(slots))
}

// spaced reports whether times hold at most n in any window of length span.
func spaced(times []time.Time, n int, span time.Duration) bool {
	times = slices.SortedFunc(slices.Values(times), time.Time.Compare)
	for i := 0; i+n < len(times); i++ {
		if times[i+n].Sub(times[i]) < span {
			return false
		}
	}
	return true
}

func TestPacerPrivateChatSpacing(t *testing.T) {
	clock := bot.NewFakeClock(pacingStart)
	var at []time.Duration
	next := bot.SenderFunc(func(context.Context, bot.Outgoing) error {
		at = append(at, clock.Now().Sub(pacingStart))
		return nil
	})
	sleeper := &fakeSleeper{clock: clock}
	p := bot.NewPacer(next, telegram.Limits, clock, sleeper.Sleep)
	private := bot.User{Platform: "telegram", ID: "42"}.PrivateChat()
	for range 3 {
		if err := p.Send(context.Background(), bot.Outgoing{Chat: private}); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{0, time.Second, 2 * time.Second}
	if fmt.Sprint(at) != fmt.Sprint(want) {
		t.Errorf("private messages sent at %v, want %v", at, want)
	}
}

// TestPacerConcurrentSendsOnce runs with a real clock and limits high
// enough to finish quickly; with -race it checks that concurrent Sends share
// the Pacer safely and every message is delivered exactly once.
func TestPacerConcurrentSendsOnce(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{}
	next := bot.SenderFunc(func(_ context.Context, out bot.Outgoing) error {
		mu.Lock()
		defer mu.Unlock()
		got[out.Text]++
		return nil
	})
	limits := bot.Limits{PerSecond: 20000, Burst: 100, PerChat: 200, PerChatWindow: 100 * time.Millisecond}
	p := bot.NewPacer(next, limits, bot.SystemClock{}, nil)

	const goroutines, each = 10, 40
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				out := bot.Outgoing{Chat: group(i % 7), Text: fmt.Sprintf("%d/%d", g, i)}
				if err := p.Send(context.Background(), out); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(got) != goroutines*each {
		t.Errorf("delivered %d distinct messages, want %d", len(got), goroutines*each)
	}
	for text, n := range got {
		if n != 1 {
			t.Errorf("message %s delivered %d times", text, n)
		}
	}
}
