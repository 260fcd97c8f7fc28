package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/numerals"
)

// Role is a duty a member holds in a station. Everyone is a resident; roles
// add to that.
type Role string

// Roles, from COMMANDS.md.
const (
	RoleHead     Role = "head"     // 站长
	RoleDeputy   Role = "deputy"   // 副站长
	RoleLeader   Role = "leader"   // 楼组长, for one building
	RoleDuty     Role = "duty"     // 值班人员
	RoleTeamLead Role = "teamlead" // 队长
)

// AllRoles lists every role a head may appoint, in display order.
var AllRoles = []Role{RoleDeputy, RoleLeader, RoleDuty, RoleTeamLead}

// Member is a person's record in one station.
type Member struct {
	Station int64
	UserKey string
	Name    string
	Room    string // household key such as "3-2-301", "" when not bound
	Roles   []Role
	// Buildings are the buildings a building leader looks after.
	Buildings []string
	Locale    string
	Joined    time.Time
}

// memberCounted is the field of a member's record that keeps the last
// month ("200601") they were counted among the station's people in (see
// countPeople).
const memberCounted = "counted"

// Has reports whether m holds role r.
func (m *Member) Has(r Role) bool { return m != nil && slices.Contains(m.Roles, r) }

// IsStaff reports whether m runs the station: head or deputy.
func (m *Member) IsStaff() bool { return m.Has(RoleHead) || m.Has(RoleDeputy) }

// LeadsBuilding reports whether m is the building leader of building b.
func (m *Member) LeadsBuilding(b string) bool {
	return m.Has(RoleLeader) && slices.Contains(m.Buildings, b)
}

// Member returns user's record in station st. A person the station has not
// met yet is a resident with no room, not an error.
func (s *Store) Member(ctx context.Context, st int64, user bot.User) (*Member, error) {
	h, err := s.rdb.HGetAll(ctx, s.k.member(st, user.Key())).Result()
	if err != nil {
		return nil, err
	}
	return memberFromHash(st, user, h), nil
}

func memberFromHash(st int64, user bot.User, h map[string]string) *Member {
	m := &Member{Station: st, UserKey: user.Key(), Name: h["name"], Room: h["room"], Locale: h["locale"],
		Joined: fromMS(h["joined"])}
	if m.Name == "" {
		m.Name = user.Name
	}
	for _, r := range splitList(h["roles"]) {
		m.Roles = append(m.Roles, Role(r))
	}
	m.Buildings = splitList(h["buildings"])
	return m
}

// MemberByKey returns a member by user key.
func (s *Store) MemberByKey(ctx context.Context, st int64, userKey string) (*Member, error) {
	platform, id, _ := strings.Cut(userKey, ":")
	return s.Member(ctx, st, bot.User{Platform: platform, ID: id})
}

// Members returns every member of station st that the station has met,
// sorted by user key.
func (s *Store) Members(ctx context.Context, st int64) ([]*Member, error) {
	keys, err := s.rdb.SMembers(ctx, s.k.members(st)).Result()
	if err != nil {
		return nil, err
	}
	slices.Sort(keys)
	// One round trip for all of them: the overdue and chasing jobs read a
	// whole station's members.
	return records(ctx, s, keys, func(k string) string { return s.k.member(st, k) },
		func(k string, h map[string]string) *Member {
			platform, id, _ := strings.Cut(k, ":")
			return memberFromHash(st, bot.User{Platform: platform, ID: id}, h)
		})
}

// Touch records that user was seen in station st, keeping their display
// name current. It is cheap enough to call on every command.
func (s *Store) Touch(ctx context.Context, st int64, user bot.User, now time.Time) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if user.Name != "" {
			p.HSet(ctx, s.k.member(st, user.Key()), "name", user.Name)
		}
		p.HSetNX(ctx, s.k.member(st, user.Key()), "joined", ms(now))
		p.SAdd(ctx, s.k.members(st), user.Key())
		return nil
	})
	return err
}

// ErrRoomUnknown is returned when a room is not in a station's imported
// roster.
var ErrRoomUnknown = fmt.Errorf("%w: room not in the roster", ErrNotFound)

// BindRoom binds user to the household room in station st. Once a roster is
// imported only its rooms are accepted; before that, any well-formed room is
// added.
func (s *Store) BindRoom(ctx context.Context, st int64, user bot.User, room numerals.Room, now time.Time) error {
	info, err := s.Station(ctx, st)
	if err != nil {
		return err
	}
	if info.RosterLocked {
		ok, err := s.rdb.HExists(ctx, s.k.households(st), room.Key()).Result()
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %s", ErrRoomUnknown, room)
		}
	}
	old, err := s.Member(ctx, st, user)
	if err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if old.Room != "" && old.Room != room.Key() {
			p.SRem(ctx, s.k.household(st, old.Room), user.Key())
		}
		p.HSet(ctx, s.k.households(st), room.Key(), room.String())
		p.SAdd(ctx, s.k.household(st, room.Key()), user.Key())
		p.HSet(ctx, s.k.member(st, user.Key()), "name", user.Name, "room", room.Key())
		p.HSetNX(ctx, s.k.member(st, user.Key()), "joined", ms(now))
		p.SAdd(ctx, s.k.members(st), user.Key())
		return nil
	})
	if err != nil {
		return err
	}
	return s.rdb.HSet(ctx, s.k.user(user.Key()), "station", st).Err()
}

