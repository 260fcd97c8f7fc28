package handlers

import (
	"context"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
)

func TestVolunteerHoursAndMoney(t *testing.T) {
	zh := bot.WithLocale(context.Background(), "zh-CN")
	en := bot.WithLocale(context.Background(), "en")
	hours := []struct {
		minutes int64
		zh, en  string
	}{
		{0, "0小时", "0 h"},
		{2, "2分钟", "2 min"},
		{40, "40分钟", "40 min"},
		{60, "1小时", "1 h"},
		{90, "1.5小时", "1.5 h"},
		{100, "1.7小时", "1.7 h"},
		{125, "2.1小时", "2.1 h"},
		{6000, "100小时", "100 h"},
	}
	for _, tt := range hours {
		if got := volunteerHours(zh, tt.minutes); got != tt.zh {
			t.Errorf("volunteerHours(zh, %d) = %q, want %q", tt.minutes, got, tt.zh)
		}
		if got := volunteerHours(en, tt.minutes); got != tt.en {
			t.Errorf("volunteerHours(en, %d) = %q, want %q", tt.minutes, got, tt.en)
		}
	}
	if got := fundMoney(en, 0); got != "¥0" {
		t.Errorf("fundMoney(en, 0) = %q, want ¥0", got)
	}
	if got := fundMoney(zh, 30050); got != "300.50元" {
		t.Errorf("fundMoney(zh, 30050) = %q, want 300.50元", got)
	}
}
