package handlers_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

var (
	uxOffice = bot.Chat{Platform: "console", ID: "ux-office", Kind: bot.Group, Title: "招宝山社区"}
	uxChen   = bot.User{Platform: "console", ID: "chen", Name: "陈主任"}
)

// linkOffice links the station to the community office group uxOffice.
func (u *uxBench) linkOffice() {
	u.t.Helper()
	code := regexp.MustCompile(`站码：([A-Z0-9]+)`).FindStringSubmatch(strings.Join(u.whisper(uxHead, "站码"), "\n"))
	if code == nil {
		u.t.Fatal("no station code")
	}
	u.serve(&bot.Message{Chat: uxOffice, Sender: uxHead, Text: "关联 " + code[1] + " 社区"})
}

// TestOfficeStepsReachReporterPrivately: every step the office takes on an
// anonymous problem reaches its reporter in their private chat, and no group
// (the office's or the station's) ever reads the reporter's name.
func TestOfficeStepsReachReporterPrivately(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		u := newUXBench(t, b)
		u.linkOffice()
		inOffice := func(who bot.User, text string) []bot.Outgoing {
			sent, _ := u.serve(&bot.Message{Chat: uxOffice, Sender: who, Text: text})
			return sent
		}
		u.whisper(uxWang, "报事 楼上半夜装修")   // private, so anonymous: #1
		u.whisper(uxWang, "报事 楼下饭店油烟太大") // #2
		u.say(uxHead, "上报 1 社区 需要协调")
		u.say(uxHead, "上报 2 社区 需要城管")

		steps := []struct {
			text, reporterSees, groupSees string
		}{
			{"受理 幸福-1", "社区已受理", "已受理"},
			{"进展 幸福-1 已约谈业主", "已约谈业主", "已约谈业主"},
			{"办结 幸福-1 业主保证不再夜里施工", "请评价", "已办结"},
			{"退回 幸福-2 属于物业管理范围", "退回站里", "属于物业管理范围"},
		}
		for _, s := range steps {
			sent := inOffice(uxChen, s.text)
			private, group := 0, 0
			for _, out := range sent {
				if out.Chat.Kind == bot.Group {
					group++
					if strings.Contains(out.Text, uxWang.Name) {
						t.Errorf("%s: group %s reads the reporter's name: %q", s.text, out.Chat.ID, out.Text)
					}
					if out.Chat == uxGroup && !strings.Contains(out.Text, s.groupSees) {
						t.Errorf("%s: the station's group reads %q; want %q in it", s.text, out.Text, s.groupSees)
					}
					continue
				}
				if out.Chat == uxWang.PrivateChat() && strings.Contains(out.Text, s.reporterSees) {
					private++
				}
			}
			if private != 1 || group != 2 {
				t.Errorf("%s: %d private messages to the reporter, %d group messages; want 1 and 2 (office, station): %q",
					s.text, private, group, texts(sent))
			}
		}
		if got := u.say(uxLi, "受理 幸福-1"); len(got) != 0 {
			t.Errorf("an office step typed in the station's group was answered: %q", got)
		}
		one(t, "timeline", u.say(uxHead, "事项 1"), "陈主任（社区）受理", "（社区）进展：「已约谈业主」", "（社区）办结")
		one(t, "office list", texts(inOffice(uxChen, "清单 全部")), "幸福-1", "幸福-2", "已办结", "已退回")
	})
}

// TestOfficeClockFailureServedAgain: an escalation or an office step whose
// deadline clocks cannot be set (the store failing the reminders' writes)
// is not taken and its message is answered with an error, not served; the
// message served again takes the step once.
func TestOfficeClockFailureServedAgain(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		u := newUXBench(t, b)
		u.linkOffice()
		u.whisper(uxWang, "报事 楼上半夜装修")
		fail := &storetest.FailWrites{Key: "officedue"}
		b.Client.AddHook(fail)

		steps := []struct {
			m           *bot.Message
			done, event string
		}{
			{&bot.Message{ID: "clock-1", Chat: uxGroup, Sender: uxHead, Text: "上报 1 社区 需要协调"}, "上报社区", "上报社区"},
			{&bot.Message{ID: "clock-2", Chat: uxOffice, Sender: uxChen, Text: "进展 幸福-1 已约谈业主"}, "已约谈业主", "（社区）进展"},
		}
		for _, s := range steps {
			timeline := func() string { return strings.Join(u.say(uxHead, "事项 1"), "\n") }
			before := strings.Count(timeline(), s.event)
			serve := func() ([]string, error) { return u.serveAsIs(s.m) }
			fail.On.Store(true)
			sent, err := serve()
			fail.On.Store(false)
			if err == nil {
				t.Errorf("%s with the clocks failing: served; want an error, so it is served again", s.m.Text)
			}
			if strings.Contains(strings.Join(sent, "\n"), s.done) {
				t.Errorf("%s with the clocks failing: told %q; want no word of it done", s.m.Text, sent)
			}
			if got := strings.Count(timeline(), s.event); got != before {
				t.Errorf("%s with the clocks failing: the timeline has %d such steps; want %d", s.m.Text, got, before)
			}
			if _, err := serve(); err != nil {
				t.Fatalf("%s served again: %v", s.m.Text, err)
			}
			if got := strings.Count(timeline(), s.event); got != before+1 {
				t.Errorf("%s served again: the timeline has %d such steps; want %d", s.m.Text, got, before+1)
			}
		}
	})
}

// TestStationStepClockFailureServedAgain: a station's own step (受理) whose
// overdue clocks cannot be set is not taken, and is taken once when its
// message is served again.
func TestStationStepClockFailureServedAgain(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		u := newUXBench(t, b)
		u.say(uxWang, "报事 3幢楼道灯坏了")
		fail := &storetest.FailWrites{Key: "overdue:"}
		b.Client.AddHook(fail)
		m := &bot.Message{ID: "accept-1", Chat: uxGroup, Sender: uxHead, Text: "受理 1"}
		accepted := func() int { return strings.Count(strings.Join(u.say(uxHead, "事项 1"), "\n"), " 受理") }
		serve := func() ([]string, error) { return u.serveAsIs(m) }
		fail.On.Store(true)
		sent, err := serve()
		fail.On.Store(false)
		if err == nil || strings.Contains(strings.Join(sent, "\n"), "已受理") {
			t.Errorf("受理 with the clocks failing: err %v, told %q; want an error and no word of it done", err, sent)
		}
		if got := accepted(); got != 0 {
			t.Errorf("受理 with the clocks failing: %d accepted steps; want 0", got)
		}
		if _, err := serve(); err != nil {
			t.Fatalf("受理 served again: %v", err)
		}
		if got := accepted(); got != 1 {
			t.Errorf("受理 served again: %d accepted steps; want 1", got)
		}
	})
}

// serveAsIs serves m as it is (its id kept, so serving it again is a
// redelivery) and returns the texts sent and the handler's error.
func (u *uxBench) serveAsIs(m *bot.Message) ([]string, error) {
	u.mu.Lock()
	n := len(u.sent)
	u.mu.Unlock()
	err := u.handler.ServeMessage(context.Background(), bot.NewResponder(u, m), m)
	u.mu.Lock()
	defer u.mu.Unlock()
	return texts(u.sent[n:]), err
}
