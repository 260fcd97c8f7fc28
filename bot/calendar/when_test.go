package calendar

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// whenTestNow is Tuesday 2026-11-24 10:00 in Shanghai.
var whenTestNow = time.Date(2026, 11, 24, 10, 0, 0, 0, Shanghai)

func whenAt(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, Shanghai)
}

func TestShanghaiLoaded(t *testing.T) {
	if Shanghai == nil {
		t.Fatal("Shanghai is nil")
	}
	if _, off := time.Date(2026, 7, 1, 0, 0, 0, 0, Shanghai).Zone(); off != 8*3600 {
		t.Fatalf("Shanghai offset = %d, want 28800", off)
	}
}

func TestParseWhen(t *testing.T) {
	tests := []struct {
		in   string
		now  time.Time // zero: whenTestNow
		want time.Time
		rest string
	}{
		// Absolute dates.
		{in: "2026-12-01 09:00", want: whenAt(2026, 12, 1, 9, 0)},
		{in: "2026/12/1 9:00", want: whenAt(2026, 12, 1, 9, 0)},
		{in: "2026.12.1 19:30", want: whenAt(2026, 12, 1, 19, 30)},
		{in: "2026-12-01T09:00 活动室", want: whenAt(2026, 12, 1, 9, 0), rest: "活动室"},
		{in: "20261201 下午3点", want: whenAt(2026, 12, 1, 15, 0)},
		{in: "2026年12月1日 19点", want: whenAt(2026, 12, 1, 19, 0)},
		{in: "二〇二六年十二月一日 晚上七点", want: whenAt(2026, 12, 1, 19, 0)},
		{in: "12月1日 19点", want: whenAt(2026, 12, 1, 19, 0)},
		{in: "12月1号 09:30", want: whenAt(2026, 12, 1, 9, 30)},
		{in: "十二月一日 上午九点", want: whenAt(2026, 12, 1, 9, 0)},
		{in: "12-01 9:00", want: whenAt(2026, 12, 1, 9, 0)},
		{in: "12/1 19:00 东门", want: whenAt(2026, 12, 1, 19, 0), rest: "东门"},
		{in: "1月5日 9:00", want: whenAt(2027, 1, 5, 9, 0)},
		{in: "11月24日 19:00", want: whenAt(2026, 11, 24, 19, 0)},
		{in: "28号 19:00", want: whenAt(2026, 11, 28, 19, 0)},
		{in: "5号 19:00", want: whenAt(2026, 12, 5, 19, 0)},
		{in: "下个月5号 9:00", want: whenAt(2026, 12, 5, 9, 0)},
		// Relative days.
		{in: "今天 19:00", want: whenAt(2026, 11, 24, 19, 0)},
		{in: "明天 19:00 活动室 讨论安全门", want: whenAt(2026, 11, 25, 19, 0), rest: "活动室 讨论安全门"},
		{in: "明天19:00活动室", want: whenAt(2026, 11, 25, 19, 0), rest: "活动室"},
		{in: "明天，晚上7点，活动室", want: whenAt(2026, 11, 25, 19, 0), rest: "活动室"},
		{in: "后天 下午3点", want: whenAt(2026, 11, 26, 15, 0)},
		{in: "大后天 19:00", want: whenAt(2026, 11, 27, 19, 0)},
		{in: "3天后 19:00", want: whenAt(2026, 11, 27, 19, 0)},
		{in: "今晚 7点", want: whenAt(2026, 11, 24, 19, 0)},
		{in: "今晚7点", want: whenAt(2026, 11, 24, 19, 0)},
		{in: "今晚 9:00", want: whenAt(2026, 11, 24, 21, 0)},
		{in: "今晚12点", want: whenAt(2026, 11, 25, 0, 0)},
		{in: "明早8点", want: whenAt(2026, 11, 25, 8, 0)},
		{in: "明晚八点半", want: whenAt(2026, 11, 25, 20, 30)},
		{in: "明天晚上7点半", want: whenAt(2026, 11, 25, 19, 30)},
		{in: "明天的晚上7点", want: whenAt(2026, 11, 25, 19, 0)},
		{in: "明天凌晨5点", want: whenAt(2026, 11, 25, 5, 0)},
		{in: "明天中午12点", want: whenAt(2026, 11, 25, 12, 0)},
		{in: "明天中午1点", want: whenAt(2026, 11, 25, 13, 0)},
		{in: "明天 3点", want: whenAt(2026, 11, 25, 15, 0)},
		{in: "明天 12点", want: whenAt(2026, 11, 25, 12, 0)},
		{in: "明天 0点", want: whenAt(2026, 11, 25, 0, 0)},
		{in: "tomorrow 7pm", want: whenAt(2026, 11, 25, 19, 0)},
		{in: "tomorrow at 9:00am", want: whenAt(2026, 11, 25, 9, 0)},
		// Weekdays (today is Tuesday).
		{in: "周三 19:00", want: whenAt(2026, 11, 25, 19, 0)},
		{in: "周三晚上7点", want: whenAt(2026, 11, 25, 19, 0)},
		{in: "星期三 19:00", want: whenAt(2026, 11, 25, 19, 0)},
		{in: "礼拜三 19:00", want: whenAt(2026, 11, 25, 19, 0)},
		{in: "周三十九点", want: whenAt(2026, 11, 25, 19, 0)},
		{in: "周三上午十点", want: whenAt(2026, 11, 25, 10, 0)},
		{in: "周一 19:00", want: whenAt(2026, 11, 30, 19, 0)},
		{in: "周日 19:00", want: whenAt(2026, 11, 29, 19, 0)},
		{in: "周天 19:00", want: whenAt(2026, 11, 29, 19, 0)},
		{in: "星期日 19:00", want: whenAt(2026, 11, 29, 19, 0)},
		{in: "星期天 19:00", want: whenAt(2026, 11, 29, 19, 0)},
		{in: "周7 19:00", want: whenAt(2026, 11, 29, 19, 0)},
		{in: "周二 9:00", want: whenAt(2026, 12, 1, 9, 0)},
		{in: "本周三 19:00", want: whenAt(2026, 11, 25, 19, 0)},
		{in: "这周日 19:00", want: whenAt(2026, 11, 29, 19, 0)},
		{in: "下周一 19:00", want: whenAt(2026, 11, 30, 19, 0)},
		{in: "下周三 19:00", want: whenAt(2026, 12, 2, 19, 0)},
		{in: "下个星期三 19:00", want: whenAt(2026, 12, 2, 19, 0)},
		{in: "下下周一 19:00", want: whenAt(2026, 12, 7, 19, 0)},
		{in: "wed 19:00", want: whenAt(2026, 11, 25, 19, 0)},
		{in: "next monday 7pm", want: whenAt(2026, 11, 30, 19, 0)},
		// Clock only: today if ahead, else tomorrow.
		{in: "19:00", want: whenAt(2026, 11, 24, 19, 0)},
		{in: "09:00", want: whenAt(2026, 11, 25, 9, 0)},
		{in: "9:00", want: whenAt(2026, 11, 25, 9, 0)},
		{in: "10:00", want: whenAt(2026, 11, 25, 10, 0)},
		{in: "10:01", want: whenAt(2026, 11, 24, 10, 1)},
		{in: "19点", want: whenAt(2026, 11, 24, 19, 0)},
		{in: "19点30", want: whenAt(2026, 11, 24, 19, 30)},
		{in: "19点30分 开会", want: whenAt(2026, 11, 24, 19, 30), rest: "开会"},
		{in: "19:00:00", want: whenAt(2026, 11, 24, 19, 0)},
		{in: "晚上7点", want: whenAt(2026, 11, 24, 19, 0)},
		{in: "晚上 7 点", want: whenAt(2026, 11, 24, 19, 0)},
		{in: "下午3点", want: whenAt(2026, 11, 24, 15, 0)},
		{in: "上午9点", want: whenAt(2026, 11, 25, 9, 0)},
		{in: "上午11点", want: whenAt(2026, 11, 24, 11, 0)},
		{in: "早上8点", want: whenAt(2026, 11, 25, 8, 0)},
		{in: "早8点", want: whenAt(2026, 11, 25, 8, 0)},
		{in: "中午12点", want: whenAt(2026, 11, 24, 12, 0)},
		{in: "傍晚6点", want: whenAt(2026, 11, 24, 18, 0)},
		{in: "凌晨5点", want: whenAt(2026, 11, 25, 5, 0)},
		{in: "晚上12点", want: whenAt(2026, 11, 25, 0, 0)},
		{in: "3点", want: whenAt(2026, 11, 24, 15, 0)},
		{in: "两点一刻", want: whenAt(2026, 11, 24, 14, 15)},
		{in: "晚上七点一起走", want: whenAt(2026, 11, 24, 19, 0), rest: "一起走"},
		{in: "晚上7点3号楼", want: whenAt(2026, 11, 24, 19, 0), rest: "3号楼"},
		{in: "晚上7点05", want: whenAt(2026, 11, 24, 19, 5)},
		{in: "晚上7点5分", want: whenAt(2026, 11, 24, 19, 5)},
		{in: "十九点", want: whenAt(2026, 11, 24, 19, 0)},
		{in: "十九点三十分", want: whenAt(2026, 11, 24, 19, 30)},
		{in: "9:00am", want: whenAt(2026, 11, 25, 9, 0)},
		{in: "7pm", want: whenAt(2026, 11, 24, 19, 0)},
		{in: "7 PM", want: whenAt(2026, 11, 24, 19, 0)},
		{in: "12am", want: whenAt(2026, 11, 25, 0, 0)},
		{in: "12pm", want: whenAt(2026, 11, 24, 12, 0)},
		// As residents type them.
		{in: "12.11 19:00", want: whenAt(2026, 12, 11, 19, 0)},
		{in: "12.11晚上7点 活动室", want: whenAt(2026, 12, 11, 19, 0), rest: "活动室"},
		{in: "12/11 19:00", want: whenAt(2026, 12, 11, 19, 0)},
		{in: "12月11号 19:00", want: whenAt(2026, 12, 11, 19, 0)},
		{in: "12月11日晚7点", want: whenAt(2026, 12, 11, 19, 0)},
		{in: "十二月十一日晚上七点半", want: whenAt(2026, 12, 11, 19, 30)},
		{in: "下周三晚上7点半", want: whenAt(2026, 12, 2, 19, 30)},
		{in: "周五晚上7点半", want: whenAt(2026, 11, 27, 19, 30)},
		{in: "明早8点", want: whenAt(2026, 11, 25, 8, 0)},
		{in: "后天上午9点", want: whenAt(2026, 11, 26, 9, 0)},
		{in: "廿八日 9:00", want: whenAt(2026, 11, 28, 9, 0)},
		{in: "20 Dec 19:00", want: whenAt(2026, 12, 20, 19, 0)},
		{in: "Dec 20 7pm", want: whenAt(2026, 12, 20, 19, 0)},
		{in: "December 20th, 2026 19:00", want: whenAt(2026, 12, 20, 19, 0)},
		{in: "20 Dec 2026 19:00 meeting", want: whenAt(2026, 12, 20, 19, 0), rest: "meeting"},
		// Forgiving input.
		{in: "  明天　１９：００　活动室 ", want: whenAt(2026, 11, 25, 19, 0), rest: "活动室"},
		{in: "明天 19：00", want: whenAt(2026, 11, 25, 19, 0)},
		// Rollovers.
		{in: "明天 9:00", now: whenAt(2026, 12, 31, 20, 0), want: whenAt(2027, 1, 1, 9, 0)},
		{in: "1月1日 9:00", now: whenAt(2026, 12, 31, 20, 0), want: whenAt(2027, 1, 1, 9, 0)},
		{in: "12月31日 19:00", now: whenAt(2026, 12, 31, 10, 0), want: whenAt(2026, 12, 31, 19, 0)},
		{in: "9:00", now: whenAt(2026, 12, 31, 20, 0), want: whenAt(2027, 1, 1, 9, 0)},
		{in: "今晚12点", now: whenAt(2026, 12, 31, 20, 0), want: whenAt(2027, 1, 1, 0, 0)},
		{in: "后天 19:00", now: whenAt(2026, 11, 30, 10, 0), want: whenAt(2026, 12, 2, 19, 0)},
		{in: "下周一 9:00", now: whenAt(2026, 12, 27, 10, 0), want: whenAt(2026, 12, 28, 9, 0)},
		{in: "下周一 9:00", now: whenAt(2026, 12, 30, 10, 0), want: whenAt(2027, 1, 4, 9, 0)},
		{in: "周五 19:00", now: whenAt(2026, 12, 30, 10, 0), want: whenAt(2027, 1, 1, 19, 0)},
		{in: "2月29日 9:00", now: whenAt(2027, 12, 1, 10, 0), want: whenAt(2028, 2, 29, 9, 0)},
		// now in another zone is read in Shanghai.
		{in: "19:00", now: time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC), want: whenAt(2026, 11, 24, 19, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = whenTestNow
			}
			got, rest, err := ParseWhen(tt.in, now)
			if err != nil {
				t.Fatalf("ParseWhen(%q) error: %v", tt.in, err)
			}
			if !got.Equal(tt.want) || got.Location() != Shanghai {
				t.Errorf("ParseWhen(%q) = %v, want %v in Shanghai", tt.in, got, tt.want)
			}
			if rest != tt.rest {
				t.Errorf("ParseWhen(%q) rest = %q, want %q", tt.in, rest, tt.rest)
			}
		})
	}
}

