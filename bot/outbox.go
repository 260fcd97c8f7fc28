package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// The outbox: the replies a message's command produces are not sent while
// it is served. They are collected, and when the command succeeded they are
// written to the store in the same MULTI as the message's served mark (see
// Dedupe), then sent from there by a Courier, each removed only once it was
// sent. A process that dies between the mark and the sends leaves the
// replies in the store, and whichever instance runs next sends them; the
// message itself, marked served, is not served again. What remains: the
// replies of a message are removed together once all are sent, so a
// process that dies while sending them sends those already out again.

// KeptReply is one reply waiting in a chat's outbox.
type KeptReply struct {
	// ID is the reply's place in its chat's outbox, given by the store;
	// IDs sort in the order the replies are to be sent.
	ID string
	// Locale is the language the reply was written in, for the lines the
	// privacy rule adds when it is sent (see PrivacyWording).
	Locale string
	Out    Outgoing
}

// Outbox keeps replies until they are sent, per chat (the chat of the
// message that produced them), in order. A chat's outbox is sent by one
// instance at a time, under a lease.
type Outbox interface {
	// FinishServed marks msgKey served, ending the claim token holds, and
	// keeps replies in chatKey's outbox, all in one write; it gives each
	// reply its ID. lease is the token of the chat's delivery lease when
	// the caller took it ("" when another instance is sending the chat's
	// outbox, or there are no replies); alone reports that the outbox held
	// nothing else, so replies are all there is to send.
	FinishServed(ctx context.Context, msgKey, token, chatKey string, replies []KeptReply) (lease string, alone bool, err error)
	// DueOutboxes returns up to n chats of platform whose outbox is due
	// to be sent at now.
	DueOutboxes(ctx context.Context, platform string, now time.Time, n int) ([]string, error)
	// TakeOutbox takes chatKey's delivery lease, or returns "" while
	// another instance holds it.
	TakeOutbox(ctx context.Context, chatKey string) (lease string, err error)
	// RenewOutbox extends the lease while it is still lease's, and fails
	// when it is not.
	RenewOutbox(ctx context.Context, chatKey, lease string) error
	// ReleaseOutbox gives the lease up if it is still lease's.
	ReleaseOutbox(ctx context.Context, chatKey, lease string) error
	// OutboxReplies returns the replies in chatKey's outbox, in order.
	OutboxReplies(ctx context.Context, chatKey string) ([]KeptReply, error)
	// ReplaceReply keeps out in place of reply id, what is left of it to
	// send (see WithRemainder).
	ReplaceReply(ctx context.Context, chatKey string, r KeptReply) error
	// SentReply removes replies ids once they were sent.
	SentReply(ctx context.Context, chatKey string, ids ...string) error
	// SentLast removes replies ids (none when empty) once they were sent,
	// the last of those read: the chat leaves the list of due outboxes
	// and, when lease is given, the lease is given up, in one write. If
	// replies arrived meanwhile, the chat is due again and more is true;
	// a lease given up is taken again, and more is false when another
	// instance took it first (that one sends them).
	SentLast(ctx context.Context, chatKey, lease string, ids ...string) (more bool, err error)
	// PostponeOutbox makes chatKey's outbox due again at until.
	PostponeOutbox(ctx context.Context, chatKey string, until time.Time) error
}

// WriteHolder is an Outbox that can hold back the last write of a command
// served under the context HoldWrites returns, and make it in the write of
// FinishServed: the command's effects and its served mark are then one
// write, so an instance that dies between them cannot leave a message whose
// effects were made but which is served again.
type WriteHolder interface {
	// HoldWrites returns ctx under which the last write is held.
	HoldWrites(ctx context.Context) context.Context
	// MakeHeldWrites makes what is held under ctx now, for a command
	// that failed after writing (it is not marked served).
	MakeHeldWrites(ctx context.Context) error
}

// ErrNotSaved is wrapped by FinishServed's error when the write that failed
// carried the command's held writes: nothing it did was saved, so its
// replies must not be sent, and the message is to be served again.
var ErrNotSaved = errors.New("the command's changes were not saved")

// OutboxLease is how long a chat's delivery lease outlives an instance
// that stopped renewing it (it renews every third of it).
const OutboxLease = 30 * time.Second

// Courier sends what waits in the outbox through Sender (the Dispatcher,
// so pacing and the privacy rule apply as to any message). The instance
// that served a message sends its replies at once, in the same goroutine
// (see Dedupe); Run finds the outboxes left by an instance that died or by
// a failed send, on any instance.
type Courier struct {
	Outbox Outbox
	Sender Sender
	Clock  Clock
	Log    *slog.Logger
	// Platforms lists the platforms whose outboxes Run looks at.
	Platforms func() []string
	// Every is how often Run looks; a second when zero.
	Every time.Duration

	mu    sync.Mutex
	busy  map[string]bool // chats being sent from here
	tries map[string]int  // chats whose sends failed, by failures in a row
	// renewEvery is how often a delivery renews its lease: a third of
	// OutboxLease when zero (tests shorten it).
	renewEvery time.Duration
}

