package store_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// waitRecorder remembers the reply of every WAIT sent through a client.
type waitRecorder struct {
	mu      sync.Mutex
	replies []int64
}

func (r *waitRecorder) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *waitRecorder) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (r *waitRecorder) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if cmd.Name() == "wait" {
			n, _ := cmd.(*redis.Cmd).Int64()
			r.mu.Lock()
			r.replies = append(r.replies, n)
			r.mu.Unlock()
		}
		return err
	}
}

func (r *waitRecorder) got() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int64(nil), r.replies...)
}

// reportOne reports a problem, a write the bot acknowledges with its number.
func reportOne(t *testing.T, s *store.Store) {
	t.Helper()
	who := bot.User{Platform: "telegram", ID: "1", Name: "王阿姨"}
	if _, err := s.ReportIssue(context.Background(), 1, store.NewIssue{Reporter: who, Text: "楼道灯坏了", Category: "other"}, time.Now()); err != nil {
		t.Fatalf("report: %v", err)
	}
}

// reportConfirmedByReplica reports a problem through a Store on c that
// waits for one replica, and checks that exactly one WAIT went out, one
// replica answered it, and nothing was logged.
func reportConfirmedByReplica(t *testing.T, c redis.UniversalClient, rec *waitRecorder) {
	t.Helper()
	var logs bytes.Buffer
	s := store.New(c, store.WithWait(store.Wait{Replicas: 1, Timeout: 5 * time.Second}, slog.New(slog.NewTextHandler(&logs, nil))))
	reportOne(t, s)
	if got := rec.got(); len(got) != 1 || got[0] != 1 {
		t.Errorf("WAIT replies %v, want one WAIT answered by 1 replica", got)
	}
	if logs.Len() > 0 {
		t.Errorf("warnings with the replica in sync: %s", logs.String())
	}
}

// startPrimaryAndReplica starts two redis-servers, the second replicating
// the first, and returns their addresses once the replica is in sync.
func startPrimaryAndReplica(t testing.TB) (primary, replica string) {
	t.Helper()
	primary = storetest.StartRedisServer(t)
	host, port, _ := net.SplitHostPort(primary)
	replica = storetest.StartRedisServer(t, "--replicaof", host, port)
	waitForSync(t, replica)
	return primary, replica
}

// waitForSync blocks until the replica at addr has its link to the master up.
func waitForSync(t testing.TB, addr string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		info, err := c.Info(context.Background(), "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s never synced: %v %q", addr, err, info)
		}
	}
}

// TestWaitWithReplica: with a replica in sync, an acknowledged write sends
// WAIT on its own connection after the EXEC and the replica confirms it.
func TestWaitWithReplica(t *testing.T) {
	primary, replica := startPrimaryAndReplica(t)

	c := redis.NewClient(&redis.Options{Addr: primary})
	defer c.Close()
	rec := &waitRecorder{}
	c.AddHook(rec)
	reportConfirmedByReplica(t, c, rec)
	// The replica has the problem the moment the bot could answer.
	r := redis.NewClient(&redis.Options{Addr: replica})
	defer r.Close()
	if n, _ := r.Exists(context.Background(), store.KeyVersion+"{st:1}:issue:1").Result(); n != 1 {
		t.Error("the replica does not have the problem WAIT confirmed")
	}
}

// TestWaitWithoutReplica: a replica missing within the timeout logs a
// warning and the write still succeeds.
func TestWaitWithoutReplica(t *testing.T) {
	b, ok := storetest.RealRedis(t)
	if !ok {
		t.Skip("no real Redis")
	}
	rec := &waitRecorder{}
	b.Client.AddHook(rec)
	var logs bytes.Buffer
	s := store.New(b.Client, store.WithKeyPrefix(b.Prefix),
		store.WithWait(store.Wait{Replicas: 1, Timeout: 20 * time.Millisecond}, slog.New(slog.NewTextHandler(&logs, nil))))
	reportOne(t, s)
	if got := rec.got(); len(got) != 1 || got[0] != 0 {
		t.Errorf("WAIT replies %v, want one WAIT answered by 0 replicas", got)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "replicas=0") {
		t.Errorf("no warning logged: %q", logs.String())
	}
}

