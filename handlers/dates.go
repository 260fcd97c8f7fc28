package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/scheduler"
)

type clockKey struct{}

// withClock returns ctx carrying the clock, which the date formats below
// read to know the current year.
func withClock(ctx context.Context, c bot.Clock) context.Context {
	return context.WithValue(ctx, clockKey{}, c)
}

// nowFrom is the time by the clock ctx carries (withClock), or by the
// system's when it carries none.
func nowFrom(ctx context.Context) time.Time {
	if c, ok := ctx.Value(clockKey{}).(bot.Clock); ok {
		return c.Now()
	}
	return time.Now()
}

// carryClock is the middleware that gives every message's context the
// App's clock.
func (a *App) carryClock(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, r bot.Responder, m *bot.Message) error {
		return next.ServeMessage(withClock(ctx, a.clock), r, m)
	})
}

// clocked gives a scheduler job's context the App's clock.
func (a *App) clocked(job scheduler.JobFunc) scheduler.JobFunc {
	return func(ctx context.Context, rem scheduler.Reminder) error {
		return job(withClock(ctx, a.clock), rem)
	}
}

// thisYear reports whether t falls in the current year, in Shanghai.
func thisYear(ctx context.Context, t time.Time) bool {
	return t.In(calendar.Shanghai).Year() == nowFrom(ctx).In(calendar.Shanghai).Year()
}

// formatDate shows a calendar day the way the reader's language writes it,
// with the year when it is not the current one: 12月2日, 2027年1月5日, or
// 2 Dec, 5 Jan 2027.
func formatDate(ctx context.Context, t time.Time) string {
	if thisYear(ctx, t) {
		return formatLayout(ctx, "layout_month_day", t)
	}
	return formatLayout(ctx, "layout_day", t)
}

// formatLayout formats t in Shanghai with the time layout the catalogue
// keeps under key for the reader's language ("1月2日", "2 Jan").
func formatLayout(ctx context.Context, key string, t time.Time) string {
	return t.In(calendar.Shanghai).Format(tr(ctx, key))
}

// formatDateWeekday shows a day with its weekday, and its year as
// formatDate does: 12月2日（周三）, or Wed 2 Dec.
func formatDateWeekday(ctx context.Context, t time.Time) string {
	return tr(ctx, "date_weekday", i18n.Args{"Date": formatDate(ctx, t), "Weekday": weekdayName(ctx, t)})
}

// formatWhen shows a moment the way the reader's language writes it, with
// the year as formatDate does: 12月2日（周三）19:00, or Wed 2 Dec 19:00.
func formatWhen(ctx context.Context, t time.Time) string {
	return tr(ctx, "date_time", i18n.Args{"Date": formatDateWeekday(ctx, t), "Time": t.In(calendar.Shanghai).Format("15:04")})
}

// formatShortWhen shows a moment without its weekday, for text that is
// quoted inside other text: 11月25日 09:00, or 25 Nov 09:00.
func formatShortWhen(ctx context.Context, t time.Time) string {
	return formatDate(ctx, t) + " " + t.In(calendar.Shanghai).Format("15:04")
}

