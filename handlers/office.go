package handlers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
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

// The office in the loop: a group linked as a station's 社区 or 街道 office
// (关联 CODE 社区) is the office's own staff room. Whoever writes there acts
// for the office: being in the group is the appointment, made by whoever
// runs the group, as the office's staff are the people it adds. In it,
// 清单, 受理, 进展, 办结, 统计, 本站 and 帮助 are the office's: they act on
// what the stations handed up, named 清川-12 (see store.StationPrefix), and
// each step reaches the resident who reported the problem (privately), the
// station's group (without the reporter's name) and the problem's timeline.

// jobOfficeOverdue reminds an office group of an escalation it took no step
// on for its deadline.
const jobOfficeOverdue = "officedue"

// inOfficeGroup reports whether the message was written in an office group.
func inOfficeGroup(ctx context.Context) bool {
	s := sessionFrom(ctx)
	return !s.private && s.id.Chat.Office != ""
}

// officeOr routes a command by the kind of chat it was written in: in an
// office group to office, anywhere else to station.
func (a *App) officeOr(office, station bot.HandlerFunc) bot.HandlerFunc {
	return func(ctx context.Context, r bot.Responder, m *bot.Message) error {
		if inOfficeGroup(ctx) {
			return office(ctx, r, m)
		}
		return station(ctx, r, m)
	}
}

// officeOnly serves a command that only an office group has.
func (a *App) officeOnly(office bot.HandlerFunc) bot.HandlerFunc {
	return a.officeOr(office, func(context.Context, bot.Responder, *bot.Message) error {
		return say("office_only")
	})
}

// officeStepLine is a line that names a problem by its station's prefix
// after a step's keyword (受理 清川-12, 进展 清川－12 已联系城管, 事项 清川12).
// The Router takes a keyword followed by no number for chat in a group, so
// these lines are let in by wants and made explicit by officeLines. It is
// read from the text alone: ordinary chat costs no round trip.
var officeStepLine = regexp.MustCompile(`^(受理|进展|办结|退回|事项|详情)[ \t]*\p{L}{1,4}[0-9]{0,2}[ \t]*[-－—–‐~～#＃]?[ \t]*[0-9０-９零〇一二两三四五六七八九十]`)

// wants is the Router's choice of the lines meant for the bot, and in a
// group the lines that name an office step (officeStepLine).
func (a *App) wants(m *bot.Message) bool {
	return a.router.Wants(m) || (m.Chat.Kind == bot.Group && officeStepLine.MatchString(strings.TrimSpace(m.Text)))
}

// officeLines serves an office step named by a station's prefix in an office
// group as the explicit command it is (#受理 清川-12), so the Router takes
// it. Anywhere else the line goes on as it came, and the Router leaves it
// for chat.
func (a *App) officeLines(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, r bot.Responder, m *bot.Message) error {
		text := strings.TrimSpace(m.Text)
		if !inOfficeGroup(ctx) || !officeStepLine.MatchString(text) {
			return next.ServeMessage(ctx, r, m)
		}
		explicit := *m
		explicit.Text = "#" + text
		return next.ServeMessage(ctx, r, &explicit)
	})
}

// loadOffice returns the office group the message was written in.
func (a *App) loadOffice(ctx context.Context, m *bot.Message) (*store.Office, error) {
	return a.store.Office(ctx, m.Chat.Key())
}

// officeName names an office level ("社区") in the reader's language.
func officeName(ctx context.Context, level store.OfficeLevel) string {
	return tr(ctx, "office_"+string(level))
}

// refText writes a problem as the office names it: 清川-12.
func refText(prefix string, n int64) string { return fmt.Sprintf("%s-%d", prefix, n) }

// officeStateText is where a problem handed up is, as the office sees it.
func officeStateText(ctx context.Context, is *store.Issue) string {
	switch {
	case is.Status == store.IssueEscalated && (is.Office == "" || is.Office == store.OfficePending):
		return tr(ctx, "office_state_pending")
	case is.Status == store.IssueEscalated && is.Office == store.OfficeAccepted:
		return tr(ctx, "office_state_accepted")
	case is.Office == store.OfficeResolved || is.Office == store.OfficeReturned:
		return tr(ctx, "office_state_"+string(is.Office))
	}
	return tr(ctx, "office_state_station", i18n.Args{"Status": tr(ctx, "status_"+string(is.Status))})
}

