package store_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/huzhu-station/huzhu/bot/metrics"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// TestIdentifyAhead: the identity read with the message's claim is the one
// Identify reads on its own, in no round trip of its own once the station
// is known, and a group bound to another station since (by any instance)
// is seen at once.
func TestIdentifyAhead(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		m := metrics.New(nil)
		b.Client.AddHook(m.RedisHook())
		s := newStore(b)
		st1 := mustStation(t, s, "幸福里", group1)
		st2 := mustStation(t, s, "和平里", group2)
		identify := func(msg string) (*store.Identity, int64) {
			t.Helper()
			var trips atomic.Int64
			ctx := metrics.CountRoundTrips(store.WithIdentity(ctx, group1, alice), &trips)
			if _, err := s.ClaimMessage(ctx, group1.Key()+":"+msg); err != nil {
				t.Fatal(err)
			}
			id, err := s.Identify(ctx, group1, alice)
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.Identify(context.Background(), group1, alice)
			if err != nil {
				t.Fatal(err)
			}
			if id.Station == nil || want.Station == nil || id.Station.ID != want.Station.ID || id.Chat.Station != want.Chat.Station {
				t.Fatalf("identified ahead as %+v; on its own as %+v", id.Station, want.Station)
			}
			return id, trips.Load()
		}
		if id, _ := identify("m1"); id.Station.ID != st1.ID {
			t.Fatalf("station %d; want %d", id.Station.ID, st1.ID)
		}
		if id, trips := identify("m2"); id.Station.ID != st1.ID || trips != 1 {
			t.Errorf("station %d in %d round trips; want %d in 1", id.Station.ID, trips, st1.ID)
		}
		// Another instance binds the group elsewhere.
		other := newStore(b)
		if err := b.Client.HSet(ctx, b.Prefix+store.KeyVersion+"chat:"+group1.Key(), "station", st2.ID).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := other.Identify(ctx, group1, alice); err != nil {
			t.Fatal(err)
		}
		if id, trips := identify("m3"); id.Station.ID != st2.ID || trips != 2 {
			t.Errorf("after the move: station %d in %d round trips; want %d in 2", id.Station.ID, trips, st2.ID)
		}
		if id, trips := identify("m4"); id.Station.ID != st2.ID || trips != 1 {
			t.Errorf("then: station %d in %d round trips; want %d in 1", id.Station.ID, trips, st2.ID)
		}
	})
}
