package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/intake"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/bot/telegram/telegramtest"
)

// The fault tests run huzhu as a real process on Telegram (the fake Bot API
// of telegramtest) and a real redis-server with an append-only file, push a
// load of messages, kill the process at a random point (SIGKILL, or SIGTERM
// for a clean stop), start it again and count what became of every message.
// They take about half a minute, run in parallel, and are skipped under
// -short and without redis-server on PATH.
//
// HUZHU_FAULTS_BIN=path runs that huzhu binary instead of this test binary
// (built from another commit, say, to compare); HUZHU_FAULTS_SEED fixes the
// random kill points; HUZHU_FAULTS_MESSAGES=n pushes n messages instead of
// 300 (beyond 20 a group, replies wait for the groups' send limit of 20 a
// minute, and the test takes minutes).

// Load of each fault test.
const (
	faultGroups   = 30  // groups, one station each
	faultMessages = 300 // 登记 messages, each from its own resident
	// faultWait bounds the wait for every message to be answered after the
	// restart: the dead process's leases and claims and the sends' pacing, plus
	// a minute for each 20 messages a group gets beyond the first 20.
	faultWait = 60 * time.Second
	// faultLease is a little more than a dead process's messages stay its:
	// its chats' leases (intake.DefaultLease), then the claims on the
	// messages it was serving (30 s, package store).
	faultLease = max(intake.DefaultLease, 30*time.Second) + 5*time.Second
)

// faultChildEnv marks the process started by a fault test.
const faultChildEnv = "HUZHU_FAULT_CHILD"

