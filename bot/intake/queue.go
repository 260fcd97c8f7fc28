package intake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults for Options.
const (
	DefaultLease   = 15 * time.Second // a chat's lease, renewed while served
	DefaultPoll    = time.Second      // how often the queue is looked at
	DefaultSeenFor = 24 * time.Hour   // Telegram keeps an update for a day
)

// Options configures a Queue.
type Options struct {
	// Prefix goes in front of every key, such as "hz1:".
	Prefix string
	// Name names the platform whose entries these are, such as "telegram".
	Name string
	// Parallel is how many chats are served at once; DefaultParallel when
	// zero.
	Parallel int
	// Pending is how many entries are taken to serve at once;
	// DefaultPending when zero.
	Pending int
	// Lease is how long a chat stays with an instance that stopped renewing
	// it (it died): the delay before another instance takes over the chat.
	// DefaultLease when zero.
	Lease time.Duration
	// Poll is how often the queue is looked at for entries another instance
	// added, or left behind; DefaultPoll when zero. Entries added through
	// this Queue are looked at at once.
	Poll time.Duration
	// Grace is how long handlers in flight may finish after Serve's ctx is
	// done; DefaultGrace when zero.
	Grace time.Duration
	// SeenFor is how long an id added is remembered, so adding it again is
	// skipped; DefaultSeenFor when zero.
	SeenFor time.Duration
	// Log receives the queue's log lines; nil discards them.
	Log *slog.Logger
}

// Queue is an Intake in the store, shared by every instance of a platform
// (see the package documentation). Add and Serve are safe for concurrent
// use; one Serve runs at a time per Queue.
type Queue struct {
	rdb  redis.UniversalClient
	opts Options
	log  *slog.Logger
	k    queueKeys
	wake chan struct{} // signalled by Add

	mu       sync.Mutex
	serving  bool
	lanes    *lanes
	held     map[string]string   // chat → the token of its lease, while served here
	inflight map[string]struct{} // ids taken and not yet removed from the queue
	finished map[string]struct{} // ids removed since the last look at the queue
	unacked  []string            // ids served whose removal failed, retried
	// refusals counts the entries handed over and not served; refusedAt
	// holds, by chat, the count at its latest. A look that began before a
	// chat's refusal takes nothing more of that chat: the entries it read
	// after the refused one would otherwise be served before it.
	refusals  uint64
	refusedAt map[string]uint64
}

var _ Intake = (*Queue)(nil)

// queueKeys builds the queue's keys; all share the hash tag {in:NAME}.
type queueKeys struct{ base string }

func (k queueKeys) order() string                { return k.base + "q" }    // zset: id → order of arrival
func (k queueKeys) entries() string              { return k.base + "e" }    // hash: id → stored entry
func (k queueKeys) seen() string                 { return k.base + "seen" } // zset: id → when added (ms)
func (k queueKeys) seq() string                  { return k.base + "seq" }  // counter of arrivals
func (k queueKeys) lease(chat string) string     { return k.base + "lease:" + chat }
func newQueueKeys(prefix, name string) queueKeys { return queueKeys{prefix + "{in:" + name + "}:"} }

// stored is an entry as the hash keeps it.
type stored struct {
	Chat   string `json:"c"`
	Sender string `json:"s,omitempty"`
	Data   string `json:"d"`
}

// NewQueue returns the Queue of opts.Name's entries in rdb.
func NewQueue(rdb redis.UniversalClient, opts Options) *Queue {
	opts.Parallel = orDefault(opts.Parallel, DefaultParallel)
	opts.Pending = orDefault(opts.Pending, DefaultPending)
	opts.Lease = orDefault(opts.Lease, DefaultLease)
	opts.Poll = orDefault(opts.Poll, DefaultPoll)
	opts.Grace = orDefault(opts.Grace, DefaultGrace)
	opts.SeenFor = orDefault(opts.SeenFor, DefaultSeenFor)
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Queue{rdb: rdb, opts: opts, log: log, k: newQueueKeys(opts.Prefix, opts.Name),
		wake: make(chan struct{}, 1)}
}

