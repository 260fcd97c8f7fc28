package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
)

// nop is a handler that does nothing; the router tests look only at which
// command was chosen.
var nop = bot.HandlerFunc(func(context.Context, bot.Responder, *bot.Message) error { return nil })

// newTestRouter registers a command set shaped like huzhu's own (routes.go):
// slash names, Chinese keywords, aliases standing for a subcommand, and
// keywords that are prefixes of one another.
func newTestRouter() *bot.Router {
	r := bot.NewRouter("huzhu_bot", "huzhu")
	r.Handle("station", []string{"本站", "建站…=create", "关联=link"}, nop)
	r.Handle("report", []string{"报事…", "反映"}, nop).Takes(bot.ArgText)
	r.Handle("issues", []string{"清单", "事项清单", "治理清单"}, nop).Takes(bot.ArgWord)
	r.Handle("issue", []string{"事项", "详情"}, nop).Takes(bot.ArgNumber)
	r.Handle("metoo", []string{"同问", "+1"}, nop).Takes(bot.ArgNumber)
	r.Handle("bind", []string{"登记"}, nop).Takes(bot.ArgText)
	r.Handle("register_dog", []string{"登记犬只…"}, nop)
	r.Handle("help", []string{"start", "帮助", "?"}, nop).Takes(bot.ArgWord)
	r.Handle("notice", []string{"通知"}, nop).Takes(bot.ArgText)
	r.Handle("cancel", []string{"取消"}, nop).Takes(bot.ArgNumber)
	r.Handle("pledge", []string{"认捐…"}, nop).Takes(bot.ArgNumber)
	r.Handle("meeting", []string{"开会", "会议"}, nop)
	r.Handle("checkin", []string{"签到"}, nop).Takes(bot.ArgWord)
	return r
}

