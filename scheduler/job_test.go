package scheduler

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// jobCalls records what a JobFunc was called with.
type jobCalls struct {
	mu    sync.Mutex
	calls []Reminder
	at    []time.Time
}

func (j *jobCalls) add(r Reminder) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.calls = append(j.calls, r)
	j.at = append(j.at, time.Now())
}

func (j *jobCalls) get() ([]Reminder, []time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Reminder(nil), j.calls...), append([]time.Time(nil), j.at...)
}

func TestJobRunsInsteadOfSending(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := bot.NewFakeClock(t0)
		rec := newRecorder()
		s := newTestScheduler(b, nil, rec, clock, nil)
		var calls jobCalls
		s.Handle("overdue", func(ctx context.Context, r Reminder) error {
			if ctx.Err() != nil {
				t.Errorf("job got a done context: %v", ctx.Err())
			}
			calls.add(r)
			return nil
		})
		payload := `{"station":3,"issue":17,"note":"楼道灯 \"坏了\""}`
		job := Reminder{ID: "overdue:3:17", At: t0.Add(time.Hour), Job: "overdue", Payload: payload}
		daily := Reminder{ID: "digest", Spec: "0 9 * * *", Job: "overdue", Payload: "daily", Message: outgoing("ignored")}
		if err := s.ScheduleAll(ctx, job, daily); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(ctx, job.ID); err != nil || got.Job != "overdue" || got.Payload != payload {
			t.Fatalf("Get = %+v, %v", got, err)
		}

		clock.Set(t0.Add(time.Hour))
		if n, err := s.RunDue(ctx); err != nil || n != 2 {
			t.Fatalf("RunDue = %d, %v; want 2", n, err)
		}
		if n := rec.total(); n != 0 {
			t.Fatalf("the sender was called %d times for job reminders", n)
		}
		got, _ := calls.get()
		if len(got) != 2 {
			t.Fatalf("job ran %d times, want 2", len(got))
		}
		byID := map[string]Reminder{}
		for _, r := range got {
			byID[r.ID] = r
		}
		want := Reminder{ID: job.ID, At: t0.Add(time.Hour), Job: "overdue", Payload: payload, Created: t0}
		if !reflect.DeepEqual(byID[job.ID], want) {
			t.Fatalf("job got %+v\nwant %+v", byID[job.ID], want)
		}
		if r := byID["digest"]; r.Payload != "daily" || r.Spec != "0 9 * * *" || !r.At.Equal(time.Date(2025, 3, 1, 9, 0, 0, 0, calendar.Shanghai)) {
			t.Fatalf("recurring job got %+v", r)
		}
		// The recurring one is queued for tomorrow; the one-off is gone.
		assertPending(t, s, "", "digest")
		if n, err := s.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("second RunDue = %d, %v; want 0", n, err)
		}
	})
}

func TestJobErrorRetriedAfterBackoff(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := bot.NewFakeClock(t0)
		var logs logBuffer
		s := newTestScheduler(b, nil, newRecorder(), clock, logs.logger())
		var calls jobCalls
		s.Handle("flaky", func(ctx context.Context, r Reminder) error {
			calls.add(r)
			if n, _ := calls.get(); len(n) == 1 {
				return errors.New("station 3 not readable right now")
			}
			return nil
		})
		if err := s.Schedule(ctx, Reminder{ID: "j", At: t0, Job: "flaky", Payload: "p"}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("first RunDue = %d, %v; want 0, nil", n, err)
		}
		if out := logs.String(); !strings.Contains(out, "delivery failed; retrying") || !strings.Contains(out, "not readable") {
			t.Fatalf("job failure not logged:\n%s", out)
		}
		// Held back for the backoff: no hammering.
		if n, err := s.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("RunDue within the backoff = %d, %v; want 0, nil", n, err)
		}
		clock.Advance(firstBackoff)
		if n, err := s.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("RunDue after the backoff = %d, %v; want 1, nil", n, err)
		}
		got, _ := calls.get()
		if len(got) != 2 || got[1].Payload != "p" {
			t.Fatalf("job calls %+v; want two, the retry with payload p", got)
		}
		assertPending(t, s, "")
	})
}

