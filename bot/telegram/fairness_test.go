package telegram_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/intake"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/bot/telegram"
	"github.com/huzhu-station/huzhu/bot/telegram/telegramtest"
)

// pacedSend is one message as it left the pacer for Telegram, with the
// pacer's (fake) time.
type pacedSend struct {
	at   time.Time
	wall time.Time
	out  bot.Outgoing
	sent int // its place among all sends, from 1
}

// pacedLog records what the pacer lets through, and when by its clock.
type pacedLog struct {
	next  bot.Sender
	clock bot.Clock
	mu    sync.Mutex
	sends []pacedSend
}

func (l *pacedLog) Send(ctx context.Context, out bot.Outgoing) error {
	l.mu.Lock()
	l.sends = append(l.sends, pacedSend{at: l.clock.Now(), wall: time.Now(), out: out, sent: len(l.sends) + 1})
	l.mu.Unlock()
	return l.next.Send(ctx, out)
}

func (l *pacedLog) all() []pacedSend {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]pacedSend(nil), l.sends...)
}

// TestFloodIsFair runs the whole chain on Telegram, with the intake in the
// store and the pacer's limits (20 messages a minute in a group) on a fake
// clock that moves when the pacer waits: one resident sends 60 commands at
// once in a group and another sends `事项 1` right after. The flood is cut
// to the person's burst with one notice, and the other resident's answer
// goes out among the first few of the group's messages, not behind the
// whole burst and its minute of pacing. The wait is logged, not asserted.
func TestFloodIsFair(t *testing.T) {
	const flood = 60
	const burst = 20 // a person's, by default (handlers.Deps.RateBurst)
	f := telegramtest.NewServer(t)
	q := storetest.Miniredis(t)
	late := &lateReceiver{}
	tg := start(t, f, telegram.Options{Intake: intake.NewQueue(q.Client, intake.Options{Prefix: q.Prefix, Name: "telegram"})}, late)
	clock := bot.NewFakeClock(time.Now())
	sleep := func(ctx context.Context, d time.Duration) error {
		// The pacer waits by moving the clock on; a chat's sends wait one
		// at a time, so the clock only ever moves to the next slot.
		if until := clock.Now().Add(d); clock.Now().Before(until) {
			clock.Set(until)
		}
		return ctx.Err()
	}
	paced := &pacedLog{next: tg, clock: clock}
	_, app := newAppPaced(t, tg, bot.NewPacer(paced, telegram.Limits, clock, sleep))
	late.in.Store(app)

	f.Push(telegramtest.Message(group, alice, "建站 阳光互助站"))
	f.Push(telegramtest.Message(group, alice, "报事 3幢楼道灯坏了"))
	setup := len(f.WaitSent(3)) // the station, its code in private, problem #1
	// A minute on, so the setup's sends are out of the group's window.
	clock.Advance(time.Minute)
	start := clock.Now()

	// Written in one second, as Telegram dates them, so the rate limit
	// sees them all at once.
	var updates []models.Update
	for range flood {
		updates = append(updates, telegramtest.Message(group, bob, "清单"))
	}
	updates = append(updates, telegramtest.Message(group, zhang, "事项 1"))
	for _, u := range updates {
		u.Message.Date = updates[0].Message.Date
		f.Push(u)
	}
	pushed := time.Now()

	var answer *pacedSend
	deadline := time.Now().Add(testTimeout / 2)
	for answer == nil {
		if time.Now().After(deadline) {
			for _, s := range paced.all() {
				t.Logf("%d %v %s %q", s.sent, s.at.Sub(start), s.out.Chat.Key(), s.out.Text)
			}
			t.Fatalf("zhang's 事项 1 was not answered; the group got %d messages", len(paced.all())-setup)
		}
		time.Sleep(10 * time.Millisecond)
		for _, s := range paced.all() {
			if s.sent > setup && s.out.Chat.Kind == bot.Group && strings.Contains(s.out.Text, "#1") && strings.Contains(s.out.Text, "楼道灯") && !strings.Contains(s.out.Text, "清单") {
				answer = &s
				break
			}
		}
	}
	// The flood's burst and the private notice come too; then nothing
	// more.
	var floodReplies, notices int
	count := func() int {
		floodReplies, notices = 0, 0
		for _, s := range paced.all()[setup:] {
			switch {
			case strings.Contains(s.out.Text, "太快"):
				notices++ // privately: the group is not told who floods it
			case s.out.Chat.Kind != bot.Group:
			case s.sent != answer.sent:
				floodReplies++
			}
		}
		return floodReplies + notices
	}
	for deadline := time.Now().Add(testTimeout / 2); count() < burst+1 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	count()
	place := answer.sent - setup
	t.Logf("flood of %d commands: %d answered, %d notice(s); the other resident's 事项 1 was the group's message %d after it, sent %v after the flood began by the pacer's clock, %v after it was pushed",
		flood, floodReplies, notices, place, answer.at.Sub(start).Round(time.Millisecond), answer.wall.Sub(pushed).Round(time.Millisecond))
	if floodReplies != burst {
		t.Errorf("%d of the flood's %d commands answered; want it cut to the burst, %d", floodReplies, flood, burst)
	}
	if notices != 1 {
		t.Errorf("%d notices that the person sends too fast; want 1", notices)
	}
}
