package handlers

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// A team's lead (队长) is named per team: 建队 NAME @who or 设队长 NAME @who.
// Either also gives the person the station role 队长, which is what
// 任命 @who 队长 gives alone; a holder of that role may run any team that
// has no lead of its own. The head and deputies may run every team.

// team serves /team and its subcommands: the list of teams, new, join,
// leave, members and lead; /team NAME shows a team's members.
func (a *App) team(ctx context.Context, r bot.Responder, m *bot.Message) error {
	sub, rest, _ := strings.Cut(m.Args, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(sub) {
	case "", "list", "列表":
		return a.listTeams(ctx, r)
	case "new", "create", "新建", "成立":
		return a.createTeam(ctx, r, m, rest)
	case "join", "加入":
		return a.joinTeam(ctx, r, m, rest)
	case "leave", "退出":
		return a.leaveTeam(ctx, r, m, rest)
	case "members", "队员", "名单":
		return a.teamMembers(ctx, r, m, rest)
	case "lead", "队长":
		return a.setTeamLead(ctx, r, m, rest)
	}
	return a.teamMembers(ctx, r, m, m.Args)
}

func (a *App) createTeam(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, _, err := requireAny(ctx)
	if err != nil {
		return err
	}
	name, who := cutMentions(m, args)
	if !validTeamName(name) {
		return badForm("usage_team_new", "team_name_bad", i18n.Args{"Max": maxNameRunes})
	}
	in := store.Team{Name: name, By: m.Sender.Key()}
	if !m.IsPrivate() {
		in.Chat = m.Chat.Key()
	}
	if len(who) > 0 {
		in.Lead, in.LeadName = who[0].Key(), who[0].Name
	}
	team, err := a.store.CreateTeam(ctx, st.ID, in, a.now())
	if errors.Is(err, store.ErrTeamExists) {
		return say("team_exists", i18n.Args{"Name": name})
	}
	if err != nil {
		return err
	}
	if len(who) == 0 {
		return r.Reply(ctx, tr(ctx, "team_created_no_lead", i18n.Args{"Name": team.Name}))
	}
	if err := a.store.SetRole(ctx, st.ID, who[0], store.RoleTeamLead, ""); err != nil {
		return err
	}
	return r.Reply(ctx, tr(ctx, "team_created", i18n.Args{"Name": team.Name, "Lead": team.LeadName}))
}

// validTeamName accepts a name people can type back: not empty, not too
// long, not a bare number (numbers name teams too).
func validTeamName(name string) bool {
	if name == "" || utf8.RuneCountInString(name) > maxNameRunes || strings.ContainsAny(name, "\n@") {
		return false
	}
	_, err := numerals.ParseRef(name)
	return err != nil
}

func (a *App) setTeamLead(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, _, err := requireAny(ctx)
	if err != nil {
		return err
	}
	name, who := cutMentions(m, args)
	if len(who) != 1 {
		return badForm("usage_team_lead", "team_lead_needs_person")
	}
	team, err := a.resolveTeam(ctx, st, name, "usage_team_lead")
	if err != nil {
		return err
	}
	if err := a.store.SetTeamLead(ctx, st.ID, team.ID, who[0], a.now()); err != nil {
		return err
	}
	if err := a.store.SetRole(ctx, st.ID, who[0], store.RoleTeamLead, ""); err != nil {
		return err
	}
	return r.Reply(ctx, tr(ctx, "team_lead_set", i18n.Args{"Who": who[0].Name, "Name": team.Name}))
}

func (a *App) joinTeam(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	team, err := a.resolveTeam(ctx, st, args, "usage_team_join")
	if err != nil {
		return err
	}
	added, err := a.store.JoinTeam(ctx, st.ID, team.ID, m.Sender, a.now())
	if err != nil {
		return err
	}
	if !added {
		return say("team_already_member", i18n.Args{"Who": m.Sender.Name, "Name": team.Name})
	}
	members, err := a.store.TeamMembers(ctx, st.ID, team.ID)
	if err != nil {
		return err
	}
	return r.Reply(ctx, tr(ctx, "team_joined", i18n.Args{"Who": m.Sender.Name, "Name": team.Name,
		"Members": countOf(ctx, "shift_n_members", len(members))}))
}

func (a *App) leaveTeam(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	team, err := a.resolveTeam(ctx, st, args, "usage_team_join")
	if err != nil {
		return err
	}
	left, err := a.store.LeaveTeam(ctx, st.ID, team.ID, m.Sender.Key())
	if err != nil {
		return err
	}
	if !left {
		return say("team_not_member", i18n.Args{"Who": m.Sender.Name, "Name": team.Name})
	}
	return r.Reply(ctx, tr(ctx, "team_left", i18n.Args{"Who": m.Sender.Name, "Name": team.Name}))
}

// teamMembers sends a team's members privately: a list that names people.
func (a *App) teamMembers(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	team, err := a.resolveTeam(ctx, st, args, "usage_team")
	if err != nil {
		return err
	}
	members, err := a.store.TeamMembers(ctx, st.ID, team.ID)
	if err != nil {
		return err
	}
	if len(members) == 0 {
		return r.Reply(ctx, tr(ctx, "team_members_empty", i18n.Args{"Name": team.Name}))
	}
	names := make([]string, len(members))
	for i, mb := range members {
		names[i] = mb.Name
	}
	text := tr(ctx, "team_members", i18n.Args{"Name": team.Name, "Members": countOf(ctx, "shift_n_members", len(members)), "Lead": team.LeadName,
		"Names": strings.Join(names, tr(ctx, "list_sep"))})
	return r.ReplyPrivately(ctx, text)
}

func (a *App) listTeams(ctx context.Context, r bot.Responder) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	teams, err := a.store.Teams(ctx, st.ID)
	if err != nil {
		return err
	}
	if len(teams) == 0 {
		return r.Reply(ctx, tr(ctx, "team_none_yet"))
	}
	var b strings.Builder
	b.WriteString(tr(ctx, "teams_header", i18n.Args{"Station": st.Name}))
	for _, t := range teams {
		members, err := a.store.TeamMembers(ctx, st.ID, t.ID)
		if err != nil {
			return err
		}
		key := "team_line"
		if t.Lead == "" {
			key = "team_line_no_lead"
		}
		b.WriteString("\n" + tr(ctx, key, i18n.Args{"ID": t.ID, "Name": t.Name, "Lead": t.LeadName,
			"Members": countOf(ctx, "shift_n_members", len(members))}))
	}
	b.WriteString("\n" + tr(ctx, "teams_footer"))
	return r.Reply(ctx, b.String())
}