func TestParseWhenAmbiguous(t *testing.T) {
	tests := []struct {
		in     string
		now    time.Time
		reason string
		want   []time.Time
	}{
		{"明天 8点", whenTestNow, AmbiguityHourAmPm, []time.Time{whenAt(2026, 11, 25, 8, 0), whenAt(2026, 11, 25, 20, 0)}},
		{"2026年12月1日 9点", whenTestNow, AmbiguityHourAmPm, []time.Time{whenAt(2026, 12, 1, 9, 0), whenAt(2026, 12, 1, 21, 0)}},
		{"12月1日 9点", whenTestNow, AmbiguityHourAmPm, []time.Time{whenAt(2026, 12, 1, 9, 0), whenAt(2026, 12, 1, 21, 0)}},
		{"7点半", whenTestNow, AmbiguityHourAmPm, []time.Time{whenAt(2026, 11, 24, 19, 30), whenAt(2026, 11, 25, 7, 30)}},
		{"七点零五分", whenTestNow, AmbiguityHourAmPm, []time.Time{whenAt(2026, 11, 24, 19, 5), whenAt(2026, 11, 25, 7, 5)}},
		{"11点", whenTestNow, AmbiguityHourAmPm, []time.Time{whenAt(2026, 11, 24, 11, 0), whenAt(2026, 11, 24, 23, 0)}},
		{"周二 19:00", whenTestNow, AmbiguityWeekdayToday, []time.Time{whenAt(2026, 11, 24, 19, 0), whenAt(2026, 12, 1, 19, 0)}},
		{"星期二晚上7点", whenTestNow, AmbiguityWeekdayToday, []time.Time{whenAt(2026, 11, 24, 19, 0), whenAt(2026, 12, 1, 19, 0)}},
		{"tue 7pm", whenTestNow, AmbiguityWeekdayToday, []time.Time{whenAt(2026, 11, 24, 19, 0), whenAt(2026, 12, 1, 19, 0)}},
		{"周二 8点", time.Date(2026, 11, 24, 7, 0, 0, 0, Shanghai), AmbiguityHourAmPm, []time.Time{
			whenAt(2026, 11, 24, 8, 0), whenAt(2026, 11, 24, 20, 0), whenAt(2026, 12, 1, 8, 0), whenAt(2026, 12, 1, 20, 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, rest, err := ParseWhen(tt.in, tt.now)
			var amb *AmbiguousTimeError
			if !errors.As(err, &amb) {
				t.Fatalf("ParseWhen(%q) error = %v, want *AmbiguousTimeError", tt.in, err)
			}
			if !errors.Is(err, ErrAmbiguousTime) {
				t.Errorf("errors.Is(%v, ErrAmbiguousTime) = false", err)
			}
			if rest != tt.in {
				t.Errorf("rest on error = %q, want the input", rest)
			}
			if amb.Reason != tt.reason {
				t.Errorf("Reason = %q, want %q", amb.Reason, tt.reason)
			}
			if len(amb.Choices) != len(tt.want) {
				t.Fatalf("Choices = %v, want %v", amb.Choices, tt.want)
			}
			for i := range tt.want {
				if !amb.Choices[i].Equal(tt.want[i]) {
					t.Errorf("Choices[%d] = %v, want %v", i, amb.Choices[i], tt.want[i])
				}
			}
			if amb.Input == "" || !strings.Contains(amb.Error(), amb.Reason) {
				t.Errorf("Input %q, Error() %q", amb.Input, amb.Error())
			}
		})
	}
}

func TestParseWhenErrors(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrNoTime},
		{"   ", ErrNoTime},
		{"活动室 明天 19:00", ErrNoTime},
		{"周末 10点", ErrNoTime},
		{"3-2-301 漏水", ErrNoTime},
		{"1号楼 19:00", ErrNoTime},
		{"2026", ErrNoTime},
		{"12月", ErrNoTime},
		{"明天", ErrNoClock},
		{"后天上午", ErrNoClock},
		{"12.11", ErrNoClock},
		{"19.30 开会", ErrNoTime},
		{"7.45 开会", ErrNoTime},
		{"2.30 开会", ErrNoTime},
		{"12.11.5 开会", ErrNoTime},
		{"20 Dec", ErrNoClock},
		{"30 Feb 19:00", ErrBadTime},
		{"20 Decimals", ErrNoTime},
		{"Mayday 19:00", ErrNoTime},
		{"明天 活动室", ErrNoClock},
		{"今晚", ErrNoClock},
		{"晚上", ErrNoClock},
		{"2026-12-01", ErrNoClock},
		{"12月1日", ErrNoClock},
		{"周三", ErrNoClock},
		{"25:00", ErrBadTime},
		{"明天 25:00", ErrBadTime},
		{"24点", ErrBadTime},
		{"19:60", ErrBadTime},
		{"19:5", ErrBadTime},
		{"7点60分", ErrBadTime},
		{"2月30日 9:00", ErrBadTime},
		{"2027年2月29日 9:00", ErrBadTime},
		{"13月1日 9:00", ErrBadTime},
		{"0月1日 9:00", ErrBadTime},
		{"2026-13-01 09:00", ErrBadTime},
		{"20261301 09:00", ErrBadTime},
		{"11月31日 9:00", ErrBadTime},
		{"31号 19:00", ErrBadTime}, // November has 30 days
		{"周八 19:00", ErrBadTime},
		{"上午19点", ErrBadTime},
		{"下午 25点", ErrBadTime},
		{"13pm", ErrBadTime},
		{"今天 9:00", ErrPastTime},
		{"今天 10:00", ErrPastTime},
		{"本周一 19:00", ErrPastTime},
		{"这周二 9:00", ErrPastTime},
		{"11月20日 19:00", ErrPastTime},
		{"6月1日 19:00", ErrPastTime},
		{"2025-12-01 09:00", ErrPastTime},
		{"昨天 19:00", ErrPastTime},
		{"上周三 19:00", ErrPastTime},
		{"今天凌晨2点", ErrPastTime},
		{"今早8点", ErrPastTime},
		{"2100-01-01 09:00", ErrTooFar},
		{"2100年1月1日 9点", ErrTooFar},
		{"21000101 9:00", ErrTooFar},
		{"2030-01-01 09:00", ErrTooFar},
		{"2029-11-25 00:00", ErrTooFar}, // three years and a day
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, rest, err := ParseWhen(tt.in, whenTestNow)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseWhen(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if tt.want != ErrNoTime && errors.Is(err, ErrNoClock) != (tt.want == ErrNoClock) {
				t.Errorf("ParseWhen(%q) error %v: ErrNoClock mismatch", tt.in, err)
			}
			if rest != tt.in {
				t.Errorf("rest on error = %q, want the input", rest)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, Shanghai) }
	tests := []struct {
		in   string
		now  time.Time
		want time.Time
		rest string
	}{
		{in: "2025-12-10", want: day(2025, 12, 10)},
		{in: "2025.12.10", want: day(2025, 12, 10)},
		{in: "2025/12/10 已打", want: day(2025, 12, 10), rest: "已打"},
		{in: "2025年12月10日", want: day(2025, 12, 10)},
		{in: "20251210", want: day(2025, 12, 10)},
		{in: "去年12月10日", want: day(2025, 12, 10)},
		{in: "今年3月1日", want: day(2026, 3, 1)},
		{in: "明年3月1日", want: day(2027, 3, 1)},
		{in: "12月10日", want: day(2026, 12, 10)},
		{in: "12月24日", want: day(2026, 12, 24)},
		{in: "12月26日", want: day(2025, 12, 26)},
		{in: "12月31日", want: day(2025, 12, 31)},
		{in: "1月5日", want: day(2026, 1, 5)},
		{in: "十二月十日", want: day(2026, 12, 10)},
		{in: "5号", want: day(2026, 11, 5)},
		{in: "28号", want: day(2026, 11, 28)},
		{in: "上个月5号", want: day(2026, 10, 5)},
		{in: "今天", want: day(2026, 11, 24)},
		{in: "today", want: day(2026, 11, 24)},
		{in: "昨天", want: day(2026, 11, 23)},
		{in: "yesterday", want: day(2026, 11, 23)},
		{in: "前天", want: day(2026, 11, 22)},
		{in: "明天 19:00 开会", want: day(2026, 11, 25), rest: "19:00 开会"},
		{in: "今晚", want: day(2026, 11, 24)},
		{in: "周三", want: day(2026, 11, 25)},
		{in: "本周一", want: day(2026, 11, 23)},
		{in: "上周三", want: day(2026, 11, 18)},
		{in: "下周三", want: day(2026, 12, 2)},
		{in: "2026-12-01", want: day(2026, 12, 1)},
		{in: "昨天", now: whenAt(2027, 1, 1, 8, 0), want: day(2026, 12, 31)},
		{in: "12月31日", now: whenAt(2027, 1, 1, 8, 0), want: day(2026, 12, 31)},
		{in: "1月1日", now: whenAt(2026, 12, 31, 8, 0), want: day(2026, 1, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = whenTestNow
			}
			got, rest, err := ParseDate(tt.in, now)
			if err != nil {
				t.Fatalf("ParseDate(%q) error: %v", tt.in, err)
			}
			if !got.Equal(tt.want) || got.Location() != Shanghai {
				t.Errorf("ParseDate(%q) = %v, want %v", tt.in, got, tt.want)
			}
			if rest != tt.rest {
				t.Errorf("ParseDate(%q) rest = %q, want %q", tt.in, rest, tt.rest)
			}
		})
	}
}

