package handlers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/scheduler"
)

// Shifts (排班). A slot (#N) recurs, such as 每天 06:00-08:00 at 1号垃圾点
// for one volunteer; each day it falls on is an occurrence, and volunteers
// sign up for occurrences: 报名 1 takes the next one, 报名 1 周五 Friday's.
// When the places are taken the volunteer goes on the occurrence's
// waitlist; a cancellation hands the place to the first waiting, who is
// told at once.
//
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

const (
	// shiftEveningHour is when volunteers hear about tomorrow's shifts.
	shiftEveningHour = 20
	// shiftLeadTime is how long before a shift the last reminder goes.
	shiftLeadTime = time.Hour
	// shiftGapsSpec is when a team lead hears about tomorrow's gaps.
	shiftGapsSpec = "0 10 * * *"
	// checkInEarly is how long before the start 签到 is accepted.
	checkInEarly = 30 * time.Minute
	// lateGrace is how late a check-in may be and still be on time.
	lateGrace = 10 * time.Minute
	// maxPlaces bounds a slot's volunteers.
	maxPlaces = 50
	// signupHorizonDays is how far ahead one may sign up.
	signupHorizonDays = 60
	// rotaDays is how many days /shifts shows, today included.
	rotaDays = 7
	// maxRotaLines bounds the rota's occurrence lines.
	maxRotaLines = 60
	// groupRotaDays and groupRotaLines are the rota a group reads: today
	// and tomorrow, in at most ten lines with the header, two dates, the
	// "more" line and the footer.
	groupRotaDays  = 2
	groupRotaLines = 5
)

// shift serves /shift add|move|remove; /shift alone is the rota.
func (a *App) shift(ctx context.Context, r bot.Responder, m *bot.Message) error {
	sub, rest, _ := strings.Cut(m.Args, " ")
	rest = strings.TrimSpace(rest)
	if _, _, about, _ := cutAbout(m.Args); about {
		// 排班 关于 #12 看工队 …: the 新增 left out.
		return a.addShift(ctx, r, m, m.Args)
	}
	switch strings.ToLower(sub) {
	case "", "list", "列表":
		return a.shifts(ctx, r, m)
	case "add", "new", "新增", "添加", "增加", "新建":
		return a.addShift(ctx, r, m, rest)
	case "move", "change", "调整", "修改", "改":
		return a.moveShift(ctx, r, m, rest)
	case "remove", "delete", "删除", "取消", "停止":
		return a.removeShift(ctx, r, m, rest)
	}
	// 排班 垃圾分类督导队 每天 06:00-08:00 …: the 新增 left out.
	if _, _, err := calendar.ParseSlot(m.Args); err == nil {
		return a.addShift(ctx, r, m, m.Args)
	}
	if _, _, err := calendar.ParseSlot(rest); err == nil {
		return a.addShift(ctx, r, m, m.Args)
	}
	return badForm("usage_shift", "unknown_subcommand", i18n.Args{"Word": clip(sub)})
}

// shiftForm is what /shift add says after the team.
type shiftForm struct {
	slot   calendar.Slot
	place  string
	places int
}

// Reasons parseShiftForm refuses a slot.
var (
	errShiftWhen      = errors.New("shift: days and times not understood")
	errShiftClock     = errors.New("shift: impossible time of day")
	errShiftTooLong   = errors.New("shift: longer than 12 hours")
	errShiftNoPlace   = errors.New("shift: no place")
	errShiftPlaceLong = errors.New("shift: place too long")
	errShiftPlaces    = errors.New("shift: impossible number of places")
)

// parseShiftForm reads 每天 06:00-08:00 1号垃圾点 1人: the days and times
// (calendar.ParseSlot), then the place, with the number of places (N人, N名,
// N位, N people) anywhere after the times; one place when none is given.
// An end before the start crosses midnight; a slot longer than 12 hours is
// refused, since that is nearly always an end typed before the start.
func parseShiftForm(text string) (shiftForm, error) {
	slot, rest, err := calendar.ParseSlot(text)
	if err != nil {
		if errors.Is(err, calendar.ErrBadTime) {
			return shiftForm{}, errShiftClock
		}
		return shiftForm{}, errShiftWhen
	}
	if slot.Duration > store.MaxShiftDuration {
		return shiftForm{}, errShiftTooLong
	}
	f := shiftForm{slot: slot, places: 1}
	var words []string
	counted := false
	fields := strings.Fields(rest)
	for i := 0; i < len(fields); i++ {
		w := fields[i]
		if !counted {
			n, isCount, ok := parsePlaces(w)
			if !isCount && i+1 < len(fields) && placesUnit(fields[i+1]) {
				if n, isCount, ok = parsePlaces(w + fields[i+1]); isCount {
					i++
				}
			}
			if isCount {
				if !ok {
					return shiftForm{}, errShiftPlaces
				}
				f.places, counted = n, true
				continue
			}
		}
		words = append(words, w)
	}
	f.place = strings.Join(words, " ")
	switch {
	case f.place == "":
		return shiftForm{}, errShiftNoPlace
	case utf8.RuneCountInString(f.place) > maxNameRunes:
		return shiftForm{}, errShiftPlaceLong
	}
	return f, nil
}

var placesUnits = []string{"个人", "人", "名", "位", "people", "persons", "person", "ppl"}

func placesUnit(w string) bool { return slices.Contains(placesUnits, strings.ToLower(w)) }

// parsePlaces reads a number of places such as 2人, 两人, 每班2人 or
// 3people. isCount says the word is meant as one; ok that it is a number
// from 1 to maxPlaces.
func parsePlaces(w string) (n int, isCount, ok bool) {
	lower := strings.ToLower(w)
	for _, u := range placesUnits {
		num, found := strings.CutSuffix(lower, u)
		if !found {
			continue
		}
		num = strings.TrimPrefix(strings.TrimPrefix(num, "每班"), "共")
		if num == "" {
			return 0, false, false
		}
		v, err := numerals.ParseChineseInt(num)
		if err != nil {
			// "老人活动室" is a place; "-1人" and "1.5人" are bad counts.
			return 0, strings.ContainsAny(num, "0123456789-+."), false
		}
		return int(v), true, v >= 1 && v <= maxPlaces
	}
	return 0, false, false
}

