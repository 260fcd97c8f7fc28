package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

func TestWeChatSession(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx, s := context.Background(), newStore(b)
		got, err := s.WeChatSession(ctx, "acct")
		if err != nil || got != nil {
			t.Fatalf("WeChatSession before save = %q, %v; want nil, nil", got, err)
		}
		for _, v := range []string{`{"a":1}`, `{"a":2}`} {
			if err := s.SaveWeChatSession(ctx, "acct", []byte(v)); err != nil {
				t.Fatal(err)
			}
			if got, err := s.WeChatSession(ctx, "acct"); err != nil || string(got) != v {
				t.Fatalf("WeChatSession = %q, %v; want %q", got, err, v)
			}
		}
		if other, _ := s.WeChatSession(ctx, "other"); other != nil {
			t.Errorf("another account sees %q", other)
		}
		for _, bad := range []string{"", "a}b", "a b", "a:b"} {
			if err := s.SaveWeChatSession(ctx, bad, nil); !errors.Is(err, store.ErrBadAccount) {
				t.Errorf("SaveWeChatSession(%q) = %v; want ErrBadAccount", bad, err)
			}
		}
	})
}

func TestWeChatIdentity(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx, s := context.Background(), newStore(b)
		id1, err := s.NewWeChatID(ctx, "u")
		if err != nil {
			t.Fatal(err)
		}
		id2, _ := s.NewWeChatID(ctx, "g")
		if id1 == id2 || id1[0] != 'u' || id2[0] != 'g' {
			t.Fatalf("ids %q, %q", id1, id2)
		}
		if h, err := s.WeChatIdentity(ctx, "acct", id1); err != nil || len(h) != 0 {
			t.Fatalf("unknown identity = %v, %v", h, err)
		}
		err = s.SaveWeChatIdentity(ctx, "acct", id1, map[string]string{"nick": "张阿姨", "attr": "7"},
			[]string{"nick:张阿姨", "disp:g1:3-2-301张", "nick:张阿姨"})
		if err != nil {
			t.Fatal(err)
		}
		wantIDs := func(fp string, want ...string) {
			t.Helper()
			got, err := s.WeChatIdentities(ctx, "acct", fp)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("WeChatIdentities(%q) = %v, %v; want %v", fp, got, err, want)
			}
		}
		wantIDs("nick:张阿姨", id1)
		wantIDs("disp:g1:3-2-301张", id1)
		// A new nickname: the old fingerprint goes, fields not named stay.
		if err := s.SaveWeChatIdentity(ctx, "acct", id1, map[string]string{"nick": "张姐"},
			[]string{"nick:张姐", "disp:g1:3-2-301张"}); err != nil {
			t.Fatal(err)
		}
		wantIDs("nick:张阿姨")
		wantIDs("nick:张姐", id1)
		wantIDs("disp:g1:3-2-301张", id1)
		// nil fingerprints: fields only, the index stays.
		if err := s.SaveWeChatIdentity(ctx, "acct", id1, map[string]string{"uname": "@x"}, nil); err != nil {
			t.Fatal(err)
		}
		wantIDs("nick:张姐", id1)
		h, _ := s.WeChatIdentity(ctx, "acct", id1)
		if h["nick"] != "张姐" || h["attr"] != "7" || h["uname"] != "@x" || len(h) != 3 {
			t.Errorf("identity = %v", h)
		}
		if got, _ := s.WeChatIdentities(ctx, "other", "nick:张姐"); len(got) != 0 {
			t.Errorf("another account sees %v", got)
		}
	})
}

func TestWeChatAliasesAndLease(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx, s := context.Background(), newStore(b)
		if err := s.SetWeChatAlias(ctx, "acct", "sid1", "@abc", "u1"); err != nil {
			t.Fatal(err)
		}
		_ = s.SetWeChatAlias(ctx, "acct", "sid1", "@@def", "g2")
		got, err := s.WeChatAliases(ctx, "acct", "sid1")
		if err != nil || got["@abc"] != "u1" || got["@@def"] != "g2" || len(got) != 2 {
			t.Fatalf("aliases = %v, %v", got, err)
		}
		if got, _ := s.WeChatAliases(ctx, "acct", "sid2"); len(got) != 0 {
			t.Errorf("another session sees %v", got)
		}

		claim := func(owner string, want bool) {
			t.Helper()
			ok, err := s.ClaimWeChatAccount(ctx, "acct", owner, time.Minute)
			if err != nil || ok != want {
				t.Fatalf("Claim(%s) = %v, %v; want %v", owner, ok, err, want)
			}
		}
		claim("a", true)
		claim("a", true) // renewal
		claim("b", false)
		if err := s.ReleaseWeChatAccount(ctx, "acct", "b"); err != nil {
			t.Fatal(err)
		}
		claim("b", false) // b never held it, so its release did nothing
		_ = s.ReleaseWeChatAccount(ctx, "acct", "a")
		claim("b", true)
	})
}
