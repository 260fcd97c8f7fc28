package handlers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// maxReportRunes bounds a problem's text; longer reports are refused with
// the limit, not cut silently.
const maxReportRunes = 1000

// issuesPageSize is how many problems one page of /issues shows, so a
// list stays readable in a busy group.
const issuesPageSize = 10

// maxIssuesPage bounds the page a list may be asked for.
const maxIssuesPage = 1000

// report serves /report TEXT: files a problem and answers with its number.
func (a *App) report(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	anonymous, args := parseAnonymous(m.Args)
	category, text := parseCategory(args)
	text = m.Raw(text) // stored and shown as typed
	if text == "" {
		return badForm("usage_report", "report_needs_text")
	}
	if n := utf8.RuneCountInString(text); n > maxReportRunes {
		return badForm("usage_report", "report_too_long", i18n.Args{"Max": maxReportRunes, "Len": n})
	}
	var photos []string
	for _, at := range m.Attachments {
		if at.Kind == bot.AttachmentPhoto {
			photos = append(photos, at.Ref)
		}
	}
	reportChat := groupOf(m)
	is, err := a.store.ReportIssue(ctx, st.ID, store.NewIssue{
		Reporter: m.Sender, ReportChat: reportChat, Text: text, Category: category, Photos: photos,
		Anonymous: anonymous || m.IsPrivate(),
	}, a.now())
	if err != nil {
		return err
	}
	// The problem and its overdue reminders are all or nothing: when the
	// reminders fail, the message is served again and finds its problem
	// (store.ReportIssue remembers it), so nothing is reported twice.
	if err := a.scheduleOverdue(ctx, st, is); err != nil {
		return err
	}
	return r.Reply(ctx, tr(ctx, "reported", i18n.Args{
		"N": is.N, "Category": tr(ctx, "cat_"+is.Category), "Photos": len(photos), "Anonymous": is.Anonymous,
	}))
}

// anonymousWords mark a report as anonymous when they come first:
// 报事 匿名 楼上群租, 报事 【匿名】…, /report anonymous ….
var anonymousWords = []string{"匿名", "[匿名]", "【匿名】", "(匿名)", "（匿名）", "anonymous", "anon"}

// parseAnonymous reports whether args start with a word asking for an
// anonymous report, and returns the rest. 匿名 may run straight into the
// text, as people type it (报事 匿名楼上群租); an English word must end
// there.
func parseAnonymous(args string) (bool, string) {
	rest := strings.TrimSpace(args)
	for _, w := range anonymousWords {
		after, ok := cutPrefixFold(rest, w)
		if !ok {
			continue
		}
		next, _ := utf8.DecodeRuneInString(after)
		if after == "" || !isASCIIWord(w) || unicode.IsSpace(next) || unicode.IsPunct(next) {
			return true, strings.TrimSpace(strings.TrimLeft(after, " \t:：,，"))
		}
	}
	return false, rest
}

func isASCIIWord(w string) bool {
	return w != "" && w[0] < utf8.RuneSelf && unicode.IsLetter(rune(w[0]))
}

// reporterName is who reported is, as the reader may see it. A group never
// reads who reported a problem: it reads "居民", or "匿名居民" for an
// anonymous report. In a private chat a report is named, except an
// anonymous one, which is named only to its reporter and the station's
// staff.
func reporterName(ctx context.Context, is *store.Issue) string {
	switch {
	case !seesReporter(ctx, is) && is.Anonymous:
		return tr(ctx, "anonymous_reporter")
	case !seesReporter(ctx, is):
		return tr(ctx, "reporter_in_group")
	case is.Anonymous:
		return tr(ctx, "anonymous_reporter_named", i18n.Args{"Name": is.ReporterName})
	}
	return is.ReporterName
}

// seesReporter reports whether the reader may know who made is.
func seesReporter(ctx context.Context, is *store.Issue) bool {
	sess := sessionFrom(ctx)
	if !sess.private {
		return false
	}
	return !is.Anonymous || sess.user.Key() == is.Reporter || seesRestricted(ctx)
}