// shiftFormError is the reply to a slot parseShiftForm refused.
func shiftFormError(err error, usage string) error {
	switch {
	case errors.Is(err, errShiftClock):
		return badForm(usage, "shift_time_bad")
	case errors.Is(err, errShiftTooLong):
		return badForm(usage, "shift_too_long")
	case errors.Is(err, errShiftNoPlace):
		return badForm(usage, "shift_needs_place")
	case errors.Is(err, errShiftPlaceLong):
		return badForm(usage, "shift_place_too_long", i18n.Args{"Max": maxNameRunes})
	case errors.Is(err, errShiftPlaces):
		return badForm(usage, "shift_bad_places", i18n.Args{"Max": maxPlaces})
	}
	return badForm(usage, "shift_when_bad")
}

func (a *App) addShift(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	about, args, err := a.aboutProblem(ctx, st.ID, args, "usage_shift_add")
	if err != nil {
		return err
	}
	team, rest, err := a.shiftTeam(ctx, st, args)
	if err != nil {
		return err
	}
	if !canRunTeam(ctx, team) {
		return needRole(store.RoleHead, store.RoleDeputy, store.RoleTeamLead)
	}
	f, err := parseShiftForm(rest)
	if err != nil {
		return shiftFormError(err, "usage_shift_add")
	}
	sh, err := a.store.CreateShift(ctx, st.ID, store.Shift{Team: team.ID, Spec: f.slot.Spec, Duration: f.slot.Duration,
		Place: f.place, Places: f.places, By: m.Sender.Key(), ByName: m.Sender.Name, About: about}, a.now())
	if err != nil {
		return err
	}
	a.linked(ctx, st, about)
	a.scheduleGaps(ctx, st.ID)
	next, _ := sh.Next(a.now())
	return r.Reply(ctx, tr(ctx, "shift_added", i18n.Args{"N": sh.N, "Team": team.Name, "Slot": describeSlot(ctx, sh),
		"Place": sh.Place, "Places": sh.Places, "Next": shiftWhen(ctx, next, sh.Duration), "About": sh.About}))
}

// shiftTeam reads the team a new slot belongs to; with one team in the
// station it may be left out.
func (a *App) shiftTeam(ctx context.Context, st *store.Station, args string) (*store.Team, string, error) {
	if _, _, err := calendar.ParseSlot(args); err == nil {
		teams, err := a.store.Teams(ctx, st.ID)
		switch {
		case err != nil:
			return nil, "", err
		case len(teams) == 0:
			return nil, "", say("team_none_yet")
		case len(teams) > 1:
			return nil, "", badForm("usage_shift_add", "shift_needs_team", i18n.Args{"Teams": teamNames(ctx, teams)})
		}
		return teams[0], args, nil
	}
	if args == "" {
		return nil, "", badForm("usage_shift_add", "shift_when_bad")
	}
	return a.cutTeam(ctx, st, args, "usage_shift_add")
}

// findShift returns slot n, or the reply that there is no such slot.
func (a *App) findShift(ctx context.Context, st, n int64) (*store.Shift, error) {
	sh, err := a.store.Shift(ctx, st, n)
	if errors.Is(err, store.ErrNotFound) || err == nil && sh.Removed {
		return nil, say("shift_not_found", i18n.Args{"N": n})
	}
	return sh, err
}

// shiftAndTeam returns slot n and its team, checking the sender may run
// the team's rota.
func (a *App) shiftAndTeam(ctx context.Context, st *store.Station, n int64) (*store.Shift, *store.Team, error) {
	sh, err := a.findShift(ctx, st.ID, n)
	if err != nil {
		return nil, nil, err
	}
	team, err := a.store.Team(ctx, st.ID, sh.Team)
	if err != nil {
		return nil, nil, err
	}
	if !canRunTeam(ctx, team) {
		return nil, nil, needRole(store.RoleHead, store.RoleDeputy, store.RoleTeamLead)
	}
	return sh, team, nil
}

// moveShift serves /shift move N WHEN TIME-TIME: a new time for a slot.
// Volunteers keep their places on the days the slot still falls on and are
// told the new time; the others are told their place is gone.
func (a *App) moveShift(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	n, rest, err := parseKindRefArg(ctx, args, "usage_shift_move", shiftRef)
	if err != nil {
		return err
	}
	sh, team, err := a.shiftAndTeam(ctx, st, n)
	if err != nil {
		return err
	}
	slot, _, err := calendar.ParseSlot(rest)
	switch {
	case errors.Is(err, calendar.ErrBadTime):
		return shiftFormError(errShiftClock, "usage_shift_move")
	case err != nil:
		return shiftFormError(errShiftWhen, "usage_shift_move")
	case slot.Duration > store.MaxShiftDuration:
		return shiftFormError(errShiftTooLong, "usage_shift_move")
	}
	affected, err := a.store.MoveShift(ctx, st.ID, n, slot.Spec, slot.Duration, a.now())
	if err != nil {
		return err
	}
	oldDur := sh.Duration
	sh.Spec, sh.Duration = slot.Spec, slot.Duration
	told := affectedPeople(affected)
	if err := r.Reply(ctx, tr(ctx, "shift_moved", i18n.Args{"N": n, "Slot": describeSlot(ctx, sh),
		"Told": told, "ToldPeople": countOf(ctx, "shift_n_people", told)})); err != nil {
		return err
	}
	a.settleAffected(ctx, st, team, sh, oldDur, affected)
	return nil
}

// removeShift serves /shift remove N: the slot is taken off the rota and
// everyone signed up for a coming occurrence is told.
func (a *App) removeShift(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	n, _, err := parseKindRefArg(ctx, args, "usage_shift_remove", shiftRef)
	if err != nil {
		return err
	}
	sh, team, err := a.shiftAndTeam(ctx, st, n)
	if err != nil {
		return err
	}
	affected, err := a.store.RemoveShift(ctx, st.ID, n, a.now())
	if errors.Is(err, store.ErrNotFound) {
		return say("shift_not_found", i18n.Args{"N": n})
	}
	if err != nil {
		return err
	}
	told := affectedPeople(affected)
	if err := r.Reply(ctx, tr(ctx, "shift_removed", i18n.Args{"N": n, "Slot": describeSlot(ctx, sh), "Place": sh.Place,
		"Told": told, "ToldPeople": countOf(ctx, "shift_n_people", told)})); err != nil {
		return err
	}
	a.settleAffected(ctx, st, team, sh, sh.Duration, affected)
	if rest, err := a.store.Shifts(ctx, st.ID); err == nil && len(rest) == 0 {
		a.cancelReminders(ctx, shiftGapsID(st.ID))
	}
	return nil
}

