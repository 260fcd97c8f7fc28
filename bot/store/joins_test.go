package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

func TestJoinRequests(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "阳光站", group1)
		r301, _ := numerals.ParseRoom("3-2-301")

		req, fresh, err := s.RequestJoin(ctx, st.ID, bob, r301, t0)
		if err != nil || !fresh || req.N != 1 || req.UserKey != bob.Key() || req.Name != bob.Name {
			t.Fatalf("RequestJoin = %+v, %v, %v", req, fresh, err)
		}
		// Asking again while it waits is the same request.
		if again, fresh, err := s.RequestJoin(ctx, st.ID, bob, r301, t0); err != nil || fresh || again.N != 1 {
			t.Errorf("second RequestJoin = %+v, %v, %v; want request 1 again", again, fresh, err)
		}
		got, err := s.JoinRequest(ctx, st.ID, req.N)
		if err != nil || got.Room != r301 || got.UserKey != bob.Key() || !got.Created.Equal(t0) {
			t.Fatalf("JoinRequest = %+v, %v", got, err)
		}
		// A request is not membership.
		if members, _ := s.HouseholdMembers(ctx, st.ID, r301.Key()); len(members) != 0 {
			t.Errorf("household members %v after a request", members)
		}
		if ok, err := s.DropJoinRequest(ctx, st.ID, req.N); !ok || err != nil {
			t.Fatalf("DropJoinRequest = %v, %v", ok, err)
		}
		// Answered once: a second answer finds nothing.
		if ok, err := s.DropJoinRequest(ctx, st.ID, req.N); ok || err != nil {
			t.Errorf("second DropJoinRequest = %v, %v", ok, err)
		}
		if _, err := s.JoinRequest(ctx, st.ID, req.N); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("answered request: %v, want ErrNotFound", err)
		}
		// Once answered, asking again is a new request.
		if next, fresh, err := s.RequestJoin(ctx, st.ID, bob, r301, t0); err != nil || !fresh || next.N != 2 {
			t.Errorf("request after an answer = %+v, %v, %v", next, fresh, err)
		}

		// Once a roster is imported, rooms outside it cannot be asked for.
		if _, err := s.ImportRoster(ctx, st.ID, []store.RosterEntry{{Room: r301}}); err != nil {
			t.Fatal(err)
		}
		other, _ := numerals.ParseRoom("9-1-101")
		if _, _, err := s.RequestJoin(ctx, st.ID, carol, other, t0); !errors.Is(err, store.ErrRoomUnknown) {
			t.Errorf("room outside the roster: %v, want ErrRoomUnknown", err)
		}
	})
}
