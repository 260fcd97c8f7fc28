package scheduler

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

func TestScheduleRejects(t *testing.T) {
	s := New(nil, newRecorder(), bot.NewFakeClock(t0), nil)
	tests := []struct {
		name string
		r    Reminder
	}{
		{"empty id", Reminder{At: t0, Message: outgoing("x")}},
		{"no chat", Reminder{ID: "a", At: t0, Message: bot.Outgoing{Text: "x"}}},
		{"long id", Reminder{ID: strings.Repeat("x", maxIDLen+1), At: t0, Message: outgoing("x")}},
		{"control in id", Reminder{ID: "a\nb", At: t0, Message: outgoing("x")}},
		{"one-off without At", Reminder{ID: "a", Message: outgoing("x")}},
		{"bad spec", Reminder{ID: "a", Spec: "every tuesday", Message: outgoing("x")}},
		{"spec never fires", Reminder{ID: "a", Spec: "0 0 30 2 *", Message: outgoing("x")}},
		{"spec with zone", Reminder{ID: "a", Spec: "TZ=UTC 0 9 * * *", Message: outgoing("x")}},
		{"negative StaleAfter", Reminder{ID: "a", At: t0, StaleAfter: -time.Minute, Message: outgoing("x")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Schedule(context.Background(), tt.r)
			if !errors.Is(err, ErrBadReminder) {
				t.Fatalf("Schedule(%+v) = %v, want ErrBadReminder", tt.r, err)
			}
		})
	}
}

func TestScheduleCancelMove(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := bot.NewFakeClock(t0)
		rec := newRecorder()
		s := newTestScheduler(b, nil, rec, clock, nil)

		for _, r := range []Reminder{
			{ID: "meeting:3:7:dayBefore", At: t0.Add(time.Hour), Message: outgoing("meeting:3:7:dayBefore")},
			{ID: "meeting:3:8:dayBefore", At: t0.Add(2 * time.Hour), Message: outgoing("meeting:3:8:dayBefore")},
			{ID: "duty:1", At: t0.Add(30 * time.Minute), Message: outgoing("duty:1")},
		} {
			if err := s.Schedule(ctx, r); err != nil {
				t.Fatalf("Schedule(%s): %v", r.ID, err)
			}
		}
		assertPending(t, s, "meeting:3:", "meeting:3:7:dayBefore", "meeting:3:8:dayBefore")
		assertPending(t, s, "", "duty:1", "meeting:3:7:dayBefore", "meeting:3:8:dayBefore")

		got, err := s.Get(ctx, "meeting:3:7:dayBefore")
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		want := Reminder{ID: "meeting:3:7:dayBefore", At: t0.Add(time.Hour), Message: outgoing("meeting:3:7:dayBefore"), Created: t0}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Get = %+v\nwant %+v", got, want)
		}

		if n, err := s.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("RunDue before anything is due = %d, %v; want 0, nil", n, err)
		}

		// Move: schedule the same ID later. The old occurrence leaves the
		// queue.
		if err := s.Schedule(ctx, Reminder{ID: "meeting:3:7:dayBefore", At: t0.Add(3 * time.Hour), Message: outgoing("meeting:3:7:dayBefore")}); err != nil {
			t.Fatalf("move: %v", err)
		}
		if n := queued(t, s); n != 3 {
			t.Fatalf("queue holds %d occurrences after the move, want 3", n)
		}
		assertPending(t, s, "meeting:", "meeting:3:8:dayBefore", "meeting:3:7:dayBefore")

		if err := s.Cancel(ctx, "duty:1"); err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		if err := s.Cancel(ctx, "duty:1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second Cancel = %v, want ErrNotFound", err)
		}
		if _, err := s.Get(ctx, "duty:1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Get after Cancel = %v, want ErrNotFound", err)
		}

		for _, step := range []struct {
			at   time.Duration
			sent int
		}{{time.Hour, 0}, {2 * time.Hour, 1}, {3 * time.Hour, 1}, {4 * time.Hour, 0}} {
			clock.Set(t0.Add(step.at))
			if n, err := s.RunDue(ctx); err != nil || n != step.sent {
				t.Fatalf("RunDue at +%v = %d, %v; want %d, nil", step.at, n, err, step.sent)
			}
		}
		if got, want := rec.texts(), []string{"meeting:3:8:dayBefore", "meeting:3:7:dayBefore"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("sent %q, want %q", got, want)
		}
		assertPending(t, s, "")
		if n := queued(t, s); n != 0 {
			t.Fatalf("queue holds %d occurrences at the end, want 0", n)
		}
		if rec.sent[0].Fallback == nil || rec.sent[0].Fallback.Title != "3号楼" || rec.sent[0].Mentions[0].Name != "王阿姨" {
			t.Fatalf("message lost fields on the way: %+v", rec.sent[0])
		}
	})
}

