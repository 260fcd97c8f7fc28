package handlers

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// This file follows one problem to its result: polls, meetings, campaigns
// and shifts opened about it (关于 #12), and what 事项 12 shows of them.
// Only public figures are shown: a poll's counts, how many said they come
// to a meeting, a campaign's totals and how many households paid, the hours
// served; never who voted, pledged or paid what.

// aboutProblem reads "关于 #N" at the start of args for a record being
// opened: the problem's number (0 when args is not about one) and the rest
// of args. The problem must exist.
func (a *App) aboutProblem(ctx context.Context, st int64, args, usage string) (int64, string, error) {
	n, rest, found, err := cutAbout(args)
	switch {
	case err != nil:
		return 0, "", badForm(usage, "about_bad_number")
	case !found:
		return 0, args, nil
	}
	if _, err := a.findIssue(ctx, st, n); err != nil {
		return 0, "", err
	}
	return n, rest, nil
}

// linked restarts the overdue reminders of problem n, which a record just
// opened about it counts as work on. The record is made, so a failure is
// logged, not answered.
func (a *App) linked(ctx context.Context, st *store.Station, n int64) {
	if n == 0 {
		return
	}
	is, err := a.store.Issue(ctx, st.ID, n)
	if err == nil {
		err = a.scheduleOverdue(ctx, st, is)
	}
	if err != nil {
		a.log.Warn("overdue reminders not moved", "problem", n, "err", err)
	}
}

// wrongKind answers a number marked for another kind than k ("票1" given
// to 众筹): which kind it names, and how k's numbers look. It returns nil
// for anything else.
func wrongKind(ctx context.Context, word string, k refKind) error {
	t := strings.TrimSpace(bot.Normalize(word))
	for _, other := range markedKinds {
		if other == k {
			continue
		}
		if rest, ok := other.cutMark(t); ok {
			if _, err := numerals.ParseRef(rest); err == nil {
				return say("ref_wrong_kind", i18n.Args{"Word": clip(word), "Kind": tr(ctx, "kind_"+other.name),
					"Want": tr(ctx, "kind_"+k.name), "Example": kindRefText(ctx, k, 1)})
			}
		}
	}
	return nil
}

// kindRefText writes record n of kind k as the reader's language marks it:
// 筹2, F2.
func kindRefText(ctx context.Context, k refKind, n int64) string {
	return tr(ctx, "ref_"+k.name, i18n.Args{"N": n})
}

// linkText names a linked record with its kind: 投票 票3.
func linkText(ctx context.Context, l store.Link) string {
	return tr(ctx, "link_"+string(l.Kind), i18n.Args{"Ref": kindRefText(ctx, refKindOf(l.Kind), l.N)})
}

// threadEventArgs adds what a thread step of a problem's timeline shows.
func threadEventArgs(ctx context.Context, ev store.IssueEvent, args i18n.Args) string {
	l, ok := store.ParseLink(ev.Ref)
	if !ok {
		return "event_" + string(ev.Kind)
	}
	args["What"], args["Value"] = linkText(ctx, l), ev.Value
	args["Amount"] = fundMoney(ctx, ev.Value)
	if ev.Kind == store.EventOutcome {
		return "event_outcome_" + string(l.Kind)
	}
	return "event_" + string(ev.Kind)
}

// threadText writes what was opened about a problem (its links), one line
// each, or "" when nothing was.
func (a *App) threadText(ctx context.Context, st int64, links []store.Link) (string, error) {
	if len(links) == 0 {
		return "", nil
	}
	lines := []string{tr(ctx, "thread_header")}
	for _, l := range links {
		line, err := a.linkLine(ctx, st, l)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return "", err
		}
		lines = append(lines, "  "+line)
	}
	return strings.Join(lines, "\n"), nil
}

// linkLine is one linked record's public state.
func (a *App) linkLine(ctx context.Context, st int64, l store.Link) (string, error) {
	args := i18n.Args{"Ref": kindRefText(ctx, refKindOf(l.Kind), l.N)}
	switch l.Kind {
	case store.LinkPoll:
		p, err := a.store.Poll(ctx, st, l.N)
		if err != nil {
			return "", err
		}
		votes, err := a.store.Votes(ctx, st, l.N)
		if err != nil {
			return "", err
		}
		leaders, count := p.Leaders(votes)
		args["Question"], args["Closed"] = bot.Quote(p.Question), !p.Open(a.now())
		args["Leader"], args["Count"], args["Total"] = "", count, len(votes)
		if len(leaders) > 0 {
			args["Leader"] = bot.Quote(strings.Join(leaders, tr(ctx, "list_sep")))
		}
	case store.LinkMeeting:
		mt, err := a.store.Meeting(ctx, st, l.N)
		if err != nil {
			return "", err
		}
		att, err := a.store.Attendance(ctx, st, l.N)
		if err != nil {
			return "", err
		}
		args["When"], args["Place"], args["Coming"] = formatWhen(ctx, mt.At), bot.OneLine(mt.Place), len(att.Coming)
		args["Held"], args["Cancelled"] = !mt.At.After(a.now()), mt.Cancelled
	case store.LinkFund:
		f, err := a.store.Fund(ctx, st, l.N)
		if err != nil {
			return "", err
		}
		cs, err := a.store.Contributions(ctx, st, l.N)
		if err != nil {
			return "", err
		}
		paying := 0
		for _, c := range cs {
			if c.Paid > 0 {
				paying++
			}
		}
		args = mergeArgs(a.fundArgs(ctx, f), args)
		args["Paying"], args["Percent"] = paying, fundPercent(f.Paid, f.Goal)
	case store.LinkShift:
		sh, err := a.store.Shift(ctx, st, l.N)
		if err != nil {
			return "", err
		}
		args["Place"], args["Hours"] = bot.OneLine(sh.Place), hoursText(sh.MinutesServed)
	}
	return tr(ctx, "thread_"+string(l.Kind), args), nil
}

// mergeArgs returns base with extra's entries added over it.
func mergeArgs(base, extra i18n.Args) i18n.Args {
	for k, v := range extra {
		base[k] = v
	}
	return base
}

// hoursText writes minutes as hours with at most one decimal: 1.5, 2.
func hoursText(minutes int64) string {
	return strconv.FormatFloat(math.Round(float64(minutes)/6)/10, 'f', -1, 64)
}
