package handlers

import (
	"context"
	"strings"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// role serves /role @who ROLE [BUILDING] and /role remove @who ROLE.
func (a *App) role(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, _, err := requireAny(ctx)
	if err != nil {
		return err
	}
	args, who := cutMentions(m, m.Args)
	remove := false
	if rest, ok := cutWord(args, "remove", "免职", "撤销"); ok {
		remove, args = true, rest
	}
	fields := strings.Fields(args)
	if len(who) != 1 || len(fields) == 0 {
		return badForm("usage_role", "role_needs_person")
	}
	role, ok := parseRole(fields[0])
	if !ok {
		return badForm("usage_role", "unknown_role", i18n.Args{"Word": fields[0]})
	}
	person, err := a.knownPerson(ctx, st, who[0])
	if err != nil {
		return err
	}
	if remove {
		if err := a.store.RemoveRole(ctx, st.ID, person, role); err != nil {
			return err
		}
		return r.Reply(ctx, tr(ctx, "role_removed", i18n.Args{"Name": person.Name, "Role": tr(ctx, "role_"+string(role))}))
	}
	building := ""
	if role == store.RoleLeader {
		if len(fields) < 2 {
			return badForm("usage_role", "leader_needs_building")
		}
		if building, err = numerals.ParseBuilding(fields[1]); err != nil {
			return badForm("usage_role", "bad_building", i18n.Args{"Text": clip(fields[1])})
		}
	}
	if err := a.store.SetRole(ctx, st.ID, person, role, building); err != nil {
		return err
	}
	key := "role_given"
	if building != "" {
		key = "role_given_building"
	}
	return r.Reply(ctx, tr(ctx, key, i18n.Args{"Name": person.Name, "Role": tr(ctx, "role_"+string(role)), "Building": building}))
}

// needRole returns the error for a person without any of roles.
func needRole(roles ...store.Role) error {
	return &roleError{roles: roles}
}

// needStation returns the station the message speaks for, or the error that
// tells the person how to get one.
func needStation(ctx context.Context) (*store.Station, error) {
	s := sessionFrom(ctx)
	if s.station() == nil {
		if s.id.Chat.Office != "" {
			return nil, say("office_group_no_station")
		}
		if s.private {
			return nil, say("no_station_private")
		}
		return nil, say("no_station")
	}
	return s.station(), nil
}

// requireAny returns the station if the sender holds one of roles (the
// station head always may), else the error that names who may.
func requireAny(ctx context.Context, roles ...store.Role) (*store.Station, *store.Member, error) {
	st, err := needStation(ctx)
	if err != nil {
		return nil, nil, err
	}
	m := sessionFrom(ctx).member()
	if m.Has(store.RoleHead) {
		return st, m, nil
	}
	for _, r := range roles {
		if m.Has(r) {
			return st, m, nil
		}
	}
	return nil, nil, needRole(append([]store.Role{store.RoleHead}, roles...)...)
}

// Who else may use dog and patrol commands, named when someone may not:
// the dog's owner, and a volunteer of one of the station's teams.
const (
	roleDogOwner store.Role = "dogs_owner"
	rolePatrol   store.Role = "dogs_team"
)

// onPatrol reports whether the sender may do a patrol volunteer's work: the
// head, a deputy or a team lead, or a member of any of the station's
// volunteer teams.
func (a *App) onPatrol(ctx context.Context, st *store.Station) (bool, error) {
	s := sessionFrom(ctx)
	me := s.member()
	if me.IsStaff() || me.Has(store.RoleTeamLead) {
		return true, nil
	}
	return a.inAnyTeam(ctx, st.ID, s.user.Key())
}

// inAnyTeam reports whether userKey belongs to any volunteer team of
// station st.
func (a *App) inAnyTeam(ctx context.Context, st int64, userKey string) (bool, error) {
	teams, err := a.store.Teams(ctx, st)
	if err != nil {
		return false, err
	}
	for _, t := range teams {
		in, err := a.store.InTeam(ctx, st, t.ID, userKey)
		if err != nil || in {
			return in, err
		}
	}
	return false, nil
}

// requirePatrol returns the station if the sender may do a patrol
// volunteer's work, else the error that names who may.
func (a *App) requirePatrol(ctx context.Context) (*store.Station, error) {
	st, err := needStation(ctx)
	if err != nil {
		return nil, err
	}
	ok, err := a.onPatrol(ctx, st)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, needRole(store.RoleHead, store.RoleTeamLead, rolePatrol)
	}
	return st, nil
}

type roleError struct{ roles []store.Role }

func (e *roleError) Error() string { return "needs role" }

// roleNames lists roles in the reader's language: "站长、值班人员".
func roleNames(ctx context.Context, roles []store.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = tr(ctx, "role_"+string(r))
	}
	return strings.Join(names, tr(ctx, "list_sep"))
}

func parseRole(s string) (store.Role, bool) {
	switch strings.ToLower(s) {
	case "副站长", "deputy":
		return store.RoleDeputy, true
	case "楼组长", "楼长", "楼道长", "leader":
		return store.RoleLeader, true
	case "值班", "值班人员", "值班员", "duty":
		return store.RoleDuty, true
	case "队长", "teamlead", "lead":
		return store.RoleTeamLead, true
	}
	return "", false
}
