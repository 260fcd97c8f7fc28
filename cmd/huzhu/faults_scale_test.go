package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/bot/telegram/telegramtest"
)

// Load of the three-instance fault test, beyond faultMessages.
const (
	scaleInstances = 3
	scaleReminders = 10 // scheduled notices, one in each of the first groups
)

// reminderMark finds a scheduled notice's number in what the groups got.
var reminderMark = regexp.MustCompile(`提醒r(\d+)号`)

// roundRobin is a balancer in front of several webhook listeners: each
// update Telegram posts goes to the next one, and to the one after when
// that one does not answer, as a load balancer with health checks does.
type roundRobin struct {
	backends []string // host:port
	next     atomic.Uint64
	client   *http.Client
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	first := rr.next.Add(1)
	for i := range uint64(len(rr.backends)) {
		addr := rr.backends[(first+i)%uint64(len(rr.backends))]
		req, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+addr+r.URL.Path, bytes.NewReader(body))
		if err != nil {
			continue
		}
		req.Header = r.Header.Clone()
		resp, err := rr.client.Do(req)
		if err != nil {
			continue // down: the next one
		}
		answer, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(answer)
		return
	}
	http.Error(w, "no instance answers", http.StatusBadGateway)
}

// TestFaultKillOneOfThree runs three huzhu processes on one Redis, behind a
// balancer that shares Telegram's webhook posts among them, pushes the load
// of the other fault tests and SIGKILLs one process while it is served; the
// two others carry on and take over what the dead one held once its leases
// run out. Scheduled notices fall due while this happens. It counts lost,
// unanswered and duplicated messages, and missing and duplicated notices.
func TestFaultKillOneOfThree(t *testing.T) {
	skipFaultTest(t)
	t.Parallel()
	api := telegramtest.NewServer(t)
	redisAddr := storetest.StartRedisServer(t, "--appendonly", "yes", "--appendfsync", "everysec")
	logFile, err := os.CreateTemp(t.TempDir(), "huzhu-*.log")
	if err != nil {
		t.Fatal(err)
	}

	balancer, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rr := &roundRobin{client: &http.Client{Timeout: 10 * time.Second}}
	runs := make([]*faultRun, scaleInstances)
	for i := range runs {
		runs[i] = &faultRun{t: t, api: api, redis: redisAddr, log: logFile,
			webhook: freeAddr(t), hookURL: "http://" + balancer.Addr().String() + "/hook"}
		rr.backends = append(rr.backends, runs[i].webhook)
	}
	srv := &http.Server{Handler: rr}
	go func() { _ = srv.Serve(balancer) }()
	t.Cleanup(func() {
		for _, f := range runs {
			f.stop(syscall.SIGKILL)
		}
		_ = srv.Close()
		if t.Failed() {
			runs[0].tail(60)
		}
	})
	for _, f := range runs {
		f.start()
	}
	f := runs[0] // for the counts, which read the fake and Redis only

	groups := make([]models.Chat, faultGroups)
	heads := make([]models.User, faultGroups)
	for i := range groups {
		groups[i] = telegramtest.Group(-1000-int64(i), fmt.Sprintf("小区%d群", i))
		heads[i] = models.User{ID: int64(500 + i), FirstName: fmt.Sprintf("站长%d", i)}
		api.Push(telegramtest.Message(groups[i], heads[i], fmt.Sprintf("建站 互助站%d", i)))
	}
	f.waitSent(2*faultGroups, 30*time.Second)

	// Notices due on the first whole minute at least 20 s ahead, by the
	// real clock the processes read.
	due := time.Now().In(calendar.Shanghai).Truncate(time.Minute).Add(time.Minute)
	if time.Until(due) < 20*time.Second {
		due = due.Add(time.Minute)
	}
	for i := range scaleReminders {
		api.Push(telegramtest.Message(groups[i], heads[i], fmt.Sprintf("通知 定时 %s 提醒r%d号 今晚停水", due.Format("2006-01-02 15:04"), i)))
	}
	residents := make([]models.User, faultMessages)
	for i := range residents {
		residents[i] = models.User{ID: int64(100000 + i), FirstName: fmt.Sprintf("m%d", i)}
		api.Push(telegramtest.Message(groups[i%faultGroups], residents[i], fmt.Sprintf("登记 5栋%d m%d", 101+i, i)))
	}
	killAt := faultMessages / 3
	f.waitAnswered(killAt, 90*time.Second)
	before := f.count(residents, groups)
	victim := runs[1]
	victim.stop(syscall.SIGKILL)
	killed := time.Now()
	t.Logf("SIGKILL to one of %d processes after %d of %d replies (%d duplicated so far); notices due at %s, %v after the kill",
		scaleInstances, before.answered, faultMessages, before.duplicated, due.Format("15:04:05"), time.Until(due).Round(time.Second))

	reminders := func() (got, dup int) {
		seen := map[string]int{}
		for _, m := range api.Sent() {
			if sm := reminderMark.FindStringSubmatch(m.Text); sm != nil {
				seen[sm[1]]++
			}
		}
		for _, n := range seen {
			dup += n - 1
		}
		return len(seen), dup
	}
	// A notice the killed instance had claimed just before it died goes
	// out once its claim runs out: wait for that too, whenever it fell due.
	deadline := time.Now().Add(faultWait)
	if d := due.Add(faultLease + 15*time.Second); d.After(deadline) {
		deadline = d
	}
	progress, last := time.Now(), 0
	var c faultCount
	for {
		c = f.count(residents, groups)
		if c.answered != last {
			progress, last = time.Now(), c.answered
		}
		got, _ := reminders()
		remindersDone := got == scaleReminders || time.Now().After(due.Add(faultLease+15*time.Second))
		settled := time.Since(killed) > faultLease && time.Since(progress) > 5*time.Second && f.queued() == 0
		if remindersDone && (c.answered == faultMessages || settled) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // late duplicates
	c = f.count(residents, groups)
	got, dup := reminders()
	t.Logf("webhook, %d processes, SIGKILL to one: %d messages: %d written, %d answered, %d duplicated replies, %d written but unanswered, %d lost; %d of %d notices delivered, %d duplicated; done %v after the kill",
		scaleInstances, faultMessages, c.written, c.answered, c.duplicated, c.unanswered, c.lost, got, scaleReminders, dup, time.Since(killed).Round(time.Second))
	for _, name := range c.dupNames {
		t.Logf("answered more than once: %s", name)
	}
	if c.lost > 0 || c.unanswered > 0 {
		t.Errorf("%d messages never written nor answered, %d written but never answered; want none", c.lost, c.unanswered)
	}
	if got != scaleReminders {
		t.Errorf("%d of %d scheduled notices delivered; want all", got, scaleReminders)
	}
}
