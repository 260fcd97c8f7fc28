package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

func mustRoster(t *testing.T, s *store.Store, st int64, rooms ...string) []numerals.Room {
	t.Helper()
	var entries []store.RosterEntry
	var out []numerals.Room
	for _, r := range rooms {
		room, err := numerals.ParseRoom(r)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, store.RosterEntry{Room: room})
		out = append(out, room)
	}
	if _, err := s.ImportRoster(context.Background(), st, entries); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestHouseholdCodes(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "阳光小区", group1).ID
		rooms := mustRoster(t, s, st, "3-1-1201", "3-1-1202", "4-1-101")

		issued, err := s.IssueHouseholdCodes(ctx, st, "3", false, t0)
		if err != nil || len(issued) != 2 || issued[0].Room != rooms[0] || issued[1].Room != rooms[1] {
			t.Fatalf("IssueHouseholdCodes = %+v, %v", issued, err)
		}
		for _, c := range issued {
			if _, err := store.ParseHouseholdCode(c.Code); err != nil || c.FeedToken == "" {
				t.Errorf("issued %+v: %v", c, err)
			}
		}
		// Asked again, households that have a live code keep it.
		again, err := s.IssueHouseholdCodes(ctx, st, "3", false, t0)
		if err != nil || len(again) != 0 {
			t.Fatalf("second IssueHouseholdCodes = %+v, %v", again, err)
		}
		statuses, err := s.CodeStatuses(ctx, st, "")
		if err != nil || len(statuses) != 3 || !statuses[0].Live || !statuses[1].Live || statuses[2].Live {
			t.Fatalf("CodeStatuses = %+v, %v", statuses, err)
		}

		// Redeeming, typed loosely, binds the household's web person.
		typed := strings.ToLower(issued[0].Code[:4]) + " - " + issued[0].Code[4:]
		red, err := s.RedeemCode(ctx, typed, "ip1", t0)
		if err != nil || red.Station != st || red.Room != rooms[0] || red.User != store.WebUser(st, rooms[0], 1) {
			t.Fatalf("RedeemCode = %+v, %v", red, err)
		}
		if red.User.Name != "3幢住户" {
			t.Errorf("web person's name %q names more than the building", red.User.Name)
		}
		members, _ := s.HouseholdMembers(ctx, st, rooms[0].Key())
		if len(members) != 1 || members[0] != red.User.Key() {
			t.Errorf("household members = %v", members)
		}
		if m, _ := s.Member(ctx, st, red.User); m.Room != rooms[0].Key() {
			t.Errorf("member = %+v", m)
		}
		if gst, groom, err := s.WebHousehold(ctx, red.User); err != nil || gst != st || groom != rooms[0] {
			t.Errorf("WebHousehold = %d %v %v", gst, groom, err)
		}
		if fst, froom, err := s.FeedHousehold(ctx, red.FeedToken); err != nil || fst != st || froom != rooms[0] {
			t.Errorf("FeedHousehold = %d %v %v", fst, froom, err)
		}
		// Redeeming again (another phone of the household) is the same person.
		if red2, err := s.RedeemCode(ctx, issued[0].Code, "ip2", t0); err != nil || red2.User != red.User {
			t.Errorf("second redeem = %+v, %v", red2, err)
		}

		// Re-issued: the old code, its person and its feed stop working.
		fresh, err := s.ReissueHouseholdCode(ctx, st, rooms[0], t0)
		if err != nil || fresh.Code == issued[0].Code {
			t.Fatalf("ReissueHouseholdCode = %+v, %v", fresh, err)
		}
		if _, err := s.RedeemCode(ctx, issued[0].Code, "ip1", t0); !errors.Is(err, store.ErrCodeUnknown) {
			t.Errorf("old code after re-issue: %v", err)
		}
		if _, _, err := s.WebHousehold(ctx, red.User); !errors.Is(err, store.ErrCodeUnknown) {
			t.Errorf("old person after re-issue: %v", err)
		}
		if _, _, err := s.FeedHousehold(ctx, red.FeedToken); !errors.Is(err, store.ErrCodeUnknown) {
			t.Errorf("old feed after re-issue: %v", err)
		}
		members, _ = s.HouseholdMembers(ctx, st, rooms[0].Key())
		if len(members) != 0 {
			t.Errorf("household members after re-issue = %v", members)
		}
		if m, _ := s.Member(ctx, st, red.User); m.Room != "" {
			t.Errorf("old person still has room %q", m.Room)
		}
		red3, err := s.RedeemCode(ctx, fresh.Code, "ip1", t0)
		if err != nil || red3.User == red.User {
			t.Fatalf("new code = %+v, %v", red3, err)
		}

		// Revoked: refused, and nothing to revoke twice.
		if ok, err := s.RevokeHouseholdCode(ctx, st, rooms[0]); err != nil || !ok {
			t.Fatalf("RevokeHouseholdCode = %v, %v", ok, err)
		}
		if ok, err := s.RevokeHouseholdCode(ctx, st, rooms[0]); err != nil || ok {
			t.Errorf("second revoke = %v, %v", ok, err)
		}
		if _, err := s.RedeemCode(ctx, fresh.Code, "ip3", t0); !errors.Is(err, store.ErrCodeUnknown) {
			t.Errorf("revoked code: %v", err)
		}
		if _, err := s.FeedToken(ctx, st, rooms[0]); !errors.Is(err, store.ErrCodeUnknown) {
			t.Errorf("feed token after revoke: %v", err)
		}
		if _, err := s.ReissueHouseholdCode(ctx, st, numerals.Room{Building: "9", Number: "101"}, t0); !errors.Is(err, store.ErrRoomUnknown) {
			t.Errorf("code for a room outside the roster: %v", err)
		}
	})
}

