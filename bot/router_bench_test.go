package bot_test

import (
	"testing"

	"github.com/huzhu-station/huzhu/bot"
)

// routerBenchLines are what a busy group sends: mostly chat, some
// commands, typed the ways residents type them.
var routerBenchLines = []string{
	"今天天气真好，大家出去走走吧",
	"同问，我家也漏水",
	"报事 3幢2单元楼道漏水，墙皮都泡了",
	"报事楼道灯坏了",
	"同问12",
	"報事 樓道燈壞了",
	"抱事 楼道灯坏了",
	"/report 3栋楼道漏水",
	"哈哈哈😂",
	"@张三 晚上一起跳广场舞吗？",
}

// BenchmarkRouterMatch measures how long the router takes to decide what
// one line is, chat or command, with nothing else in the chain.
func BenchmarkRouterMatch(b *testing.B) {
	r := newTestRouter()
	group := bot.Chat{Platform: "console", ID: "g", Kind: bot.Group}
	for b.Loop() {
		for _, text := range routerBenchLines {
			m := bot.Message{Chat: group, Text: text}
			r.Wants(&m)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(routerBenchLines)), "ns/line")
}