// issueText is what a problem says, as the reader may see it, quoted (see
// bot.Quote): on one line cut to clip runes, or whole when clip is 0, its
// lines marked as quoted. A confidential one (made from a patrol note) is
// summarised for everyone but the station's staff in a private chat.
func issueText(ctx context.Context, is *store.Issue, clip int) string {
	if is.Confidential && !seesRestricted(ctx) {
		return tr(ctx, "issue_text_confidential")
	}
	if clip > 0 {
		return bot.Quote(clipN(is.Text, clip))
	}
	return bot.QuoteBlock(is.Text)
}

// inGroup is ctx as read by a group: for text the bot posts in a group
// other than the one the message came from (an office's), whatever chat the
// command was sent in.
func inGroup(ctx context.Context) context.Context {
	sess := *sessionFrom(ctx)
	sess.private = false
	return withSession(ctx, &sess)
}

// seesRestricted reports whether the reader may see who made an anonymous
// report and what a confidential one says: the head, a deputy or duty
// staff, in a private chat.
func seesRestricted(ctx context.Context) bool {
	sess := sessionFrom(ctx)
	mem := sess.member()
	return sess.private && (mem.IsStaff() || mem.Has(store.RoleDuty))
}

// issues serves /issues [open|mine|closed|all]: the governance list.
func (a *App) issues(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	filter, page, err := parseIssueListArgs(m.Args)
	if err != nil {
		return err
	}
	list, total, err := a.store.ListIssuesPage(ctx, st.ID, filter, m.Sender.Key(), (page-1)*issuesPageSize, issuesPageSize)
	if err != nil {
		return err
	}
	reply := r.Reply
	if filter == store.FilterMine {
		// Someone's own reports, anonymous ones among them, and how many
		// they made are theirs alone.
		reply = func(ctx context.Context, text string, _ ...[]bot.Button) error { return r.ReplyPrivately(ctx, text) }
	}
	if total == 0 {
		return reply(ctx, tr(ctx, "issues_empty_"+string(filter)))
	}
	pages := int((total + issuesPageSize - 1) / issuesPageSize)
	if len(list) == 0 {
		noPage := say
		if filter == store.FilterMine {
			noPage = sayPrivately
		}
		return noPage("issues_no_page", i18n.Args{"Page": page, "Pages": pages, "Next": issuesPageCommand(ctx, filter, 1)})
	}
	next := ""
	if page < pages {
		next = tr(ctx, "issues_next_page", i18n.Args{"Page": page, "Pages": pages, "Next": issuesPageCommand(ctx, filter, page+1)})
	} else if page > 1 {
		next = tr(ctx, "issues_last_page", i18n.Args{"Page": page, "Pages": pages})
	}
	header := tr(ctx, "issues_header_"+string(filter), i18n.Args{"Station": st.Name, "Total": total})
	return reply(ctx, listText(header, list, func(is *store.Issue) string { return issueLine(ctx, is) },
		next, tr(ctx, "issues_footer")))
}

// issuesPageCommand is the command that shows page of the list filter, in
// the reader's language: 清单 2, 清单 已办 2.
func issuesPageCommand(ctx context.Context, filter store.IssueFilter, page int) string {
	return tr(ctx, "issues_page_command_"+string(filter), i18n.Args{"Page": page})
}