func TestRouterMatch(t *testing.T) {
	r := newTestRouter()
	tests := []struct {
		name     string
		text     string
		cmd      string // "" for no command
		args     string
		explicit bool
	}{
		// Slash names.
		{"slash", "/report 楼道漏水", "report", "楼道漏水", true},
		{"slash no args", "/issues", "issues", "", true},
		{"slash upper case", "/REPORT 楼道漏水", "report", "楼道漏水", true},
		{"slash bot suffix", "/report@huzhu_bot x", "report", "x", true},
		{"slash bot suffix no args", "/help@huzhu_bot", "help", "", true},
		{"slash Chinese name", "/报事 楼道漏水", "report", "楼道漏水", true},
		{"slash keyword glued", "/报事楼道漏水", "report", "楼道漏水", true},
		{"slash unknown", "/nosuch x", "", "/nosuch x", true},
		{"full-width slash", "／report x", "report", "x", true},

		// Chinese keywords, with and without a space.
		{"keyword space", "报事 楼道漏水", "report", "楼道漏水", false},
		{"keyword colon", "报事:楼道漏水", "report", "楼道漏水", false},
		{"keyword full-width colon", "报事：楼道漏水", "report", "楼道漏水", false},
		{"keyword alone", "清单", "issues", "", false},
		{"keyword glued digits", "同问12", "metoo", "12", false},
		{"keyword spaced digits", "同问 12", "metoo", "12", false},
		{"keyword full-width digits", "同问１２", "metoo", "12", false},
		{"keyword then hash", "同问#12", "metoo", "#12", false},

		// # and ＃ make a message explicit and let keywords be glued.
		{"hash", "#报事 楼道漏水", "report", "楼道漏水", true},
		{"hash glued", "#报事楼道漏水", "report", "楼道漏水", true},
		{"full-width hash", "＃同问12", "metoo", "12", true},
		{"hash space", "# 同问 12", "metoo", "12", true},
		{"hash no command", "#今天天气", "", "今天天气", true},

		// A leading mention of the bot.
		{"mention", "@huzhu 报事 楼道漏水", "report", "楼道漏水", true},
		{"mention other name", "@huzhu_bot 同问3", "metoo", "3", true},
		{"mention case", "@HuZhu help", "help", "", true},
		{"mention glued", "@huzhu 报事楼道漏水", "report", "楼道漏水", true},
		{"mention no command", "@huzhu 你好", "", "你好", true},
		{"mention of someone else", "@张三 报事 x", "", "@张三 报事 x", false},

		// Aliases that stand for a subcommand.
		{"alias expands", "建站 阳光站", "station", "create 阳光站", false},
		{"alias expands after slash", "/建站 阳光站", "station", "create 阳光站", true},
		{"alias without args", "建站", "station", "create", false},
		{"alias with colon", "关联:ABC123", "station", "link ABC123", false},
		{"plain alias", "本站", "station", "", false},

		// The longest keyword wins.
		{"longest wins", "事项清单", "issues", "", false},
		{"shorter still matches", "事项 3", "issue", "3", false},
		{"longest wins glued", "登记犬只 3-2-301", "register_dog", "3-2-301", false},
		{"shorter keyword", "登记 3-2-301", "bind", "3-2-301", false},

		// ASCII names without a slash.
		{"ascii name", "help", "help", "", false},
		{"ascii alias", "+1 7", "metoo", "7", false},
		{"ascii upper case", "HELP", "help", "", false},
		{"ascii unknown word", "hello there", "", "hello there", false},

		// A distinctive keyword takes Chinese text glued to it.
		{"glued report", "报事楼道灯坏了", "report", "楼道灯坏了", false},
		{"glued report keeps lines", "报事楼道灯坏了\n三楼", "report", "楼道灯坏了\n三楼", false},
		{"glued pledge Chinese numeral", "认捐三百元", "pledge", "三百元", false},
		{"glued pledge digits", "认捐300", "pledge", "300", false},
		{"glued subcommand alias", "建站阳光站", "station", "create 阳光站", false},
		{"glued longest keyword", "登记犬只旺财", "register_dog", "旺财", false},

		// Traditional characters are read as simplified, for parsing.
		{"traditional keyword", "報事 樓道燈壞了", "report", "楼道灯坏了", false},
		{"traditional glued", "認捐300", "pledge", "300", false},
		{"traditional meeting", "開會", "meeting", "", false},
		{"traditional checkin", "簽到", "checkin", "", false},
		{"traditional after hash", "#報事樓道燈壞了", "report", "楼道灯坏了", true},
		{"traditional chat", "今天天氣真好", "", "今天天氣真好", false},

		// A keyword inside ordinary chat is not a command.
		{"keyword then Chinese", "同问一下大家", "", "同问一下大家", false},
		{"keyword then Chinese 2", "报事情况怎么样", "", "报事情况怎么样", false},
		{"glued chat particle", "报事的人多吗", "", "报事的人多吗", false},
		{"glued chat question", "报事有用吗?", "", "报事有用吗?", false},
		{"glued common word", "取消今天的活动", "", "取消今天的活动", false},
		{"glued common word 2", "通知大家一下", "", "通知大家一下", false},
		{"keyword not at start", "我想报事", "", "我想报事", false},
		{"empty", "", "", "", false},
		{"only spaces", "  \u3000 ", "", "", false},
		{"invisible inside keyword", "报\u200b事 x", "report", "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, args, explicit := r.Match(tt.text)
			got := ""
			if cmd != nil {
				got = cmd.Name
			}
			if got != tt.cmd || args != tt.args || explicit != tt.explicit {
				t.Errorf("Match(%q) = %q, %q, %v; want %q, %q, %v",
					tt.text, got, args, explicit, tt.cmd, tt.args, tt.explicit)
			}
		})
	}
}

// served records what the router handed to a handler.
type served struct {
	by   string
	cmd  string
	args string
}