// formatStamp is a compact moment for a record's history: 11-25 09:00, or
// 2025-12-30 09:00 when not in the current year.
func formatStamp(ctx context.Context, t time.Time) string {
	t = t.In(calendar.Shanghai)
	if thisYear(ctx, t) {
		return t.Format("01-02 15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// whenError turns an error of the time parsers into the reply that says what
// was wrong, with the command's right form; an ambiguous time is answered
// with the question of which one was meant.
func whenError(ctx context.Context, err error, usage string) error {
	var amb *calendar.AmbiguousTimeError
	switch {
	case errors.As(err, &amb):
		choices := make([]string, len(amb.Choices))
		for i, c := range amb.Choices {
			choices[i] = formatWhen(ctx, c)
		}
		return badForm(usage, "time_ambiguous", i18n.Args{"Input": amb.Input, "Choices": strings.Join(choices, tr(ctx, "or_sep"))})
	case errors.Is(err, calendar.ErrPastTime):
		return badForm(usage, "time_past")
	case errors.Is(err, calendar.ErrTooFar):
		return badForm(usage, "time_too_far", i18n.Args{"Years": calendar.MaxYearsAhead})
	case errors.Is(err, calendar.ErrNoClock):
		return badForm(usage, "time_needs_clock", i18n.Args{"Input": bot.OneLine(calendar.TimeInput(err))})
	case errors.Is(err, calendar.ErrBadTime):
		return badForm(usage, "time_bad")
	case errors.Is(err, calendar.ErrTooFrequent):
		return badForm(usage, "recurrence_too_frequent")
	case errors.Is(err, calendar.ErrBadRecurrence):
		return badForm(usage, "recurrence_bad")
	}
	if input := bot.OneLine(calendar.TimeInput(err)); input != "" {
		return badForm(usage, "time_unreadable", i18n.Args{"Input": input})
	}
	return badForm(usage, "time_missing")
}

// dateArgError carries a date parser's error to the handler, which words it
// with whenError.
type dateArgError struct{ err error }

func (e *dateArgError) Error() string { return e.err.Error() }

func (e *dateArgError) Unwrap() error { return e.err }

// weekdayName names t's day of the week in the reader's language: 周三, Wed.
func weekdayName(ctx context.Context, t time.Time) string {
	return tr(ctx, "weekday_"+strconv.Itoa(int(t.In(calendar.Shanghai).Weekday())))
}

// shortWeekdayName names day d (0 is Sunday) as it is listed after 每周:
// 二 in 每周二、四, Tue in every Tue, Thu.
func shortWeekdayName(ctx context.Context, d int) string {
	return tr(ctx, "weekday_short_"+strconv.Itoa(d))
}

// daysBetween counts calendar days in Shanghai from now's day to day's.
func daysBetween(now, day time.Time) int {
	a, b := now.In(calendar.Shanghai), day.In(calendar.Shanghai)
	da := time.Date(a.Year(), a.Month(), a.Day(), 12, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 12, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

// formatDay shows a calendar day with its year: 2026年12月10日, or
// 10 Dec 2026.
func formatDay(ctx context.Context, t time.Time) string {
	return formatLayout(ctx, "layout_day", t)
}

// formatMonthDay shows a day of the year: 12月3日, or 3 Dec.
func formatMonthDay(ctx context.Context, t time.Time) string {
	return formatLayout(ctx, "layout_month_day", t)
}

// parseMonth reads the month a person asks about: nothing (this month),
// 上月/last, 2026-11, 2026年11月 or 11月 (this year, or last year when
// that month has not come yet).
func parseMonth(s string, now time.Time) (time.Time, error) {
	this := monthStart(now)
	s = strings.TrimSpace(strings.ToLower(s))
	switch s {
	case "", "本月", "this", "month":
		return this, nil
	case "上月", "上个月", "last":
		return this.AddDate(0, -1, 0), nil
	}
	var y, mo int
	if _, err := fmt.Sscanf(strings.NewReplacer("年", "-", "月", "", "/", "-").Replace(s), "%d-%d", &y, &mo); err == nil {
		if mo >= 1 && mo <= 12 && y >= 2000 && y <= 2100 {
			return time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, calendar.Shanghai), nil
		}
	} else if n, err := numerals.ParseChineseInt(strings.TrimSuffix(s, "月")); err == nil && strings.HasSuffix(s, "月") && n >= 1 && n <= 12 {
		m := time.Date(this.Year(), time.Month(n), 1, 0, 0, 0, 0, calendar.Shanghai)
		if m.After(this) {
			m = m.AddDate(-1, 0, 0)
		}
		return m, nil
	}
	return time.Time{}, badForm("usage_stats", "stats_bad_month", i18n.Args{"Text": clip(s)})
}

// formatMonth shows a month in the reader's language: 2026年11月, or
// November 2026.
func formatMonth(ctx context.Context, month time.Time) string {
	return formatLayout(ctx, "layout_month", month)
}
