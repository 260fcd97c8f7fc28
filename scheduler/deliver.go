package scheduler

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
)

// maxCatchUp bounds the walk over a recurring reminder's missed occurrences.
const maxCatchUp = 100_000

// Run delivers due reminders every poll interval, starting at once so that
// whatever fell due while no instance ran is caught up, until ctx is done; it
// then returns nil. Between polls it wakes when something it saw, or this
// instance scheduled, falls due. Failed polls are logged and retried at the
// next one.
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.wake:
		}
		next, err := s.runDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("poll reminders", "err", err)
		}
		wait := s.interval
		if !next.IsZero() {
			wait = min(wait, max(time.Until(next), time.Millisecond))
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(wait)
	}
}

// RunDue makes one pass over the reminders due now: it claims, sends and
// acks each one no other instance holds, drops the stale ones, and returns
// how many it sent. A failed send is logged and put back for a retry;
// RunDue does not wait for it. It returns early with ctx's error when ctx
// is done, and with the first Redis error.
func (s *Scheduler) RunDue(ctx context.Context) (sent int, err error) {
	before := s.sentCount.Load()
	_, err = s.runDue(ctx)
	return int(s.sentCount.Load() - before), err
}

// runDue is RunDue, also returning when the earliest occurrence it saw
// that is not due yet falls due (zero if none). Each round reads the due
// occurrences of every shard, claims them and reads their state in one
// round trip, sends them in parallel and acks them in one MULTI per shard.
func (s *Scheduler) runDue(ctx context.Context) (time.Time, error) {
	if err := s.migrate(ctx); err != nil {
		return time.Time{}, err
	}
	now := s.clock.Now()
	nowMs := now.UnixMilli()
	// Occurrences other instances hold stay at the head of their bucket;
	// skip steps over them so they cannot hide the rest.
	skip := map[int64]int{}
	var next time.Time
	for {
		if err := ctx.Err(); err != nil {
			return next, err
		}
		due, nextMs, err := s.q.Due(ctx, nowMs, nowMs+s.interval.Milliseconds(), int(s.batch), skip)
		if err != nil {
			return next, err
		}
		if nextMs != 0 {
			next = time.UnixMilli(nextMs)
		}
		if len(due) == 0 {
			return next, nil
		}
		if s.inOrder {
			slices.SortFunc(due, func(a, b store.DueReminder) int {
				if a.DueMs != b.DueMs {
					return int(a.DueMs - b.DueMs)
				}
				return strings.Compare(a.ID, b.ID)
			})
		} else {
			// Instances reading the same head of the queue spread out
			// instead of racing for the same leases.
			rand.Shuffle(len(due), func(i, j int) { due[i], due[j] = due[j], due[i] })
		}
		if err := s.deliverAll(ctx, due, now, skip); err != nil {
			return next, err
		}
	}
}

// migrate moves, once, the reminders an older version left in the layout
// before shards.
func (s *Scheduler) migrate(ctx context.Context) error {
	s.migrateMu.Lock()
	defer s.migrateMu.Unlock()
	if s.migrated {
		return nil
	}
	n, err := s.q.Migrate(ctx, s.clock.Now().UnixMilli(), newToken(), s.leaseTTL)
	if n > 0 {
		s.log.Info("reminders moved to the sharded queue", "moved", n)
	}
	if err != nil {
		return err
	}
	s.migrated = true
	return nil
}

// claim is an occurrence this instance holds the lease on.
type claim struct {
	due    store.DueReminder
	id     string
	member string // the occurrence's name: id@fire
	fire   time.Time
	rec    *record
	latest time.Time // the occurrence delivered: fire, or the latest missed one
	// what happened
	ack  *store.ReminderAck
	sent bool
}

