package store_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

var (
	outboxGroup = bot.Chat{Platform: "console", ID: "g1", Kind: bot.Group, Title: "幸福里1群"}
	// A private answer as ReplyPrivately addresses it, with a button: all
	// of it must come back from the store as it went in.
	privateAnswer = bot.Outgoing{
		Chat: alice.PrivateChat(), Text: "已登记：3号楼", Mentions: []bot.User{alice},
		Buttons:  [][]bot.Button{{{Label: "撤销", Data: "撤销 1"}}},
		Fallback: &outboxGroup, Ack: true,
	}
	groupNotice = bot.Outgoing{Chat: outboxGroup, Text: "新登记一户"}
)

// TestOutbox: the served mark and the replies are written together, read
// back whole and in order, and sent under one lease at a time.
func TestOutbox(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		chat := outboxGroup.Key()
		token, err := s.ClaimMessage(ctx, chat+":m1")
		if err != nil {
			t.Fatal(err)
		}
		replies := []bot.KeptReply{{Locale: "en", Out: privateAnswer}, {Locale: "zh-CN", Out: groupNotice}}
		lease, alone, err := s.FinishServed(ctx, chat+":m1", token, chat, replies)
		if err != nil || lease == "" || !alone {
			t.Fatalf("FinishServed = %q, %v, %v; want a lease, alone", lease, alone, err)
		}
		if _, err := s.ClaimMessage(ctx, chat+":m1"); !errors.Is(err, bot.ErrAlreadyServed) {
			t.Errorf("claim after FinishServed: err = %v; want ErrAlreadyServed", err)
		}
		got, err := s.OutboxReplies(ctx, chat)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, replies) {
			t.Errorf("OutboxReplies = %+v\nwant %+v", got, replies)
		}
		if due, _ := s.DueOutboxes(ctx, "console", time.Now(), 10); !reflect.DeepEqual(due, []string{chat}) {
			t.Errorf("DueOutboxes = %v; want [%s]", due, chat)
		}
		if other, err := s.TakeOutbox(ctx, chat); err != nil || other != "" {
			t.Errorf("TakeOutbox while leased = %q, %v; want none", other, err)
		}

		// A second message while the lease is held: kept, not for us.
		token2, _ := s.ClaimMessage(ctx, chat+":m2")
		third := []bot.KeptReply{{Out: bot.Outgoing{Chat: outboxGroup, Text: "第二条"}}}
		if l, _, err := s.FinishServed(ctx, chat+":m2", token2, chat, third); err != nil || l != "" {
			t.Errorf("FinishServed while leased = %q, %v; want no lease", l, err)
		}

		// Sent one by one; the last of those read finds one more.
		if err := s.SentReply(ctx, chat, replies[0].ID); err != nil {
			t.Fatal(err)
		}
		if more, err := s.SentLast(ctx, chat, "", replies[1].ID); err != nil || !more {
			t.Errorf("SentLast = %v, %v; want more", more, err)
		}
		got, _ = s.OutboxReplies(ctx, chat)
		if len(got) != 1 || got[0].Out.Text != "第二条" {
			t.Fatalf("left after two sent: %+v", got)
		}
		if more, err := s.SentLast(ctx, chat, "", got[0].ID); err != nil || more {
			t.Errorf("SentLast = %v, %v; want done", more, err)
		}
		if due, _ := s.DueOutboxes(ctx, "console", time.Now(), 10); len(due) != 0 {
			t.Errorf("DueOutboxes after all sent = %v", due)
		}

		// The lease is given up only by its holder; then it can be taken.
		if err := s.ReleaseOutbox(ctx, chat, "stale"); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.TakeOutbox(ctx, chat); l != "" {
			t.Error("a stale token released the lease")
		}
		if err := s.RenewOutbox(ctx, chat, lease); err != nil {
			t.Errorf("renew: %v", err)
		}
		if err := s.ReleaseOutbox(ctx, chat, lease); err != nil {
			t.Fatal(err)
		}
		taken, err := s.TakeOutbox(ctx, chat)
		if err != nil || taken == "" {
			t.Fatalf("TakeOutbox after release = %q, %v", taken, err)
		}
		// The last removal can give the lease up in the same write.
		if more, err := s.SentLast(ctx, chat, taken); err != nil || more {
			t.Errorf("SentLast giving the lease up = %v, %v", more, err)
		}
		if l, err := s.TakeOutbox(ctx, chat); err != nil || l == "" {
			t.Errorf("TakeOutbox after SentLast gave it up = %q, %v", l, err)
		}

		// Postponed: due later, not now.
		if err := s.PostponeOutbox(ctx, chat, time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if due, _ := s.DueOutboxes(ctx, "console", time.Now(), 10); len(due) != 0 {
			t.Errorf("due while postponed: %v", due)
		}
		if due, _ := s.DueOutboxes(ctx, "console", time.Now().Add(2*time.Minute), 10); len(due) != 1 {
			t.Errorf("not due after the wait: %v", due)
		}

		// Without replies, FinishServed is the mark alone.
		token3, _ := s.ClaimMessage(ctx, chat+":m3")
		if l, _, err := s.FinishServed(ctx, chat+":m3", token3, chat, nil); err != nil || l != "" {
			t.Errorf("FinishServed without replies = %q, %v", l, err)
		}
		if _, err := s.ClaimMessage(ctx, chat+":m3"); !errors.Is(err, bot.ErrAlreadyServed) {
			t.Errorf("claim after FinishServed without replies: %v", err)
		}
	})
}