// affectedPeople counts the volunteers on occurrences a move or removal
// changed.
func affectedPeople(affected []store.AffectedOccurrence) int {
	people := map[string]bool{}
	for _, occ := range affected {
		for _, e := range slices.Concat(occ.On, occ.Waiting) {
			people[e.UserKey] = true
		}
	}
	return len(people)
}

// settleAffected tells the volunteers of occurrences a move or removal
// changed, and brings the reminders of their days up to date; oldDur is
// the slot's length before the change.
func (a *App) settleAffected(ctx context.Context, st *store.Station, team *store.Team, sh *store.Shift, oldDur time.Duration, affected []store.AffectedOccurrence) {
	stale := map[string][]string{}
	var days []string
	for _, occ := range affected {
		if _, seen := stale[occ.Day]; !seen {
			days = append(days, occ.Day)
		}
		stale[occ.Day] = append(stale[occ.Day], shiftHourID(st.ID, occ.OldStart), shiftEndID(st.ID, occ.OldStart.Add(oldDur)))
		for _, e := range slices.Concat(occ.On, occ.Waiting) {
			a.notifyVolunteer(ctx, st, team, e, func(ctx context.Context) string {
				if occ.NewStart.IsZero() {
					return tr(ctx, "shift_dropped_notice", i18n.Args{"N": sh.N, "Place": sh.Place,
						"OldWhen": formatDateWeekday(ctx, occ.OldStart)})
				}
				return tr(ctx, "shift_moved_notice", i18n.Args{"N": sh.N, "Place": sh.Place,
					"When": shiftWhen(ctx, occ.NewStart, sh.Duration)})
			})
		}
	}
	for _, day := range days {
		a.syncShiftReminders(ctx, st.ID, day, stale[day]...)
	}
}

// shifts serves /shifts [TEAM]: the coming week, who is on each
// occurrence, and the places still open. Asked in a group, the group reads
// only today and tomorrow with their gaps, and the week goes to the asker
// privately, so a busy group is not flooded.
func (a *App) shifts(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	var team *store.Team
	if args := strings.TrimSpace(m.Args); args != "" {
		if team, err = a.resolveTeam(ctx, st, args, "usage_shifts"); err != nil {
			return err
		}
	}
	all, err := a.store.Shifts(ctx, st.ID)
	if err != nil {
		return err
	}
	rota := rota{byN: map[int64]*store.Shift{}, teamName: map[int64]string{}, name: st.Name}
	if team != nil {
		rota.name = team.Name
	}
	teamsShown := map[int64]bool{}
	for _, sh := range all {
		if team == nil || sh.Team == team.ID {
			rota.byN[sh.N] = sh
			teamsShown[sh.Team] = true
		}
	}
	if len(rota.byN) == 0 {
		return r.Reply(ctx, tr(ctx, "shifts_empty"))
	}
	if len(teamsShown) > 1 {
		teams, err := a.store.Teams(ctx, st.ID)
		if err != nil {
			return err
		}
		for _, t := range teams {
			rota.teamName[t.ID] = t.Name
		}
	}
	week, n, err := a.rotaText(ctx, st.ID, rota, rotaDays, maxRotaLines, "shifts_more")
	if err != nil {
		return err
	}
	week += "\n" + tr(ctx, "shifts_footer")
	if n == 0 || m.IsPrivate() {
		return r.Reply(ctx, week)
	}
	short, _, err := a.rotaText(ctx, st.ID, rota, groupRotaDays, groupRotaLines, "shifts_group_more")
	if err != nil {
		return err
	}
	return replyInShort(ctx, r, m, short+"\n"+tr(ctx, "shifts_group_footer", i18n.Args{"Name": m.Sender.Name}), week)
}

// rota is what /shifts lists: the shifts by number, the names of their
// teams when more than one team is shown, and whose rota it is.
type rota struct {
	byN      map[int64]*store.Shift
	teamName map[int64]string
	name     string
}

// rotaText lists the occurrences of the rota's shifts from now to the end
// of the days-th day, today included, at most maxLines of them, under a
// header; a day with none is left out, and the sentence moreKey says how
// many more there are. It also returns how many occurrences there are.
func (a *App) rotaText(ctx context.Context, st int64, rota rota, days, maxLines int, moreKey string) (string, int, error) {
	now := a.now()
	today := shiftMidnight(now)
	var refs []store.OccurrenceRef
	for i := range days {
		d := today.AddDate(0, 0, i)
		for _, sh := range rota.byN {
			if start, ok := sh.StartOn(d); ok && start.Add(sh.Duration).After(now) {
				refs = append(refs, store.OccurrenceRef{N: sh.N, Day: store.DayKey(d), Start: start})
			}
		}
	}
	slices.SortFunc(refs, func(x, y store.OccurrenceRef) int {
		return cmp.Or(x.Start.Compare(y.Start), cmp.Compare(x.N, y.N))
	})
	shown := min(len(refs), maxLines)
	occs, err := a.store.Occurrences(ctx, st, refs[:shown])
	if err != nil {
		return "", 0, err
	}
	var b strings.Builder
	b.WriteString(tr(ctx, "shifts_header", i18n.Args{"Name": rota.name, "From": formatDate(ctx, today),
		"To": formatDate(ctx, today.AddDate(0, 0, days-1))}))
	if len(refs) == 0 {
		empty := "shifts_week_empty"
		if days < rotaDays {
			empty = "shifts_soon_empty"
		}
		b.WriteString("\n" + tr(ctx, empty))
		return b.String(), 0, nil
	}
	day := ""
	for i, ref := range refs[:shown] {
		if ref.Day != day {
			day = ref.Day
			b.WriteString("\n" + formatDateWeekday(ctx, ref.Start))
		}
		sh := rota.byN[ref.N]
		b.WriteString("\n  " + rotaLine(ctx, sh, ref, occs[i], rota.teamName[sh.Team]))
	}
	if shown < len(refs) {
		b.WriteString("\n" + tr(ctx, moreKey, i18n.Args{"Shown": shown, "More": len(refs) - shown}))
	}
	return b.String(), len(refs), nil
}

