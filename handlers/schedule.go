package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot/i18n"
)

// describeSchedule says in words when a cron spec fires: 每周三 19:00,
// 每月1日 09:00, 每天 06:00, 每小时整点 — never the spec itself, which no
// resident reads. A spec the head typed that words cannot say exactly
// (steps, both days of the month and of the week) is shown as written:
// 按计划「*/2 9 * * *」.
func describeSchedule(ctx context.Context, spec string) string {
	f := strings.Fields(spec)
	if len(f) != 5 || !describableCron(f) {
		return tr(ctx, "schedule_as_written", i18n.Args{"Spec": spec})
	}
	minute, errM := strconv.Atoi(f[0])
	if errM != nil {
		return tr(ctx, "schedule_as_written", i18n.Args{"Spec": spec})
	}
	if f[1] == "*" {
		if f[2] == "*" && f[3] == "*" && f[4] == "*" {
			if minute == 0 {
				return tr(ctx, "schedule_hourly_sharp")
			}
			return tr(ctx, "schedule_hourly", i18n.Args{"M": fmt.Sprintf("%02d", minute)})
		}
		return tr(ctx, "schedule_as_written", i18n.Args{"Spec": spec})
	}
	hour, errH := strconv.Atoi(f[1])
	if errH != nil {
		return tr(ctx, "schedule_as_written", i18n.Args{"Spec": spec})
	}
	return describeDays(ctx, f[2], f[3], f[4]) + " " + fmt.Sprintf("%02d:%02d", hour, minute) + skippedMonths(ctx, f)
}

// describableCron reports whether describeDays and a clock say exactly what
// the fields of a spec do: one minute, one hour or every hour, days of the
// month or of the week but not both, and every month or one.
func describableCron(f []string) bool {
	plain := func(field string, lo, hi int, lists bool) bool {
		if field == "*" {
			return true
		}
		parts := strings.Split(field, ",")
		if len(parts) > 1 && !lists {
			return false
		}
		for _, part := range parts {
			from, to, isRange := strings.Cut(part, "-")
			if !isRange {
				to = from
			} else if !lists {
				return false
			}
			a, errA := strconv.Atoi(from)
			b, errB := strconv.Atoi(to)
			if errA != nil || errB != nil || a < lo || b > hi || a > b {
				return false
			}
		}
		return true
	}
	return plain(f[0], 0, 59, false) &&
		plain(f[1], 0, 23, false) &&
		plain(f[2], 1, 31, true) && plain(f[3], 1, 12, false) && plain(f[4], 0, 6, true) &&
		(f[2] == "*" || f[4] == "*") && (f[3] == "*" || f[2] != "*")
}

// monthsWithout lists the months in which none of the days of the month in
// set exists, for a schedule that skips them (每月31号 skips 2月、4月、6月、
// 9月、11月); February counts 29 days, so 每月29号 skips it only in common
// years, which describeDays says separately.
func monthsWithout(set map[int]bool) []int {
	longest := [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	var out []int
	for m := 1; m <= 12; m++ {
		found := false
		for d := 1; d <= longest[m]; d++ {
			if set[d] {
				found = true
				break
			}
		}
		if !found {
			out = append(out, m)
		}
	}
	return out
}

// skippedMonths says which months a monthly schedule (the fields of its
// spec) skips because none of its days exists in them, or "" when it skips
// none.
func skippedMonths(ctx context.Context, f []string) string {
	if f[2] == "*" || f[3] != "*" {
		return ""
	}
	set := cronValues(f[2], 1, 31)
	var names []string
	for _, m := range monthsWithout(set) {
		names = append(names, tr(ctx, "shift_month", i18n.Args{"M": m, "Name": time.Month(m).String()}))
	}
	if len(names) > 0 {
		return tr(ctx, "schedule_skips", i18n.Args{"Months": strings.Join(names, tr(ctx, "list_sep"))})
	}
	// 每月29号: February has it only in leap years.
	leapOnly := set[29]
	for d := 1; d <= 28; d++ {
		leapOnly = leapOnly && !set[d]
	}
	if leapOnly {
		return tr(ctx, "schedule_skips_common_feb")
	}
	return ""
}

// describeDays reads back the days of a spec calendar.ParseSlot made.
func describeDays(ctx context.Context, dom, month, dow string) string {
	sep := tr(ctx, "list_sep")
	switch {
	case dom == "*" && dow == "*":
		return tr(ctx, "shift_every_day")
	case dom == "*":
		set := cronValues(dow, 0, 6)
		// Monday first, Sunday last, as people say a week.
		var order []int
		for _, d := range []int{1, 2, 3, 4, 5, 6, 0} {
			if set[d] {
				order = append(order, d)
			}
		}
		var names [7]string
		for d := range names {
			names[d] = shortWeekdayName(ctx, d)
		}
		var parts []string
		for i := 0; i < len(order); {
			j := i
			for j+1 < len(order) && weekAfter(order[j]) == order[j+1] {
				j++
			}
			if j-i >= 2 {
				parts = append(parts, tr(ctx, "shift_day_range", i18n.Args{"From": names[order[i]], "To": names[order[j]]}))
			} else {
				for k := i; k <= j; k++ {
					parts = append(parts, names[order[k]])
				}
			}
			i = j + 1
		}
		return tr(ctx, "shift_every_week", i18n.Args{"Days": strings.Join(parts, sep)})
	}
	set := cronValues(dom, 1, 31)
	var days []string
	for d := 1; d <= 31; d++ {
		if set[d] {
			days = append(days, tr(ctx, "shift_month_day", i18n.Args{"D": d}))
		}
	}
	if month == "*" {
		return tr(ctx, "shift_every_month", i18n.Args{"Days": strings.Join(days, sep)})
	}
	m, _ := strconv.Atoi(month)
	return tr(ctx, "shift_every_year", i18n.Args{"Days": strings.Join(days, sep), "Month": m,
		"Name": time.Month(max(1, min(12, m))).String()})
}

func weekAfter(d int) int { return (d + 1) % 7 }

// cronValues expands a cron field of numbers, ranges and lists (1-5,7).
func cronValues(field string, lo, hi int) map[int]bool {
	set := map[int]bool{}
	for _, part := range strings.Split(field, ",") {
		if part == "*" {
			for v := lo; v <= hi; v++ {
				set[v] = true
			}
			continue
		}
		from, to, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(from)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(to)
		}
		if err1 != nil || err2 != nil {
			continue
		}
		for v := max(a, lo); v <= min(b, hi); v++ {
			set[v] = true
		}
	}
	return set
}