func TestRecurringInShanghai(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := bot.NewFakeClock(t0)
		rec := newRecorder()
		s := newTestScheduler(b, nil, rec, clock, nil)

		if err := s.Schedule(ctx, Reminder{ID: "duty:daily", Spec: "0 9 * * *", Message: outgoing("duty:daily")}); err != nil {
			t.Fatal(err)
		}
		// Wednesday 19:30, first fire given explicitly: the second Wednesday.
		if err := s.Schedule(ctx, Reminder{ID: "meeting:weekly", Spec: "30 19 * * 3", At: time.Date(2025, 3, 12, 19, 30, 0, 0, calendar.Shanghai), Message: outgoing("meeting:weekly")}); err != nil {
			t.Fatal(err)
		}
		nextAt := func(id string) time.Time {
			t.Helper()
			r, err := s.Get(ctx, id)
			if err != nil {
				t.Fatalf("Get(%s): %v", id, err)
			}
			return r.At
		}
		if got, want := nextAt("duty:daily"), time.Date(2025, 3, 1, 1, 0, 0, 0, time.UTC); !got.Equal(want) {
			t.Fatalf("first daily fire %v, want %v (09:00 +08:00)", got, want)
		}

		clock.Set(time.Date(2025, 3, 1, 8, 59, 59, 0, calendar.Shanghai))
		if n, _ := s.RunDue(ctx); n != 0 {
			t.Fatalf("sent %d at 08:59:59, want 0", n)
		}
		for day := 1; day <= 14; day++ {
			clock.Set(time.Date(2025, 3, day, 9, 0, 0, 0, calendar.Shanghai))
			if n, err := s.RunDue(ctx); err != nil || n != 1 {
				t.Fatalf("RunDue on 3-%d 09:00 = %d, %v; want 1, nil", day, n, err)
			}
			if n, _ := s.RunDue(ctx); n != 0 {
				t.Fatalf("second RunDue on 3-%d sent %d, want 0", day, n)
			}
			want := time.Date(2025, 3, day+1, 9, 0, 0, 0, calendar.Shanghai)
			if got := nextAt("duty:daily"); !got.Equal(want) || got.Location() != calendar.Shanghai {
				t.Fatalf("after 3-%d next fire %v, want %v in Shanghai", day, got, want)
			}
			clock.Set(time.Date(2025, 3, day, 19, 30, 0, 0, calendar.Shanghai))
			n, err := s.RunDue(ctx)
			wantN := 0
			if day == 12 {
				wantN = 1
			}
			if err != nil || n != wantN {
				t.Fatalf("RunDue on 3-%d 19:30 = %d, %v; want %d", day, n, err, wantN)
			}
		}
		if got, want := nextAt("meeting:weekly"), time.Date(2025, 3, 19, 19, 30, 0, 0, calendar.Shanghai); !got.Equal(want) {
			t.Fatalf("weekly next fire %v, want %v", got, want)
		}
		if got := rec.counts(); got["duty:daily"] != 14 || got["meeting:weekly"] != 1 {
			t.Fatalf("sent %v, want 14 daily and 1 weekly", got)
		}
	})
}

func TestStaleDropped(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := bot.NewFakeClock(t0)
		rec := newRecorder()
		var logs logBuffer
		s := newTestScheduler(b, nil, rec, clock, logs.logger())

		for _, r := range []Reminder{
			{ID: "shift:early", At: t0.Add(time.Hour), StaleAfter: 30 * time.Minute, Message: outgoing("shift:early")},
			{ID: "shift:late", At: t0.Add(time.Hour), StaleAfter: 3 * time.Hour, Message: outgoing("shift:late")},
			{ID: "vaccination", At: t0.Add(time.Hour), Message: outgoing("vaccination")},
		} {
			if err := s.Schedule(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		clock.Set(t0.Add(2 * time.Hour))
		if n, err := s.RunDue(ctx); err != nil || n != 2 {
			t.Fatalf("RunDue = %d, %v; want 2 (one stale)", n, err)
		}
		if got := rec.counts(); got["shift:early"] != 0 || got["shift:late"] != 1 || got["vaccination"] != 1 {
			t.Fatalf("sent %v", got)
		}
		out := logs.String()
		if !strings.Contains(out, "level=INFO") || !strings.Contains(out, "past its useful window") || !strings.Contains(out, "id=shift:early") {
			t.Fatalf("no Info line naming the dropped reminder in:\n%s", out)
		}
		assertPending(t, s, "")
	})
}

