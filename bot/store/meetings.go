package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
)

// Meeting is a deliberation meeting (议事会) or event the head called.
type Meeting struct {
	Station   int64
	N         int64
	At        time.Time
	Place     string
	Topic     string
	By        string
	ByName    string
	Created   time.Time
	Cancelled bool
	// About is the problem the meeting was called about, 0 for none.
	About int64
	// Held is set once the meeting's time has passed (HoldMeeting).
	Held bool
}

// CreateMeeting records a meeting and returns it with its number.
func (s *Store) CreateMeeting(ctx context.Context, st int64, in Meeting, now time.Time) (*Meeting, error) {
	in.Station, in.Created = st, now
	n, existed, err := s.numbered(ctx, st, "meeting", s.k.meetingSeq(st), func(p redis.Pipeliner, n int64) {
		in.N = n
		p.HSet(ctx, s.k.meeting(st, n), "n", n, "at", ms(in.At), "place", in.Place, "topic", in.Topic,
			"by", in.By, "by_name", in.ByName, "created", ms(now), "cancelled", 0, "about", in.About, "held", 0)
		p.ZAdd(ctx, s.k.meetings(st), redis.Z{Score: float64(ms(in.At)), Member: n})
		s.linkToIssue(ctx, p, st, in.About, Link{LinkMeeting, n}, in.By, in.ByName, now)
	})
	switch {
	case err != nil:
		return nil, err
	case existed:
		return s.Meeting(ctx, st, n)
	}
	return &in, nil
}

// Meeting returns meeting n.
func (s *Store) Meeting(ctx context.Context, st, n int64) (*Meeting, error) {
	h, err := s.record(ctx, s.k.meeting(st, n), fmt.Sprintf("meeting %d", n))
	if err != nil {
		return nil, err
	}
	return meetingFromHash(st, h), nil
}

func meetingFromHash(st int64, h map[string]string) *Meeting {
	return &Meeting{Station: st, N: atoi(h["n"]), At: fromMS(h["at"]), Place: h["place"], Topic: h["topic"],
		By: h["by"], ByName: h["by_name"], Created: fromMS(h["created"]), Cancelled: h["cancelled"] == "1",
		About: atoi(h["about"]), Held: h["held"] == "1"}
}

// UpcomingMeetings returns the meetings that start after now and are not
// cancelled, soonest first.
func (s *Store) UpcomingMeetings(ctx context.Context, st int64, now time.Time) ([]*Meeting, error) {
	nums, err := s.rdb.ZRangeByScore(ctx, s.k.meetings(st), &redis.ZRangeBy{
		Min: strconv.FormatInt(ms(now), 10), Max: "+inf", Count: maxListed,
	}).Result()
	if err != nil {
		return nil, err
	}
	all, err := records(ctx, s, nums, func(n string) string { return s.k.meeting(st, atoi(n)) },
		func(_ string, h map[string]string) *Meeting { return meetingFromHash(st, h) })
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(m *Meeting) bool { return m.Cancelled }), nil
}

// CancelMeeting marks meeting n cancelled.
func (s *Store) CancelMeeting(ctx context.Context, st, n int64) error {
	return s.rdb.HSet(ctx, s.k.meeting(st, n), "cancelled", 1).Err()
}

// RSVP records whether user comes to meeting n, answered at now; answering
// again replaces the earlier answer.
func (s *Store) RSVP(ctx context.Context, st, n int64, user bot.User, coming bool, now time.Time) error {
	answer := "no"
	if coming {
		answer = "yes"
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.k.meetingRSVP(st, n), user.Key(), answer+"|"+user.Name)
		s.countPeople(ctx, p, st, now, user.Key())
		return nil
	})
	return err
}

// Attendance is who answered a meeting notice.
type Attendance struct {
	Coming, NotComing []string // display names, sorted
}

// Attendance returns the answers to meeting n.
func (s *Store) Attendance(ctx context.Context, st, n int64) (Attendance, error) {
	h, err := s.rdb.HGetAll(ctx, s.k.meetingRSVP(st, n)).Result()
	if err != nil {
		return Attendance{}, err
	}
	var a Attendance
	for _, v := range h {
		answer, name, _ := strings.Cut(v, "|")
		if answer == "yes" {
			a.Coming = append(a.Coming, name)
		} else {
			a.NotComing = append(a.NotComing, name)
		}
	}
	slices.Sort(a.Coming)
	slices.Sort(a.NotComing)
	return a, nil
}

// AnyComing reports whether any of userKeys said they come to meeting n
// (a household's calendar holds the meetings one of its members will
// attend).
func (s *Store) AnyComing(ctx context.Context, st, n int64, userKeys []string) (bool, error) {
	if len(userKeys) == 0 {
		return false, nil
	}
	vals, err := s.rdb.HMGet(ctx, s.k.meetingRSVP(st, n), userKeys...).Result()
	if err != nil {
		return false, err
	}
	for _, v := range vals {
		if s, ok := v.(string); ok && strings.HasPrefix(s, "yes|") {
			return true, nil
		}
	}
	return false, nil
}
