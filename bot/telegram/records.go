package telegram

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/huzhu-station/huzhu/bot"
)

// ChatMigrator moves what is bound to a chat (a station, an office link)
// onto the chat's new id, when Telegram turns a group into a supergroup.
// It must be idempotent: Telegram reports one migration in both chats.
type ChatMigrator interface {
	MigrateChat(ctx context.Context, from, to bot.Chat) error
}

// Reachability remembers which chats can be sent to: a private chat only
// once the person has started the bot, a group only while the bot is in it.
type Reachability interface {
	// SetReachable records whether the chat chatKey can be sent to.
	SetReachable(ctx context.Context, chatKey string, ok bool) error
	// Reachable returns what was recorded; known is false when nothing was.
	Reachable(ctx context.Context, chatKey string) (ok, known bool, err error)
}

// Handles remembers which person an @username names. The Bot API cannot
// look a username up, so the adapter learns each one from the people it
// sees (senders, new members, replied-to authors).
type Handles interface {
	// RememberHandle records that handle (without the @) names u.
	RememberHandle(ctx context.Context, handle string, u bot.User) error
	// UserByHandle returns the user handle names on platform; ok is false
	// when the handle is unknown. Handles match without regard to case.
	UserByHandle(ctx context.Context, platform, handle string) (u bot.User, ok bool, err error)
}

// Records is what the adapter keeps beyond one process, shared by every
// instance of huzhu. *store.Store implements it.
type Records interface {
	ChatMigrator
	Reachability
	Handles
}

// memoryRecords keeps Records in this process only: enough for one instance
// and for tests. It cannot move a station's binding, so MigrateChat only
// lets the adapter redirect sends.
type memoryRecords struct {
	mu      sync.Mutex
	reach   map[string]bool
	handles map[string]bot.User
}

func newMemoryRecords() *memoryRecords {
	return &memoryRecords{reach: map[string]bool{}, handles: map[string]bot.User{}}
}

func (m *memoryRecords) MigrateChat(context.Context, bot.Chat, bot.Chat) error { return nil }

func (m *memoryRecords) SetReachable(_ context.Context, chatKey string, ok bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reach[chatKey] = ok
	return nil
}

func (m *memoryRecords) Reachable(_ context.Context, chatKey string) (bool, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ok, known := m.reach[chatKey]
	return ok, known, nil
}

func (m *memoryRecords) RememberHandle(_ context.Context, handle string, u bot.User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.handles[u.Platform+":"+strings.ToLower(handle)] = u
	return nil
}

func (m *memoryRecords) UserByHandle(_ context.Context, platform, handle string) (bot.User, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.handles[platform+":"+strings.ToLower(handle)]
	return u, ok, nil
}

// cacheTTL is how long an answer from Records is trusted without asking
// again. Another instance may change a chat's state meanwhile; the cost of a
// stale answer is one refused send, or one send held back for this long.
const cacheTTL = 5 * time.Minute

// cacheMax bounds each cache; a full cache starts again empty, which only
// costs a few lookups.
const cacheMax = 50_000

// cachedRecords puts a short-lived cache in front of Records, so that every
// message does not cost a round trip to Redis and a fact already recorded
// is not written again. Failures to read or write are logged: a send is
// then tried and a mention left unresolved, which is never worse than not
// knowing.
type cachedRecords struct {
	next Records
	log  *slog.Logger
	now  func() time.Time

	mu      sync.Mutex
	reach   map[string]reachEntry
	handles map[string]handleEntry
}

type reachEntry struct {
	ok, known bool
	at        time.Time
}

type handleEntry struct {
	u  bot.User
	ok bool
	at time.Time
}

func newCachedRecords(next Records, log *slog.Logger, now func() time.Time) *cachedRecords {
	return &cachedRecords{next: next, log: log, now: now,
		reach: map[string]reachEntry{}, handles: map[string]handleEntry{}}
}

// reachable reports whether chatKey is known to be reachable or not.
func (c *cachedRecords) reachable(ctx context.Context, chatKey string) (ok, known bool) {
	now := c.now()
	c.mu.Lock()
	e, hit := c.reach[chatKey]
	c.mu.Unlock()
	if hit && now.Sub(e.at) < cacheTTL {
		return e.ok, e.known
	}
	ok, known, err := c.next.Reachable(ctx, chatKey)
	if err != nil {
		c.log.Warn("reachability not read", "chat", chatKey, "err", err)
		return false, false
	}
	c.putReach(chatKey, reachEntry{ok: ok, known: known, at: now})
	return ok, known
}

// setReachable records ok for chatKey and reports whether that changed what
// was known.
func (c *cachedRecords) setReachable(ctx context.Context, chatKey string, ok bool) bool {
	was, known := c.reachable(ctx, chatKey)
	if known && was == ok {
		return false
	}
	if err := c.next.SetReachable(ctx, chatKey, ok); err != nil {
		c.log.Warn("reachability not recorded", "chat", chatKey, "err", err)
	}
	c.putReach(chatKey, reachEntry{ok: ok, known: true, at: c.now()})
	return true
}

func (c *cachedRecords) putReach(chatKey string, e reachEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.reach) >= cacheMax {
		clear(c.reach)
	}
	c.reach[chatKey] = e
}

// rememberHandle records handle for u unless it was recorded lately.
func (c *cachedRecords) rememberHandle(ctx context.Context, handle string, u bot.User) {
	key := strings.ToLower(handle)
	now := c.now()
	c.mu.Lock()
	e, hit := c.handles[key]
	c.mu.Unlock()
	if hit && e.ok && e.u == u && now.Sub(e.at) < cacheTTL {
		return
	}
	if err := c.next.RememberHandle(ctx, handle, u); err != nil {
		c.log.Warn("handle not recorded", "handle", handle, "err", err)
		return
	}
	c.putHandle(key, handleEntry{u: u, ok: true, at: now})
}

// userByHandle returns the Telegram user handle names, if known.
func (c *cachedRecords) userByHandle(ctx context.Context, handle string) (bot.User, bool) {
	key := strings.ToLower(handle)
	now := c.now()
	c.mu.Lock()
	e, hit := c.handles[key]
	c.mu.Unlock()
	if hit && now.Sub(e.at) < cacheTTL {
		return e.u, e.ok
	}
	u, ok, err := c.next.UserByHandle(ctx, PlatformName, handle)
	if err != nil {
		c.log.Warn("handle not read", "handle", handle, "err", err)
		return bot.User{}, false
	}
	c.putHandle(key, handleEntry{u: u, ok: ok, at: now})
	return u, ok
}

func (c *cachedRecords) putHandle(key string, e handleEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.handles) >= cacheMax {
		clear(c.handles)
	}
	c.handles[key] = e
}
