package handlers

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
)

// Shifts (排班). A slot (#N) recurs, such as 每天 06:00-08:00 at 1号垃圾点
// for one volunteer; each day it falls on is an occurrence, and volunteers
// sign up for occurrences: 报名 1 takes the next one, 报名 1 周五 Friday's.
// When the places are taken the volunteer goes on the occurrence's
// waitlist; a cancellation hands the place to the first waiting, who is
// told at once. Its reminders are in shifts_jobs.go.

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
	// The sign-up is worked out with the slot as last read here, and the
	// slot is read again under its lease with everything else: when it
	// changed meanwhile, it is worked out again with the slot as it is.
	sh := a.store.GuessShift(st.ID, n)
	guessed := sh != nil
	for {
		if sh == nil {
			if sh, err = a.findShift(ctx, st.ID, n); err != nil {
				return err
			}
		}
		err := a.signupFor(ctx, r, m, st, sh, n, rest)
		if !guessed || !errors.Is(err, store.ErrShiftChanged) {
			return err
		}
		sh, guessed = nil, false
	}
}

// signupFor signs the sender up for slot n, sh as last read, on the day
// rest names (the next occurrence when it names none). The volunteer's team
// is checked, and an occurrence's first place gains its reminders, in the
// round trip of the sign-up's leases and reads.
func (a *App) signupFor(ctx context.Context, r bot.Responder, m *bot.Message, st *store.Station, sh *store.Shift, n int64, rest string) error {
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
	also := store.SignupAlso{Shift: sh, InTeam: true}
	if first := a.firstOnDutyReminders(st.ID, start, sh.Duration); len(first) > 0 {
		// Under the lease on the day's rota, so that a cancellation
		// bringing the day up to date either sees this sign-up or
		// cancels before these are scheduled.
		ahead := a.sched.ReadAhead(first...)
		also.DayLease, also.Read = true, ahead.Read
		also.First = func(ctx context.Context, _ *store.SignupResult) error { return ahead.Schedule(ctx) }
	}
	res, err := a.store.SignupWith(ctx, st.ID, n, day, m.Sender, chat, now, also)
	var overlap *store.OverlapError
	switch {
	case errors.Is(err, store.ErrShiftChanged):
		return err
	case errors.Is(err, store.ErrNotInTeam):
		team, terr := a.store.Team(ctx, st.ID, sh.Team)
		if terr != nil {
			return terr
		}
		return say("shift_join_first", i18n.Args{"Team": team.Name})
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
			s.Add(v)
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
