package bot

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"
)

// Limits are how fast one platform may be sent to. A zero field means no
// such limit.
//
// Every limit is a sliding window: at most N sends in any window of the
// given length, never a token bucket. Telegram counts sends in windows, and a
// token bucket of rate r and burst b lets b+r·w through in the first window w
// (twice the limit when b = r·w), which is exactly how a broadcast trips it.
type Limits struct {
	// PerSecond is how many messages per second the platform takes over all
	// chats together. With Burst it becomes "at most Burst sends in any
	// Burst/PerSecond seconds": 30 and 30 mean at most 30 in any second.
	PerSecond float64
	// Burst is how many of PerSecond may go at once; below 1 counts as 1,
	// which spaces sends evenly 1/PerSecond apart.
	Burst int
	// PerChat is how many messages one group chat takes per PerChatWindow;
	// a fraction above one is rounded down.
	PerChat float64
	// PerChatWindow is the window PerChat counts in; zero means a minute.
	PerChatWindow time.Duration
	// PrivatePerSecond is how many messages per second one private chat
	// takes, spaced evenly.
	PrivatePerSecond float64
	// MinGap is the least time between any two sends on the platform.
	MinGap time.Duration
}

// RetryAfterError is returned by a platform that was told to slow down, such
// as Telegram's 429 Too Many Requests with retry_after. Platforms return it
// as a *RetryAfterError, possibly wrapped.
type RetryAfterError struct {
	// After is how long the platform asked to wait before sending again.
	After time.Duration
	// Global is true when the whole platform must wait, not only the chat
	// the refused message was for.
	Global bool
	// Err is the platform's own error, if any.
	Err error
}

// Error says how long the platform asked to wait.
func (e *RetryAfterError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("retry after %s: %v", e.After, e.Err)
	}
	return fmt.Sprintf("retry after %s", e.After)
}

// Unwrap returns the platform's own error.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// PacerRetries is how many times a Pacer resends a message the platform
// refused with a RetryAfterError before it returns that error.
const PacerRetries = 5

// Pacer is a Sender that waits its turn before handing each message to the
// platform's Sender, so a broadcast goes out as fast as the platform's Limits
// allow and never faster. Each message is given the earliest time slot that
// keeps every limit, in the order Send is called, so a waiting reminder is
// queued, never dropped, and a chat that is at its limit does not hold up
// others. It is safe for concurrent use.
type Pacer struct {
	next  Sender
	clock Clock
	sleep func(ctx context.Context, d time.Duration) error

	groupN      int
	groupSpan   time.Duration
	privateSpan time.Duration

	mu           sync.Mutex // guards the fields below
	global       []*window
	heldUntil    time.Time // the whole platform, after a global retry_after
	chats        map[string]*chatPace
	sinceSweep   int
	chatsAtSweep int
}

// chatPace is one chat's sends and hold. Chats idle for longer than their
// window are dropped, so memory follows the chats that are busy now.
type chatPace struct {
	w         *window // nil when the chat's kind has no limit
	heldUntil time.Time
}

// NewPacer returns a Pacer that sends through next within l, reading the
// time from clock. sleep waits for d or until ctx is done, returning
// ctx.Err() then; nil means a real timer, and tests pass one that moves a
// FakeClock.
func NewPacer(next Sender, l Limits, clock Clock, sleep func(ctx context.Context, d time.Duration) error) *Pacer {
	if sleep == nil {
		sleep = sleepCtx
	}
	p := &Pacer{next: next, clock: clock, sleep: sleep, chats: map[string]*chatPace{}}
	if l.PerSecond > 0 {
		burst := max(l.Burst, 1)
		p.global = append(p.global, newWindow(burst, seconds(float64(burst)/l.PerSecond)))
	}
	if l.MinGap > 0 {
		p.global = append(p.global, newWindow(1, l.MinGap))
	}
	if l.PerChat > 0 {
		span := l.PerChatWindow
		if span <= 0 {
			span = time.Minute
		}
		p.groupN = int(l.PerChat)
		if p.groupN < 1 { // fewer than one per window: one per longer window
			p.groupN = 1
			span = time.Duration(float64(span) / l.PerChat)
		}
		p.groupSpan = span
	}
	if l.PrivatePerSecond > 0 {
		p.privateSpan = seconds(1 / l.PrivatePerSecond)
	}
	return p
}