func TestCatchUpAfterDowntime(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := bot.NewFakeClock(t0)
		rec := newRecorder()
		var logs logBuffer
		s := newTestScheduler(b, nil, rec, clock, logs.logger(), WithPollInterval(10*time.Millisecond))

		for _, r := range []Reminder{
			{ID: "vaccination", At: t0.Add(time.Hour), Message: outgoing("vaccination")},
			{ID: "daily", Spec: "0 9 * * *", Message: outgoing("daily")},
			{ID: "daily:within", Spec: "0 9 * * *", StaleAfter: time.Hour, Message: outgoing("daily:within")},
			{ID: "daily:stale", Spec: "0 9 * * *", StaleAfter: 10 * time.Minute, Message: outgoing("daily:stale")},
		} {
			if err := s.Schedule(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		// Down from 08:00 on the 1st to 09:30 on the 4th: the daily ones
		// missed the 1st, 2nd, 3rd and 4th.
		clock.Set(time.Date(2025, 3, 4, 9, 30, 0, 0, calendar.Shanghai))
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- s.Run(runCtx) }()
		waitFor(t, 10*time.Second, "catch-up", func() bool { return dueCount(t, s, clock.Now()) == 0 })
		time.Sleep(30 * time.Millisecond) // a few more polls: nothing more may be sent
		stop()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v, want nil after cancel", err)
		}

		want := map[string]int{"vaccination": 1, "daily": 1, "daily:within": 1}
		if got := rec.counts(); !reflect.DeepEqual(got, want) {
			t.Fatalf("sent %v, want %v", got, want)
		}
		next := time.Date(2025, 3, 5, 9, 0, 0, 0, calendar.Shanghai)
		got, err := s.Pending(ctx, "daily")
		if err != nil || len(got) != 3 {
			t.Fatalf("Pending = %v, %v; want the 3 daily reminders", got, err)
		}
		for _, r := range got {
			if !r.At.Equal(next) {
				t.Errorf("%s next fire %v, want %v", r.ID, r.At, next)
			}
		}
		out := logs.String()
		for _, want := range []string{"missed=3", "id=daily:stale", "past its useful window"} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %q:\n%s", want, out)
			}
		}
	})
}

func TestSendFailureRetriedAfterBackoff(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := bot.NewFakeClock(t0)
		rec := newRecorder()
		var logs logBuffer
		fails := 1
		send := bot.SenderFunc(func(ctx context.Context, out bot.Outgoing) error {
			switch {
			case out.Text == "gone":
				return errors.Join(errors.New("telegram: 403"), bot.ErrUnreachable)
			case fails > 0:
				fails--
				return errors.New("telegram: 502 bad gateway")
			}
			return rec.Send(ctx, out)
		})
		s := newTestScheduler(b, nil, send, clock, logs.logger())
		for _, id := range []string{"flaky", "gone"} {
			if err := s.Schedule(ctx, Reminder{ID: id, At: t0, Message: outgoing(id)}); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := s.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("first RunDue = %d, %v; want 0, nil", n, err)
		}
		if !strings.Contains(logs.String(), "delivery failed; retrying") || !strings.Contains(logs.String(), "chat unreachable") {
			t.Fatalf("failures not logged:\n%s", logs.String())
		}
		// The backoff holds the failed one back: no hammering a failing platform.
		if n, _ := s.RunDue(ctx); n != 0 {
			t.Fatalf("retried within the backoff")
		}
		clock.Advance(firstBackoff)
		if n, err := s.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("RunDue after the backoff = %d, %v; want 1, nil", n, err)
		}
		if got := rec.counts(); !reflect.DeepEqual(got, map[string]int{"flaky": 1}) {
			t.Fatalf("sent %v, want flaky once", got)
		}
		assertPending(t, s, "")
	})
}

