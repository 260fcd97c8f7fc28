package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
)

// Texts ready to paste (「复制到群里」): where no bot is in a group, the
// staff page shows what the bot would have posted, for a member of staff to
// copy into the group by hand. Each is made by the same words the bot posts
// with, in the station's language, with the station's link where the bot's
// text would ask for a reply in the chat; like everything posted in a group
// it is public: counts and totals, never a household or a person tied to
// money, a vote, a dog or a complaint.

// Paste is one text ready to copy into a group.
type Paste struct {
	// Kind says what it is: PasteNotice, PasteMeeting, …
	Kind string
	// Ref is the number of the record it is about (a meeting's, a poll's),
	// 0 for none.
	Ref int64
	// Staff marks a text for the staff's or a team's own group (a problem
	// left untouched, tomorrow's gaps), not the residents'.
	Staff bool
	Text  string
}

// Kinds of Paste.
const (
	PasteNotice     = "notice"
	PasteMeeting    = "meeting"
	PastePoll       = "poll"
	PastePollResult = "poll_result"
	PasteMonthly    = "monthly"
	PasteFund       = "fund"
	PasteOverdue    = "overdue"
	PasteGaps       = "gaps"
)

// withLink ends text with the station's link, when it does not carry it.
func withLink(ctx context.Context, text, link string) string {
	if link == "" || strings.Contains(text, link) {
		return text
	}
	return text + "\n" + tr(ctx, "paste_link", i18n.Args{"Link": link})
}

// NoticeText is notice n of station st as it is posted, with link.
func (a *App) NoticeText(ctx context.Context, st, n int64, link string) (Paste, error) {
	ctx, station, err := a.stationCtx(withClock(ctx, a.clock), st)
	if err != nil {
		return Paste{}, err
	}
	notice, err := a.store.Notice(ctx, st, n)
	if err != nil {
		return Paste{}, err
	}
	text := tr(ctx, "notice_text", i18n.Args{"Station": station.Name, "Text": bot.QuoteBlock(notice.Text), "Who": notice.ByName})
	return Paste{Kind: PasteNotice, Ref: n, Text: withLink(ctx, text, link)}, nil
}

// NewNoticeText is a notice written on the staff page as it would be
// posted, signed by who: text is the staff member's own words, quoted so
// they cannot pass for the station's.
func (a *App) NewNoticeText(ctx context.Context, st int64, text, who, link string) (Paste, error) {
	ctx, station, err := a.stationCtx(withClock(ctx, a.clock), st)
	if err != nil {
		return Paste{}, err
	}
	if err := checkNoticeText(text); err != nil {
		return Paste{}, err
	}
	out := tr(ctx, "notice_text", i18n.Args{"Station": station.Name, "Text": bot.QuoteBlock(text), "Who": bot.CleanName(who)})
	return Paste{Kind: PasteNotice, Text: withLink(ctx, out, link)}, nil
}

// MeetingText is the notice of meeting n, answered on the page at link.
func (a *App) MeetingText(ctx context.Context, st, n int64, link string) (Paste, error) {
	ctx, station, err := a.stationCtx(withClock(ctx, a.clock), st)
	if err != nil {
		return Paste{}, err
	}
	mt, err := a.store.Meeting(ctx, st, n)
	if err != nil {
		return Paste{}, err
	}
	args := a.meetingArgs(ctx, station, mt)
	args["Link"] = link
	return Paste{Kind: PasteMeeting, Ref: n, Text: tr(ctx, "meeting_notice", args)}, nil
}

// PollText is poll n's question and options, voted on the page at link.
func (a *App) PollText(ctx context.Context, st, n int64, link string) (Paste, error) {
	ctx, _, err := a.stationCtx(withClock(ctx, a.clock), st)
	if err != nil {
		return Paste{}, err
	}
	p, err := a.store.Poll(ctx, st, n)
	if err != nil {
		return Paste{}, err
	}
	args := a.pollArgs(ctx, p)
	args["Link"] = link
	return Paste{Kind: PastePoll, Ref: n, Text: tr(ctx, "poll_notice", args)}, nil
}

// PollResultText is poll n's counts (final once closed): counts only,
// ballots are secret.
func (a *App) PollResultText(ctx context.Context, st, n int64, link string) (Paste, error) {
	ctx, _, err := a.stationCtx(withClock(ctx, a.clock), st)
	if err != nil {
		return Paste{}, err
	}
	p, err := a.store.Poll(ctx, st, n)
	if err != nil {
		return Paste{}, err
	}
	votes, err := a.store.Votes(ctx, st, n)
	if err != nil {
		return Paste{}, err
	}
	header := "poll_results_header"
	if p.Closed || !p.Open(a.now()) {
		header = "poll_final_header"
	}
	text := tr(ctx, header, a.pollArgs(ctx, p)) + a.pollResultText(ctx, p, votes)
	return Paste{Kind: PastePollResult, Ref: n, Text: withLink(ctx, text, link)}, nil
}

// MonthlyReportText is the report the bot posts on the 1st of a month,
// about the month before: pass the month reported on (any moment in it).
func (a *App) MonthlyReportText(ctx context.Context, st int64, month time.Time, link string) (Paste, error) {
	ctx, station, err := a.stationCtx(withClock(ctx, a.clock), st)
	if err != nil {
		return Paste{}, err
	}
	figures, err := a.stationFigures(ctx, station, monthStart(month))
	if err != nil {
		return Paste{}, err
	}
	text := tr(ctx, "stats_monthly_header") + "\n" + figures
	return Paste{Kind: PasteMonthly, Text: withLink(ctx, text, link)}, nil
}

