package store

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// What the embedded store keeps in memory. A lease (a key whose first part,
// after the version and the hash tag, is "lease") and a message's claim
// while it is served ("serving:TOKEN" on its seen key) only say that some
// process is busy with something right now. Only one process serves a data
// directory (it is locked), and a process that dies takes its work with
// it, so these need no durability: writing each to SQLite was half of the
// embedded store's commits. The embedded server keeps them in a
// volatileStore instead (see embeddedProxy), for every client alike. A
// message's "done" mark, and everything else, is written to SQLite as
// before.

// volatileKind says how the embedded server keeps a key.
type volatileKind int

const (
	durableKey volatileKind = iota // in SQLite
	leaseKey                       // in memory only
	seenKey                        // claims in memory, "done" in SQLite
	mixedKeys                      // a command on keys of several kinds
)

// kindOf classifies key by the part after KeyVersion and its hash tag:
// "lease" (station, chat, outbox, reminder and WeChat leases) or "seen" in
// an outbox's tag (a message's mark). Anything else, including a key it
// cannot read, is durable.
func kindOf(key string) volatileKind {
	i := strings.Index(key, KeyVersion)
	if i < 0 {
		return durableKey
	}
	rest := key[i+len(KeyVersion):]
	outbox := strings.HasPrefix(rest, "{out:")
	if strings.HasPrefix(rest, "{") {
		j := strings.Index(rest, "}:")
		if j < 0 {
			return durableKey
		}
		rest = rest[j+2:]
	}
	switch {
	case rest == "lease" || strings.HasPrefix(rest, "lease:"):
		return leaseKey
	case outbox && strings.HasPrefix(rest, "seen:"):
		return seenKey
	}
	return durableKey
}

// volatileValue is a value kept in memory, with its expiry (zero: none).
type volatileValue struct {
	val string
	exp time.Time
}

func (v volatileValue) live(now time.Time) bool { return v.exp.IsZero() || now.Before(v.exp) }

// volatileSweepEvery is how many writes pass between sweeps of expired
// values, so that claims and leases nobody gave up do not pile up.
const volatileSweepEvery = 4096

// volatileStore holds the embedded server's in-memory keys.
type volatileStore struct {
	mu     sync.Mutex
	m      map[string]volatileValue
	writes int
}

func newVolatileStore() *volatileStore {
	return &volatileStore{m: make(map[string]volatileValue)}
}

// get returns key's value, if it is set and live.
func (s *volatileStore) get(key string, now time.Time) (volatileValue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.getLocked(key, now)
}

func (s *volatileStore) getLocked(key string, now time.Time) (volatileValue, bool) {
	v, ok := s.m[key]
	if ok && !v.live(now) {
		delete(s.m, key)
		return volatileValue{}, false
	}
	return v, ok
}

// set sets key to v, only if it is not set (nx) or only if it is (xx),
// keeping its expiry when keepTTL; it reports whether it did.
func (s *volatileStore) set(key string, v volatileValue, nx, xx, keepTTL bool, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.getLocked(key, now)
	if (nx && ok) || (xx && !ok) {
		return false
	}
	if keepTTL && ok {
		v.exp = old.exp
	}
	s.m[key] = v
	if s.writes++; s.writes >= volatileSweepEvery {
		s.writes = 0
		for k, v := range s.m {
			if !v.live(now) {
				delete(s.m, k)
			}
		}
	}
	return true
}

// del deletes key and reports whether it was set.
func (s *volatileStore) del(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.getLocked(key, now)
	delete(s.m, key)
	return ok
}

// delIf deletes key if its value is val.
func (s *volatileStore) delIf(key, val string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.m[key]; ok && v.val == val {
		delete(s.m, key)
	}
}

// expire gives key a new expiry and reports whether it is set.
func (s *volatileStore) expire(key string, exp time.Time, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.getLocked(key, now)
	if !ok {
		return false
	}
	v.exp = exp
	if !v.live(now) {
		delete(s.m, key)
	} else {
		s.m[key] = v
	}
	return true
}

// RESP replies the embedded server makes itself.
var (
	respOK     = []byte("+OK\r\n")
	respNil    = []byte("$-1\r\n")
	respQueued = []byte("+QUEUED\r\n")
)

func respInt(n int64) []byte { return []byte(":" + strconv.FormatInt(n, 10) + "\r\n") }

func respBulk(s string) []byte {
	return []byte("$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n")
}

func respError(msg string) []byte { return []byte("-ERR " + msg + "\r\n") }
