package handlers

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
)

func TestParsePollForm(t *testing.T) {
	tomorrow8pm := time.Date(2026, 11, 26, 20, 0, 0, 0, calendar.Shanghai)
	tests := []struct {
		in           string
		question     string
		options      []string
		deadline     time.Time
		perHousehold bool
		err          string
	}{
		{"颜色 | 深灰 | 古铜", "颜色", []string{"深灰", "古铜"}, time.Time{}, false, ""},
		{bot.Normalize("颜色｜深灰｜古铜 截止 明天 20:00 每户一票"), "颜色", []string{"深灰", "古铜"}, tomorrow8pm, true, ""},
		{"颜色 | 深灰 | 古铜 | 截止 明天 20:00 | 每户一票", "颜色", []string{"深灰", "古铜"}, tomorrow8pm, true, ""},
		{"每户一票 颜色 | 深灰 | 古铜 截止明天20:00", "颜色", []string{"深灰", "古铜"}, tomorrow8pm, true, ""},
		{"Door colour? | grey | bronze until tomorrow 20:00 per household", "Door colour?", []string{"grey", "bronze"}, tomorrow8pm, true, ""},
		{"Door colour? | grey | dark green per person", "Door colour?", []string{"grey", "dark green"}, time.Time{}, false, ""},
		{"只有问题", "", nil, time.Time{}, false, "poll_needs_options"},
		{"颜色 | 深灰", "", nil, time.Time{}, false, "poll_needs_options"},
		{"| 深灰 | 古铜", "", nil, time.Time{}, false, "poll_needs_question"},
		{"颜色 | 深灰 | | 古铜", "", nil, time.Time{}, false, "poll_empty_option"},
		{"颜色 | 深灰 | 深灰", "", nil, time.Time{}, false, "poll_option_twice"},
		{"颜色 | 深灰 | 古铜 截止 昨天 20:00", "", nil, time.Time{}, false, "date"},
		{"颜色 | 深灰 | 古铜 截止 明天", "", nil, time.Time{}, false, "date"},
		{"颜色 | 深灰 | 古铜 截止 明天 20:00 截止 后天 20:00", "", nil, time.Time{}, false, "poll_deadline_twice"},
		{"颜色 | 深灰 | 古铜 截止 明天 20:00 好吗", "", nil, time.Time{}, false, "poll_bad_deadline"},
		{"颜色 | a | b | c | d | e | f | g | h | i | j | k", "", nil, time.Time{}, false, "poll_too_many_options"},
		{"颜色 | " + strings.Repeat("灰", 31) + " | 古铜", "", nil, time.Time{}, false, "poll_option_too_long"},
	}
	for _, tt := range tests {
		got, err := parsePollForm(tt.in, parseNow)
		if key := replyKey(err); key != tt.err {
			t.Errorf("parsePollForm(%q) error %q; want %q", tt.in, key, tt.err)
			continue
		}
		if tt.err == "" && (got.Question != tt.question || !slices.Equal(got.Options, tt.options) ||
			!got.Deadline.Equal(tt.deadline) || got.PerHousehold != tt.perHousehold) {
			t.Errorf("parsePollForm(%q) = %+v", tt.in, got)
		}
	}
}

func FuzzParsePollForm(f *testing.F) {
	f.Add("颜色 | 深灰 | 古铜 截止 明天 20:00 每户一票")
	f.Add("Door? | a | b | until fri 8pm | per household")
	f.Add("||||")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parsePollForm(bot.Normalize(s), parseNow)
		if err != nil {
			if k := replyKey(err); k == "" || strings.HasPrefix(k, "other") {
				t.Fatalf("parsePollForm(%q): error %v is no reply", s, err)
			}
			return
		}
		if got.Question == "" || len(got.Options) < 2 || len(got.Options) > maxPollOptions {
			t.Fatalf("parsePollForm(%q) = %+v", s, got)
		}
		for _, o := range got.Options {
			if o == "" || strings.Contains(o, "|") || utf8.RuneCountInString(o) > maxPollOptionRunes {
				t.Fatalf("parsePollForm(%q) option %q", s, o)
			}
		}
		if !got.Deadline.IsZero() && !got.Deadline.After(parseNow) {
			t.Fatalf("parsePollForm(%q) deadline %v not ahead", s, got.Deadline)
		}
	})
}

func TestMatchOption(t *testing.T) {
	options := []string{"深灰", "古铜", "墨绿", "Dark Green"}
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"深灰", 0, true}, {"2", 1, true}, {"第3", 2, true}, {"二", 1, true}, {"B", 1, true}, {"c", 2, true},
		{"dark green", 3, true}, {"古", 1, true}, {"green", 3, true}, {"5", 0, false}, {"0", 0, false},
		{"红", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		got, ok := matchOption(options, tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("matchOption(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	// A part of the text that fits two options is no choice.
	if _, ok := matchOption([]string{"东门口", "西门口"}, "门口"); ok {
		t.Error("ambiguous part matched")
	}
}

func FuzzVote(f *testing.F) {
	for _, s := range []string{"1 2", "1 古铜", "古铜", "#3 B", "1", "第1 第2个", "", "票3 B", "P3 2"} {
		f.Add(s)
	}
	options := []string{"深灰", "古铜", "墨绿"}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseVoteArgs(bot.Normalize(s))
		if err != nil {
			if replyKey(err) != "poll_needs_option" {
				t.Fatalf("parseVoteArgs(%q): %v", s, err)
			}
			return
		}
		if v.Option == "" || v.N < 0 {
			t.Fatalf("parseVoteArgs(%q) = %+v", s, v)
		}
		if i, ok := matchOption(options, v.Option); ok && (i < 0 || i >= len(options)) {
			t.Fatalf("matchOption(%q) = %d", v.Option, i)
		}
	})
}
