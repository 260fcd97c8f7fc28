package calendar

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func TestParseRecurrence(t *testing.T) {
	tests := []struct {
		in   string
		spec string
		rest string
	}{
		{"每天 09:00", "0 9 * * *", ""},
		{"每天09:00 早安", "0 9 * * *", "早安"},
		{"每日 9:30", "30 9 * * *", ""},
		{"天天 19点", "0 19 * * *", ""},
		{"每天早上8点", "0 8 * * *", ""},
		{"每天晚上8点", "0 20 * * *", ""},
		{"每晚8点", "0 20 * * *", ""},
		{"每天 8点", "0 8 * * *", ""},
		{"每天 3点", "0 15 * * *", ""},
		{"每天 7pm", "0 19 * * *", ""},
		{"每周三 19:00", "0 19 * * 3", ""},
		{"每周三晚上7点", "0 19 * * 3", ""},
		{"每周三晚上7点半 例会", "30 19 * * 3", "例会"},
		{"每星期三 19:00", "0 19 * * 3", ""},
		{"每个礼拜三 19:00", "0 19 * * 3", ""},
		{"每周日 10:00", "0 10 * * 0", ""},
		{"每周天 10:00", "0 10 * * 0", ""},
		{"每周二四 19:00", "0 19 * * 2,4", ""},
		{"每周二、四 19:00", "0 19 * * 2,4", ""},
		{"每周二、周四 19:00", "0 19 * * 2,4", ""},
		{"每周二和周四 19:00", "0 19 * * 2,4", ""},
		{"每周一三五 7:00", "0 7 * * 1,3,5", ""},
		{"每周一至五 08:00", "0 8 * * 1-5", ""},
		{"每周一到周五 08:00", "0 8 * * 1-5", ""},
		{"每周1-5 08:00", "0 8 * * 1-5", ""},
		{"每周六日 9:00", "0 9 * * 0,6", ""},
		{"每周五至周一 9:00", "0 9 * * 0,1,5,6", ""},
		{"每周一7点", "0 7 * * 1", ""},
		{"每周三十九点", "0 19 * * 3", ""},
		{"周一至周五 08:00", "0 8 * * 1-5", ""},
		{"周二、周四 19:00", "0 19 * * 2,4", ""},
		{"工作日 08:00", "0 8 * * 1-5", ""},
		{"每个工作日 08:00", "0 8 * * 1-5", ""},
		{"周末 10:00", "0 10 * * 0,6", ""},
		{"每周末 10:00", "0 10 * * 0,6", ""},
		{"每月1号 09:00", "0 9 1 * *", ""},
		{"每月15日 9点", "0 9 15 * *", ""},
		{"每月1号9点", "0 9 1 * *", ""},
		{"每个月一号 上午九点", "0 9 1 * *", ""},
		{"每月1号、15号 09:00", "0 9 1,15 * *", ""},
		{"每月1、15号 09:00", "0 9 1,15 * *", ""},
		{"每月1-5号 09:00", "0 9 1-5 * *", ""},
		{"每年3月5日 9点", "0 9 5 3 *", ""},
		{"每周三晚上12点", "0 0 * * 4", ""},
		{"每周六晚上12点", "0 0 * * 0", ""},
		{"每天晚上12点", "0 0 * * *", ""},
		{"每天　０９：００", "0 9 * * *", ""},
		{"every day 09:00", "0 9 * * *", ""},
		{"every day at 9am", "0 9 * * *", ""},
		{"daily 21:00", "0 21 * * *", ""},
		{"every wed 19:00", "0 19 * * 3", ""},
		{"Every Wednesday 7pm", "0 19 * * 3", ""},
		{"every mon, wed 19:00", "0 19 * * 1,3", ""},
		{"every mon-fri 8:00", "0 8 * * 1-5", ""},
		{"every weekday 8:00", "0 8 * * 1-5", ""},
		{"every weekend 10:00", "0 10 * * 0,6", ""},
		{"0 9 * * 1", "0 9 * * 1", ""},
		{"0 9 * * 1 周一例会", "0 9 * * 1", "周一例会"},
		{"30 8 1,15 * *", "30 8 1,15 * *", ""},
		{"0  9  *  *  MON-FRI 提醒", "0 9 * * MON-FRI", "提醒"},
		{"0 * * * * 整点报时", "0 * * * *", "整点报时"},
		{"0 9-17 * * 1-5", "0 9-17 * * 1-5", ""},
		{"30 */2 * * *", "30 */2 * * *", ""},
		{"59 23 * * *", "59 23 * * *", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			spec, rest, err := ParseRecurrence(tt.in)
			if err != nil {
				t.Fatalf("ParseRecurrence(%q) error: %v", tt.in, err)
			}
			if spec != tt.spec || rest != tt.rest {
				t.Errorf("ParseRecurrence(%q) = %q, %q; want %q, %q", tt.in, spec, rest, tt.spec, tt.rest)
			}
			if _, err := cron.ParseStandard(spec); err != nil {
				t.Errorf("spec %q does not parse: %v", spec, err)
			}
		})
	}
}

