package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sentinel errors returned by Store methods. Callers check them with
// errors.Is; each is wrapped with the entity it concerns.
var (
	// ErrNotFound means the record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the change is not allowed in the record's current
	// state (a problem already resolved, a name already taken).
	ErrConflict = errors.New("conflict")
	// ErrBusy means another instance held the entity's lease for longer than
	// we were willing to wait.
	ErrBusy = errors.New("busy, try again")
)

// Store is huzhu's state in Redis. It is safe for concurrent use.
type Store struct {
	rdb redis.UniversalClient
	k   keys
	// random feeds station codes; crypto/rand unless a test makes codes
	// repeatable.
	random io.Reader
	// wait is how acknowledged writes wait for replicas (wait.go); log
	// receives the warnings when they do not answer in time.
	wait Wait
	log  *slog.Logger
	// guesses remember each chat's station, so Identify reads it in the
	// round trip that reads the chat (identity.go).
	guesses guesses[int64]
	// openFund remembers each station's one open campaign, for a pledge
	// that names none (see changeContribution).
	openFund guesses[int64]
	// shifts remember the slots of the rota as last read, for a sign-up
	// to be worked out before the slot is read again (see GuessShift).
	shifts guesses[*Shift]
	// outboxWrites group-commit, per platform, what is written to the
	// outbox at the same moment: served marks with their replies
	// (FinishServed), ended deliveries (SentLast) and replies' remainders
	// (ReplaceReply); see writeOutbox.
	outboxWrites groupCommits[*batchedWrite]
	// readsTogether sends the pipelines that claim messages, read under
	// leases and number records with those waiting at the same moment
	// (together.go).
	readsTogether groupCommit[*sharedPipe]
	// oldMarks says until when a claim also reads a message's mark where
	// it was kept before the outbox (messages.go).
	oldMarks oldMarkWindow
}

// Option configures a Store.
type Option func(*Store)

// WithKeyPrefix puts prefix in front of every key, so tests sharing one
// Redis never see each other's data.
func WithKeyPrefix(prefix string) Option {
	return func(s *Store) { s.k.prefix = prefix }
}

// WithRandom makes station codes come from r, so transcripts are
// repeatable.
func WithRandom(r io.Reader) Option {
	return func(s *Store) { s.random = r }
}

// WithSerialCommits keeps one write of the outbox's groups under way at a
// time (see groupCommit), for a store that commits one transaction at a
// time anyway: the embedded store, whose SQLite has one writer. What comes
// meanwhile then shares the next commit, where a second batch would only
// wait behind the first and cost a commit of its own: `huzhu bench mix` on
// the embedded store made 0.95–0.98 SQLite commits per message with one
// under way against 1.43–1.44 with two, and served more messages a second
// (4 interleaved pairs).
func WithSerialCommits() Option {
	return func(s *Store) { s.outboxWrites.limit = 1 }
}

// New returns a Store on rdb.
func New(rdb redis.UniversalClient, opts ...Option) *Store {
	s := &Store{rdb: rdb, random: rand.Reader, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(s)
	}
	return s
}

// KeyPrefix returns the prefix put in front of every key (empty unless a
// test set one), so packages keeping records beside the store's use it too.
func (s *Store) KeyPrefix() string { return s.k.prefix }

// Client returns the Redis client, for packages (the scheduler) that keep
// their own records beside the store's.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// leaseTTL bounds how long a crashed instance can block an entity.
const leaseTTL = 5 * time.Second

// withLease runs fn while holding the lease on one entity of a station, so
// a read, a check and a write happen as one step across every instance.
// Redka has neither WATCH nor Lua, so a lease is how conditional updates
// stay correct on every backend.
func (s *Store) withLease(ctx context.Context, key string, fn func() error) error {
	return s.withLeaseRead(ctx, []string{key}, nil, func(*lease) error { return fn() })
}

