package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/scheduler"
)

// jobMeeting is the scheduler job that reminds every group of a meeting.
const jobMeeting = "meeting"

// Meeting reminders: the evening before at 20:00 and an hour before.
const (
	meetingEveningHour = 20
	meetingLeadTime    = time.Hour
)

// meeting serves /meeting TIME PLACE TOPIC, /meeting (upcoming), /meeting N
// and /meeting cancel N.
func (a *App) meeting(ctx context.Context, r bot.Responder, m *bot.Message) error {
	args := strings.TrimSpace(m.Args)
	if args == "" {
		return a.listMeetings(ctx, r)
	}
	if rest, ok := cutWord(args, "cancel", "取消"); ok {
		return a.cancelMeeting(ctx, r, m, rest)
	}
	if n, err := parseKindRef(args, meetingRef); err == nil {
		return a.showMeeting(ctx, r, m, n)
	}
	if wrong := wrongKind(ctx, args, meetingRef); wrong != nil {
		return wrong
	}
	return a.callMeeting(ctx, r, m, args)
}

// cutLabel removes the label a resident may write before a meeting's
// time, place or topic (议题：商量安全门), since the notice has its own.
func cutLabel(s, label string) string {
	if rest, ok := strings.CutPrefix(s, label); ok && rest != "" && (rest[0] == ':' || rest[0] == ' ') {
		return strings.TrimSpace(rest[1:])
	}
	return s
}

func (a *App) callMeeting(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, _, err := requireAny(ctx, store.RoleDeputy)
	if err != nil {
		return err
	}
	about, args, err := a.aboutProblem(ctx, st.ID, args, "usage_meeting")
	if err != nil {
		return err
	}
	at, rest, err := calendar.ParseWhen(cutLabel(args, "时间"), a.now())
	if err != nil {
		return whenError(ctx, err, "usage_meeting")
	}
	place, topic, _ := strings.Cut(rest, " ")
	// Shown under labels of their own: 地点：活动室, never 地点：地点：活动室.
	place, topic = m.Raw(cutLabel(place, "地点")), m.Raw(cutLabel(strings.TrimSpace(topic), "议题"))
	if place == "" || topic == "" {
		return badForm("usage_meeting", "meeting_needs_place_topic")
	}
	if utf8.RuneCountInString(topic) > maxNoticeRunes || utf8.RuneCountInString(place) > maxNameRunes {
		return badForm("usage_meeting", "meeting_too_long")
	}
	mt, err := a.store.CreateMeeting(ctx, st.ID, store.Meeting{At: at, Place: place, Topic: topic,
		By: m.Sender.Key(), ByName: m.Sender.Name, About: about}, a.now())
	if err != nil {
		return err
	}
	a.linked(ctx, st, about)
	if err := a.scheduleMeetingReminders(ctx, mt); err != nil {
		return err
	}
	a.broadcast(ctx, st, tr(ctx, "meeting_notice", a.meetingArgs(ctx, st, mt)), rsvpButtons(ctx, mt.N))
	return r.ReplyPrivately(ctx, tr(ctx, "meeting_called", i18n.Args{"N": mt.N, "When": formatWhen(ctx, mt.At)}))
}

func rsvpButtons(ctx context.Context, n int64) []bot.Button {
	return []bot.Button{
		{Label: tr(ctx, "rsvp_yes_button"), Data: fmt.Sprintf("/rsvp %d yes", n)},
		{Label: tr(ctx, "rsvp_no_button"), Data: fmt.Sprintf("/rsvp %d no", n)},
	}
}

func (a *App) meetingArgs(ctx context.Context, st *store.Station, mt *store.Meeting) i18n.Args {
	return i18n.Args{"Station": st.Name, "N": mt.N, "When": formatWhen(ctx, mt.At), "Place": bot.OneLine(mt.Place),
		"Topic": bot.Quote(mt.Topic), "Who": mt.ByName, "About": mt.About}
}

// scheduleMeetingReminders sets the evening-before and hour-before
// reminders, skipping one whose time has already passed. Neither is sent
// once the meeting has started.
func (a *App) scheduleMeetingReminders(ctx context.Context, mt *store.Meeting) error {
	local := mt.At.In(calendar.Shanghai)
	evening := time.Date(local.Year(), local.Month(), local.Day()-1, meetingEveningHour, 0, 0, 0, calendar.Shanghai)
	for which, at := range map[string]time.Time{"eve": evening, "hour": mt.At.Add(-meetingLeadTime)} {
		if !at.After(a.now()) {
			continue
		}
		id := meetingJobID(mt.Station, mt.N, which)
		if err := a.sched.Schedule(ctx, scheduler.Reminder{ID: id, At: at, StaleAfter: mt.At.Sub(at),
			Job: jobMeeting, Payload: id}); err != nil {
			return err
		}
	}
	if mt.About == 0 {
		return nil
	}
	// A meeting about a problem is written into its timeline when held.
	id := meetingJobID(mt.Station, mt.N, meetingHeld)
	return a.sched.Schedule(ctx, scheduler.Reminder{ID: id, At: mt.At, Job: jobMeeting, Payload: id})
}

// meetingHeld names the job that records a meeting about a problem as held.
const meetingHeld = "held"

func meetingJobID(st, n int64, which string) string {
	return jobPayload("meeting", st, n, which)
}