func TestParseRecurrenceErrors(t *testing.T) {
	tests := []struct {
		in   string
		also error
	}{
		{"", nil},
		{"明天 19:00", nil},
		{"19:00", nil},
		{"周三 19:00", nil},
		{"每天", nil},
		{"每天 活动室", nil},
		{"每周 19:00", nil},
		{"每周八 19:00", nil},
		{"每月 09:00", nil},
		{"每月32号 09:00", ErrBadTime},
		{"每月0号 09:00", ErrBadTime},
		{"每年2月30日 9点", ErrBadTime},
		{"每天 25:00", ErrBadTime},
		{"每天 上午19点", ErrBadTime},
		{"每月1号晚上12点", nil},
		{"61 9 * * *", nil},
		{"0 9 30 2 *", nil},
		{"0 9 * * 8", nil},
		{"every 19:00", nil},
		{"* * * * *", ErrTooFrequent},
		{"* * * * * 喝水", ErrTooFrequent},
		{"*/15 9-17 * * 1-5", ErrTooFrequent},
		{"*/59 * * * *", ErrTooFrequent},
		{"0,30 9 * * *", ErrTooFrequent},
		{"0,59 9 1 1 *", ErrTooFrequent},
		{"0,30 0,23 * * 1,2", ErrTooFrequent},
		{"0-1 9 29 2 *", ErrTooFrequent},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			spec, rest, err := ParseRecurrence(tt.in)
			if !errors.Is(err, ErrBadRecurrence) {
				t.Fatalf("ParseRecurrence(%q) = %q, %v; want ErrBadRecurrence", tt.in, spec, err)
			}
			if tt.also != nil && !errors.Is(err, tt.also) {
				t.Errorf("ParseRecurrence(%q) error %v does not wrap %v", tt.in, err, tt.also)
			}
			if rest != tt.in {
				t.Errorf("rest on error = %q, want the input", rest)
			}
		})
	}
}

func TestParseSlot(t *testing.T) {
	tests := []struct {
		in   string
		spec string
		dur  time.Duration
		rest string
	}{
		{"每天 06:00-08:00 1号垃圾点 1人", "0 6 * * *", 2 * time.Hour, "1号垃圾点 1人"},
		{"每周二四 19:00-20:30 东门 2人", "0 19 * * 2,4", 90 * time.Minute, "东门 2人"},
		{"每周二、四 19:00~20:30", "0 19 * * 2,4", 90 * time.Minute, ""},
		{"每周六 晚上7点到8点半", "0 19 * * 6", 90 * time.Minute, ""},
		{"每周六 晚上7点-9点", "0 19 * * 6", 2 * time.Hour, ""},
		{"每天 下午2点-5点", "0 14 * * *", 3 * time.Hour, ""},
		{"每天 上午9点-12点", "0 9 * * *", 3 * time.Hour, ""},
		{"每天 7点-9点", "0 7 * * *", 2 * time.Hour, ""},
		{"每天 6:00 - 8:00", "0 6 * * *", 2 * time.Hour, ""},
		{"每天 22:00-06:00 值班室", "0 22 * * *", 8 * time.Hour, "值班室"},
		{"每天 晚上10点-12点", "0 22 * * *", 2 * time.Hour, ""},
		{"工作日 08:00至09:00", "0 8 * * 1-5", time.Hour, ""},
		{"每月1号 09:00-11:00", "0 9 1 * *", 2 * time.Hour, ""},
		{"every day 6am-8am", "0 6 * * *", 2 * time.Hour, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			slot, rest, err := ParseSlot(tt.in)
			if err != nil {
				t.Fatalf("ParseSlot(%q) error: %v", tt.in, err)
			}
			if slot.Spec != tt.spec || slot.Duration != tt.dur || rest != tt.rest {
				t.Errorf("ParseSlot(%q) = %+v, %q; want {%s %v}, %q", tt.in, slot, rest, tt.spec, tt.dur, tt.rest)
			}
		})
	}
}