func TestHouseholdCodeRateLimit(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "阳光小区", group1).ID
		mustRoster(t, s, st, "3-1-1201")
		issued, err := s.IssueHouseholdCodes(ctx, st, "3", false, t0)
		if err != nil {
			t.Fatal(err)
		}
		for i := range store.CodeFailLimit {
			if _, err := s.RedeemCode(ctx, "ZZZZ ZZZZ", "ip1", t0); !errors.Is(err, store.ErrCodeUnknown) {
				t.Fatalf("wrong code %d: %v", i, err)
			}
		}
		// The limit holds even for the right code, for that client only.
		if _, err := s.RedeemCode(ctx, issued[0].Code, "ip1", t0); !errors.Is(err, store.ErrCodeLimited) {
			t.Errorf("after %d wrong codes: %v", store.CodeFailLimit, err)
		}
		if _, err := s.RedeemCode(ctx, issued[0].Code, "ip2", t0); err != nil {
			t.Errorf("another client: %v", err)
		}
		// A new window lets the client try again.
		if _, err := s.RedeemCode(ctx, issued[0].Code, "ip1", t0.Add(store.CodeFailWindow+time.Second)); err != nil {
			t.Errorf("next window: %v", err)
		}
	})
}

func TestParseHouseholdCode(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{"7KQ2M9XD", "7KQ2M9XD"},
		{"7kq2 m9xd", "7KQ2M9XD"},
		{"7KQ2-M9XD", "7KQ2M9XD"},
		{"７ＫＱ２　Ｍ９ＸＤ", "7KQ2M9XD"},
		{"OIL0 1234", "0110" + "1234"},
		{" 7KQ2M9XD ", "7KQ2M9XD"},
		{"7KQ2M9X", ""},
		{"7KQ2M9XDA", ""},
		{"7KQ2M9XU", ""}, // U is not in the alphabet
		{"7KQ2M9X码", ""},
		{"", ""},
	} {
		got, err := store.ParseHouseholdCode(c.in)
		if c.want == "" {
			if !errors.Is(err, store.ErrMalformedCode) {
				t.Errorf("ParseHouseholdCode(%q) = %q, %v; want malformed", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseHouseholdCode(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if got := store.FormatHouseholdCode("7KQ2M9XD"); got != "7KQ2 M9XD" {
		t.Errorf("FormatHouseholdCode = %q", got)
	}
}

func FuzzParseHouseholdCode(f *testing.F) {
	for _, s := range []string{"7KQ2M9XD", "7kq2 m9xd", "７ＫＱ２　Ｍ９ＸＤ", "OIL0-1234", "", "码码码码码码码码", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, err := store.ParseHouseholdCode(s)
		if err != nil {
			return
		}
		if len(code) != store.HouseholdCodeLen {
			t.Fatalf("ParseHouseholdCode(%q) = %q", s, code)
		}
		// The canonical form reads as itself, also as printed.
		if again, err := store.ParseHouseholdCode(store.FormatHouseholdCode(code)); err != nil || again != code {
			t.Fatalf("printed %q reads as %q, %v", store.FormatHouseholdCode(code), again, err)
		}
	})
}

// TestCodeEndsItsSessions: the phones' sessions made with a household code
// (resident links of its web person) are deleted when the code is revoked
// or re-issued, not only refused.
func TestCodeEndsItsSessions(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "阳光小区", group1).ID
		rooms := mustRoster(t, s, st, "3-1-1201")
		for _, end := range []string{"re-issue", "revoke"} {
			issued, err := s.IssueHouseholdCodes(ctx, st, "3", false, t0)
			if err != nil || len(issued) != 1 {
				t.Fatalf("IssueHouseholdCodes = %+v, %v", issued, err)
			}
			red, err := s.RedeemCode(ctx, issued[0].Code, "ip1", t0)
			if err != nil {
				t.Fatal(err)
			}
			var sessions []string
			for range 2 { // two phones
				token, err := s.IssueWebLink(ctx, store.WebLink{Kind: store.WebResident, Station: st, User: red.User.Key(),
					Name: red.User.Name, Expires: t0.Add(365 * 24 * time.Hour)}, t0)
				if err != nil {
					t.Fatal(err)
				}
				sessions = append(sessions, token)
			}
			if end == "revoke" {
				_, err = s.RevokeHouseholdCode(ctx, st, rooms[0])
			} else {
				_, err = s.ReissueHouseholdCode(ctx, st, rooms[0], t0)
			}
			if err != nil {
				t.Fatalf("%s: %v", end, err)
			}
			for _, token := range sessions {
				if l, err := s.WebLinkFor(ctx, token, t0); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("after %s, a session made with the code opens %+v, %v; want ErrNotFound", end, l, err)
				}
			}
			if keys, err := b.Client.Keys(ctx, b.Prefix+"*{web}:*").Result(); err != nil || len(keys) != 0 {
				t.Errorf("after %s, web keys left: %q, %v", end, keys, err)
			}
			if end == "re-issue" {
				if _, err := s.RevokeHouseholdCode(ctx, st, rooms[0]); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}