// rotaLine is one occurrence in the rota: time, place, who, and the gap.
func rotaLine(ctx context.Context, sh *store.Shift, ref store.OccurrenceRef, o *store.Occurrence, team string) string {
	sep := tr(ctx, "list_sep")
	names := make([]string, len(o.On))
	for i, e := range o.On {
		names[i] = e.Name
		if _, in := o.In[e.UserKey]; in {
			names[i] += tr(ctx, "shifts_checked")
		}
	}
	who := strings.Join(names, sep)
	if who == "" {
		who = tr(ctx, "shifts_nobody")
	}
	if gap := sh.Places - len(o.On); gap > 0 {
		who += " " + tr(ctx, "shifts_gap", i18n.Args{"Gap": gap})
	}
	if len(o.Waiting) > 0 {
		waiting := make([]string, len(o.Waiting))
		for i, e := range o.Waiting {
			waiting[i] = e.Name
		}
		who += tr(ctx, "shifts_waiting", i18n.Args{"Names": strings.Join(waiting, sep)})
	}
	args := i18n.Args{"N": sh.N, "Time": shiftTimeRange(ctx, ref.Start, sh.Duration), "Place": sh.Place, "Names": who, "Team": team}
	if team != "" {
		return tr(ctx, "shifts_line_team", args)
	}
	return tr(ctx, "shifts_line", args)
}

// shiftDayArg reads the date of an occurrence after /signup N or /cancel N.
func (a *App) shiftDayArg(ctx context.Context, text, usage string) (time.Time, error) {
	d, rest, err := calendar.ParseFutureDate(text, a.now())
	var amb *calendar.AmbiguousTimeError
	switch {
	case errors.As(err, &amb):
		choices := make([]string, len(amb.Choices))
		for i, c := range amb.Choices {
			choices[i] = formatDateWeekday(ctx, c)
		}
		return time.Time{}, badForm(usage, "shift_date_ambiguous", i18n.Args{"Input": amb.Input,
			"Choices": strings.Join(choices, tr(ctx, "or_sep"))})
	case errors.Is(err, calendar.ErrPastTime):
		return time.Time{}, badForm(usage, "shift_past_date")
	case errors.Is(err, calendar.ErrTooFar):
		return time.Time{}, badForm(usage, "time_too_far", i18n.Args{"Years": calendar.MaxYearsAhead})
	case err != nil:
		return time.Time{}, badForm(usage, "shift_bad_date")
	case rest != "":
		return time.Time{}, badForm(usage, "shift_one_date")
	}
	return d, nil
}

// signup serves /signup N [DATE]: a place on the next occurrence of slot N,
// or on the one of DATE; a full one puts the volunteer on its waitlist.
func (a *App) signup(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	n, rest, err := parseKindRefArg(ctx, m.Args, "usage_signup", shiftRef)
	if err != nil {
		return err
	}
	sh, err := a.findShift(ctx, st.ID, n)
	if err != nil {
		return err
	}
	team, err := a.store.Team(ctx, st.ID, sh.Team)
	if err != nil {
		return err
	}
	if in, err := a.store.InTeam(ctx, st.ID, team.ID, m.Sender.Key()); err != nil {
		return err
	} else if !in {
		return say("shift_join_first", i18n.Args{"Team": team.Name})
	}
	now := a.now()
	var start time.Time
	if rest == "" {
		next, ok := sh.Next(now)
		if !ok {
			return say("shift_not_found", i18n.Args{"N": n})
		}
		start = next
	} else {
		d, err := a.shiftDayArg(ctx, rest, "usage_signup")
		if err != nil {
			return err
		}
		s, ok := sh.StartOn(d)
		switch {
		case !ok:
			return say("shift_not_that_day", i18n.Args{"N": n, "Slot": describeSlot(ctx, sh), "Day": formatDateWeekday(ctx, d)})
		case !s.After(now):
			return badForm("usage_signup", "shift_started", i18n.Args{"N": n, "When": shiftWhen(ctx, s, sh.Duration)})
		}
		start = s
	}
	if start.After(now.AddDate(0, 0, signupHorizonDays)) {
		return say("shift_too_far", i18n.Args{"Days": signupHorizonDays})
	}
	when := shiftWhen(ctx, start, sh.Duration)
	chat := ""
	if !m.IsPrivate() {
		chat = m.Chat.Key()
	}
	day := store.DayKey(start)
	res, err := a.store.Signup(ctx, st.ID, n, day, m.Sender, chat, now)
	var overlap *store.OverlapError
	switch {
	case errors.As(err, &overlap):
		return a.overlapError(ctx, st.ID, m.Sender, overlap.With)
	case errors.Is(err, store.ErrAlreadySignedUp):
		pos, werr := a.waitPosition(ctx, st.ID, n, day, m.Sender.Key())
		if werr != nil {
			return werr
		}
		if pos > 0 {
			return say("shift_already_waiting", i18n.Args{"Who": m.Sender.Name, "N": n, "When": when, "Position": pos})
		}
		return say("shift_already_signed", i18n.Args{"Who": m.Sender.Name, "N": n, "When": when})
	case errors.Is(err, store.ErrShiftStarted):
		return badForm("usage_signup", "shift_started", i18n.Args{"N": n, "When": when})
	case errors.Is(err, store.ErrNoOccurrence):
		return say("shift_not_that_day", i18n.Args{"N": n, "Slot": describeSlot(ctx, sh), "Day": formatDateWeekday(ctx, start)})
	case errors.Is(err, store.ErrNotFound):
		return say("shift_not_found", i18n.Args{"N": n})
	case err != nil:
		return err
	}
	args := i18n.Args{"Who": m.Sender.Name, "N": n, "When": when, "Place": sh.Place, "Taken": res.Taken,
		"Places": sh.Places, "Position": res.Position, "Remind": shiftRemind(ctx, start, now)}
	if res.Waiting {
		return r.Reply(ctx, tr(ctx, "shift_waitlisted", args))
	}
	a.syncShiftReminders(ctx, st.ID, day)
	return r.Reply(ctx, tr(ctx, "shift_signed_up", args))
}