func TestRouterServeMessage(t *testing.T) {
	var got []served
	record := func(by string) bot.Handler {
		return bot.HandlerFunc(func(_ context.Context, _ bot.Responder, m *bot.Message) error {
			got = append(got, served{by: by, cmd: m.Command, args: m.Args})
			return nil
		})
	}
	r := bot.NewRouter("huzhu")
	r.Handle("report", []string{"报事"}, record("report"))
	r.Handle("station", []string{"建站=create"}, record("station"))
	r.NotFound(record("notfound"))

	group := bot.Chat{Platform: "console", ID: "g1", Kind: bot.Group}
	private := bot.Chat{Platform: "console", ID: "u1", Kind: bot.Private}
	tests := []struct {
		name      string
		chat      bot.Chat
		text      string
		addressed bool
		want      []served
	}{
		{"group command", group, "报事 楼道漏水", false, []served{{"report", "report", "楼道漏水"}}},
		{"group alias", group, "建站 阳光站", false, []served{{"station", "station", "create 阳光站"}}},
		{"group chat ignored", group, "大家好", false, nil},
		{"group keyword in sentence ignored", group, "报事情况", false, nil},
		{"group mention no command", group, "@huzhu 你好", false, []served{{"notfound", "", "你好"}}},
		{"group addressed no command", group, "你好", true, []served{{"notfound", "", "你好"}}},
		{"group unknown slash", group, "/nosuch", false, []served{{"notfound", "", "/nosuch"}}},
		{"private no command", private, "你好", false, []served{{"notfound", "", "你好"}}},
		{"private command", private, "/report x", false, []served{{"report", "report", "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			m := &bot.Message{Chat: tt.chat, Text: tt.text, AddressedToBot: tt.addressed}
			if err := r.ServeMessage(context.Background(), nil, m); err != nil {
				t.Fatalf("ServeMessage: %v", err)
			}
			if len(got) != len(tt.want) || (len(got) == 1 && got[0] != tt.want[0]) {
				t.Errorf("ServeMessage(%q) served %+v; want %+v", tt.text, got, tt.want)
			}
		})
	}
}

func TestRouterServeMessageWithoutNotFound(t *testing.T) {
	r := bot.NewRouter()
	r.Handle("report", nil, nop)
	m := &bot.Message{Chat: bot.Chat{Platform: "console", ID: "u1", Kind: bot.Private}, Text: "你好"}
	if err := r.ServeMessage(context.Background(), nil, m); err != nil {
		t.Errorf("ServeMessage with no NotFound handler = %v; want nil", err)
	}
}

func TestRouterHandlePanics(t *testing.T) {
	tests := []struct {
		name     string
		register func(r *bot.Router)
	}{
		{"duplicate name", func(r *bot.Router) {
			r.Handle("report", nil, nop)
			r.Handle("report", nil, nop)
		}},
		{"duplicate name other case", func(r *bot.Router) {
			r.Handle("report", nil, nop)
			r.Handle("REPORT", nil, nop)
		}},
		{"alias clashes with a name", func(r *bot.Router) {
			r.Handle("report", nil, nop)
			r.Handle("issues", []string{"report"}, nop)
		}},
		{"duplicate alias", func(r *bot.Router) {
			r.Handle("report", []string{"报事"}, nop)
			r.Handle("issues", []string{"报事"}, nop)
		}},
		{"duplicate alias with subcommand", func(r *bot.Router) {
			r.Handle("station", []string{"建站=create"}, nop)
			r.Handle("other", []string{"建站=link"}, nop)
		}},
		{"empty name", func(r *bot.Router) { r.Handle("", nil, nop) }},
		{"empty alias", func(r *bot.Router) { r.Handle("report", []string{""}, nop) }},
		{"nil handler", func(r *bot.Router) { r.Handle("report", nil, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Handle did not panic")
				}
			}()
			tt.register(bot.NewRouter())
		})
	}
}

func TestRouterCommands(t *testing.T) {
	r := newTestRouter()
	var names []string
	for _, c := range r.Commands() {
		names = append(names, c.Name)
	}
	want := "bind cancel checkin help issue issues meeting metoo notice pledge register_dog report station"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("Commands() = %s; want %s", got, want)
	}
}