// courierKey carries the Courier on a message's context (see Bot).
type courierKey struct{}

// WithCourier returns ctx under which the messages served (see Dedupe) send
// their replies through c's outbox. Bot does this for every message when
// it has a Courier.
func WithCourier(ctx context.Context, c *Courier) context.Context {
	return context.WithValue(ctx, courierKey{}, c)
}

func courierFrom(ctx context.Context) *Courier {
	c, _ := ctx.Value(courierKey{}).(*Courier)
	return c
}

// collector gathers the replies a command sends while it is served.
type collector struct {
	mu      sync.Mutex
	replies []KeptReply
}

type collectorKey struct{}

// collectInto makes Responder sends under ctx go into c instead of out.
func collectInto(ctx context.Context, c *collector) context.Context {
	return context.WithValue(ctx, collectorKey{}, c)
}

// collect keeps out in the collector ctx carries and reports whether there
// was one.
func collect(ctx context.Context, out Outgoing) bool {
	c, _ := ctx.Value(collectorKey{}).(*collector)
	if c == nil {
		return false
	}
	c.mu.Lock()
	c.replies = append(c.replies, KeptReply{Locale: LocaleFrom(ctx), Out: out})
	c.mu.Unlock()
	return true
}

// Direct returns ctx under which sends go out at once even while a message
// is served with an outbox: for messages whose sending is itself recorded
// elsewhere (the kept private messages, dropped from the Keeper as each is
// delivered), which must not wait in the outbox as well.
func Direct(ctx context.Context) context.Context {
	return context.WithValue(ctx, collectorKey{}, (*collector)(nil))
}

// Collecting returns a Sender that sends through s, except while a message
// is served with an outbox (see Dedupe): what it sends then is kept with
// the message's replies, in the order sent, so a notice a command sends to
// another chat is once and in order with its answers too.
func Collecting(s Sender) Sender {
	return SenderFunc(func(ctx context.Context, out Outgoing) error {
		if collect(ctx, out) {
			return nil
		}
		return s.Send(ctx, out)
	})
}

func (c *collector) take() []KeptReply {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.replies
	c.replies = nil
	return r
}

// sendNow sends replies directly, in order, for a message that was not
// marked served (its command failed, or the store is down): they cannot
// wait in the store, and the person must be answered.
func (c *Courier) sendNow(ctx context.Context, replies []KeptReply) error {
	var errs []error
	for _, r := range replies {
		if err := c.Sender.Send(WithLocale(ctx, r.Locale), r.Out); err != nil {
			errs = append(errs, fmt.Errorf("reply to %s: %w", r.Out.Chat.Key(), err))
		}
	}
	return errors.Join(errs...)
}

// claim marks chatKey as being sent from here; false if it already is.
func (c *Courier) claim(chatKey string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.busy == nil {
		c.busy, c.tries = map[string]bool{}, map[string]int{}
	}
	if c.busy[chatKey] {
		return false
	}
	c.busy[chatKey] = true
	return true
}

func (c *Courier) unclaim(chatKey string) {
	c.mu.Lock()
	delete(c.busy, chatKey)
	c.mu.Unlock()
}