// overlapError is the answer to a sign-up that overlaps occurrence with,
// which who holds or, as the reply says, only waits for.
func (a *App) overlapError(ctx context.Context, st int64, who bot.User, with store.OccurrenceRef) error {
	other, err := a.store.Shift(ctx, st, with.N)
	if err != nil {
		return err
	}
	args := i18n.Args{"Who": who.Name, "Other": other.N, "Place": other.Place,
		"When": shiftWhen(ctx, with.Start, other.Duration)}
	pos, err := a.waitPosition(ctx, st, with.N, with.Day, who.Key())
	if err != nil {
		return err
	}
	if pos > 0 {
		args["Position"], args["Date"] = pos, typedDate(ctx, with.Start)
		return say("shift_overlap_waiting", args)
	}
	return say("shift_overlap", args)
}

// waitPosition is userKey's place on the waitlist of occurrence day of
// slot n, counting from 1; 0 when they are not waiting for it.
func (a *App) waitPosition(ctx context.Context, st, n int64, day, userKey string) (int, error) {
	o, err := a.store.Occurrence(ctx, st, n, day)
	if err != nil {
		return 0, err
	}
	return o.WaitPosition(userKey), nil
}

// cancelSignup serves /cancel N [DATE]: gives up a place (or a waitlist
// place); the first waiting volunteer moves up and is told. 取消 会议 N and
// 取消 通知 N are passed on to meetings and notices.
func (a *App) cancelSignup(ctx context.Context, r bot.Responder, m *bot.Message) error {
	if rest, ok := cutWord(m.Args, "会议", "meeting"); ok {
		return a.cancelMeeting(ctx, r, m, rest)
	}
	if rest, ok := cutWord(m.Args, "通知", "notice"); ok {
		return a.cancelNotice(ctx, r, m, rest)
	}
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	n, rest, err := parseKindRefArg(ctx, m.Args, "usage_cancel", shiftRef)
	if err != nil {
		return err
	}
	sh, err := a.findShift(ctx, st.ID, n)
	if err != nil {
		return err
	}
	now := a.now()
	var day string
	var start time.Time
	if rest == "" {
		mine, err := a.store.VolunteerShifts(ctx, st.ID, m.Sender.Key(), now.Add(time.Millisecond), now.AddDate(0, 0, signupHorizonDays+1))
		if err != nil {
			return err
		}
		i := slices.IndexFunc(mine, func(ref store.OccurrenceRef) bool { return ref.N == n })
		if i < 0 {
			return say("shift_cancel_none", i18n.Args{"Who": m.Sender.Name, "N": n})
		}
		day, start = mine[i].Day, mine[i].Start
	} else {
		d, err := a.shiftDayArg(ctx, rest, "usage_cancel")
		if err != nil {
			return err
		}
		s, ok := sh.StartOn(d)
		if !ok {
			return say("shift_not_that_day", i18n.Args{"N": n, "Slot": describeSlot(ctx, sh), "Day": formatDateWeekday(ctx, d)})
		}
		day, start = store.DayKey(d), s
	}
	when := shiftWhen(ctx, start, sh.Duration)
	res, err := a.store.CancelSignup(ctx, st.ID, n, day, m.Sender.Key(), now)
	switch {
	case errors.Is(err, store.ErrNotSignedUp):
		return say("shift_cancel_not_signed", i18n.Args{"Who": m.Sender.Name, "N": n, "When": when})
	case errors.Is(err, store.ErrShiftStarted):
		return say("shift_cancel_started", i18n.Args{"N": n, "When": when})
	case errors.Is(err, store.ErrNotFound):
		return say("shift_not_found", i18n.Args{"N": n})
	case err != nil:
		return err
	}
	args := i18n.Args{"Who": m.Sender.Name, "N": n, "When": when}
	if res.WasWaiting {
		return r.Reply(ctx, tr(ctx, "shift_cancelled_waiting", args))
	}
	a.syncShiftReminders(ctx, st.ID, day)
	team, err := a.store.Team(ctx, st.ID, sh.Team)
	if err != nil {
		return err
	}
	// The canceller hears first; then whoever the change concerns.
	if p := res.Promoted; p != nil {
		args["Promoted"] = p.Name
		if err := r.Reply(ctx, tr(ctx, "shift_cancelled_promoted", args)); err != nil {
			return err
		}
		a.notifyVolunteer(ctx, st, team, *p, func(ctx context.Context) string {
			return tr(ctx, "shift_promoted_notice", i18n.Args{"N": n, "Place": sh.Place,
				"When": shiftWhen(ctx, start, sh.Duration), "Remind": shiftRemind(ctx, start, now)})
		})
		return nil
	}
	if err := r.Reply(ctx, tr(ctx, "shift_cancelled", args)); err != nil {
		return err
	}
	if gap := sh.Places - res.Taken; gap > 0 && !now.Before(gapsDigestTime(start)) {
		// The lead's daily word on tomorrow's gaps has gone out already.
		a.tellLead(ctx, st, team, m.Sender.Key(), func(ctx context.Context) string {
			return tr(ctx, "shift_gap_notice", i18n.Args{"Who": m.Sender.Name, "N": n, "Place": sh.Place, "Gap": gap,
				"When": shiftWhen(ctx, start, sh.Duration)})
		})
	}
	return nil
}

// gapsDigestTime is when the lead is told about the gaps of the day start
// falls on: 10:00 the day before.
func gapsDigestTime(start time.Time) time.Time {
	d := start.In(calendar.Shanghai)
	return time.Date(d.Year(), d.Month(), d.Day()-1, 10, 0, 0, 0, calendar.Shanghai)
}