func TestParseSlotErrors(t *testing.T) {
	for _, in := range []string{
		"", "每天", "每天 06:00", "每天 06:00-", "每天 06:00-06:00", "06:00-08:00", "每天 06:00-25:00", "0 6 * * * 06:00-08:00",
	} {
		t.Run(in, func(t *testing.T) {
			slot, rest, err := ParseSlot(in)
			if !errors.Is(err, ErrBadRecurrence) {
				t.Fatalf("ParseSlot(%q) = %+v, %v; want ErrBadRecurrence", in, slot, err)
			}
			if rest != in {
				t.Errorf("rest on error = %q, want the input", rest)
			}
		})
	}
}

func TestSlotNext(t *testing.T) {
	slot := Slot{Spec: "0 19 * * 2,4", Duration: 90 * time.Minute}
	tests := []struct {
		after, want time.Time
	}{
		{whenTestNow, whenAt(2026, 11, 24, 19, 0)},
		{whenAt(2026, 11, 24, 19, 0), whenAt(2026, 11, 26, 19, 0)},
		{whenAt(2026, 12, 31, 20, 0), whenAt(2027, 1, 5, 19, 0)},
		// 11:00 UTC is 19:00 in Shanghai: the next is Thursday's.
		{time.Date(2026, 11, 24, 11, 0, 0, 0, time.UTC), whenAt(2026, 11, 26, 19, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.after.String(), func(t *testing.T) {
			got := slot.Next(tt.after)
			if !got.Equal(tt.want) || got.Location() != Shanghai {
				t.Errorf("Next(%v) = %v, want %v in Shanghai", tt.after, got, tt.want)
			}
		})
	}
	if got := (Slot{Spec: "nonsense"}).Next(whenTestNow); !got.IsZero() {
		t.Errorf("Next of a bad spec = %v, want zero", got)
	}
}

func TestNextFire(t *testing.T) {
	tests := []struct {
		spec  string
		after time.Time
		want  time.Time
		err   bool
	}{
		{spec: "0 9 1 * *", after: whenTestNow, want: whenAt(2026, 12, 1, 9, 0)},
		{spec: "0 9 1 * *", after: whenAt(2026, 12, 1, 9, 0), want: whenAt(2027, 1, 1, 9, 0)},
		{spec: "0 0 * * *", after: whenAt(2026, 12, 31, 23, 59), want: whenAt(2027, 1, 1, 0, 0)},
		{spec: "0 9 * * *", after: time.Date(2026, 11, 24, 0, 30, 0, 0, time.UTC), want: whenAt(2026, 11, 24, 9, 0)},
		{spec: "0 9 * * *", after: time.Date(2026, 11, 24, 0, 30, 0, 0, time.FixedZone("X", -10*3600)), want: whenAt(2026, 11, 25, 9, 0)},
		{spec: "0 9 29 2 *", after: whenTestNow, want: whenAt(2028, 2, 29, 9, 0)},
		{spec: "@daily", after: whenTestNow, want: whenAt(2026, 11, 25, 0, 0)},
		{spec: "0 9 30 2 *", after: whenTestNow, err: true},
		{spec: "TZ=UTC 0 9 * * *", after: whenTestNow, err: true},
		{spec: "CRON_TZ=Asia/Tokyo", after: whenTestNow, err: true},
		{spec: "", after: whenTestNow, err: true},
		{spec: "0 9 * *", after: whenTestNow, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := NextFire(tt.spec, tt.after)
			if tt.err {
				if !errors.Is(err, ErrBadRecurrence) {
					t.Fatalf("NextFire(%q) = %v, %v; want ErrBadRecurrence", tt.spec, got, err)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) || got.Location() != Shanghai {
				t.Fatalf("NextFire(%q, %v) = %v, %v; want %v in Shanghai", tt.spec, tt.after, got, err, tt.want)
			}
		})
	}
}

func TestParseRecurrenceRoundTrip(t *testing.T) {
	// What a resident types must fire when they expect, in Shanghai.
	spec, _, err := ParseRecurrence("每周二、四 晚上7点")
	if err != nil {
		t.Fatal(err)
	}
	next, err := NextFire(spec, whenTestNow)
	if err != nil || !next.Equal(whenAt(2026, 11, 24, 19, 0)) {
		t.Fatalf("NextFire(%q) = %v, %v", spec, next, err)
	}
	next, _ = NextFire(spec, next)
	if !next.Equal(whenAt(2026, 11, 26, 19, 0)) {
		t.Fatalf("second firing = %v", next)
	}
}

var recFuzzSeeds = []string{
	"每天 09:00", "每天早上8点", "每周三 19:00", "每周三晚上7点", "每周二四 19:00", "每周二、四 19:00",
	"每周一至五 08:00", "每周一到周五 08:00", "工作日 08:00", "周末 10:00", "每月1号 09:00", "每月15日 9点",
	"0 9 * * 1", "every day 09:00", "every wed 19:00", "每天 06:00-08:00 1号垃圾点", "每周二四 19:00-20:30 东门",
	"每周三晚上12点", "每年2月29日 9:00", "* * * * *", "0,30 9 * * *", "0 * * * *", "TZ=", "@every 1h", "每月1、15号 9:00", "\xff", "😀",
}

func FuzzParseRecurrence(f *testing.F) {
	for _, s := range recFuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		spec, rest, err := ParseRecurrence(in)
		if err != nil {
			if !errors.Is(err, ErrBadRecurrence) {
				t.Fatalf("ParseRecurrence(%q): error %v does not wrap ErrBadRecurrence", in, err)
			}
			return
		}
		if _, err := cron.ParseStandard(spec); err != nil {
			t.Fatalf("ParseRecurrence(%q) = %q, which cron rejects: %v", in, spec, err)
		}
		if n := len(strings.Fields(spec)); n != 5 {
			t.Fatalf("ParseRecurrence(%q) = %q, %d fields", in, spec, n)
		}
		prev, err := NextFire(spec, whenTestNow)
		if err != nil {
			t.Fatalf("ParseRecurrence(%q) = %q, which never fires: %v", in, spec, err)
		}
		for range 30 {
			next, err := NextFire(spec, prev)
			if err != nil {
				break
			}
			if next.Sub(prev) < MinRecurrenceGap {
				t.Fatalf("ParseRecurrence(%q) = %q, which fires at %v and again at %v", in, spec, prev, next)
			}
			prev = next
		}
		whenCheckSuffix(t, "ParseRecurrence", in, rest)
	})
}