func FuzzRouterMatch(f *testing.F) {
	for _, s := range []string{
		"/report 楼道漏水", "/report@huzhu_bot x", "报事:楼道漏水", "同问12", "＃同问 12",
		"@huzhu 建站 阳光站", "事项清单", "同问一下大家", "报事: :x", "/建站", "#", "@", "/",
		"关联,;:ABC", "+1 ：3", "报事\n第二行", "\xff报事",
	} {
		f.Add(s)
	}
	r := newTestRouter()
	f.Fuzz(func(t *testing.T, text string) {
		cmd, args, _ := r.Match(text)
		if cmd == nil {
			return
		}
		if args != strings.TrimSpace(args) {
			t.Errorf("Match(%q) args %q are not trimmed", text, args)
		}
		if strings.HasPrefix(args, ":") {
			t.Errorf("Match(%q) args %q begin with ':'", text, args)
		}
	})
}

// TestRouterWants: only what the router would serve passes, so ordinary
// chat in a group never reaches the middleware.
func TestRouterWants(t *testing.T) {
	r := newTestRouter()
	group := bot.Chat{Platform: "console", ID: "g", Kind: bot.Group}
	private := bot.Chat{Platform: "console", ID: "u", Kind: bot.Private}
	photo := []bot.Attachment{{Kind: bot.AttachmentPhoto, Ref: "p1"}}
	for _, tc := range []struct {
		name    string
		m       bot.Message
		want    bool
		command string
	}{
		{"plain chat", bot.Message{Chat: group, Text: "今天天气真好"}, false, ""},
		{"a keyword inside a sentence", bot.Message{Chat: group, Text: "报事的人多吗"}, false, ""},
		{"a command", bot.Message{Chat: group, Text: "报事 楼道灯坏了"}, true, "report"},
		{"a slash", bot.Message{Chat: group, Text: "/nosuch"}, true, ""},
		{"a mention of the bot", bot.Message{Chat: group, Text: "@huzhu 你好"}, true, ""},
		{"addressed by the platform", bot.Message{Chat: group, Text: "你好", AddressedToBot: true}, true, ""},
		{"a private chat", bot.Message{Chat: private, Text: "你好"}, true, ""},
		{"a photo after a report", bot.Message{Chat: group, Attachments: photo}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.m
			if got := r.Wants(&m); got != tc.want || m.Command != tc.command {
				t.Errorf("Wants(%q) = %v, command %q; want %v, %q", m.Text, got, m.Command, tc.want, tc.command)
			}
		})
	}
}

// The Router reads a message once for Wants and ServeMessage, and again
// when what it read changed: the text, or a line now addressed to the bot.
func TestRouterReadsAgainWhatChanged(t *testing.T) {
	group := bot.Chat{Platform: "console", ID: "g", Kind: bot.Group}
	var served []string
	record := bot.HandlerFunc(func(_ context.Context, _ bot.Responder, m *bot.Message) error {
		served = append(served, m.Command+" "+m.Args)
		return nil
	})
	r := bot.NewRouter("huzhu")
	r.Handle("report", []string{"报事…"}, record).Takes(bot.ArgText)
	r.Handle("issues", []string{"清单"}, record).Takes(bot.ArgWord)
	r.Handle("issue", []string{"详情"}, record).Takes(bot.ArgNumber)
	m := bot.Message{Chat: group, Text: "报事 楼道灯坏了"}
	if !r.Wants(&m) {
		t.Fatal("Wants = false for a report")
	}
	m.Text = "清单 全部"
	if err := r.ServeMessage(context.Background(), nil, &m); err != nil {
		t.Fatal(err)
	}
	// A keyword followed by what does not fit it is chat in a group;
	// addressed to the bot it is the command.
	m.Text = "详情 看看"
	if r.Wants(&m) {
		t.Fatalf("Wants = true for %q in a group", m.Text)
	}
	m.AddressedToBot = true
	if err := r.ServeMessage(context.Background(), nil, &m); err != nil {
		t.Fatal(err)
	}
	if want := []string{"issues 全部", "issue 看看"}; strings.Join(served, "|") != strings.Join(want, "|") {
		t.Errorf("served %q, want %q", served, want)
	}
}