// TestWaitOnCluster: on a Redis Cluster the WAIT goes to the master of the
// written slot, on the MULTI's connection, and its replica confirms.
func TestWaitOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six redis-servers")
	}
	cl := storetest.StartRedisCluster(t, 3)
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs()})
	defer c.Close()
	rec := &waitRecorder{}
	c.OnNewNode(func(n *redis.Client) { n.AddHook(rec) })
	reportConfirmedByReplica(t, c, rec)
}

// TestWaitSkippedOnEmbedded: the embedded store has no replicas and redka
// no WAIT, so a write there sends none even when a replica count is set.
func TestWaitSkippedOnEmbedded(t *testing.T) {
	one := 1
	b, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir() + "/d", WaitReplicas: &one}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Wait.Replicas != 0 {
		t.Fatalf("embedded store waits for %d replicas", b.Wait.Replicas)
	}
	rec := &waitRecorder{}
	b.Client.AddHook(rec)
	reportOne(t, store.New(b.Client, store.WithWait(b.Wait, nil)))
	if got := rec.got(); len(got) != 0 {
		t.Errorf("WAIT sent to the embedded store: %v", got)
	}
}

// TestWaitDefaults: one replica for 100 ms on Sentinel and Cluster, none on
// a single Redis; the settings override that, except on the embedded store.
func TestWaitDefaults(t *testing.T) {
	zero, two := 0, 2
	for _, c := range []struct {
		kind string
		cfg  store.Config
		want store.Wait
	}{
		{store.KindSentinel, store.Config{}, store.Wait{Replicas: 1, Timeout: 100 * time.Millisecond}},
		{store.KindCluster, store.Config{}, store.Wait{Replicas: 1, Timeout: 100 * time.Millisecond}},
		{store.KindRedis, store.Config{}, store.Wait{Timeout: 100 * time.Millisecond}},
		{store.KindEmbedded, store.Config{WaitReplicas: &two}, store.Wait{Timeout: 100 * time.Millisecond}},
		{store.KindCluster, store.Config{WaitReplicas: &zero}, store.Wait{Timeout: 100 * time.Millisecond}},
		{store.KindRedis, store.Config{WaitReplicas: &two, WaitTimeout: time.Second}, store.Wait{Replicas: 2, Timeout: time.Second}},
	} {
		if got := store.ResolveWait(c.cfg, c.kind); got != c.want {
			t.Errorf("%s %+v: %+v, want %+v", c.kind, c.cfg, got, c.want)
		}
	}
	minus := -1
	if err := (store.Config{WaitReplicas: &minus}).Validate(); err == nil {
		t.Error("a negative replica count is accepted")
	}
}

// BenchmarkReportWithWait measures what WAIT adds to a problem report on a
// loopback primary with one replica:
//
//	go test ./bot/store -run '^$' -bench ReportWithWait
func BenchmarkReportWithWait(b *testing.B) {
	primary, _ := startPrimaryAndReplica(b)
	c := redis.NewClient(&redis.Options{Addr: primary})
	defer c.Close()
	who := bot.User{Platform: "telegram", ID: "1", Name: "王阿姨"}
	for _, w := range []store.Wait{{}, {Replicas: 1, Timeout: time.Second}} {
		b.Run(fmt.Sprintf("replicas=%d", w.Replicas), func(b *testing.B) {
			s := store.New(c, store.WithWait(w, nil))
			for b.Loop() {
				if _, err := s.ReportIssue(context.Background(), 1, store.NewIssue{Reporter: who, Text: "灯", Category: "other"}, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