// orDefault returns v, or def when v is not set (0 or less).
func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Add keeps entries, in order, in one MULTI, skipping those whose id was
// added in the last SeenFor (still queued or already served). It returns
// once they are kept.
func (q *Queue) Add(ctx context.Context, entries ...Entry) error {
	if len(entries) == 0 {
		return nil
	}
	fresh, err := q.unseen(ctx, entries)
	if err != nil || len(fresh) == 0 {
		return err
	}
	last, err := q.rdb.IncrBy(ctx, q.k.seq(), int64(len(fresh))).Result()
	if err != nil {
		return fmt.Errorf("intake: number entries: %w", err)
	}
	now := time.Now()
	_, err = q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for i, e := range fresh {
			raw, err := json.Marshal(stored{Chat: e.Chat, Sender: e.Sender, Data: string(e.Data)})
			if err != nil {
				return err
			}
			p.ZAdd(ctx, q.k.order(), redis.Z{Score: float64(last - int64(len(fresh)-1-i)), Member: e.ID})
			p.HSet(ctx, q.k.entries(), e.ID, raw)
			p.ZAdd(ctx, q.k.seen(), redis.Z{Score: float64(now.UnixMilli()), Member: e.ID})
		}
		// Inclusive bounds: redka reads neither "-inf" nor "(".
		p.ZRemRangeByScore(ctx, q.k.seen(), "0", strconv.FormatInt(now.Add(-q.opts.SeenFor).UnixMilli()-1, 10))
		return nil
	})
	if err != nil {
		return fmt.Errorf("intake: keep %d entries: %w", len(fresh), err)
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// unseen returns the entries whose id was not added before, nor earlier
// in entries.
func (q *Queue) unseen(ctx context.Context, entries []Entry) ([]Entry, error) {
	cmds := make([]*redis.FloatCmd, len(entries))
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, e := range entries {
			cmds[i] = p.ZScore(ctx, q.k.seen(), e.ID)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("intake: look up ids: %w", err)
	}
	var fresh []Entry
	dup := map[string]bool{}
	for i, e := range entries {
		if err := cmds[i].Err(); err == nil || dup[e.ID] {
			continue
		} else if !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("intake: look up id %s: %w", e.ID, err)
		}
		dup[e.ID] = true
		fresh = append(fresh, e)
	}
	return fresh, nil
}

// Len reports how many entries are queued, served or not.
func (q *Queue) Len(ctx context.Context) (int64, error) {
	return q.rdb.ZCard(ctx, q.k.order()).Result()
}

// Serve serves the queue until ctx is done (see Intake). Errors of the
// store are logged and retried; Serve returns nil after a clean stop.
func (q *Queue) Serve(ctx context.Context, handle Handler) error {
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	l := newLanes(hctx, q.opts.Parallel, handle)
	l.skipQueued = true // they stay in the store for the next Serve
	l.idle = q.release
	q.mu.Lock()
	if q.serving {
		q.mu.Unlock()
		return ErrServeRunning
	}
	q.serving, q.lanes = true, l
	q.held, q.inflight, q.finished, q.unacked = map[string]string{}, map[string]struct{}{}, map[string]struct{}{}, nil
	q.refusedAt = map[string]uint64{}
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		q.serving, q.lanes = false, nil
		q.mu.Unlock()
	}()

	// Leases are renewed on their own, so a slow look cannot let them run
	// out, until the handlers stopped.
	stopRenew, renewed := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(renewed)
		tick := time.NewTicker(q.opts.Lease / 3)
		defer tick.Stop()
		for {
			select {
			case <-stopRenew:
				return
			case <-tick.C:
				q.renew(hctx)
			}
		}
	}()
	poll := time.NewTimer(0)
	defer poll.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-q.wake:
			q.look(ctx)
		case <-poll.C:
			q.look(ctx)
			poll.Reset(q.opts.Poll)
		}
	}

	if !l.stop(q.opts.Grace, cancel) {
		q.log.Warn("messages still being served after the grace period; cancelled them, they stay queued")
	}
	close(stopRenew)
	<-renewed
	// The store may be slow but Serve must end: a short, fresh context.
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer fcancel()
	q.retryAcks(fctx)
	q.mu.Lock()
	held := q.held
	q.held = map[string]string{}
	q.mu.Unlock()
	for chat, token := range held {
		q.dropLease(fctx, chat, token)
	}
	return nil
}