// Send waits for out's turn and sends it, and when the platform asks to slow
// down it holds back the chat (or the whole platform, for a global request)
// for the time asked and tries again, up to PacerRetries times. It returns
// ctx.Err() if ctx is done while waiting.
func (p *Pacer) Send(ctx context.Context, out Outgoing) error {
	key := out.Chat.Key()
	retries := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := p.clock.Now()
		at := p.reserve(key, out.Chat.Kind, now)
		if d := at.Sub(now); d > 0 {
			if err := p.sleep(ctx, d); err != nil {
				p.release(key, at)
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return err
			}
		}
		if p.heldPast(key, at) {
			// A retry_after arrived while this message waited: its slot
			// falls inside the hold, so it takes a new one after it.
			p.release(key, at)
			continue
		}
		err := p.next.Send(ctx, out)
		var ra *RetryAfterError
		if !errors.As(err, &ra) || retries == PacerRetries {
			return err
		}
		retries++
		// The refused attempt stays counted in the windows: the platform
		// may have counted it too.
		p.hold(key, out.Chat.Kind, ra.Global, p.clock.Now().Add(ra.After))
	}
}

// reserve books the earliest time at or after now that keeps every limit
// for the chat key, given every slot already booked, and returns it.
func (p *Pacer) reserve(key string, kind ChatKind, now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sweep(now)
	c := p.chat(key, kind)
	at := now
	if p.heldUntil.After(at) {
		at = p.heldUntil
	}
	if c.heldUntil.After(at) {
		at = c.heldUntil
	}
	windows := p.global
	if c.w != nil {
		windows = append(windows[:len(windows):len(windows)], c.w)
	}
	for _, w := range windows {
		w.prune(now)
	}
	// Each window moves at only forward to the next time it allows; when
	// none moves it, every window allows it. Times come from a finite set
	// (now, booked slots, booked slots plus a span), so this ends.
	for moved := true; moved; {
		moved = false
		for _, w := range windows {
			if e := w.earliest(at); e.After(at) {
				at, moved = e, true
			}
		}
	}
	for _, w := range windows {
		w.insert(at)
	}
	return at
}

// release gives back a slot booked by reserve that was not used.
func (p *Pacer) release(key string, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, w := range p.global {
		w.remove(at)
	}
	if c, ok := p.chats[key]; ok && c.w != nil {
		c.w.remove(at)
	}
}

// heldPast reports whether the chat key or the platform is held beyond at.
func (p *Pacer) heldPast(key string, at time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.heldUntil.After(at) {
		return true
	}
	c, ok := p.chats[key]
	return ok && c.heldUntil.After(at)
}

// hold keeps the chat key, or the whole platform when global, from being
// sent to before until.
func (p *Pacer) hold(key string, kind ChatKind, global bool, until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if global {
		if until.After(p.heldUntil) {
			p.heldUntil = until
		}
		return
	}
	if c := p.chat(key, kind); until.After(c.heldUntil) {
		c.heldUntil = until
	}
}

// chat returns the chat's pacing state, creating it when needed. The caller
// holds p.mu.
func (p *Pacer) chat(key string, kind ChatKind) *chatPace {
	if c, ok := p.chats[key]; ok {
		return c
	}
	c := &chatPace{}
	switch {
	case kind == Private && p.privateSpan > 0:
		c.w = newWindow(1, p.privateSpan)
	case kind != Private && p.groupN > 0:
		c.w = newWindow(p.groupN, p.groupSpan)
	}
	p.chats[key] = c
	return c
}

