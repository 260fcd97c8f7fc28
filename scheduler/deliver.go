package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
)

// maxCatchUp bounds the walk over a recurring reminder's missed occurrences.
const maxCatchUp = 100_000

// Run delivers due reminders every poll interval, starting at once so that
// whatever fell due while no instance ran is caught up, until ctx is done; it
// then returns nil. Failed polls are logged and retried at the next one.
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		if _, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("poll reminders", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunDue makes one pass over the reminders due now: it claims, sends and
// acks each one no other instance holds, drops the stale ones, and returns
// how many it sent. A failed send is logged and left to be retried when its
// lease expires; RunDue does not wait for it. It returns early with ctx's
// error when ctx is done, and with the first Redis error.
func (s *Scheduler) RunDue(ctx context.Context) (sent int, err error) {
	until := strconv.FormatInt(s.clock.Now().UnixMilli(), 10)
	// Occurrences other instances hold stay at the head of the queue; offset
	// steps over them so they cannot hide the rest.
	var offset int64
	for {
		if err := ctx.Err(); err != nil {
			return sent, err
		}
		members, err := s.rdb.ZRangeByScore(ctx, s.k.due(), &redis.ZRangeBy{
			Min: "-inf", Max: until, Offset: offset, Count: s.batch,
		}).Result()
		if err != nil {
			return sent, fmt.Errorf("read due reminders: %w", err)
		}
		if len(members) == 0 {
			return sent, nil
		}
		// Instances reading the same head of the queue spread out instead of
		// racing for the same leases.
		if !s.inOrder {
			rand.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
		}
		for _, m := range members {
			out, err := s.deliver(ctx, m)
			switch out {
			case sentIt:
				sent++
			case skipped, failed:
				offset++
			}
			if err != nil {
				return sent, err
			}
		}
	}
}

// outcome is what deliver did with one occurrence.
type outcome int

const (
	// skipped: another instance holds it.
	skipped outcome = iota
	// gone: it left the queue before we could claim it.
	gone
	// failed: the send failed; the lease stays, so it is retried when the
	// lease expires.
	failed
	// removed: taken off the queue without sending (stale, already done,
	// orphaned, unreachable).
	removed
	// sentIt: sent and acked.
	sentIt
)

// claim is an occurrence this instance holds the lease on.
type claim struct {
	member string
	id     string
	fire   time.Time
	token  string
	taken  time.Time // wall time just before the lease was set
	rec    *record
}

// deliver claims occurrence member and sends it, unless another instance has
// it, it was already delivered, or it is stale.
func (s *Scheduler) deliver(ctx context.Context, member string) (outcome, error) {
	id, fire, ok := parseOccurrence(member)
	if !ok {
		// Not written by us; it would sit at the head of the queue forever.
		s.log.Warn("malformed reminder occurrence removed", "member", member)
		if err := s.rdb.ZRem(ctx, s.k.due(), member).Err(); err != nil {
			return skipped, fmt.Errorf("remove malformed occurrence: %w", err)
		}
		return removed, nil
	}
	// Instances read the same head of the queue and one of them may have
	// acked this occurrence since; a read is cheaper than taking a lease to
	// find out, and on redka every write takes the one write lock.
	if err := s.rdb.ZScore(ctx, s.k.due(), member).Err(); errors.Is(err, redis.Nil) {
		return gone, nil
	} else if err != nil {
		return skipped, fmt.Errorf("read reminder occurrence %q: %w", member, err)
	}
	c := &claim{member: member, id: id, fire: fire, token: newToken(), taken: time.Now()}
	ok, err := s.rdb.SetNX(ctx, s.k.lease(id), c.token, s.leaseTTL).Result()
	if err != nil {
		return skipped, fmt.Errorf("lease reminder %q: %w", id, err)
	}
	if !ok {
		return skipped, nil
	}
	st, err := s.inspect(ctx, c)
	if err != nil {
		s.release(context.WithoutCancel(ctx), id, c.token, c.taken)
		return skipped, err
	}
	switch {
	case !st.queued:
		// Another instance acked it between our read of the queue and our
		// lease.
		s.release(ctx, id, c.token, c.taken)
		return gone, nil
	case st.rec == nil || st.rec.Member != member:
		// Left behind by a move or cancel whose MULTI we never saw; the
		// record (if any) has its own occurrence.
		return removed, s.dropOrphan(ctx, c)
	}
	c.rec = st.rec
	s.obs.ReminderDue()

	now := s.clock.Now()
	latest, missed := c.fire, 0
	if c.rec.Spec != "" {
		latest, missed = latestFire(c.rec.Spec, c.fire, now)
	}
	log := s.log.With("id", id, "fire", latest)
	if st.done {
		log.Debug("reminder occurrence already delivered")
		return removed, s.ack(ctx, c, latest, now)
	}
	if missed > 0 {
		log.Info("recurring reminder missed occurrences; firing the latest once", "missed", missed)
	}
	if stale := time.Duration(c.rec.StaleAfterMs) * time.Millisecond; stale > 0 && now.After(latest.Add(stale)) {
		attempts, reason, err := s.failedBefore(ctx, c)
		if err != nil {
			s.release(context.WithoutCancel(ctx), id, c.token, c.taken)
			return skipped, err
		}
		if attempts > 0 {
			// It fell due in time and could not be delivered.
			return removed, s.giveUp(ctx, c, latest, now, attempts, reason)
		}
		log.Info("reminder dropped: past its useful window", "late", now.Sub(latest), "staleAfter", stale)
		s.obs.ReminderLate()
		return removed, s.ack(ctx, c, latest, now)
	}

	// The send must end before the lease does, or another instance could
	// claim the occurrence and send it too.
	sctx, cancel := context.WithDeadline(ctx, c.taken.Add(s.leaseTTL*4/5))
	run, err := s.run(sctx, c.rec)
	cancel()
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return failed, ctx.Err()
	case errors.Is(err, bot.ErrUnreachable):
		// The bot was removed or blocked; retrying cannot help.
		log.Warn("reminder dropped: chat unreachable", "chat", c.rec.Message.Chat.Key(), "err", err)
		return removed, s.ack(ctx, c, latest, now)
	default:
		return s.retryLater(context.WithoutCancel(ctx), c, run, latest, now, err)
	}
	s.obs.ReminderSent(now.Sub(latest))
	if err := s.ackSent(ctx, c, latest, now); err != nil {
		return sentIt, err
	}
	return sentIt, nil
}

