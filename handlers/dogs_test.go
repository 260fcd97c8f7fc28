package handlers_test

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/handlers"
	"github.com/huzhu-station/huzhu/scheduler"
)

var (
	dogGroup = bot.Chat{Platform: "console", ID: "dog-group", Kind: bot.Group, Title: "工农小区1群"}
	dogHead  = bot.User{Platform: "console", ID: "head", Name: "张站长"}
	dogWang  = bot.User{Platform: "console", ID: "wang", Name: "王阿姨"}
)

// dogBench drives the full handler chain with a fake clock and remembers
// everything the bot sends.
type dogBench struct {
	t       *testing.T
	handler bot.Handler
	sender  bot.Sender
	sched   *scheduler.Scheduler
	clock   *bot.FakeClock
	mu      sync.Mutex
	sent    []bot.Outgoing
	seq     int
}

func newDogBench(t *testing.T, b storetest.Backend, start time.Time) *dogBench {
	t.Helper()
	d := &dogBench{t: t, clock: bot.NewFakeClock(start)}
	sender := bot.SenderFunc(func(_ context.Context, out bot.Outgoing) error {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.sent = append(d.sent, out)
		return nil
	})
	d.sender = sender
	d.sched = scheduler.New(b.Client, sender, d.clock, nil, scheduler.WithKeyPrefix(b.Prefix))
	deps := handlers.Deps{
		Store:     store.New(b.Client, store.WithKeyPrefix(b.Prefix)),
		Sender:    sender,
		Clock:     d.clock,
		Scheduler: d.sched,
		Log:       slog.New(slog.DiscardHandler),
		RateBurst: 1 << 30,
	}
	d.handler = handlers.New(deps).Handler(deps)
	d.say(dogHead, "建站 工农小区互助站")
	return d
}

// say serves one group message from who and returns what the bot sent.
func (d *dogBench) say(who bot.User, text string) []bot.Outgoing {
	d.t.Helper()
	d.seq++
	m := &bot.Message{ID: "m" + strconv.Itoa(d.seq), Chat: dogGroup, Sender: who, Text: text, Time: d.clock.Now()}
	before := d.count()
	if err := d.handler.ServeMessage(context.Background(), bot.NewResponder(d.sender, m), m); err != nil {
		d.t.Fatalf("%s: %v", text, err)
	}
	return d.since(before)
}

func (d *dogBench) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.sent)
}

func (d *dogBench) since(n int) []bot.Outgoing {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]bot.Outgoing(nil), d.sent[n:]...)
}

// advanceTo moves the clock to t and runs what fell due, returning what was
// sent to people privately (the station's monthly report to its groups is
// not what these tests are about).
func (d *dogBench) advanceTo(t time.Time) []bot.Outgoing {
	d.t.Helper()
	before := d.count()
	d.clock.Set(t)
	if _, err := d.sched.RunDue(context.Background()); err != nil {
		d.t.Fatalf("RunDue at %v: %v", t, err)
	}
	var private []bot.Outgoing
	for _, out := range d.since(before) {
		if out.Chat.Kind == bot.Private {
			private = append(private, out)
		}
	}
	return private
}

// pending returns the times of the pending shot reminders, soonest first.
func (d *dogBench) pending() []string {
	d.t.Helper()
	rems, err := d.sched.Pending(context.Background(), "dogshot:")
	if err != nil {
		d.t.Fatal(err)
	}
	var out []string
	for _, r := range rems {
		out = append(out, r.At.In(calendar.Shanghai).Format("2006-01-02 15:04"))
	}
	return out
}

func sh(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, calendar.Shanghai)
}

