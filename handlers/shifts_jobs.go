package handlers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/scheduler"
)

// Reminders are one-off scheduler reminders per station and moment, kept
// in step with who holds places (syncShiftReminders, after every sign-up,
// cancellation, move and removal): the evening before at 20:00 each
// volunteer on duty the next day gets one message listing their shifts;
// an hour before a start everyone on duty then is reminded; a minute
// after an end, whoever did not check in is recorded absent and the team
// lead told. A moment nobody is on duty any more has its reminder
// cancelled; a moved slot's reminders move with it. One recurring job a
// day at 10:00 tells each team's lead (else the head) about tomorrow's
// shifts that still lack volunteers. The jobs read the rota when they fire,
// so a promotion needs no reminder of its own, and they speak to people in
// a fixed order (the scheduler sends what falls due together in no order).

// Scheduler jobs of shifts.
const (
	jobShiftEve  = "shift_eve"
	jobShiftHour = "shift_hour"
	jobShiftEnd  = "shift_end"
	jobShiftGaps = "shift_gaps"
)

// gapsDigestTime is when the lead is told about the gaps of the day start
// falls on: 10:00 the day before.
func gapsDigestTime(start time.Time) time.Time {
	d := start.In(calendar.Shanghai)
	return time.Date(d.Year(), d.Month(), d.Day()-1, 10, 0, 0, 0, calendar.Shanghai)
}

// Reminder IDs, which are also the payloads. There is one reminder per
// station and moment, not one per volunteer or slot: the scheduler sends
// what falls due at one moment in no fixed order, and one job per moment
// speaks to everyone concerned in a fixed order.
func shiftEveID(st int64, day string) string { return jobPayload("shift", st, "eve", day) }

func shiftHourID(st int64, start time.Time) string {
	return jobPayload("shift", st, "hour", start.In(calendar.Shanghai).Format(instantLayout))
}

func shiftEndID(st int64, end time.Time) string {
	return jobPayload("shift", st, "end", end.In(calendar.Shanghai).Format(instantLayout))
}

func shiftGapsID(st int64) string { return jobPayload("shift", st, "gaps") }

// instantLayout names a moment in a reminder ID, to the minute, in Shanghai.
const instantLayout = "200601021504"

// closeDelay is how long after a shift ends its absences are recorded:
// check-in is open to the end, and an evening shift ending at 20:00 is not
// closed at the very moment the evening reminders go out.
const closeDelay = time.Minute

// dayShift is one occurrence of an active slot on a day.
type dayShift struct {
	shift *store.Shift
	ref   store.OccurrenceRef
	occ   *store.Occurrence
}

// dayShifts returns the occurrences of every active slot of station st on
// day, soonest first, with who is on them.
func (a *App) dayShifts(ctx context.Context, st int64, day time.Time) ([]dayShift, error) {
	all, err := a.store.Shifts(ctx, st)
	if err != nil {
		return nil, err
	}
	out := dayShiftsOf(all, day)
	refs := make([]store.OccurrenceRef, 0, len(out))
	for _, d := range out {
		refs = append(refs, d.ref)
	}
	occs, err := a.store.Occurrences(ctx, st, refs)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].occ = occs[i]
	}
	return out, nil
}

// dayShiftsOf returns the occurrences of the slots all on day, soonest
// first, without who is on them.
func dayShiftsOf(all []*store.Shift, day time.Time) []dayShift {
	var out []dayShift
	for _, sh := range all {
		if start, ok := sh.StartOn(day); ok {
			ref := store.OccurrenceRef{N: sh.N, Day: store.DayKey(day), Start: start}
			out = append(out, dayShift{shift: sh, ref: ref})
		}
	}
	slices.SortFunc(out, func(x, y dayShift) int {
		return cmp.Or(x.ref.Start.Compare(y.ref.Start), cmp.Compare(x.shift.N, y.shift.N))
	})
	return out
}

