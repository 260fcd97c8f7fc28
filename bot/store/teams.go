package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
)

// Team is a volunteer team (志愿队) of a station, such as 垃圾分类督导队 or
// 文明养犬自助队. Teams are numbered per station and named uniquely, case
// aside.
type Team struct {
	Station  int64
	ID       int64
	Name     string
	Lead     string // user key of the team lead (队长), "" while there is none
	LeadName string
	// Chat is the group the team was created in: where a reminder goes,
	// with a mention, when a volunteer cannot be reached privately.
	Chat    string
	By      string
	Created time.Time
}

// TeamMember is one volunteer of a team.
type TeamMember struct {
	UserKey string
	Name    string
	Joined  time.Time
}

// ErrTeamExists is returned when a station already has a team of that name.
var ErrTeamExists = fmt.Errorf("%w: a team of that name exists", ErrConflict)

// teamNameKey is how team names are compared: case and surrounding spaces
// aside.
func teamNameKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// CreateTeam records a new team of station st. A lead given in in.Lead
// joins the team. The name is unique within the station.
func (s *Store) CreateTeam(ctx context.Context, st int64, in Team, now time.Time) (*Team, error) {
	var out *Team
	err := s.withLease(ctx, s.k.lease(st, "teams"), func() error {
		taken, err := s.rdb.HExists(ctx, s.k.teamNames(st), teamNameKey(in.Name)).Result()
		if err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("%w: %q", ErrTeamExists, in.Name)
		}
		id, err := s.rdb.Incr(ctx, s.k.teamSeq(st)).Result()
		if err != nil {
			return err
		}
		in.Station, in.ID, in.Created = st, id, now
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.k.team(st, id), "id", id, "name", in.Name, "lead", in.Lead, "lead_name", in.LeadName,
				"chat", in.Chat, "by", in.By, "created", ms(now))
			p.HSet(ctx, s.k.teamNames(st), teamNameKey(in.Name), id)
			if in.Lead != "" {
				p.HSetNX(ctx, s.k.teamMembers(st, id), in.Lead, memberValue(now, in.LeadName))
			}
			return nil
		})
		out = &in
		return err
	})
	return out, err
}

func memberValue(joined time.Time, name string) string {
	return strconv.FormatInt(ms(joined), 10) + "|" + name
}

// Team returns team id of station st.
func (s *Store) Team(ctx context.Context, st, id int64) (*Team, error) {
	h, err := s.record(ctx, s.k.team(st, id), fmt.Sprintf("team %d", id))
	if err != nil {
		return nil, err
	}
	return teamFromHash(st, h), nil
}

func teamFromHash(st int64, h map[string]string) *Team {
	return &Team{Station: st, ID: atoi(h["id"]), Name: h["name"], Lead: h["lead"], LeadName: h["lead_name"],
		Chat: h["chat"], By: h["by"], Created: fromMS(h["created"])}
}

// Teams returns every team of station st, by number.
func (s *Store) Teams(ctx context.Context, st int64) ([]*Team, error) {
	names, err := s.rdb.HGetAll(ctx, s.k.teamNames(st)).Result()
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(names))
	for _, v := range names {
		ids = append(ids, atoi(v))
	}
	slices.Sort(ids)
	return records(ctx, s, ids, func(id int64) string { return s.k.team(st, id) },
		func(_ int64, h map[string]string) *Team { return teamFromHash(st, h) })
}

// SetTeamLead makes user the lead of team id; the lead joins the team.
func (s *Store) SetTeamLead(ctx context.Context, st, id int64, user bot.User, now time.Time) error {
	if _, err := s.Team(ctx, st, id); err != nil {
		return err
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.k.team(st, id), "lead", user.Key(), "lead_name", user.Name)
		p.HSetNX(ctx, s.k.teamMembers(st, id), user.Key(), memberValue(now, user.Name))
		return nil
	})
	return err
}

// JoinTeam adds user to team id and reports whether they were new to it.
// Joining counts in the month's figures only when they were; the team's
// lease makes the check and the write one step.
func (s *Store) JoinTeam(ctx context.Context, st, id int64, user bot.User, now time.Time) (bool, error) {
	var added bool
	err := s.withLease(ctx, s.k.lease(st, "team:"+strconv.FormatInt(id, 10)), func() error {
		in, err := s.InTeam(ctx, st, id, user.Key())
		if err != nil || in {
			return err
		}
		var set *redis.BoolCmd
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			set = p.HSetNX(ctx, s.k.teamMembers(st, id), user.Key(), memberValue(now, user.Name))
			s.countPeople(ctx, p, st, now, user.Key())
			return nil
		})
		added = err == nil && set.Val()
		return err
	})
	return added, err
}

// LeaveTeam takes user out of team id and reports whether they were in it.
// Places they hold on shifts stay theirs until they cancel them.
func (s *Store) LeaveTeam(ctx context.Context, st, id int64, userKey string) (bool, error) {
	n, err := s.rdb.HDel(ctx, s.k.teamMembers(st, id), userKey).Result()
	return n > 0, err
}

// InTeam reports whether user is a member of team id.
func (s *Store) InTeam(ctx context.Context, st, id int64, userKey string) (bool, error) {
	return s.rdb.HExists(ctx, s.k.teamMembers(st, id), userKey).Result()
}

// TeamMembers returns the volunteers of team id, longest-serving first.
func (s *Store) TeamMembers(ctx context.Context, st, id int64) ([]TeamMember, error) {
	h, err := s.rdb.HGetAll(ctx, s.k.teamMembers(st, id)).Result()
	if err != nil {
		return nil, err
	}
	out := make([]TeamMember, 0, len(h))
	for key, v := range h {
		at, name, _ := strings.Cut(v, "|")
		out = append(out, TeamMember{UserKey: key, Name: name, Joined: fromMS(at)})
	}
	slices.SortFunc(out, func(a, b TeamMember) int {
		return cmp.Or(a.Joined.Compare(b.Joined), strings.Compare(a.UserKey, b.UserKey))
	})
	return out, nil
}