// parseIssueListArgs reads /issues's "[FILTER] [PAGE]", in either order:
// 清单, 清单 2, 清单 未办 2, 清单 我的 第2页. The page is 1 when left out.
func parseIssueListArgs(args string) (store.IssueFilter, int, error) {
	const usage = "usage_issues"
	filter, page := store.FilterOpen, 0
	filtered := false
	for _, w := range strings.Fields(args) {
		if f, ok := parseIssueFilter(w); ok && !filtered {
			filter, filtered = f, true
			continue
		}
		n, isPage := parsePageWord(w)
		switch {
		case !isPage:
			return "", 0, badForm(usage, "unknown_filter", i18n.Args{"Word": clip(w)})
		case page != 0:
			return "", 0, badForm(usage, "issues_two_pages")
		case n < 1 || n > maxIssuesPage:
			return "", 0, badForm(usage, "issues_bad_page", i18n.Args{"Max": maxIssuesPage})
		}
		page = int(n)
	}
	return filter, max(page, 1), nil
}

// parsePageWord reads a page number, 2, 二, 第2页, 第二页 or p2; isPage is
// false for a word that is no number at all.
func parsePageWord(w string) (n int64, isPage bool) {
	w = strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(w), "第"), "页")
	w = strings.TrimPrefix(w, "p")
	if w == "" {
		return 0, false
	}
	n, err := numerals.ParseChineseInt(w)
	if errors.Is(err, numerals.ErrNumberTooLarge) {
		return math.MaxInt64, true
	}
	return n, err == nil
}

func parseIssueFilter(s string) (store.IssueFilter, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "open", "未办", "待办", "未办结", "进行中":
		return store.FilterOpen, true
	case "mine", "我的", "my":
		return store.FilterMine, true
	case "closed", "done", "已办", "已办结", "办结":
		return store.FilterClosed, true
	case "all", "全部", "所有":
		return store.FilterAll, true
	}
	return "", false
}

// issueLine is one problem in a list: number, category, status, text.
func issueLine(ctx context.Context, is *store.Issue) string {
	line := tr(ctx, "issue_line", i18n.Args{
		"N": is.N, "Category": tr(ctx, "cat_"+is.Category), "Status": tr(ctx, "status_"+string(is.Status)),
		"Text": issueText(ctx, is, 24),
	})
	if is.Supporters > 0 {
		line += tr(ctx, "issue_line_supporters", i18n.Args{"Count": is.Supporters})
	}
	return line
}

// issue serves /issue N: one problem with its timeline.
func (a *App) issue(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	n, _, err := parseRefArg(m.Args, "usage_issue")
	if err != nil {
		return err
	}
	is, events, links, err := a.store.IssueCard(ctx, st.ID, n)
	if errors.Is(err, store.ErrNotFound) {
		return say("issue_not_found", i18n.Args{"N": n})
	}
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(tr(ctx, "issue_card", i18n.Args{
		"N": is.N, "Category": tr(ctx, "cat_"+is.Category), "Status": tr(ctx, "status_"+string(is.Status)),
		"Text": issueText(ctx, is, 0), "Reporter": reporterName(ctx, is), "Supporters": is.Supporters, "Photos": len(is.Photos),
		"Assignee": is.AssigneeName,
	}))
	thread, err := a.threadText(ctx, st.ID, links)
	if err != nil {
		return err
	}
	if thread != "" {
		b.WriteString("\n" + thread)
	}
	b.WriteString("\n" + tr(ctx, "timeline_header"))
	for _, line := range timelineLines(ctx, is, events) {
		b.WriteString("\n  " + line)
	}
	return r.Reply(ctx, b.String())
}

// maxMeTooNames is how many of a row of me-toos a card names, for the
// readers who may see them; the rest are counted.
const maxMeTooNames = 10

// timelineLines renders problem is's timeline for the reader, a line a
// step, oldest first; its reporter is named as reporterName allows.
// Me-toos in a row are one line. Who joined a complaint is as private as
// who made it, so they are counted, and named only for the station's staff
// in a private chat; and a problem many neighbours have keeps a short
// card.
func timelineLines(ctx context.Context, is *store.Issue, events []store.IssueEvent) []string {
	var lines []string
	for i := 0; i < len(events); i++ {
		ev := events[i]
		if ev.Kind == store.EventMeToo {
			run := i + 1
			for run < len(events) && events[run].Kind == store.EventMeToo {
				run++
			}
			lines = append(lines, meTooLine(ctx, events[i:run]))
			i = run - 1
			continue
		}
		who := ev.ByName
		if ev.By == is.Reporter && !seesReporter(ctx, is) {
			who = reporterName(ctx, is)
		}
		args := i18n.Args{"When": formatStamp(ctx, ev.At), "Who": who, "Text": eventText(ctx, ev)}
		lines = append(lines, tr(ctx, threadEventArgs(ctx, ev, args), args))
	}
	return lines
}

