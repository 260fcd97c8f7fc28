package handlers

import (
	"context"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/scheduler"
)

// jobMonthlyReport posts last month's figures in every group of a station
// on the 1st at 09:00.
const jobMonthlyReport = "monthly"

// monthlyReportSpec is when the monthly report goes out (Asia/Shanghai).
const monthlyReportSpec = "0 9 1 * *"

// scheduleMonthlyReport starts station st's monthly report; scheduling it
// again is harmless.
func (a *App) scheduleMonthlyReport(ctx context.Context, st int64) error {
	id := jobPayload(jobMonthlyReport, st)
	return a.sched.Schedule(ctx, scheduler.Reminder{ID: id, Spec: monthlyReportSpec, Job: jobMonthlyReport, Payload: id})
}

// fireMonthlyReport posts the month that just ended.
func (a *App) fireMonthlyReport(ctx context.Context, rem scheduler.Reminder) error {
	ctx, station, _, err := a.jobStation(ctx, rem.Payload, jobMonthlyReport)
	if err != nil {
		return err
	}
	lastMonth := monthStart(a.now()).AddDate(0, -1, 0)
	text, err := a.stationFigures(ctx, station, lastMonth)
	if err != nil {
		return err
	}
	out := bot.Outgoing{Text: tr(ctx, "stats_monthly_header") + "\n" + text}
	if a.stationSendsPhotos(ctx, station) {
		out.Image = a.monthChart(ctx, station, lastMonth)
	}
	a.broadcastOut(ctx, station, out)
	return nil
}

// stats serves /stats [上月|YYYY-MM|all]: a station's figures for a month,
// or every station's side by side for the subdistrict's administrators.
func (a *App) stats(ctx context.Context, r bot.Responder, m *bot.Message) error {
	arg := strings.TrimSpace(m.Args)
	if rest, ok := cutWord(arg, "all", "全部", "街道", "所有"); ok {
		if !a.isAdmin(m.Sender) {
			return say("stats_all_admins_only")
		}
		return a.allStationsFigures(ctx, r, rest)
	}
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	month, err := parseMonth(arg, a.now())
	if err != nil {
		return err
	}
	text, err := a.stationFigures(ctx, st, month)
	if err != nil {
		return err
	}
	return a.replyWithChart(ctx, r, m, text, func() string { return a.monthChart(ctx, st, month) })
}

// stationFigures renders one station's month.
func (a *App) stationFigures(ctx context.Context, st *store.Station, month time.Time) (string, error) {
	s, err := a.store.MonthStats(ctx, st.ID, month)
	if err != nil {
		return "", err
	}
	return tr(ctx, "stats_card", figureArgs(ctx, st, s, month)), nil
}

func figureArgs(ctx context.Context, st *store.Station, s store.MonthStats, month time.Time) i18n.Args {
	return i18n.Args{
		"Station": st.Name, "Month": formatMonth(ctx, month),
		"Filed": s.Filed, "Solved": s.Solved, "SolvedTogether": s.SolvedTogether, "Escalated": s.Escalated,
		"Satisfaction": satisfaction(ctx, s), "Collected": fundMoney(ctx, s.CollectedFen),
		"Hours": volunteerHours(ctx, s.VolunteerMinutes), "People": s.People,
	}
}

// allStationsFigures answers /stats all: one line per station, for the
// subdistrict, privately.
func (a *App) allStationsFigures(ctx context.Context, r bot.Responder, arg string) error {
	month, err := parseMonth(arg, a.now())
	if err != nil {
		return err
	}
	ids, err := a.store.StationIDs(ctx)
	if err != nil {
		return err
	}
	lines := make([]string, 0, len(ids))
	var total store.MonthStats
	for _, id := range ids {
		st, err := a.store.Station(ctx, id)
		if err != nil {
			return err
		}
		s, err := a.store.MonthStats(ctx, id, month)
		if err != nil {
			return err
		}
		total.Add(s)
		lines = append(lines, tr(ctx, "stats_all_line", figureArgs(ctx, st, s, month)))
	}
	header := tr(ctx, "stats_all_header", i18n.Args{"Month": formatMonth(ctx, month), "Stations": len(ids)})
	footer := tr(ctx, "stats_all_total", figureArgs(ctx, &store.Station{}, total, month))
	return r.ReplyPrivately(ctx, listText(header, lines, func(l string) string { return l }, footer))
}

// monthStart is midnight on the 1st of t's month in Shanghai.
func monthStart(t time.Time) time.Time {
	t = t.In(calendar.Shanghai)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, calendar.Shanghai)
}
