package bot_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
)

var (
	typingGroup   = bot.Chat{Platform: "console", ID: "g", Kind: bot.Group}
	typingPrivate = bot.Chat{Platform: "console", ID: "u", Kind: bot.Private}
)

// serveTyped serves text in chat through the test router and returns the
// message as the handler (or NotFound) saw it, and whether it was served.
func serveTyped(t testing.TB, r *bot.Router, chat bot.Chat, text string) (bot.Message, bool) {
	t.Helper()
	var seen bot.Message
	served := false
	record := bot.HandlerFunc(func(_ context.Context, _ bot.Responder, m *bot.Message) error {
		seen, served = *m, true
		return nil
	})
	r.NotFound(record) // the commands' own handlers are nop: m.Command tells
	m := &bot.Message{Chat: chat, Text: text}
	if err := r.ServeMessage(context.Background(), nil, m); err != nil {
		t.Fatalf("ServeMessage(%q): %v", text, err)
	}
	if m.Command != "" {
		seen, served = *m, true
	}
	return seen, served
}

// TestRouterInGroup: in a group a line that is not explicit must look like
// its command, or it is chat: not wanted, not served, not answered.
func TestRouterInGroup(t *testing.T) {
	r := newTestRouter()
	for _, tc := range []struct {
		text    string
		command string // "" for chat
		unsure  bool
	}{
		// Ordinary chat with a keyword in it.
		{"通知：明天停水吗？", "", false},
		{"取消，今天不去了", "", false},
		{"同问，我家也漏水", "", false},
		{"+1 我也觉得", "", false},
		{"帮助，谁会修电脑", "", false},
		{"帮助 谁会修一下电脑和打印机呀", "", false},
		{"同问 我家也是", "", false},
		{"清单 太长了, 看不完", "", false},
		{"报事的人多吗", "", false},
		{"报事 是在这里发吗？", "", false},
		{"报事 要怎么写?", "", false},
		{"报事：电梯又坏了？", "report", false},
		{"通知 明天停水?", "", false},

		// Commands as residents type them.
		{"报事楼道灯坏了", "report", false},
		{"报事，楼道灯坏了", "report", false},
		{"报事 楼道灯坏了", "report", false},
		{"报事 3号楼电梯又坏了？", "report", false},
		{"报事 电梯坏了??", "report", false},
		{"同问12", "metoo", false},
		{"同问 #12", "metoo", false},
		{"认捐300", "pledge", false},
		{"认捐 三百元", "pledge", false},
		{"认捐 1 300", "pledge", false},
		{"取消 会议 2", "cancel", false},
		{"取消 班2", "cancel", false},
		{"认捐 筹1 300", "pledge", false},
		{"同问 F2", "metoo", false},
		{"同问 我1个人", "", false},
		{"事项 12 怎么还没修?", "issue", false},
		{"清单", "issues", false},
		{"清单 我的", "issues", false},
		{"帮助 报事", "help", false},
		{"通知 明天上午停水，请提前储水", "notice", false},
		{"本站", "station", false},
		{"建站 阳光站", "station", false},
		{"報事 樓道燈壞了", "report", false},

		// A keyword alone where the command needs more: answered privately.
		{"报事", "report", true},
		{"同问", "metoo", true},
		{"取消", "cancel", true},

		// Explicit lines are always commands.
		{"#同问", "metoo", false},
		{"/metoo abc", "metoo", false},
		{"#帮助 谁会修电脑", "help", false},
	} {
		t.Run(tc.text, func(t *testing.T) {
			m := bot.Message{Chat: typingGroup, Text: tc.text}
			wanted := r.Wants(&m)
			if wanted != (tc.command != "") || m.Command != tc.command {
				t.Errorf("Wants(%q) = %v, command %q; want command %q", tc.text, wanted, m.Command, tc.command)
			}
			seen, served := serveTyped(t, newTestRouter(), typingGroup, tc.text)
			if served != (tc.command != "") || seen.Command != tc.command || seen.Unsure != tc.unsure {
				t.Errorf("served %q: %v, command %q, unsure %v; want command %q, unsure %v",
					tc.text, served, seen.Command, seen.Unsure, tc.command, tc.unsure)
			}
			// The same line privately is always for the bot.
			if _, served := serveTyped(t, newTestRouter(), typingPrivate, tc.text); !served {
				t.Errorf("%q privately was not served", tc.text)
			}
		})
	}
}

// TestRouterRawArgs: handlers parse Args and store RawArgs, the same part
// as the resident typed it.
func TestRouterRawArgs(t *testing.T) {
	for _, tc := range []struct {
		text, args, raw string
	}{
		{"报事：楼道灯坏了，快来？", "楼道灯坏了,快来?", "楼道灯坏了，快来？"},
		{"报事楼道灯坏了！", "楼道灯坏了!", "楼道灯坏了！"},
		{"報事 樓道燈壞了，請儘快", "楼道灯坏了,请尽快", "樓道燈壞了，請儘快"},
		{"建站 阳光站（二期）", "create 阳光站(二期)", "create 阳光站（二期）"},
		{"＃报事　３幢\u200b漏水  很严重", "3幢漏水 很严重", "３幢漏水 很严重"},
		{"/report 第一行\r\n\r\n第二行，完", "第一行\n第二行,完", "第一行\n第二行，完"},
		{"@huzhu 你好？", "你好?", "你好？"},
		{"同问12", "12", "12"},
		{"清单", "", ""},
	} {
		t.Run(tc.text, func(t *testing.T) {
			m, served := serveTyped(t, newTestRouter(), typingPrivate, tc.text)
			if !served || m.Args != tc.args || m.RawArgs != tc.raw {
				t.Errorf("%q: Args %q, RawArgs %q; want %q, %q", tc.text, m.Args, m.RawArgs, tc.args, tc.raw)
			}
		})
	}
}

