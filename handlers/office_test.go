package handlers_test

import (
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

// TestOfficeStepsReachReporterPrivately: every step the office takes on an
// anonymous problem reaches its reporter in their private chat, and no group
// (the office's or the station's) ever reads the reporter's name.
func TestOfficeStepsReachReporterPrivately(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		u := newUXBench(t, b)
		code := regexp.MustCompile(`站码：([A-Z0-9]+)`).FindStringSubmatch(strings.Join(u.whisper(uxHead, "站码"), "\n"))
		if code == nil {
			t.Fatal("no station code")
		}
		inOffice := func(who bot.User, text string) []bot.Outgoing {
			sent, _ := u.serve(&bot.Message{Chat: uxOffice, Sender: who, Text: text})
			return sent
		}
		inOffice(uxHead, "关联 "+code[1]+" 社区")
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