// deliverAll claims due, sends what it holds and acks it. skip counts, per
// bucket, the occurrences others hold.
func (s *Scheduler) deliverAll(ctx context.Context, due []store.DueReminder, now time.Time, skip map[int64]int) error {
	// A reminder queued twice (a stray left by a crash beside its real
	// occurrence) is claimed once a round; the next round has the other.
	seen := make(map[string]bool, len(due))
	due = slices.DeleteFunc(due, func(d store.DueReminder) bool {
		dup := seen[d.ID]
		seen[d.ID] = true
		return dup
	})
	token := newToken()
	taken := time.Now()
	states, err := s.q.Claim(ctx, due, now.UnixMilli(), token, s.leaseTTL)
	if err != nil {
		return err
	}
	var release []string
	var claims []*claim
	for i, st := range states {
		d := due[i]
		switch {
		case !st.Held:
			skip[s.q.SkipKey(d)]++
			continue
		case !st.Queued:
			// Another instance acked it between our read of the queue
			// and our lease.
			release = append(release, d.ID)
			continue
		}
		c := &claim{due: d, id: d.ID}
		if st.Record == nil || st.Record.DueMs != d.DueMs || st.Record.BucketMs != d.Bucket {
			// Left behind by a move or cancel whose MULTI we never saw;
			// the record (if any) has its own occurrence.
			c.ack = &store.ReminderAck{Due: d, Keep: true}
			claims = append(claims, c)
			continue
		}
		c.rec = st.Record
		c.member = c.rec.Member()
		c.fire = time.UnixMilli(c.rec.AtMs)
		s.obs.ReminderDue()
		c.latest = c.fire
		missed := 0
		if c.rec.Spec != "" {
			c.latest, missed = latestFire(c.rec.Spec, c.fire, now)
		}
		log := s.log.With("id", c.id, "fire", c.latest)
		if st.DoneMs != 0 && st.DoneMs >= c.rec.AtMs {
			log.Debug("reminder occurrence already delivered")
			c.ack = s.finish(c, now)
			claims = append(claims, c)
			continue
		}
		if missed > 0 {
			log.Info("recurring reminder missed occurrences; firing the latest once", "missed", missed)
		}
		if stale := time.Duration(c.rec.StaleAfterMs) * time.Millisecond; stale > 0 && now.After(c.latest.Add(stale)) {
			attempts, reason, err := s.q.Failures(ctx, c.id, c.member)
			if err != nil {
				_ = s.q.Release(context.WithoutCancel(ctx), append(release, d.ID), token, false)
				return err
			}
			if attempts > 0 {
				// It fell due in time and could not be delivered.
				if err := s.giveUp(ctx, c, now, attempts, reason); err != nil {
					return err
				}
			} else {
				log.Info("reminder dropped: past its useful window", "late", now.Sub(c.latest), "staleAfter", stale)
				s.obs.ReminderLate()
			}
			c.ack = s.finish(c, now)
			claims = append(claims, c)
			continue
		}
		claims = append(claims, c)
	}
	if err := s.q.Release(ctx, release, token, false); err != nil {
		return err
	}
	// What was sent is acked even when a send failed or ctx ended, or it
	// would be sent again when its lease ran out.
	sendErr := s.sendAll(ctx, claims, now, taken)
	return errors.Join(sendErr, s.ackAll(ctx, claims, now, token, taken))
}

