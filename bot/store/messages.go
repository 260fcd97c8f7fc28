package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/redis/go-redis/v9"
)

// A message's mark: "serving:TOKEN" while one instance serves it, "done"
// once its effects are written. A message is marked done only after it was
// served, so one that failed, or whose instance died, is served again when
// it is redelivered.

// servedTTL is how long a served message id is remembered. Platforms
// redeliver within minutes; a day is ample.
const servedTTL = 24 * time.Hour

// servingTTL bounds how long an instance that died while serving a message
// keeps its redelivery waiting. Commands take milliseconds; a lease waits
// at most seconds.
const servingTTL = 30 * time.Second

const markDone = "done"

// ClaimMessage marks msgKey as being served by the caller and returns the
// claim's token. It fails with bot.ErrAlreadyServed when the message was
// served before, and with bot.ErrInFlight while another claim on it is
// alive. It implements bot.Deduper.
func (s *Store) ClaimMessage(ctx context.Context, msgKey string) (string, error) {
	key := s.k.seen(msgKey)
	token := newToken()
	var claimed *redis.BoolCmd
	before := redis.NewStringResult("", redis.Nil)
	readOld := s.readOldMarks(ctx)
	ahead, _ := ctx.Value(identityKey{}).(*aheadIdentity)
	s.pipelinedTogether(ctx, func(p redis.Pipeliner) {
		claimed = p.SetNX(ctx, key, "serving:"+token, servingTTL)
		if readOld {
			before = p.Get(ctx, s.k.seenBefore(msgKey))
		}
		if ahead != nil {
			// Read in the same round trip, for Identify to use if the
			// message is served.
			ahead.reads = s.queueIdentity(ctx, p, ahead.chat, ahead.user)
			if ahead.issue > 0 && ahead.reads.guess != 0 {
				ahead.card = s.queueCard(ctx, p, ahead.reads.guess, ahead.issue)
			}
		}
	})
	if err := claimed.Err(); err != nil {
		return "", err
	}
	// The old mark is read as best it can be: on a Cluster it may live on
	// a node that is down while the claim's is up.
	if before.Err() == nil && before.Val() == markDone {
		var err error
		if claimed.Val() {
			err = s.rdb.Set(ctx, key, markDone, servedTTL).Err()
		}
		return "", errors.Join(bot.ErrAlreadyServed, err)
	}
	if claimed.Val() {
		return token, nil
	}
	mark, err := s.rdb.Get(ctx, key).Result()
	switch {
	case errors.Is(err, redis.Nil):
		// The other claim ended between the two commands: try once more.
		return s.claimAgain(ctx, key, token)
	case err != nil:
		return "", err
	case mark == markDone:
		return "", bot.ErrAlreadyServed
	case mark == "serving:"+token:
		// This claim's own: the client sent the pipeline again after a
		// dropped connection had lost the answer to the first.
		return token, nil
	}
	return "", fmt.Errorf("%w: %s", bot.ErrInFlight, msgKey)
}

// oldMarkWindow is until when a claim also reads the message's mark where
// it was kept before the outbox (seenBefore): a day (servedTTL) from the
// first claim under the outbox's layout, when every old mark has expired.
// A store that held no station at that first claim never had a command
// served that could matter twice, so it reads none. Instances of the
// version before the outbox should not serve beside this one for longer
// than that day.
type oldMarkWindow struct {
	mu    sync.Mutex   // held while the window is learnt
	until atomic.Int64 // unix ms; 0 until learnt
}

// readOldMarks reports whether a claim made now must read the old mark too.
// The first call learns the window from the store, recording its start if
// no instance has; while that fails, every claim reads the old mark.
func (s *Store) readOldMarks(ctx context.Context) bool {
	w := &s.oldMarks
	if until := w.until.Load(); until != 0 {
		return time.Now().UnixMilli() < until
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.until.Load() == 0 {
		from, err := s.oldMarksFrom(ctx)
		if err != nil {
			return true
		}
		w.until.Store(max(from+servedTTL.Milliseconds(), 1))
	}
	return time.Now().UnixMilli() < w.until.Load()
}

// oldMarksFrom returns when the first claim under the outbox's layout was
// made (unix ms), recording now if none was, or 0 when the store held no
// station then.
func (s *Store) oldMarksFrom(ctx context.Context) (int64, error) {
	key := s.k.seenMoved()
	var moved *redis.StringCmd
	var stations *redis.IntCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		moved = p.Get(ctx, key)
		stations = p.Exists(ctx, s.k.stationSeq())
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return 0, err
	}
	if moved.Err() == nil {
		return strconv.ParseInt(moved.Val(), 10, 64)
	}
	from := time.Now().UnixMilli()
	if stations.Val() == 0 {
		from = 0
	}
	set, err := s.rdb.SetNX(ctx, key, from, 0).Result()
	switch {
	case err != nil:
		return 0, err
	case set:
		return from, nil
	}
	return s.rdb.Get(ctx, key).Int64() // recorded by another instance meanwhile
}

func (s *Store) claimAgain(ctx context.Context, key, token string) (string, error) {
	ok, err := s.rdb.SetNX(ctx, key, "serving:"+token, servingTTL).Result()
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("%w: %s", bot.ErrInFlight, key)
	}
	return token, nil
}

// FinishMessage ends the claim token holds on msgKey. served marks the
// message done, so a redelivery is dropped; otherwise the claim is let go
// and a redelivery is served.
func (s *Store) FinishMessage(ctx context.Context, msgKey, token string, served bool) error {
	key := s.k.seen(msgKey)
	if served {
		return s.rdb.Set(ctx, key, markDone, servedTTL).Err()
	}
	mark, err := s.rdb.Get(ctx, key).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return nil // expired
	case err != nil:
		return err
	case mark != "serving:"+token:
		return nil // no longer ours
	}
	return s.rdb.Del(ctx, key).Err()
}

// Unavailable reports whether err means the store could not be reached or
// cannot serve right now (a connection refused or cut, a timeout, a Cluster
// slot without a master, a replica during failover, the embedded database
// locked), as opposed to a refusal or a bug: the person is told the system
// is busy, and the message is served again when it is redelivered.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var netErr net.Error
	switch {
	case errors.As(err, &netErr),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, redis.ErrClosed), errors.Is(err, redis.ErrPoolTimeout),
		errors.Is(err, context.DeadlineExceeded):
		return true
	}
	for _, prefix := range []string{"CLUSTERDOWN", "LOADING", "MASTERDOWN", "READONLY", "TRYAGAIN", "NOREPLICAS"} {
		if redis.HasErrorPrefix(err, prefix) {
			return true
		}
	}
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "connection refused")
}