func FuzzParseSlot(f *testing.F) {
	for _, s := range recFuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		slot, rest, err := ParseSlot(in)
		if err != nil {
			if !errors.Is(err, ErrBadRecurrence) {
				t.Fatalf("ParseSlot(%q): error %v does not wrap ErrBadRecurrence", in, err)
			}
			return
		}
		if _, err := cron.ParseStandard(slot.Spec); err != nil {
			t.Fatalf("ParseSlot(%q) = %q, which cron rejects: %v", in, slot.Spec, err)
		}
		if slot.Duration <= 0 || slot.Duration >= 24*time.Hour {
			t.Fatalf("ParseSlot(%q) duration %v", in, slot.Duration)
		}
		if next := slot.Next(whenTestNow); !next.After(whenTestNow) {
			t.Fatalf("ParseSlot(%q).Next = %v", in, next)
		}
		whenCheckSuffix(t, "ParseSlot", in, rest)
	})
}

func FuzzNextFire(f *testing.F) {
	for _, s := range []string{"0 9 * * 1", "*/5 * * * *", "0 9 30 2 *", "@daily", "@every 1h", "TZ=UTC", "CRON_TZ=X 0 9 * * *", "0 0 L * *", "1-99999999999999999999 * * * *"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		next, err := NextFire(spec, whenTestNow)
		if err != nil {
			if !errors.Is(err, ErrBadRecurrence) {
				t.Fatalf("NextFire(%q): error %v does not wrap ErrBadRecurrence", spec, err)
			}
			return
		}
		if !next.After(whenTestNow) || next.Location() != Shanghai {
			t.Fatalf("NextFire(%q) = %v", spec, next)
		}
	})
}
