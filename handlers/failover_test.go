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
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/scheduler"
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
	busy, served := writeThroughFailover(t, c, client, "failover:", 1, 0)
	t.Logf("failover: %d messages answered 系统忙 and served on redelivery, %d served, 0 lost", busy, served)
}

// writeThroughFailover has residents from resident(first) on report
// problems, one every 100 ms, from the moment a master was killed until
// three are served again: each must be answered, served or 系统忙. The ones
// answered 系统忙 are then redelivered, as the platform does, and must be
// served; and the station must hold one problem per message, recorded
// counting the ones before. It returns how many were answered 系统忙 and
// how many served at once.
func writeThroughFailover(t *testing.T, c *chainChat, client redis.UniversalClient, prefix string, first, recorded int) (busy, served int) {
	t.Helper()
	var failed []int
	var slowest time.Duration
	defer func() { t.Logf("the slowest answer during the failover took %v", slowest.Round(time.Millisecond)) }()
	deadline := time.Now().Add(30 * time.Second)
	for i := first; served < 3; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("not served again within 30 s of the kill (%d answered 系统忙)", len(failed))
		}
		c.clock.Advance(time.Hour) // a new hour: the rate limit (3 an hour) refuses none
		start := time.Now()
		got := c.sendID(fmt.Sprintf("f%d", i), resident(i), fmt.Sprintf("报事 %d号楼灯坏了", i))
		slowest = max(slowest, time.Since(start))
		switch {
		case strings.Contains(got, "系统忙"):
			failed = append(failed, i)
		case strings.Contains(got, "已记下") || strings.Contains(got, "#"):
			served++
		default:
			t.Fatalf("message f%d during the failover was answered %q; want served or 系统忙", i, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, i := range failed {
		c.clock.Advance(time.Hour)
		if got := c.sendID(fmt.Sprintf("f%d", i), resident(i), fmt.Sprintf("报事 %d号楼灯坏了", i)); !strings.Contains(got, "#") {
			t.Errorf("f%d redelivered after the failover: %q; want it served", i, got)
		}
	}
	want := recorded + served + len(failed)
	if got := problemsRecorded(t, client, prefix); got != want {
		t.Errorf("%d problems recorded; want %d, one per message", got, want)
	}
	return len(failed), served
}

// problemsRecorded is how many problems the station of benchGroup holds.
func problemsRecorded(t *testing.T, client redis.UniversalClient, prefix string) int {
	t.Helper()
	ctx := context.Background()
	st := store.New(client, store.WithKeyPrefix(prefix))
	rec, err := st.Chat(ctx, benchGroup.Key())
	if err != nil {
		t.Fatal(err)
	}
	_, total, err := st.ListIssues(ctx, rec.Station, store.FilterAll, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return int(total)
}

// TestClusterFailoverIsAnswered kills the master of a Redis Cluster (real
// redis-servers, three masters each with a replica) that serves both the
// station's slot ({st:1}) and every reminder shard's ({rm:N}), while residents report
// problems and reminders fall due: every message is answered (served, or
// 系统忙) and those that failed are recorded once on redelivery; every
// reminder is delivered once, late by about the failover's length.
func TestClusterFailoverIsAnswered(t *testing.T) {
	if testing.Short() {
		t.Skip("a failover takes seconds")
	}
	cluster := storetest.StartRedisCluster(t, 3, append([]string{"{st:1}", "{rm}"}, store.ReminderTags(0)...)...)
	ctx := context.Background()
	be, err := store.Open(ctx, store.Config{Addrs: cluster.Addrs()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	client := be.Client

	c := newChainChat(t, storetest.Backend{Name: "cluster", Client: client, Prefix: "failover:"}, nil)
	c.send(benchHead, "建站 测试站")
	if rec, err := store.New(client, store.WithKeyPrefix("failover:")).Chat(ctx, benchGroup.Key()); err != nil || rec.Station != 1 {
		t.Fatalf("the station is %d (%v); want 1, whose slot the killed master serves", rec.Station, err)
	}

	// Reminders fall due before the kill, to be delivered then, and in the
	// two seconds after it, while the slot has no master.
	const before, during = 10, 20
	kill := time.Now().Add(3 * time.Second)
	// One more is being sent when the master dies: its send ends after the
	// kill, so its acknowledgement meets the dead master.
	const inFlight = "reminder:in-flight"
	killedCh := make(chan struct{})
	reminders := &sendLog{first: map[string]time.Time{}, count: map[string]int{},
		hold: map[string]<-chan struct{}{inFlight: killedCh}}
	sched := scheduler.New(client, reminders, bot.SystemClock{}, nil, scheduler.WithKeyPrefix("cluster:"),
		scheduler.WithPollInterval(50*time.Millisecond), scheduler.WithLeaseTTL(3*time.Second))
	due := map[string]time.Time{}
	for i := range before + during {
		at := kill.Add(-2*time.Second + time.Duration(i)*100*time.Millisecond) // kill-2s … kill-1.1s
		if i >= before {
			at = kill.Add(time.Duration(i-before+1) * 100 * time.Millisecond) // kill+0.1s … kill+2s
		}
		id := fmt.Sprintf("reminder:%d", i)
		due[id] = at
		if err := sched.Schedule(ctx, scheduler.Reminder{ID: id, At: at, Message: bot.Outgoing{Chat: benchGroup, Text: id}}); err != nil {
			t.Fatal(err)
		}
	}
	due[inFlight] = kill.Add(-500 * time.Millisecond)
	if err := sched.Schedule(ctx, scheduler.Reminder{ID: inFlight, At: due[inFlight], Message: bot.Outgoing{Chat: benchGroup, Text: inFlight}}); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { defer close(ran); _ = sched.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-ran })

	// Residents write until the kill; all of it is on the replica before
	// the master dies (replication is asynchronous: what a master confirmed
	// in its last moment can be lost with it, and no test can time that).
	recorded := 0
	for i := 1; time.Now().Before(kill); i++ {
		c.clock.Advance(time.Hour) // a new hour: the rate limit (3 an hour) refuses none
		if got := c.sendID(fmt.Sprintf("b%d", i), resident(1000+i), fmt.Sprintf("报事 %d号楼水管漏了", i)); !strings.Contains(got, "#") {
			t.Fatalf("before the kill, message b%d was answered %q; want it served", i, got)
		}
		recorded++
		time.Sleep(100 * time.Millisecond)
	}
	fence := redis.NewClient(&redis.Options{Addr: cluster.Masters[0].Addr})
	defer fence.Close()
	if err := fence.Set(ctx, "{st:1}fence", 1, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := fence.Do(ctx, "WAIT", 1, 2000).Int(); err != nil || n != 1 {
		t.Fatalf("WAIT for the replica: %d, %v", n, err)
	}
	cluster.Masters[0].Kill()
	killed := time.Now()
	close(killedCh)
	busy, served := writeThroughFailover(t, c, client, "failover:", 1, recorded)
	back := time.Since(killed)

	// Every reminder is delivered, and none is left to be delivered again.
	waitUntil(t, 30*time.Second, "every reminder delivered and acknowledged", func() bool {
		left, err := sched.Pending(ctx, "reminder:")
		return err == nil && len(left) == 0 && reminders.delivered() == len(due)
	})
	var lost, dup int
	var worst, total time.Duration
	for id, at := range due {
		n, first := reminders.of(id)
		switch {
		case n == 0:
			lost++
		case n > 1:
			dup += n - 1
		}
		if at.After(killed) {
			late := first.Sub(at)
			worst = max(worst, late)
			total += late
		}
	}
	if lost > 0 || dup > 0 {
		t.Errorf("reminders: %d lost, %d sent twice; want none", lost, dup)
	}
	t.Logf("cluster failover: writes served again %v after the kill; %d messages before it served, %d answered 系统忙 and served once on redelivery, %d served at once, 0 lost",
		back.Round(time.Millisecond), recorded, busy, served)
	t.Logf("reminders: %d due before the kill, one being sent at it, %d in the 2 s after; %d lost, %d duplicated; those due after the kill went out %v late on average, %v at worst",
		before, during, lost, dup, (total / during).Round(time.Millisecond), worst.Round(time.Millisecond))
}

// sendLog is a Sender that counts what it sent, by text, and keeps when
// each text was first sent. The first send of a text in hold ends only when
// its channel is closed.
type sendLog struct {
	mu    sync.Mutex
	first map[string]time.Time
	count map[string]int
	hold  map[string]<-chan struct{}
}

func (l *sendLog) Send(_ context.Context, out bot.Outgoing) error {
	l.mu.Lock()
	wait, ok := l.hold[out.Text]
	delete(l.hold, out.Text)
	l.mu.Unlock()
	if ok {
		<-wait
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.count[out.Text] == 0 {
		l.first[out.Text] = time.Now()
	}
	l.count[out.Text]++
	return nil
}

// delivered is how many different texts were sent.
func (l *sendLog) delivered() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.count)
}

// of is how many times text was sent, and when first.
func (l *sendLog) of(text string) (int, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.count[text], l.first[text]
}