// resolveTeam finds the team word names: its number, its name (case
// aside), or a part of its name that fits one team only. With no word and
// one team, that team is meant.
func (a *App) resolveTeam(ctx context.Context, st *store.Station, word, usage string) (*store.Team, error) {
	teams, err := a.store.Teams(ctx, st.ID)
	if err != nil {
		return nil, err
	}
	if len(teams) == 0 {
		return nil, say("team_none_yet")
	}
	word = strings.TrimSpace(word)
	if word == "" {
		if len(teams) == 1 {
			return teams[0], nil
		}
		return nil, badForm(usage, "team_needs_name", i18n.Args{"Teams": teamNames(ctx, teams)})
	}
	found := matchTeams(teams, word)
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, say("team_not_found", i18n.Args{"Word": clip(word), "Teams": teamNames(ctx, teams)})
	}
	return nil, say("team_ambiguous", i18n.Args{"Word": clip(word), "Teams": teamNames(ctx, found)})
}

// matchTeams returns the teams word names: the one with that number or
// that exact name, else every team whose name contains word.
func matchTeams(teams []*store.Team, word string) []*store.Team {
	if n, err := numerals.ParseRef(word); err == nil {
		for _, t := range teams {
			if t.ID == n {
				return []*store.Team{t}
			}
		}
	}
	fold := strings.ToLower(word)
	var found []*store.Team
	for _, t := range teams {
		name := strings.ToLower(t.Name)
		if name == fold {
			return []*store.Team{t}
		}
		if strings.Contains(name, fold) {
			found = append(found, t)
		}
	}
	return found
}

// cutTeam reads the team at the start of args, which may be a name of
// several words, and returns it with the rest.
func (a *App) cutTeam(ctx context.Context, st *store.Station, args, usage string) (*store.Team, string, error) {
	teams, err := a.store.Teams(ctx, st.ID)
	if err != nil {
		return nil, "", err
	}
	var best *store.Team
	for _, t := range teams {
		n := len(t.Name)
		if n <= len(args) && strings.EqualFold(args[:n], t.Name) && (n == len(args) || args[n] == ' ') &&
			(best == nil || n > len(best.Name)) {
			best = t
		}
	}
	if best == nil {
		// 垃圾分类督导队每天 06:00-08:00: the name glued to the time.
		for _, t := range teams {
			n := len(t.Name)
			if n < len(args) && strings.EqualFold(args[:n], t.Name) && (best == nil || n > len(best.Name)) {
				if _, _, err := calendar.ParseSlot(args[n:]); err == nil {
					best = t
				}
			}
		}
	}
	if best != nil {
		return best, strings.TrimSpace(args[len(best.Name):]), nil
	}
	first, rest, _ := strings.Cut(args, " ")
	t, err := a.resolveTeam(ctx, st, first, usage)
	return t, strings.TrimSpace(rest), err
}

func teamNames(ctx context.Context, teams []*store.Team) string {
	names := make([]string, len(teams))
	for i, t := range teams {
		names[i] = t.Name
	}
	return strings.Join(names, tr(ctx, "list_sep"))
}

// canRunTeam reports whether the sender may change team's rota: the head or
// a deputy, the team's lead, or someone appointed 队长 when the team has no
// lead of its own.
func canRunTeam(ctx context.Context, team *store.Team) bool {
	s := sessionFrom(ctx)
	me := s.member()
	switch {
	case me.IsStaff():
		return true
	case team.Lead != "":
		return team.Lead == s.user.Key()
	}
	return me.Has(store.RoleTeamLead)
}