// look reads the head of the queue and takes what it may serve: the
// entries of chats served here already, and of chats whose lease it gets.
// An entry whose chat another instance serves waits, and so does every
// later entry of that chat.
func (q *Queue) look(ctx context.Context) {
	q.retryAcks(ctx)
	q.mu.Lock()
	room := q.opts.Pending - len(q.inflight)
	before := q.finished
	q.finished = map[string]struct{}{}
	since := q.refusals
	clear(q.refusedAt) // only a refusal after since can matter to this look
	q.mu.Unlock()
	if room <= 0 {
		return
	}
	ids, err := q.rdb.ZRange(ctx, q.k.order(), 0, int64(q.opts.Pending+len(before))-1).Result()
	if err != nil || len(ids) == 0 {
		q.storeError(ctx, "read the queue", err)
		return
	}
	vals, err := q.rdb.HMGet(ctx, q.k.entries(), ids...).Result()
	if err != nil {
		q.storeError(ctx, "read the queue", err)
		return
	}
	blocked := map[string]bool{}
	claimed := map[string]bool{}
	var verify []Entry // entries of chats whose lease was just taken
	for i, id := range ids {
		if room <= 0 {
			break
		}
		if _, done := before[id]; done {
			continue
		}
		s, ok := vals[i].(string)
		if !ok {
			continue // removed since
		}
		var st stored
		if err := json.Unmarshal([]byte(s), &st); err != nil {
			q.log.Error("queued entry unreadable, removed", "id", id, "err", err)
			q.ack(ctx, id)
			continue
		}
		e := Entry{ID: id, Chat: st.Chat, Sender: st.Sender, Data: []byte(st.Data)}
		switch {
		case blocked[e.Chat]:
			continue
		case claimed[e.Chat]:
			verify = append(verify, e)
			room--
			continue
		}
		switch held, err := q.take(ctx, e, since); {
		case err != nil:
			q.storeError(ctx, "take a chat", err)
			blocked[e.Chat] = true
		case held == notHeld:
			blocked[e.Chat] = true
		case held == justTaken:
			claimed[e.Chat] = true
			verify = append(verify, e)
			room--
		default:
			room--
		}
	}
	q.submitVerified(ctx, verify, claimed, since)
}

// submitVerified submits the entries of chats whose lease look just took,
// in order, once it checked they are still queued: what look read before it
// had the lease may have been served since by the instance that held it.
func (q *Queue) submitVerified(ctx context.Context, verify []Entry, claimed map[string]bool, since uint64) {
	if len(verify) > 0 {
		cmds := make([]*redis.FloatCmd, len(verify))
		_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, e := range verify {
				cmds[i] = p.ZScore(ctx, q.k.order(), e.ID)
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			q.storeError(ctx, "read the queue", err)
			verify = nil
		}
		q.mu.Lock()
		for i, e := range verify {
			_, done := q.finished[e.ID]
			if cmds[i].Err() == nil && !done && !q.refusedSinceLocked(e.Chat, since) {
				q.submitLocked(e)
			}
		}
		q.mu.Unlock()
	}
	for chat := range claimed {
		q.release(chat) // unless something of it was submitted
	}
}

// How a chat is held, as take reports it.
const (
	notHeld   = iota // another instance serves it
	held             // served here already
	justTaken        // its lease was taken now
)

// take submits e if its chat is served here already (held). Otherwise it
// tries to take the chat's lease and reports justTaken if it did, without
// submitting e, or notHeld. An entry of a chat refused since the look
// began is notHeld: it is taken again, after the refused one, next look.
func (q *Queue) take(ctx context.Context, e Entry, since uint64) (int, error) {
	q.mu.Lock()
	if q.refusedSinceLocked(e.Chat, since) {
		q.mu.Unlock()
		return notHeld, nil
	}
	_, taken := q.inflight[e.ID]
	_, done := q.finished[e.ID] // served since look read the queue
	if taken || done {
		q.mu.Unlock()
		return held, nil
	}
	if _, ok := q.held[e.Chat]; ok {
		q.submitLocked(e)
		q.mu.Unlock()
		return held, nil
	}
	q.mu.Unlock()

	token := newToken()
	ok, err := q.rdb.SetNX(ctx, q.k.lease(e.Chat), token, q.opts.Lease).Result()
	if err != nil || !ok {
		return notHeld, err
	}
	q.mu.Lock()
	q.held[e.Chat] = token
	q.mu.Unlock()
	return justTaken, nil
}

