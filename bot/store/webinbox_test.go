package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

func TestWebInboxIsTheHouseholdsNewestFirstAndCapped(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		room, _ := numerals.ParseRoom("3-2-301")
		other, _ := numerals.ParseRoom("3-2-302")
		u1, u2, u3 := store.WebUser(7, room, 1), store.WebUser(7, room, 2), store.WebUser(7, other, 1)
		for i := range store.MaxWebMessages + 3 {
			if err := s.AddWebMessage(ctx, u1, fmt.Sprint(i), now); err != nil {
				t.Fatal(err)
			}
		}
		// A re-issued code is the same household: it reads the same inbox.
		got, err := s.WebMessages(ctx, u2)
		if err != nil || len(got) != store.MaxWebMessages || got[0].Text != fmt.Sprint(store.MaxWebMessages+2) || !got[0].At.Equal(now) {
			t.Fatalf("WebMessages = %d messages (first %+v), %v", len(got), got, err)
		}
		if got, err := s.WebMessages(ctx, u3); err != nil || len(got) != 0 {
			t.Fatalf("another household's inbox = %v, %v; want none", got, err)
		}
		if err := s.AddWebMessage(ctx, bot.User{Platform: "tg", ID: "1"}, "x", now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("AddWebMessage(tg user) = %v; want ErrNotFound", err)
		}
	})
}