// TestDogShotReminders is the case from the issue: a dog registered with a
// rabies shot on 2025-12-10 is reminded on 2026-11-10, 12-03 and 12-09 at
// 09:00, privately, and not any more once its new shot is recorded.
func TestDogShotReminders(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		d := newDogBench(t, b, sh(2026, 11, 1, 9))
		out := d.say(dogWang, "登记犬只 旺财 泰迪 3幢2单元301 疫苗 2025-12-10 绝育 否")
		if len(out) != 2 || out[0].Text != "已登记犬只 犬1「旺财」。" || out[1].Chat.Kind != bot.Private ||
			!strings.Contains(out[1].Text, "3幢2单元301") || !strings.Contains(out[1].Text, "到期前30天、7天、1天") {
			t.Fatalf("registration replied %+v; want the group to read only the dog's number and name, the owner the rest privately", out)
		}
		want := []string{"2026-11-10 09:00", "2026-12-03 09:00", "2026-12-09 09:00"}
		if got := d.pending(); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("pending reminders %v; want %v", got, want)
		}

		// Nothing before its time.
		if out := d.advanceTo(sh(2026, 11, 10, 8)); len(out) != 0 {
			t.Errorf("before 09:00 on 11-10 the bot sent %+v", out)
		}
		for _, step := range []struct {
			at   time.Time
			text string
		}{
			{sh(2026, 11, 10, 9), "还有30天"},
			{sh(2026, 12, 3, 9), "还有7天"},
		} {
			out := d.advanceTo(step.at)
			if len(out) != 1 {
				t.Fatalf("at %v the bot sent %d messages: %+v", step.at, len(out), out)
			}
			if m := out[0]; m.Chat.Kind != bot.Private || m.Chat.ID != dogWang.ID || m.Fallback == nil ||
				m.Fallback.ID != dogGroup.ID || !strings.Contains(m.Text, step.text) || !strings.Contains(m.Text, "2026年12月10日") {
				t.Errorf("at %v: %+v; want a private reminder to 王阿姨 saying %s", step.at, m, step.text)
			}
		}

		// The shot is given on 12-05: the 12-09 reminder is gone and the
		// next ones are a year on.
		d.clock.Set(sh(2026, 12, 5, 15))
		out = d.say(dogWang, "打疫苗 旺财 今天")
		if len(out) != 2 || out[1].Chat.Kind != bot.Private || !strings.Contains(out[1].Text, "2026年12月5日打了狂犬疫苗") || !strings.Contains(out[1].Text, "2027年12月5日到期") {
			t.Fatalf("打疫苗 replied %+v", out)
		}
		want = []string{"2027-11-05 09:00", "2027-11-28 09:00", "2027-12-04 09:00"}
		if got := d.pending(); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("pending reminders after the shot %v; want %v", got, want)
		}
		if out := d.advanceTo(sh(2027, 11, 4, 9)); len(out) != 0 {
			t.Errorf("after the shot the bot sent %+v", out)
		}
		if out := d.advanceTo(sh(2027, 11, 5, 9)); len(out) != 1 || !strings.Contains(out[0].Text, "还有30天") {
			t.Errorf("a year on: %+v; want the 30-day reminder", out)
		}
	})
}

// TestDogShotRemindersCatchUp checks that after downtime a pile of overdue
// reminders speaks once, with the nearest lead, not three times.
func TestDogShotRemindersCatchUp(t *testing.T) {
	d := newDogBench(t, storetest.Miniredis(t), sh(2026, 11, 1, 9))
	d.say(dogWang, "登记犬只 旺财 泰迪 3幢2单元301 疫苗 2025-12-10")
	out := d.advanceTo(sh(2026, 12, 9, 18))
	if len(out) != 1 || !strings.Contains(out[0].Text, "明天") {
		t.Errorf("catching up on 12-09 sent %+v; want only the 1-day reminder", out)
	}
}

// TestDogRegistrationRefusals checks that wrong input is answered with the
// right form and records nothing.
func TestDogRegistrationRefusals(t *testing.T) {
	d := newDogBench(t, storetest.Miniredis(t), sh(2026, 11, 25, 9))
	for _, text := range []string{
		"登记犬只 黑子 拉布拉多 3-2-302 疫苗 2026-11-26",
		"登记犬只 黑子 拉布拉多 3-2-302 疫苗 明天",
		"登记犬只 黑子 拉布拉多 三楼 疫苗 2025-12-20",
		"登记犬只 黑子",
		"登记犬只 黑子 拉布拉多 3-2-302 疫苗 2025-02-30",
	} {
		out := d.say(dogWang, text)
		if len(out) != 1 || !strings.Contains(out[0].Text, "正确格式：登记犬只") {
			t.Errorf("%s: replied %+v; want the right form", text, out)
		}
	}
	if got := d.pending(); len(got) != 0 {
		t.Errorf("refused registrations scheduled %v", got)
	}
	if out := d.say(dogHead, "犬只"); len(out) != 1 || !strings.Contains(out[0].Text, "还没有登记的犬只") {
		t.Errorf("犬只 after refusals: %+v; want an empty registry", out)
	}
}

// TestDogRegisteredToOwnHousehold: someone registered to a household leaves
// the room out and their own is used; the group still reads only the dog's
// number and name, the room goes privately. Someone not registered is asked
// for the room.
func TestDogRegisteredToOwnHousehold(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		d := newDogBench(t, b, sh(2026, 11, 1, 9))
		out := d.say(dogWang, "登记犬只 旺财 柯基 疫苗 2025-12-10")
		if len(out) != 1 || !strings.Contains(out[0].Text, "请写上主人的房号") {
			t.Fatalf("unregistered owner without a room: %+v; want the room asked for", out)
		}
		d.say(dogWang, "登记 八十六幢二单元三零一")
		out = d.say(dogWang, "登记犬只 旺财 柯基 疫苗 2025-12-10")
		if len(out) != 2 || out[0].Text != "已登记犬只 犬1「旺财」。" || strings.Contains(out[0].Text, "86") ||
			out[1].Chat.Kind != bot.Private || !strings.Contains(out[1].Text, "86幢2单元301") {
			t.Fatalf("registered owner without a room: %+v; want the household's room, privately", out)
		}
	})
}