func TestUnregisteredJobKeptAndRetried(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := bot.NewFakeClock(t0)
		rec := newRecorder()
		var logs logBuffer
		s := newTestScheduler(b, nil, rec, clock, logs.logger())
		if err := s.Schedule(ctx, Reminder{ID: "j", At: t0, Job: "notice", Payload: "42", Message: outgoing("j")}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("RunDue = %d, %v; want 0, nil", n, err)
		}
		if rec.total() != 0 {
			t.Fatal("an unregistered job's message was sent instead")
		}
		if out := logs.String(); !strings.Contains(out, `no job \"notice\" registered`) || !strings.Contains(out, "id=j") {
			t.Fatalf("unregistered job not logged:\n%s", out)
		}
		// Not lost: still queued and pending.
		assertPending(t, s, "", "j")
		if n := dueCount(t, s, t0.Add(firstBackoff)); n != 1 {
			t.Fatalf("%d occurrences due after the backoff, want 1", n)
		}
		// Once a new version registers the job, it runs at the next retry.
		var calls jobCalls
		s.Handle("notice", func(_ context.Context, r Reminder) error {
			calls.add(r)
			return nil
		})
		clock.Advance(firstBackoff)
		if n, err := s.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("RunDue after the backoff = %d, %v; want 1, nil", n, err)
		}
		if got, _ := calls.get(); len(got) != 1 || got[0].Payload != "42" {
			t.Fatalf("job calls %+v", got)
		}
		assertPending(t, s, "")
	})
}

func TestHandlePanics(t *testing.T) {
	s := New(nil, newRecorder(), bot.NewFakeClock(t0), nil)
	nop := func(context.Context, Reminder) error { return nil }
	s.Handle("notice", nop)
	for name, call := range map[string]func(){
		"duplicate": func() { s.Handle("notice", nop) },
		"empty":     func() { s.Handle("", nop) },
		"nil func":  func() { s.Handle("meeting", nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("Handle did not panic")
				}
			}()
			call()
		})
	}
	s.Handle("meeting", nop) // the failed call registered nothing
}

func TestNextDue(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock := bot.NewFakeClock(t0)
		s := newTestScheduler(b, nil, newRecorder(), clock, nil)
		if at, ok, err := s.NextDue(ctx); err != nil || ok || !at.IsZero() {
			t.Fatalf("NextDue on an empty queue = %v, %v, %v; want zero, false, nil", at, ok, err)
		}
		if err := s.ScheduleAll(ctx,
			Reminder{ID: "later", At: t0.Add(3 * time.Hour), Message: outgoing("later")},
			Reminder{ID: "daily", Spec: "0 9 * * *", Message: outgoing("daily")},
			Reminder{ID: "soon", At: t0.Add(30*time.Minute + 1500*time.Microsecond), Message: outgoing("soon")},
		); err != nil {
			t.Fatal(err)
		}
		want := t0.Add(30*time.Minute + time.Millisecond) // kept to the millisecond
		if at, ok, err := s.NextDue(ctx); err != nil || !ok || !at.Equal(want) || at.Location() != calendar.Shanghai {
			t.Fatalf("NextDue = %v, %v, %v; want %v in Shanghai", at, ok, err, want)
		}
		if err := s.Cancel(ctx, "soon"); err != nil {
			t.Fatal(err)
		}
		if at, ok, err := s.NextDue(ctx); err != nil || !ok || !at.Equal(time.Date(2025, 3, 1, 9, 0, 0, 0, calendar.Shanghai)) {
			t.Fatalf("NextDue after cancel = %v, %v, %v; want 09:00", at, ok, err)
		}
		clock.Set(t0.Add(3 * time.Hour))
		if n, err := s.RunDue(ctx); err != nil || n != 2 {
			t.Fatalf("RunDue = %d, %v; want 2", n, err)
		}
		// Only the daily one's next occurrence is left: tomorrow 09:00.
		if at, ok, err := s.NextDue(ctx); err != nil || !ok || !at.Equal(time.Date(2025, 3, 2, 9, 0, 0, 0, calendar.Shanghai)) {
			t.Fatalf("NextDue = %v, %v, %v; want 3-2 09:00", at, ok, err)
		}
		if err := s.CancelAll(ctx, "daily"); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.NextDue(ctx); err != nil || ok {
			t.Fatalf("NextDue after cancelling all = %v, %v; want false", ok, err)
		}
	})
}