func TestParseDateErrors(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrNoTime},
		{"19:00", ErrNoTime},
		{"旺财", ErrNoTime},
		{"2月30日", ErrBadTime},
		{"13月1日", ErrBadTime},
		{"2025-02-29", ErrBadTime},
		{"31号", ErrBadTime},
		{"周八", ErrBadTime},
		{"1899-01-01", ErrBadTime},
		{"周二", ErrAmbiguousTime},
		{"2100-01-01", ErrTooFar},
		{"2999年12月31日", ErrTooFar},
		{"2029-11-25", ErrTooFar},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, _, err := ParseDate(tt.in, whenTestNow)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseDate(%q) error = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

func TestParseFutureDate(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, Shanghai) }
	tests := []struct {
		in   string
		want time.Time
		err  error
	}{
		{in: "12月31日", want: day(2026, 12, 31)},
		{in: "1月15日", want: day(2027, 1, 15)},
		{in: "今天", want: day(2026, 11, 24)},
		{in: "11月24日", want: day(2026, 11, 24)},
		{in: "5号", want: day(2026, 12, 5)},
		{in: "周三", want: day(2026, 11, 25)},
		{in: "下周二", want: day(2026, 12, 1)},
		{in: "11月20日", err: ErrPastTime},
		{in: "昨天", err: ErrPastTime},
		{in: "本周一", err: ErrPastTime},
		{in: "2025-12-31", err: ErrPastTime},
		{in: "周二", err: ErrAmbiguousTime},
		{in: "活动室", err: ErrNoTime},
		{in: "2029-11-24", want: day(2029, 11, 24)},
		{in: "2029-11-25", err: ErrTooFar},
		{in: "2100年1月1日", err: ErrTooFar},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, _, err := ParseFutureDate(tt.in, whenTestNow)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ParseFutureDate(%q) error = %v, want %v", tt.in, err, tt.err)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("ParseFutureDate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseWhenLongAndInvalidInput(t *testing.T) {
	inputs := []string{
		strings.Repeat("明", 5000),
		strings.Repeat("9", 5000),
		"明天 19:00 " + strings.Repeat("讨论", 2500),
		"\xff\xfe明天 19:00",
		"明天 19:00 \xff",
		"😀 明天",
		"明天😀19:00",
		strings.Repeat("十", 100) + "点",
		strings.Repeat(" ", 5000) + "19:00",
	}
	for _, in := range inputs {
		start := time.Now()
		_, _, _ = ParseWhen(in, whenTestNow)
		_, _, _ = ParseDate(in, whenTestNow)
		_, _, _ = ParseFutureDate(in, whenTestNow)
		_, _, _ = ParseRecurrence(in)
		_, _, _ = ParseSlot(in)
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Errorf("parsing %d bytes took %v", len(in), d)
		}
	}
	got, rest, err := ParseWhen("明天 19:00 "+strings.Repeat("讨论", 2500), whenTestNow)
	if err != nil || !got.Equal(whenAt(2026, 11, 25, 19, 0)) || rest != strings.Repeat("讨论", 2500) {
		t.Errorf("long rest: %v %v %d bytes", got, err, len(rest))
	}
}

