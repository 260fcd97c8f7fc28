package handlers

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
)

func TestDescribeSlot(t *testing.T) {
	tests := []struct {
		spec   string
		dur    time.Duration
		zh, en string
	}{
		{"0 6 * * *", 2 * time.Hour, "每天 06:00-08:00", "daily 06:00-08:00"},
		{"0 19 * * 2,4", 90 * time.Minute, "每周二、四 19:00-20:30", "every Tue, Thu 19:00-20:30"},
		{"30 7 * * 1-5", time.Hour, "每周一至五 07:30-08:30", "every Mon–Fri 07:30-08:30"},
		{"0 9 * * 0,6", time.Hour, "每周六、日 09:00-10:00", "every Sat, Sun 09:00-10:00"},
		{"0 9 * * 0,5-6", time.Hour, "每周五至日 09:00-10:00", "every Fri–Sun 09:00-10:00"},
		{"0 22 * * *", 8 * time.Hour, "每天 22:00-次日06:00", "daily 22:00-06:00 (next day)"},
		{"0 22 * * *", 2 * time.Hour, "每天 22:00-24:00", "daily 22:00-24:00"},
		{"0 9 1,15 * *", time.Hour, "每月1号、15号 09:00-10:00", "monthly on day 1, 15 09:00-10:00"},
		{"not a spec", time.Hour, "按计划「not a spec」", `on the schedule "not a spec"`},
		{"0 9 31 * *", time.Hour, "每月31号 09:00-10:00（2月、4月、6月、9月、11月没有这一天，跳过）", "monthly on day 31 09:00-10:00 (skipped in February, April, June, September, November, which have no such day)"},
	}
	zh := bot.WithLocale(context.Background(), "zh-CN")
	en := bot.WithLocale(context.Background(), "en")
	for _, tt := range tests {
		sh := &store.Shift{Spec: tt.spec, Duration: tt.dur}
		if got := describeSlot(zh, sh); got != tt.zh {
			t.Errorf("zh %q: %q; want %q", tt.spec, got, tt.zh)
		}
		if got := describeSlot(en, sh); got != tt.en {
			t.Errorf("en %q: %q; want %q", tt.spec, got, tt.en)
		}
	}
}

func TestShiftMinutesAndDays(t *testing.T) {
	zh := bot.WithLocale(context.Background(), "zh-CN")
	en := bot.WithLocale(context.Background(), "en")
	for _, tt := range []struct {
		min    int64
		zh, en string
	}{{0, "0分钟", "0m"}, {35, "35分钟", "35m"}, {60, "1小时", "1h"}, {95, "1小时35分", "1h35m"}, {1020, "17小时", "17h"}} {
		if got := shiftMinutes(zh, tt.min); got != tt.zh {
			t.Errorf("zh %d: %q", tt.min, got)
		}
		if got := shiftMinutes(en, tt.min); got != tt.en {
			t.Errorf("en %d: %q", tt.min, got)
		}
	}
	thu := time.Date(2026, 11, 26, 6, 0, 0, 0, calendar.Shanghai)
	if got := shiftWhen(zh, thu, 2*time.Hour); got != "11月26日（周四）06:00-08:00" {
		t.Errorf("zh when = %q", got)
	}
	if got := shiftWhen(en, thu, 2*time.Hour); got != "Thu 26 Nov 06:00-08:00" {
		t.Errorf("en when = %q", got)
	}
	if got := gapsDigestTime(thu); !got.Equal(time.Date(2026, 11, 25, 10, 0, 0, 0, calendar.Shanghai)) {
		t.Errorf("gapsDigestTime = %v", got)
	}
	if got, want := countOf(en, "shift_n_shifts", 1), "1 shift"; got != want {
		t.Errorf("countOf one = %q", got)
	}
	if got, want := countOf(en, "shift_n_shifts", 3), "3 shifts"; got != want {
		t.Errorf("countOf many = %q", got)
	}
}

func TestShiftRemind(t *testing.T) {
	zh := bot.WithLocale(context.Background(), "zh-CN")
	start := time.Date(2026, 11, 26, 18, 0, 0, 0, calendar.Shanghai)
	for _, tt := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 11, 25, 19, 59, 0, 0, calendar.Shanghai), "shift_remind_both"},
		{time.Date(2026, 11, 25, 20, 0, 0, 0, calendar.Shanghai), "shift_remind_hour"},
		{time.Date(2026, 11, 26, 16, 59, 0, 0, calendar.Shanghai), "shift_remind_hour"},
		{time.Date(2026, 11, 26, 17, 0, 0, 0, calendar.Shanghai), ""},
	} {
		want := ""
		if tt.want != "" {
			want = tr(zh, tt.want)
		}
		if got := shiftRemind(zh, start, tt.now); got != want {
			t.Errorf("at %v: %q; want %q", tt.now, got, want)
		}
	}
}

func TestMatchTeams(t *testing.T) {
	teams := []*store.Team{{ID: 1, Name: "垃圾分类督导队"}, {ID: 2, Name: "文明养犬自助队"}, {ID: 3, Name: "Dog Patrol"}, {ID: 4, Name: "Dog"}}
	tests := []struct {
		word string
		want []int64
	}{
		{"1", []int64{1}},
		{"#2", []int64{2}},
		{"垃圾分类督导队", []int64{1}},
		{"垃圾", []int64{1}},
		{"养犬", []int64{2}},
		{"队", []int64{1, 2}},
		{"dog", []int64{4}}, // an exact name wins over the longer one
		{"patrol", []int64{3}},
		{"DOG PATROL", []int64{3}},
		{"9", nil},
		{"消防", nil},
	}
	for _, tt := range tests {
		var got []int64
		for _, t := range matchTeams(teams, tt.word) {
			got = append(got, t.ID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("matchTeams(%q) = %v; want %v", tt.word, got, tt.want)
		}
	}
	for name, ok := range map[string]bool{"垃圾分类督导队": true, "Dog Patrol": true, "": false, "12": false, "#3": false,
		"队@名": false, strings.Repeat("队", maxNameRunes+1): false} {
		if validTeamName(name) != ok {
			t.Errorf("validTeamName(%q) = %v", name, !ok)
		}
	}
}

func TestCronValues(t *testing.T) {
	got := cronValues("0,2-4,6", 0, 6)
	for d := range 7 {
		if want := d == 0 || d >= 2 && d <= 4 || d == 6; got[d] != want {
			t.Errorf("day %d: %v", d, got[d])
		}
	}
	if got := cronValues("*", 1, 31); len(got) != 31 {
		t.Errorf("* = %d values", len(got))
	}
	if got := cronValues("x,40-50,-", 1, 31); len(got) != 0 {
		t.Errorf("garbage = %v", got)
	}
}

// FuzzMatchTeams checks that any team word finds only teams that exist.
func FuzzMatchTeams(f *testing.F) {
	for _, s := range []string{"1", "垃圾", "dog", "", "#2", "队", "Ｄｏｇ"} {
		f.Add(s)
	}
	teams := []*store.Team{{ID: 1, Name: "垃圾分类督导队"}, {ID: 2, Name: "Dog Patrol"}, {ID: 3, Name: "dog"}}
	f.Fuzz(func(t *testing.T, word string) {
		got := matchTeams(teams, word)
		if len(got) > len(teams) {
			t.Fatalf("matchTeams(%q) = %d teams", word, len(got))
		}
		_ = validTeamName(word)
	})
}
