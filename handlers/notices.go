package handlers

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/scheduler"
)

// maxNoticeRunes bounds a notice's text.
const maxNoticeRunes = 1000

// maxRecurringNotices is how many recurring notices a station may have at
// once: beyond that the groups hear more from the bot than from each other.
const maxRecurringNotices = 10

// jobNotice is the scheduler job that posts a scheduled notice.
const jobNotice = "notice"

// notice serves /notice TEXT, /notice at TIME TEXT, /notice every SPEC TEXT,
// /notice list and /notice cancel N.
func (a *App) notice(ctx context.Context, r bot.Responder, m *bot.Message) error {
	sub, rest, _ := strings.Cut(m.Args, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(sub) {
	case "list", "列表", "查看":
		return a.listNotices(ctx, r)
	case "cancel", "取消":
		return a.cancelNotice(ctx, r, m, rest)
	case "at", "定时":
		return a.scheduleNotice(ctx, r, m, rest, false)
	case "every":
		return a.scheduleNotice(ctx, r, m, rest, true)
	}
	if strings.HasPrefix(m.Args, "每") || strings.HasPrefix(m.Args, "工作日") {
		return a.scheduleNotice(ctx, r, m, m.Args, true)
	}
	st, _, err := requireAny(ctx, store.RoleDeputy)
	if err != nil {
		return err
	}
	text := m.Raw(m.Args) // posted as typed
	if err := checkNoticeText(text); err != nil {
		return err
	}
	sent := a.broadcast(ctx, st, tr(ctx, "notice_text", i18n.Args{"Station": st.Name, "Text": bot.QuoteBlock(text), "Who": m.Sender.Name}))
	if m.IsPrivate() || sent > 1 {
		return r.Reply(ctx, tr(ctx, "notice_sent", i18n.Args{"Groups": sent}))
	}
	return nil
}

func checkNoticeText(text string) error {
	if text == "" {
		return badForm("usage_notice", "notice_needs_text")
	}
	if n := utf8.RuneCountInString(text); n > maxNoticeRunes {
		return badForm("usage_notice", "report_too_long", i18n.Args{"Max": maxNoticeRunes, "Len": n})
	}
	return nil
}

func (a *App) scheduleNotice(ctx context.Context, r bot.Responder, m *bot.Message, args string, recurring bool) error {
	st, _, err := requireAny(ctx)
	if err != nil {
		return err
	}
	n := store.Notice{By: m.Sender.Key(), ByName: m.Sender.Name}
	var text string
	if recurring {
		n.Spec, text, err = calendar.ParseRecurrence(args)
		if err != nil {
			return whenError(ctx, err, "usage_notice_every")
		}
		if err := a.checkRecurringRoom(ctx, st.ID); err != nil {
			return err
		}
	} else {
		n.At, text, err = calendar.ParseWhen(args, a.now())
		if err != nil {
			return whenError(ctx, err, "usage_notice_at")
		}
	}
	if err := checkNoticeText(text); err != nil {
		return err
	}
	n.Text = m.Raw(text)
	saved, err := a.store.CreateNotice(ctx, st.ID, n, a.now())
	if err != nil {
		return err
	}
	rem := scheduler.Reminder{ID: noticeJobID(st.ID, saved.N), At: saved.At, Spec: saved.Spec,
		Job: jobNotice, Payload: noticeJobID(st.ID, saved.N)}
	if err := a.sched.Schedule(ctx, rem); err != nil {
		return err
	}
	return r.Reply(ctx, tr(ctx, "notice_scheduled", i18n.Args{"N": saved.N, "When": a.describeNotice(ctx, saved)}))
}

// checkRecurringRoom refuses another recurring notice when station st has
// maxRecurringNotices already.
func (a *App) checkRecurringRoom(ctx context.Context, st int64) error {
	active, err := a.store.ActiveNotices(ctx, st)
	if err != nil {
		return err
	}
	recurring := 0
	for _, n := range active {
		if n.Recurring() {
			recurring++
		}
	}
	if recurring >= maxRecurringNotices {
		return say("notices_recurring_limit", i18n.Args{"Max": maxRecurringNotices})
	}
	return nil
}

func noticeJobID(st, n int64) string { return jobPayload("notice", st, n) }

// describeNotice says when a notice goes out: once at a time, or its next
// time and that it repeats.
func (a *App) describeNotice(ctx context.Context, n *store.Notice) string {
	if !n.Recurring() {
		return formatWhen(ctx, n.At)
	}
	next, err := calendar.NextFire(n.Spec, a.now())
	if err != nil {
		return describeSchedule(ctx, n.Spec)
	}
	return tr(ctx, "notice_repeats", i18n.Args{"Spec": describeSchedule(ctx, n.Spec), "Next": formatWhen(ctx, next)})
}

func (a *App) listNotices(ctx context.Context, r bot.Responder) error {
	st, _, err := requireAny(ctx, store.RoleDeputy)
	if err != nil {
		return err
	}
	list, err := a.store.ActiveNotices(ctx, st.ID)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return r.Reply(ctx, tr(ctx, "notices_empty"))
	}
	return r.Reply(ctx, listText(tr(ctx, "notices_header", i18n.Args{"Count": len(list)}), list, func(n *store.Notice) string {
		return tr(ctx, "notice_line", i18n.Args{"N": n.N, "When": a.describeNotice(ctx, n), "Text": bot.Quote(clipN(n.Text, 24))})
	}, tr(ctx, "notices_footer")))
}

func (a *App) cancelNotice(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, _, err := requireAny(ctx)
	if err != nil {
		return err
	}
	n, _, err := parseRefArg(args, "usage_notice_cancel")
	if err != nil {
		return err
	}
	active, err := a.store.EndNotice(ctx, st.ID, n)
	if err != nil {
		return err
	}
	if !active {
		return say("notice_not_found", i18n.Args{"N": n})
	}
	if err := a.sched.Cancel(ctx, noticeJobID(st.ID, n)); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return r.Reply(ctx, tr(ctx, "notice_cancelled", i18n.Args{"N": n}))
}

// fireNotice is the scheduler job that posts notice st:n in every group.
func (a *App) fireNotice(ctx context.Context, rem scheduler.Reminder) error {
	ctx, station, n, _, err := a.jobRecord(ctx, rem.Payload, "notice")
	if err != nil {
		return err
	}
	st := station.ID
	notice, err := a.store.Notice(ctx, st, n)
	if err != nil {
		return err
	}
	a.broadcast(ctx, station, tr(ctx, "notice_text", i18n.Args{"Station": station.Name, "Text": bot.QuoteBlock(notice.Text), "Who": notice.ByName}))
	if !notice.Recurring() {
		_, err = a.store.EndNotice(ctx, st, n)
	}
	return err
}
