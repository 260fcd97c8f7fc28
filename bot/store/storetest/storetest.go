// Package storetest gives tests a Redis-compatible server to run against:
// miniredis, redka through huzhu's real embedded server, and a real Redis
// (REDIS_URL, or a private redis-server started from PATH). ForEach runs one
// test against all of them, so a store that passes speaks only the Redis
// subset every backend agrees on.
//
// A real Redis named by REDIS_URL may be shared by test binaries running in
// parallel. Each Backend therefore carries a unique Prefix, and code under
// test must put it in front of every key it touches; the keys under it are
// deleted when the test ends.
//
// Package storetest is for tests only. It imports package store and
// nothing else of huzhu's.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot/store"
)

// startTimeout bounds every wait for a server to come up or go down.
const startTimeout = 5 * time.Second

// Backend is one Redis-compatible server under test.
type Backend struct {
	// Name is "miniredis", "redka" or "redis", and names the subtest ForEach
	// runs.
	Name string
	// Client talks to the server; it is closed when the test ends.
	Client redis.UniversalClient
	// Prefix is unique to this Backend, such as "t3f9a0c1de2b4:". Code under
	// test must begin every key with it.
	Prefix string
}

// ForEach runs fn as a subtest against miniredis (always), redka through the
// real embedded server (always), and a real Redis when one can be had; the
// last subtest is skipped when none can.
func ForEach(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	t.Run("miniredis", func(t *testing.T) { fn(t, Miniredis(t)) })
	t.Run("redka", func(t *testing.T) { fn(t, Redka(t)) })
	t.Run("redis", func(t *testing.T) {
		b, ok := RealRedis(t)
		if !ok {
			t.Skip("no real Redis: set REDIS_URL or put redis-server on PATH")
		}
		fn(t, b)
	})
}

// Miniredis returns a Backend on a fresh miniredis. Its TTLs follow the wall
// clock (ClockTTL), as real servers' do, so keys expire without
// FastForward. The test fails if any MULTI/EXEC sent through its client
// touches keys of more than one Redis Cluster slot, so every test that runs
// on ForEach also checks that its transactions would run on a Cluster.
func Miniredis(t testing.TB) Backend {
	t.Helper()
	m := miniredis.RunT(t)
	m.ClockTTL(true)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	prefix := newPrefix(t)
	c.AddHook(&oneSlotHook{t: t, prefix: prefix})
	return Backend{Name: "miniredis", Client: c, Prefix: prefix}
}

// Redka returns a Backend on huzhu's embedded server (store.StartEmbedded)
// in a temporary data directory, so tests see exactly what production sees:
// redka over the unix socket, through store.NewEmbeddedClient.
func Redka(t testing.TB) Backend {
	t.Helper()
	// A short directory: unix socket paths are limited to about 100 bytes
	// and t.TempDir() grows with the test's name.
	dir, err := os.MkdirTemp("", "hz")
	if err != nil {
		t.Fatalf("storetest: temp dir: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	e, err := store.StartEmbedded(filepath.Join(dir, "data"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("storetest: start embedded store: %v", err)
	}
	c := store.NewEmbeddedClient(e.SocketPath())
	t.Cleanup(func() {
		_ = c.Close()
		if err := e.Close(); err != nil {
			t.Errorf("storetest: close embedded store: %v", err)
		}
	})
	return Backend{Name: "redka", Client: c, Prefix: newPrefix(t)}
}

// RealRedis returns a Backend on the Redis named by REDIS_URL if set, or
// else on a private redis-server started from PATH (StartRedisServer). It
// reports false, and logs why, when neither can be had: an unset REDIS_URL
// with no redis-server on PATH, or a REDIS_URL that does not answer.
func RealRedis(t testing.TB) (Backend, bool) {
	t.Helper()
	if raw := os.Getenv("REDIS_URL"); raw != "" {
		return sharedRedis(t, raw)
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Log("storetest: REDIS_URL unset and no redis-server on PATH")
		return Backend{}, false
	}
	addr := StartRedisServer(t)
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = c.Close() })
	return Backend{Name: "redis", Client: c, Prefix: newPrefix(t)}, true
}

// sharedRedis connects to the Redis at REDIS_URL, which other tests may be
// using at the same time, and deletes this Backend's keys at cleanup.
func sharedRedis(t testing.TB, raw string) (Backend, bool) {
	t.Helper()
	opt, err := redis.ParseURL(raw)
	if err != nil {
		t.Logf("storetest: REDIS_URL is not a Redis URL: %v", err)
		return Backend{}, false
	}
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		t.Logf("storetest: REDIS_URL (%s) does not answer: %v", opt.Addr, err)
		return Backend{}, false
	}
	prefix := newPrefix(t)
	t.Cleanup(func() {
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		if err := deletePrefix(ctx, c, prefix); err != nil {
			t.Errorf("storetest: delete keys under %q: %v", prefix, err)
		}
	})
	return Backend{Name: "redis", Client: c, Prefix: prefix}, true
}

