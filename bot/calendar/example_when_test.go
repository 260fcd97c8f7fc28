package calendar_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/huzhu-station/huzhu/bot/calendar"
)

// exampleNow is Tuesday 2026-11-24 10:00 in Shanghai.
var exampleNow = time.Date(2026, 11, 24, 10, 0, 0, 0, calendar.Shanghai)

func ExampleParseWhen() {
	when, rest, err := calendar.ParseWhen("明天 19:00 活动室 讨论安全门", exampleNow)
	fmt.Println(when.Format("2006-01-02 15:04"), rest, err)

	when, _, _ = calendar.ParseWhen("周三晚上7点半", exampleNow)
	fmt.Println(when.Format("2006-01-02 15:04 Mon"))
	// Output:
	// 2026-11-25 19:00 活动室 讨论安全门 <nil>
	// 2026-11-25 19:30 Wed
}

func ExampleParseWhen_ambiguous() {
	_, _, err := calendar.ParseWhen("明天8点", exampleNow)
	var amb *calendar.AmbiguousTimeError
	if errors.As(err, &amb) {
		fmt.Println(amb.Reason)
		for _, c := range amb.Choices {
			fmt.Println(c.Format("2006-01-02 15:04"))
		}
	}
	// Output:
	// hour-am-pm
	// 2026-11-25 08:00
	// 2026-11-25 20:00
}

func ExampleParseWhen_errors() {
	_, _, err := calendar.ParseWhen("明天", exampleNow)
	fmt.Println(errors.Is(err, calendar.ErrNoClock), errors.Is(err, calendar.ErrNoTime))
	_, _, err = calendar.ParseWhen("2月30日 9:00", exampleNow)
	fmt.Println(errors.Is(err, calendar.ErrBadTime))
	_, _, err = calendar.ParseWhen("今天 9:00", exampleNow)
	fmt.Println(errors.Is(err, calendar.ErrPastTime))
	// Output:
	// true true
	// true
	// true
}

func ExampleParseDate() {
	day, rest, _ := calendar.ParseDate("去年12月10日 打了疫苗", exampleNow)
	fmt.Println(day.Format("2006-01-02"), rest)
	day, _, _ = calendar.ParseDate("12月31日", exampleNow) // more than a month ahead: last year
	fmt.Println(day.Format("2006-01-02"))
	// Output:
	// 2025-12-10 打了疫苗
	// 2025-12-31
}

func ExampleParseFutureDate() {
	day, _, _ := calendar.ParseFutureDate("12月31日", exampleNow)
	fmt.Println(day.Format("2006-01-02"))
	// Output:
	// 2026-12-31
}

func ExampleParseRecurrence() {
	for _, in := range []string{"每月1号 09:00 月度报告", "每周二、四 晚上7点", "工作日 08:00", "0 9 * * 1"} {
		spec, rest, _ := calendar.ParseRecurrence(in)
		fmt.Printf("%q %q\n", spec, rest)
	}
	// Output:
	// "0 9 1 * *" "月度报告"
	// "0 19 * * 2,4" ""
	// "0 8 * * 1-5" ""
	// "0 9 * * 1" ""
}

func ExampleParseSlot() {
	slot, rest, _ := calendar.ParseSlot("每周二四 19:00-20:30 东门 2人")
	fmt.Println(slot.Spec, slot.Duration, rest)
	fmt.Println(slot.Next(exampleNow).Format("2006-01-02 15:04 Mon"))
	// Output:
	// 0 19 * * 2,4 1h30m0s 东门 2人
	// 2026-11-24 19:00 Tue
}

func ExampleNextFire() {
	next, _ := calendar.NextFire("0 9 1 * *", exampleNow)
	fmt.Println(next.Format("2006-01-02 15:04 MST"))
	// Output:
	// 2026-12-01 09:00 CST
}