// checkin serves /checkin: the sender is on duty now (from half an hour
// before the start to the end). A team's lead may check in someone else:
// /checkin @who.
func (a *App) checkin(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	_, who := cutMentions(m, m.Args)
	target := m.Sender
	if len(who) > 0 {
		target = who[0]
	}
	now := a.now()
	cands, err := a.store.VolunteerShifts(ctx, st.ID, target.Key(), now.Add(-store.MaxShiftDuration), now.Add(checkInEarly))
	if err != nil {
		return err
	}
	occs, err := a.store.Occurrences(ctx, st.ID, cands)
	if err != nil {
		return err
	}
	// The shift running now comes before the one about to start.
	var pick *store.OccurrenceRef
	var pickShift *store.Shift
	already := false
	for i, ref := range cands {
		sh, err := a.store.Shift(ctx, st.ID, ref.N)
		if err != nil || sh.Removed || !now.Before(ref.Start.Add(sh.Duration)) || !occs[i].Holds(target.Key()) {
			continue
		}
		if _, in := occs[i].In[target.Key()]; in {
			already = true
			continue
		}
		pick, pickShift = &cands[i], sh
		break
	}
	if pick == nil {
		if already {
			return say("shift_checkin_already", i18n.Args{"Who": target.Name})
		}
		return a.noShiftNow(ctx, st, target, now)
	}
	if target != m.Sender {
		team, err := a.store.Team(ctx, st.ID, pickShift.Team)
		if err != nil {
			return err
		}
		if !canRunTeam(ctx, team) {
			return needRole(store.RoleHead, store.RoleDeputy, store.RoleTeamLead)
		}
	}
	res, err := a.store.CheckIn(ctx, st.ID, pick.N, pick.Day, target, now, lateGrace)
	switch {
	case errors.Is(err, store.ErrAlreadyCheckedIn):
		return say("shift_checkin_already", i18n.Args{"Who": target.Name})
	case errors.Is(err, store.ErrOnWaitlist):
		return say("shift_checkin_waiting", i18n.Args{"Who": target.Name})
	case errors.Is(err, store.ErrShiftOver):
		return say("shift_checkin_over")
	case err != nil:
		return err
	}
	args := i18n.Args{"Who": target.Name, "N": pick.N, "Time": shiftTimeRange(ctx, pick.Start, pickShift.Duration),
		"Place": pickShift.Place, "Hours": shiftMinutes(ctx, int64(res.Minutes)),
		"Late": shiftMinutes(ctx, int64(now.Sub(pick.Start)/time.Minute))}
	if res.Late {
		return r.Reply(ctx, tr(ctx, "shift_checkin_late", args))
	}
	return r.Reply(ctx, tr(ctx, "shift_checkin_ok", args))
}

// noShiftNow answers a check-in with nothing to check in to: the next shift
// if there is one.
func (a *App) noShiftNow(ctx context.Context, st *store.Station, who bot.User, now time.Time) error {
	next, err := a.store.VolunteerShifts(ctx, st.ID, who.Key(), now, now.AddDate(0, 0, signupHorizonDays+1))
	if err != nil {
		return err
	}
	occs, err := a.store.Occurrences(ctx, st.ID, next)
	if err != nil {
		return err
	}
	for i, ref := range next {
		if !occs[i].Holds(who.Key()) {
			continue
		}
		sh, err := a.store.Shift(ctx, st.ID, ref.N)
		if err != nil {
			return err
		}
		return say("shift_checkin_early", i18n.Args{"Who": who.Name, "N": ref.N, "Place": sh.Place,
			"When": shiftWhen(ctx, ref.Start, sh.Duration)})
	}
	return say("shift_checkin_none", i18n.Args{"Who": who.Name})
}

