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
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/scheduler"
)

// The scheduler jobs of the dog registry.
//
// Rabies shots: each dog with a known last shot has up to three one-off
// reminders, "dogshot:ST:N:30", ":7" and ":1", at 09:00 Shanghai 30, 7 and
// 1 days before the shot falls due (a year after the last). They go to the
// owner privately, falling back to the group the dog was registered in with
// a mention. Recording a shot (/dog vaccinated) schedules the same ids
// again for the new due day, which moves them; one whose time has passed is
// cancelled, so nothing of the old cycle is left. A reminder that fires for
// a due day that is no longer the dog's, or after downtime when a nearer
// one is also due, says nothing.
//
// Sterilisation: off by default. /dog nudge on [DAY] (绝育提醒 开 3月1日)
// stores a yearly cron spec for the station ("0 9 1 3 *", 1 March unless a
// day is given) and schedules "dognudge:ST" on it; when it fires, every
// owner of a dog not recorded as sterilised gets one private note naming
// their dogs. /dog nudge off cancels it; /dog nudge shows the setting.
const (
	// jobDogShot reminds an owner that a rabies shot falls due.
	jobDogShot = "dogshot"
	// jobDogNudge is a station's yearly nudge to owners of dogs not
	// sterilised.
	jobDogNudge = "dognudge"
)

// dogShotLeads are how many days before a rabies shot is due its owner is
// reminded, longest first.
var dogShotLeads = []int{30, 7, 1}

// dogReminderHour is when dog reminders go out: 09:00, after the morning
// walk, when older owners read their phones and a clinic visit fits the day.
const dogReminderHour = 9

// defaultNudgeMonth and defaultNudgeDay are when the yearly sterilisation
// nudge goes out unless the station picks a day: early spring, before the
// season when unplanned litters happen.
const (
	defaultNudgeMonth = time.March
	defaultNudgeDay   = 1
)

func dogShotJobID(st, n int64, days int) string { return jobPayload("dogshot", st, n, days) }

func dogShotJobIDs(st, n int64) []string {
	ids := make([]string, len(dogShotLeads))
	for i, days := range dogShotLeads {
		ids[i] = dogShotJobID(st, n, days)
	}
	return ids
}

// dogShotTime is when the reminder days before due goes out.
func dogShotTime(due time.Time, days int) time.Time {
	due = due.In(calendar.Shanghai)
	return time.Date(due.Year(), due.Month(), due.Day()-days, dogReminderHour, 0, 0, 0, calendar.Shanghai)
}

// scheduleDogShots (re)sets the reminders of d's next rabies shot, 30, 7
// and 1 days before it is due at 09:00, and returns their times. A reminder
// whose time has passed is cancelled rather than sent late, so a new shot
// recorded moves every reminder to the next year and none of the old ones
// is left.
func (a *App) scheduleDogShots(ctx context.Context, d *store.Dog) []time.Time {
	due := d.ShotDue()
	var rems []scheduler.Reminder
	var times []time.Time
	var gone []string
	for _, days := range dogShotLeads {
		id := dogShotJobID(d.Station, d.N, days)
		at := dogShotTime(due, days)
		if due.IsZero() || !at.After(a.now()) {
			gone = append(gone, id)
			continue
		}
		rems = append(rems, scheduler.Reminder{ID: id, At: at, Job: jobDogShot, Payload: id})
		times = append(times, at)
	}
	var err error
	if len(rems) > 0 {
		err = a.sched.ScheduleAll(ctx, rems...)
	}
	if len(gone) > 0 {
		err = errors.Join(err, a.sched.CancelAll(ctx, gone...))
	}
	if err != nil {
		// The dog is recorded; a missing reminder is logged, not a reason to
		// fail the owner's command.
		a.log.Warn("dog reminders not scheduled", "dog", d.N, "err", err)
	}
	return times
}

// fireDogShot reminds an owner, privately where possible, that their dog's
// rabies shot falls due. A reminder left over from an earlier due day, or
// overtaken by a nearer one after downtime, is dropped.
func (a *App) fireDogShot(ctx context.Context, rem scheduler.Reminder) error {
	ctx, station, n, which, err := a.jobRecord(ctx, rem.Payload, "dogshot")
	if err != nil {
		return err
	}
	days, err := strconv.Atoi(which)
	if err != nil {
		return fmt.Errorf("dog shot job %q: %w", rem.Payload, err)
	}
	d, err := a.store.Dog(ctx, station.ID, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil // taken off the registry
	}
	if err != nil {
		return err
	}
	due := d.ShotDue()
	if due.IsZero() || !dogShotTime(due, days).Equal(rem.At) {
		return nil // a shot was recorded since
	}
	for _, shorter := range dogShotLeads {
		if shorter < days && !a.now().Before(dogShotTime(due, shorter)) {
			return nil // a nearer reminder is due as well; that one speaks
		}
	}
	ctx = bot.WithLocale(ctx, a.personLocale(ctx, d.Owner, station))
	left := daysBetween(a.now(), due)
	key := "dog_shot_reminder"
	switch {
	case left <= 0:
		key = "dog_shot_reminder_overdue"
	case left == 1:
		key = "dog_shot_reminder_tomorrow"
	}
	a.notifyPerson(ctx, d.Owner, d.OwnerName, d.OwnerChat, tr(ctx, key, i18n.Args{
		"Owner": d.OwnerName, "Name": d.Name, "Due": formatDay(ctx, due), "Days": left, "Station": station.Name,
	}))
	return nil
}

func dogNudgeJobID(st int64) string { return jobPayload("dognudge", st) }

// fireDogNudge is the yearly nudge: each owner of a dog not known to be
// sterilised hears about it privately, once for all their dogs.
func (a *App) fireDogNudge(ctx context.Context, rem scheduler.Reminder) error {
	ctx, station, _, err := a.jobStation(ctx, rem.Payload, "dognudge")
	if err != nil {
		return err
	}
	st := station.ID
	if spec, err := a.store.SterilisationNudge(ctx, st); err != nil || spec == "" {
		return err
	}
	all, err := a.store.Dogs(ctx, st)
	if err != nil {
		return err
	}
	var owners []string
	byOwner := map[string][]*store.Dog{}
	for _, d := range all {
		if d.Sterilised == store.SterilisedYes {
			continue
		}
		if _, ok := byOwner[d.Owner]; !ok {
			owners = append(owners, d.Owner)
		}
		byOwner[d.Owner] = append(byOwner[d.Owner], d)
	}
	for _, o := range owners {
		dogs := byOwner[o]
		lctx := bot.WithLocale(ctx, a.personLocale(ctx, o, station))
		names := make([]string, len(dogs))
		for i, d := range dogs {
			names[i] = d.Name
		}
		a.notifyPerson(lctx, o, dogs[0].OwnerName, dogs[0].OwnerChat, tr(lctx, "dog_nudge", i18n.Args{
			"Owner": dogs[0].OwnerName, "Dogs": strings.Join(names, tr(lctx, "list_sep")), "Name": dogs[0].Name,
			"Station": station.Name,
		}))
	}
	return nil
}
