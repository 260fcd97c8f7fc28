package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ErrPanic wraps a panic recovered while serving a message.
var ErrPanic = errors.New("panic while serving message")

// Only serves the messages wanted reports, and drops the rest before any
// other middleware runs (see Router.Wants): put it first in the chain.
func Only(wanted func(*Message) bool) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, r Responder, m *Message) error {
			if !wanted(m) {
				return nil
			}
			return next.ServeMessage(ctx, r, m)
		})
	}
}

// Recover turns a panic in a handler into an error, so one bad message never
// takes the bot down.
func Recover() Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, r Responder, m *Message) (err error) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("%w: %v\n%s", ErrPanic, p, debug.Stack())
				}
			}()
			return next.ServeMessage(ctx, r, m)
		})
	}
}

// Logging logs every message that reached a command, with how long it took
// and its outcome, and is the one place a failure is logged: the error it
// passes on is marked as logged (see Logged). Message text is not logged: it
// may hold personal details.
func Logging(log *slog.Logger) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, r Responder, m *Message) error {
			start := time.Now()
			err := next.ServeMessage(ctx, r, m)
			if m.Command == "" && err == nil {
				return nil
			}
			attrs := []any{"chat", m.Chat.Key(), "user", m.Sender.Key(), "command", m.Command, "took", time.Since(start)}
			switch {
			case errors.Is(err, ErrInFlight):
				log.Info("message redelivered while being served", attrs...)
				return loggedError{err}
			case err != nil:
				log.Error("message failed", append(attrs, "err", err)...)
				return loggedError{err}
			}
			log.Debug("message served", attrs...)
			return nil
		})
	}
}

// loggedError is an error Logging has already logged.
type loggedError struct{ error }

func (e loggedError) Unwrap() error { return e.error }

// Logged reports whether err was logged by Logging on its way out.
func Logged(err error) bool {
	var l loggedError
	return errors.As(err, &l)
}

// ErrRateLimited is returned when a person sends commands faster than the
// rate limit allows.
var ErrRateLimited = errors.New("too many messages")

// ErrGroupRateLimited is returned when a group, however many people write
// in it, sends commands faster than the group's limit allows.
var ErrGroupRateLimited = errors.New("too many messages in the group")

// groupShare is how many people's worth of commands a group may send: its
// burst and rate are this many times a person's.
const groupShare = 3

// RateLimit lets each person send a burst of commands and then one every
// interval, and each group groupShare times as many. Commands are counted
// when they were written (the message's Time), not when they are served:
// a flood waiting behind a group's send limit is still a flood, and the
// commands over the limit are dropped before they delay anyone else's
// answer. Only the commands a person's limit lets through count toward the
// group's, so one person's flood cannot use up everyone's. The first
// command over a limit returns ErrRateLimited (or ErrGroupRateLimited), so
// the person or group can be told once; the rest are dropped quietly until
// the limit allows again. Limits are kept in
// memory per process: a chat's messages are served by one instance at a
// time, so they hold across instances too.
func RateLimit(interval time.Duration, burst int, clock Clock) Middleware {
	people := newLimits(rate.Every(interval), burst)
	groups := newLimits(rate.Every(interval/groupShare), burst*groupShare)
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, r Responder, m *Message) error {
			at := m.Time
			if at.IsZero() {
				at = clock.Now()
			}
			// The person first: a flood cut to one person's burst must not
			// spend the group's, or the others in the group would be
			// refused for it.
			switch allowed, warn := people.allow(m.Sender.Key(), at); {
			case warn:
				return fmt.Errorf("%w: %s", ErrRateLimited, m.Sender.Key())
			case !allowed:
				return nil
			}
			if m.Chat.Kind == Group {
				switch allowed, warn := groups.allow(m.Chat.Key(), at); {
				case warn:
					return fmt.Errorf("%w: %s", ErrGroupRateLimited, m.Chat.Key())
				case !allowed:
					return nil
				}
			}
			return next.ServeMessage(ctx, r, m)
		})
	}
}

