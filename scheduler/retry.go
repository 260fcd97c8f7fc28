package scheduler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
)

// A delivery that fails is retried with backoff for its useful window (the
// reminder's StaleAfter, or defaultRetryWindow), then put in the dead-letter
// list, where the operator's log and the station head can see it. It is
// never dropped silently. A job that sends several messages (a broadcast to
// three groups) remembers which recipients it reached, so a retry sends
// only to the others: each recipient once.

const (
	// defaultRetryWindow is how long a failed delivery of a reminder with
	// no StaleAfter is retried.
	defaultRetryWindow = 6 * time.Hour
	// firstBackoff and maxBackoff bound the wait between retries, which
	// doubles from the first to the most.
	firstBackoff = 15 * time.Second
	maxBackoff   = 30 * time.Minute
	// maxDeadLetters is how many dead letters are kept, newest first.
	maxDeadLetters = 1000
)

// DeadLetter is a delivery that failed for the whole of its useful window.
type DeadLetter struct {
	ID       string    `json:"id"`
	Job      string    `json:"job,omitempty"`
	Payload  string    `json:"payload,omitempty"`
	Chat     string    `json:"chat,omitempty"` // for a plain message
	Fire     time.Time `json:"fire"`
	At       time.Time `json:"at"` // when it was given up
	Attempts int       `json:"attempts"`
	Err      string    `json:"err"`
}

// backoff is the wait before retry n (1, 2, …).
func backoff(n int) time.Duration {
	d := firstBackoff
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// retryWindow is how long after it fell due an occurrence of rec is still
// worth retrying.
func retryWindow(rec *record) time.Duration {
	if rec.StaleAfterMs > 0 {
		return time.Duration(rec.StaleAfterMs) * time.Millisecond
	}
	return defaultRetryWindow
}

// retryLater records a failed delivery of c, with the recipients run
// reached, and puts the occurrence back in the queue for after its
// backoff, or, past its useful window, in the dead-letter list (c.ack is
// then set).
func (s *Scheduler) retryLater(ctx context.Context, c *claim, run *occurrenceRun, now time.Time, sendErr error) error {
	n, err := s.q.RecordFailure(ctx, c.id, c.member, sendErr.Error(), run.reachedNow())
	if err != nil {
		return err
	}
	retry := now.Add(backoff(n))
	log := s.log.With("id", c.id, "fire", c.latest, "attempts", n, "err", sendErr)
	if retry.After(c.latest.Add(retryWindow(c.rec))) {
		if err := s.giveUp(ctx, c, now, n, sendErr.Error()); err != nil {
			return err
		}
		c.ack = s.finish(c, now)
		return nil
	}
	log.Warn("reminder delivery failed; retrying", "retryAt", retry)
	s.obs.ReminderRetried()
	return s.q.Requeue(ctx, s.clock.Now().UnixMilli(), c.due, c.rec, retry.UnixMilli())
}

// giveUp puts c in the dead-letter list; the caller acks it.
func (s *Scheduler) giveUp(ctx context.Context, c *claim, now time.Time, attempts int, reason string) error {
	s.obs.ReminderDeadLettered()
	s.log.Error("reminder not delivered: given up after its useful window; see the dead letters",
		"id", c.id, "fire", c.latest, "attempts", attempts, "err", reason)
	dl := DeadLetter{ID: c.id, Job: c.rec.Job, Payload: c.rec.Payload, Fire: c.latest, At: now,
		Attempts: attempts, Err: reason}
	if c.rec.Job == "" {
		dl.Chat = c.rec.Message.Chat.Key()
	}
	data, err := json.Marshal(dl)
	if err != nil {
		return fmt.Errorf("encode dead letter %q: %w", c.id, err)
	}
	if err := s.q.KeepDead(ctx, data, maxDeadLetters); err != nil {
		return fmt.Errorf("keep dead letter %q: %w", c.id, err)
	}
	return nil
}

// DeadLetters returns the newest dead letters that keep says to, at most
// limit (nil keep: all).
func (s *Scheduler) DeadLetters(ctx context.Context, keep func(DeadLetter) bool, limit int) ([]DeadLetter, error) {
	raw, err := s.q.Dead(ctx, maxDeadLetters)
	if err != nil {
		return nil, fmt.Errorf("read dead letters: %w", err)
	}
	var out []DeadLetter
	for _, r := range raw {
		var dl DeadLetter
		if err := json.Unmarshal([]byte(r), &dl); err != nil {
			continue
		}
		dl.Fire, dl.At = dl.Fire.In(calendar.Shanghai), dl.At.In(calendar.Shanghai)
		if keep == nil || keep(dl) {
			out = append(out, dl)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// occurrenceRun is what a job's sends share while one occurrence runs:
// the recipients earlier tries reached (read once, on the first send) and
// those this try reached, written only if the try fails (retryLater), so a
// job that succeeds costs no round trip per send.
type occurrenceRun struct {
	s       *Scheduler
	id      string
	member  string
	mu      sync.Mutex
	loaded  bool
	before  map[string]bool
	reached []string
	errs    []error
}

type runKey struct{}

// SendOnce sends out through sender. Called from a job, it sends each
// recipient (chat and text) once per occurrence however often the job is
// retried, and a failure makes the occurrence fail, so it is retried; the
// error is returned too. Elsewhere it is sender.Send.
func SendOnce(ctx context.Context, sender bot.Sender, out bot.Outgoing) error {
	run, _ := ctx.Value(runKey{}).(*occurrenceRun)
	if run == nil {
		return sender.Send(ctx, out)
	}
	sum := sha256.Sum256([]byte(out.Text))
	recipient := out.Chat.Key() + "|" + hex.EncodeToString(sum[:8])
	seen, err := run.reachedBefore(ctx, recipient)
	if err != nil {
		return run.fail(fmt.Errorf("read reminder recipients: %w", err))
	}
	if seen {
		return nil
	}
	if err := sender.Send(ctx, out); err != nil {
		if errors.Is(err, bot.ErrUnreachable) {
			return err // removed or blocked: retrying cannot help
		}
		return run.fail(err)
	}
	run.mu.Lock()
	run.reached = append(run.reached, recipient)
	run.mu.Unlock()
	return nil
}

// reachedBefore reports whether an earlier try of the occurrence reached
// recipient.
func (r *occurrenceRun) reachedBefore(ctx context.Context, recipient string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.loaded {
		members, err := r.s.q.Reached(ctx, r.id, r.member)
		if err != nil {
			return false, err
		}
		r.before, r.loaded = make(map[string]bool, len(members)), true
		for _, m := range members {
			r.before[m] = true
		}
	}
	return r.before[recipient], nil
}

// reachedNow returns the recipients this try reached.
func (r *occurrenceRun) reachedNow() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reached
}

func (r *occurrenceRun) fail(err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
	return err
}

func (r *occurrenceRun) err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.errs...)
}
