package store_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/redis/go-redis/v9"
)

// slowFirstPipelines counts pipelines and holds back the first ones, as
// many as a group may have under way at once, so that what comes meanwhile
// waits and goes together.
type slowFirstPipelines struct {
	pipelines atomic.Int64
	hold      time.Duration
}

func (h *slowFirstPipelines) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *slowFirstPipelines) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return next
}

func (h *slowFirstPipelines) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.pipelines.Add(1) <= store.GroupInFlight {
			time.Sleep(h.hold)
		}
		return next(ctx, cmds)
	}
}

// TestClaimsTogether: claims made at the same moment share round trips,
// and each is told its own outcome: every message is claimed once, a
// second claim of the same message is told it is in flight, and one
// already served is told so.
func TestClaimsTogether(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		served := "console:together:served"
		token, err := s.ClaimMessage(ctx, served)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.FinishMessage(ctx, served, token, true); err != nil {
			t.Fatal(err)
		}
		hook := &slowFirstPipelines{hold: 20 * time.Millisecond}
		b.Client.AddHook(hook)

		const messages = 30
		var wg sync.WaitGroup
		var claimed, inFlight, again atomic.Int64
		for i := range 2 * messages {
			wg.Go(func() {
				_, err := s.ClaimMessage(ctx, "console:together:m"+strconv.Itoa(i%messages))
				switch {
				case err == nil:
					claimed.Add(1)
				case errors.Is(err, bot.ErrInFlight):
					inFlight.Add(1)
				default:
					t.Errorf("claim %d: %v", i, err)
				}
			})
		}
		wg.Go(func() {
			if _, err := s.ClaimMessage(ctx, served); !errors.Is(err, bot.ErrAlreadyServed) {
				t.Errorf("claim of a served message: %v; want ErrAlreadyServed", err)
			}
			again.Add(1)
		})
		wg.Wait()
		if claimed.Load() != messages || inFlight.Load() != messages {
			t.Errorf("%d claimed, %d in flight; want %d of each", claimed.Load(), inFlight.Load(), messages)
		}
		// A lost claim reads the mark again, alone: at most one round trip
		// more for each.
		if n := hook.pipelines.Load(); n > messages+4 {
			t.Errorf("%d claims took %d pipelines; want them to go together", 2*messages+1, n)
		}
		t.Logf("%d claims in %d pipelines", 2*messages+1, hook.pipelines.Load())
	})
}

// sentTwice sends every pipeline a second time, as the client does when a
// dropped connection lost the answers to the first; a MULTI, which the
// client does not send again once it was written, goes once.
type sentTwice struct{}

func (sentTwice) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (sentTwice) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (sentTwice) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if err := next(ctx, cmds); err != nil || (len(cmds) > 0 && cmds[0].Name() == "multi") {
			return err
		}
		return next(ctx, cmds)
	}
}

// TestClaimSentTwice: a claim whose pipeline reached the store twice is
// still this claim's, not another's in flight, so the message is served
// now instead of once the claim expires; a second claim of it is not.
func TestClaimSentTwice(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		b.Client.AddHook(sentTwice{})
		token, err := s.ClaimMessage(ctx, "console:twice:m1")
		if err != nil || token == "" {
			t.Fatalf("claim sent twice = %q, %v; want it claimed", token, err)
		}
		if _, err := s.ClaimMessage(ctx, "console:twice:m1"); !errors.Is(err, bot.ErrInFlight) {
			t.Errorf("second claim: %v; want ErrInFlight", err)
		}
		if err := s.FinishMessage(ctx, "console:twice:m1", token, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimMessage(ctx, "console:twice:m1"); !errors.Is(err, bot.ErrAlreadyServed) {
			t.Errorf("claim after it was served: %v; want ErrAlreadyServed", err)
		}
	})
}

// TestLeaseSentTwice: leases whose pipeline reached the store twice are
// still this try's, so the command goes on at once instead of waiting for
// them to expire and failing as busy.
func TestLeaseSentTwice(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "清川佳园", group1)
		is, err := s.ReportIssue(ctx, st.ID, store.NewIssue{Reporter: alice, Text: "路灯坏了", Category: "other"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		b.Client.AddHook(sentTwice{})
		start := time.Now()
		got, added, err := s.AddSupporter(ctx, st.ID, is.N, bob, t0)
		if err != nil || !added || got.Supporters != 1 {
			t.Fatalf("AddSupporter with its lease's pipeline sent twice = %+v, %v, %v; want bob added", got, added, err)
		}
		if waited := time.Since(start); waited > time.Second {
			t.Errorf("AddSupporter took %v; want no wait for its own lease", waited)
		}
		if _, added, err := s.AddSupporter(ctx, st.ID, is.N, bob, t0); err != nil || added {
			t.Errorf("AddSupporter again = %v, %v; want already a supporter", added, err)
		}
	})
}
