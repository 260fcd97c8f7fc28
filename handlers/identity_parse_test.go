package handlers

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
)

func TestParseClaimedName(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  error
	}{
		{"王阿姨", "王阿姨", nil},
		{" 王阿姨 ", "王阿姨", nil},
		{"王 阿姨", "王 阿姨", nil},
		{"Alice Smith", "Alice Smith", nil},
		{"老王(3幢)", "老王(3幢)", nil},
		{"张\u200b站\u200d长", "张站长", nil},
		{"[A站通知]", "[A站通知]", nil},
		{"王阿姨 李伯伯 张三", "", errSeveralNames},
		{"王阿姨 李伯伯", "", errSeveralNames},
		{"王阿姨、李伯伯", "", errSeveralNames},
		{"王阿姨,李伯伯", "", errSeveralNames},
		{"王阿姨;李伯伯", "", errSeveralNames},
		{"王阿姨/李伯伯", "", errSeveralNames},
		{strings.Repeat("长", bot.MaxNameRunes), strings.Repeat("长", bot.MaxNameRunes), nil},
		{strings.Repeat("长", bot.MaxNameRunes+1), "", errNameTooLong},
	}
	for _, tt := range tests {
		got, err := parseClaimedName(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("parseClaimedName(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func FuzzParseClaimedName(f *testing.F) {
	for _, s := range []string{"王阿姨", "王阿姨 李伯伯 张三", "王、李", "Alice Smith", "张\u200b站长", "\xff", "", " 、 ", "王 阿姨"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, err := parseClaimedName(s)
		if err != nil {
			if name != "" {
				t.Fatalf("%q: error %v with name %q", s, err, name)
			}
			return
		}
		if name != bot.CleanName(name) || utf8.RuneCountInString(name) > bot.MaxNameRunes {
			t.Fatalf("%q: name %q is not a clean name", s, name)
		}
		if severalNames(name) {
			t.Fatalf("%q: accepted %q, which lists several names", s, name)
		}
	})
}