func TestWhenErrorsQuoteInput(t *testing.T) {
	_, _, err := ParseWhen("明天 25:00 开会", whenTestNow)
	if err == nil || !strings.Contains(err.Error(), "明天 25:00") {
		t.Errorf("error %v does not quote the input", err)
	}
	_, _, err = ParseWhen(strings.Repeat("乱", 1000), whenTestNow)
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("error for long input is %d bytes", len(err.Error()))
	}
}

func whenCheckSuffix(t *testing.T, fn, in, rest string) {
	t.Helper()
	if !strings.HasSuffix(strings.TrimSpace(in), rest) {
		t.Fatalf("%s(%q): rest %q is not a suffix of the input", fn, in, rest)
	}
	if rest != strings.TrimSpace(rest) {
		t.Fatalf("%s(%q): rest %q is not trimmed", fn, in, rest)
	}
}

// whenCheckNotTooFar fails unless got is at most MaxYearsAhead years after
// whenTestNow's day (with a day's slack for 今晚12点 and the like).
func whenCheckNotTooFar(t *testing.T, fn, in string, got time.Time) {
	t.Helper()
	if limit := time.Date(2026+MaxYearsAhead, 11, 26, 0, 0, 0, 0, Shanghai); !got.Before(limit) {
		t.Fatalf("%s(%q) = %v, more than %d years ahead", fn, in, got, MaxYearsAhead)
	}
}

