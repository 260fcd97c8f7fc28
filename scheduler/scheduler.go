package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
)

// ErrBadReminder is returned by Schedule for a reminder it cannot keep: no
// ID, no chat, no time, a cron spec that does not parse or never fires, a
// negative StaleAfter.
var ErrBadReminder = errors.New("bad reminder")

// maxIDLen bounds a reminder ID, which is part of several keys.
const maxIDLen = 200

// Defaults for the options.
const (
	defaultPollInterval = time.Second
	defaultLeaseTTL     = 30 * time.Second
	defaultBatch        = 100
	defaultParallel     = 32
)

// busyWait bounds how long Schedule and Cancel wait for a lease held by a
// delivery in progress before they give up with store.ErrBusy.
const busyWait = 3 * time.Second

// Reminder is a message to send at a time, once or on a schedule.
type Reminder struct {
	// ID is chosen by the caller and names the reminder for Cancel and for
	// moving it (Schedule again), such as "meeting:3:7:dayBefore". It is at
	// most 200 bytes of printable text.
	ID string
	// At is when a one-off reminder fires. For a recurring one it is the
	// first occurrence, or when zero the first time Spec fires after now.
	// Pending reports the next occurrence here. Times are kept to the
	// millisecond.
	At time.Time
	// Spec, when set, makes the reminder recurring: a standard 5-field cron
	// spec run in Shanghai (calendar.NextFire).
	Spec string
	// StaleAfter, when more than 0, is how late an occurrence may still be
	// sent; later than At plus StaleAfter it is dropped with a log line.
	StaleAfter time.Duration
	// Message is what is sent, unless Job is set.
	Message bot.Outgoing
	// Job, when set, names a JobFunc registered with Handle that is run
	// instead of sending Message: for reminders whose text depends on the
	// moment they fire (how many signed up, whether a problem is still
	// untouched). Payload is handed to it as it was scheduled.
	Job     string
	Payload string
	// Created is when the reminder was last scheduled; Schedule sets it.
	Created time.Time
}

// Recurring reports whether r repeats.
func (r Reminder) Recurring() bool { return r.Spec != "" }

// record is a Reminder as stored.
type record = store.ReminderRecord

func reminderOf(rec *record) Reminder {
	return Reminder{
		ID:         rec.ID,
		At:         time.UnixMilli(rec.AtMs).In(calendar.Shanghai),
		Spec:       rec.Spec,
		StaleAfter: time.Duration(rec.StaleAfterMs) * time.Millisecond,
		Message:    rec.Message,
		Job:        rec.Job,
		Payload:    rec.Payload,
		Created:    time.UnixMilli(rec.CreatedMs).In(calendar.Shanghai),
	}
}

// Scheduler keeps reminders in Redis and delivers them when due. Any number
// of Schedulers, in any number of processes, may share one Redis; each
// occurrence is delivered by one of them. It is safe for concurrent use.
type Scheduler struct {
	rdb      redis.UniversalClient
	q        Queue
	sender   bot.Sender
	clock    bot.Clock
	log      *slog.Logger
	prefix   string // WithKeyPrefix
	shards   int    // WithShards
	interval time.Duration
	leaseTTL time.Duration
	batch    int64

	// inOrder delivers due occurrences in queue order instead of shuffled.
	inOrder bool
	// obs is told what happens to each occurrence (WithObserver).
	obs Observer
	// ackTx runs the MULTI that acknowledges an occurrence (WithAckTx).
	ackTx TxFunc
	// parallel bounds the sends of one pass running at once.
	parallel int
	// wake tells Run that something falls due before its next poll.
	wake chan struct{}
	// migrated is closed once what an older layout left has been moved.
	migrateMu sync.Mutex
	migrated  bool
	// sentCount counts the occurrences sent and acknowledged.
	sentCount atomic.Int64

	jobsMu sync.RWMutex
	jobs   map[string]JobFunc
}

// JobFunc runs a reminder whose Job names it. An error leaves the
// occurrence to be retried when its lease expires, like a failed send.
type JobFunc func(ctx context.Context, r Reminder) error

// Handle registers fn to run reminders whose Job is name. Jobs are
// registered at start-up; registering a name twice panics.
func (s *Scheduler) Handle(name string, fn JobFunc) {
	s.jobsMu.Lock()
	defer s.jobsMu.Unlock()
	if _, dup := s.jobs[name]; dup || name == "" || fn == nil {
		panic(fmt.Sprintf("scheduler: job %q registered twice or empty", name))
	}
	s.jobs[name] = fn
}

// run delivers one occurrence: runs its job, or sends its message. A job
// fails when it returns an error or when any of its sends (SendOnce) did;
// the run says whom it reached, for a retry to skip.
func (s *Scheduler) run(ctx context.Context, rec *record) (*occurrenceRun, error) {
	run := &occurrenceRun{s: s, id: rec.ID, member: rec.Member()}
	if rec.Job == "" {
		return run, s.sender.Send(ctx, rec.Message)
	}
	s.jobsMu.RLock()
	fn, ok := s.jobs[rec.Job]
	s.jobsMu.RUnlock()
	if !ok {
		return run, fmt.Errorf("%w: no job %q registered", ErrBadReminder, rec.Job)
	}
	if err := fn(context.WithValue(ctx, runKey{}, run), reminderOf(rec)); err != nil {
		return run, err
	}
	return run, run.err()
}

