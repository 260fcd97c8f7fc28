package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/scheduler"
)

// jobFundChase is the scheduler job that sends each building leader the
// households of their building that have not paid.
const jobFundChase = "fundchase"

// Chasing: weekly on the weekday the campaign opened, and once three days
// before the deadline, at this hour.
const (
	fundChaseHour      = 9
	fundChaseDaysAhead = 3
)

func fundChaseJobID(st, n int64, which string) string {
	return jobPayload("fundchase", st, n, which)
}

// scheduleFundChase sets the weekly chase, on the weekday the campaign
// opened starting a week later, and the one three days before the deadline
// when that is still ahead.
func (a *App) scheduleFundChase(ctx context.Context, f *store.Fund) error {
	c := f.Created.In(calendar.Shanghai)
	first := time.Date(c.Year(), c.Month(), c.Day()+7, fundChaseHour, 0, 0, 0, calendar.Shanghai)
	weekly := fundChaseJobID(f.Station, f.N, "weekly")
	rems := []scheduler.Reminder{{ID: weekly, At: first, Spec: fmt.Sprintf("0 %d * * %d", fundChaseHour, int(c.Weekday())),
		StaleAfter: 24 * time.Hour, Job: jobFundChase, Payload: weekly}}
	if !f.Deadline.IsZero() {
		d := f.Deadline.In(calendar.Shanghai)
		at := time.Date(d.Year(), d.Month(), d.Day()-fundChaseDaysAhead, fundChaseHour, 0, 0, 0, calendar.Shanghai)
		if at.After(a.now()) {
			id := fundChaseJobID(f.Station, f.N, "deadline")
			rems = append(rems, scheduler.Reminder{ID: id, At: at, StaleAfter: 48 * time.Hour, Job: jobFundChase, Payload: id})
		}
	}
	return a.sched.ScheduleAll(ctx, rems...)
}

// fireFundChase is the scheduler job that sends each building leader,
// privately, their building's households that have not paid. Buildings
// without a leader go to the head. Nothing is posted in a group.
func (a *App) fireFundChase(ctx context.Context, rem scheduler.Reminder) error {
	ctx, station, n, which, err := a.jobRecord(ctx, rem.Payload, "fundchase")
	if err != nil {
		return err
	}
	st := station.ID
	f, err := a.store.Fund(ctx, st, n)
	if err != nil || f.Status != store.FundOpen {
		return err
	}
	buildings, err := a.fundBuildings(ctx, f)
	if err != nil {
		return err
	}
	leaders, err := a.store.MembersWithRole(ctx, st, store.RoleLeader)
	if err != nil {
		return err
	}
	header := tr(ctx, "fund_chase_weekly", a.fundArgs(ctx, f))
	if which == "deadline" {
		header = tr(ctx, "fund_chase_deadline", a.fundArgs(ctx, f))
	}
	// One message per leader, with every building they lead; buildings
	// nobody leads go to the head.
	perLeader := map[string][]string{}
	var orphans []string
	for _, b := range buildings {
		lists, err := a.unpaidLists(ctx, f, []string{b})
		if err != nil {
			return err
		}
		if len(lists) == 0 {
			continue
		}
		led := false
		for _, l := range leaders {
			if l.LeadsBuilding(b) {
				perLeader[l.UserKey] = append(perLeader[l.UserKey], lists[0])
				led = true
			}
		}
		if !led {
			orphans = append(orphans, lists[0])
		}
	}
	for _, l := range leaders {
		if lists := perLeader[l.UserKey]; len(lists) > 0 {
			a.notifyPerson(ctx, l.UserKey, l.Name, "", header+"\n"+strings.Join(lists, "\n")+"\n"+tr(ctx, "fund_chase_footer"))
		}
	}
	if len(orphans) > 0 {
		a.notifyPerson(ctx, station.Head, station.HeadName, "",
			header+"\n"+strings.Join(orphans, "\n")+"\n"+tr(ctx, "fund_chase_no_leader"))
	}
	return nil
}