// officeList serves 清单 [未办|已办|全部] in an office group: what every
// station escalated to it, station by station.
func (a *App) officeList(ctx context.Context, r bot.Responder, m *bot.Message) error {
	office, err := a.loadOffice(ctx, m)
	if err != nil {
		return err
	}
	filter, ok := parseIssueFilter(m.Args)
	if !ok || filter == store.FilterMine {
		return badForm("usage_office_list", "unknown_filter", i18n.Args{"Word": clip(m.Args)})
	}
	var b strings.Builder
	var total int64
	for _, ost := range office.Stations {
		list, count, err := a.store.Escalations(ctx, ost.ID, ost.Levels, filter, issuesPageSize)
		if err != nil {
			return err
		}
		if count == 0 {
			continue
		}
		total += count
		b.WriteString("\n" + tr(ctx, "office_list_station", i18n.Args{"Station": ost.Name, "Prefix": ost.Prefix, "Count": count}))
		for _, is := range list {
			b.WriteString("\n  " + tr(ctx, "office_line", i18n.Args{
				"Ref": refText(ost.Prefix, is.N), "Category": tr(ctx, "cat_"+is.Category), "State": officeStateText(ctx, is),
				"Text": issueText(ctx, is, 24), "Handler": is.OfficeHandlerName,
			}))
		}
		if more := count - int64(len(list)); more > 0 {
			b.WriteString("\n  " + tr(ctx, "office_list_more", i18n.Args{"Count": more}))
		}
	}
	if total == 0 {
		return r.Reply(ctx, tr(ctx, "office_list_empty_"+string(filter), i18n.Args{"Stations": len(office.Stations)}))
	}
	header := tr(ctx, "office_list_header_"+string(filter), i18n.Args{"Office": officeName(ctx, office.Level), "Total": total})
	return r.Reply(ctx, header+b.String()+"\n"+tr(ctx, "office_list_footer"))
}

// officeStep is one of the office's steps on a problem it was handed.
type officeStep struct {
	kind  store.IssueEventKind
	usage string
	// needsNote: progress and sending back say what; accepting says
	// nothing, resolving may.
	needsNote bool
	// apply changes the problem, open at the office, as the step does.
	apply func(is *store.Issue, by bot.User)
}

var (
	officeAcceptStep = officeStep{kind: store.EventOfficeAccepted, usage: "usage_office_accept",
		apply: func(is *store.Issue, by bot.User) {
			is.Office, is.OfficeHandler, is.OfficeHandlerName = store.OfficeAccepted, by.Key(), by.Name
		}}
	officeUpdateStep = officeStep{kind: store.EventOfficeUpdate, usage: "usage_office_update", needsNote: true,
		apply: func(is *store.Issue, by bot.User) { takeOn(is, by) }}
	officeResolveStep = officeStep{kind: store.EventOfficeResolved, usage: "usage_office_resolve",
		apply: func(is *store.Issue, by bot.User) {
			takeOn(is, by)
			is.Office, is.Status = store.OfficeResolved, store.IssueResolved
		}}
	officeReturnStep = officeStep{kind: store.EventOfficeReturned, usage: "usage_office_return", needsNote: true,
		apply: func(is *store.Issue, by bot.User) {
			is.Office, is.Status = store.OfficeReturned, store.IssueOpen
			if is.Assignee != "" {
				is.Status = store.IssueAccepted // back with whoever had it at the station
			}
		}}
)

// takeOn makes by the office's handler of a problem nobody there took on
// yet: a progress note or a resolution is taking it on.
func takeOn(is *store.Issue, by bot.User) {
	if is.Office != store.OfficeAccepted {
		is.Office, is.OfficeHandler, is.OfficeHandlerName = store.OfficeAccepted, by.Key(), by.Name
	}
}

func (a *App) officeAccept(ctx context.Context, r bot.Responder, m *bot.Message) error {
	return a.takeOfficeStep(ctx, r, m, officeAcceptStep)
}