// TestFailedDeliveryEndsInDeadLetters: a send that keeps failing is retried
// with growing waits for its useful window, then kept as a dead letter and
// logged as an error; never dropped silently.
func TestFailedDeliveryEndsInDeadLetters(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := bot.NewFakeClock(t0)
		var logs logBuffer
		attempts := 0
		send := bot.SenderFunc(func(context.Context, bot.Outgoing) error {
			attempts++
			return errors.New("telegram: 502 bad gateway")
		})
		s := newTestScheduler(b, nil, send, clock, logs.logger())
		if err := s.Schedule(ctx, Reminder{ID: "notice:3:1", At: t0, StaleAfter: 10 * time.Minute, Message: outgoing("x")}); err != nil {
			t.Fatal(err)
		}
		for range 40 {
			if _, err := s.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Minute)
		}
		// 0s, 15s, 45s, 1m45s, 3m45s, 7m45s: the next would be past 10 minutes.
		if attempts != 6 {
			t.Errorf("%d attempts; want 6 within the 10-minute window", attempts)
		}
		station := func(st string) func(DeadLetter) bool {
			return func(dl DeadLetter) bool { return strings.HasPrefix(dl.ID, "notice:"+st+":") }
		}
		dead, err := s.DeadLetters(ctx, station("3"), 10)
		if err != nil || len(dead) != 1 {
			t.Fatalf("dead letters = %+v, %v; want the notice", dead, err)
		}
		if dl := dead[0]; dl.ID != "notice:3:1" || dl.Attempts != 6 || !strings.Contains(dl.Err, "502") || dl.Chat == "" {
			t.Errorf("dead letter %+v", dl)
		}
		if other, _ := s.DeadLetters(ctx, station("4"), 10); len(other) != 0 {
			t.Errorf("another station's dead letters: %+v", other)
		}
		if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "given up") {
			t.Errorf("giving up not logged as an error:\n%s", logs.String())
		}
		assertPending(t, s, "")
	})
}

// TestJobRetrySendsOnlyToWhomItMissed: a job sending to three groups that
// reached two retries only the third.
func TestJobRetrySendsOnlyToWhomItMissed(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := bot.NewFakeClock(t0)
		rec := newRecorder()
		down := true
		send := bot.SenderFunc(func(ctx context.Context, out bot.Outgoing) error {
			if out.Chat.ID == "g3" && down {
				return errors.New("telegram: 502 bad gateway")
			}
			return rec.Send(ctx, out)
		})
		s := newTestScheduler(b, nil, send, clock, nil)
		s.Handle("broadcast", func(ctx context.Context, r Reminder) error {
			for _, g := range []string{"g1", "g2", "g3"} {
				// A job carries on past a failed send; SendOnce has noted it.
				_ = SendOnce(ctx, send, bot.Outgoing{Chat: bot.Chat{Platform: "console", ID: g}, Text: g})
			}
			return nil
		})
		if err := s.Schedule(ctx, Reminder{ID: "b", At: t0, Job: "broadcast"}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("first RunDue = %d, %v; want the failure", n, err)
		}
		down = false
		clock.Advance(firstBackoff)
		if n, err := s.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("retry RunDue = %d, %v; want 1", n, err)
		}
		if got := rec.counts(); !reflect.DeepEqual(got, map[string]int{"g1": 1, "g2": 1, "g3": 1}) {
			t.Fatalf("sent %v; want each group once", got)
		}
	})
}

func TestMoveWaitsForDelivery(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := bot.NewFakeClock(t0)
		entered, release := make(chan struct{}), make(chan struct{})
		rec := newRecorder()
		send := bot.SenderFunc(func(ctx context.Context, out bot.Outgoing) error {
			if out.Text == "first" {
				close(entered)
				<-release
			}
			return rec.Send(ctx, out)
		})
		s := newTestScheduler(b, nil, send, clock, nil)
		if err := s.Schedule(ctx, Reminder{ID: "r", At: t0, Message: outgoing("first")}); err != nil {
			t.Fatal(err)
		}
		delivered := make(chan error, 1)
		go func() {
			_, err := s.RunDue(ctx)
			delivered <- err
		}()
		<-entered
		moved := make(chan error, 1)
		go func() {
			moved <- s.Schedule(ctx, Reminder{ID: "r", At: t0.Add(time.Hour), Message: outgoing("second")})
		}()
		select {
		case err := <-moved:
			t.Fatalf("move finished (%v) while the delivery held the reminder", err)
		case <-time.After(50 * time.Millisecond):
		}
		close(release)
		if err := <-delivered; err != nil {
			t.Fatal(err)
		}
		if err := <-moved; err != nil {
			t.Fatalf("move: %v", err)
		}
		got, err := s.Get(ctx, "r")
		if err != nil || !got.At.Equal(t0.Add(time.Hour)) || got.Message.Text != "second" {
			t.Fatalf("after the move Get = %+v, %v; want the moved reminder", got, err)
		}
		clock.Set(t0.Add(time.Hour))
		if n, err := s.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("RunDue = %d, %v; want 1", n, err)
		}
		if got, want := rec.texts(), []string{"first", "second"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("sent %q, want %q", got, want)
		}
	})
}