// FundText is campaign n's progress: totals and household counts, never
// who pledged or paid.
func (a *App) FundText(ctx context.Context, st, n int64, link string) (Paste, error) {
	ctx, _, err := a.stationCtx(withClock(ctx, a.clock), st)
	if err != nil {
		return Paste{}, err
	}
	f, err := a.store.Fund(ctx, st, n)
	if err != nil {
		return Paste{}, err
	}
	args, err := a.fundCardArgs(ctx, f)
	if err != nil {
		return Paste{}, err
	}
	args["Link"] = link
	return Paste{Kind: PasteFund, Ref: n, Text: tr(ctx, "fund_card", args)}, nil
}

// TodayTexts is what the bot would have sent today, each ready to paste:
// meetings in the next 24 hours (tomorrow's evening-before reminder,
// today's notice), polls closing in the next 24 hours, problems left untouched
// past the station's limits, and tomorrow's rota gaps per team.
func (a *App) TodayTexts(ctx context.Context, st int64, link string) ([]Paste, error) {
	ctx, station, err := a.stationCtx(withClock(ctx, a.clock), st)
	if err != nil {
		return nil, err
	}
	now := a.now()
	var out []Paste
	meetings, err := a.store.UpcomingMeetings(ctx, st, now)
	if err != nil {
		return nil, err
	}
	for _, mt := range meetings {
		if mt.At.After(now.Add(24 * time.Hour)) {
			continue
		}
		att, err := a.store.Attendance(ctx, st, mt.N)
		if err != nil {
			return nil, err
		}
		args := a.meetingArgs(ctx, station, mt)
		args["Coming"], args["Link"] = len(att.Coming), link
		// The evening-before reminder for tomorrow's; today's, whose
		// reminder an hour before no one would paste in time, as its notice.
		key := "meeting_reminder_eve"
		if store.DayKey(mt.At) == store.DayKey(now) {
			key = "meeting_notice"
		}
		out = append(out, Paste{Kind: PasteMeeting, Ref: mt.N, Text: withLink(ctx, tr(ctx, key, args), link)})
	}
	polls, err := a.store.OpenPolls(ctx, st)
	if err != nil {
		return nil, err
	}
	for _, p := range polls {
		if p.Deadline.IsZero() || p.Deadline.Before(now) || p.Deadline.After(now.Add(24*time.Hour)) {
			continue
		}
		pt, err := a.PollText(ctx, st, p.N, link)
		if err != nil {
			return nil, err
		}
		out = append(out, pt)
	}
	overdue, err := a.overdueTexts(ctx, station, link)
	if err != nil {
		return nil, err
	}
	out = append(out, overdue...)
	gaps, err := a.gapsTexts(ctx, station, link)
	if err != nil {
		return nil, err
	}
	return append(out, gaps...), nil
}

// overdueTexts are the reminders about problems untouched past the
// station's limits, the head's wording once past the head's.
func (a *App) overdueTexts(ctx context.Context, station *store.Station, link string) ([]Paste, error) {
	open, _, err := a.store.ListIssues(ctx, station.ID, store.FilterOpen, "", maxPasteOverdue)
	if err != nil {
		return nil, err
	}
	var out []Paste
	for i := len(open) - 1; i >= 0; i-- { // oldest first
		is := open[i]
		idle := a.now().Sub(is.Updated)
		level := ""
		switch {
		case station.HeadOverdueDays > 0 && idle >= days(station.HeadOverdueDays):
			level = overdueHead
		case station.StaffOverdueDays > 0 && idle >= days(station.StaffOverdueDays):
			level = overdueStaff
		default:
			continue
		}
		out = append(out, Paste{Kind: PasteOverdue, Ref: is.N, Staff: true,
			Text: withLink(ctx, a.overdueText(ctx, station, is, level), link)})
	}
	return out, nil
}

// maxPasteOverdue bounds the problems read for the overdue texts.
const maxPasteOverdue = 200

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// gapsTexts are tomorrow's rota gaps, one text per team.
func (a *App) gapsTexts(ctx context.Context, station *store.Station, link string) ([]Paste, error) {
	tomorrow := shiftMidnight(a.now()).AddDate(0, 0, 1)
	shifts, err := a.dayShifts(ctx, station.ID, tomorrow)
	if err != nil {
		return nil, err
	}
	teams, err := a.store.Teams(ctx, station.ID)
	if err != nil {
		return nil, err
	}
	var out []Paste
	for _, team := range teams {
		if gaps := teamGaps(shifts, team); len(gaps) > 0 {
			out = append(out, Paste{Kind: PasteGaps, Ref: team.ID, Staff: true,
				Text: gapsDigest(ctx, team, gaps, tomorrow, link)})
		}
	}
	return out, nil
}

// String shows a paste for a golden file.
func (p Paste) String() string {
	who := "group"
	if p.Staff {
		who = "staff"
	}
	return fmt.Sprintf("--- %s %d (%s)\n%s\n", p.Kind, p.Ref, who, p.Text)
}