func (a *App) officeUpdate(ctx context.Context, r bot.Responder, m *bot.Message) error {
	return a.takeOfficeStep(ctx, r, m, officeUpdateStep)
}

func (a *App) officeResolve(ctx context.Context, r bot.Responder, m *bot.Message) error {
	return a.takeOfficeStep(ctx, r, m, officeResolveStep)
}

func (a *App) officeReturn(ctx context.Context, r bot.Responder, m *bot.Message) error {
	return a.takeOfficeStep(ctx, r, m, officeReturnStep)
}

// takeOfficeStep serves 受理, 进展, 办结 and 退回 in an office group: the step
// on the problem named (清川-12), written into its timeline, told to its
// reporter privately and to the station's group, answered in the office.
func (a *App) takeOfficeStep(ctx context.Context, r bot.Responder, m *bot.Message, step officeStep) error {
	office, err := a.loadOffice(ctx, m)
	if err != nil {
		return err
	}
	if len(office.Stations) == 0 {
		return say("office_no_stations")
	}
	ost, n, note, err := parseOfficeArgs(ctx, m.Args, office, step.usage)
	if err != nil {
		return err
	}
	note = m.Raw(note) // stored and repeated as typed
	ref := refText(ost.Prefix, n)
	if note == "" && step.needsNote {
		return badForm(step.usage, "office_needs_note", i18n.Args{"Ref": ref})
	}
	if l := utf8.RuneCountInString(note); l > maxReportRunes {
		return badForm(step.usage, "report_too_long", i18n.Args{"Max": maxReportRunes, "Len": l})
	}
	now := a.now()
	ch, err := a.store.ChangeIssue(ctx, ost.ID, n, now, func(is *store.Issue) (store.IssueEvent, error) {
		if is.EscalatedTo == "" || !ost.Serves(is.EscalatedTo) {
			return store.IssueEvent{}, say("office_not_here", i18n.Args{"Ref": ref})
		}
		if is.Status != store.IssueEscalated || !(is.Office == "" || is.Office.IsOpen()) {
			return store.IssueEvent{}, say("office_not_open", i18n.Args{"Ref": ref, "State": officeStateText(ctx, is)})
		}
		if step.kind == store.EventOfficeAccepted && is.Office == store.OfficeAccepted && is.OfficeHandler == m.Sender.Key() {
			return store.IssueEvent{}, say("office_already_yours", i18n.Args{"Ref": ref})
		}
		step.apply(is, m.Sender)
		// The clocks are set before the step is written: a step whose
		// clocks cannot be set is not taken, and its message, served
		// again, takes it once.
		if err := a.rescheduleAfterOfficeStep(ctx, office, ost.Station, is.AfterStep(step.kind, now)); err != nil {
			return store.IssueEvent{}, err
		}
		return store.IssueEvent{By: m.Sender.Key(), ByName: m.Sender.Name, Kind: step.kind, Text: note, Office: is.EscalatedTo}, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return say("office_not_here", i18n.Args{"Ref": ref})
	}
	if err != nil {
		return err
	}
	is := ch.Issue
	a.tellOfficeStep(ctx, ost.Station, is, step.kind, m.Sender, note)
	return r.Reply(ctx, tr(ctx, "office_done_"+string(step.kind), i18n.Args{
		"Ref": ref, "Station": ost.Name, "Who": m.Sender.Name,
	}))
}

// parseOfficeArgs reads the problem an office step names and the note after
// it, turning what is wrong into the reply that says so.
func parseOfficeArgs(ctx context.Context, args string, office *store.Office, usage string) (*store.OfficeStation, int64, string, error) {
	ref, note, word, err := parseOfficeRef(args, office.Prefixes())
	prefixes := strings.Join(office.Prefixes(), tr(ctx, "list_sep"))
	switch {
	case errors.Is(err, errOfficeRefMissing):
		return nil, 0, "", badForm(usage, "office_needs_ref", i18n.Args{"Prefixes": prefixes})
	case errors.Is(err, errOfficeRefNoStation):
		return nil, 0, "", badForm(usage, "office_needs_station", i18n.Args{"Prefixes": prefixes})
	case errors.Is(err, errOfficeRefUnknown):
		return nil, 0, "", badForm(usage, "office_unknown_station", i18n.Args{"Word": clip(word), "Prefixes": prefixes})
	case err != nil:
		return nil, 0, "", badForm(usage, "bad_number", i18n.Args{"Text": clip(args)})
	}
	ost, _ := office.ByPrefix(ref.Prefix)
	return ost, ref.N, note, nil
}

// rescheduleAfterOfficeStep restarts the station's own overdue clocks and
// the office's, from the step about to be taken (is as it will be written).
func (a *App) rescheduleAfterOfficeStep(ctx context.Context, office *store.Office, st *store.Station, is *store.Issue) error {
	if err := a.scheduleOverdue(ctx, st, is); err != nil {
		return err
	}
	if err := a.scheduleOfficeOverdue(ctx, office.OverdueDays, is); err != nil {
		return fmt.Errorf("office reminder of problem %d: %w", is.N, err)
	}
	return nil
}

// tellOfficeStep tells the reporter, privately, and the station's group,
// without naming the reporter, what the office did. Both read the station's
// language.
func (a *App) tellOfficeStep(ctx context.Context, st *store.Station, is *store.Issue, kind store.IssueEventKind, by bot.User, note string) {
	ctx = bot.WithLocale(ctx, stationLocaleOrDefault(st))
	args := i18n.Args{"N": is.N, "Office": officeName(ctx, is.EscalatedTo), "Who": by.Name, "Note": quoteIfAny(note),
		"Text": issueText(inGroup(ctx), is, 24)}
	if kind == store.EventOfficeResolved {
		a.askForRating(ctx, is, tr(ctx, "office_resolved_note", args))
	} else {
		a.tellReporter(ctx, is, by, tr(ctx, "office_reporter_"+string(kind), args))
	}
	text := tr(ctx, "office_station_"+string(kind), args)
	if is.ReportChat != "" {
		a.send(ctx, bot.Outgoing{Chat: chatFromKey(is.ReportChat, bot.Group), Text: text})
		return
	}
	a.broadcast(ctx, st, text) // reported privately: every group of the station
}

// officeEventText is what an office step in a problem's timeline says.
func officeEventText(ctx context.Context, ev store.IssueEvent) string {
	return tr(ctx, "office_event_"+string(ev.Kind), i18n.Args{"Office": officeName(ctx, ev.Office), "Note": quoteIfAny(ev.Text)})
}

// isOfficeEvent reports whether a timeline step was taken by an office.
func isOfficeEvent(kind store.IssueEventKind) bool {
	switch kind {
	case store.EventOfficeAccepted, store.EventOfficeUpdate, store.EventOfficeResolved, store.EventOfficeReturned:
		return true
	}
	return false
}

// officeOverdueID names the office's reminder about problem n of st.
func officeOverdueID(st, n int64) string { return jobPayload(jobOfficeOverdue, st, n) }

// scheduleOfficeOverdue (re)starts the office's clock on a problem it has
// to do, from the escalation or its own last step, days long; a problem the
// office no longer has loses its reminder.
func (a *App) scheduleOfficeOverdue(ctx context.Context, days int, is *store.Issue) error {
	id := officeOverdueID(is.Station, is.N)
	if is.Status != store.IssueEscalated || !is.Office.IsOpen() || days <= 0 {
		return a.sched.CancelAll(ctx, id)
	}
	return a.sched.ScheduleAll(ctx, scheduler.Reminder{ID: id, At: is.OfficeAt.Add(time.Duration(days) * 24 * time.Hour),
		Job: jobOfficeOverdue, Payload: id})
}

// fireOfficeOverdue reminds the office group of a problem it took no step on
// for its deadline.
func (a *App) fireOfficeOverdue(ctx context.Context, rem scheduler.Reminder) error {
	ctx, station, n, _, err := a.jobRecord(ctx, rem.Payload, jobOfficeOverdue)
	if err != nil {
		return err
	}
	is, err := a.store.Issue(ctx, station.ID, n)
	if err != nil || is.Status != store.IssueEscalated || !is.Office.IsOpen() {
		return err
	}
	chat := station.Offices[is.EscalatedTo]
	if chat == "" {
		return nil // the station no longer has an office there
	}
	office, err := a.store.Office(ctx, chat)
	if err != nil {
		return err
	}
	ost, ok := office.ByID(station.ID)
	if !ok {
		return nil
	}
	if office.Locale != "" {
		ctx = bot.WithLocale(ctx, office.Locale)
	}
	ctx = inGroup(ctx)
	ref := refText(ost.Prefix, n)
	return a.send(ctx, bot.Outgoing{Chat: chatFromKey(chat, bot.Group), Text: tr(ctx, "office_overdue", i18n.Args{
		"Ref": ref, "Station": station.Name, "Days": int(a.now().Sub(is.OfficeAt).Hours() / 24),
		"Category": tr(ctx, "cat_"+is.Category), "Text": issueText(ctx, is, 24), "State": officeStateText(ctx, is),
	})})
}

// officeIssue serves 事项 清川-12 in an office group: a problem handed to
// it, with its timeline, read as a group reads it (the reporter unnamed).
func (a *App) officeIssue(ctx context.Context, r bot.Responder, m *bot.Message) error {
	office, err := a.loadOffice(ctx, m)
	if err != nil {
		return err
	}
	ost, n, _, err := parseOfficeArgs(ctx, m.Args, office, "usage_office_issue")
	if err != nil {
		return err
	}
	ref := refText(ost.Prefix, n)
	is, err := a.store.Issue(ctx, ost.ID, n)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (is.EscalatedTo == "" || !ost.Serves(is.EscalatedTo))) {
		return say("office_not_here", i18n.Args{"Ref": ref})
	}
	if err != nil {
		return err
	}
	events, err := a.store.IssueTimeline(ctx, ost.ID, n)
	if err != nil {
		return err
	}
	header := tr(ctx, "office_issue_card", i18n.Args{
		"Ref": ref, "Station": ost.Name, "Category": tr(ctx, "cat_"+is.Category), "State": officeStateText(ctx, is),
		"Text": issueText(ctx, is, 0), "Reporter": reporterName(ctx, is), "Supporters": is.Supporters,
		"Handler": is.OfficeHandlerName, "Since": is.Created.In(calendar.Shanghai).Format("2006-01-02"),
	})
	return r.Reply(ctx, listText(header, timelineLines(ctx, is, events), func(l string) string { return "  " + l }))
}