func TestStrayOccurrencesRemoved(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := bot.NewFakeClock(t0)
		rec := newRecorder()
		s := newTestScheduler(b, nil, rec, clock, nil)
		if err := s.Schedule(ctx, Reminder{ID: "real", At: t0, Message: outgoing("real")}); err != nil {
			t.Fatal(err)
		}
		// An occurrence with no record, and one whose record points
		// elsewhere (a bucket before the real one).
		for _, bare := range []struct {
			id string
			at time.Time
		}{{"ghost", t0}, {"real", t0.Add(-time.Hour)}} {
			if err := reminders(s).QueueBare(ctx, bare.id, bare.at.UnixMilli(), bare.at.UnixMilli()); err != nil {
				t.Fatal(err)
			}
		}
		assertPending(t, s, "", "real")
		if n, err := s.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("RunDue = %d, %v; want 1", n, err)
		}
		if n := queued(t, s); n != 0 {
			t.Fatalf("queue holds %d, want 0", n)
		}
		// Scheduling an occurrence already delivered does not send it again.
		if err := s.Schedule(ctx, Reminder{ID: "real", At: t0, Message: outgoing("real")}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("RunDue of a delivered occurrence = %d, %v; want 0", n, err)
		}
		assertPending(t, s, "")
	})
}

func TestSurvivesRestartOfEmbeddedStore(t *testing.T) {
	dir, err := os.MkdirTemp("", "hz")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	ctx := context.Background()
	clock := bot.NewFakeClock(t0)
	rec := newRecorder()

	open := func() (*Scheduler, func()) {
		e, err := store.StartEmbedded(data, nil)
		if err != nil {
			t.Fatalf("StartEmbedded: %v", err)
		}
		c := store.NewEmbeddedClient(e.SocketPath())
		return New(c, rec, clock, nil), func() {
			if err := errors.Join(c.Close(), e.Close()); err != nil {
				t.Fatalf("close: %v", err)
			}
		}
	}

	s, closeStore := open()
	scheduled := []Reminder{
		{ID: "vaccination:5", At: t0.Add(time.Hour), Message: outgoing("vaccination:5")},
		{ID: "duty:daily", Spec: "0 9 * * *", StaleAfter: time.Hour, Message: outgoing("duty:daily")},
		{ID: "meeting:3:7:dayBefore", At: t0.Add(26 * time.Hour), Message: outgoing("meeting:3:7:dayBefore")},
	}
	for _, r := range scheduled {
		if err := s.Schedule(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	before, err := s.Pending(ctx, "")
	if err != nil || len(before) != 3 {
		t.Fatalf("Pending = %v, %v", before, err)
	}
	closeStore()

	s, closeStore = open()
	defer closeStore()
	after, err := s.Pending(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after, before) {
		t.Fatalf("after restart Pending =\n%+v\nwant\n%+v", after, before)
	}
	clock.Set(t0.Add(26 * time.Hour))
	if n, err := s.RunDue(ctx); err != nil || n != 3 {
		t.Fatalf("RunDue after restart = %d, %v; want 3", n, err)
	}
}

// assertPending checks the IDs Pending(prefix) returns, in order.
func assertPending(t *testing.T, s *Scheduler, prefix string, ids ...string) {
	t.Helper()
	got, err := s.Pending(context.Background(), prefix)
	if err != nil {
		t.Fatalf("Pending(%q): %v", prefix, err)
	}
	gotIDs := []string{}
	for _, r := range got {
		gotIDs = append(gotIDs, r.ID)
	}
	if ids == nil {
		ids = []string{}
	}
	if !reflect.DeepEqual(gotIDs, ids) {
		t.Fatalf("Pending(%q) = %q, want %q", prefix, gotIDs, ids)
	}
}