// submitLocked hands e to its chat's lane; q.mu is held.
func (q *Queue) submitLocked(e Entry) {
	q.inflight[e.ID] = struct{}{}
	l := q.lanes
	l.submit(job{e: e, finish: func(handled bool) {
		if handled {
			q.ack(l.ctx, e.ID)
			return
		}
		q.mu.Lock()
		delete(q.inflight, e.ID) // taken again on a later look
		q.refusals++
		q.refusedAt[e.Chat] = q.refusals
		q.mu.Unlock()
	}})
}

// refusedSinceLocked reports whether an entry of chat was refused after
// the look that began at since; q.mu is held.
func (q *Queue) refusedSinceLocked(chat string, since uint64) bool {
	return q.refusedAt[chat] > since
}

// ack removes a served entry from the queue; if the store fails, the
// removal is retried before the next look.
func (q *Queue) ack(ctx context.Context, id string) {
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, q.k.order(), id)
		p.HDel(ctx, q.k.entries(), id)
		return nil
	})
	q.mu.Lock()
	defer q.mu.Unlock()
	if err != nil {
		q.unacked = append(q.unacked, id)
		return
	}
	delete(q.inflight, id)
	q.finished[id] = struct{}{}
}

// retryAcks removes the entries whose removal failed earlier.
func (q *Queue) retryAcks(ctx context.Context) {
	q.mu.Lock()
	ids := q.unacked
	q.unacked = nil
	q.mu.Unlock()
	for _, id := range ids {
		q.ack(ctx, id)
	}
}

// release gives up chat's lease once its lane ran empty, unless more of its
// entries were taken meanwhile.
func (q *Queue) release(chat string) {
	q.mu.Lock()
	token, ok := q.held[chat]
	if !ok || q.lanes.busy(chat) {
		q.mu.Unlock()
		return
	}
	delete(q.held, chat)
	q.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q.dropLease(ctx, chat, token)
}

// dropLease deletes chat's lease if it is still token's.
func (q *Queue) dropLease(ctx context.Context, chat, token string) {
	if v, err := q.rdb.Get(ctx, q.k.lease(chat)).Result(); err == nil && v == token {
		q.rdb.Del(ctx, q.k.lease(chat))
	}
}

// renew extends the leases of the chats served here.
func (q *Queue) renew(ctx context.Context) {
	q.mu.Lock()
	chats := make([]string, 0, len(q.held))
	tokens := make([]string, 0, len(q.held))
	for c, t := range q.held {
		chats, tokens = append(chats, c), append(tokens, t)
	}
	q.mu.Unlock()
	if len(chats) == 0 {
		return
	}
	gets := make([]*redis.StringCmd, len(chats))
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range chats {
			gets[i] = p.Get(ctx, q.k.lease(c))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		q.storeError(ctx, "renew leases", err)
		return
	}
	_, err = q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range chats {
			switch v, err := gets[i].Result(); {
			case err == nil && v == tokens[i]:
				p.PExpire(ctx, q.k.lease(c), q.opts.Lease)
			case errors.Is(err, redis.Nil):
				// Expired while the store was away: taken again if free.
				p.SetNX(ctx, q.k.lease(c), tokens[i], q.opts.Lease)
			default:
				q.log.Warn("another instance took over a chat still being served here", "chat", c)
			}
		}
		return nil
	})
	if err != nil {
		q.storeError(ctx, "renew leases", err)
	}
}

// storeError logs a failure to reach the store, unless Serve is stopping.
func (q *Queue) storeError(ctx context.Context, what string, err error) {
	if err == nil || ctx.Err() != nil {
		return
	}
	q.log.Warn("intake: cannot "+what+"; retrying", "platform", q.opts.Name, "err", err)
}

func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