// officeStation serves 本站 in an office group: the office's card, and
// 本站 逾期 N, the office's deadline. 关联 and the rest go on to the
// station's command (a second station links the office from here).
func (a *App) officeStation(ctx context.Context, r bot.Responder, m *bot.Message) error {
	sub, rest, _ := strings.Cut(m.Args, " ")
	switch strings.ToLower(sub) {
	case "":
		return a.officeCard(ctx, r, m)
	case "overdue", "逾期":
		return a.setOfficeOverdue(ctx, r, m, strings.TrimSpace(rest))
	}
	return a.station(ctx, r, m)
}

func (a *App) officeCard(ctx context.Context, r bot.Responder, m *bot.Message) error {
	office, err := a.loadOffice(ctx, m)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(tr(ctx, "office_card", i18n.Args{"Office": officeName(ctx, office.Level), "Stations": len(office.Stations),
		"Days": office.OverdueDays}))
	for _, ost := range office.Stations {
		b.WriteString("\n  " + tr(ctx, "office_card_station", i18n.Args{"Station": ost.Name, "Prefix": ost.Prefix}))
	}
	return r.Reply(ctx, b.String())
}

// maxOfficeOverdueDays bounds the office's deadline.
const maxOfficeOverdueDays = 90

func (a *App) setOfficeOverdue(ctx context.Context, r bot.Responder, m *bot.Message, arg string) error {
	days, err := numerals.ParseChineseInt(strings.TrimSuffix(arg, "天"))
	if err != nil || days < 1 || days > maxOfficeOverdueDays {
		return badForm("usage_office_overdue", "office_overdue_bad_days", i18n.Args{"Max": maxOfficeOverdueDays})
	}
	if err := a.store.SetOfficeOverdueDays(ctx, m.Chat.Key(), int(days)); err != nil {
		return err
	}
	return r.Reply(ctx, tr(ctx, "office_overdue_set", i18n.Args{"Days": days}))
}

