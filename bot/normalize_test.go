package bot_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain", "报事 楼道灯坏了", "报事 楼道灯坏了"},
		{"full-width digits and letters", "ＡＢＣ１２３ａｂｃ", "ABC123abc"},
		{"ideographic space", "报事　漏水", "报事 漏水"},
		{"colon comma semicolon", "进展：已联系物业，明天来；", "进展:已联系物业,明天来;"},
		{"exclamation question", "谢谢！什么时候？", "谢谢!什么时候?"},
		{"round brackets", "（急）", "(急)"},
		{"lenticular brackets", "【绿化】树倒了", "[绿化]树倒了"},
		{"full-width square brackets", "［绿化］", "[绿化]"},
		{"hash bar tilde", "＃报事 投票 问题｜甲｜乙 ～", "#报事 投票 问题|甲|乙 ~"},
		{"full-width hyphen anywhere", "－５", "-5"},
		{"em dash between digits", "3—2—301", "3-2-301"},
		{"en dash between digits", "06:00–08:00", "06:00-08:00"},
		{"minus sign between digits", "3−2−301", "3-2-301"},
		{"em dash not between digits", "办结——谢谢", "办结——谢谢"},
		{"em dash after space", "3 —2", "3 —2"},
		{"dash between full-width digits", "３—２", "3-2"},
		{"dash after removed zero-width", "3\u200b—2", "3-2"},
		{"list separator kept", "甲、乙、丙", "甲、乙、丙"},
		{"full stop kept", "好的。", "好的。"},
		{"half-width katakana folded", "ｱｲｳ", "アイウ"},
		{"yen sign", "￥300", "¥300"},
		{"zero-width space removed", "报\u200b事", "报事"},
		{"zero-width non-joiner removed", "报\u200c事", "报事"},
		{"joiner inside word removed", "报\u200d事", "报事"},
		{"byte order mark removed", "\ufeff报事", "报事"},
		{"direction marks removed", "\u200e报事\u200f", "报事"},
		{"controls removed", "报\x00事\x07\x1b\x7f", "报事"},
		{"emoji kept", "谢谢👍🏻🙏", "谢谢👍🏻🙏"},
		{"emoji joiner kept", "👩\u200d💻 👨\u200d👩\u200d👧", "👩\u200d💻 👨\u200d👩\u200d👧"},
		{"emoji with variation selector joiner kept", "🏳\ufe0f\u200d🌈", "🏳\ufe0f\u200d🌈"},
		{"spaces collapse", "报事   楼道 \t 漏水", "报事 楼道 漏水"},
		{"trimmed", "  报事  ", "报事"},
		{"no-break space", "300\u00a0元", "300 元"},
		{"newlines kept", "第一行\n第二行", "第一行\n第二行"},
		{"crlf", "第一行\r\n第二行\r\n", "第一行\n第二行"},
		{"lines trimmed", "  第一行  \n\t第二行 ", "第一行\n第二行"},
		{"empty lines dropped", "第一行\n\n \n\u3000\n第二行", "第一行\n第二行"},
		{"line separator", "甲\u2028乙", "甲\n乙"},
		{"only whitespace", " \t\n\u3000\r\n", ""},
		{"invalid utf-8", "报\xff事", "报\ufffd事"},
		{"command", "＃报事：３幢２单元３０１　漏水！！", "#报事:3幢2单元301 漏水!!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bot.Normalize(tt.in)
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := bot.Normalize(got); again != got {
				t.Errorf("Normalize not idempotent: %q -> %q -> %q", tt.in, got, again)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"", "＃报事：３幢２单元３０１　漏水！！", "3—2—301", "1\u200d—2", "👩\u200d💻",
		"\u200d\u200d", "a\r\n\r\nb", " \t ", "\xff", "1—\u200b—2", "【绿化】、。",
		"ｱ\u200d", "🏳\ufe0f\u200d\u200d🌈", "3\u2028—2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := bot.Normalize(s)
		norm, tidy := bot.NormalizeAligned(s)
		if norm != got || utf8.RuneCountInString(tidy) != utf8.RuneCountInString(norm) {
			t.Fatalf("%q: aligned %q and %q, Normalize %q", s, norm, tidy, got)
		}
		if strings.Count(tidy, "\n") != strings.Count(norm, "\n") || strings.Count(tidy, " ") < strings.Count(norm, " ") {
			t.Fatalf("%q: lines or spaces of %q differ from %q", s, tidy, norm)
		}
		if again := bot.Normalize(got); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, again)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 in %q", got)
		}
		if got != strings.TrimSpace(got) {
			t.Fatalf("not trimmed: %q", got)
		}
		for _, line := range strings.Split(got, "\n") {
			if got != "" && (line == "" || line != strings.TrimSpace(line) || strings.Contains(line, "  ")) {
				t.Fatalf("bad line %q in %q", line, got)
			}
		}
		if strings.ContainsAny(got, "\r\t\u200b\u200c\ufeff\u3000：，（【") {
			t.Fatalf("unfolded rune left in %q", got)
		}
	})
}

// TestIsLatinDigit: the ASCII digits alone, the one test every parser
// shares; other scripts' digits are folded first (Normalize) or refused.
func TestIsLatinDigit(t *testing.T) {
	tests := []struct {
		r    rune
		want bool
	}{
		{'0', true}, {'5', true}, {'9', true},
		{'/', false}, {':', false}, {'a', false},
		{'１', false}, // full-width: Normalize folds it first
		{'٣', false}, // Arabic-Indic three
		{'三', false}, {'①', false},
	}
	for _, tt := range tests {
		if got := bot.IsLatinDigit(tt.r); got != tt.want {
			t.Errorf("IsLatinDigit(%q) = %v; want %v", tt.r, got, tt.want)
		}
	}
	if !bot.IsLatinDigit([]rune(bot.Normalize("１"))[0]) {
		t.Errorf("a full-width digit, normalized, is not a Latin digit")
	}
}