// limits are token buckets by key, each warning once per run of refusals.
type limits struct {
	every rate.Limit
	burst int
	mu    sync.Mutex
	by    map[string]*limit
}

type limit struct {
	bucket *rate.Limiter
	warned bool
}

func newLimits(every rate.Limit, burst int) *limits {
	return &limits{every: every, burst: burst, by: map[string]*limit{}}
}

// allow takes a token for key at t; warn is set for the first refusal
// after an allowed one.
func (l *limits) allow(key string, t time.Time) (allowed, warn bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.by[key]
	if !ok {
		if len(l.by) > 100_000 {
			clear(l.by) // bound memory; losing limiter state is harmless
		}
		b = &limit{bucket: rate.NewLimiter(l.every, l.burst)}
		l.by[key] = b
	}
	allowed = b.bucket.AllowN(t, 1)
	warn = !allowed && !b.warned
	b.warned = !allowed
	return allowed, warn
}

// Deduper remembers which messages were served, so a redelivered message
// is not served twice and one that failed is served again.
type Deduper interface {
	// ClaimMessage marks key as being served and returns the claim's
	// token, or fails with ErrAlreadyServed or ErrInFlight.
	ClaimMessage(ctx context.Context, key string) (token string, err error)
	// FinishMessage ends the claim: served marks key done; otherwise a
	// redelivery of key is served.
	FinishMessage(ctx context.Context, key, token string, served bool) error
}

// ErrAlreadyServed is a Deduper's answer for a message served before.
var ErrAlreadyServed = errors.New("message already served")

// ErrInFlight is a Deduper's answer for a message being served right now,
// by this instance or another: it is neither dropped nor served, so a
// platform or queue that redelivers gets it once the claim is over.
var ErrInFlight = errors.New("message being served")

// Dedupe serves a message once per platform id, so a redelivered update
// never pledges or votes twice. The message is marked served only after its
// handler succeeded (a reply to bad input is a success); one that failed
// is served again when it is redelivered. Messages without an id are
// always served.
//
// Served by a Bot with a Courier, the replies the handler sends through
// its Responder are kept with the mark, in one write, and sent from the
// outbox (see Courier), so a process that dies while they wait for their
// turn neither loses them nor, serving the message again, sends them twice.
//
// When the Outbox is a WriteHolder, the command's last write is made with
// the mark, in one write. What remains (without one, or on a Redis Cluster,
// where writes are made at once): an instance that dies after the
// handler's last write and before the mark lets a redelivery run the
// command again.
func Dedupe(d Deduper) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, r Responder, m *Message) error {
			if m.ID == "" {
				return next.ServeMessage(ctx, r, m)
			}
			key := m.Chat.Key() + ":" + m.ID
			token, err := d.ClaimMessage(ctx, key)
			switch {
			case errors.Is(err, ErrAlreadyServed):
				return nil
			case err != nil:
				return fmt.Errorf("dedupe: %w", err)
			}
			if c := courierFrom(ctx); c != nil {
				return c.serve(ctx, d, next, r, m, key, token)
			}
			err = next.ServeMessage(WithMessageKey(ctx, key), r, m)
			// The mark is written even if the caller gave up waiting.
			if ferr := d.FinishMessage(context.WithoutCancel(ctx), key, token, err == nil); ferr != nil {
				return errors.Join(err, fmt.Errorf("dedupe: %w", ferr))
			}
			return err
		})
	}
}

