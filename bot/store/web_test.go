package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

func TestWebLinks(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		station := store.WebLink{Kind: store.WebStation, Station: 7}
		tok1, err := s.IssueWebLink(ctx, station, t0)
		if err != nil {
			t.Fatal(err)
		}
		if len(tok1) < 22 || strings.ContainsAny(tok1, "+/=") {
			t.Errorf("token %q: want at least 128 bits, URL-safe", tok1)
		}
		tok2, err := s.IssueWebLink(ctx, station, t0)
		if err != nil || tok2 == tok1 {
			t.Fatalf("second token %q, %v", tok2, err)
		}
		for _, tok := range []string{tok1, tok2} {
			l, err := s.WebLinkFor(ctx, tok, t0.Add(400*24*time.Hour))
			if err != nil || l.Kind != store.WebStation || l.Station != 7 {
				t.Errorf("WebLinkFor(station) = %+v, %v", l, err)
			}
		}
		// The store keeps no token in clear.
		keys, err := b.Client.Keys(ctx, b.Prefix+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if strings.Contains(k, tok1) {
				t.Errorf("key %q holds the token", k)
			}
			if h, _ := b.Client.HGetAll(ctx, k).Result(); h != nil {
				for _, v := range h {
					if strings.Contains(v, tok1) {
						t.Errorf("key %q holds the token", k)
					}
				}
			}
		}

		res := store.WebLink{Kind: store.WebResident, Station: 7, User: "console:王阿姨", Name: "王阿姨",
			Expires: t0.Add(7 * 24 * time.Hour)}
		rtok, err := s.IssueWebLink(ctx, res, t0)
		if err != nil {
			t.Fatal(err)
		}
		if l, err := s.WebLinkFor(ctx, rtok, t0.Add(time.Hour)); err != nil || l.User != res.User || l.Name != "王阿姨" || !l.Expires.Equal(res.Expires) {
			t.Errorf("WebLinkFor(resident) = %+v, %v", l, err)
		}
		if _, err := s.WebLinkFor(ctx, rtok, res.Expires); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired link: err = %v; want ErrNotFound", err)
		}

		n, err := s.RevokeWebLinks(ctx, station)
		if err != nil || n != 2 {
			t.Fatalf("RevokeWebLinks = %d, %v; want 2", n, err)
		}
		for _, tok := range []string{tok1, tok2, "", "nonsense", strings.Repeat("x", 100)} {
			if _, err := s.WebLinkFor(ctx, tok, t0); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("WebLinkFor(%q) after revoking: err = %v; want ErrNotFound", tok, err)
			}
		}
		if _, err := s.WebLinkFor(ctx, rtok, t0); err != nil {
			t.Errorf("the resident's link went with the station's: %v", err)
		}
		if _, err := s.IssueWebLink(ctx, store.WebLink{Kind: store.WebResident, Station: 7}, t0); !errors.Is(err, store.ErrBadWebLink) {
			t.Errorf("resident link with nobody: err = %v", err)
		}
	})
}