// TestFaultChild is the huzhu process of the fault tests: run with the
// environment the parent gives, stopped by SIGTERM as main is.
func TestFaultChild(t *testing.T) {
	if os.Getenv(faultChildEnv) != "1" {
		t.Skip("started by the fault tests only")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, []string{"run"}, os.Getenv, strings.NewReader(""), os.Stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
}

func TestFaultKill(t *testing.T)        { faultTest(t, syscall.SIGKILL, false) }
func TestFaultTerm(t *testing.T)        { faultTest(t, syscall.SIGTERM, false) }
func TestFaultKillWebhook(t *testing.T) { faultTest(t, syscall.SIGKILL, true) }

// faultRun is one fault test's world: the fake Bot API, Redis, and the
// huzhu process.
type faultRun struct {
	t       *testing.T
	api     *telegramtest.Server
	redis   string // host:port
	webhook string // listen address, "" for polling
	hookURL string // the webhook's address for Telegram, when not http://webhook/hook
	log     *os.File
	child   *exec.Cmd
	exited  chan struct{}
}

// skipFaultTest skips a fault test under -short, inside a fault test's
// process and without redis-server.
func skipFaultTest(t *testing.T) {
	if testing.Short() {
		t.Skip("fault tests kill real processes; skipped with -short")
	}
	if os.Getenv(faultChildEnv) == "1" {
		t.Skip("inside a fault test's process")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("fault tests need redis-server on PATH")
	}
}

func faultTest(t *testing.T, sig syscall.Signal, webhook bool) {
	skipFaultTest(t)
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("HUZHU_FAULTS_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	messages := faultMessages
	if s := os.Getenv("HUZHU_FAULTS_MESSAGES"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			messages = n
		}
	}

	f := &faultRun{t: t, api: telegramtest.NewServer(t),
		redis: storetest.StartRedisServer(t, "--appendonly", "yes", "--appendfsync", "everysec")}
	if webhook {
		f.webhook = freeAddr(t)
	}
	logFile, err := os.CreateTemp(t.TempDir(), "huzhu-*.log")
	if err != nil {
		t.Fatal(err)
	}
	f.log = logFile
	t.Cleanup(func() {
		f.stop(syscall.SIGKILL)
		if t.Failed() {
			f.tail(40)
		}
	})

	// Each group gets a station first, so every message is a command
	// that writes and answers.
	groups := make([]models.Chat, faultGroups)
	for i := range groups {
		groups[i] = telegramtest.Group(-1000-int64(i), fmt.Sprintf("小区%d群", i))
	}
	f.start()
	for i, g := range groups {
		head := models.User{ID: int64(500 + i), FirstName: fmt.Sprintf("站长%d", i)}
		f.api.Push(telegramtest.Message(g, head, fmt.Sprintf("建站 互助站%d", i)))
	}
	f.waitSent(2*faultGroups, 30*time.Second) // a reply in the group, the code in private

	// The load: one 登记 per resident, each to a household of their own (a
	// household with members is joined only on confirmation), spread over
	// the groups.
	residents := make([]models.User, messages)
	for i := range residents {
		residents[i] = models.User{ID: int64(100000 + i), FirstName: fmt.Sprintf("m%d", i)}
		f.api.Push(telegramtest.Message(groups[i%faultGroups], residents[i], fmt.Sprintf("登记 5栋%d m%d", 101+i, i)))
	}
	killAt := messages/10 + rng.IntN(messages/2)
	f.waitAnswered(killAt, 90*time.Second)
	f.stop(sig)
	t.Logf("%v after %d of %d replies (seed %d)", sig, f.answered(), messages, seed)
	f.start()

	perGroup := (messages + faultGroups - 1) / faultGroups
	deadline := time.Now().Add(faultWait + time.Duration(max(0, perGroup-1)/20)*time.Minute)
	// Done when everything is answered, or when nothing more was answered
	// for a while once the dead process's leases ran out and nothing is
	// left in the intake queue (a reply waiting for its group's send limit
	// keeps its message there).
	restarted, progress, last := time.Now(), time.Now(), 0
	var c faultCount
	for {
		c = f.count(residents, groups)
		if c.answered != last {
			progress, last = time.Now(), c.answered
		}
		settled := time.Since(restarted) > faultLease && time.Since(progress) > 5*time.Second && f.queued() == 0
		if c.answered == messages || settled || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // late duplicates
	c = f.count(residents, groups)
	mode := "polling"
	if webhook {
		mode = "webhook"
	}
	t.Logf("%s, %v: %d messages: %d written, %d answered, %d duplicated replies, %d written but unanswered, %d lost",
		mode, sig, messages, c.written, c.answered, c.duplicated, c.unanswered, c.lost)
	for _, name := range c.dupNames {
		t.Logf("answered more than once: %s", name)
	}
	if c.lost > 0 || c.unanswered > 0 {
		t.Errorf("%d messages never written nor answered, %d written but never answered; want none", c.lost, c.unanswered)
	}
}

// faultCount is what became of a fault test's messages.
type faultCount struct {
	written    int // the resident is registered
	answered   int // at least one reply
	duplicated int // replies beyond the first
	unanswered int // written, no reply
	lost       int // neither written nor answered
	dupNames   []string
}

var registered = regexp.MustCompile(`已登记：(m\d+)，`)

func (f *faultRun) count(residents []models.User, groups []models.Chat) faultCount {
	replies := map[string]int{}
	for _, m := range f.api.Sent() {
		if sm := registered.FindStringSubmatch(m.Text); sm != nil {
			replies[sm[1]]++
		}
	}
	rdb := redis.NewClient(&redis.Options{Addr: f.redis})
	defer rdb.Close()
	st := store.New(rdb)
	ctx := context.Background()
	var c faultCount
	for i, u := range residents {
		name := u.FirstName
		n := replies[name]
		written := false
		if rec, err := st.Chat(ctx, "telegram:"+strconv.FormatInt(groups[i%len(groups)].ID, 10)); err == nil && rec.Station != 0 {
			m, err := st.Member(ctx, rec.Station, bot.User{Platform: "telegram", ID: strconv.FormatInt(u.ID, 10), Name: name})
			written = err == nil && m != nil && m.Room != ""
		}
		switch {
		case n > 0:
			c.answered++
			if n > 1 {
				c.duplicated += n - 1
				c.dupNames = append(c.dupNames, name)
			}
		case written:
			c.unanswered++
		default:
			c.lost++
		}
		if written {
			c.written++
		}
	}
	return c
}

// queued reports how many messages huzhu's Telegram intake queue holds.
func (f *faultRun) queued() int64 {
	rdb := redis.NewClient(&redis.Options{Addr: f.redis})
	defer rdb.Close()
	n, err := intake.NewQueue(rdb, intake.Options{Prefix: store.KeyVersion, Name: "telegram"}).Len(context.Background())
	if err != nil {
		f.t.Logf("intake queue: %v", err)
	}
	return n
}

// start starts huzhu.
func (f *faultRun) start() {
	f.t.Helper()
	var cmd *exec.Cmd
	if bin := os.Getenv("HUZHU_FAULTS_BIN"); bin != "" {
		cmd = exec.Command(bin, "run")
	} else {
		cmd = exec.Command(os.Args[0], "-test.run=^TestFaultChild$", "-test.count=1", "-test.timeout=5m")
	}
	cmd.Env = append(os.Environ(),
		faultChildEnv+"=1",
		"REDIS_URL=redis://"+f.redis+"/0",
		"TELEGRAM_TOKEN="+telegramtest.Token,
		"TELEGRAM_API_URL="+f.api.URL(),
		"HUZHU_LOG_LEVEL=info",
	)
	if f.webhook != "" {
		hookURL := f.hookURL
		if hookURL == "" {
			hookURL = "http://" + f.webhook + "/hook"
		}
		cmd.Env = append(cmd.Env,
			"TELEGRAM_WEBHOOK_URL="+hookURL,
			"TELEGRAM_WEBHOOK_SECRET=fault_secret",
			"TELEGRAM_LISTEN="+f.webhook)
	}
	cmd.Stdout, cmd.Stderr = f.log, f.log
	if err := cmd.Start(); err != nil {
		f.t.Fatalf("start huzhu: %v", err)
	}
	f.child, f.exited = cmd, make(chan struct{})
	exited := f.exited
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
}

// stop sends sig to huzhu and waits for it to exit.
func (f *faultRun) stop(sig syscall.Signal) {
	if f.child == nil {
		return
	}
	_ = f.child.Process.Signal(sig)
	select {
	case <-f.exited:
	case <-time.After(30 * time.Second):
		f.t.Errorf("huzhu did not exit within 30 s of %v", sig)
		_ = f.child.Process.Kill()
		<-f.exited
	}
	f.child = nil
}

// waitSent waits until n messages were sent, failing the test after d.
func (f *faultRun) waitSent(n int, d time.Duration) {
	f.t.Helper()
	deadline := time.Now().Add(d)
	for len(f.api.Sent()) < n {
		if time.Now().After(deadline) {
			f.t.Fatalf("%d messages sent after %v, want %d", len(f.api.Sent()), d, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// answered reports how many residents got their 登记 answered.
func (f *faultRun) answered() int {
	names := map[string]bool{}
	for _, m := range f.api.Sent() {
		if sm := registered.FindStringSubmatch(m.Text); sm != nil {
			names[sm[1]] = true
		}
	}
	return len(names)
}

// waitAnswered waits until n residents got their answer, failing the test
// after d.
func (f *faultRun) waitAnswered(n int, d time.Duration) {
	f.t.Helper()
	deadline := time.Now().Add(d)
	for f.answered() < n {
		if time.Now().After(deadline) {
			f.t.Fatalf("%d answered after %v, want %d", f.answered(), d, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tail logs the last n lines huzhu logged.
func (f *faultRun) tail(n int) {
	data, err := os.ReadFile(f.log.Name())
	if err != nil {
		return
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	for _, l := range lines[max(0, len(lines)-n):] {
		f.t.Log(l)
	}
}

var freeAddrMu sync.Mutex

// freeAddr returns a loopback address no one listens on, for the webhook.
func freeAddr(t *testing.T) string {
	freeAddrMu.Lock()
	defer freeAddrMu.Unlock()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