// Option configures a Scheduler.
type Option func(*Scheduler)

// WithInOrder makes RunDue deliver what is due in the order it fell due
// (ties by id) rather than shuffled. Shuffling spreads instances competing
// for one queue; a single instance on a fake clock (the console, transcript
// tests) wants repeatable output instead.
func WithInOrder() Option {
	return func(s *Scheduler) { s.inOrder = true }
}

// WithKeyPrefix puts prefix in front of every key, so tests sharing one
// Redis never see each other's data.
func WithKeyPrefix(prefix string) Option {
	return func(s *Scheduler) { s.prefix = prefix }
}

// WithShards spreads the due-queue over n shards (default
// store.DefaultReminderShards), each in its own Cluster slot. Every
// instance must be given the same n, and it cannot change while reminders
// are pending: an instance given another refuses to deliver.
func WithShards(n int) Option {
	return func(s *Scheduler) {
		if n > 0 {
			s.shards = n
		}
	}
}

// WithQueue keeps reminders in q instead of store.Reminders on the client
// given to New.
func WithQueue(q Queue) Option {
	return func(s *Scheduler) { s.q = q }
}

// WithParallelSends sets how many sends of one pass run at once (default
// 32); WithInOrder sends one at a time regardless.
func WithParallelSends(n int) Option {
	return func(s *Scheduler) {
		if n > 0 {
			s.parallel = n
		}
	}
}

// WithPollInterval sets how often Run looks for due reminders (default 1s).
func WithPollInterval(d time.Duration) Option {
	return func(s *Scheduler) {
		if d > 0 {
			s.interval = d
		}
	}
}

// WithLeaseTTL sets how long a claim on an occurrence lasts (default 30s):
// how long an instance that dies while delivering delays it. A send is given
// four fifths of it, so it should exceed the longest wait the Sender's pacing
// can impose.
func WithLeaseTTL(d time.Duration) Option {
	return func(s *Scheduler) {
		if d > 0 {
			s.leaseTTL = d
		}
	}
}

// WithBatchSize sets how many due occurrences one query reads (default 100).
func WithBatchSize(n int) Option {
	return func(s *Scheduler) {
		if n > 0 {
			s.batch = int64(n)
		}
	}
}

// TxFunc runs fn's commands in one MULTI/EXEC; key is one of the keys they
// write. store.Store.Acknowledged is one: it waits for replicas after the
// EXEC when the store is set to.
type TxFunc = store.TxFunc

// WithAckTx makes the MULTI that acknowledges a delivered occurrence run
// through tx, so on Sentinel or Cluster a failover cannot lose the ack and
// send the reminder again. By default it is a plain TxPipelined.
func WithAckTx(tx TxFunc) Option {
	return func(s *Scheduler) {
		if tx != nil {
			s.ackTx = tx
		}
	}
}

// New returns a Scheduler keeping reminders in rdb and sending them through
// sender, with time from clock. A nil log discards.
func New(rdb redis.UniversalClient, sender bot.Sender, clock bot.Clock, log *slog.Logger, opts ...Option) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{
		rdb:      rdb,
		sender:   sender,
		clock:    clock,
		log:      log.With("component", "scheduler"),
		interval: defaultPollInterval,
		leaseTTL: defaultLeaseTTL,
		batch:    defaultBatch,
		jobs:     map[string]JobFunc{},
		obs:      unobserved{},
		parallel: defaultParallel,
		wake:     make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(s)
	}
	if s.q == nil {
		s.q = store.NewReminders(rdb, s.prefix, s.shards)
	}
	return s
}

// Schedule stores r and queues its first occurrence, replacing any reminder
// with the same ID: moving a reminder is scheduling it again. An At in the
// past is due at once. An occurrence already delivered in the last day (the
// same ID and fire time) is not sent again, so callers may re-schedule
// idempotently.
func (s *Scheduler) Schedule(ctx context.Context, r Reminder) error {
	now := s.clock.Now()
	at, err := firstFire(r, now)
	if err != nil {
		return err
	}
	rec := newRecord(r, at, now)
	err = s.withLease(ctx, r.ID, func(string) error {
		old, err := s.q.Records(ctx, []string{r.ID})
		if err != nil {
			return err
		}
		return s.q.Put(ctx, now.UnixMilli(), []*record{rec}, old)
	})
	if err == nil {
		s.poke(at, now)
	}
	return err
}