// lease is a lease held on one or more entities (see withLeaseRead).
type lease struct {
	keys  []string
	token string
	taken time.Time // when the SET NX that took it was sent
	inTx  bool      // its release was queued in the write's MULTI
	held  bool      // the write it guards is held (see writeLast)
}

// giveUpIn queues the lease's release in p, the MULTI that makes the write
// the lease guards, so the write and the release are one round trip. When
// that write is held (see writeLast), the held write queues it once it is
// made instead.
func (l *lease) giveUpIn(ctx context.Context, p redis.Pipeliner) {
	if !l.held {
		l.releaseIn(ctx, p)
	}
}

// releaseIn queues the lease's release in p only within half a lease of
// taking it, while it cannot have run out (and so be someone else's); later
// the release waits for the end.
func (l *lease) releaseIn(ctx context.Context, p redis.Pipeliner) {
	if time.Since(l.taken) < leaseTTL/2 {
		p.Del(ctx, l.keys...)
		l.inTx = true
	}
}

// withLeaseRead takes the leases on keys (all of them, or none and wait)
// and, in the same round trip, runs the reads read queues: a pipeline's
// commands run in order, so when every SET NX succeeded, what follows them
// was read under the leases. read is called again on each try; what it
// read is for fn only when fn runs. fn may queue the leases' release in its
// MULTI (lease.giveUpIn); otherwise they are given up when fn returns, or,
// when fn's write is held (writeLast), once that write is made.
func (s *Store) withLeaseRead(ctx context.Context, keys []string, read func(redis.Pipeliner), fn func(*lease) error) error {
	l := &lease{keys: keys, token: newToken()}
	deadline := time.Now().Add(3 * time.Second)
	for wait := 2 * time.Millisecond; ; wait = min(wait*2, 100*time.Millisecond) {
		l.taken = time.Now()
		sets := make([]*redis.BoolCmd, len(keys))
		pipe := func(p redis.Pipeliner) error {
			for i, k := range keys {
				sets[i] = p.SetNX(ctx, k, l.token, leaseTTL)
			}
			if read != nil {
				read(p)
			}
			return nil
		}
		if read == nil && len(keys) == 1 {
			sets[0] = s.rdb.SetNX(ctx, keys[0], l.token, leaseTTL)
		} else {
			s.pipelinedTogether(ctx, func(p redis.Pipeliner) { _ = pipe(p) }) // each command's error is its own
		}
		var got []string
		var err error
		for i, c := range sets {
			switch {
			case c.Err() != nil:
				err = c.Err()
			case c.Val():
				got = append(got, keys[i])
			}
		}
		if err == nil && len(got) < len(keys) {
			got = append(got, s.ownLeases(ctx, keys, sets, l.token)...)
		}
		if err == nil && len(got) == len(keys) {
			break
		}
		if len(got) > 0 {
			// Taken a moment ago, so ours: give them up for the others.
			s.rdb.Del(context.WithoutCancel(ctx), got...)
		}
		if err != nil {
			return fmt.Errorf("lease %s: %w", strings.Join(keys, ", "), err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %s", ErrBusy, strings.Join(keys, ", "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	err := fn(l)
	if !l.held {
		s.giveUp(ctx, l, err)
	}
	return err
}

// ownLeases returns those of keys whose SET NX (sets) failed but which hold
// token: taken by this very try, whose pipeline the client sent again after
// a dropped connection lost the first answers. One round trip reads them.
func (s *Store) ownLeases(ctx context.Context, keys []string, sets []*redis.BoolCmd, token string) []string {
	held := make(map[string]*redis.StringCmd, len(keys))
	s.pipelinedTogether(ctx, func(p redis.Pipeliner) {
		for i, c := range sets {
			if !c.Val() {
				held[keys[i]] = p.Get(ctx, keys[i])
			}
		}
	})
	var own []string
	for _, k := range keys {
		if c := held[k]; c != nil && c.Err() == nil && c.Val() == token {
			own = append(own, k)
		}
	}
	return own
}

// giveUp gives l up once the write it guards was made (err nil) or failed:
// a release queued in the write's MULTI was made with it; otherwise, or
// when the MULTI may not have run, only what is still ours is given up.
func (s *Store) giveUp(ctx context.Context, l *lease, err error) {
	wctx := context.WithoutCancel(ctx)
	switch {
	case l.inTx && err == nil:
		// Given up with the write.
	case l.inTx:
		// The MULTI may or may not have run, and a lease it gave up may
		// be someone else's by now: give up only what is still ours.
		for _, k := range l.keys {
			s.releaseLease(wctx, k, l.token, time.Time{})
		}
	case time.Since(l.taken) < leaseTTL/2:
		s.rdb.Del(wctx, l.keys...)
	default:
		for _, k := range l.keys {
			s.releaseLease(wctx, k, l.token, l.taken)
		}
	}
}

// releaseLease deletes the lease if it is still ours. Within half a lease of
// taken (when the SET NX that took it was sent) it cannot have run out, so
// it is still ours and one DEL gives it up. Later, without Lua, the check
// and the delete are two commands; the gap only matters if the lease
// expired in between, which leaseTTL makes far longer than any operation.
func (s *Store) releaseLease(ctx context.Context, key, token string, taken time.Time) {
	if time.Since(taken) < leaseTTL/2 {
		s.rdb.Del(ctx, key)
		return
	}
	if v, err := s.rdb.Get(ctx, key).Result(); err == nil && v == token {
		s.rdb.Del(ctx, key)
	}
}

func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// record reads the hash at key; a missing one is ErrNotFound wrapped with
// what, so every "X n does not exist" reads the same.
func (s *Store) record(ctx context.Context, key, what string) (map[string]string, error) {
	h, err := s.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, err
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, what)
	}
	return h, nil
}

// records reads the hash of each of nums, at key(n), in one round trip and
// returns them made with from, in the order of nums; missing ones are left
// out.
func records[N, T any](ctx context.Context, s *Store, nums []N, key func(N) string, from func(N, map[string]string) T) ([]T, error) {
	cmds := make([]*redis.MapStringStringCmd, len(nums))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, n := range nums {
			cmds[i] = p.HGetAll(ctx, key(n))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(nums))
	for i, c := range cmds {
		if h := c.Val(); len(h) > 0 {
			out = append(out, from(nums[i], h))
		}
	}
	return out, nil
}

// timedEntry is an entry of an append-only log (a problem's timeline, a
// campaign's ledger) stored as JSON, whose time is kept in milliseconds.
type timedEntry[T any] interface {
	*T
	stampTime()
}

// readLog reads up to max entries of the log at key, oldest first. An entry
// that no longer decodes is skipped rather than hiding the rest.
func readLog[T any, P timedEntry[T]](ctx context.Context, s *Store, key string, max int64) ([]T, error) {
	raw, err := s.rdb.LRange(ctx, key, 0, max-1).Result()
	if err != nil {
		return nil, err
	}
	return decodeLog[T, P](raw), nil
}

// decodeLog reads the entries of a log as readLog does, from raw.
func decodeLog[T any, P timedEntry[T]](raw []string) []T {
	out := make([]T, 0, len(raw))
	for _, r := range raw {
		var e T
		if json.Unmarshal([]byte(r), &e) == nil {
			P(&e).stampTime()
			out = append(out, e)
		}
	}
	return out
}

// notFound turns redis.Nil into ErrNotFound wrapped with what was missing.
func notFound(err error, what string) error {
	if errors.Is(err, redis.Nil) {
		return fmt.Errorf("%w: %s", ErrNotFound, what)
	}
	return err
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

func atoi(s string) int64 {
	if s == "" {
		return 0 // a field never written, without the cost of ParseInt's error
	}
	v, _ := strconv.ParseInt(s, 10, 64)
	return v
}