// serve serves m, claimed under key and token, with its replies going
// through the outbox: collected while the command runs, then written with
// the served mark in one write and sent from there, at once and in this
// goroutine when the chat's outbox is free (so a console's output keeps its
// order). A command that failed is not marked served, so its replies (the
// error answer among them) are sent directly, as they are when the store
// cannot take them.
func (c *Courier) serve(ctx context.Context, d Deduper, next Handler, r Responder, m *Message, key, token string) error {
	var col collector
	hctx := collectInto(WithMessageKey(ctx, key), &col)
	holder, holds := c.Outbox.(WriteHolder)
	if holds {
		hctx = holder.HoldWrites(hctx)
	}
	err := next.ServeMessage(hctx, r, m)
	replies := col.take()
	// The mark is written even if the caller gave up waiting.
	wctx := context.WithoutCancel(hctx)
	if err != nil {
		if holds {
			if herr := holder.MakeHeldWrites(wctx); herr != nil {
				err = errors.Join(err, herr)
			}
		}
		serr := c.sendNow(ctx, replies)
		if ferr := d.FinishMessage(wctx, key, token, false); ferr != nil {
			return errors.Join(err, serr, fmt.Errorf("dedupe: %w", ferr))
		}
		return errors.Join(err, serr)
	}
	lease, alone, ferr := c.Outbox.FinishServed(wctx, key, token, m.Chat.Key(), replies)
	if errors.Is(ferr, ErrNotSaved) {
		// The replies tell of changes that were not made: the person is
		// told the system is busy instead (see answerOutages), and the
		// message is served again when it is redelivered.
		if rerr := d.FinishMessage(context.WithoutCancel(ctx), key, token, false); rerr != nil {
			ferr = errors.Join(ferr, rerr)
		}
		return fmt.Errorf("dedupe: %w", ferr)
	}
	if ferr != nil {
		return errors.Join(fmt.Errorf("dedupe: %w", ferr), c.sendNow(ctx, replies))
	}
	if lease == "" {
		return nil // another instance sends the chat's outbox, ours included
	}
	if !c.claim(m.Chat.Key()) {
		// Run here took the chat between the write and now: it sends
		// them once the lease is free.
		if rerr := c.Outbox.ReleaseOutbox(wctx, m.Chat.Key(), lease); rerr != nil {
			c.Log.Warn("outbox: cannot release lease", "chat", m.Chat.Key(), "err", rerr)
		}
		return nil
	}
	if !alone {
		replies = nil // older replies wait too: read them all, in order
	}
	c.deliver(ctx, m.Chat.Key(), lease, replies)
	return nil
}

// Bot joins platforms to a handler: it is the Receiver every platform hands
// its messages to, and the Sender that speaks through them.
type Bot struct {
	Handler Handler
	Sender  Sender
	Log     *slog.Logger
	// Courier, when set, sends the replies of every message with a
	// platform id through the outbox (see Dedupe); without one they are
	// sent as they are produced.
	Courier *Courier
}

// Receive cleans the display names in m (see CleanName), serves it and
// logs an error that no middleware logged.
func (b *Bot) Receive(ctx context.Context, m *Message) { b.ReceiveOrRetry(ctx, m) }

// Retrier is a Receiver that reports when a message could not be served yet
// and should be handed over again later. A platform that keeps its messages
// until served (see package intake) keeps such a message.
type Retrier interface {
	Receiver
	// ReceiveOrRetry serves m like Receive, and reports false when m must
	// be handed over again later.
	ReceiveOrRetry(ctx context.Context, m *Message) bool
}

// ReceiveOrRetry serves m like Receive. It reports false when m is being
// served elsewhere (ErrInFlight: another instance, or one that died while
// serving it and whose claim has not run out yet): handed over again later,
// it is served, or dropped as served. The display names in m are cleaned
// first (see CleanName), once, before any handler sees them.
func (b *Bot) ReceiveOrRetry(ctx context.Context, m *Message) bool {
	cleanIdentities(m)
	if b.Courier != nil {
		ctx = WithCourier(ctx, b.Courier)
	}
	err := b.Handler.ServeMessage(ctx, NewResponder(b.Sender, m), m)
	if err != nil && !Logged(err) {
		b.Log.Error("unhandled error", "chat", m.Chat.Key(), "command", m.Command, "err", err)
	}
	return !errors.Is(err, ErrInFlight)
}