// crashAfterMark is the store as a process sees it that dies right after
// writing a message's served mark and replies: nothing of them is sent, and
// its lease on the chat's outbox runs out.
type crashAfterMark struct{ *store.Store }

type crashed struct{}

func (c crashAfterMark) FinishServed(ctx context.Context, msgKey, token, chatKey string, replies []bot.KeptReply) (string, bool, error) {
	lease, _, err := c.Store.FinishServed(ctx, msgKey, token, chatKey, replies)
	if err != nil {
		return "", false, err
	}
	_ = c.ReleaseOutbox(ctx, chatKey, lease) // it ran out
	panic(crashed{})
}

// recorder is a platform that records what it was sent, failing the sends
// fail says.
type recorder struct {
	mu   sync.Mutex
	sent []bot.Outgoing
	fail func(bot.Outgoing) error
}

func (r *recorder) Send(_ context.Context, out bot.Outgoing) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(out); err != nil {
			return err
		}
	}
	r.sent = append(r.sent, out)
	return nil
}

func (r *recorder) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var t []string
	for _, o := range r.sent {
		t = append(t, o.Chat.Key()+" "+o.Text)
	}
	return t
}

// registering answers privately and tells the group, as 登记 does.
var registering = bot.HandlerFunc(func(ctx context.Context, r bot.Responder, m *bot.Message) error {
	if err := r.ReplyPrivately(ctx, "已登记：3号楼", []bot.Button{{Label: "撤销", Data: "撤销 1"}}); err != nil {
		return err
	}
	return r.Reply(ctx, "新登记一户")
})

func newCourierBot(s bot.Outbox, d bot.Deduper, platform *recorder) *bot.Bot {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	disp := bot.NewDispatcher(log)
	disp.Add("console", platform, nil)
	disp.UsePrivacy(&bot.MemoryKeeper{}, bot.FixedWording{AckText: "已私信您"})
	courier := &bot.Courier{Outbox: s, Sender: disp, Clock: bot.SystemClock{}, Log: log,
		Platforms: disp.Platforms, Every: 10 * time.Millisecond}
	return &bot.Bot{Handler: bot.Chain(registering, bot.Dedupe(d)), Sender: disp, Log: log, Courier: courier}
}

