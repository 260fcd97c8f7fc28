package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// WeChat records. A web WeChat login gives every contact and group a
// UserName ("@1f…", "@@9c…") that is valid only until the next login, so
// package wechat keeps stable ids of its own and these records behind them,
// one set per bot account (all under the hash tag {wx:ACCOUNT}, so one MULTI
// covers them on Redis Cluster):
//
//   - the session: openwechat's hot-login dump (cookies and keys; a secret,
//     never logged), so a restart needs no new QR scan;
//   - identities: one hash per stable id, with fields chosen by package
//     wechat (name, nickname, the session it was last seen in…);
//   - fingerprints: one set per fingerprint (such as a nickname), holding the
//     ids that carry it, so a new login finds who a UserName is;
//   - aliases: one hash per login session, UserName → stable id;
//   - the lease: which instance is logged in to the account.
//
// The store does not interpret fields or fingerprints; the matching rules are
// package wechat's and are documented there.

// ErrBadAccount is returned for a WeChat account name that cannot be part of
// a key: empty, or holding a brace, a colon or a space.
var ErrBadAccount = errors.New("bad wechat account name")

// weChatAliasTTL is how long a session's UserName map is kept after its last
// change. Web sessions rarely last a week; the map of an old session is only
// kept so a restart within the same session keeps exact mappings.
const weChatAliasTTL = 7 * 24 * time.Hour

// fpField is the identity field listing the fingerprints it is indexed
// under, so a save can remove the ones it no longer carries.
const fpField = "_fp"

func checkAccount(account string) error {
	if account == "" || strings.ContainsAny(account, "{}: \t\r\n") {
		return fmt.Errorf("%w: %q", ErrBadAccount, account)
	}
	return nil
}

// WeChatSession returns the stored hot-login session of account, or nil when
// there is none.
func (s *Store) WeChatSession(ctx context.Context, account string) ([]byte, error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	b, err := s.rdb.Get(ctx, s.k.wxSession(account)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return b, err
}

// SaveWeChatSession replaces the stored hot-login session of account.
func (s *Store) SaveWeChatSession(ctx context.Context, account string, data []byte) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	return s.rdb.Set(ctx, s.k.wxSession(account), data, 0).Err()
}

// NewWeChatID returns a new stable id, prefix followed by a number unique
// across every account ("u17", "g18").
func (s *Store) NewWeChatID(ctx context.Context, prefix string) (string, error) {
	n, err := s.rdb.Incr(ctx, s.k.wxSeq()).Result()
	if err != nil {
		return "", err
	}
	return prefix + strconv.FormatInt(n, 10), nil
}

// WeChatIdentity returns the fields of identity id; an unknown id has no
// fields, which is not an error. The bookkeeping field "_fp" is left out.
func (s *Store) WeChatIdentity(ctx context.Context, account, id string) (map[string]string, error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	h, err := s.rdb.HGetAll(ctx, s.k.wxIdentity(account, id)).Result()
	if err != nil {
		return nil, err
	}
	delete(h, fpField)
	return h, nil
}

// WeChatIdentities returns the ids carrying fingerprint, sorted.
func (s *Store) WeChatIdentities(ctx context.Context, account, fingerprint string) ([]string, error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	ids, err := s.rdb.SMembers(ctx, s.k.wxFingerprint(account, fingerprint)).Result()
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}

// SaveWeChatIdentity sets fields on identity id; fields not named keep their
// values. When fingerprints is not nil it becomes the complete list the
// identity is found under: fingerprints it carried before and does not carry
// now are removed. nil leaves the index as it is. All of it is one MULTI, so
// a reader never sees an identity half indexed.
func (s *Store) SaveWeChatIdentity(ctx context.Context, account, id string, fields map[string]string, fingerprints []string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	key := s.k.wxIdentity(account, id)
	if fingerprints == nil {
		values := make([]any, 0, 2*len(fields))
		for f, v := range fields {
			if f != fpField {
				values = append(values, f, v)
			}
		}
		if len(values) == 0 {
			return nil
		}
		return s.rdb.HSet(ctx, key, values...).Err()
	}
	old, err := s.rdb.HGet(ctx, key, fpField).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	fps := slices.Compact(slices.Sorted(slices.Values(fingerprints)))
	values := make([]any, 0, 2*len(fields)+2)
	for f, v := range fields {
		if f == fpField {
			continue
		}
		values = append(values, f, v)
	}
	values = append(values, fpField, strings.Join(fps, "\n"))
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, fp := range strings.Split(old, "\n") {
			if fp != "" && !slices.Contains(fps, fp) {
				p.SRem(ctx, s.k.wxFingerprint(account, fp), id)
			}
		}
		for _, fp := range fps {
			p.SAdd(ctx, s.k.wxFingerprint(account, fp), id)
		}
		p.HSet(ctx, key, values...)
		return nil
	})
	return err
}

// WeChatAliases returns the UserName → stable id map of one login session.
func (s *Store) WeChatAliases(ctx context.Context, account, session string) (map[string]string, error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	return s.rdb.HGetAll(ctx, s.k.wxAliases(account, session)).Result()
}

// SetWeChatAlias records that userName stands for id in login session.
func (s *Store) SetWeChatAlias(ctx context.Context, account, session, userName, id string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	key := s.k.wxAliases(account, session)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, userName, id)
		p.Expire(ctx, key, weChatAliasTTL)
		return nil
	})
	return err
}

// ClaimWeChatAccount takes or renews the lease on account for owner, for
// ttl, and reports whether owner holds it. Only one instance may be logged
// in to a WeChat account: two would fight over one web session.
func (s *Store) ClaimWeChatAccount(ctx context.Context, account, owner string, ttl time.Duration) (bool, error) {
	if err := checkAccount(account); err != nil {
		return false, err
	}
	key := s.k.wxLease(account)
	ok, err := s.rdb.SetNX(ctx, key, owner, ttl).Result()
	if err != nil || ok {
		return ok, err
	}
	// Ours already: renew. Without Lua the check and the renewal are two
	// commands; the gap matters only if the lease expired in between, and
	// owners renew at a third of ttl.
	v, err := s.rdb.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return s.rdb.SetNX(ctx, key, owner, ttl).Result()
	}
	if err != nil || v != owner {
		return false, err
	}
	return true, s.rdb.PExpire(ctx, key, ttl).Err()
}

// ReleaseWeChatAccount gives up owner's lease on account, if owner holds it.
func (s *Store) ReleaseWeChatAccount(ctx context.Context, account, owner string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	s.releaseLease(ctx, s.k.wxLease(account), owner, time.Time{})
	return nil
}
