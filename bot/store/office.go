package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/redis/go-redis/v9"
)

// This file keeps the community (社区) and subdistrict (街道) office groups
// that take stations' escalations. An office group is the office's staff
// room: it lists what its stations handed up, takes the problems on,
// reports progress, resolves them or sends them back.
//
// Each station an office serves has a short prefix there (清川 for
// 清川佳园互助站), so the office names a problem 清川-12: station 清川's
// problem #12. What the office does to a problem is a step in the problem's
// own timeline, written in the station's transaction (ChangeIssue), which
// also moves the problem between the office's open and done lists of that
// station (escalations keys).

// OfficeState is where an escalated problem is at the office.
type OfficeState string

// Office states.
const (
	OfficePending  OfficeState = "pending"  // 待受理: handed up, nobody at the office took it on yet
	OfficeAccepted OfficeState = "accepted" // 办理中
	OfficeResolved OfficeState = "resolved" // 已办结 by the office
	OfficeReturned OfficeState = "returned" // 已退回 to the station
)

// IsOpen reports whether the office still has the problem to do.
func (s OfficeState) IsOpen() bool { return s == OfficePending || s == OfficeAccepted }

// AfterStep returns is as ChangeIssue writes it once a step of kind, taken
// at now, has changed it: a step function can set the clocks that follow
// from the step before the step is written, so that a step whose clocks
// cannot be set is not taken at all.
func (is Issue) AfterStep(kind IssueEventKind, now time.Time) *Issue {
	is.Updated = now
	stampIssue(&is, kind, now)
	return &is
}

// DefaultOfficeOverdueDays is how long an escalation may go without a step
// by the office before the office group is reminded, until the office sets
// its own (SetOfficeOverdueDays).
const DefaultOfficeOverdueDays = 3

// maxPrefixRunes bounds a station's prefix: past the name's first letters a
// number tells stations apart.
const maxPrefixRunes = 4

// Office is an office group and the stations it serves.
type Office struct {
	Chat string
	// Level is what the group was last linked as (社区 or 街道).
	Level OfficeLevel
	// Locale is the group's reply language, "" for the default.
	Locale string
	// OverdueDays is how long an escalation may wait for the office's next
	// step before the group is reminded.
	OverdueDays int
	// Stations are the stations that hand problems to this group, by id.
	Stations []OfficeStation
}

// OfficeStation is one station an office serves.
type OfficeStation struct {
	*Station
	// Prefix names the station's problems in the office group (清川-12).
	Prefix string
	// Levels are the levels at which the station hands problems to this
	// group: usually one.
	Levels []OfficeLevel
}

// Prefixes returns the stations' prefixes, in the order of Stations.
func (o *Office) Prefixes() []string {
	out := make([]string, len(o.Stations))
	for i, st := range o.Stations {
		out[i] = st.Prefix
	}
	return out
}

// ByPrefix returns the station the prefix names (ignoring case).
func (o *Office) ByPrefix(prefix string) (*OfficeStation, bool) {
	for i := range o.Stations {
		if strings.EqualFold(o.Stations[i].Prefix, prefix) {
			return &o.Stations[i], true
		}
	}
	return nil, false
}

// ByID returns the station with id, if the office serves it.
func (o *Office) ByID(id int64) (*OfficeStation, bool) {
	for i := range o.Stations {
		if o.Stations[i].ID == id {
			return &o.Stations[i], true
		}
	}
	return nil, false
}

// Serves reports whether a problem of st escalated to level came to this
// group.
func (os *OfficeStation) Serves(level OfficeLevel) bool { return slices.Contains(os.Levels, level) }

// ErrNotOffice is returned for a chat that is no office group.
var ErrNotOffice = fmt.Errorf("%w: not an office group", ErrNotFound)

// Office returns the office group chatKey with the stations it serves.
// Stations that moved their escalations to another group are left out; a
// station linked before prefixes existed gets one now.
func (s *Store) Office(ctx context.Context, chatKey string) (*Office, error) {
	o, missing, err := s.readOffice(ctx, chatKey)
	if err != nil || !missing {
		return o, err
	}
	err = s.withLease(ctx, s.k.chatLease(chatKey), func() error {
		return s.assignPrefixes(ctx, chatKey)
	})
	if err != nil {
		return nil, err
	}
	o, _, err = s.readOffice(ctx, chatKey)
	return o, err
}

