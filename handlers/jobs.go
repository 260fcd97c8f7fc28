package handlers

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/scheduler"
)

// jobPayload builds a reminder's ID, which is also its payload: kind, the
// station and any further parts, joined by colons ("notice:3:12",
// "meeting:3:4:eve"). IDs are kept in the scheduler's store, so this
// format must not change.
func jobPayload(kind string, st int64, parts ...any) string {
	var b strings.Builder
	b.WriteString(kind)
	b.WriteByte(':')
	b.WriteString(strconv.FormatInt(st, 10))
	for _, p := range parts {
		b.WriteByte(':')
		fmt.Fprint(&b, p)
	}
	return b.String()
}

// splitJob reads a payload "KIND:ST[:A[:B]]" built by jobPayload. It
// returns the station number and the parts after it: at most two, the last
// keeping any further colons (user keys and the like contain them).
func splitJob(payload, kind string) (int64, []string, error) {
	parts := strings.SplitN(payload, ":", 4)
	if len(parts) < 2 || parts[0] != kind {
		return 0, nil, fmt.Errorf("%s job %q: malformed", kind, payload)
	}
	st, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("%s job %q: %w", kind, payload, err)
	}
	return st, parts[2:], nil
}

// jobStation reads a reminder payload "KIND:ST[:A[:B]]" and loads station
// ST. It returns ctx speaking the station's language, the station and the
// parts after ST, as splitJob does.
func (a *App) jobStation(ctx context.Context, payload, kind string) (context.Context, *store.Station, []string, error) {
	st, rest, err := splitJob(payload, kind)
	if err != nil {
		return ctx, nil, nil, err
	}
	ctx, station, err := a.stationCtx(ctx, st)
	return ctx, station, rest, err
}

// stationCtx loads station st and returns ctx speaking its language.
func (a *App) stationCtx(ctx context.Context, st int64) (context.Context, *store.Station, error) {
	station, err := a.store.Station(ctx, st)
	if err != nil {
		return ctx, nil, err
	}
	return bot.WithLocale(ctx, stationLocaleOrDefault(station)), station, nil
}

// jobRecord reads a reminder payload "KIND:ST:N[:WHICH]" about record N of
// station ST. Like jobStation it returns ctx speaking the station's
// language and the station, then N and WHICH ("" when absent).
func (a *App) jobRecord(ctx context.Context, payload, kind string) (context.Context, *store.Station, int64, string, error) {
	st, rest, err := splitJob(payload, kind)
	if err != nil {
		return ctx, nil, 0, "", err
	}
	if len(rest) == 0 {
		return ctx, nil, 0, "", fmt.Errorf("%s job %q: malformed", kind, payload)
	}
	n, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil {
		return ctx, nil, 0, "", fmt.Errorf("%s job %q: %w", kind, payload, err)
	}
	which := ""
	if len(rest) > 1 {
		which = rest[1]
	}
	ctx, station, err := a.stationCtx(ctx, st)
	return ctx, station, n, which, err
}

// deadLettersShown bounds the /undelivered list.
const deadLettersShown = 20

// undelivered serves /undelivered: for the head, privately, the station's
// reminders that could not be delivered within their useful window, newest
// first, so someone can pass them on by hand.
func (a *App) undelivered(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, _, err := requireAny(ctx)
	if err != nil {
		return err
	}
	dead, err := a.sched.DeadLetters(ctx, func(dl scheduler.DeadLetter) bool {
		kind, _, _ := strings.Cut(dl.ID, ":")
		id, _, err := splitJob(dl.ID, kind)
		return err == nil && id == st.ID
	}, deadLettersShown)
	if err != nil {
		return err
	}
	if len(dead) == 0 {
		return r.ReplyPrivately(ctx, tr(ctx, "undelivered_none"))
	}
	lines := make([]string, len(dead))
	for i, dl := range dead {
		kind, _, _ := strings.Cut(dl.ID, ":")
		lines[i] = tr(ctx, "undelivered_line", i18n.Args{"Kind": jobKindName(ctx, kind),
			"Fire": formatStamp(ctx, dl.Fire), "Attempts": dl.Attempts, "Err": clipN(dl.Err, 60)})
	}
	return r.ReplyPrivately(ctx, tr(ctx, "undelivered_header", i18n.Args{"Count": len(dead)})+"\n"+strings.Join(lines, "\n"))
}

// jobKinds are the scheduler jobs, named for people by "job_KIND".
var jobKinds = []string{jobNotice, jobMonthlyReport, jobMeeting, jobOverdue, jobOfficeOverdue, jobDogShot, jobDogNudge, jobLendChase,
	jobFundChase, jobPollClose, jobShiftEve, jobShiftHour, jobShiftEnd, jobShiftGaps}

// jobKindName names a kind of reminder in the reader's language.
func jobKindName(ctx context.Context, kind string) string {
	if !slices.Contains(jobKinds, kind) {
		return kind
	}
	return tr(ctx, "job_"+kind)
}
