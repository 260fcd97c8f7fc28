package bot_test

import (
	"context"
	"fmt"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/telegram"
)

func ExampleNewPacer() {
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, time.FixedZone("CST", 8*60*60))
	clock := bot.NewFakeClock(start)
	// The platform's own Sender; here it prints when each message leaves.
	platform := bot.SenderFunc(func(_ context.Context, out bot.Outgoing) error {
		fmt.Printf("+%s %s\n", clock.Now().Sub(start), out.Text)
		return nil
	})
	// Tests move the fake clock instead of waiting; nil sleeps for real.
	sleep := func(_ context.Context, d time.Duration) error {
		clock.Advance(d)
		return nil
	}
	// Two messages a minute per group, as if Telegram's 20 were 2.
	limits := telegram.Limits
	limits.PerChat = 2
	p := bot.NewPacer(platform, limits, clock, sleep)

	station := bot.Chat{Platform: "telegram", ID: "-1001", Kind: bot.Group}
	for _, text := range []string{"停水通知", "值班提醒", "会议提醒"} {
		if err := p.Send(context.Background(), bot.Outgoing{Chat: station, Text: text}); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// +0s 停水通知
	// +0s 值班提醒
	// +1m0s 会议提醒
}
