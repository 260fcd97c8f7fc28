package handlers

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/scheduler"
)

func TestParseItemRequest(t *testing.T) {
	tests := []struct {
		in    string
		item  string
		count int64
		ok    bool
	}{
		{"牵引绳", "牵引绳", 0, true},
		{"狗绳", "牵引绳", 0, true},
		{"Leash", "牵引绳", 0, true},
		{"清理袋 5", "清理袋", 5, true},
		{"5个清理袋", "清理袋", 5, true},
		{"5 个清理袋", "清理袋", 5, true},
		{"两根牵引绳", "牵引绳", 2, true},
		{"牵引绳 一根", "牵引绳", 1, true},
		{"十只 袋子", "清理袋", 10, true},
		{"bags 5", "清理袋", 5, true},
		{"雨衣 3", "雨衣", 3, true},
		{"５块钱给我", "块钱给我", 5, true},
		{"", "", 0, false},
		{"5", "", 0, false},
		{"牵引绳 夹便器", "", 0, false},
		{"牵引绳 2 3", "", 0, false},
		{"0个牵引绳", "", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseItemRequest(tt.in)
		if ok != tt.ok || ok && (got.Item != tt.item || got.Count != tt.count) {
			t.Errorf("parseItemRequest(%q) = %+v, %v; want %s ×%d, %v", tt.in, got, ok, tt.item, tt.count, tt.ok)
		}
	}
}

func FuzzParseItemRequest(f *testing.F) {
	for _, s := range []string{"牵引绳", "清理袋 5", "5个清理袋", "两根牵引绳", "雨衣 3", "一百零五只袋子", "9999999999999个x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseItemRequest(s)
		if !ok {
			return
		}
		if got.Word == "" || got.Item == "" || got.Count < 0 || strings.ContainsAny(got.Word, " \n") {
			t.Fatalf("parseItemRequest(%q) = %+v", s, got)
		}
		if got.Item != canonicalItem(got.Item) {
			t.Fatalf("parseItemRequest(%q) item %q is not canonical", s, got.Item)
		}
	})
}

// TestLendKeywordsInChat checks that the one-character keywords 借 and 还
// are commands when meant as commands and stay out of ordinary chat.
func TestLendKeywordsInChat(t *testing.T) {
	a := New(Deps{Clock: bot.NewFakeClock(dogNow), Log: slog.New(slog.DiscardHandler),
		Scheduler: scheduler.New(nil, nil, bot.NewFakeClock(dogNow), nil)})
	tests := []struct {
		text  string
		cmd   string // "" for no command
		quiet bool   // a command only in form: chat if the item is unknown
	}{
		{"借 牵引绳", "lend", false},
		{"借牵引绳", "lend", false},
		{"借:清理袋 5", "lend", true},
		{"还 牵引绳", "return", false},
		{"还牵引绳", "return", false},
		{"#借清理袋", "lend", false},
		{"登记犬只 旺财 泰迪 3-2-301", "dog", false},
		{"登记 3-2-301", "bind", false},
		{"打疫苗 旺财", "dog", false},
		{"犬只 到期", "dogs", false},
		{"劝导记录", "incidents", false},
		{"劝导 3幢门口狗没牵绳", "incident", false},
		{"还有人要借牵引绳吗？", "", false},
		{"借了一根绳子", "", false},
		{"还牵引绳了吗", "", false},
		{"还，明天再说吧", "return", true},
		{"借5块钱给我", "lend", true},
	}
	for _, tt := range tests {
		cmd, _, _ := a.Router().Match(tt.text)
		name := ""
		if cmd != nil {
			name = cmd.Name
		}
		if name != tt.cmd {
			t.Errorf("%q routes to %q; want %q", tt.text, name, tt.cmd)
			continue
		}
		if cmd == nil || (name != "lend" && name != "return") {
			continue
		}
		m := &bot.Message{Text: tt.text, Chat: bot.Chat{Kind: bot.Group}}
		if got := lendWantsQuiet(m); got != tt.quiet {
			t.Errorf("lendWantsQuiet(%q) = %v; want %v", tt.text, got, tt.quiet)
		}
	}
}