// meTooLine is one line for a row of me-toos, at the time of the first.
func meTooLine(ctx context.Context, run []store.IssueEvent) string {
	args := i18n.Args{"When": formatStamp(ctx, run[0].At), "Count": len(run)}
	if !seesRestricted(ctx) {
		return tr(ctx, "event_metoo_counted", args)
	}
	named := run[:min(len(run), maxMeTooNames)]
	names := make([]string, len(named))
	for i, ev := range named {
		names[i] = ev.ByName
	}
	args["Who"], args["More"] = strings.Join(names, tr(ctx, "list_sep")), len(run)-len(named)
	return tr(ctx, "event_metoo", args)
}

// eventText renders what a timeline step carries: a rating by its name, an
// office by its name, anything else as written.
func eventText(ctx context.Context, ev store.IssueEvent) string {
	switch ev.Kind {
	case store.EventRated:
		return tr(ctx, "rating_"+ev.Text)
	case store.EventPhoto:
		return ""
	case store.EventEscalated:
		return bot.OneLine(ev.Text) // the office's name, then the note
	}
	if isOfficeEvent(ev.Kind) {
		return officeEventText(ctx, ev)
	}
	if ev.Text == "" {
		return ""
	}
	return bot.Quote(ev.Text)
}

// findIssue returns problem n or the reply that it does not exist.
func (a *App) findIssue(ctx context.Context, st, n int64) (*store.Issue, error) {
	is, err := a.store.Issue(ctx, st, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, say("issue_not_found", i18n.Args{"N": n})
	}
	return is, err
}

// parseRefArg reads the problem number at the start of args and returns the
// rest; usage is the form shown when it is missing or malformed.
func parseRefArg(args, usage string) (int64, string, error) {
	return cutNumber(args, usage, numerals.ParseRef)
}

// metoo serves /metoo N: counts support instead of a duplicate report.
func (a *App) metoo(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	n, _, err := parseRefArg(m.Args, "usage_metoo")
	if err != nil {
		return err
	}
	is, added, err := a.store.AddSupporter(ctx, st.ID, n, m.Sender, a.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return say("issue_not_found", i18n.Args{"N": n})
	case err != nil:
		return err
	}
	reply := answerAbout(r, is)
	switch {
	case is.Reporter == m.Sender.Key():
		return refusalAbout(ctx, is, say("metoo_own", i18n.Args{"N": n}))
	case !added:
		return refusalAbout(ctx, is, say("metoo_again", i18n.Args{"N": n, "Count": is.Supporters}))
	case !is.Status.IsOpen():
		return reply(ctx, tr(ctx, "metoo_closed", i18n.Args{"N": n, "Count": is.Supporters}))
	}
	return reply(ctx, tr(ctx, "metoo_added", i18n.Args{"N": n, "Count": is.Supporters}))
}

// answerAbout returns how to answer a command about problem is: in the
// chat, or, for an anonymous problem, to the sender alone. Only its
// reporter may rate it and not 同问 it, so any answer the group reads, yes
// or no, would tell the group whether the sender made the report.
func answerAbout(r bot.Responder, is *store.Issue) func(context.Context, string) error {
	if is.Anonymous {
		return func(ctx context.Context, text string) error { return r.ReplyPrivately(ctx, text) }
	}
	return func(ctx context.Context, text string) error { return r.Reply(ctx, text) }
}

