package handlers_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// startSentinel starts a redis-server in Sentinel mode watching the master
// at masterAddr as "mymaster", quick to fail over, and stops it when the
// test ends. It returns its address.
func startSentinel(t *testing.T, masterAddr string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not on PATH")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	host, mport, _ := net.SplitHostPort(masterAddr)
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor mymaster %s %s 1\n"+
		"sentinel down-after-milliseconds mymaster 400\nsentinel failover-timeout mymaster 2000\n", port, dir, host, mport)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, conf, "--sentinel")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	waitUntil(t, 5*time.Second, "sentinel up", func() bool {
		c := redis.NewClient(&redis.Options{Addr: addr})
		defer c.Close()
		return c.Ping(context.Background()).Err() == nil
	})
	return addr
}

// resident is the i-th resident writing during the failover.
func resident(i int) bot.User {
	return bot.User{Platform: "console", ID: "resident" + strconv.Itoa(i), Name: "居民" + strconv.Itoa(i)}
}

func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSentinelFailoverIsAnswered kills the master of a Sentinel-managed
// pair (real redis-servers) while residents report problems: every
// message is answered (served, or 系统忙), and when the platform redelivers
// the ones that failed after the replica took over, each is recorded once.
func TestSentinelFailoverIsAnswered(t *testing.T) {
	if testing.Short() {
		t.Skip("a failover takes seconds")
	}
	master := storetest.StartRedisProcess(t, "--appendonly", "yes")
	host, mport, _ := net.SplitHostPort(master.Addr)
	storetest.StartRedisServer(t, "--replicaof", host, mport)
	sentinel := startSentinel(t, master.Addr)
	client := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: []string{sentinel},
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond,
		MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	ctx := context.Background()
	waitUntil(t, 10*time.Second, "the replica in sync", func() bool {
		info, err := client.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "connected_slaves:1") && strings.Contains(info, "state=online")
	})

	c := newChainChat(t, storetest.Backend{Name: "sentinel", Client: client, Prefix: "failover:"}, nil)
	c.send(benchHead, "建站 测试站")
	if err := client.Do(ctx, "WAIT", 1, 2000).Err(); err != nil {
		t.Fatal(err)
	}

	master.Kill()
	// Residents keep writing through the failover; each message is
	// answered, and the ones that failed are kept for redelivery.
	var failed []string
	served := 0
	deadline := time.Now().Add(20 * time.Second)
	for i := 1; served < 3; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("not served again within 20 s of the kill (%d failed)", len(failed))
		}
		id := fmt.Sprintf("f%d", i)
		got := c.sendID(id, resident(i), fmt.Sprintf("报事 %d号楼灯坏了", i))
		switch {
		case strings.Contains(got, "系统忙"):
			failed = append(failed, id)
		case strings.Contains(got, "已记下") || strings.Contains(got, "#"):
			served++
		default:
			t.Fatalf("message %s during the failover was answered %q; want served or 系统忙", id, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, id := range failed {
		n, _ := strconv.Atoi(strings.TrimPrefix(id, "f"))
		if got := c.sendID(id, resident(n), fmt.Sprintf("报事 %d号楼灯坏了", n)); !strings.Contains(got, "#") {
			t.Errorf("%s redelivered after the failover: %q; want it served", id, got)
		}
	}
	want := served + len(failed)
	st := store.New(client, store.WithKeyPrefix("failover:"))
	rec, err := st.Chat(ctx, benchGroup.Key())
	if err != nil {
		t.Fatal(err)
	}
	if _, total, err := st.ListIssues(ctx, rec.Station, store.FilterAll, "", 100); err != nil || total != int64(want) {
		t.Errorf("%d problems recorded (%v); want %d, one per message", total, err, want)
	}
	t.Logf("failover: %d messages answered 系统忙 and served on redelivery, %d served, 0 lost", len(failed), served)
}
