package store

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/redis/go-redis/v9"
)

func TestKindOf(t *testing.T) {
	k := keys{prefix: "bench:ab12:"}
	tests := []struct {
		key  string
		want volatileKind
	}{
		{k.lease(7, "issue:3"), leaseKey},
		{k.chatLease("telegram:-100"), leaseKey},
		{k.outboxLease("console:g1"), leaseKey},
		{k.reminderLease(2, "r9"), leaseKey},
		{k.legacyReminderLease("r9"), leaseKey},
		{k.wxLease("acct"), leaseKey},
		{k.seen("console:g1:m1"), seenKey},
		{k.seenBefore("console:g1:m1"), durableKey},
		{k.issue(7, 3), durableKey},
		{k.chat("console:lease:x"), durableKey},
		{k.user("console:seen:x"), durableKey},
		{k.station(7, "leases"), durableKey},
		{"lease:plain", durableKey},
		{KeyVersion + "{st:1", durableKey},
	}
	for _, tt := range tests {
		if got := kindOf(tt.key); got != tt.want {
			t.Errorf("kindOf(%q) = %d, want %d", tt.key, got, tt.want)
		}
	}
}

// startEmbeddedDirect starts the embedded store in dir and returns a client
// of it and one straight to redka behind it, which sees only what SQLite
// keeps.
func startEmbeddedDirect(t *testing.T, dir string) (*Embedded, *redis.Client, *redis.Client) {
	t.Helper()
	e, err := StartEmbedded(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := NewEmbeddedClient(e.SocketPath())
	direct := NewEmbeddedClient(filepath.Join(dir, redkaSocketFile))
	t.Cleanup(func() {
		_ = c.Close()
		_ = direct.Close()
		_ = e.Close()
	})
	return e, c, direct
}

// TestEmbeddedLeasesInMemory checks that leases on the embedded store
// behave as on Redis for every command the store sends them, for every
// client, and are never written to SQLite.
func TestEmbeddedLeasesInMemory(t *testing.T) {
	ctx := t.Context()
	dir, err := os.MkdirTemp("", "hz")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	_, c, direct := startEmbeddedDirect(t, filepath.Join(dir, "data"))
	other := redis.NewClient(c.Options())
	t.Cleanup(func() { _ = other.Close() })
	k := keys{}
	lease, issue := k.lease(1, "issue:1"), k.issue(1, 1)

	if ok, err := c.SetNX(ctx, lease, "a", leaseTTL).Result(); err != nil || !ok {
		t.Fatalf("SET NX of a free lease = %v, %v; want true", ok, err)
	}
	if ok, err := other.SetNX(ctx, lease, "b", leaseTTL).Result(); err != nil || ok {
		t.Fatalf("SET NX of a held lease from another connection = %v, %v; want false", ok, err)
	}
	if v, err := other.Get(ctx, lease).Result(); err != nil || v != "a" {
		t.Errorf("GET = %q, %v; want a", v, err)
	}
	if n, err := direct.Exists(ctx, lease).Result(); err != nil || n != 0 {
		t.Errorf("the lease is in SQLite: EXISTS = %d, %v", n, err)
	}
	if ttl, err := c.PTTL(ctx, lease).Result(); err != nil || ttl <= 0 || ttl > leaseTTL {
		t.Errorf("PTTL = %v, %v; want within %v", ttl, err, leaseTTL)
	}
	if ok, err := c.PExpire(ctx, lease, time.Hour).Result(); err != nil || !ok {
		t.Errorf("PEXPIRE = %v, %v", ok, err)
	}
	if ttl, err := c.TTL(ctx, lease).Result(); err != nil || ttl != time.Hour {
		t.Errorf("TTL after PEXPIRE = %v, %v; want 1h", ttl, err)
	}

	// A pipeline: the lease and the reads under it, in order.
	cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, issue, "title", "灯坏了")
		p.SetNX(ctx, k.lease(1, "issue:2"), "a", leaseTTL)
		p.HGet(ctx, issue, "title")
		return nil
	})
	if err != nil || !cmds[1].(*redis.BoolCmd).Val() || cmds[2].(*redis.StringCmd).Val() != "灯坏了" {
		t.Fatalf("pipeline: %v, %v", cmds, err)
	}

	// The write and the release in one MULTI: released only once the
	// write has run, and its result in its place.
	cmds, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, issue, "status", "open")
		p.Del(ctx, lease)
		p.HIncrBy(ctx, issue, "metoo", 1)
		return nil
	})
	if err != nil || len(cmds) != 3 || cmds[1].(*redis.IntCmd).Val() != 1 || cmds[2].(*redis.IntCmd).Val() != 1 {
		t.Fatalf("MULTI: %v, %v", cmds, err)
	}
	if n, _ := c.Exists(ctx, lease).Result(); n != 0 {
		t.Error("the lease outlived the MULTI that gave it up")
	}
	// A MULTI discarded gives up nothing.
	if err := c.Set(ctx, lease, "a", leaseTTL).Err(); err != nil {
		t.Fatal(err)
	}
	conn := c.Conn()
	for _, args := range [][]any{{"multi"}, {"del", lease}, {"discard"}} {
		if err := conn.Do(ctx, args...).Err(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	_ = conn.Close()
	if n, _ := c.Exists(ctx, lease).Result(); n != 1 {
		t.Error("a discarded MULTI gave up the lease")
	}

	// Several keys at once, of both kinds.
	if n, err := c.Del(ctx, lease, k.lease(1, "issue:2"), issue).Result(); err != nil || n != 3 {
		t.Errorf("DEL of two leases and a hash = %d, %v; want 3", n, err)
	}
	if err := c.HIncrBy(ctx, lease, "n", 1).Err(); err == nil {
		t.Error("HINCRBY on a lease succeeded; only what leases need is kept in memory")
	}
	if err := c.Set(ctx, k.lease(1, "short"), "a", time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if err := c.Get(ctx, k.lease(1, "short")).Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("an expired lease: GET = %v, want nil", err)
	}
}

// TestEmbeddedMessageClaims checks that a message's claim is kept in memory
// and its done mark in SQLite: a message served before a restart is not
// served again, one whose process died while serving it is served at once.
func TestEmbeddedMessageClaims(t *testing.T) {
	ctx := t.Context()
	dir, err := os.MkdirTemp("", "hz")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	e, c, direct := startEmbeddedDirect(t, data)
	s := New(c)

	token, err := s.ClaimMessage(ctx, "console:g1:m1")
	if err != nil {
		t.Fatal(err)
	}
	seen := s.k.seen("console:g1:m1")
	if n, _ := direct.Exists(ctx, seen).Result(); n != 0 {
		t.Error("the claim was written to SQLite")
	}
	if _, err := s.ClaimMessage(ctx, "console:g1:m1"); !errorsIsInFlight(err) {
		t.Errorf("a second claim: %v, want in flight", err)
	}
	if err := s.FinishMessage(ctx, "console:g1:m1", token, true); err != nil {
		t.Fatal(err)
	}
	if v, _ := direct.Get(ctx, seen).Result(); v != markDone {
		t.Errorf("the done mark in SQLite is %q", v)
	}
	if _, err := s.ClaimMessage(ctx, "console:g1:m1"); !errorsIsServed(err) {
		t.Errorf("a served message claimed again: %v, want already served", err)
	}

	// Let go unserved: claimed again at once.
	token, err = s.ClaimMessage(ctx, "console:g1:m2")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.FinishMessage(ctx, "console:g1:m2", token, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimMessage(ctx, "console:g1:m2"); err != nil {
		t.Errorf("a message let go: %v", err)
	}
	// Claimed when the process stops: the claim dies with it.
	if _, err := s.ClaimMessage(ctx, "console:g1:m3"); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	_, c, direct = startEmbeddedDirect(t, data)
	s = New(c)
	if _, err := s.ClaimMessage(ctx, "console:g1:m1"); !errorsIsServed(err) {
		t.Errorf("after a restart, a served message: %v, want already served", err)
	}
	if _, err := s.ClaimMessage(ctx, "console:g1:m3"); err != nil {
		t.Errorf("after a restart, a message claimed before it: %v", err)
	}
	// Only a claim is kept in memory: any other mark is written.
	if err := c.SetNX(ctx, s.k.seen("console:g1:m4"), markDone, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if v, _ := direct.Get(ctx, s.k.seen("console:g1:m4")).Result(); v != markDone {
		t.Errorf("SET NX of a done mark: %q in SQLite, want %q", v, markDone)
	}
}

func errorsIsInFlight(err error) bool { return errors.Is(err, bot.ErrInFlight) }
func errorsIsServed(err error) bool   { return errors.Is(err, bot.ErrAlreadyServed) }

// BenchmarkEmbeddedLeasedWrite serves what a typical message does on the
// embedded store, from 8 goroutines: claim the message, take a lease and
// read under it, write and give the lease up in one MULTI, mark the
// message done. "memory" is the embedded store's socket, which keeps the
// claim and the lease in memory (2 SQLite commits an operation); "sqlite"
// goes straight to redka behind it, as before (4 commits).
//
//	go test ./bot/store -run '^$' -bench EmbeddedLeasedWrite
func BenchmarkEmbeddedLeasedWrite(b *testing.B) {
	dir, err := os.MkdirTemp("", "hz")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = os.RemoveAll(dir) })
	e, err := StartEmbedded(filepath.Join(dir, "data"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.Close() })
	for _, via := range []struct{ name, socket string }{
		{"memory", e.SocketPath()},
		{"sqlite", filepath.Join(dir, "data", redkaSocketFile)},
	} {
		b.Run(via.name, func(b *testing.B) {
			c := NewEmbeddedClient(via.socket)
			b.Cleanup(func() { _ = c.Close() })
			s := New(c, WithKeyPrefix(via.name+":"))
			ctx := b.Context()
			var seq atomic.Int64
			run := newToken()   // b.Run calls this again with a larger b.N
			b.SetParallelism(4) // 8 at once on 2 cores, as the bench mix
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := seq.Add(1)
					msg := "console:g1:" + run + ":" + strconv.FormatInt(n, 10)
					issue := s.k.issue(1, n%5)
					token, err := s.ClaimMessage(ctx, msg)
					if err != nil {
						b.Error(err)
						return
					}
					err = s.withLeaseRead(ctx, []string{s.k.lease(1, "issue:"+strconv.FormatInt(n%5, 10))},
						func(p redis.Pipeliner) { p.HGetAll(ctx, issue) },
						func(l *lease) error {
							_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
								p.HIncrBy(ctx, issue, "metoo", 1)
								l.giveUpIn(ctx, p)
								return nil
							})
							return err
						})
					if err == nil {
						err = s.FinishMessage(ctx, msg, token, true)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