// hours serves /hours [TEAM]: this month's volunteer hours as a
// leaderboard. Team leads and staff also get, privately, who was late or
// absent.
func (a *App) hours(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	var teams []*store.Team
	name := st.Name
	if args := strings.TrimSpace(m.Args); args != "" {
		team, err := a.resolveTeam(ctx, st, args, "usage_hours")
		if err != nil {
			return err
		}
		teams, name = []*store.Team{team}, team.Name
	} else if teams, err = a.store.Teams(ctx, st.ID); err != nil {
		return err
	}
	now := a.now()
	sum := map[string]*store.VolunteerHours{}
	manager := false
	for _, t := range teams {
		manager = manager || canRunTeam(ctx, t)
		vs, err := a.store.TeamHours(ctx, st.ID, t.ID, now)
		if err != nil {
			return err
		}
		for _, v := range vs {
			s, ok := sum[v.UserKey]
			if !ok {
				s = &store.VolunteerHours{UserKey: v.UserKey, Name: v.Name}
				sum[v.UserKey] = s
			}
			s.Minutes, s.Shifts, s.Late, s.Absent = s.Minutes+v.Minutes, s.Shifts+v.Shifts, s.Late+v.Late, s.Absent+v.Absent
		}
	}
	var board, record []store.VolunteerHours
	var total int64
	for _, v := range sum {
		if v.Shifts > 0 {
			board = append(board, *v)
			total += v.Minutes
		}
		if v.Late > 0 || v.Absent > 0 {
			record = append(record, *v)
		}
	}
	month := shiftMonthName(ctx, now)
	if len(board) == 0 {
		if err := r.Reply(ctx, tr(ctx, "shift_hours_empty", i18n.Args{"Month": month})); err != nil {
			return err
		}
	} else {
		store.SortHours(board)
		var b strings.Builder
		b.WriteString(tr(ctx, "shift_hours_header", i18n.Args{"Name": name, "Month": month}))
		for i, v := range board {
			b.WriteString("\n" + tr(ctx, "shift_hours_line", i18n.Args{"Rank": i + 1, "Who": v.Name,
				"Hours": shiftMinutes(ctx, v.Minutes), "Shifts": countOf(ctx, "shift_n_shifts", int(v.Shifts))}))
		}
		b.WriteString("\n" + tr(ctx, "shift_hours_total", i18n.Args{"Hours": shiftMinutes(ctx, total),
			"Volunteers": countOf(ctx, "shift_n_people", len(board))}))
		if err := r.Reply(ctx, b.String()); err != nil {
			return err
		}
	}
	if !manager || len(record) == 0 {
		return nil
	}
	slices.SortFunc(record, func(x, y store.VolunteerHours) int {
		return cmp.Or(cmp.Compare(y.Absent, x.Absent), cmp.Compare(y.Late, x.Late), strings.Compare(x.Name, y.Name))
	})
	var b strings.Builder
	b.WriteString(tr(ctx, "shift_attendance_header", i18n.Args{"Name": name, "Month": month}))
	for _, v := range record {
		var parts []string
		if v.Late > 0 {
			parts = append(parts, tr(ctx, "shift_late_times", i18n.Args{"Count": v.Late}))
		}
		if v.Absent > 0 {
			parts = append(parts, tr(ctx, "shift_absent_times", i18n.Args{"Count": v.Absent}))
		}
		b.WriteString("\n" + tr(ctx, "shift_attendance_line", i18n.Args{"Who": v.Name,
			"What": strings.Join(parts, tr(ctx, "list_sep"))}))
	}
	return r.ReplyPrivately(ctx, b.String())
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
	var out []dayShift
	var refs []store.OccurrenceRef
	for _, sh := range all {
		if start, ok := sh.StartOn(day); ok {
			ref := store.OccurrenceRef{N: sh.N, Day: store.DayKey(day), Start: start}
			out = append(out, dayShift{shift: sh, ref: ref})
		}
	}
	slices.SortFunc(out, func(x, y dayShift) int {
		return cmp.Or(x.ref.Start.Compare(y.ref.Start), cmp.Compare(x.shift.N, y.shift.N))
	})
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

// syncShiftReminders makes the reminders of day match who holds places on
// its occurrences: the evening-before reminder while anyone holds one, and
// for each start and end moment with someone on duty an hour-before
// reminder and the job that records absences. Reminders of moments nobody
// is on duty any more are cancelled, as are the stale ones (left behind by
// a moved or removed slot) unless still wanted. Failures are logged: the
// sign-up itself is done either way.
func (a *App) syncShiftReminders(ctx context.Context, st int64, day string, stale ...string) {
	err := a.store.WithShiftDay(ctx, st, day, func() error { return a.syncShiftDay(ctx, st, day, stale) })
	if err != nil {
		a.log.Warn("shift reminders not updated", "day", day, "err", err)
	}
}

func (a *App) syncShiftDay(ctx context.Context, st int64, day string, stale []string) error {
	d, err := store.ParseDayKey(day)
	if err != nil {
		return err
	}
	shifts, err := a.dayShifts(ctx, st, d)
	if err != nil {
		return err
	}
	now := a.now()
	var want []scheduler.Reminder
	held := map[string]bool{}
	maybeDrop := map[string]bool{}
	for _, id := range stale {
		maybeDrop[id] = true
	}
	add := func(id string, at time.Time, staleAfter time.Duration, job string) {
		if !held[id] && at.After(now) {
			want = append(want, scheduler.Reminder{ID: id, At: at, StaleAfter: staleAfter, Job: job, Payload: id})
		}
		held[id] = true
	}
	for _, x := range shifts {
		start, end := x.ref.Start, x.ref.Start.Add(x.shift.Duration)
		hour, fin := shiftHourID(st, start), shiftEndID(st, end)
		if len(x.occ.On) == 0 {
			maybeDrop[hour], maybeDrop[fin] = true, true
			continue
		}
		add(shiftEveID(st, day), time.Date(d.Year(), d.Month(), d.Day()-1, shiftEveningHour, 0, 0, 0, calendar.Shanghai),
			4*time.Hour, jobShiftEve)
		add(hour, start.Add(-shiftLeadTime), shiftLeadTime, jobShiftHour)
		add(fin, end.Add(closeDelay), 0, jobShiftEnd)
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

// personCtx is ctx speaking the language a person chose, else the
// station's.
func (a *App) personCtx(ctx context.Context, st *store.Station, userKey string) context.Context {
	if u, err := a.store.User(ctx, userKey); err == nil && u.Locale != "" {
		return bot.WithLocale(ctx, u.Locale)
	}
	return bot.WithLocale(ctx, stationLocaleOrDefault(st))
}

// notifyVolunteer tells a volunteer text, written in their language:
// privately, else in the group they signed up in (or the team's group)
// with a mention.
func (a *App) notifyVolunteer(ctx context.Context, st *store.Station, team *store.Team, e store.ShiftEntry, text func(context.Context) string) {
	fallback := e.Chat
	if fallback == "" {
		fallback = team.Chat
	}
	a.notifyPerson(ctx, e.UserKey, e.Name, fallback, text(a.personCtx(ctx, st, e.UserKey)))
}

// tellLead tells a team's lead, or the head when it has none, unless that
// is the person who caused it (except).
func (a *App) tellLead(ctx context.Context, st *store.Station, team *store.Team, except string, text func(context.Context) string) {
	lead, name := team.Lead, team.LeadName
	if lead == "" {
		lead, name = st.Head, st.HeadName
	}
	if lead == "" || lead == except {
		return
	}
	a.notifyPerson(ctx, lead, name, team.Chat, text(a.personCtx(ctx, st, lead)))
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
		var gaps []dayShift
		for _, x := range shifts {
			if x.shift.Team == team.ID && len(x.occ.On) < x.shift.Places {
				gaps = append(gaps, x)
			}
		}
		if len(gaps) == 0 {
			continue
		}
		a.tellLead(ctx, st, team, "", func(ctx context.Context) string {
			lines := make([]string, len(gaps))
			for i, x := range gaps {
				lines[i] = "  " + tr(ctx, "shift_gap_line", i18n.Args{"N": x.shift.N, "Place": x.shift.Place,
					"Gap": x.shift.Places - len(x.occ.On), "Time": shiftTimeRange(ctx, x.ref.Start, x.shift.Duration)})
			}
			return tr(ctx, "shift_gaps_digest", i18n.Args{"Team": team.Name, "Day": formatDateWeekday(ctx, tomorrow),
				"Lines": strings.Join(lines, "\n")})
		})
	}
	return nil
}

// shiftMidnight is the start of t's day in Shanghai.
func shiftMidnight(t time.Time) time.Time {
	t = t.In(calendar.Shanghai)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, calendar.Shanghai)
}

// typedDate is a date as a person types it after a command: 11月26日, or
// 11/26 in English.
func typedDate(ctx context.Context, t time.Time) string {
	return formatLayout(ctx, "layout_typed_date", t)
}

// shiftTimeRange is 06:00-08:00, with the end marked as the next day when
// the shift crosses midnight.
func shiftTimeRange(ctx context.Context, start time.Time, dur time.Duration) string {
	start = start.In(calendar.Shanghai)
	end := start.Add(dur)
	from, to := start.Format("15:04"), end.Format("15:04")
	if shiftMidnight(end).After(shiftMidnight(start)) {
		if to == "00:00" {
			return from + "-24:00"
		}
		return tr(ctx, "shift_time_overnight", i18n.Args{"From": from, "To": to})
	}
	return from + "-" + to
}

// shiftWhen is one occurrence: 11月26日（周四）06:00-08:00.
func shiftWhen(ctx context.Context, start time.Time, dur time.Duration) string {
	return tr(ctx, "shift_when", i18n.Args{"Day": formatDateWeekday(ctx, start), "Time": shiftTimeRange(ctx, start, dur)})
}

// shiftRemind says which reminders are still to come for a shift starting
// at start: the evening before and the hour before, the hour before, or
// none.
func shiftRemind(ctx context.Context, start, now time.Time) string {
	local := start.In(calendar.Shanghai)
	eve := time.Date(local.Year(), local.Month(), local.Day()-1, shiftEveningHour, 0, 0, 0, calendar.Shanghai)
	switch {
	case eve.After(now):
		return tr(ctx, "shift_remind_both")
	case start.Add(-shiftLeadTime).After(now):
		return tr(ctx, "shift_remind_hour")
	}
	return ""
}

// shiftMinutes is a length of time: 1小时45分, 2小时, 30分钟.
func shiftMinutes(ctx context.Context, minutes int64) string {
	h, m := minutes/60, minutes%60
	switch {
	case h > 0 && m > 0:
		return tr(ctx, "shift_dur_hm", i18n.Args{"H": h, "M": m})
	case h > 0:
		return tr(ctx, "shift_dur_h", i18n.Args{"H": h})
	}
	return tr(ctx, "shift_dur_m", i18n.Args{"M": m})
}

// countOf renders n things with the sentence key for one (key+"_one") or
// for several (key), for languages that tell them apart.
func countOf(ctx context.Context, key string, n int) string {
	if n == 1 {
		key += "_one"
	}
	return tr(ctx, key, i18n.Args{"N": n})
}

func shiftMonthName(ctx context.Context, t time.Time) string {
	t = t.In(calendar.Shanghai)
	return tr(ctx, "shift_month", i18n.Args{"M": int(t.Month()), "Name": t.Month().String()})
}

// describeSlot says when a slot recurs: 每天 06:00-08:00, 每周二、四
// 19:00-20:30, every Tue, Thu 19:00-20:30.
func describeSlot(ctx context.Context, sh *store.Shift) string {
	f := strings.Fields(sh.Spec)
	if len(f) != 5 || !describableCron(f) || f[1] == "*" {
		return describeSchedule(ctx, sh.Spec)
	}
	minute, err1 := strconv.Atoi(f[0])
	hour, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return describeSchedule(ctx, sh.Spec)
	}
	start := time.Date(2026, 1, 1, hour, minute, 0, 0, calendar.Shanghai)
	return describeDays(ctx, f[2], f[3], f[4]) + " " + shiftTimeRange(ctx, start, sh.Duration) + skippedMonths(ctx, f)
}

