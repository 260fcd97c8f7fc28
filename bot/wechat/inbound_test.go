package wechat

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/eatmoreapple/openwechat"

	"github.com/huzhu-station/huzhu/bot"
)

func TestCouldSetUpStation(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"建站 阳光站", true},
		{"建站阳光站", true},
		{"/建站 阳光站", true},
		{"＃关联 ABC123", true},
		{"关联：ABC123", true},
		{"@小助手 建站 阳光站", true},
		{"/station create 阳光站", true},
		{"Station LINK abc", true},
		{"station", false},
		{"station code", false},
		{"报事 楼道灯坏了", false},
		{"大家好，我们建站吧", false},
		{"@小助手", false},
		{"", false},
	} {
		if got := CouldSetUpStation(tc.text); got != tc.want {
			t.Errorf("CouldSetUpStation(%q) = %v; want %v", tc.text, got, tc.want)
		}
	}
}

func TestCutBotMention(t *testing.T) {
	names := []string{"互助小助手", "互助"}
	for _, tc := range []struct {
		in, want  string
		addressed bool
	}{
		{"@互助小助手\u2005报事 漏水", "报事 漏水", true},
		{"@互助 帮助", "帮助", true},
		{"@互助小助手", "", true},
		{"@互助站长 你好", "@互助站长 你好", false},
		{"报事 @互助小助手\u2005漏水", "报事 @互助小助手\u2005漏水", false},
	} {
		got, addressed := cutBotMention(tc.in, names)
		if got != tc.want || addressed != tc.addressed {
			t.Errorf("cutBotMention(%q) = %q, %v; want %q, %v", tc.in, got, addressed, tc.want, tc.addressed)
		}
	}
}

func TestMentionedNames(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"任命 @张阿姨\u2005 楼组长", []string{"张阿姨"}},
		{"@3-2-301 张\u2005@李 四\u2005谢谢", []string{"3-2-301 张", "李 四"}},
		{"写信到 a@b.com 或 @王\u2005", []string{"王"}},
		{"@手打的名字 没有结束符", nil},
		{"@@\u2005", nil},
		{"任命@ 00000000\u20050", nil},
	} {
		if got := mentionedNames(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("mentionedNames(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzMentionedNames(f *testing.F) {
	for _, s := range []string{"任命 @张阿姨\u2005 楼组长", "@@\u2005", "a@b@c\u2005\u2005@", "\xff@\u2005", "任命@ 0\u20050"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, n := range mentionedNames(s) {
			if n == "" || strings.Contains(n, "@") || strings.Contains(n, mentionEnd) || !strings.Contains(s, "@"+n) {
				t.Fatalf("mentionedNames(%q) gave %q", s, n)
			}
		}
		text, _ := cutBotMention(s, []string{"互助"})
		if utf8.ValidString(s) && !utf8.ValidString(text) {
			t.Fatalf("cutBotMention(%q) = %q, not UTF-8", s, text)
		}
		_ = CouldSetUpStation(s)
	})
}

func TestSendError(t *testing.T) {
	var ra *bot.RetryAfterError
	if err := sendError(openwechat.Ret(1205)); !errors.As(err, &ra) || !ra.Global || ra.After != tooOftenHold {
		t.Errorf("1205 → %v; want a global RetryAfterError", err)
	}
	if err := sendError(openwechat.Ret(1101)); !errors.Is(err, ErrOffline) {
		t.Errorf("1101 → %v; want ErrOffline", err)
	}
	if err := sendError(nil); err != nil {
		t.Errorf("nil → %v", err)
	}
}

func TestRedact(t *testing.T) {
	base := errors.New(`Get "https://webpush.wx.qq.com/cgi-bin/mmwebwx-bin/synccheck?sid=S&skey=%40crypt_K&uin=1": EOF`)
	err := redact(openwechat.Ret(1101))
	if _, ok := loggedOut(err); !ok {
		t.Errorf("redact hid the ret from errors.As: %v", err)
	}
	got := redact(base).Error()
	if strings.Contains(got, "crypt_K") || strings.Contains(got, "sid=S") || !strings.Contains(got, "webpush.wx.qq.com/cgi-bin/mmwebwx-bin/synccheck") {
		t.Errorf("redact = %q", got)
	}
	if redact(nil) != nil {
		t.Error("redact(nil) != nil")
	}
}
