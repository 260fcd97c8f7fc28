package handlers

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
)

// incidentListLimit is how many patrol log entries one list shows.
const incidentListLimit = 20

// incident serves /incident TEXT (劝导 TEXT), /incident list and
// /incident report N (劝导 转报事 N, also /incident N report).
func (a *App) incident(ctx context.Context, r bot.Responder, m *bot.Message) error {
	switch action, rest := parseIncidentArgs(m.Args); action {
	case incidentList:
		return a.listIncidents(ctx, r, m)
	case incidentReport:
		return a.reportIncident(ctx, r, m, rest)
	default:
		return a.logIncident(ctx, r, m, rest)
	}
}

// What /incident is asked to do.
const (
	incidentLog = iota
	incidentList
	incidentReport
)

// reportWords turn a patrol log entry into a problem.
var reportWords = []string{"report", "转报事", "报事", "转为报事"}

// parseIncidentArgs tells the patrol log's subcommands from an entry's
// text: "list", "report N" and "N report" (劝导 转报事 劝3, 劝导 3 转报事);
// anything else is the text of a new entry. rest is the text, or the
// number to report.
func parseIncidentArgs(args string) (action int, rest string) {
	args = strings.TrimSpace(args)
	if rest, ok := cutWord(args, "list", "列表", "记录"); ok && rest == "" {
		return incidentList, ""
	}
	if rest, ok := cutWord(args, reportWords...); ok {
		return incidentReport, rest
	}
	if first, after, _ := strings.Cut(args, " "); after != "" {
		if _, err := parseKindRef(first, incidentRef); err == nil {
			if more, ok := cutWord(strings.TrimSpace(after), reportWords...); ok && more == "" {
				return incidentReport, first
			}
		}
	}
	return incidentLog, args
}

// incidents serves /incidents: the patrol log, for the team lead and the
// head.
func (a *App) incidents(ctx context.Context, r bot.Responder, m *bot.Message) error {
	if strings.TrimSpace(m.Args) != "" {
		return badForm("usage_incidents", "unknown_filter", i18n.Args{"Word": clip(m.Args)})
	}
	return a.listIncidents(ctx, r, m)
}

// logIncident records what a patrol volunteer saw, with any photo sent
// with it.
func (a *App) logIncident(ctx context.Context, r bot.Responder, m *bot.Message, text string) error {
	text = m.Raw(text) // kept as typed
	st, err := a.requirePatrol(ctx)
	if err != nil {
		return err
	}
	if text == "" {
		return badForm("usage_incident", "incident_needs_text")
	}
	if n := utf8.RuneCountInString(text); n > maxReportRunes {
		return badForm("usage_incident", "report_too_long", i18n.Args{"Max": maxReportRunes, "Len": n})
	}
	var photos []string
	for _, at := range m.Attachments {
		if at.Kind == bot.AttachmentPhoto {
			photos = append(photos, at.Ref)
		}
	}
	chat := groupOf(m)
	in, err := a.store.LogIncident(ctx, st.ID, store.Incident{Text: text, Author: m.Sender.Key(),
		AuthorName: m.Sender.Name, Chat: chat, Photos: photos}, a.now())
	if err != nil {
		return err
	}
	return r.Reply(ctx, tr(ctx, "incident_logged", i18n.Args{"N": in.N, "When": formatWhen(ctx, in.Created),
		"Who": in.AuthorName, "Photos": len(in.Photos)}))
}

// listIncidents sends the newest patrol log entries privately: they name
// neighbours.
func (a *App) listIncidents(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, _, err := requireAny(ctx, store.RoleDeputy, store.RoleTeamLead, store.RoleDuty)
	if err != nil {
		return err
	}
	list, total, err := a.store.Incidents(ctx, st.ID, incidentListLimit)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return r.Reply(ctx, tr(ctx, "incidents_empty"))
	}
	text := listText(tr(ctx, "incidents_header", i18n.Args{"Station": st.Name, "Total": total}), list, func(in *store.Incident) string {
		return tr(ctx, "incident_line", i18n.Args{"N": in.N, "When": formatWhen(ctx, in.Created),
			"Who": in.AuthorName, "Text": bot.Quote(clipN(in.Text, 40)), "Photos": len(in.Photos), "Issue": in.Issue})
	}, moreLine(ctx, "incidents_more", len(list), total), tr(ctx, "incidents_footer"))
	return r.ReplyPrivately(ctx, text)
}

// reportIncident turns patrol log entry N into a problem (报事) in the
// dogs category, so it joins the governance list and its reminders.
func (a *App) reportIncident(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, _, err := requireAny(ctx, store.RoleDeputy, store.RoleTeamLead, store.RoleDuty)
	if err != nil {
		return err
	}
	n, rest, err := parseKindRefArg(ctx, args, "usage_incident_report", incidentRef)
	if err != nil {
		return err
	}
	if rest != "" {
		return badForm("usage_incident_report", "bad_number", i18n.Args{"Text": clip(args)})
	}
	in, err := a.store.Incident(ctx, st.ID, n)
	if errors.Is(err, store.ErrNotFound) {
		return say("incident_not_found", i18n.Args{"N": n})
	}
	if err != nil {
		return err
	}
	reportChat := groupOf(m)
	text := tr(ctx, "incident_issue_text", i18n.Args{"Text": in.Text, "N": in.N, "Who": in.AuthorName,
		"When": formatShortWhen(ctx, in.Created)})
	in, is, err := a.store.ReportIncident(ctx, st.ID, n, m.Sender, reportChat, "dogs", text, a.now())
	if errors.Is(err, store.ErrIncidentReported) && in != nil {
		return say("incident_already_reported", i18n.Args{"N": n, "Issue": in.Issue})
	}
	if err != nil {
		return err
	}
	if err := a.scheduleOverdue(ctx, st, is); err != nil {
		a.log.Warn("overdue reminders not scheduled", "err", err)
	}
	if in.Author != m.Sender.Key() {
		a.notifyPerson(ctx, in.Author, in.AuthorName, in.Chat,
			tr(ctx, "incident_author_told", i18n.Args{"N": n, "Issue": is.N, "Who": m.Sender.Name}))
	}
	return r.Reply(ctx, tr(ctx, "incident_reported", i18n.Args{"N": n, "Issue": is.N,
		"Category": tr(ctx, "cat_"+is.Category)}))
}
