package handlers

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
)

// weekdays in each locale, Sunday first as time.Weekday counts.
var weekdays = map[string][7]string{
	"zh-CN": {"周日", "周一", "周二", "周三", "周四", "周五", "周六"},
	"en":    {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
}

// formatWhen shows a moment the way the reader's language writes it:
// 12月2日（周三）19:00, or Wed 2 Dec 19:00.
func formatWhen(ctx context.Context, t time.Time) string {
	t = t.In(bot.Shanghai)
	loc := bot.LocaleFrom(ctx)
	days, ok := weekdays[loc]
	if !ok {
		days = weekdays[bot.DefaultLocale]
	}
	if loc == "en" {
		return days[t.Weekday()] + " " + t.Format("2 Jan 15:04")
	}
	return t.Format("1月2日") + "（" + days[t.Weekday()] + "）" + t.Format("15:04")
}

// whenError turns an error of the time parsers into the reply that says what
// was wrong, with the command's right form; an ambiguous time is answered
// with the question of which one was meant.
func whenError(ctx context.Context, err error, usage string) error {
	var amb *bot.AmbiguousTimeError
	switch {
	case errors.As(err, &amb):
		choices := make([]string, len(amb.Choices))
		for i, c := range amb.Choices {
			choices[i] = formatWhen(ctx, c)
		}
		return badForm(usage, "time_ambiguous", i18n.Args{"Input": amb.Input, "Choices": strings.Join(choices, tr(ctx, "or_sep"))})
	case errors.Is(err, bot.ErrPastTime):
		return badForm(usage, "time_past")
	case errors.Is(err, bot.ErrNoClock):
		return badForm(usage, "time_needs_clock")
	case errors.Is(err, bot.ErrBadTime):
		return badForm(usage, "time_bad")
	case errors.Is(err, bot.ErrBadRecurrence):
		return badForm(usage, "recurrence_bad")
	}
	return badForm(usage, "time_missing")
}