// officeStats serves 统计 [MONTH] in an office group: its stations side by
// side, each with what it handed to this office.
func (a *App) officeStats(ctx context.Context, r bot.Responder, m *bot.Message) error {
	office, err := a.loadOffice(ctx, m)
	if err != nil {
		return err
	}
	if _, ok := cutWord(strings.TrimSpace(m.Args), "all", "全部", "街道", "所有"); ok {
		return a.stats(ctx, r, m) // the subdistrict's administrators, from any chat
	}
	month, err := parseMonth(m.Args, a.now())
	if err != nil {
		return err
	}
	lines := make([]string, 0, len(office.Stations))
	for _, ost := range office.Stations {
		s, err := a.store.MonthStats(ctx, ost.ID, month)
		if err != nil {
			return err
		}
		f, err := a.store.OfficeFigures(ctx, ost.ID, ost.Levels, month)
		if err != nil {
			return err
		}
		args := figureArgs(ctx, ost.Station, s, month)
		args["Prefix"], args["Open"], args["OfficeSolved"] = ost.Prefix, f.Open, f.Solved
		lines = append(lines, tr(ctx, "office_stats_line", args))
	}
	header := tr(ctx, "office_stats_header", i18n.Args{"Office": officeName(ctx, office.Level),
		"Month": formatMonth(ctx, month), "Stations": len(office.Stations)})
	return r.Reply(ctx, listText(header, lines, func(l string) string { return l }, tr(ctx, "office_stats_footer")))
}