// syncShiftReminders makes the reminders of day match who holds places on
// its occurrences: the evening-before reminder while anyone holds one, and
// for each start and end moment with someone on duty an hour-before
// reminder and the job that records absences. Reminders of moments nobody
// is on duty any more are cancelled, as are the stale ones (left behind by
// a moved or removed slot) unless still wanted. Failures are logged: the
// sign-up itself is done either way.
func (a *App) syncShiftReminders(ctx context.Context, st int64, day string, stale ...string) {
	err := a.store.WithShiftDayRota(ctx, st, day, func(all []*store.Shift, occs map[int64]*store.Occurrence) error {
		return a.syncShiftDay(ctx, st, day, all, occs, stale)
	})
	if err != nil {
		a.log.Warn("shift reminders not updated", "day", day, "err", err)
	}
}

// occurrenceReminders are the reminders of an occurrence starting at start
// with someone on duty: the evening before its day, an hour before it
// starts, and the job after its end that records absences.
func occurrenceReminders(st int64, start time.Time, dur time.Duration) []scheduler.Reminder {
	d := start.In(calendar.Shanghai)
	eve, hour, fin := shiftEveID(st, store.DayKey(start)), shiftHourID(st, start), shiftEndID(st, start.Add(dur))
	return []scheduler.Reminder{
		{ID: eve, At: time.Date(d.Year(), d.Month(), d.Day()-1, shiftEveningHour, 0, 0, 0, calendar.Shanghai),
			StaleAfter: 4 * time.Hour, Job: jobShiftEve, Payload: eve},
		{ID: hour, At: start.Add(-shiftLeadTime), StaleAfter: shiftLeadTime, Job: jobShiftHour, Payload: hour},
		{ID: fin, At: start.Add(dur).Add(closeDelay), Job: jobShiftEnd, Payload: fin},
	}
}

// firstOnDutyReminders are the reminders an occurrence of the station's
// rota from start, lasting dur, gains when its first place is taken (those
// still to come): the sign-up that takes it schedules them (signupFor).
// Had someone held a place already, the sign-up that made them the first
// did that, and the jobs read who is on duty when they fire.
func (a *App) firstOnDutyReminders(st int64, start time.Time, dur time.Duration) []scheduler.Reminder {
	now := a.now()
	var want []scheduler.Reminder
	for _, r := range occurrenceReminders(st, start, dur) {
		if r.At.After(now) {
			want = append(want, r)
		}
	}
	return want
}

func (a *App) syncShiftDay(ctx context.Context, st int64, day string, all []*store.Shift, occs map[int64]*store.Occurrence, stale []string) error {
	d, err := store.ParseDayKey(day)
	if err != nil {
		return err
	}
	shifts := dayShiftsOf(all, d)
	for i := range shifts {
		shifts[i].occ = occs[shifts[i].shift.N]
	}
	now := a.now()
	var want []scheduler.Reminder
	held := map[string]bool{}
	maybeDrop := map[string]bool{}
	for _, id := range stale {
		maybeDrop[id] = true
	}
	for _, x := range shifts {
		start, end := x.ref.Start, x.ref.Start.Add(x.shift.Duration)
		if len(x.occ.On) == 0 {
			maybeDrop[shiftHourID(st, start)], maybeDrop[shiftEndID(st, end)] = true, true
			continue
		}
		for _, r := range occurrenceReminders(st, start, x.shift.Duration) {
			if !held[r.ID] && r.At.After(now) {
				want = append(want, r)
			}
			held[r.ID] = true
		}
	}
	maybeDrop[shiftEveID(st, day)] = true
	var drop []string
	for id := range maybeDrop {
		if !held[id] {
			drop = append(drop, id)
		}
	}
	slices.Sort(drop)
	if len(want) > 0 {
		if err := a.sched.ScheduleAll(ctx, want...); err != nil {
			return err
		}
	}
	if len(drop) > 0 {
		return a.sched.CancelAll(ctx, drop...)
	}
	return nil
}

func (a *App) cancelReminders(ctx context.Context, ids ...string) {
	if len(ids) == 0 {
		return
	}
	if err := a.sched.CancelAll(ctx, ids...); err != nil {
		a.log.Warn("shift reminders not cancelled", "ids", ids, "err", err)
	}
}