// deliver sends chatKey's outbox, claimed here, under lease, in order,
// removing each reply once sent, until the outbox is empty or a send fails;
// then it gives the lease up. known are the replies the outbox holds, when the caller knows
// them (nil: read them). A reply that cannot be sent is kept and the chat
// is tried again later, with a growing wait; one to a chat the bot cannot
// reach (removed from the group) is dropped, as retrying cannot help.
func (c *Courier) deliver(ctx context.Context, chatKey, lease string, known []KeptReply) {
	defer c.unclaim(chatKey)
	wctx := context.WithoutCancel(ctx)
	// held is when the lease was last known to be ours: within half a
	// lease of it, nobody else can have it, so the last removal gives it
	// up in the same write.
	var held atomic.Int64
	held.Store(time.Now().UnixNano())
	var released atomic.Bool // given up by the last removal
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		tick := time.NewTicker(cmp.Or(c.renewEvery, OutboxLease/3))
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if err := c.Outbox.RenewOutbox(wctx, chatKey, lease); err != nil {
					if !released.Load() {
						c.Log.Warn("outbox: cannot renew lease", "chat", chatKey, "err", err)
					}
					continue
				}
				held.Store(time.Now().UnixNano())
			}
		}
	}()
	defer func() {
		close(stop)
		<-renewed
		if released.Load() {
			return
		}
		if err := c.Outbox.ReleaseOutbox(wctx, chatKey, lease); err != nil {
			c.Log.Warn("outbox: cannot release lease", "chat", chatKey, "err", err)
		}
	}()
	sentLast := func(ids ...string) (bool, error) {
		give := ""
		if time.Since(time.Unix(0, held.Load())) < OutboxLease/2 {
			give = lease
		}
		more, err := c.Outbox.SentLast(wctx, chatKey, give, ids...)
		released.Store(err == nil && give != "" && !more)
		if more && give != "" {
			held.Store(time.Now().UnixNano()) // taken again
		}
		return more, err
	}

	replies := known
	for {
		if replies == nil {
			var err error
			if replies, err = c.Outbox.OutboxReplies(wctx, chatKey); err != nil {
				c.Log.Warn("outbox: cannot read", "chat", chatKey, "err", err)
				return
			}
		}
		if len(replies) == 0 {
			if more, err := sentLast(); err != nil || !more {
				return
			}
			continue
		}
		// The replies read are removed together once all are sent, in
		// the write that ends the delivery; when one cannot be sent,
		// those before it are removed and the rest wait.
		sent := make([]string, 0, len(replies))
		for _, r := range replies {
			if !c.send(wctx, ctx, chatKey, r) {
				break
			}
			sent = append(sent, r.ID)
		}
		if len(sent) < len(replies) {
			if len(sent) > 0 {
				if err := c.Outbox.SentReply(wctx, chatKey, sent...); err != nil {
					c.Log.Warn("outbox: cannot remove a sent reply", "chat", chatKey, "err", err)
				}
			}
			return
		}
		more, err := sentLast(sent...)
		if err != nil {
			c.Log.Warn("outbox: cannot remove a sent reply", "chat", chatKey, "err", err)
			return
		}
		c.mu.Lock()
		delete(c.tries, chatKey)
		c.mu.Unlock()
		if !more {
			return
		}
		replies = nil
	}
}

// send sends r, one of chatKey's outbox, and reports whether it may be
// removed: sent, or for a chat the bot cannot reach (removed from the
// group), where retrying cannot help. A failure postpones the outbox.
func (c *Courier) send(wctx, ctx context.Context, chatKey string, r KeptReply) bool {
	sctx := WithRemainder(WithLocale(ctx, r.Locale), func(_ context.Context, line Outgoing) error {
		return c.Outbox.ReplaceReply(wctx, chatKey, KeptReply{ID: r.ID, Locale: r.Locale, Out: line})
	})
	err := c.Sender.Send(sctx, r.Out)
	switch {
	case errors.Is(err, ErrUnreachable):
		c.Log.Warn("outbox: reply dropped, chat unreachable", "chat", r.Out.Chat.Key(), "err", err)
	case err != nil:
		c.postpone(wctx, chatKey, err)
		return false
	}
	return true
}

// postpone makes chatKey's outbox due again after a wait that doubles with
// each failure in a row, from a second up to five minutes.
func (c *Courier) postpone(ctx context.Context, chatKey string, cause error) {
	c.mu.Lock()
	c.tries[chatKey]++
	n := c.tries[chatKey]
	c.mu.Unlock()
	wait := time.Second
	for i := 1; i < n && wait < 5*time.Minute; i++ {
		wait *= 2
	}
	wait = min(wait, 5*time.Minute)
	c.Log.Warn("outbox: send failed; retrying", "chat", chatKey, "in", wait, "err", cause)
	if err := c.Outbox.PostponeOutbox(ctx, chatKey, c.Clock.Now().Add(wait)); err != nil {
		c.Log.Warn("outbox: cannot postpone", "chat", chatKey, "err", err)
	}
}

// Run sends the outboxes that fell due (left by an instance that died, or
// waiting after a failed send) until ctx is done, each chat in its own
// goroutine under its lease.
func (c *Courier) Run(ctx context.Context) error {
	every := c.Every
	if every <= 0 {
		every = time.Second
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		for _, platform := range c.Platforms() {
			chats, err := c.Outbox.DueOutboxes(ctx, platform, c.Clock.Now(), 100)
			if err != nil {
				if ctx.Err() == nil {
					c.Log.Warn("outbox: cannot look", "platform", platform, "err", err)
				}
				continue
			}
			for _, chat := range chats {
				if !c.claim(chat) {
					continue
				}
				lease, err := c.Outbox.TakeOutbox(ctx, chat)
				if err != nil || lease == "" {
					c.unclaim(chat)
					continue
				}
				wg.Go(func() { c.deliver(ctx, chat, lease, nil) })
			}
		}
	}
}