// TestMessageRaw: a part parsed from Args is shown as typed.
func TestMessageRaw(t *testing.T) {
	m := &bot.Message{Args: "12 已联系物业,明天来修?", RawArgs: "12 已联系物业，明天来修？"}
	_, note, _ := strings.Cut(m.Args, " ")
	for _, tc := range []struct{ part, want string }{
		{note, "已联系物业，明天来修？"},          // cut from Args
		{"已联系物业,明天来修?", "已联系物业，明天来修？"}, // a copy: found as the suffix
		{"已联系物业,", "已联系物业，"},           // a copy: found inside
		{"12", "12"},
		{"不在里面", "不在里面"},
		{"", ""},
	} {
		if got := m.Raw(tc.part); got != tc.want {
			t.Errorf("Raw(%q) = %q; want %q", tc.part, got, tc.want)
		}
	}
	if got := (&bot.Message{Args: "a,b"}).Raw("a,b"); got != "a,b" {
		t.Errorf("Raw without RawArgs = %q; want the part itself", got)
	}
}

// TestRouterNearMiss: a keyword one homophone away is offered corrected,
// never taken, and ordinary chat is not taken for one.
func TestRouterNearMiss(t *testing.T) {
	for _, tc := range []struct {
		text        string
		group, priv string // the suggestion in a group, privately
	}{
		{"抱事 楼道灯坏了", "报事 楼道灯坏了", "报事 楼道灯坏了"},
		{"报是：楼道灯坏了，快来修", "报事 楼道灯坏了，快来修", "报事 楼道灯坏了，快来修"},
		{"认娟300", "认捐 300", "认捐 300"},
		{"认娟 三百", "认捐 三百", "认捐 三百"},
		{"抱事楼道灯坏了", "", "报事 楼道灯坏了"}, // glued: privately only
		{"抱事", "", "报事"},
		{"同文 12", "同问 12", "同问 12"},
		{"同文，我也是", "", ""},
		{"同志们好", "", ""},
		{"报告 一下", "", ""},
		{"抱歉 我来晚了", "", ""},
		// Privately every line is for the bot: a guess beats 没看懂.
		{"报是报了，没人管", "", "报事 报了，没人管"},
		{"今天天气真好", "", ""},
		{"报事 楼道灯坏了", "", ""}, // a command, not a near miss
	} {
		t.Run(tc.text, func(t *testing.T) {
			for _, chat := range []bot.Chat{typingGroup, typingPrivate} {
				want := tc.priv
				if chat.Kind == bot.Group {
					want = tc.group
				}
				m, _ := serveTyped(t, newTestRouter(), chat, tc.text)
				if m.Suggestion != want {
					t.Errorf("%s: suggestion for %q = %q; want %q", chat.Kind, tc.text, m.Suggestion, want)
				}
				w := bot.Message{Chat: chat, Text: tc.text}
				if newTestRouter().Wants(&w) != (want != "" || chat.Kind == bot.Private || w.Command != "") {
					t.Errorf("%s: Wants(%q) does not match the suggestion %q", chat.Kind, tc.text, want)
				}
			}
		})
	}
}

// FuzzRouterTyping: whatever is typed, Args and RawArgs stand rune for
// rune for each other, and a suggestion is itself a command.
func FuzzRouterTyping(f *testing.F) {
	for _, s := range []string{
		"报事楼道灯坏了", "報事 樓道燈壞了，請儘快", "抱事 楼道灯坏了", "认娟300", "同问，我家也漏水",
		"建站 阳光站（二期）", "＃报事　３幢\u200b漏水", "/report a\r\nb", "通知：明天停水吗？", "\xff報",
		"认捐三百", "報", "乾隆 報事", "事项 12?",
	} {
		f.Add(s)
	}
	r := newTestRouter()
	f.Fuzz(func(t *testing.T, text string) {
		for _, chat := range []bot.Chat{typingGroup, typingPrivate} {
			m, _ := serveTyped(t, r, chat, text)
			if m.Command != "" && m.Suggestion != "" {
				t.Errorf("%q: both a command %q and a suggestion %q", text, m.Command, m.Suggestion)
			}
			if m.RawArgs != "" && utf8.RuneCountInString(m.Args) != utf8.RuneCountInString(m.RawArgs) {
				t.Errorf("%q: Args %q and RawArgs %q differ in length", text, m.Args, m.RawArgs)
			}
			if m.Suggestion != "" {
				if cmd, _, _ := r.Match(m.Suggestion); cmd == nil {
					t.Errorf("%q: suggestion %q is no command", text, m.Suggestion)
				}
			}
		}
	})
}

// FuzzMessageRaw: Raw never panics, and a part of Args comes back with as
// many runes as it has.
func FuzzMessageRaw(f *testing.F) {
	f.Add("12 已联系物业,明天来修?", "12 已联系物业，明天来修？", 3, 8)
	f.Add("a", "", 0, 1)
	f.Add("\xff", "ab", 0, 1)
	f.Fuzz(func(t *testing.T, args, raw string, i, j int) {
		m := &bot.Message{Args: args, RawArgs: raw}
		if i < 0 || j < i || j > len(args) {
			i, j = 0, len(args)
		}
		part := args[i:j]
		got := m.Raw(part)
		if utf8.ValidString(part) && utf8.RuneCountInString(got) != utf8.RuneCountInString(part) &&
			utf8.RuneCountInString(raw) == utf8.RuneCountInString(args) {
			t.Errorf("Raw(%q) = %q with Args %q, RawArgs %q", part, got, args, raw)
		}
	})
}