// describeDays reads back the days of a spec calendar.ParseSlot made.
func describeDays(ctx context.Context, dom, month, dow string) string {
	sep := tr(ctx, "list_sep")
	switch {
	case dom == "*" && dow == "*":
		return tr(ctx, "shift_every_day")
	case dom == "*":
		set := cronValues(dow, 0, 6)
		// Monday first, Sunday last, as people say a week.
		var order []int
		for _, d := range []int{1, 2, 3, 4, 5, 6, 0} {
			if set[d] {
				order = append(order, d)
			}
		}
		names := weekdays[bot.LocaleFrom(ctx)]
		if bot.LocaleFrom(ctx) != "en" {
			names = weekdays[bot.DefaultLocale]
			for i := range names {
				names[i] = strings.TrimPrefix(names[i], "周")
			}
		}
		var parts []string
		for i := 0; i < len(order); {
			j := i
			for j+1 < len(order) && weekAfter(order[j]) == order[j+1] {
				j++
			}
			if j-i >= 2 {
				parts = append(parts, tr(ctx, "shift_day_range", i18n.Args{"From": names[order[i]], "To": names[order[j]]}))
			} else {
				for k := i; k <= j; k++ {
					parts = append(parts, names[order[k]])
				}
			}
			i = j + 1
		}
		return tr(ctx, "shift_every_week", i18n.Args{"Days": strings.Join(parts, sep)})
	}
	set := cronValues(dom, 1, 31)
	var days []string
	for d := 1; d <= 31; d++ {
		if set[d] {
			days = append(days, tr(ctx, "shift_month_day", i18n.Args{"D": d}))
		}
	}
	if month == "*" {
		return tr(ctx, "shift_every_month", i18n.Args{"Days": strings.Join(days, sep)})
	}
	m, _ := strconv.Atoi(month)
	return tr(ctx, "shift_every_year", i18n.Args{"Days": strings.Join(days, sep), "Month": m,
		"Name": time.Month(max(1, min(12, m))).String()})
}

func weekAfter(d int) int { return (d + 1) % 7 }

// cronValues expands a cron field of numbers, ranges and lists (1-5,7).
func cronValues(field string, lo, hi int) map[int]bool {
	set := map[int]bool{}
	for _, part := range strings.Split(field, ",") {
		if part == "*" {
			for v := lo; v <= hi; v++ {
				set[v] = true
			}
			continue
		}
		from, to, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(from)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(to)
		}
		if err1 != nil || err2 != nil {
			continue
		}
		for v := max(a, lo); v <= min(b, hi); v++ {
			set[v] = true
		}
	}
	return set
}
