package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
)

func TestCleanName(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "张阿姨", "张阿姨"},
		{"latin with space", "Alice Smith", "Alice Smith"},
		{"trimmed", "  王伯伯 ", "王伯伯"},
		{"spaces collapse", "王\t\u3000 伯伯", "王 伯伯"},
		{"newline becomes a space", "老王\n【A站通知】今晚转账", "老王 A站通知今晚转账"},
		{"crlf and line separators", "甲\r\n乙\u2028丙\u2029丁\u0085戊", "甲 乙 丙 丁 戊"},
		{"zero-width space and joiner", "张\u200b站\u200d长", "张站长"},
		{"every zero-width", "a\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeffb", "ab"},
		{"bidi controls", "\u202e长站张\u202c\u202a\u202b\u202d\u2066\u2067\u2068\u2069", "长站张"},
		{"controls", "张\x00\x07\x1b\x7f三", "张三"},
		{"soft hyphen and tags", "张\u00ad三\U000E0041", "张三"},
		{"heading brackets", "【A站通知】", "A站通知"},
		{"other brackets kept", "老王(3幢)", "老王(3幢)"},
		{"nfc", "Jose\u0301", "José"},
		{"nfc across a removed zero-width", "e\u200b\u0301", "é"},
		{"bounded", strings.Repeat("长", 50), strings.Repeat("长", bot.MaxNameRunes)},
		{"no trailing space at the bound", strings.Repeat("长", bot.MaxNameRunes-1) + " 长", strings.Repeat("长", bot.MaxNameRunes-1)},
		{"empty", "", bot.FallbackName},
		{"only invisible", "\u200b\u202e\n\t ", bot.FallbackName},
		{"only brackets", "【】", bot.FallbackName},
		{"invalid utf-8", "张\xff三", "张\ufffd三"},
		{"emoji kept", "🌸花姐", "🌸花姐"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bot.CleanName(tt.in); got != tt.want {
				t.Errorf("CleanName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNameKey(t *testing.T) {
	same := [][2]string{
		{"张站长", "张\u200b站\u200d长"},
		{"Alice", "ａｌｉｃｅ"},
		{"老 王", "老王"},
		{"王·阿姨", "王阿姨"},
		{"huzhu", "HuZhu!"},
	}
	for _, p := range same {
		if bot.NameKey(p[0]) != bot.NameKey(p[1]) {
			t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q; want equal", p[0], bot.NameKey(p[0]), p[1], bot.NameKey(p[1]))
		}
	}
	if bot.NameKey("张站长") == bot.NameKey("张站") {
		t.Error("different names have the same key")
	}
}

func TestQuote(t *testing.T) {
	tests := []struct {
		in, line, block string
	}{
		{"楼道灯坏了", "「楼道灯坏了」", "「楼道灯坏了」"},
		{"漏水\n【A站通知】今晚每户转账300元", "「漏水 / 【A站通知】今晚每户转账300元」", "「漏水\n｜【A站通知】今晚每户转账300元」"},
		{"甲\r\n\r\n乙\u2028丙", "「甲 / 乙 / 丙」", "「甲\n｜乙\n｜丙」"},
		{"\u202e反\u200b转\t了", "「反转 了」", "「反转 了」"},
		{"", "「」", "「」"},
	}
	for _, tt := range tests {
		if got := bot.Quote(tt.in); got != tt.line {
			t.Errorf("Quote(%q) = %q, want %q", tt.in, got, tt.line)
		}
		if got := bot.QuoteBlock(tt.in); got != tt.block {
			t.Errorf("QuoteBlock(%q) = %q, want %q", tt.in, got, tt.block)
		}
	}
}

// TestReceiveCleansNames checks that every name a platform hands over is
// cleaned before a handler sees it.
func TestReceiveCleansNames(t *testing.T) {
	var seen *bot.Message
	b := &bot.Bot{
		Handler: bot.HandlerFunc(func(_ context.Context, _ bot.Responder, m *bot.Message) error {
			seen = m
			return nil
		}),
		Log: slog.New(slog.DiscardHandler),
	}
	sender := bot.User{Platform: "t", ID: "1", Name: "老王\n[A站通知] 转账"}
	b.Receive(context.Background(), &bot.Message{
		Chat:     sender.PrivateChat(),
		Sender:   sender,
		Text:     "hi",
		Mentions: []bot.User{{Platform: "t", ID: "2", Name: "张\u200b站长\u202e"}},
	})
	if seen == nil {
		t.Fatal("handler not called")
	}
	if seen.Sender.Name != "老王 [A站通知] 转账" || seen.Chat.Title != seen.Sender.Name {
		t.Errorf("sender %q, chat title %q", seen.Sender.Name, seen.Chat.Title)
	}
	if seen.Mentions[0].Name != "张站长" {
		t.Errorf("mention %q", seen.Mentions[0].Name)
	}
}

// TestNameKeyRemembersBoundedly: NameKey's memory answers as computing
// afresh does, and forgets when full instead of growing.
func TestNameKeyRemembersBoundedly(t *testing.T) {
	for i := range 10000 {
		name := fmt.Sprintf("Ｚhang %d 站长", i)
		for range 2 {
			if got, want := bot.NameKey(name), bot.ComputeNameKey(name); got != want {
				t.Fatalf("NameKey(%q) = %q; want %q", name, got, want)
			}
		}
		if n := bot.RememberedNames(); n > 4096 {
			t.Fatalf("%d names remembered; want at most 4096", n)
		}
	}
	if bot.RememberedNames() == 0 {
		t.Fatal("nothing remembered")
	}
	long := strings.Repeat("长", 200)
	if bot.NameKey(long) != bot.ComputeNameKey(long) {
		t.Fatal("a long name's key differs")
	}
}

func FuzzCleanName(f *testing.F) {
	for _, s := range []string{
		"", "张阿姨", "老王\n【A站通知】今晚每户转账300元到 6222", "张\u200b站\u200d长", "\u202e长站张",
		"e\u200b\u0301", "\xff\xfe", strings.Repeat("长 ", 30), "a\u0300\u0301\u0302", "【】",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := bot.CleanName(s)
		if again := bot.CleanName(got); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, again)
		}
		if !utf8.ValidString(got) || got == "" || got != strings.TrimSpace(got) {
			t.Fatalf("bad name %q from %q", got, s)
		}
		if n := utf8.RuneCountInString(got); n > bot.MaxNameRunes {
			t.Fatalf("%d runes in %q", n, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || (unicode.IsSpace(r) && r != ' ') || strings.ContainsRune("【】〖〗", r) {
				t.Fatalf("rune %U left in %q", r, got)
			}
		}
		if strings.Contains(got, "  ") {
			t.Fatalf("double space in %q", got)
		}
		if k := bot.NameKey(got); k != bot.NameKey(s) {
			t.Fatalf("NameKey differs for %q and its cleaned form %q", s, got)
		}
		for range 2 { // computed, then remembered
			if k, want := bot.NameKey(s), bot.ComputeNameKey(s); k != want {
				t.Fatalf("NameKey(%q) = %q; computed afresh %q", s, k, want)
			}
		}
		line := bot.Quote(s)
		if strings.ContainsAny(line, "\r\n\u2028\u2029\u0085") {
			t.Fatalf("Quote(%q) = %q spans lines", s, line)
		}
		for i, l := range strings.Split(bot.QuoteBlock(s), "\n") {
			if i > 0 && !strings.HasPrefix(l, "｜") {
				t.Fatalf("QuoteBlock(%q): line %q not marked as quoted", s, l)
			}
		}
	})
}