var whenFuzzSeeds = []string{
	"2026-12-01 09:00", "2026/12/1 9:00", "2026年12月1日 9点", "12月1日 9点", "12月1号 09:30", "12-01 9:00",
	"12/1 19:00", "今天", "明天", "后天", "大后天", "今晚 7点", "今晚7点", "明早8点", "明天 19:00",
	"明天晚上7点半", "周三", "星期三", "礼拜三", "周日", "本周三", "下周一", "下下周一", "周三晚上7点",
	"周三 19:00", "19:00", "19点", "19点30", "19点30分", "7点半", "晚上7点", "下午3点", "上午9点",
	"早上8点", "中午12点", "傍晚6点", "凌晨5点", "9:00am", "7pm", "25:00", "2月30日", "13月",
	"20251210", "去年12月10日", "昨天", "前天", "明天 19:00 活动室 讨论安全门", "十九点三十分",
	"二〇二六年十二月一日", "１９：００", "\xff", "😀", "3天后 7点", "下个月5号 9:00", "tomorrow at 7pm",
	"2100-01-01 09:00", "2100年1月1日", "2029-11-24 23:00", "999天后 9点",
	"12.11 19:00", "12.11晚上7点", "20 Dec 19:00", "Dec 20, 2026 7pm", "20th", "19.30", "后天上午", "12月11日晚7点", "廿三日 9点", "幺点",
}

