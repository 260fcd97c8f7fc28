package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/scheduler"
)

// jobOverdue is the scheduler job that reminds staff of an untouched
// problem.
const jobOverdue = "overdue"

// Overdue levels: duty staff first, the head later.
const (
	overdueStaff = "staff"
	overdueHead  = "head"
)

func overdueJobID(st, n int64, level string) string {
	return jobPayload("overdue", st, n, level)
}

// scheduleOverdue (re)starts the clocks of an open problem from its last
// step, so "untouched for 3 days" counts from the last time anyone did
// anything; a problem no longer open has its reminders cancelled.
func (a *App) scheduleOverdue(ctx context.Context, st *store.Station, is *store.Issue) error {
	levels := []struct {
		name string
		days int
	}{{overdueStaff, st.StaffOverdueDays}, {overdueHead, st.HeadOverdueDays}}
	var due []scheduler.Reminder
	var ids []string
	for _, l := range levels {
		id := overdueJobID(st.ID, is.N, l.name)
		ids = append(ids, id)
		if is.Status.IsOpen() && l.days > 0 {
			due = append(due, scheduler.Reminder{ID: id, At: is.Updated.Add(time.Duration(l.days) * 24 * time.Hour),
				Job: jobOverdue, Payload: id})
		}
	}
	var err error
	switch {
	case is.Fresh && len(due) > 0:
		err = a.sched.ScheduleNew(ctx, due...) // a new problem has no clocks yet
	case len(due) > 0:
		err = a.sched.ScheduleAll(ctx, due...) // replaces the earlier clocks
	default:
		err = a.sched.CancelAll(ctx, ids...)
	}
	if err != nil {
		return fmt.Errorf("overdue reminders of problem %d: %w", is.N, err)
	}
	return nil
}

// fireOverdue reminds duty staff (or the head) of a problem nobody touched.
func (a *App) fireOverdue(ctx context.Context, rem scheduler.Reminder) error {
	ctx, station, n, level, err := a.jobRecord(ctx, rem.Payload, "overdue")
	if err != nil {
		return err
	}
	st := station.ID
	is, err := a.store.Issue(ctx, st, n)
	if err != nil || !is.Status.IsOpen() {
		return err
	}
	text := a.overdueText(ctx, station, is, level)
	var people []*store.Member
	if level == overdueStaff {
		if people, err = a.store.MembersWithRole(ctx, st, store.RoleDuty); err != nil {
			return err
		}
	}
	if len(people) == 0 {
		a.notifyPerson(ctx, station.Head, station.HeadName, is.ReportChat, text)
		return nil
	}
	for _, p := range people {
		a.notifyPerson(ctx, p.UserKey, p.Name, is.ReportChat, text)
	}
	return nil
}

// setOverdue serves /station overdue STAFF HEAD: when untouched problems
// remind duty staff and the head, in days.
func (a *App) setOverdue(ctx context.Context, r bot.Responder, args string) error {
	st, _, err := requireAny(ctx)
	if err != nil {
		return err
	}
	fields := strings.Fields(args)
	if len(fields) != 2 {
		return badForm("usage_overdue", "overdue_needs_days")
	}
	staff, err1 := numerals.ParseChineseInt(strings.TrimSuffix(fields[0], "天"))
	head, err2 := numerals.ParseChineseInt(strings.TrimSuffix(fields[1], "天"))
	if err1 != nil || err2 != nil || staff < 1 || head < staff || head > 90 {
		return badForm("usage_overdue", "overdue_bad_days")
	}
	if err := a.store.SetOverdueDays(ctx, st.ID, int(staff), int(head)); err != nil {
		return err
	}
	return r.Reply(ctx, tr(ctx, "overdue_set", i18n.Args{"Staff": staff, "Head": head}))
}

// overdueText is the reminder about untouched problem is for level's
// readers (overdueStaff or overdueHead).
func (a *App) overdueText(ctx context.Context, station *store.Station, is *store.Issue, level string) string {
	days := int(a.now().Sub(is.Updated).Hours() / 24)
	return tr(ctx, "overdue_"+level, i18n.Args{"N": is.N, "Days": days, "Text": clipN(is.Text, 24),
		"Status": tr(ctx, "status_"+string(is.Status)), "Station": station.Name})
}
