package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

func TestMigrateChat(t *testing.T) {
	oldGroup := bot.Chat{Platform: "telegram", ID: "-100", Kind: bot.Group, Title: "阳光小区"}
	newGroup := bot.Chat{Platform: "telegram", ID: "-1001000", Kind: bot.Group, Title: "阳光小区"}
	oldOffice := bot.Chat{Platform: "telegram", ID: "-200", Kind: bot.Group, Title: "社区办公室"}
	newOffice := bot.Chat{Platform: "telegram", ID: "-1002000", Kind: bot.Group, Title: "社区办公室"}
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "阳光站", oldGroup)
		other := mustStation(t, s, "幸福站", group3)
		if err := s.SetChatLocale(ctx, oldGroup.Key(), "en"); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{st.ID, other.ID} {
			if err := s.LinkOffice(ctx, id, oldOffice, store.Community); err != nil {
				t.Fatal(err)
			}
		}

		// Telegram reports a migration in both groups: the second call finds
		// nothing left to move.
		for range 2 {
			if err := s.MigrateChat(ctx, oldGroup, newGroup); err != nil {
				t.Fatalf("MigrateChat: %v", err)
			}
		}
		rec, err := s.Chat(ctx, newGroup.Key())
		if err != nil || rec.Station != st.ID || rec.Locale != "en" || rec.Title != newGroup.Title {
			t.Errorf("new group record = %+v, %v; want station %d, locale en", rec, err, st.ID)
		}
		if rec, _ := s.Chat(ctx, oldGroup.Key()); rec.Station != 0 {
			t.Errorf("old group still bound to station %d", rec.Station)
		}
		if chats, _ := s.StationChats(ctx, st.ID); !slices.Equal(chats, []string{newGroup.Key()}) {
			t.Errorf("station chats = %v, want only %s", chats, newGroup.Key())
		}
		id, err := s.Identify(ctx, newGroup, head)
		if err != nil || id.Station == nil || id.Station.ID != st.ID || id.Member == nil || !id.Member.Has(store.RoleHead) {
			t.Errorf("Identify in the new group = %+v, %v; want the head of station %d", id, err, st.ID)
		}

		if err := s.SetOfficeOverdueDays(ctx, oldOffice.Key(), 6); err != nil {
			t.Fatal(err)
		}
		if err := s.MigrateChat(ctx, oldOffice, newOffice); err != nil {
			t.Fatalf("MigrateChat(office): %v", err)
		}
		if o, err := s.Office(ctx, newOffice.Key()); err != nil || o.OverdueDays != 6 || !slices.Equal(o.Prefixes(), []string{"阳光", "幸福"}) {
			t.Errorf("new office = %+v, %v; want its deadline (6 days) and prefixes moved", o, err)
		}
		if rec, _ := s.Chat(ctx, newOffice.Key()); rec.Office != store.Community {
			t.Errorf("new office record = %+v, want a community office", rec)
		}
		if served, _ := s.OfficeStations(ctx, newOffice.Key()); !slices.Equal(served, []int64{st.ID, other.ID}) {
			t.Errorf("new office serves %v, want %v", served, []int64{st.ID, other.ID})
		}
		if served, _ := s.OfficeStations(ctx, oldOffice.Key()); len(served) != 0 {
			t.Errorf("old office still serves %v", served)
		}
		for _, id := range []int64{st.ID, other.ID} {
			if got, _ := s.Station(ctx, id); got.Offices[store.Community] != newOffice.Key() {
				t.Errorf("station %d escalates to %q, want %q", id, got.Offices[store.Community], newOffice.Key())
			}
		}

		// A chat with nothing bound migrates to nothing; one that would
		// land on another station's group is refused and left in place.
		if err := s.MigrateChat(ctx, group2, newGroup); err != nil {
			t.Errorf("MigrateChat of an unbound chat: %v", err)
		}
		if err := s.MigrateChat(ctx, group3, newGroup); !errors.Is(err, store.ErrChatTaken) {
			t.Errorf("MigrateChat onto another station's group: %v, want ErrChatTaken", err)
		}
		if rec, _ := s.Chat(ctx, group3.Key()); rec.Station != other.ID {
			t.Errorf("refused migration moved the chat: %+v", rec)
		}
	})
}

func TestReachableAndHandles(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		if ok, known, err := s.Reachable(ctx, "telegram:42"); ok || known || err != nil {
			t.Errorf("Reachable before any record = %v, %v, %v; want unknown", ok, known, err)
		}
		for _, want := range []bool{false, true} {
			if err := s.SetReachable(ctx, "telegram:42", want); err != nil {
				t.Fatal(err)
			}
			if ok, known, err := s.Reachable(ctx, "telegram:42"); ok != want || !known || err != nil {
				t.Errorf("Reachable after SetReachable(%v) = %v, %v, %v", want, ok, known, err)
			}
		}

		if _, ok, err := s.UserByHandle(ctx, "telegram", "alice"); ok || err != nil {
			t.Errorf("UserByHandle before any record = %v, %v; want not found", ok, err)
		}
		alice := bot.User{Platform: "telegram", ID: "1001", Name: "Alice"}
		if err := s.RememberHandle(ctx, "Alice", alice); err != nil {
			t.Fatal(err)
		}
		if u, ok, err := s.UserByHandle(ctx, "telegram", "ALICE"); u != alice || !ok || err != nil {
			t.Errorf("UserByHandle = %+v, %v, %v; want %+v", u, ok, err, alice)
		}
		if _, ok, _ := s.UserByHandle(ctx, "wechat", "alice"); ok {
			t.Error("a Telegram handle was found on WeChat")
		}
	})
}