// refusalAbout is err, a command's refusal to act on problem is, made a
// sentence for the sender alone when is is anonymous (see answerAbout).
func refusalAbout(ctx context.Context, is *store.Issue, err error) error {
	if is == nil || !is.Anonymous {
		return err
	}
	var re *replyError
	var role *roleError
	switch {
	case errors.As(err, &re):
		re.private = true
	case errors.As(err, &role):
		return sayPrivately("need_role", i18n.Args{"Roles": roleNames(ctx, role.roles)})
	}
	return err
}

// accept serves /accept N: duty staff or the head takes the problem on.
func (a *App) accept(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, _, err := requireAny(ctx, store.RoleDeputy, store.RoleDuty)
	if err != nil {
		return err
	}
	n, _, err := parseRefArg(m.Args, "usage_accept")
	if err != nil {
		return err
	}
	ch, err := a.changeIssue(ctx, st.ID, n, func(is *store.Issue) (store.IssueEvent, error) {
		if !is.Status.IsOpen() {
			return store.IssueEvent{}, say("issue_already_closed", i18n.Args{"N": n})
		}
		if is.Status == store.IssueAccepted && is.Assignee == m.Sender.Key() {
			return store.IssueEvent{}, say("already_yours", i18n.Args{"N": n})
		}
		is.Status, is.Assignee, is.AssigneeName = store.IssueAccepted, m.Sender.Key(), m.Sender.Name
		return store.IssueEvent{By: m.Sender.Key(), ByName: m.Sender.Name, Kind: store.EventAccepted}, nil
	})
	if err != nil {
		return err
	}
	a.tellReporter(ctx, ch.Issue, m.Sender, tr(ctx, "reporter_accepted", i18n.Args{"N": n, "Who": m.Sender.Name}))
	return r.Reply(ctx, tr(ctx, "accepted", i18n.Args{"N": n, "Who": m.Sender.Name}))
}

// changeIssue applies a lifecycle step, turning a missing problem into its
// reply. The problem's overdue clocks are set from the step before it is
// written: a step whose clocks cannot be set is not taken, and its message,
// served again, takes it once.
func (a *App) changeIssue(ctx context.Context, st, n int64, step func(*store.Issue) (store.IssueEvent, error)) (*store.IssueChange, error) {
	now := a.now()
	station := sessionFrom(ctx).station()
	ch, err := a.store.ChangeIssue(ctx, st, n, now, func(is *store.Issue) (store.IssueEvent, error) {
		ev, err := step(is)
		if err != nil || station == nil {
			return ev, err
		}
		if err := a.scheduleOverdue(ctx, station, is.AfterStep(ev.Kind, now)); err != nil {
			return store.IssueEvent{}, err
		}
		return ev, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, say("issue_not_found", i18n.Args{"N": n})
	}
	return ch, err
}

// mayHandle reports whether the sender may work on is: its assignee, or the
// head or deputy.
func mayHandle(ctx context.Context, is *store.Issue) bool {
	s := sessionFrom(ctx)
	return s.member().IsStaff() || is.Assignee == s.user.Key()
}

// update serves /update N TEXT: a progress note the reporter is told about.
func (a *App) update(ctx context.Context, r bot.Responder, m *bot.Message) error {
	return a.noteStep(ctx, r, m, "usage_update", store.EventUpdate)
}

// resolve serves /resolve N TEXT: the problem is solved and the reporter is
// asked to rate it.
func (a *App) resolve(ctx context.Context, r bot.Responder, m *bot.Message) error {
	return a.noteStep(ctx, r, m, "usage_resolve", store.EventResolved)
}

// noteStep is update and resolve: a step with a note, by the assignee or the
// head, on an open problem, that the reporter hears about.
func (a *App) noteStep(ctx context.Context, r bot.Responder, m *bot.Message, usage string, kind store.IssueEventKind) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	n, note, err := parseRefArg(m.Args, usage)
	if err != nil {
		return err
	}
	note = m.Raw(note)
	if note == "" && kind == store.EventUpdate {
		return badForm(usage, "needs_note")
	}
	if utf8.RuneCountInString(note) > maxReportRunes {
		return badForm(usage, "report_too_long", i18n.Args{"Max": maxReportRunes, "Len": utf8.RuneCountInString(note)})
	}
	ch, err := a.changeIssue(ctx, st.ID, n, func(is *store.Issue) (store.IssueEvent, error) {
		if !mayHandle(ctx, is) {
			return store.IssueEvent{}, needRole(store.RoleHead, store.RoleDeputy, "assignee")
		}
		if !is.Status.IsOpen() {
			return store.IssueEvent{}, say("issue_already_closed", i18n.Args{"N": n})
		}
		if kind == store.EventResolved {
			is.Status = store.IssueResolved
		}
		return store.IssueEvent{By: m.Sender.Key(), ByName: m.Sender.Name, Kind: kind, Text: note}, nil
	})
	if err != nil {
		return err
	}
	if kind == store.EventResolved {
		a.askForRating(ctx, ch.Issue, quoteIfAny(note))
		return r.Reply(ctx, tr(ctx, "resolved", i18n.Args{"N": n}))
	}
	a.tellReporter(ctx, ch.Issue, m.Sender, tr(ctx, "reporter_update", i18n.Args{"N": n, "Who": m.Sender.Name, "Text": bot.Quote(note)}))
	return r.Reply(ctx, tr(ctx, "updated", i18n.Args{"N": n}))
}

