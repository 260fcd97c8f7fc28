package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// TestWeChatLeaseTakenOverWhenHolderDies is the store's half of "each
// WeChat account logged in by exactly one instance": while the holder renews
// (as bot/wechat's Platform does at a third of the lease), nobody else gets
// the account; when the holder dies without releasing it, an instance that
// keeps claiming takes it once the lease expires, and the old holder's next
// renewal fails, which stops its login (wechat.ErrLeaseLost).
func TestWeChatLeaseTakenOverWhenHolderDies(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx, s := context.Background(), newStore(b)
		const ttl = 1500 * time.Millisecond
		claim := func(owner string) bool {
			t.Helper()
			ok, err := s.ClaimWeChatAccount(ctx, "acct", owner, ttl)
			if err != nil {
				t.Fatalf("claim by %s: %v", owner, err)
			}
			return ok
		}
		if !claim("a") {
			t.Fatal("a cannot take a free account")
		}
		// a renews, far more often than the lease needs so that a slow
		// machine cannot let it lapse, for longer than a lease lives; b
		// never gets in.
		for range 20 {
			if claim("b") {
				t.Fatal("b took the account while a was renewing it")
			}
			time.Sleep(ttl / 15)
			if !claim("a") {
				t.Fatal("a lost the account it was renewing")
			}
		}
		// a dies. b, claiming at a third of the lease, gets the account.
		deadline := time.Now().Add(20 * ttl)
		for !claim("b") {
			if time.Now().After(deadline) {
				t.Fatal("b never took over the dead holder's account")
			}
			time.Sleep(ttl / 3)
		}
		if claim("a") {
			t.Error("a, back from the dead, renewed the account b holds")
		}
		if !claim("b") {
			t.Error("b cannot renew the account it took over")
		}
	})
}