// poke wakes Run when at falls due before its next poll.
func (s *Scheduler) poke(at, now time.Time) {
	if at.Sub(now) < s.interval {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// newRecord is r as stored, pending at at.
func newRecord(r Reminder, at, now time.Time) *record {
	return &record{
		ID:           r.ID,
		AtMs:         at.UnixMilli(),
		DueMs:        at.UnixMilli(),
		Spec:         strings.TrimSpace(r.Spec),
		StaleAfterMs: r.StaleAfter.Milliseconds(),
		Message:      r.Message,
		Job:          r.Job,
		Payload:      r.Payload,
		CreatedMs:    now.UnixMilli(),
	}
}

// isNotFound reports whether err says the reminder does not exist.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// firstFire validates r and returns when it first fires.
func firstFire(r Reminder, now time.Time) (time.Time, error) {
	if err := validID(r.ID); err != nil {
		return time.Time{}, err
	}
	if r.Job == "" && (r.Message.Chat.Platform == "" || r.Message.Chat.ID == "") {
		return time.Time{}, fmt.Errorf("%w: %q: the message has no chat", ErrBadReminder, r.ID)
	}
	if r.StaleAfter < 0 {
		return time.Time{}, fmt.Errorf("%w: %q: negative StaleAfter %v", ErrBadReminder, r.ID, r.StaleAfter)
	}
	if r.Spec == "" {
		if r.At.IsZero() {
			return time.Time{}, fmt.Errorf("%w: %q: a one-off reminder needs At", ErrBadReminder, r.ID)
		}
		return r.At, nil
	}
	next, err := calendar.NextFire(r.Spec, now)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q: %w", ErrBadReminder, r.ID, err)
	}
	if r.At.IsZero() {
		return next, nil
	}
	return r.At, nil
}

func validID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty ID", ErrBadReminder)
	case len(id) > maxIDLen:
		return fmt.Errorf("%w: ID %.40q… is longer than %d bytes", ErrBadReminder, id, maxIDLen)
	case !utf8.ValidString(id) || strings.ContainsFunc(id, unicode.IsControl):
		return fmt.Errorf("%w: ID %q has control characters or invalid UTF-8", ErrBadReminder, id)
	}
	return nil
}

// Cancel removes the reminder id and its pending occurrence. It returns an
// error wrapping store.ErrNotFound when there is none.
func (s *Scheduler) Cancel(ctx context.Context, id string) error {
	return s.withLease(ctx, id, func(string) error {
		rec, err := s.getRecord(ctx, id)
		if err != nil {
			return err
		}
		return s.q.Remove(ctx, []*record{rec})
	})
}

// Get returns the pending reminder id, with At its next occurrence, or an
// error wrapping store.ErrNotFound.
func (s *Scheduler) Get(ctx context.Context, id string) (Reminder, error) {
	rec, err := s.getRecord(ctx, id)
	if err != nil {
		return Reminder{}, err
	}
	return reminderOf(rec), nil
}

// Pending returns the pending reminders whose ID starts with prefix, soonest
// first, each with At its next occurrence. It reads the whole queue, which is
// fine for the thousands of reminders a deployment holds.
func (s *Scheduler) Pending(ctx context.Context, prefix string) ([]Reminder, error) {
	recs, err := s.q.Pending(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := make([]Reminder, len(recs))
	for i, rec := range recs {
		out[i] = reminderOf(rec)
	}
	return out, nil
}

func (s *Scheduler) getRecord(ctx context.Context, id string) (*record, error) {
	recs, err := s.q.Records(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if recs[0] == nil {
		return nil, fmt.Errorf("%w: reminder %q", store.ErrNotFound, id)
	}
	return recs[0], nil
}

// withLease runs fn holding the lease on reminder id, waiting up to busyWait
// for a delivery in progress to finish. Redka has neither WATCH nor Lua, so
// the lease is what keeps a move from crossing an ack. fn must release the
// lease, normally by deleting it in its MULTI; withLease releases it when fn
// fails.
func (s *Scheduler) withLease(ctx context.Context, id string, fn func(token string) error) error {
	if err := validID(id); err != nil {
		return err
	}
	token := newToken()
	deadline := time.Now().Add(busyWait)
	var taken time.Time
	for wait := 2 * time.Millisecond; ; wait = min(wait*2, 100*time.Millisecond) {
		taken = time.Now()
		held, err := s.q.Lease(ctx, []string{id}, token, s.leaseTTL)
		if err != nil {
			return fmt.Errorf("lease reminder %q: %w", id, err)
		}
		if held[0] {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: reminder %q is being delivered", store.ErrBusy, id)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	if err := fn(token); err != nil {
		_ = s.q.Release(context.WithoutCancel(ctx), []string{id}, token, time.Since(taken) >= s.leaseTTL/2)
		return err
	}
	return nil
}

func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NextDue returns when the earliest pending occurrence falls due, and false
// when nothing is pending. The console's fake clock uses it to stop at each
// due time.
func (s *Scheduler) NextDue(ctx context.Context) (time.Time, bool, error) {
	ms, ok, err := s.q.NextDue(ctx)
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	return time.UnixMilli(ms).In(calendar.Shanghai), true, nil
}