// tellReporter tells the reporter about a step on their problem, unless they
// took the step themselves.
func (a *App) tellReporter(ctx context.Context, is *store.Issue, by bot.User, text string) {
	if is.Reporter == by.Key() {
		return
	}
	a.notifyPerson(ctx, is.Reporter, is.ReporterName, is.ReportChat, text)
}

// askForRating asks the reporter how satisfied they are, with buttons where
// the platform has them.
func (a *App) askForRating(ctx context.Context, is *store.Issue, note string) {
	text := tr(ctx, "rate_please", i18n.Args{"N": is.N, "Text": clipN(is.Text, 24), "Note": note})
	u := userFromKey(is.Reporter, is.ReporterName)
	out := bot.Outgoing{Chat: u.PrivateChat(), Text: text, Mentions: []bot.User{u}}
	if is.ReportChat != "" {
		fb := chatFromKey(is.ReportChat, bot.Group)
		out.Fallback = &fb
	}
	for _, rt := range []store.Rating{store.RatingSatisfied, store.RatingFair, store.RatingUnsatisfied} {
		label := tr(ctx, "rating_"+string(rt))
		out.Buttons = append(out.Buttons, []bot.Button{{Label: label, Data: fmt.Sprintf("/rate %d %s", is.N, label)}})
	}
	a.send(ctx, out)
}

// rate serves /rate N 满意|基本满意|不满意, by the reporter.
func (a *App) rate(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	n, rating, err := parseRateArgs(m.Args)
	if err != nil {
		return err
	}
	var read *store.Issue
	ch, err := a.changeIssue(ctx, st.ID, n, func(is *store.Issue) (store.IssueEvent, error) {
		read = is
		if is.Reporter != m.Sender.Key() {
			return store.IssueEvent{}, say("rate_only_reporter", i18n.Args{"N": n})
		}
		switch is.Status {
		case store.IssueResolved:
		case store.IssueClosed:
			// An old rating button, or a second rating: the first one
			// stands, and reopening is the way back.
			return store.IssueEvent{}, say("rate_already_closed", i18n.Args{"N": n, "Rating": tr(ctx, "rating_"+string(is.Rating))})
		default:
			return store.IssueEvent{}, say("rate_not_resolved", i18n.Args{"N": n, "Status": tr(ctx, "status_"+string(is.Status))})
		}
		is.Rating = rating
		is.Status = store.IssueClosed
		if rating == store.RatingUnsatisfied {
			is.Status = store.IssueOpen
		}
		return store.IssueEvent{By: m.Sender.Key(), ByName: m.Sender.Name, Kind: store.EventRated, Text: string(rating)}, nil
	})
	if err != nil {
		return refusalAbout(ctx, read, err)
	}
	reply := answerAbout(r, ch.Issue)
	if rating == store.RatingUnsatisfied {
		a.notifyPerson(ctx, st.Head, st.HeadName, ch.Issue.ReportChat,
			tr(ctx, "head_unsatisfied", i18n.Args{"N": n, "Who": m.Sender.Name, "Text": clipN(ch.Issue.Text, 24)}))
		return reply(ctx, tr(ctx, "rated_unsatisfied", i18n.Args{"N": n}))
	}
	return reply(ctx, tr(ctx, "rated", i18n.Args{"N": n, "Rating": tr(ctx, "rating_"+string(rating))}))
}

