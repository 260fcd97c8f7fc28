package handlers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
)

func TestParseShiftForm(t *testing.T) {
	tests := []struct {
		in     string
		spec   string
		dur    time.Duration
		place  string
		places int
		err    error
	}{
		{"每天 06:00-08:00 1号垃圾点 1人", "0 6 * * *", 2 * time.Hour, "1号垃圾点", 1, nil},
		{"每周二四 19:00-20:30 东门 2人", "0 19 * * 2,4", 90 * time.Minute, "东门", 2, nil},
		{"每天 18:00-20:00 1号垃圾点", "0 18 * * *", 2 * time.Hour, "1号垃圾点", 1, nil},
		{"每天 22:00-06:00 小区各处 两人", "0 22 * * *", 8 * time.Hour, "小区各处", 2, nil},
		{"每天 06:00-08:00 2人 1号垃圾点", "0 6 * * *", 2 * time.Hour, "1号垃圾点", 2, nil},
		{"每天 06:00-08:00 1号垃圾点 3 人", "0 6 * * *", 2 * time.Hour, "1号垃圾点", 3, nil},
		{"每天 06:00-08:00 东门 每班3人", "0 6 * * *", 2 * time.Hour, "东门", 3, nil},
		{"每天 06:00-08:00 老人活动室 1名", "0 6 * * *", 2 * time.Hour, "老人活动室", 1, nil},
		{"每天 06:00-08:00 3号楼 北门 2位", "0 6 * * *", 2 * time.Hour, "3号楼 北门", 2, nil},
		{"每天早上6点到8点 1号垃圾点", "0 6 * * *", 2 * time.Hour, "1号垃圾点", 1, nil},
		{"每周一至五 07:30-08:30 校门口 十人", "30 7 * * 1-5", time.Hour, "校门口", 10, nil},
		{"every tue,thu 19:00-20:30 EastGate 2 people", "0 19 * * 2,4", 90 * time.Minute, "EastGate", 2, nil},
		{"daily 06:00-08:00 Bins1 1 person", "0 6 * * *", 2 * time.Hour, "Bins1", 1, nil},
		{"每天 25:00-26:00 东门", "", 0, "", 0, errShiftClock},
		{"每天 06:00-08:61 东门", "", 0, "", 0, errShiftClock},
		{"每天 08:00-06:00 东门", "", 0, "", 0, errShiftTooLong},
		{"每天 19:00-08:00 东门", "", 0, "", 0, errShiftTooLong},
		{"每天 06:00-06:00 东门", "", 0, "", 0, errShiftWhen},
		{"每天 06:00-08:00", "", 0, "", 0, errShiftNoPlace},
		{"每天 06:00-08:00 2人", "", 0, "", 0, errShiftNoPlace},
		{"每天 06:00-08:00 东门 0人", "", 0, "", 0, errShiftPlaces},
		{"每天 06:00-08:00 东门 -1人", "", 0, "", 0, errShiftPlaces},
		{"每天 06:00-08:00 东门 51人", "", 0, "", 0, errShiftPlaces},
		{"每天 06:00-08:00 东门 1.5人", "", 0, "", 0, errShiftPlaces},
		{"每天 06:00-08:00 " + strings.Repeat("很长的地点", 7), "", 0, "", 0, errShiftPlaceLong},
		{"每天 06:00 东门", "", 0, "", 0, errShiftWhen},
		{"明天 06:00-08:00 东门", "", 0, "", 0, errShiftWhen},
		{"每周八 06:00-08:00 东门", "", 0, "", 0, errShiftWhen},
		{"", "", 0, "", 0, errShiftWhen},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f, err := parseShiftForm(bot.Normalize(tt.in))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Errorf("err = %v; want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if f.slot.Spec != tt.spec || f.slot.Duration != tt.dur || f.place != tt.place || f.places != tt.places {
				t.Errorf("got %q %v %q %d; want %q %v %q %d", f.slot.Spec, f.slot.Duration, f.place, f.places,
					tt.spec, tt.dur, tt.place, tt.places)
			}
		})
	}
}

// FuzzParseShiftForm checks that whatever residents type after 排班 新增
// TEAM either is refused with one of the known reasons or gives a slot the
// rest of the bot can live with: a spec that fires, 0 < duration <= 12h,
// a place of sensible length and 1 to 50 places.
func FuzzParseShiftForm(f *testing.F) {
	for _, s := range []string{
		"每天 06:00-08:00 1号垃圾点 1人", "每周二四 19:00-20:30 东门 2人", "每天 22:00-06:00 小区各处 两人",
		"每天 25:00-26:00 东门", "每天 08:00-06:00 东门 0人", "every tue,thu 19:00-20:30 EastGate 2 people",
		"每月1号、15号 9点到11点 活动室 3名", "每天 06:00-08:00 东门 -1人", "周一至周五 7:30-8:30 校门口 每班十人",
		"每天 06:00-08:00 人 人人 2 人", "",
	} {
		f.Add(s)
	}
	known := []error{errShiftWhen, errShiftClock, errShiftTooLong, errShiftNoPlace, errShiftPlaceLong, errShiftPlaces}
	f.Fuzz(func(t *testing.T, s string) {
		s = bot.Normalize(s)
		got, err := parseShiftForm(s)
		if err != nil {
			for _, k := range known {
				if errors.Is(err, k) {
					return
				}
			}
			t.Fatalf("parseShiftForm(%q): unknown error %v", s, err)
		}
		if got.slot.Duration <= 0 || got.slot.Duration > store.MaxShiftDuration {
			t.Fatalf("parseShiftForm(%q): duration %v", s, got.slot.Duration)
		}
		if _, err := calendar.NextFire(got.slot.Spec, time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai)); err != nil {
			t.Fatalf("parseShiftForm(%q): spec %q does not fire: %v", s, got.slot.Spec, err)
		}
		if got.place == "" || utf8.RuneCountInString(got.place) > maxNameRunes || !utf8.ValidString(got.place) {
			t.Fatalf("parseShiftForm(%q): place %q", s, got.place)
		}
		if got.places < 1 || got.places > maxPlaces {
			t.Fatalf("parseShiftForm(%q): %d places", s, got.places)
		}
		// A slot fires at most once a day, as occurrences are named by day.
		sh := &store.Shift{Spec: got.slot.Spec, Duration: got.slot.Duration}
		first, ok := sh.Next(time.Date(2026, 11, 25, 0, 0, 0, 0, calendar.Shanghai))
		if !ok {
			t.Fatalf("parseShiftForm(%q): no next occurrence", s)
		}
		if second, ok := sh.Next(first); ok && store.DayKey(second) == store.DayKey(first) {
			t.Fatalf("parseShiftForm(%q): %q fires twice on %s", s, got.slot.Spec, store.DayKey(first))
		}
		if d := describeSlot(bot.WithLocale(context.Background(), "zh-CN"), sh); d == "" || d == sh.Spec {
			t.Fatalf("parseShiftForm(%q): spec %q cannot be described", s, sh.Spec)
		}
	})
}

// FuzzParsePlaces checks the word that says how many volunteers a slot
// needs: a number it accepts is within bounds and marked as a count.
func FuzzParsePlaces(f *testing.F) {
	for _, s := range []string{"2人", "两人", "每班3人", "0人", "-1人", "老人", "3people", "1.5人", "人", "五十名", "五十一名"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, isCount, ok := parsePlaces(s)
		if ok && (!isCount || n < 1 || n > maxPlaces) {
			t.Fatalf("parsePlaces(%q) = %d, %v, %v", s, n, isCount, ok)
		}
	})
}