// sendAll sends the claims that need sending, s.parallel at once (one at a
// time in order with WithInOrder), and records what happened to each.
func (s *Scheduler) sendAll(ctx context.Context, claims []*claim, now, taken time.Time) error {
	// The sends must end before the leases do, or another instance could
	// claim an occurrence and send it too.
	sctx, cancel := context.WithDeadline(ctx, taken.Add(s.leaseTTL*4/5))
	defer cancel()
	parallel := s.parallel
	if s.inOrder {
		parallel = 1
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, c := range claims {
		if c.ack != nil {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := s.sendOne(ctx, sctx, c, now); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// sendOne runs c and decides its ack: sent, dropped as unreachable, or none
// (put back for a retry, or left for the next pass when the send ran out of
// lease time).
func (s *Scheduler) sendOne(ctx, sctx context.Context, c *claim, now time.Time) error {
	run, err := s.run(sctx, c.rec)
	log := s.log.With("id", c.id, "fire", c.latest)
	switch {
	case err == nil:
		s.obs.ReminderSent(now.Sub(c.latest))
		c.sent = true
		c.ack = s.finish(c, now)
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, bot.ErrUnreachable):
		// The bot was removed or blocked; retrying cannot help.
		log.Warn("reminder dropped: chat unreachable", "chat", c.rec.Message.Chat.Key(), "err", err)
		c.ack = s.finish(c, now)
		return nil
	case sctx.Err() != nil && len(run.reachedNow()) == 0:
		// The pass ran out of lease time before this send got through:
		// the next pass tries again, with no failure counted.
		log.Debug("reminder send ran out of lease time; left for the next pass")
		return s.q.Release(context.WithoutCancel(ctx), []string{c.id}, "", false)
	default:
		return s.retryLater(context.WithoutCancel(ctx), c, run, now, err)
	}
}

// finish is the ack of a claimed occurrence that fired (or was dropped) for
// c.latest: it leaves the queue, is marked delivered and, for a recurring
// reminder, is followed by the next occurrence.
func (s *Scheduler) finish(c *claim, now time.Time) *store.ReminderAck {
	a := &store.ReminderAck{Due: c.due, Member: c.member, FiredMs: c.latest.UnixMilli()}
	if c.rec.Spec == "" {
		a.Delete = true
		return a
	}
	next, err := calendar.NextFire(c.rec.Spec, c.latest)
	if err == nil && !next.After(now) {
		// The catch-up walk stopped at maxCatchUp.
		next, err = calendar.NextFire(c.rec.Spec, now)
	}
	if err != nil {
		s.log.Info("recurring reminder ends: its spec fires no more", "id", c.id, "err", err)
		a.Delete = true
		return a
	}
	rec := *c.rec
	rec.AtMs, rec.DueMs = next.UnixMilli(), next.UnixMilli()
	a.Next = &rec
	return a
}

// ackPatience is how long an instance keeps trying to acknowledge
// occurrences it has sent while the store cannot be reached (a failover, a
// restart). Were it to give up at once, they would be sent again when their
// leases ran out.
const ackPatience = time.Minute

// ackAll acknowledges the claims that have an ack, trying again with
// backoff while the store fails, for up to ackPatience or until ctx is done.
// After a slow pass it first checks which leases are still its own: an
// occurrence whose lease another instance took is theirs to ack, and is
// marked delivered so that their claim skips it if it has not sent yet.
func (s *Scheduler) ackAll(ctx context.Context, claims []*claim, now time.Time, token string, taken time.Time) error {
	var acks []store.ReminderAck
	var sent int64
	for _, c := range claims {
		if c.ack != nil {
			acks = append(acks, *c.ack)
			if c.sent {
				sent++
			}
		}
	}
	if len(acks) == 0 {
		return nil
	}
	wait, giveUp := 100*time.Millisecond, time.Now().Add(ackPatience)
	for {
		err := s.ackHeld(context.WithoutCancel(ctx), acks, now, token, taken)
		if err == nil {
			s.sentCount.Add(sent)
			return nil
		}
		if errors.Is(err, redis.ErrClosed) || time.Now().After(giveUp) {
			return err
		}
		s.log.Warn("reminders sent but not acknowledged; trying again", "n", len(acks), "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// ackHeld acks what this instance still holds.
func (s *Scheduler) ackHeld(ctx context.Context, acks []store.ReminderAck, now time.Time, token string, taken time.Time) error {
	if time.Since(taken) >= s.leaseTTL/2 {
		ids := make([]string, len(acks))
		for i, a := range acks {
			ids[i] = a.Due.ID
		}
		held, err := s.q.LeaseHeld(ctx, ids, token)
		if err != nil {
			return err
		}
		kept := acks[:0:0]
		for i, a := range acks {
			if held[i] {
				kept = append(kept, a)
				continue
			}
			s.log.Warn("reminder lease lost during a slow send; it may be sent twice", "id", a.Due.ID)
			if a.FiredMs != 0 {
				if err := s.q.MarkDone(ctx, s.clock.Now().UnixMilli(), a.Due.ID, a.FiredMs); err != nil {
					return err
				}
			}
		}
		acks = kept
	}
	return s.q.Ack(ctx, s.ackTx, now.UnixMilli(), acks)
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

// timeOfMs is Unix ms as a time.
func timeOfMs(ms int64) time.Time { return time.UnixMilli(ms) }