// sweep drops chats with nothing booked within their window and no hold.
// It runs once the number of reservations since the last sweep reaches the
// number of chats kept then, so its cost per Send stays constant. The caller
// holds p.mu.
func (p *Pacer) sweep(now time.Time) {
	p.sinceSweep++
	if p.sinceSweep < p.chatsAtSweep+64 {
		return
	}
	for key, c := range p.chats {
		if c.w != nil {
			c.w.prune(now)
		}
		if (c.w == nil || len(c.w.times) == 0) && !c.heldUntil.After(now) {
			delete(p.chats, key)
		}
	}
	p.sinceSweep, p.chatsAtSweep = 0, len(p.chats)
}

// window is a sliding-window limit: at most n sends in any span, that is
// times[i+n] - times[i] >= span for every i. It holds booked times, past and
// future, sorted; bookings may arrive out of order, because a message held by
// its chat's limit books a late slot and the next message, to another chat,
// may still fit before it.
type window struct {
	n     int
	span  time.Duration
	times []time.Time
}

func newWindow(n int, span time.Duration) *window { return &window{n: n, span: span} }

// prune forgets times at or before now-span: no slot at or after now can be
// within a span of them, so they constrain nothing.
func (w *window) prune(now time.Time) {
	cut := now.Add(-w.span)
	i := sort.Search(len(w.times), func(i int) bool { return w.times[i].After(cut) })
	if i > 0 {
		w.times = append(w.times[:0], w.times[i:]...)
	}
}

// earliest returns the earliest time at or after t0 that can be inserted
// without putting more than n times in any span. It tries each gap between
// booked times in order: in gap k (after times[k-1], before times[k]) the
// new time must be a span after times[k-n] and a span before times[k+n-1],
// and the pairs n-1 apart on either side of it become n apart, so they must
// be a span apart already.
func (w *window) earliest(t0 time.Time) time.Time {
	s, n := w.times, w.n
	k := sort.Search(len(s), func(i int) bool { return s[i].After(t0) })
	for ; ; k++ {
		lo := t0
		if k > 0 && s[k-1].After(lo) {
			lo = s[k-1]
		}
		if k >= n {
			if e := s[k-n].Add(w.span); e.After(lo) {
				lo = e
			}
		}
		if k == len(s) {
			return lo
		}
		hi := s[k]
		if k+n-1 < len(s) {
			if e := s[k+n-1].Add(-w.span); e.Before(hi) {
				hi = e
			}
		}
		if lo.After(hi) || !w.straddleFits(k) {
			continue
		}
		return lo
	}
}

// straddleFits reports whether the pairs of times n-1 apart around gap k
// are at least a span apart.
func (w *window) straddleFits(k int) bool {
	for j := max(0, k-w.n+1); j < k && j+w.n-1 < len(w.times); j++ {
		if w.times[j+w.n-1].Sub(w.times[j]) < w.span {
			return false
		}
	}
	return true
}

// insert books t.
func (w *window) insert(t time.Time) {
	i := sort.Search(len(w.times), func(i int) bool { return w.times[i].After(t) })
	w.times = append(w.times, time.Time{})
	copy(w.times[i+1:], w.times[i:])
	w.times[i] = t
}

// remove gives back one booking of t, if there is one.
func (w *window) remove(t time.Time) {
	i := sort.Search(len(w.times), func(i int) bool { return !w.times[i].Before(t) })
	if i < len(w.times) && w.times[i].Equal(t) {
		w.times = append(w.times[:i], w.times[i+1:]...)
	}
}

// seconds converts a number of seconds to a Duration, rounding up so that a
// span is never shorter than the limit asks.
func seconds(s float64) time.Duration { return time.Duration(math.Ceil(s * float64(time.Second))) }

// sleepCtx waits for d on a real timer or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