// ackPatience is how long an instance keeps trying to acknowledge an
// occurrence it has sent while the store cannot be reached (a failover, a
// restart). Were it to give up at once, the occurrence would be sent again
// when its lease ran out.
const ackPatience = time.Minute

// ackSent acknowledges an occurrence that was sent, as ack does, trying
// again with backoff while the store fails, for up to ackPatience or until
// ctx is done. A retry after the lease ran out takes the lease again, or,
// if another instance has it, leaves it to them (see ack).
func (s *Scheduler) ackSent(ctx context.Context, c *claim, fired, now time.Time) error {
	wait, giveUp := 100*time.Millisecond, time.Now().Add(ackPatience)
	for {
		err := s.ack(context.WithoutCancel(ctx), c, fired, now)
		if err == nil || errors.Is(err, redis.ErrClosed) || time.Now().After(giveUp) {
			return err
		}
		s.log.Warn("reminder sent but not acknowledged; trying again", "id", c.id, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// state is what the store holds for a claimed occurrence.
type state struct {
	queued bool    // the member is still in the due-queue
	rec    *record // nil if the reminder has no record
	done   bool    // the occurrence was already delivered
}

func (s *Scheduler) inspect(ctx context.Context, c *claim) (state, error) {
	var score *redis.FloatCmd
	var rec *redis.StringCmd
	var done *redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		score = p.ZScore(ctx, s.k.due(), c.member)
		rec = p.Get(ctx, s.k.reminder(c.id))
		done = p.Exists(ctx, s.k.done(c.member))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return state{}, fmt.Errorf("read reminder %q: %w", c.id, err)
	}
	var st state
	if err := score.Err(); err == nil {
		st.queued = true
	} else if !errors.Is(err, redis.Nil) {
		return state{}, fmt.Errorf("read reminder %q: %w", c.id, err)
	}
	if data, err := rec.Result(); err == nil {
		if st.rec, err = decodeRecord(data); err != nil {
			return state{}, err
		}
	} else if !errors.Is(err, redis.Nil) {
		return state{}, fmt.Errorf("read reminder %q: %w", c.id, err)
	}
	st.done = done.Val() > 0
	return st, nil
}

// dropOrphan removes an occurrence no record points at.
func (s *Scheduler) dropOrphan(ctx context.Context, c *claim) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, s.k.due(), c.member)
		p.Set(ctx, s.k.done(c.member), 1, doneTTL)
		p.Del(ctx, s.k.failures(c.member), s.k.sent(c.member))
		p.Del(ctx, s.k.lease(c.id))
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove orphan occurrence %q: %w", c.member, err)
	}
	return nil
}