// deletePrefix deletes every key that begins with prefix. The prefix is
// letters, digits and a colon, so it needs no glob escaping.
func deletePrefix(ctx context.Context, c *redis.Client, prefix string) error {
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := c.Del(ctx, keys...).Err(); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// newPrefix returns "t", 12 random hex digits and a colon.
func newPrefix(t testing.TB) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("storetest: random prefix: %v", err)
	}
	return "t" + hex.EncodeToString(b[:]) + ":"
}

// StartRedisServer starts a private redis-server on a free 127.0.0.1 port
// with its working directory in t.TempDir(), passing args after the
// defaults (so they win), such as "--appendonly", "yes". It skips the test
// when redis-server is not on PATH, fails it when the server does not answer
// PING within 5 seconds, and stops the server (and waits for it) in
// t.Cleanup. It returns the address, host:port.
func StartRedisServer(t testing.TB, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("storetest: redis-server is not on PATH")
	}
	dir := t.TempDir()
	// The port is free when we ask but may be taken before redis-server
	// binds it; another port fixes that.
	for range 3 {
		var addr string
		var exited bool
		addr, exited, err = startRedisServer(t, bin, dir, args)
		if err == nil {
			return addr
		}
		if !exited {
			break
		}
	}
	t.Fatalf("storetest: %v", err)
	return ""
}

// startRedisServer makes one attempt for StartRedisServer; exited reports
// whether the server died, as it does when its port was taken.
func startRedisServer(t testing.TB, bin, dir string, args []string) (addr string, exited bool, err error) {
	port, err := freePort()
	if err != nil {
		return "", false, err
	}
	addr, _, exited, err = runRedisServer(t, bin, dir, port, args)
	return addr, exited, err
}

// runRedisServer starts redis-server on port and waits for it to answer.
// kill stops it at once, as a crash would, and waits for it; it is also
// called in t.Cleanup.
func runRedisServer(t testing.TB, bin, dir string, port int, args []string) (addr string, kill func(), exited bool, err error) {
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	all := append([]string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--dir", dir,
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
	}, args...)
	cmd := exec.Command(bin, all...)
	var out syncBuffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		return "", nil, false, fmt.Errorf("start redis-server: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(startTimeout):
			_ = cmd.Process.Kill()
			<-done
		}
	}

	deadline := time.Now().Add(startTimeout)
	for {
		err = ping(addr)
		if err == nil {
			break
		}
		select {
		case <-done:
			return "", nil, true, fmt.Errorf("redis-server on %s exited: %s", addr, bytes.TrimSpace(out.Bytes()))
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, false, fmt.Errorf("redis-server on %s did not answer within %v: %v", addr, startTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(stop)
	kill = func() {
		_ = cmd.Process.Kill()
		<-done
	}
	return addr, kill, false, nil
}

// RedisProcess is a private redis-server a test can kill, as a crash
// would, and start again on the same port and data directory.
type RedisProcess struct {
	Addr string
	t    testing.TB
	bin  string
	dir  string
	port int
	args []string
	kill func()
	// busPort is the cluster bus port of a cluster node, else 0.
	busPort int
}

// StartRedisProcess starts a private redis-server as StartRedisServer
// does, and returns it so the test can Kill and Restart it.
func StartRedisProcess(t testing.TB, args ...string) *RedisProcess {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("storetest: redis-server is not on PATH")
	}
	p := &RedisProcess{t: t, bin: bin, dir: t.TempDir(), args: args}
	for range 3 {
		if p.port, err = freePort(); err != nil {
			break
		}
		var exited bool
		p.Addr, p.kill, exited, err = runRedisServer(t, bin, p.dir, p.port, args)
		if err == nil || !exited {
			break
		}
	}
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return p
}

// Kill stops the server with SIGKILL and waits until it is gone.
func (p *RedisProcess) Kill() { p.kill() }

// Restart starts the server again on the same port and directory.
func (p *RedisProcess) Restart() {
	p.t.Helper()
	var err error
	if _, p.kill, _, err = runRedisServer(p.t, p.bin, p.dir, p.port, p.args); err != nil {
		p.t.Fatalf("storetest: restart redis-server: %v", err)
	}
}

// ping reports whether a Redis server answers on addr. Any reply counts but
// LOADING, so a server started with --requirepass (NOAUTH) is up too.
func ping(addr string) error {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := c.Ping(ctx).Err()
	var reply redis.Error
	if errors.As(err, &reply) && !strings.HasPrefix(reply.Error(), "LOADING") {
		return nil
	}
	return err
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("find a free port: not a TCP address")
	}
	return addr.Port, nil
}

// syncBuffer collects a child's output, which exec copies from another
// goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}