// scheduleGaps starts the station's daily word to team leads about
// tomorrow's gaps; scheduling it again changes nothing.
func (a *App) scheduleGaps(ctx context.Context, st int64) {
	id := shiftGapsID(st)
	if err := a.sched.Schedule(ctx, scheduler.Reminder{ID: id, Spec: shiftGapsSpec, StaleAfter: 6 * time.Hour,
		Job: jobShiftGaps, Payload: id}); err != nil {
		a.log.Warn("shift gaps reminder not scheduled", "station", st, "err", err)
	}
}

// shiftJob reads a shift reminder's payload, "shift:ST:KIND[:ARG]", and the
// station it names.
func (a *App) shiftJob(ctx context.Context, payload, kind string) (*store.Station, string, error) {
	id, rest, err := splitJob(payload, "shift")
	if err == nil && (len(rest) == 0 || rest[0] != kind) {
		err = fmt.Errorf("shift job: bad payload %q", payload)
	}
	if err != nil {
		return nil, "", err
	}
	_, st, err := a.stationCtx(ctx, id)
	if err != nil {
		return nil, "", err
	}
	arg := ""
	if len(rest) == 2 {
		arg = rest[1]
	}
	return st, arg, nil
}

// teamsByID returns the station's teams by number.
func (a *App) teamsByID(ctx context.Context, st int64) (map[int64]*store.Team, error) {
	teams, err := a.store.Teams(ctx, st)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*store.Team, len(teams))
	for _, t := range teams {
		out[t.ID] = t
	}
	return out, nil
}

// fireShiftEve reminds everyone on duty the next day, the evening before:
// one message each, listing their shifts.
func (a *App) fireShiftEve(ctx context.Context, rem scheduler.Reminder) error {
	st, day, err := a.shiftJob(ctx, rem.Payload, "eve")
	if err != nil {
		return err
	}
	d, err := store.ParseDayKey(day)
	if err != nil {
		return fmt.Errorf("shift job %q: %w", rem.Payload, err)
	}
	shifts, err := a.dayShifts(ctx, st.ID, d)
	if err != nil {
		return err
	}
	teams, err := a.teamsByID(ctx, st.ID)
	if err != nil {
		return err
	}
	type duty struct {
		entry  store.ShiftEntry
		shifts []dayShift
	}
	var order []string
	duties := map[string]*duty{}
	for _, x := range shifts { // soonest first, so each person's first shift orders them
		for _, e := range x.occ.On {
			if duties[e.UserKey] == nil {
				duties[e.UserKey] = &duty{entry: e}
				order = append(order, e.UserKey)
			}
			duties[e.UserKey].shifts = append(duties[e.UserKey].shifts, x)
		}
	}
	for _, key := range order {
		du := duties[key]
		team := teams[du.shifts[0].shift.Team]
		if team == nil {
			continue
		}
		a.notifyVolunteer(ctx, st, team, du.entry, func(ctx context.Context) string {
			lines := make([]string, len(du.shifts))
			for i, x := range du.shifts {
				lines[i] = "  " + tr(ctx, "shift_eve_line", i18n.Args{"N": x.shift.N, "Place": x.shift.Place,
					"Time": shiftTimeRange(ctx, x.ref.Start, x.shift.Duration)})
			}
			cancel := tr(ctx, "shift_cancel_cmd_any")
			if len(du.shifts) == 1 {
				cancel = tr(ctx, "shift_cancel_cmd", i18n.Args{"N": du.shifts[0].shift.N})
			}
			return tr(ctx, "shift_eve_reminder", i18n.Args{"Who": du.entry.Name, "Day": formatDateWeekday(ctx, d),
				"Lines": strings.Join(lines, "\n"), "Cancel": cancel})
		})
	}
	return nil
}

// fireShiftHour reminds everyone on a shift starting in an hour.
func (a *App) fireShiftHour(ctx context.Context, rem scheduler.Reminder) error {
	st, arg, err := a.shiftJob(ctx, rem.Payload, "hour")
	if err != nil {
		return err
	}
	start, err := time.ParseInLocation(instantLayout, arg, calendar.Shanghai)
	if err != nil {
		return fmt.Errorf("shift job %q: %w", rem.Payload, err)
	}
	shifts, err := a.dayShifts(ctx, st.ID, start)
	if err != nil {
		return err
	}
	teams, err := a.teamsByID(ctx, st.ID)
	if err != nil {
		return err
	}
	for _, x := range shifts {
		team := teams[x.shift.Team]
		if !x.ref.Start.Equal(start) || team == nil {
			continue
		}
		for _, e := range x.occ.On {
			a.notifyVolunteer(ctx, st, team, e, func(ctx context.Context) string {
				return tr(ctx, "shift_hour_reminder", i18n.Args{"N": x.shift.N, "Place": x.shift.Place,
					"Time": shiftTimeRange(ctx, x.ref.Start, x.shift.Duration)})
			})
		}
	}
	return nil
}

