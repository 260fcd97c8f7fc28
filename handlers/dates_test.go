package handlers

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
)

func TestDatesShowTheYearWhenNotThisOne(t *testing.T) {
	at := func(y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, calendar.Shanghai)
	}
	clock := bot.NewFakeClock(at(2026, 12, 31, 23, 0))
	zh := withClock(bot.WithLocale(context.Background(), "zh-CN"), clock)
	en := withClock(bot.WithLocale(context.Background(), "en"), clock)
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"date this year", formatDate(zh, at(2026, 12, 2, 9, 0)), "12月2日"},
		{"date next year", formatDate(zh, at(2027, 1, 5, 9, 0)), "2027年1月5日"},
		{"date far ahead", formatDate(zh, at(2100, 1, 1, 9, 0)), "2100年1月1日"},
		{"date last year", formatDate(zh, at(2025, 12, 30, 9, 0)), "2025年12月30日"},
		{"en date this year", formatDate(en, at(2026, 12, 2, 9, 0)), "2 Dec"},
		{"en date next year", formatDate(en, at(2027, 1, 5, 9, 0)), "5 Jan 2027"},
		{"weekday this year", formatDateWeekday(zh, at(2026, 12, 2, 9, 0)), "12月2日（周三）"},
		{"weekday next year", formatDateWeekday(zh, at(2027, 1, 5, 9, 0)), "2027年1月5日（周二）"},
		{"en weekday next year", formatDateWeekday(en, at(2027, 1, 5, 9, 0)), "Tue 5 Jan 2027"},
		{"when this year", formatWhen(zh, at(2026, 12, 2, 19, 0)), "12月2日（周三）19:00"},
		{"when next year", formatWhen(zh, at(2027, 1, 1, 0, 30)), "2027年1月1日（周五）00:30"},
		{"en when this year", formatWhen(en, at(2026, 12, 2, 19, 0)), "Wed 2 Dec 19:00"},
		{"en when next year", formatWhen(en, at(2027, 1, 1, 0, 30)), "Fri 1 Jan 2027 00:30"},
		{"short when next year", formatShortWhen(zh, at(2027, 1, 1, 0, 30)), "2027年1月1日 00:30"},
		{"en short when", formatShortWhen(en, at(2026, 11, 25, 9, 0)), "25 Nov 09:00"},
		{"stamp this year", formatStamp(zh, at(2026, 11, 25, 9, 0)), "11-25 09:00"},
		{"stamp last year", formatStamp(zh, at(2025, 11, 25, 9, 0)), "2025-11-25 09:00"},
		// The year is Shanghai's: 16:30 UTC on 31 December is already
		// next year there.
		{"year in Shanghai", formatDate(zh, time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC)), "2027年1月1日"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}

	// The clock decides the current year, not the machine's.
	clock.Set(at(2027, 1, 1, 8, 0))
	if got, want := formatDate(zh, at(2027, 1, 5, 9, 0)), "1月5日"; got != want {
		t.Errorf("after New Year: got %q, want %q", got, want)
	}
	if got, want := formatDate(zh, at(2026, 12, 31, 9, 0)), "2026年12月31日"; got != want {
		t.Errorf("after New Year, last year's day: got %q, want %q", got, want)
	}
}

func TestWhenErrorWordsTheLimits(t *testing.T) {
	ctx := context.Background()
	_, _, err := calendar.ParseWhen("2100-01-01 09:00", time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai))
	var re *replyError
	if !errors.As(whenError(ctx, err, "usage_notice_at"), &re) || re.key != "time_too_far" || re.args["Years"] != calendar.MaxYearsAhead {
		t.Errorf("too far: got %+v", re)
	}
	_, _, err = calendar.ParseRecurrence("* * * * * 喝水")
	if !errors.As(whenError(ctx, err, "usage_notice_every"), &re) || re.key != "recurrence_too_frequent" || re.usage != "usage_notice_every" {
		t.Errorf("too frequent: got %+v", re)
	}
}

func TestDaysBetween(t *testing.T) {
	at := func(d, h int) time.Time { return time.Date(2026, 12, d, h, 0, 0, 0, calendar.Shanghai) }
	for _, tt := range []struct {
		a, b time.Time
		want int
	}{{at(3, 9), at(10, 0), 7}, {at(9, 23), at(10, 0), 1}, {at(10, 9), at(10, 0), 0}, {at(12, 9), at(10, 0), -2}} {
		if got := daysBetween(tt.a, tt.b); got != tt.want {
			t.Errorf("daysBetween(%v, %v) = %d; want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