// escalate serves /escalate N 社区|街道 TEXT: hands a problem up and posts it
// in the office group.
func (a *App) escalate(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, _, err := requireAny(ctx, store.RoleDeputy, store.RoleDuty)
	if err != nil {
		return err
	}
	n, rest, err := parseRefArg(m.Args, "usage_escalate")
	if err != nil {
		return err
	}
	levelWord, note, _ := strings.Cut(rest, " ")
	if levelWord == "" {
		return badForm("usage_escalate", "needs_office")
	}
	level, ok := parseOfficeLevel(levelWord)
	if !ok {
		return badForm("usage_escalate", "unknown_office", i18n.Args{"Word": clip(levelWord)})
	}
	office := st.Offices[level]
	if office == "" {
		return say("no_office_linked", i18n.Args{"Office": tr(ctx, "office_"+string(level))})
	}
	note = m.Raw(strings.TrimSpace(note))
	officeGroup, err := a.escalationOffice(ctx, office)
	if err != nil {
		return err
	}
	now := a.now()
	ch, err := a.changeIssue(ctx, st.ID, n, func(is *store.Issue) (store.IssueEvent, error) {
		if !is.Status.IsOpen() {
			return store.IssueEvent{}, say("issue_already_closed", i18n.Args{"N": n})
		}
		is.Status, is.EscalatedTo = store.IssueEscalated, level
		// The office's clock is set before the escalation is written: an
		// escalation whose clock cannot be set is not made, and its
		// message, served again, makes it once.
		if officeGroup != nil {
			if err := a.scheduleOfficeOverdue(ctx, officeGroup.OverdueDays, is.AfterStep(store.EventEscalated, now)); err != nil {
				return store.IssueEvent{}, fmt.Errorf("office reminder of problem %d: %w", n, err)
			}
		}
		return store.IssueEvent{By: m.Sender.Key(), ByName: m.Sender.Name, Kind: store.EventEscalated,
			Text: strings.TrimSpace(tr(ctx, "office_"+string(level)) + " " + note)}, nil
	})
	if err != nil {
		return err
	}
	is := ch.Issue
	ref := escalationRef(officeGroup, st, is)
	a.send(ctx, bot.Outgoing{Chat: chatFromKey(office, bot.Group), Text: tr(ctx, "office_escalation", i18n.Args{
		"Station": st.Name, "Ref": ref, "Category": tr(ctx, "cat_"+is.Category), "Text": issueText(inGroup(ctx), is, 0),
		"Reporter": reporterName(inGroup(ctx), is), "Supporters": is.Supporters, "Note": quoteIfAny(note), "Who": m.Sender.Name,
		"Since": is.Created.In(calendar.Shanghai).Format("2006-01-02"),
	})})
	a.tellReporter(ctx, is, m.Sender, tr(ctx, "reporter_escalated", i18n.Args{"N": n, "Office": tr(ctx, "office_"+string(level))}))
	return r.Reply(ctx, tr(ctx, "escalated", i18n.Args{"N": n, "Office": tr(ctx, "office_"+string(level))}))
}

