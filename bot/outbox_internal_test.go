package bot

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// leaseCounter is an Outbox that counts a delivery's renewals and notes
// whether the lease was given up; deliver uses nothing else of it.
type leaseCounter struct {
	Outbox // nil: never called

	mu               sync.Mutex
	renewals         int
	released         bool
	renewedAfterGone int
}

func (o *leaseCounter) RenewOutbox(context.Context, string, string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.renewals++
	if o.released {
		o.renewedAfterGone++
	}
	return nil
}

func (o *leaseCounter) SentLast(_ context.Context, _, lease string, _ ...string) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.released = o.released || lease != ""
	return false, nil
}

func (o *leaseCounter) ReleaseOutbox(context.Context, string, string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.released = true
	return nil
}

func (o *leaseCounter) counts() (renewals, afterGone int, released bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.renewals, o.renewedAfterGone, o.released
}

// TestDeliveryRenewsItsLeaseUntilDone: a delivery that takes longer than
// the renewal period renews its lease meanwhile, gives it up at the end,
// and renews it never again; a quick one never renews it.
func TestDeliveryRenewsItsLeaseUntilDone(t *testing.T) {
	reply := []KeptReply{{ID: "1", Out: Outgoing{Chat: Chat{Platform: "console", ID: "g1", Kind: Group}, Text: "好"}}}
	for _, tt := range []struct {
		name    string
		sending time.Duration
		renewed bool
	}{
		{"slow", 150 * time.Millisecond, true},
		{"quick", 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := &leaseCounter{}
			c := &Courier{Outbox: o, Log: slog.New(slog.DiscardHandler), renewEvery: 20 * time.Millisecond,
				Sender: SenderFunc(func(context.Context, Outgoing) error {
					time.Sleep(tt.sending)
					return nil
				})}
			if !c.claim("console:g1") {
				t.Fatal("cannot claim the chat")
			}
			c.deliver(context.Background(), "console:g1", "lease", reply)
			renewals, _, released := o.counts()
			if !released {
				t.Error("the lease was not given up")
			}
			if got := renewals > 0; got != tt.renewed {
				t.Errorf("renewed %d times; want renewals: %v", renewals, tt.renewed)
			}
			time.Sleep(100 * time.Millisecond) // five periods
			if again, afterGone, _ := o.counts(); again != renewals || afterGone != 0 {
				t.Errorf("renewed after the delivery ended: %d renewals, then %d (%d after it was given up)", renewals, again, afterGone)
			}
		})
	}
}