// fireMeeting is the scheduler job that reminds every group of a meeting,
// with how many said they come.
func (a *App) fireMeeting(ctx context.Context, rem scheduler.Reminder) error {
	ctx, station, n, which, err := a.jobRecord(ctx, rem.Payload, "meeting")
	if err != nil {
		return err
	}
	st := station.ID
	if which == meetingHeld {
		_, err := a.store.HoldMeeting(ctx, st, n, a.now())
		return err
	}
	mt, err := a.store.Meeting(ctx, st, n)
	if err != nil || mt.Cancelled {
		return err
	}
	att, err := a.store.Attendance(ctx, st, n)
	if err != nil {
		return err
	}
	args := a.meetingArgs(ctx, station, mt)
	args["Coming"] = len(att.Coming)
	a.broadcast(ctx, station, tr(ctx, "meeting_reminder_"+which, args), rsvpButtons(ctx, n))
	return nil
}

func (a *App) listMeetings(ctx context.Context, r bot.Responder) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	list, err := a.store.UpcomingMeetings(ctx, st.ID, a.now())
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return r.Reply(ctx, tr(ctx, "meetings_empty"))
	}
	shown := soonest(list, groupListMax)
	return r.Reply(ctx, listText(tr(ctx, "meetings_header"), shown, func(mt *store.Meeting) string {
		return tr(ctx, "meeting_line", a.meetingArgs(ctx, st, mt))
	}, moreLine(ctx, "meetings_more", len(shown), int64(len(list)))))
}

func (a *App) findMeeting(ctx context.Context, st, n int64) (*store.Meeting, error) {
	mt, err := a.store.Meeting(ctx, st, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, say("meeting_not_found", i18n.Args{"N": n})
	}
	return mt, err
}

// showMeeting answers /meeting N: the meeting and how many come; the head
// and deputy also get the names, privately.
func (a *App) showMeeting(ctx context.Context, r bot.Responder, m *bot.Message, n int64) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	mt, err := a.findMeeting(ctx, st.ID, n)
	if err != nil {
		return err
	}
	att, err := a.store.Attendance(ctx, st.ID, n)
	if err != nil {
		return err
	}
	args := a.meetingArgs(ctx, st, mt)
	args["Coming"], args["NotComing"], args["Cancelled"] = len(att.Coming), len(att.NotComing), mt.Cancelled
	if err := r.Reply(ctx, tr(ctx, "meeting_card", args)); err != nil {
		return err
	}
	if !sessionFrom(ctx).member().IsStaff() {
		return nil
	}
	sep := tr(ctx, "list_sep")
	return r.ReplyPrivately(ctx, tr(ctx, "meeting_attendance", i18n.Args{"N": n,
		"Coming": strings.Join(att.Coming, sep), "NotComing": strings.Join(att.NotComing, sep)}))
}

func (a *App) cancelMeeting(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, _, err := requireAny(ctx, store.RoleDeputy)
	if err != nil {
		return err
	}
	n, _, err := parseKindRefArg(ctx, args, "usage_meeting_cancel", meetingRef)
	if err != nil {
		return err
	}
	mt, err := a.findMeeting(ctx, st.ID, n)
	if err != nil {
		return err
	}
	if mt.Cancelled {
		return say("meeting_already_cancelled", i18n.Args{"N": n})
	}
	if err := a.store.CancelMeeting(ctx, st.ID, n); err != nil {
		return err
	}
	for _, which := range []string{"eve", "hour", meetingHeld} {
		if err := a.sched.Cancel(ctx, meetingJobID(st.ID, n, which)); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	a.broadcast(ctx, st, tr(ctx, "meeting_cancelled_notice", a.meetingArgs(ctx, st, mt)))
	if m.IsPrivate() {
		return r.Reply(ctx, tr(ctx, "meeting_cancelled", i18n.Args{"N": n}))
	}
	return nil
}

// rsvp serves /rsvp N yes|no, 参加 N and 不参加 N.
func (a *App) rsvp(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	fields := strings.Fields(m.Args)
	var answer string
	var ref string
	switch len(fields) {
	case 2:
		// Either "N yes" as typed after /rsvp, or "yes N" from 参加 N.
		if _, err := parseKindRef(fields[0], meetingRef); err == nil {
			ref, answer = fields[0], fields[1]
		} else {
			answer, ref = fields[0], fields[1]
		}
	case 1:
		return badForm("usage_rsvp", "rsvp_needs_answer")
	default:
		return badForm("usage_rsvp", "needs_number")
	}
	coming, ok := parseYesNo(answer)
	if !ok {
		return badForm("usage_rsvp", "rsvp_needs_answer")
	}
	n, err := parseKindRef(ref, meetingRef)
	if wrong := wrongKind(ctx, ref, meetingRef); wrong != nil {
		return wrong
	}
	if err != nil {
		return badForm("usage_rsvp", "bad_number", i18n.Args{"Text": clip(ref)})
	}
	mt, err := a.findMeeting(ctx, st.ID, n)
	if err != nil {
		return err
	}
	if mt.Cancelled {
		return say("meeting_already_cancelled", i18n.Args{"N": n})
	}
	if !mt.At.After(a.now()) {
		return say("meeting_over", i18n.Args{"N": n})
	}
	if err := a.store.RSVP(ctx, st.ID, n, m.Sender, coming, a.now()); err != nil {
		return err
	}
	att, err := a.store.Attendance(ctx, st.ID, n)
	if err != nil {
		return err
	}
	key := "rsvp_no"
	if coming {
		key = "rsvp_yes"
	}
	return r.Reply(ctx, tr(ctx, key, i18n.Args{"N": n, "Who": m.Sender.Name, "Coming": len(att.Coming)}))
}

func parseYesNo(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "yes", "y", "参加", "来", "去", "是":
		return true, true
	case "no", "n", "不参加", "不来", "不去", "否":
		return false, true
	}
	return false, false
}
