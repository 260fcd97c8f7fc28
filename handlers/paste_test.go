package handlers_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/handlers"
	"github.com/huzhu-station/huzhu/handlers/privacycheck"
)

var updatePaste = flag.Bool("update", false, "rewrite handlers/testdata/paste from what the texts are now")

// stationLink is the station's page in the texts to paste.
const stationLink = "https://hz.example.org/s/1"

// pasteScript brings a station to a state with something of every kind to
// paste, through the same commands residents and staff type.
var pasteScript = []struct {
	who  bot.User
	text string
}{
	{uxHead, "建站 阳光小区互助站"},
	{uxWang, "登记 3幢1单元101"},
	{uxLi, "登记 3-1-102"},
	{uxLi, "报事 楼道灯坏了，晚上看不见"},
	{uxWang, "报事 3幢门口有积水"},
	{uxHead, "受理 2"},
	// Four days pass: #1 is left untouched.
	{bot.User{}, "advance 96h"},
	{uxHead, "通知 定时 明天 08:00 后天上午停水，请提前储水"},
	{uxHead, "开会 今天 19:00 活动室 停车管理"},
	{uxWang, "参加 会1"},
	{uxHead, "投票 安全门选什么颜色 | 深灰 | 古铜 截止 明天 08:00 每户一票"},
	{uxWang, "投 票1 1"},
	{uxLi, "投 票1 2"},
	{uxHead, "众筹 新建 楼道灯 目标 3000 每户 100 截止 12月20日"},
	{uxWang, "认捐 100"},
	{uxHead, "建队 垃圾分类督导队"},
	{uxHead, "排班 新增 垃圾分类督导队 每天 07:00-08:00 1号垃圾点 2人"},
	{uxWang, "入队 垃圾分类督导队"},
	{uxWang, "报名 班1 明天"},
}

// TestPasteTexts: every text ready to paste, and the day's list, are golden
// files, and each passes the privacy check the transcripts pass.
func TestPasteTexts(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		w := newWebBench(t, b)
		for _, s := range pasteScript {
			if d, ok := strings.CutPrefix(s.text, "advance "); ok && s.who == (bot.User{}) {
				dur, err := time.ParseDuration(d)
				if err != nil {
					t.Fatal(err)
				}
				w.clock.Advance(dur)
				continue
			}
			w.send(uxGroup, s.who, s.text)
		}
		const st = 1
		build := []func() (handlers.Paste, error){
			func() (handlers.Paste, error) { return w.app.NoticeText(ctx, st, 1, stationLink) },
			func() (handlers.Paste, error) {
				return w.app.NewNoticeText(ctx, st, "本周六上午义诊，在活动室", uxHead.Name, stationLink)
			},
			func() (handlers.Paste, error) { return w.app.MeetingText(ctx, st, 1, stationLink) },
			func() (handlers.Paste, error) { return w.app.PollText(ctx, st, 1, stationLink) },
			func() (handlers.Paste, error) { return w.app.PollResultText(ctx, st, 1, stationLink) },
			func() (handlers.Paste, error) { return w.app.FundText(ctx, st, 1, stationLink) },
		}
		var texts []handlers.Paste
		for _, f := range build {
			p, err := f()
			if err != nil {
				t.Fatal(err)
			}
			texts = append(texts, p)
		}
		today, err := w.app.TodayTexts(ctx, st, stationLink)
		if err != nil {
			t.Fatal(err)
		}
		// The monthly report, as on the 1st of December.
		november := w.clock.Now()
		w.clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, november.Location()))
		monthly, err := w.app.MonthlyReportText(ctx, st, november, stationLink)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, monthly)
		people := []string{uxHead.Name, uxWang.Name, uxLi.Name}
		for name, ps := range map[string][]handlers.Paste{"texts": texts, "today": today} {
			var out strings.Builder
			for _, p := range ps {
				if line, leak := privacycheck.Leak(p.Text, people); leak {
					t.Errorf("%s %d ties a person or room to something personal: %q", p.Kind, p.Ref, line)
				}
				if !p.Staff && !strings.Contains(p.Text, stationLink) {
					t.Errorf("%s %d has no station link: %q", p.Kind, p.Ref, p.Text)
				}
				out.WriteString(p.String())
			}
			golden := filepath.Join("testdata", "paste", name+".golden")
			if *updatePaste {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if out.String() != string(want) {
				t.Errorf("%s differs from %s:\ngot:\n%s", name, golden, out.String())
			}
		}
	})
}