// TestTimeInput: an error says which text it concerns, so that the reply can
// show it; a day with its part and no hour shows both.
func TestTimeInput(t *testing.T) {
	tests := []struct{ in, want string }{
		{"后天上午", "后天上午"},
		{"后天上午 开会", "后天上午"},
		{"明天 活动室", "明天"},
		{"明晚", "明晚"},
		{"周三 8点", "周三 8点"},
		{"12.11.5 开会", "12.11.5 开会"},
		{"", ""},
	}
	for _, tt := range tests {
		_, _, err := ParseWhen(tt.in, whenTestNow)
		if err == nil {
			t.Fatalf("ParseWhen(%q) read a time", tt.in)
		}
		if got := TimeInput(err); got != tt.want {
			t.Errorf("TimeInput(ParseWhen(%q)) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if TimeInput(errors.New("other")) != "" {
		t.Error("TimeInput of an unrelated error is not empty")
	}
}

func FuzzParseWhen(f *testing.F) {
	for _, s := range whenFuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, rest, err := ParseWhen(in, whenTestNow)
		var amb *AmbiguousTimeError
		switch {
		case err == nil:
			if !got.After(whenTestNow) {
				t.Fatalf("ParseWhen(%q) = %v, not after now", in, got)
			}
			if got.Location() != Shanghai || got.Second() != 0 {
				t.Fatalf("ParseWhen(%q) = %v, want whole minutes in Shanghai", in, got)
			}
			whenCheckNotTooFar(t, "ParseWhen", in, got)
			whenCheckSuffix(t, "ParseWhen", in, rest)
		case errors.As(err, &amb):
			if len(amb.Choices) < 2 {
				t.Fatalf("ParseWhen(%q): ambiguity with %d choices", in, len(amb.Choices))
			}
			for i, c := range amb.Choices {
				if !c.After(whenTestNow) || i > 0 && !c.After(amb.Choices[i-1]) {
					t.Fatalf("ParseWhen(%q): choices %v not future and sorted", in, amb.Choices)
				}
			}
		case !errors.Is(err, ErrNoTime) && !errors.Is(err, ErrBadTime) && !errors.Is(err, ErrPastTime) && !errors.Is(err, ErrTooFar):
			t.Fatalf("ParseWhen(%q): unexpected error %v", in, err)
		case strings.TrimSpace(in) != "" && TimeInput(err) == "":
			t.Fatalf("ParseWhen(%q): error %v does not say what it concerns", in, err)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range whenFuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, fn := range []struct {
			name  string
			parse func(string, time.Time) (time.Time, string, error)
		}{{"ParseDate", ParseDate}, {"ParseFutureDate", ParseFutureDate}} {
			got, rest, err := fn.parse(in, whenTestNow)
			if err != nil {
				var amb *AmbiguousTimeError
				if !errors.As(err, &amb) && !errors.Is(err, ErrNoTime) && !errors.Is(err, ErrBadTime) && !errors.Is(err, ErrPastTime) && !errors.Is(err, ErrTooFar) {
					t.Fatalf("%s(%q): unexpected error %v", fn.name, in, err)
				}
				continue
			}
			if got.Location() != Shanghai || got.Hour() != 0 || got.Minute() != 0 || got.Second() != 0 {
				t.Fatalf("%s(%q) = %v, want midnight in Shanghai", fn.name, in, got)
			}
			whenCheckNotTooFar(t, fn.name, in, got)
			if fn.name == "ParseFutureDate" && got.Before(time.Date(2026, 11, 24, 0, 0, 0, 0, Shanghai)) {
				t.Fatalf("%s(%q) = %v, in the past", fn.name, in, got)
			}
			whenCheckSuffix(t, fn.name, in, rest)
		}
	})
}