// waitFor polls until cond holds, failing after a generous while.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestCrashBetweenMarkAndSend: a process that dies after marking a message
// served and before sending its replies leaves them in the outbox; the next
// one sends them, once, and does not serve the message again.
func TestCrashBetweenMarkAndSend(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		s := newStore(b)
		m := &bot.Message{ID: "42", Chat: outboxGroup, Sender: alice, Text: "登记 3号楼"}

		dead := &recorder{}
		func() {
			defer func() {
				if p := recover(); p != (crashed{}) {
					t.Fatalf("recovered %v; want the crash", p)
				}
			}()
			newCourierBot(crashAfterMark{s}, s, dead).ReceiveOrRetry(context.Background(), m)
		}()
		if len(dead.texts()) != 0 {
			t.Fatalf("the dead process sent %v", dead.texts())
		}

		next := &recorder{}
		b2 := newCourierBot(s, s, next)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = b2.Courier.Run(ctx) }()
		empty := func() bool {
			due, err := s.DueOutboxes(context.Background(), "console", time.Now().Add(time.Hour), 10)
			return err == nil && len(due) == 0
		}
		waitFor(t, "the outbox to be sent", empty)
		// The platform redelivers the message: served already, not again.
		b2.ReceiveOrRetry(context.Background(), m)
		cancel()
		<-done

		want := []string{"console:alice 已登记：3号楼", "console:g1 已私信您", "console:g1 新登记一户"}
		if got := next.texts(); !reflect.DeepEqual(got, want) {
			t.Errorf("sent after the restart:\n%q\nwant\n%q", got, want)
		}
		if got := next.sent[0].Buttons; len(got) != 1 || got[0][0].Data != "撤销 1" {
			t.Errorf("the button did not survive the outbox: %+v", got)
		}
	})
}

// TestOutboxResumesAfterFailedSend: a send that fails keeps that reply and
// the ones after it; they go out later and what was sent before is not sent
// again, not even the private half of a reply whose line in the group
// failed. A reply to a chat the bot was removed from is dropped.
func TestOutboxResumesAfterFailedSend(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		s := newStore(b)
		var mu sync.Mutex
		down := true
		removedFrom := bot.Chat{Platform: "console", ID: "g2", Kind: bot.Group}
		platform := &recorder{fail: func(out bot.Outgoing) error {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case out.Chat == removedFrom:
				return bot.ErrUnreachable
			case out.Chat == outboxGroup && down:
				return errors.New("telegram down")
			}
			return nil
		}}
		bt := newCourierBot(s, s, platform)
		ctx := context.Background()
		bt.ReceiveOrRetry(ctx, &bot.Message{ID: "1", Chat: outboxGroup, Sender: alice, Text: "登记 3号楼"})
		want := []string{"console:alice 已登记：3号楼"}
		if got := platform.texts(); !reflect.DeepEqual(got, want) {
			t.Fatalf("sent before the failure: %q; want %q", got, want)
		}
		bt.ReceiveOrRetry(ctx, &bot.Message{ID: "1", Chat: removedFrom, Sender: alice, Text: "登记 3号楼"})
		mu.Lock()
		down = false
		mu.Unlock()

		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = bt.Courier.Run(rctx) }()
		waitFor(t, "the outboxes to empty", func() bool {
			due, err := s.DueOutboxes(ctx, "console", time.Now().Add(time.Hour), 10)
			return err == nil && len(due) == 0
		})
		cancel()
		<-done
		want = append(want, "console:alice 已登记：3号楼", "console:g1 已私信您", "console:g1 新登记一户")
		if got := platform.texts(); !reflect.DeepEqual(got, want) {
			t.Errorf("sent:\n%q\nwant\n%q", got, want)
		}
	})
}

// toastingRecorder also answers button presses with a note.
type toastingRecorder struct {
	recorder
	toasts []string
}

func (r *toastingRecorder) CanReachPrivately(context.Context, bot.User) bool { return true }

func (r *toastingRecorder) Toast(_ context.Context, _ *bot.Message, text string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.toasts = append(r.toasts, text)
	return nil
}