// officeHelp serves 帮助 in an office group: the office's commands.
// A topic (帮助 众筹) is answered as anywhere.
func (a *App) officeHelp(ctx context.Context, r bot.Responder, m *bot.Message) error {
	if strings.TrimSpace(m.Args) != "" {
		return a.help(ctx, r, m)
	}
	office, err := a.loadOffice(ctx, m)
	if err != nil {
		return err
	}
	example := "清川"
	if len(office.Stations) > 0 {
		example = office.Stations[0].Prefix
	}
	return r.Reply(ctx, tr(ctx, "help_office", i18n.Args{"Office": officeName(ctx, office.Level), "Prefix": example}))
}

// escalationOffice returns the office group a problem is handed to, or nil
// when there is no such group any more: the problem is handed up all the
// same, named by its number alone and with no deadline clock. A group that
// cannot be read (the store down) is an error: the escalation waits for it,
// served again, rather than go without its clock.
func (a *App) escalationOffice(ctx context.Context, officeChat string) (*store.Office, error) {
	office, err := a.store.Office(ctx, officeChat)
	if errors.Is(err, store.ErrNotFound) { // not, or no longer, an office group
		a.log.Warn("office unknown", "chat", officeChat, "err", err)
		return nil, nil
	}
	return office, err
}

// escalationRef is how the office group (nil when unknown) names a problem
// just handed to it.
func escalationRef(office *store.Office, st *store.Station, is *store.Issue) string {
	if office != nil {
		if ost, ok := office.ByID(st.ID); ok {
			return refText(ost.Prefix, is.N)
		}
	}
	return fmt.Sprintf("#%d", is.N)
}

// officeLinked answers 关联 CODE 社区 in the group just linked: how the
// station's problems are named there.
func (a *App) officeLinked(ctx context.Context, r bot.Responder, m *bot.Message, st *store.Station, level store.OfficeLevel) error {
	office, err := a.loadOffice(ctx, m)
	if err != nil {
		return err
	}
	prefix := ""
	if ost, ok := office.ByID(st.ID); ok {
		prefix = ost.Prefix
	}
	return r.Reply(ctx, tr(ctx, "office_linked", i18n.Args{"Name": st.Name, "Office": officeName(ctx, level), "Prefix": prefix}))
}
