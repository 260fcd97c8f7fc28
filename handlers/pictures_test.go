package handlers_test

import (
	"bytes"
	"context"
	"image/png"
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

// TestChartPictures checks that where the platform sends photos, 统计, 众筹 N
// and the monthly report carry a chart kept in the store, and that
// without photos they go as text alone, with no chart drawn.
func TestChartPictures(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		for _, photos := range []bool{true, false} {
			t.Run("photos="+strconv.FormatBool(photos), func(t *testing.T) {
				prefix := b.Prefix + strconv.FormatBool(photos) + ":"
				st := store.New(b.Client, store.WithKeyPrefix(prefix))
				clock := bot.NewFakeClock(time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai))
				var mu sync.Mutex
				var sent []bot.Outgoing
				sender := bot.SenderFunc(func(_ context.Context, out bot.Outgoing) error {
					mu.Lock()
					defer mu.Unlock()
					sent = append(sent, out)
					return nil
				})
				sched := scheduler.New(b.Client, sender, clock, nil, scheduler.WithKeyPrefix(prefix))
				deps := handlers.Deps{Store: st, Sender: sender, Clock: clock, Scheduler: sched,
					Log: slog.New(slog.DiscardHandler), RateBurst: 1 << 30}
				if photos {
					deps.Photos = func(platform string) bool { return platform == "console" }
				}
				h := handlers.New(deps).Handler(deps)
				group := bot.Chat{Platform: "console", ID: "pics", Kind: bot.Group}
				head := bot.User{Platform: "console", ID: "head", Name: "张站长"}
				seq := 0
				say := func(text string) bot.Outgoing {
					t.Helper()
					seq++
					m := &bot.Message{ID: "p" + strconv.Itoa(seq), Chat: group, Sender: head, Text: text, Time: clock.Now()}
					mu.Lock()
					before := len(sent)
					mu.Unlock()
					if err := h.ServeMessage(context.Background(), bot.NewResponder(sender, m), m); err != nil {
						t.Fatalf("%s: %v", text, err)
					}
					mu.Lock()
					defer mu.Unlock()
					if len(sent) == before {
						t.Fatalf("%s: no answer", text)
					}
					return sent[len(sent)-1]
				}
				checkImage := func(what string, out bot.Outgoing) {
					t.Helper()
					if !photos {
						if out.Image != "" {
							t.Errorf("%s: a chart (%s) where no platform shows photos", what, out.Image)
						}
						return
					}
					b, err := st.Image(context.Background(), out.Image)
					if err != nil {
						t.Fatalf("%s: chart %q not kept: %v", what, out.Image, err)
					}
					if _, err := png.Decode(bytes.NewReader(b)); err != nil {
						t.Errorf("%s: chart is no PNG: %v", what, err)
					}
				}
				say("建站 图表站")
				say("报事 3幢楼道漏水")
				out := say("统计")
				if !strings.Contains(out.Text, "报事1件") {
					t.Errorf("统计 text: %q", out.Text)
				}
				checkImage("统计", out)
				say("众筹 新建 3幢安全门 目标10200元 每户300元")
				checkImage("众筹 1", say("众筹 1"))

				mu.Lock()
				before := len(sent)
				mu.Unlock()
				clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, calendar.Shanghai))
				if _, err := sched.RunDue(context.Background()); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				var report *bot.Outgoing
				for _, o := range sent[before:] {
					if strings.Contains(o.Text, "【月报】") {
						report = &o
					}
				}
				mu.Unlock()
				if report == nil {
					t.Fatal("no monthly report")
				}
				checkImage("monthly report", *report)
			})
		}
	})
}