// TestOutboxLeavesFailuresAndToastsDirect: the answer of a command that
// failed is sent at once and the message is not marked served, so it is
// served again; a note answering a button press is shown at once, never
// stored.
func TestOutboxLeavesFailuresAndToastsDirect(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		s := newStore(b)
		platform := &toastingRecorder{}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		disp := bot.NewDispatcher(log)
		disp.Add("console", platform, platform)
		courier := &bot.Courier{Outbox: s, Sender: disp, Clock: bot.SystemClock{}, Log: log, Platforms: disp.Platforms}
		fails := true
		handler := bot.HandlerFunc(func(ctx context.Context, r bot.Responder, m *bot.Message) error {
			if m.IsPress() {
				return r.Toast(ctx, "已过期")
			}
			if err := r.Reply(ctx, "系统忙，请稍后再发"); err != nil {
				return err
			}
			if fails {
				return errors.New("store down")
			}
			return nil
		})
		bt := &bot.Bot{Handler: bot.Chain(handler, bot.Dedupe(s)), Sender: disp, Log: log, Courier: courier}
		ctx := context.Background()
		m := &bot.Message{ID: "7", Chat: outboxGroup, Sender: alice, Text: "登记"}
		bt.ReceiveOrRetry(ctx, m)
		if got := platform.texts(); len(got) != 1 {
			t.Fatalf("a failed command's answer: sent %q; want it at once", got)
		}
		fails = false
		bt.ReceiveOrRetry(ctx, m)
		if got := platform.texts(); len(got) != 2 {
			t.Errorf("the failed message was not served again: sent %q", got)
		}
		bt.ReceiveOrRetry(ctx, &bot.Message{ID: "8", Chat: outboxGroup, Sender: alice, Text: "投票 1", Press: "cb1"})
		if len(platform.toasts) != 1 || len(platform.texts()) != 2 {
			t.Errorf("toasts %q, sent %q; want one note, nothing more sent", platform.toasts, platform.texts())
		}
		if due, _ := s.DueOutboxes(ctx, "console", time.Now().Add(time.Hour), 10); len(due) != 0 {
			t.Errorf("outboxes left: %v", due)
		}
	})
}

// TestSentLastTogether: the removals of many chats delivered at once are
// written together, and each chat is told its own outcome: empty, or with a
// reply that arrived meanwhile still due.
func TestSentLastTogether(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		const chats = 40
		type sent struct {
			chat, lease string
			ids         []string
		}
		all := make([]sent, chats)
		for i := range chats {
			chat := bot.Chat{Platform: "console", ID: "together" + strconv.Itoa(i), Kind: bot.Group}.Key()
			token, err := s.ClaimMessage(ctx, chat+":m1")
			if err != nil {
				t.Fatal(err)
			}
			replies := []bot.KeptReply{{Out: groupNotice}, {Out: groupNotice}}
			lease, _, err := s.FinishServed(ctx, chat+":m1", token, chat, replies)
			if err != nil || lease == "" {
				t.Fatalf("FinishServed %s = %q, %v", chat, lease, err)
			}
			all[i] = sent{chat, lease, []string{replies[0].ID, replies[1].ID}}
		}
		// A reply arrives in every fifth chat after its replies were read.
		for i := 0; i < chats; i += 5 {
			token, err := s.ClaimMessage(ctx, all[i].chat+":m2")
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.FinishServed(ctx, all[i].chat+":m2", token, all[i].chat, []bot.KeptReply{{Out: groupNotice}}); err != nil {
				t.Fatal(err)
			}
		}
		more := make([]bool, chats)
		var wg sync.WaitGroup
		for i := range chats {
			wg.Go(func() {
				var err error
				if more[i], err = s.SentLast(ctx, all[i].chat, all[i].lease, all[i].ids...); err != nil {
					t.Errorf("SentLast %s: %v", all[i].chat, err)
				}
			})
		}
		wg.Wait()
		for i := range chats {
			left, err := s.OutboxReplies(ctx, all[i].chat)
			if err != nil {
				t.Fatal(err)
			}
			if want := i%5 == 0; more[i] != want || len(left) != map[bool]int{true: 1, false: 0}[want] {
				t.Errorf("%s: more %v with %d left; want more %v", all[i].chat, more[i], len(left), want)
			}
		}
		due, err := s.DueOutboxes(ctx, "console", time.Now().Add(time.Second), 100)
		if err != nil || len(due) != chats/5 {
			t.Errorf("due after the removals: %v, %v; want the %d chats with a reply left", due, err, chats/5)
		}
	})
}
