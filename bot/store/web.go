package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Web links (package handlers/web). A link's token is random, 144 bits,
// URL-safe; the store keeps only its SHA-256, so a dump of the store does
// not give anyone a working link. Each owner (a station, a person of staff,
// a resident, an administrator) has a set of its live links, so that all of
// them can be revoked at once. A link that expires carries its deadline and
// is refused from then on, whatever the key's TTL (a fake clock moves the
// deadline, not Redis).

// WebKind is what a web link opens.
type WebKind string

// The kinds of web link, from least to most seen.
const (
	// WebStation is the station's public page: what is public to the
	// station and nothing personal.
	WebStation WebKind = "station"
	// WebResident is one resident's page: the public page plus acting as
	// that person (vote, sign up, pledge, report).
	WebResident WebKind = "resident"
	// WebStaff is a member of staff's page: what staff may see.
	WebStaff WebKind = "staff"
	// WebAdmin is a subdistrict administrator's page: every station's
	// figures side by side.
	WebAdmin WebKind = "admin"
)

// WebLink is what a web token opens and for whom.
type WebLink struct {
	Kind    WebKind
	Station int64  // 0 for WebAdmin
	User    string // the person's user key; "" for WebStation
	Name    string // the person's name when the link was given
	Created time.Time
	// Expires is when the link stops working; zero for one that lasts
	// until revoked.
	Expires time.Time
}

// owner names who a link belongs to, for revoking all of someone's links.
func (l WebLink) owner() string {
	switch l.Kind {
	case WebStation:
		return "station:" + strconv.FormatInt(l.Station, 10)
	case WebAdmin:
		return "admin:" + l.User
	}
	return string(l.Kind) + ":" + strconv.FormatInt(l.Station, 10) + ":" + l.User
}

// webTokenBytes is the randomness in a token: 18 bytes, 24 URL-safe
// characters.
const webTokenBytes = 18

// ErrBadWebLink is returned for a link with no kind, station or person
// where its kind needs one.
var ErrBadWebLink = errors.New("web link incomplete")

// webTokenHash is the name a token is kept under.
func webTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// IssueWebLink makes a new token for l and returns it; the owner's other
// links keep working until revoked (RevokeWebLinks). now is when it is
// given, and the clock its expiry is checked against.
func (s *Store) IssueWebLink(ctx context.Context, l WebLink, now time.Time) (string, error) {
	switch {
	case l.Kind == WebAdmin && l.User == "",
		l.Kind == WebStation && l.Station == 0,
		(l.Kind == WebResident || l.Kind == WebStaff) && (l.Station == 0 || l.User == ""),
		l.Kind != WebAdmin && l.Kind != WebStation && l.Kind != WebResident && l.Kind != WebStaff:
		return "", fmt.Errorf("%w: %+v", ErrBadWebLink, l)
	}
	b := make([]byte, webTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	hash := webTokenHash(token)
	l.Created = now
	owner := s.k.webOwner(l.owner())
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.k.webToken(hash), "kind", string(l.Kind), "station", l.Station, "user", l.User,
			"name", l.Name, "created", ms(l.Created), "expires", msOrZero(l.Expires), "owner", l.owner())
		p.SAdd(ctx, owner, hash)
		if !l.Expires.IsZero() {
			// Redis forgets it a day after it stops working; the
			// deadline itself is checked against the caller's clock.
			p.Expire(ctx, s.k.webToken(hash), max(l.Expires.Sub(now), 0)+24*time.Hour)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return token, s.pruneWebOwner(ctx, owner)
}

// pruneWebOwner drops from an owner's set the links Redis has forgotten,
// so that a resident who asks for a link every week does not grow it.
func (s *Store) pruneWebOwner(ctx context.Context, owner string) error {
	hashes, err := s.rdb.SMembers(ctx, owner).Result()
	if err != nil || len(hashes) < 2 {
		return err
	}
	cmds := make([]*redis.IntCmd, len(hashes))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, h := range hashes {
			cmds[i] = p.Exists(ctx, s.k.webToken(h))
		}
		return nil
	}); err != nil {
		return err
	}
	var gone []any
	for i, c := range cmds {
		if c.Val() == 0 {
			gone = append(gone, hashes[i])
		}
	}
	if len(gone) == 0 {
		return nil
	}
	return s.rdb.SRem(ctx, owner, gone...).Err()
}

// WebLinkFor returns what token opens at now, or ErrNotFound for a token
// that was never given, was revoked or has expired.
func (s *Store) WebLinkFor(ctx context.Context, token string, now time.Time) (*WebLink, error) {
	if token == "" || len(token) > 64 {
		return nil, fmt.Errorf("%w: web link", ErrNotFound)
	}
	h, err := s.rdb.HGetAll(ctx, s.k.webToken(webTokenHash(token))).Result()
	if err != nil {
		return nil, err
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("%w: web link", ErrNotFound)
	}
	l := &WebLink{Kind: WebKind(h["kind"]), Station: atoi(h["station"]), User: h["user"], Name: h["name"],
		Created: time.UnixMilli(atoi(h["created"]))}
	if e := atoi(h["expires"]); e != 0 {
		l.Expires = time.UnixMilli(e)
		if !now.Before(l.Expires) {
			return nil, fmt.Errorf("%w: web link expired", ErrNotFound)
		}
	}
	return l, nil
}

// RevokeWebLinks ends every link of the owner l names (its kind, station
// and person) and reports how many there were.
func (s *Store) RevokeWebLinks(ctx context.Context, l WebLink) (int, error) {
	owner := s.k.webOwner(l.owner())
	hashes, err := s.rdb.SMembers(ctx, owner).Result()
	if err != nil {
		return 0, err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, h := range hashes {
			p.Del(ctx, s.k.webToken(h))
		}
		p.Del(ctx, owner)
		return nil
	})
	return len(hashes), err
}