// readOffice reads an office and reports whether a station it serves has no
// prefix yet.
func (s *Store) readOffice(ctx context.Context, chatKey string) (*Office, bool, error) {
	rec, err := s.Chat(ctx, chatKey)
	if err != nil {
		return nil, false, err
	}
	if rec.Office == "" {
		return nil, false, ErrNotOffice
	}
	info, err := s.rdb.HGetAll(ctx, s.k.officeInfo(chatKey)).Result()
	if err != nil {
		return nil, false, err
	}
	ids, err := s.OfficeStations(ctx, chatKey)
	if err != nil {
		return nil, false, err
	}
	o := &Office{Chat: chatKey, Level: rec.Office, Locale: rec.Locale, OverdueDays: DefaultOfficeOverdueDays}
	if d := atoi(info["overdue_days"]); d > 0 {
		o.OverdueDays = int(d)
	}
	missing := false
	for _, id := range ids {
		st, err := s.Station(ctx, id)
		if err != nil {
			return nil, false, err
		}
		os := OfficeStation{Station: st, Prefix: info[prefixField(id)]}
		for _, l := range []OfficeLevel{Community, Subdistrict} {
			if st.Offices[l] == chatKey {
				os.Levels = append(os.Levels, l)
			}
		}
		if len(os.Levels) == 0 {
			continue // it hands its problems to another group now
		}
		missing = missing || os.Prefix == ""
		o.Stations = append(o.Stations, os)
	}
	return o, missing, nil
}

func prefixField(st int64) string { return "s:" + strconv.FormatInt(st, 10) }

func prefixOwnerField(prefix string) string { return "p:" + strings.ToLower(prefix) }

// assignPrefixes gives every station of office chatKey without a prefix
// one, in the order they were created. The caller holds the chat's lease.
func (s *Store) assignPrefixes(ctx context.Context, chatKey string) error {
	info, err := s.rdb.HGetAll(ctx, s.k.officeInfo(chatKey)).Result()
	if err != nil {
		return err
	}
	ids, err := s.OfficeStations(ctx, chatKey)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if info[prefixField(id)] != "" {
			continue
		}
		st, err := s.Station(ctx, id)
		if err != nil {
			return err
		}
		prefix := StationPrefix(st.Name, func(p string) bool { return info[prefixOwnerField(p)] != "" })
		if err := s.indexOpenEscalations(ctx, id); err != nil {
			return err
		}
		info[prefixField(id)], info[prefixOwnerField(prefix)] = prefix, strconv.FormatInt(id, 10)
		if err := s.rdb.HSet(ctx, s.k.officeInfo(chatKey), prefixField(id), prefix, prefixOwnerField(prefix), id).Err(); err != nil {
			return err
		}
	}
	return nil
}

// maxOpenIndexed bounds how many open problems of a station
// indexOpenEscalations looks through.
const maxOpenIndexed = 10000

// indexOpenEscalations puts station st's open problems that were handed up
// before offices kept lists on their office's open list. It runs when the
// station gets its prefix, once: from then on ChangeIssue keeps the lists.
func (s *Store) indexOpenEscalations(ctx context.Context, st int64) error {
	// A bound, not -1: redka reads a negative stop as an empty range.
	open, err := s.rdb.ZRange(ctx, s.k.issuesOpen(st), 0, maxOpenIndexed-1).Result()
	if err != nil {
		return err
	}
	nums := make([]int64, len(open))
	for i, v := range open {
		nums[i] = atoi(v)
	}
	issues, err := s.issues(ctx, st, nums)
	if err != nil {
		return err
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, is := range issues {
			if is != nil && escalationPlace(is) == "open" {
				p.ZAdd(ctx, s.k.escalations(st, is.EscalatedTo, "open"), redis.Z{Score: float64(is.N), Member: is.N})
			}
		}
		return nil
	})
	return err
}