// fireShiftEnd closes the shifts ending at a moment: whoever held a place
// and did not check in is recorded absent, and their team lead is told.
func (a *App) fireShiftEnd(ctx context.Context, rem scheduler.Reminder) error {
	st, arg, err := a.shiftJob(ctx, rem.Payload, "end")
	if err != nil {
		return err
	}
	end, err := time.ParseInLocation(instantLayout, arg, calendar.Shanghai)
	if err != nil {
		return fmt.Errorf("shift job %q: %w", rem.Payload, err)
	}
	all, err := a.store.Shifts(ctx, st.ID)
	if err != nil {
		return err
	}
	teams, err := a.teamsByID(ctx, st.ID)
	if err != nil {
		return err
	}
	for _, sh := range all {
		start, ok := sh.StartOn(end.Add(-sh.Duration))
		if !ok || !start.Add(sh.Duration).Equal(end) {
			continue
		}
		absent, err := a.store.CloseOccurrence(ctx, st.ID, sh.N, store.DayKey(start))
		if err != nil {
			return err
		}
		team := teams[sh.Team]
		if len(absent) == 0 || team == nil {
			continue
		}
		a.tellLead(ctx, st, team, "", func(ctx context.Context) string {
			names := make([]string, len(absent))
			for i, e := range absent {
				names[i] = e.Name
			}
			return tr(ctx, "shift_absent_notice", i18n.Args{"N": sh.N, "Place": sh.Place,
				"When": shiftWhen(ctx, start, sh.Duration), "Names": strings.Join(names, tr(ctx, "list_sep"))})
		})
	}
	return nil
}

// fireShiftGaps tells each team's lead which of tomorrow's shifts still
// lack volunteers.
func (a *App) fireShiftGaps(ctx context.Context, rem scheduler.Reminder) error {
	st, _, err := a.shiftJob(ctx, rem.Payload, "gaps")
	if err != nil {
		return err
	}
	tomorrow := shiftMidnight(a.now()).AddDate(0, 0, 1)
	shifts, err := a.dayShifts(ctx, st.ID, tomorrow)
	if err != nil {
		return err
	}
	teams, err := a.store.Teams(ctx, st.ID)
	if err != nil {
		return err
	}
	for _, team := range teams {
		gaps := teamGaps(shifts, team)
		if len(gaps) == 0 {
			continue
		}
		a.tellLead(ctx, st, team, "", func(ctx context.Context) string { return gapsDigest(ctx, team, gaps, tomorrow, "") })
	}
	return nil
}

// teamGaps are the occurrences of team's slots among shifts that still
// need volunteers.
func teamGaps(shifts []dayShift, team *store.Team) []dayShift {
	var gaps []dayShift
	for _, x := range shifts {
		if x.shift.Team == team.ID && len(x.occ.On) < x.shift.Places {
			gaps = append(gaps, x)
		}
	}
	return gaps
}

// gapsDigest tells team's lead which of its slots on day still need
// volunteers; with link, volunteers are asked to sign up on the station's
// page rather than in the chat.
func gapsDigest(ctx context.Context, team *store.Team, gaps []dayShift, day time.Time, link string) string {
	lines := make([]string, len(gaps))
	for i, x := range gaps {
		lines[i] = "  " + tr(ctx, "shift_gap_line", i18n.Args{"N": x.shift.N, "Place": x.shift.Place,
			"Gap": x.shift.Places - len(x.occ.On), "Time": shiftTimeRange(ctx, x.ref.Start, x.shift.Duration)})
	}
	return tr(ctx, "shift_gaps_digest", i18n.Args{"Team": team.Name, "Day": formatDateWeekday(ctx, day),
		"Lines": strings.Join(lines, "\n"), "Link": link})
}
