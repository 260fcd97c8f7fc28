package storetest

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clusterSlots is how many hash slots a Redis Cluster has.
const clusterSlots = 16384

// clusterNodeTimeout is the nodes' cluster-node-timeout: how long a master
// may be silent before its replica takes over. Short, so a failover in a
// test takes a second or two.
const clusterNodeTimeout = 500 * time.Millisecond

// RedisCluster is a private Redis Cluster of redis-server processes on
// loopback: each master with one replica, quick to fail over.
type RedisCluster struct {
	// Masters are the nodes that serve the slots at the start. Masters[0]
	// serves the slots of the keys given to StartRedisCluster.
	Masters []*RedisProcess
	// Replicas[i] replicates Masters[i] and takes its slots over when it
	// dies.
	Replicas []*RedisProcess
}

// Addrs returns every node's address, masters first: the seed list for a
// cluster client.
func (c *RedisCluster) Addrs() []string {
	var addrs []string
	for _, p := range append(append([]*RedisProcess{}, c.Masters...), c.Replicas...) {
		addrs = append(addrs, p.Addr)
	}
	return addrs
}

// StartRedisCluster starts a Redis Cluster of masters redis-servers (at
// least 3, so the survivors are a majority that can elect a replica), each
// with one replica, with append-only files and a cluster-node-timeout of
// 500 ms. The slots are shared out evenly, except that the slots of the
// keys in together (such as "{st:1}" and "{rm}") all go to Masters[0], so a
// test that kills Masters[0] takes them all down at once. It returns once
// every node reports the cluster ok and every replica is in sync. It skips
// the test when redis-server is missing or older than 7 (CLUSTER
// ADDSLOTSRANGE, cluster-port), and stops every node in t.Cleanup.
func StartRedisCluster(t testing.TB, masters int, together ...string) *RedisCluster {
	t.Helper()
	if masters < 3 {
		t.Fatalf("storetest: a cluster that survives a master's death needs 3 masters, not %d", masters)
	}
	RequireRedis(t, 7)
	c := &RedisCluster{}
	for i := range 2 * masters {
		busPort, err := freePort()
		if err != nil {
			t.Fatalf("storetest: %v", err)
		}
		p := StartRedisProcess(t, "--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(busPort),
			"--cluster-node-timeout", strconv.FormatInt(clusterNodeTimeout.Milliseconds(), 10),
			"--appendonly", "yes")
		p.busPort = busPort
		if i < masters {
			c.Masters = append(c.Masters, p)
		} else {
			c.Replicas = append(c.Replicas, p)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*startTimeout)
	defer cancel()
	if err := c.form(ctx, together); err != nil {
		t.Fatalf("storetest: form a Redis Cluster: %v", err)
	}
	return c
}

// form shares the slots out, introduces the nodes to each other, makes the
// replicas, and waits until the cluster is ok everywhere.
func (c *RedisCluster) form(ctx context.Context, together []string) error {
	admin := func(p *RedisProcess) *redis.Client {
		return redis.NewClient(&redis.Options{Addr: p.Addr, Protocol: 2, DisableIdentity: true})
	}
	first := admin(c.Masters[0])
	defer first.Close()
	owner := make([]int, clusterSlots)
	for s := range owner {
		owner[s] = s * len(c.Masters) / clusterSlots
	}
	for _, key := range together {
		slot, err := first.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			return fmt.Errorf("CLUSTER KEYSLOT %s: %w", key, err)
		}
		owner[slot] = 0
	}
	for i, m := range c.Masters {
		a := admin(m)
		err := a.Do(ctx, append([]any{"cluster", "addslotsrange"}, slotRanges(owner, i)...)...).Err()
		if err == nil {
			// Distinct epochs from the start spare the nodes the slow
			// resolution of a collision.
			err = a.Do(ctx, "cluster", "set-config-epoch", i+1).Err()
		}
		a.Close()
		if err != nil {
			return fmt.Errorf("slots for master %d: %w", i, err)
		}
	}
	all := append(append([]*RedisProcess{}, c.Masters...), c.Replicas...)
	for _, p := range all[1:] {
		if err := first.Do(ctx, "cluster", "meet", "127.0.0.1", p.port, p.busPort).Err(); err != nil {
			return fmt.Errorf("CLUSTER MEET %s: %w", p.Addr, err)
		}
	}
	for i, r := range c.Replicas {
		m := admin(c.Masters[i])
		id, err := m.ClusterMyID(ctx).Result()
		m.Close()
		if err != nil {
			return fmt.Errorf("CLUSTER MYID of master %d: %w", i, err)
		}
		a := admin(r)
		// The replica must have heard of its master first.
		err = retryUntil(ctx, func() error { return a.ClusterReplicate(ctx, id).Err() })
		a.Close()
		if err != nil {
			return fmt.Errorf("CLUSTER REPLICATE on %s: %w", r.Addr, err)
		}
	}
	for _, p := range all {
		a := admin(p)
		err := retryUntil(ctx, func() error { return clusterReady(ctx, a, len(all), len(c.Masters)) })
		a.Close()
		if err != nil {
			return fmt.Errorf("node %s: %w", p.Addr, err)
		}
	}
	return nil
}

// clusterReady reports why the node a is not yet part of a whole cluster
// of nodes nodes and masters masters each with its replica in sync, or nil.
func clusterReady(ctx context.Context, a *redis.Client, nodes, masters int) error {
	info, err := a.ClusterInfo(ctx).Result()
	if err != nil {
		return err
	}
	for _, want := range []string{"cluster_state:ok", "cluster_known_nodes:" + strconv.Itoa(nodes),
		"cluster_size:" + strconv.Itoa(masters)} {
		if !strings.Contains(info, want) {
			return fmt.Errorf("no %s yet", want)
		}
	}
	repl, err := a.Info(ctx, "replication").Result()
	if err != nil {
		return err
	}
	switch {
	case strings.Contains(repl, "role:master") && !strings.Contains(repl, "state=online"):
		return fmt.Errorf("its replica is not in sync")
	case strings.Contains(repl, "role:slave") && !strings.Contains(repl, "master_link_status:up"):
		return fmt.Errorf("not in sync with its master")
	}
	return nil
}

// retryUntil calls try every 50 ms until it succeeds or ctx is done, and
// returns its last error then.
func retryUntil(ctx context.Context, try func() error) error {
	for {
		err := try()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// slotRanges returns the first and last slot of each run of slots that
// owner gives to master, as CLUSTER ADDSLOTSRANGE takes them.
func slotRanges(owner []int, master int) []any {
	var ranges []any
	for s := 0; s < len(owner); s++ {
		if owner[s] != master {
			continue
		}
		start := s
		for s+1 < len(owner) && owner[s+1] == master {
			s++
		}
		ranges = append(ranges, start, s)
	}
	return ranges
}

// RequireRedis skips the test unless redis-server on PATH is at least the
// major version given.
func RequireRedis(t testing.TB, major int) {
	t.Helper()
	out, err := exec.Command("redis-server", "--version").Output()
	if err != nil {
		t.Skip("storetest: redis-server is not on PATH")
	}
	m := regexp.MustCompile(`v=(\d+)\.`).FindSubmatch(out)
	if m == nil {
		t.Skipf("storetest: cannot read the redis-server version from %q", out)
	}
	if got, _ := strconv.Atoi(string(m[1])); got < major {
		t.Skipf("storetest: redis-server %s is older than %d", m[1], major)
	}
}
