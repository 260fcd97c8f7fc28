package handlers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/scheduler"
)

// jobLendChase is the scheduler job that asks a borrower to bring an item
// back.
const jobLendChase = "lendchase"

func lendChaseJobID(st int64, item, userKey string) string {
	return jobPayload("lend", st, item, userKey)
}

// lendChaseTime is when a loan since since is chased: the first
// lendChaseHour o'clock once it has been out lendChaseAfter.
func lendChaseTime(since time.Time) time.Time {
	t := since.Add(lendChaseAfter).In(calendar.Shanghai)
	at := time.Date(t.Year(), t.Month(), t.Day(), lendChaseHour, 0, 0, 0, calendar.Shanghai)
	if at.Before(t) {
		at = at.AddDate(0, 0, 1)
	}
	return at
}

// scheduleLendChase sets the reminder that chases loan once it has been out
// a week; borrowing more keeps the time of the oldest.
func (a *App) scheduleLendChase(ctx context.Context, st int64, loan *store.Loan) {
	id := lendChaseJobID(st, loan.Item, loan.User)
	err := a.sched.Schedule(ctx, scheduler.Reminder{ID: id, At: lendChaseTime(loan.Since), Job: jobLendChase, Payload: id})
	if err != nil {
		a.log.Warn("lend chase not scheduled", "item", loan.Item, "err", err)
	}
}

// fireLendChase asks a borrower, privately where possible, to bring back an
// item out for a week.
func (a *App) fireLendChase(ctx context.Context, rem scheduler.Reminder) error {
	st, rest, err := splitJob(rem.Payload, "lend")
	if err == nil && len(rest) != 2 {
		err = fmt.Errorf("lend chase job %q: malformed", rem.Payload)
	}
	if err != nil {
		return err
	}
	item, userKey := rest[0], rest[1]
	ctx, station, err := a.stationCtx(ctx, st)
	if err != nil {
		return err
	}
	loan, err := a.store.Loan(ctx, st, item, userKey)
	if errors.Is(err, store.ErrNotBorrowed) {
		return nil // brought back meanwhile
	}
	if err != nil {
		return err
	}
	ctx = bot.WithLocale(ctx, a.personLocale(ctx, userKey, station))
	args := itemArgs(ctx, item, loan.Count)
	args["Who"], args["Since"], args["Days"] = loan.Name, formatDate(ctx, loan.Since), daysBetween(loan.Since, a.now())
	a.notifyPerson(ctx, userKey, loan.Name, loan.Chat, tr(ctx, "lend_chase", args))
	return nil
}