// ack finishes a claimed occurrence that fired (or was dropped) for fired:
// in one MULTI it leaves the queue, is marked done, releases the lease and,
// for a recurring reminder, is followed by the next occurrence.
func (s *Scheduler) ack(ctx context.Context, c *claim, fired, now time.Time) error {
	if time.Since(c.taken) >= s.leaseTTL/2 {
		// A slow send: make sure the reminder was not moved or claimed by
		// someone else since, or the ack would undo their change.
		held, err := s.reclaim(ctx, c)
		if err != nil || !held {
			return err
		}
	}
	var next time.Time
	if c.rec.Spec != "" {
		var err error
		next, err = calendar.NextFire(c.rec.Spec, fired)
		if err == nil && !next.After(now) {
			// The catch-up walk stopped at maxCatchUp.
			next, err = calendar.NextFire(c.rec.Spec, now)
		}
		if err != nil {
			s.log.Info("recurring reminder ends: its spec fires no more", "id", c.id, "err", err)
			next = time.Time{}
		}
	}
	var data []byte
	if !next.IsZero() {
		rec := *c.rec
		rec.Member = occurrence(c.id, next)
		rec.AtMs = next.UnixMilli()
		var err error
		if data, err = json.Marshal(rec); err != nil {
			return fmt.Errorf("encode reminder %q: %w", c.id, err)
		}
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, s.k.due(), c.member)
		p.Set(ctx, s.k.done(c.member), 1, doneTTL)
		p.Del(ctx, s.k.failures(c.member), s.k.sent(c.member))
		if next.IsZero() {
			p.Del(ctx, s.k.reminder(c.id))
		} else {
			p.ZAdd(ctx, s.k.due(), redis.Z{Score: float64(next.UnixMilli()), Member: occurrence(c.id, next)})
			p.Set(ctx, s.k.reminder(c.id), data, 0)
		}
		p.Del(ctx, s.k.lease(c.id))
		return nil
	})
	if err != nil {
		return fmt.Errorf("ack reminder %q: %w", c.member, err)
	}
	return nil
}

// reclaim makes sure c's lease is still ours, taking it again if it expired,
// and re-reads the occurrence. It reports false, having done what is safe,
// when the occurrence is someone else's or gone.
func (s *Scheduler) reclaim(ctx context.Context, c *claim) (bool, error) {
	v, err := s.rdb.Get(ctx, s.k.lease(c.id)).Result()
	switch {
	case err == nil && v == c.token:
	case err == nil || errors.Is(err, redis.Nil):
		ok := false
		if err != nil { // expired: take it again
			c.taken = time.Now()
			ok, err = s.rdb.SetNX(ctx, s.k.lease(c.id), c.token, s.leaseTTL).Result()
			if err != nil {
				return false, fmt.Errorf("lease reminder %q: %w", c.id, err)
			}
		}
		if !ok {
			// Whoever holds it acks it; the mark makes a claim that has not
			// sent yet skip the send.
			s.log.Warn("reminder lease lost during a slow send; it may be sent twice", "id", c.id)
			if err := s.rdb.Set(ctx, s.k.done(c.member), 1, doneTTL).Err(); err != nil {
				return false, fmt.Errorf("mark reminder %q done: %w", c.member, err)
			}
			return false, nil
		}
	default:
		return false, fmt.Errorf("check reminder lease %q: %w", c.id, err)
	}
	st, err := s.inspect(ctx, c)
	if err != nil {
		return false, err
	}
	if !st.queued || st.rec == nil || st.rec.Member != c.member {
		return false, s.dropOrphan(ctx, c)
	}
	c.rec = st.rec
	return true, nil
}

// latestFire returns the latest occurrence of spec from fire up to now, and
// how many occurrences after fire it skipped to get there.
func latestFire(spec string, fire, now time.Time) (time.Time, int) {
	latest, missed := fire, 0
	for range maxCatchUp {
		next, err := calendar.NextFire(spec, latest)
		if err != nil || next.After(now) {
			break
		}
		latest, missed = next, missed+1
	}
	return latest, missed
}
