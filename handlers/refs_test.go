package handlers

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/numerals"
)

func TestParseKindRef(t *testing.T) {
	tests := []struct {
		in   string
		kind refKind
		want int64 // 0: refused
	}{
		{"筹2", fundRef, 2},
		{"F2", fundRef, 2},
		{"f2", fundRef, 2},
		{"2", fundRef, 2},
		{"#2", fundRef, 2},
		{"第二", fundRef, 2},
		{"筹二", fundRef, 2},
		{"筹２", fundRef, 2},
		{"票3", pollRef, 3},
		{"P3", pollRef, 3},
		{"会1", meetingRef, 1},
		{"M1", meetingRef, 1},
		{"班4", shiftRef, 4},
		{"S4", shiftRef, 4},
		{" 班4 ", shiftRef, 4},
		{"犬2", dogRef, 2},
		{"D2", dogRef, 2},
		{"#2", dogRef, 2},
		{"劝3", incidentRef, 3},
		{"R3", incidentRef, 3},
		{"犬2", fundRef, 0},
		{"劝3", dogRef, 0},
		{"票3", incidentRef, 0},
		{"票3", fundRef, 0},
		{"F2", pollRef, 0},
		{"会1", shiftRef, 0},
		{"班4", meetingRef, 0},
		{"筹", fundRef, 0},
		{"筹 2", fundRef, 0},
		{"筹0", fundRef, 0},
		{"班表", shiftRef, 0},
		{"Sunday", shiftRef, 0},
		{"F", fundRef, 0},
		{"", fundRef, 0},
	}
	for _, tt := range tests {
		got, err := parseKindRef(tt.in, tt.kind)
		if tt.want == 0 {
			if err == nil || !errors.Is(err, numerals.ErrBadRef) {
				t.Errorf("parseKindRef(%q, %s) = %d, %v; want ErrBadRef", tt.in, tt.kind.zh, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseKindRef(%q, %s) = %d, %v; want %d", tt.in, tt.kind.zh, got, err, tt.want)
		}
	}
}

func FuzzParseKindRef(f *testing.F) {
	for _, s := range []string{"筹2", "F2", "票3", "会1", "班4", "犬2", "劝3", "R3", "#12", "第十二", "S", "班表", "筹 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range markedKinds {
			n, err := parseKindRef(s, k)
			if err != nil {
				if !errors.Is(err, numerals.ErrBadRef) {
					t.Fatalf("parseKindRef(%q, %s): unexpected error %v", s, k.zh, err)
				}
				continue
			}
			if n < 1 || n > 999_999 {
				t.Fatalf("parseKindRef(%q, %s) = %d, out of range", s, k.zh, n)
			}
			// A number read for one kind is refused for every other kind
			// when it carries a mark.
			for _, other := range markedKinds {
				if _, marked := k.cutMark(strings.TrimSpace(bot.Normalize(s))); marked && other != k {
					if _, err := parseKindRef(s, other); err == nil {
						t.Fatalf("parseKindRef(%q) reads as both %s and %s", s, k.zh, other.zh)
					}
				}
			}
		}
	})
}

func TestCutAbout(t *testing.T) {
	tests := []struct {
		in    string
		n     int64
		rest  string
		found bool
		bad   bool
	}{
		{"关于 #12 选哪种款式 | 不锈钢 | 铝合金", 12, "选哪种款式 | 不锈钢 | 铝合金", true, false},
		{"关于#12 安全门", 12, "安全门", true, false},
		{"关于＃12 安全门", 12, "安全门", true, false},
		{"关于 12 周五晚上7点 活动室", 12, "周五晚上7点 活动室", true, false},
		{"关于问题12 安全门", 12, "安全门", true, false},
		{"关于 问题 12 安全门", 12, "安全门", true, false},
		{"关于 第十二 安全门", 12, "安全门", true, false},
		{"关于#12选哪种款式", 12, "选哪种款式", true, false},
		{"关于 #12", 12, "", true, false},
		{"about #3 which door", 3, "which door", true, false},
		{"About problem 3 x", 3, "x", true, false},
		{"关于停车 | 同意 | 反对", 0, "关于停车 | 同意 | 反对", false, false},
		{"关于 12号楼漏水 | 修 | 不修", 0, "关于 12号楼漏水 | 修 | 不修", false, false},
		{"aboutme", 0, "aboutme", false, false},
		{"安全门 关于 #12", 0, "安全门 关于 #12", false, false},
		{"关于 #abc 安全门", 0, "", true, true},
		{"关于问题 安全门", 0, "", true, true},
		{"", 0, "", false, false},
	}
	for _, tt := range tests {
		n, rest, found, err := cutAbout(tt.in)
		if tt.bad {
			if err == nil || !found {
				t.Errorf("cutAbout(%q) = %d, %q, %v, %v; want an error", tt.in, n, rest, found, err)
			}
			continue
		}
		if err != nil || n != tt.n || rest != tt.rest || found != tt.found {
			t.Errorf("cutAbout(%q) = %d, %q, %v, %v; want %d, %q, %v", tt.in, n, rest, found, err, tt.n, tt.rest, tt.found)
		}
	}
}

func FuzzCutAbout(f *testing.F) {
	for _, s := range []string{"关于 #12 选哪种", "关于#12选", "关于问题12", "about #3 x", "关于停车", "关于＃１２ 门"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, rest, found, err := cutAbout(s)
		switch {
		case err != nil:
			if !found || !errors.Is(err, numerals.ErrBadRef) {
				t.Fatalf("cutAbout(%q): error %v with found=%v", s, err, found)
			}
		case !found:
			if rest != s || n != 0 {
				t.Fatalf("cutAbout(%q) changed a line it did not read: %d, %q", s, n, rest)
			}
		default:
			if n < 1 || n > 999_999 {
				t.Fatalf("cutAbout(%q) = %d, out of range", s, n)
			}
			if utf8.RuneCountInString(rest) > utf8.RuneCountInString(s) {
				t.Fatalf("cutAbout(%q) rest %q is longer than the line", s, rest)
			}
		}
	})
}

func TestParseVoteArgsMarked(t *testing.T) {
	tests := []struct {
		in     string
		n      int64
		option string
	}{
		{"票3 不锈钢", 3, "不锈钢"},
		{"P3 2", 3, "2"},
		{"3 A", 3, "A"},
		{"不锈钢", 0, "不锈钢"},
		// Another kind's number is not the poll's: vote() answers it first.
		{"筹3 A", 0, "筹3 A"},
	}
	for _, tt := range tests {
		v, err := parseVoteArgs(tt.in)
		if err != nil || v.N != tt.n || v.Option != tt.option {
			t.Errorf("parseVoteArgs(%q) = %+v, %v; want %d %q", tt.in, v, err, tt.n, tt.option)
		}
	}
}