// reopen serves /reopen N: not fixed after all.
func (a *App) reopen(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	n, note, err := parseRefArg(m.Args, "usage_reopen")
	if err != nil {
		return err
	}
	note = m.Raw(note)
	var read *store.Issue
	ch, err := a.changeIssue(ctx, st.ID, n, func(is *store.Issue) (store.IssueEvent, error) {
		read = is
		if is.Reporter != m.Sender.Key() && !sessionFrom(ctx).member().IsStaff() {
			return store.IssueEvent{}, needRole(store.RoleHead, store.RoleDeputy, "reporter")
		}
		if is.Status.IsOpen() {
			return store.IssueEvent{}, say("issue_still_open", i18n.Args{"N": n})
		}
		is.Status, is.Rating = store.IssueOpen, ""
		return store.IssueEvent{By: m.Sender.Key(), ByName: m.Sender.Name, Kind: store.EventReopened, Text: note}, nil
	})
	if err != nil {
		return refusalAbout(ctx, read, err)
	}
	if ch.Issue.Assignee != "" && ch.Issue.Assignee != m.Sender.Key() {
		a.notifyPerson(ctx, ch.Issue.Assignee, ch.Issue.AssigneeName, ch.Issue.ReportChat,
			tr(ctx, "assignee_reopened", i18n.Args{"N": n, "Who": m.Sender.Name}))
	}
	return answerAbout(r, ch.Issue)(ctx, tr(ctx, "reopened", i18n.Args{"N": n}))
}

// attachLatePhotos takes a photo sent on its own right after a report, by
// its reporter and in the chat it was made in, as part of that report. A
// photo anywhere else is a photo shared in conversation and is passed over
// in silence: answering it in a group would tell who made a private report.
func (a *App) attachLatePhotos(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, r bot.Responder, m *bot.Message) error {
		st := sessionFrom(ctx).station()
		if strings.TrimSpace(m.Text) != "" || len(m.Attachments) == 0 || st == nil {
			return next.ServeMessage(ctx, r, m)
		}
		var attached int64
		for _, at := range m.Attachments {
			if at.Kind != bot.AttachmentPhoto {
				continue
			}
			if at.Ref == "" {
				// Sent and awaited, but the platform could not hand it
				// over: ask for it again rather than say nothing.
				return r.Reply(ctx, tr(ctx, "photo_not_received"))
			}
			n, err := a.store.AttachPhotoToLastReport(ctx, st.ID, m.Sender, groupOf(m), at.Ref, a.now())
			if errors.Is(err, store.ErrNotFound) {
				return nil // a photo shared in conversation, not for the bot
			}
			if err != nil {
				return err
			}
			attached = n
		}
		if attached == 0 {
			return nil
		}
		return r.Reply(ctx, tr(ctx, "photo_attached", i18n.Args{"N": attached}))
	})
}

// skipSharedPhotos passes over, before anything is written or counted, a
// photo in a group that no report of its sender awaits: a photo shared in
// conversation costs a read, not a dedupe mark, and never counts toward the
// rate limit. When the store cannot say, the photo goes on, so one meant
// for a report is answered (系统忙) rather than lost.
func (a *App) skipSharedPhotos(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, r bot.Responder, m *bot.Message) error {
		if !isSharedPhoto(m) {
			return next.ServeMessage(ctx, r, m)
		}
		awaited, err := a.store.AwaitsPhoto(ctx, m.Chat, m.Sender)
		if err == nil && !awaited {
			return nil
		}
		return next.ServeMessage(ctx, r, m)
	})
}

// isSharedPhoto reports whether m is only a photo (no text, no command) in
// a group, not addressed to the bot.
func isSharedPhoto(m *bot.Message) bool {
	return m.Chat.Kind == bot.Group && m.Command == "" && !m.AddressedToBot &&
		strings.TrimSpace(m.Text) == "" && len(m.Attachments) > 0
}