// StationPrefix is the short name a station's problems carry in an office
// group: the first two letters of its name (digits, spaces and punctuation
// skipped: 清川佳园互助站 → 清川); when another station of the office has
// them (taken, ignoring case), one letter more, up to four; then the two
// letters and a number from 2 (清川2). A name without letters gives 站.
func StationPrefix(name string, taken func(string) bool) string {
	var letters []rune
	for _, r := range name {
		if unicode.IsLetter(r) {
			letters = append(letters, r)
		}
	}
	if len(letters) == 0 {
		letters = []rune("站")
	}
	for n := min(2, len(letters)); n <= min(maxPrefixRunes, len(letters)); n++ {
		if p := string(letters[:n]); !taken(p) {
			return p
		}
	}
	base := string(letters[:min(2, len(letters))])
	for i := 2; ; i++ {
		if p := base + strconv.Itoa(i); !taken(p) {
			return p
		}
	}
}

// SetOfficeOverdueDays sets how long an escalation may wait for the office's
// next step before the office group is reminded.
func (s *Store) SetOfficeOverdueDays(ctx context.Context, chatKey string, days int) error {
	return s.rdb.HSet(ctx, s.k.officeInfo(chatKey), "overdue_days", days).Err()
}

// escalationPlace is which office list of its station a problem is on:
// "open" while it waits at the office, "done" once the office resolved it or
// sent it back (or the station closed it), "" when it was never handed up.
// A problem handed up before offices took steps has no office state and
// counts as waiting.
func escalationPlace(is *Issue) string {
	switch {
	case is.EscalatedTo == "":
		return ""
	case is.Status == IssueEscalated && (is.Office == "" || is.Office.IsOpen()):
		return "open"
	}
	return "done"
}

// reindexEscalation queues, in p, moving a problem that changed from before
// to after between its station's office lists.
func (s *Store) reindexEscalation(ctx context.Context, p redis.Pipeliner, before, after *Issue) {
	was, is := escalationPlace(before), escalationPlace(after)
	if was == is && before.EscalatedTo == after.EscalatedTo {
		return
	}
	st, n := after.Station, after.N
	if was != "" {
		p.ZRem(ctx, s.k.escalations(st, before.EscalatedTo, was), n)
	}
	if is != "" {
		p.ZAdd(ctx, s.k.escalations(st, after.EscalatedTo, is), redis.Z{Score: float64(n), Member: n})
	}
}

// Escalations returns up to limit problems station st handed to its office
// at levels, newest first, with how many there are: those the office still
// has (FilterOpen), those it is done with (FilterClosed), or both
// (FilterAll).
func (s *Store) Escalations(ctx context.Context, st int64, levels []OfficeLevel, f IssueFilter, limit int) ([]*Issue, int64, error) {
	var places []string
	switch f {
	case FilterOpen:
		places = []string{"open"}
	case FilterClosed:
		places = []string{"done"}
	default:
		places = []string{"open", "done"}
	}
	var sets []string
	for _, l := range levels {
		for _, pl := range places {
			sets = append(sets, s.k.escalations(st, l, pl))
		}
	}
	return s.newestIn(ctx, st, sets, 0, limit)
}

// OfficeFigures are what one station handed to an office, for its figures.
type OfficeFigures struct {
	// Open is how many of its problems the office has to do now.
	Open int64
	// Solved is how many problems count in the station's 办结 of the month
	// whose last resolution was the office's.
	Solved int64
}

// OfficeFigures returns station st's figures with its office at levels for
// the month containing t, in one round trip.
func (s *Store) OfficeFigures(ctx context.Context, st int64, levels []OfficeLevel, t time.Time) (OfficeFigures, error) {
	month := statMonth(t)
	var open, solved []*redis.IntCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, l := range levels {
			open = append(open, p.ZCard(ctx, s.k.escalations(st, l, "open")))
			solved = append(solved, p.SCard(ctx, s.k.monthOfficeSolved(st, month, l)))
		}
		return nil
	}); err != nil {
		return OfficeFigures{}, err
	}
	var f OfficeFigures
	for i := range levels {
		f.Open += open[i].Val()
		f.Solved += solved[i].Val()
	}
	return f, nil
}
