package console_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/console"
)

// Example runs a short transcript: residents speak with "NAME:", privately
// with "NAME>", and directives move the fake clock so a reminder fires.
func Example() {
	clock := bot.NewFakeClock(time.Date(2026, 11, 25, 9, 0, 0, 0, time.FixedZone("CST", 8*60*60)))
	transcript := `// 张阿姨 reports a broken light with a photo
张阿姨: 报事 3幢楼道灯坏了 <photo:deng.jpg>
李师傅> 未缴
:chat 3幢楼栋群
王伟: 投票
:advance 3d
`
	var c *console.Console
	c = console.New(console.Options{
		In: strings.NewReader(transcript), Out: os.Stdout,
		Clock: clock, FakeClock: clock,
		AfterAdvance: func(ctx context.Context, now time.Time) {
			zhang := bot.User{Platform: "console", ID: "张阿姨", Name: "张阿姨"}
			group := bot.Chat{Platform: "console", ID: "group", Kind: bot.Group}
			_ = c.Send(ctx, bot.Outgoing{Chat: group, Text: "#1 已 3 天无人受理，请值班同志跟进。", Mentions: []bot.User{zhang}})
		},
	})
	receiver := bot.ReceiverFunc(func(ctx context.Context, m *bot.Message) {
		r := bot.NewResponder(c, m)
		switch {
		case strings.HasPrefix(m.Text, "报事"):
			_ = r.Reply(ctx, fmt.Sprintf("已登记 #1（%d 张照片）。\n遇到同样问题请回复：同问 1", len(m.Attachments)))
		case m.Text == "未缴":
			_ = r.ReplyPrivately(ctx, "3幢未缴：\n301 王家\n502 赵家")
		case m.Text == "投票":
			_ = r.Reply(ctx, "投票 #1：是否更换物业？回复 投 1 A 或 投 1 B", []bot.Button{{Label: "A 更换", Data: "投 1 A"}, {Label: "B 不换", Data: "投 1 B"}})
		}
	})
	if err := c.Run(context.Background(), receiver); err != nil {
		fmt.Println(err)
	}
	// Output:
	// [group] bot: 已登记 #1（1 张照片）。
	//   遇到同样问题请回复：同问 1
	// [@李师傅] bot: 3幢未缴：
	//   301 王家
	//   502 赵家
	// [3幢楼栋群] bot: 投票 #1：是否更换物业？回复 投 1 A 或 投 1 B
	//   [A 更换] [B 不换]
	// (console) now: 2026-11-28 09:00 周六
	// [group] bot: @张阿姨 #1 已 3 天无人受理，请值班同志跟进。
}
