package handlers

import (
	"context"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
)

// TestDescribeSchedule: a repeating schedule is shown in words, never as a
// cron spec, whether the bot made the spec or the head typed it.
func TestDescribeSchedule(t *testing.T) {
	zh := bot.WithLocale(context.Background(), "zh-CN")
	en := bot.WithLocale(context.Background(), "en")
	tests := []struct{ spec, zh, en string }{
		{"0 19 * * 3", "每周三 19:00", "every Wed 19:00"},
		{"0 9 1 * *", "每月1号 09:00", "monthly on day 1 09:00"},
		{"0 6 * * *", "每天 06:00", "daily 06:00"},
		{"30 8 * * 1-5", "每周一至五 08:30", "every Mon–Fri 08:30"},
		{"0 19 * * 2,4", "每周二、四 19:00", "every Tue, Thu 19:00"},
		{"0 9 1,15 * *", "每月1号、15号 09:00", "monthly on day 1, 15 09:00"},
		{"0 9 5 3 *", "每年3月5号 09:00", "every year on March 5 09:00"},
		{"0 * * * *", "每小时整点", "every hour on the hour"},
		{"30 * * * *", "每小时的第30分", "every hour at :30"},
		{"0 9 31 * *", "每月31号 09:00（2月、4月、6月、9月、11月没有这一天，跳过）",
			"monthly on day 31 09:00 (skipped in February, April, June, September, November, which have no such day)"},
		{"0 9 30 * *", "每月30号 09:00（2月没有这一天，跳过）", ""},
		{"0 9 29 * *", "每月29号 09:00（平年的2月没有29号，跳过）", ""},
		{"0 9 1,31 * *", "每月1号、31号 09:00", ""},
		{"0 */2 * * *", "按计划「0 */2 * * *」", `on the schedule "0 */2 * * *"`},
		{"0 9 1 * 1", "按计划「0 9 1 * 1」", ""},
		{"0 9 * * 7", "按计划「0 9 * * 7」", ""},
		{"0 9 * * MON", "按计划「0 9 * * MON」", ""},
		{"0 9 * 12 *", "按计划「0 9 * 12 *」", ""},
		{"0 9,21 * * *", "按计划「0 9,21 * * *」", ""},
		{"bad", "按计划「bad」", ""},
	}
	for _, tt := range tests {
		if got := describeSchedule(zh, tt.spec); got != tt.zh {
			t.Errorf("describeSchedule(zh, %q) = %q, want %q", tt.spec, got, tt.zh)
		}
		if tt.en == "" {
			continue
		}
		if got := describeSchedule(en, tt.spec); got != tt.en {
			t.Errorf("describeSchedule(en, %q) = %q, want %q", tt.spec, got, tt.en)
		}
	}
}

// FuzzDescribeSchedule: whatever spec a head types or the parser makes,
// the description is never empty and never a bare cron spec.
func FuzzDescribeSchedule(f *testing.F) {
	for _, s := range []string{"0 19 * * 3", "0 9 31 * *", "0 * * * *", "*/5 * * * *", "0 9 1-5,7 * *", "0 9 5-3 * *", "0 9 0 * *", "-1 9 * * *", "0 9 * * 0-6", "\xff"} {
		f.Add(s)
	}
	zh := bot.WithLocale(context.Background(), "zh-CN")
	f.Fuzz(func(t *testing.T, spec string) {
		got := describeSchedule(zh, spec)
		if got == "" || strings.TrimSpace(got) == strings.TrimSpace(spec) && spec != "" {
			t.Fatalf("describeSchedule(%q) = %q", spec, got)
		}
		if !strings.HasPrefix(got, "按计划") && strings.Contains(got, "*") {
			t.Fatalf("describeSchedule(%q) = %q shows a cron field", spec, got)
		}
	})
}