// Household is one flat of the compound and the people bound to it.
type Household struct {
	Room    numerals.Room
	Members []string // user keys
}

// Households returns every household station st knows, by building.
func (s *Store) Households(ctx context.Context, st int64) ([]Household, error) {
	h, err := s.rdb.HGetAll(ctx, s.k.households(st)).Result()
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	cmds := make([]*redis.StringSliceCmd, len(keys))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.SMembers(ctx, s.k.household(st, k))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]Household, 0, len(keys))
	for i, k := range keys {
		room, err := numerals.ParseRoom(k)
		if err != nil {
			continue // written by us, so never malformed; skip rather than fail the roster
		}
		members := cmds[i].Val()
		slices.Sort(members)
		out = append(out, Household{Room: room, Members: members})
	}
	slices.SortFunc(out, func(a, b Household) int { return compareRooms(a.Room, b.Room) })
	return out, nil
}

// compareRooms orders rooms by building, unit and number, numerically where
// they are numbers, so 10幢 comes after 9幢.
func compareRooms(a, b numerals.Room) int {
	for _, pair := range [][2]string{{a.Building, b.Building}, {a.Unit, b.Unit}, {a.Number, b.Number}} {
		if c := compareNatural(pair[0], pair[1]); c != 0 {
			return c
		}
	}
	return 0
}

func compareNatural(a, b string) int {
	if len(a) != len(b) && isDigits(a) && isDigits(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// HouseholdMembers returns the user keys bound to room.
func (s *Store) HouseholdMembers(ctx context.Context, st int64, roomKey string) ([]string, error) {
	v, err := s.rdb.SMembers(ctx, s.k.household(st, roomKey)).Result()
	slices.Sort(v)
	return v, err
}

// SetRole gives user role r in station st; building is required for
// RoleLeader and adds to the buildings they lead.
func (s *Store) SetRole(ctx context.Context, st int64, user bot.User, r Role, building string) error {
	return s.withLease(ctx, s.k.lease(st, "member:"+user.Key()), func() error {
		m, err := s.Member(ctx, st, user)
		if err != nil {
			return err
		}
		if !slices.Contains(m.Roles, r) {
			m.Roles = append(m.Roles, r)
		}
		if r == RoleLeader && building != "" && !slices.Contains(m.Buildings, building) {
			m.Buildings = append(m.Buildings, building)
		}
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.k.member(st, user.Key()), "name", m.Name, "roles", joinRoles(m.Roles),
				"buildings", strings.Join(m.Buildings, ","))
			p.SAdd(ctx, s.k.members(st), user.Key())
			return nil
		})
		return err
	})
}

// RemoveRole takes role r away from user in station st.
func (s *Store) RemoveRole(ctx context.Context, st int64, user bot.User, r Role) error {
	return s.withLease(ctx, s.k.lease(st, "member:"+user.Key()), func() error {
		m, err := s.Member(ctx, st, user)
		if err != nil {
			return err
		}
		m.Roles = slices.DeleteFunc(m.Roles, func(x Role) bool { return x == r })
		if r == RoleLeader {
			m.Buildings = nil
		}
		return s.rdb.HSet(ctx, s.k.member(st, user.Key()), "roles", joinRoles(m.Roles),
			"buildings", strings.Join(m.Buildings, ",")).Err()
	})
}

// MembersWithRole returns the members of st holding r, sorted by user key.
func (s *Store) MembersWithRole(ctx context.Context, st int64, r Role) ([]*Member, error) {
	all, err := s.Members(ctx, st)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(m *Member) bool { return !m.Has(r) }), nil
}

// UserRecord is what is known about a person across stations.
type UserRecord struct {
	Station int64 // the station they last bound to, for private chats
	Locale  string
}

// User returns what is known about a person; unknown is an empty record.
func (s *Store) User(ctx context.Context, userKey string) (*UserRecord, error) {
	h, err := s.rdb.HGetAll(ctx, s.k.user(userKey)).Result()
	if err != nil {
		return nil, err
	}
	return &UserRecord{Station: atoi(h["station"]), Locale: h["locale"]}, nil
}

// SetUserStation records the station a person's private chat speaks for.
func (s *Store) SetUserStation(ctx context.Context, userKey string, st int64) error {
	return s.rdb.HSet(ctx, s.k.user(userKey), "station", st).Err()
}

// SetUserLocale sets one person's reply language ("" clears it).
func (s *Store) SetUserLocale(ctx context.Context, userKey, locale string) error {
	return s.rdb.HSet(ctx, s.k.user(userKey), "locale", locale).Err()
}

func joinRoles(rs []Role) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, ",")
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
