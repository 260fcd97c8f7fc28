package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
)

// Shift is a team's recurring duty slot (班次), such as 每天 06:00-08:00 at
// 1号垃圾点 for one volunteer. Each day it falls on is an occurrence, named
// by the slot's number and the Shanghai date of its start ("20261126"):
// volunteers sign up for occurrences, not for the slot as a whole.
type Shift struct {
	Station int64
	N       int64
	Team    int64
	// Spec is the 5-field cron spec of the start, run in Shanghai; it fires
	// at most once a day (calendar.ParseSlot makes such specs).
	Spec     string
	Duration time.Duration
	Place    string
	// Places is how many volunteers the slot needs; more go on a waitlist.
	Places  int
	By      string
	ByName  string
	Created time.Time
	Removed bool
	// About is the problem the shift was set up for, 0 for none.
	About int64
	// MinutesServed adds up the minutes volunteers were credited on it.
	MinutesServed int64
}

// MaxShiftDuration bounds a slot: longer ones are refused as a mistake (an
// end typed before the start reads as crossing midnight).
const MaxShiftDuration = 12 * time.Hour

// StartOn returns the start of the slot's occurrence on day (a date in
// Shanghai), and false when the slot does not fall on that day.
func (sh *Shift) StartOn(day time.Time) (time.Time, bool) {
	d := day.In(calendar.Shanghai)
	midnight := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, calendar.Shanghai)
	next, err := calendar.NextFire(sh.Spec, midnight.Add(-time.Second))
	if err != nil || DayKey(next) != DayKey(midnight) {
		return time.Time{}, false
	}
	return next, true
}

// Next returns the start of the first occurrence after t.
func (sh *Shift) Next(t time.Time) (time.Time, bool) {
	next, err := calendar.NextFire(sh.Spec, t)
	return next, err == nil
}

// DayKey names the Shanghai date of t as an occurrence's day: "20261126".
func DayKey(t time.Time) string { return t.In(calendar.Shanghai).Format("20060102") }

// ParseDayKey reads a DayKey back as midnight of that day in Shanghai.
func ParseDayKey(day string) (time.Time, error) {
	return time.ParseInLocation("20060102", day, calendar.Shanghai)
}

// OccurrenceRef names one occurrence of a slot and when it starts.
type OccurrenceRef struct {
	N     int64
	Day   string
	Start time.Time
}

// ShiftEntry is a volunteer holding, or waiting for, a place on an
// occurrence.
type ShiftEntry struct {
	UserKey string    `json:"-"`
	Name    string    `json:"name"`
	Chat    string    `json:"chat,omitempty"` // the group they signed up in, "" for a private chat
	At      time.Time `json:"-"`              // when they signed up
	AtMS    int64     `json:"at"`
	// Seq orders the sign-ups of one occurrence, and so its waitlist; a
	// promoted volunteer keeps theirs.
	Seq int64 `json:"seq"`
}

// ShiftCheckIn is a volunteer's attendance on an occurrence.
type ShiftCheckIn struct {
	AtMS    int64 `json:"at"`
	Late    bool  `json:"late,omitempty"`
	Minutes int   `json:"min"` // credited towards their hours
}

// Occurrence is who is on one occurrence of a slot.
type Occurrence struct {
	N   int64
	Day string
	// On hold the places, Waiting the waitlist, both in sign-up order.
	On      []ShiftEntry
	Waiting []ShiftEntry
	In      map[string]ShiftCheckIn // by user key
	Absent  []string                // user keys recorded absent
	Closed  bool                    // the shift ended and absences were recorded
}

// Holds reports whether userKey holds a place.
func (o *Occurrence) Holds(userKey string) bool {
	return slices.ContainsFunc(o.On, func(e ShiftEntry) bool { return e.UserKey == userKey })
}

// WaitPosition returns userKey's place on the waitlist, from 1, or 0.
func (o *Occurrence) WaitPosition(userKey string) int {
	return slices.IndexFunc(o.Waiting, func(e ShiftEntry) bool { return e.UserKey == userKey }) + 1
}

// lastSeq is the highest sign-up sequence number on o.
func (o *Occurrence) lastSeq() int64 {
	var n int64
	for _, e := range slices.Concat(o.On, o.Waiting) {
		n = max(n, e.Seq)
	}
	return n
}

// Hash fields of an occurrence record.
const (
	occOn     = "on:"
	occWait   = "wait:"
	occIn     = "in:"
	occAbsent = "absent:"
	occClosed = "closed"
)

func occurrenceFromHash(n int64, day string, h map[string]string) *Occurrence {
	o := &Occurrence{N: n, Day: day, In: map[string]ShiftCheckIn{}}
	for f, v := range h {
		switch {
		case strings.HasPrefix(f, occOn), strings.HasPrefix(f, occWait):
			var e ShiftEntry
			if json.Unmarshal([]byte(v), &e) != nil {
				continue
			}
			kind, key, _ := strings.Cut(f, ":")
			e.UserKey, e.At = key, time.UnixMilli(e.AtMS)
			if kind+":" == occOn {
				o.On = append(o.On, e)
			} else {
				o.Waiting = append(o.Waiting, e)
			}
		case strings.HasPrefix(f, occIn):
			var c ShiftCheckIn
			if json.Unmarshal([]byte(v), &c) == nil {
				o.In[f[len(occIn):]] = c
			}
		case strings.HasPrefix(f, occAbsent):
			o.Absent = append(o.Absent, f[len(occAbsent):])
		case f == occClosed:
			o.Closed = true
		}
	}
	byTime := func(a, b ShiftEntry) int {
		return cmp.Or(cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.AtMS, b.AtMS), strings.Compare(a.UserKey, b.UserKey))
	}
	slices.SortFunc(o.On, byTime)
	slices.SortFunc(o.Waiting, byTime)
	slices.Sort(o.Absent)
	return o
}

func entryValue(e ShiftEntry) string {
	b, _ := json.Marshal(e) // strings and an int: cannot fail
	return string(b)
}

// Errors of sign-ups, cancellations and check-ins. Each is wrapped with the
// occurrence it concerns.
var (
	// ErrNoOccurrence: the slot does not fall on that day.
	ErrNoOccurrence = fmt.Errorf("%w: the shift does not fall on that day", ErrNotFound)
	// ErrShiftStarted: the occurrence has started or is over.
	ErrShiftStarted = fmt.Errorf("%w: the shift has started", ErrConflict)
	// ErrShiftOver: the occurrence has ended.
	ErrShiftOver = fmt.Errorf("%w: the shift is over", ErrConflict)
	// ErrAlreadySignedUp: the volunteer holds or waits for a place already.
	ErrAlreadySignedUp = fmt.Errorf("%w: already signed up", ErrConflict)
	// ErrNotSignedUp: the volunteer neither holds nor waits for a place.
	ErrNotSignedUp = fmt.Errorf("%w: not signed up", ErrNotFound)
	// ErrOnWaitlist: the volunteer is only waiting, so cannot check in.
	ErrOnWaitlist = fmt.Errorf("%w: on the waitlist", ErrConflict)
	// ErrAlreadyCheckedIn: the volunteer checked in already.
	ErrAlreadyCheckedIn = fmt.Errorf("%w: already checked in", ErrConflict)
	// ErrShiftChanged: the slot a sign-up was worked out with is not the
	// slot as it is now (see SignupAlso.Shift).
	ErrShiftChanged = fmt.Errorf("%w: the shift changed", ErrConflict)
	// ErrNotInTeam: the volunteer is not in the slot's team.
	ErrNotInTeam = fmt.Errorf("%w: not in the team", ErrConflict)
)

// OverlapError is returned by Signup when the volunteer holds or waits for
// another occurrence at an overlapping time.
type OverlapError struct {
	With     OccurrenceRef
	Duration time.Duration
}

func (e *OverlapError) Error() string {
	return fmt.Sprintf("overlaps shift %d on %s", e.With.N, e.With.Day)
}

// Unwrap lets errors.Is(err, ErrConflict) hold.
func (e *OverlapError) Unwrap() error { return ErrConflict }

// CreateShift records a new slot and returns it with its number.
func (s *Store) CreateShift(ctx context.Context, st int64, in Shift, now time.Time) (*Shift, error) {
	n, err := s.rdb.Incr(ctx, s.k.shiftSeq(st)).Result()
	if err != nil {
		return nil, err
	}
	in.Station, in.N, in.Created, in.Removed = st, n, now, false
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.k.shift(st, n), "n", n, "team", in.Team, "spec", in.Spec, "dur_min", int64(in.Duration/time.Minute),
			"place", in.Place, "places", in.Places, "by", in.By, "by_name", in.ByName, "created", ms(now), "removed", 0,
			"about", in.About)
		p.ZAdd(ctx, s.k.shiftsActive(st), redis.Z{Score: float64(n), Member: n})
		s.linkToIssue(ctx, p, st, in.About, Link{LinkShift, n}, in.By, in.ByName, now)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &in, nil
}

// Shift returns slot n, removed or not.
func (s *Store) Shift(ctx context.Context, st, n int64) (*Shift, error) {
	h, err := s.record(ctx, s.k.shift(st, n), fmt.Sprintf("shift %d", n))
	if err != nil {
		return nil, err
	}
	sh := shiftFromHash(st, h)
	s.shifts.set(shiftGuessKey(st, n), sh)
	return sh, nil
}

func shiftFromHash(st int64, h map[string]string) *Shift {
	return &Shift{Station: st, N: atoi(h["n"]), Team: atoi(h["team"]), Spec: h["spec"],
		Duration: time.Duration(atoi(h["dur_min"])) * time.Minute, Place: h["place"], Places: int(atoi(h["places"])),
		By: h["by"], ByName: h["by_name"], Created: fromMS(h["created"]), Removed: h["removed"] == "1",
		About: atoi(h["about"]), MinutesServed: atoi(h["served_min"])}
}

// Shifts returns the slots of station st that are not removed, by number.
func (s *Store) Shifts(ctx context.Context, st int64) ([]*Shift, error) {
	nums, err := s.rdb.ZRange(ctx, s.k.shiftsActive(st), 0, maxShiftsListed-1).Result()
	if err != nil {
		return nil, err
	}
	all, err := records(ctx, s, nums, func(n string) string { return s.k.shift(st, atoi(n)) },
		func(_ string, h map[string]string) *Shift { return shiftFromHash(st, h) })
	if err != nil {
		return nil, err
	}
	out := make([]*Shift, 0, len(all))
	for _, sh := range all {
		if !sh.Removed {
			out = append(out, sh)
		}
	}
	return out, nil
}

// maxShiftsListed bounds the slots read in one go: 22 stairwells with two
// slots a day is 44.
const maxShiftsListed = 500

// Occurrence returns who is on occurrence day of slot n; an occurrence
// nobody signed up for is empty, not an error.
func (s *Store) Occurrence(ctx context.Context, st, n int64, day string) (*Occurrence, error) {
	h, err := s.rdb.HGetAll(ctx, s.k.shiftOcc(st, n, day)).Result()
	if err != nil {
		return nil, err
	}
	return occurrenceFromHash(n, day, h), nil
}

// Occurrences reads several occurrences in one round trip, in the order of
// refs.
func (s *Store) Occurrences(ctx context.Context, st int64, refs []OccurrenceRef) ([]*Occurrence, error) {
	cmds := make([]*redis.MapStringStringCmd, len(refs))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, r := range refs {
			cmds[i] = p.HGetAll(ctx, s.k.shiftOcc(st, r.N, r.Day))
		}
		return nil
	})
	if err != nil && len(refs) > 0 {
		return nil, err
	}
	out := make([]*Occurrence, len(refs))
	for i, c := range cmds {
		out[i] = occurrenceFromHash(refs[i].N, refs[i].Day, c.Val())
	}
	return out, nil
}

// VolunteerShifts returns the occurrences userKey holds or waits for that
// start from from to to (both included), soonest first.
func (s *Store) VolunteerShifts(ctx context.Context, st int64, userKey string, from, to time.Time) ([]OccurrenceRef, error) {
	zs, err := s.rdb.ZRangeByScoreWithScores(ctx, s.k.shiftsOf(st, userKey), volunteerRange(from, to)).Result()
	if err != nil {
		return nil, err
	}
	return occurrenceRefs(zs), nil
}

// queueVolunteerShifts queues the read of VolunteerShifts in p.
func (s *Store) queueVolunteerShifts(ctx context.Context, p redis.Pipeliner, st int64, userKey string, from, to time.Time) *redis.ZSliceCmd {
	return p.ZRangeByScoreWithScores(ctx, s.k.shiftsOf(st, userKey), volunteerRange(from, to))
}

func volunteerRange(from, to time.Time) *redis.ZRangeBy {
	return &redis.ZRangeBy{Min: strconv.FormatInt(ms(from), 10), Max: strconv.FormatInt(ms(to), 10), Count: maxShiftsListed}
}

// occurrenceRefs reads the entries of a volunteer's shifts.
func occurrenceRefs(zs []redis.Z) []OccurrenceRef {
	out := make([]OccurrenceRef, 0, len(zs))
	for _, z := range zs {
		m, _ := z.Member.(string)
		n, day, ok := strings.Cut(m, ":")
		if !ok {
			continue
		}
		out = append(out, OccurrenceRef{N: atoi(n), Day: day, Start: time.UnixMilli(int64(z.Score)).In(calendar.Shanghai)})
	}
	return out
}

// WithShiftDay runs fn holding the lease on one day of station st's rota
// (see WithShiftDayRota).
func (s *Store) WithShiftDay(ctx context.Context, st int64, day string, fn func() error) error {
	return s.withLease(ctx, s.k.lease(st, "shiftday:"+day), fn)
}

// WithShiftDayRota runs fn holding the lease on one day of station st's
// rota, so that two instances bringing the reminders of that day up to date
// (one after a sign-up, one after a cancellation) do not undo each other.
// It hands fn the station's active slots and who is on each of their
// occurrences on day, read under the lease: the lease and the list of slots
// are one round trip, the slots and the occurrences another.
func (s *Store) WithShiftDayRota(ctx context.Context, st int64, day string, fn func([]*Shift, map[int64]*Occurrence) error) error {
	var nums *redis.StringSliceCmd
	read := func(p redis.Pipeliner) { nums = p.ZRange(ctx, s.k.shiftsActive(st), 0, maxShiftsListed-1) }
	return s.withLeaseRead(ctx, []string{s.k.lease(st, "shiftday:"+day)}, read, func(*lease) error {
		if err := nums.Err(); err != nil {
			return err
		}
		shiftCmds := make([]*redis.MapStringStringCmd, len(nums.Val()))
		occCmds := make([]*redis.MapStringStringCmd, len(nums.Val()))
		if len(shiftCmds) > 0 {
			if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i, n := range nums.Val() {
					shiftCmds[i] = p.HGetAll(ctx, s.k.shift(st, atoi(n)))
					occCmds[i] = p.HGetAll(ctx, s.k.shiftOcc(st, atoi(n), day))
				}
				return nil
			}); err != nil {
				return err
			}
		}
		var shifts []*Shift
		occs := map[int64]*Occurrence{}
		for i := range shiftCmds {
			if len(shiftCmds[i].Val()) == 0 {
				continue
			}
			sh := shiftFromHash(st, shiftCmds[i].Val())
			if sh.Removed {
				continue
			}
			shifts = append(shifts, sh)
			occs[sh.N] = occurrenceFromHash(sh.N, day, occCmds[i].Val())
		}
		return fn(shifts, occs)
	})
}

func volunteerMember(n int64, day string) string { return strconv.FormatInt(n, 10) + ":" + day }

func (s *Store) shiftLease(st, n int64) string {
	return s.k.lease(st, "shift:"+strconv.FormatInt(n, 10))
}

func (s *Store) volunteerLease(st int64, userKey string) string {
	return s.k.lease(st, "volunteer:"+userKey)
}

// liveShift returns slot n; a removed one is ErrNotFound.
func (s *Store) liveShift(ctx context.Context, st, n int64) (*Shift, error) {
	sh, err := s.Shift(ctx, st, n)
	if err != nil {
		return nil, err
	}
	if sh.Removed {
		return nil, fmt.Errorf("%w: shift %d", ErrNotFound, n)
	}
	return sh, nil
}

// activeShift reads slot n for a change to one of its occurrences on day:
// it must exist, not be removed, and fall on day.
func (s *Store) activeShift(ctx context.Context, st, n int64, day string) (*Shift, time.Time, error) {
	sh, err := s.liveShift(ctx, st, n)
	if err != nil {
		return nil, time.Time{}, err
	}
	d, err := ParseDayKey(day)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: shift %d on %q", ErrNoOccurrence, n, day)
	}
	start, ok := sh.StartOn(d)
	if !ok {
		return nil, time.Time{}, fmt.Errorf("%w: shift %d on %s", ErrNoOccurrence, n, day)
	}
	return sh, start, nil
}

// SignupResult is where a sign-up put the volunteer.
type SignupResult struct {
	Shift *Shift
	Start time.Time
	// Waiting is true when every place was taken: the volunteer is on the
	// waitlist at Position (from 1).
	Waiting  bool
	Position int
	// Taken is how many places are held, the volunteer's included.
	Taken int
}

// Signup gives user a place on occurrence day of slot n, or a place on its
// waitlist when every place is taken. It refuses an occurrence that has
// started, one the volunteer is already on, and one that overlaps another
// occurrence they hold or wait for (an *OverlapError). The volunteer's
// lease keeps two sign-ups of one person from both passing the overlap
// check; the slot's lease makes the count and the write one step, so the
// places are never overbooked whatever the number of instances. Both
// leases, the slot, the occurrence and the volunteer's shifts around that
// day are one round trip; the sign-up and the leases' release another.
func (s *Store) Signup(ctx context.Context, st, n int64, day string, user bot.User, chat string, now time.Time) (*SignupResult, error) {
	return s.SignupWith(ctx, st, n, day, user, chat, now, SignupAlso{})
}

// SignupAlso is what a sign-up checks, reads and does besides (SignupWith),
// all in the round trip of its leases and reads.
type SignupAlso struct {
	// Shift, when given, is the slot as the caller worked the sign-up out
	// with (GuessShift): when the slot read under the lease is not the
	// same, nothing is done and the sign-up fails with ErrShiftChanged.
	Shift *Shift
	// InTeam refuses, with ErrNotInTeam, a volunteer not in the slot's
	// team (the team of Shift).
	InTeam bool
	// DayLease takes the lease on the day of the station's rota as well
	// (WithShiftDay): First runs holding it.
	DayLease bool
	// Read queues more reads in the round trip of the leases.
	Read func(context.Context, redis.Pipeliner)
	// First runs under the leases when the sign-up takes the
	// occurrence's first place, before the sign-up is written: an error
	// leaves everything as it was.
	First func(context.Context, *SignupResult) error
}

// GuessShift returns slot n of station st as this process last read it, or
// nil: for a sign-up worked out before the slot is read again, under its
// lease (SignupAlso.Shift).
func (s *Store) GuessShift(st, n int64) *Shift {
	return s.shifts.get(shiftGuessKey(st, n))
}

func shiftGuessKey(st, n int64) string {
	return strconv.FormatInt(st, 10) + ":" + strconv.FormatInt(n, 10)
}

// SignupWith is Signup with also's checks, reads and first-place step.
func (s *Store) SignupWith(ctx context.Context, st, n int64, day string, user bot.User, chat string, now time.Time, also SignupAlso) (*SignupResult, error) {
	var res *SignupResult
	d, err := ParseDayKey(day)
	if err != nil {
		return nil, fmt.Errorf("%w: shift %d on %q", ErrNoOccurrence, n, day)
	}
	var shiftCmd, occCmd *redis.MapStringStringCmd
	var mineCmd *redis.ZSliceCmd
	var inTeam *redis.BoolCmd
	read := func(p redis.Pipeliner) {
		shiftCmd = p.HGetAll(ctx, s.k.shift(st, n))
		if also.InTeam && also.Shift != nil {
			inTeam = p.HExists(ctx, s.k.teamMembers(st, also.Shift.Team), user.Key())
		}
		if also.Read != nil {
			also.Read(ctx, p)
		}
		occCmd = p.HGetAll(ctx, s.k.shiftOcc(st, n, day))
		// Whatever of the volunteer's could overlap an occurrence that
		// day: those starting from a longest shift before its midnight
		// to a longest shift after the next.
		mineCmd = s.queueVolunteerShifts(ctx, p, st, user.Key(), d.Add(-MaxShiftDuration), d.AddDate(0, 0, 1).Add(MaxShiftDuration))
	}
	keys := []string{s.volunteerLease(st, user.Key()), s.shiftLease(st, n)}
	if also.DayLease {
		keys = append(keys, s.k.lease(st, "shiftday:"+day))
	}
	err = s.withLeaseRead(ctx, keys, read, func(l *lease) error {
		for _, c := range []redis.Cmder{shiftCmd, occCmd, mineCmd} {
			if err := c.Err(); err != nil {
				return err
			}
		}
		if len(shiftCmd.Val()) == 0 {
			return fmt.Errorf("%w: shift %d", ErrNotFound, n)
		}
		sh := shiftFromHash(st, shiftCmd.Val())
		s.shifts.set(shiftGuessKey(st, n), sh)
		if also.Shift != nil && !reflect.DeepEqual(sh, also.Shift) {
			return fmt.Errorf("%w: shift %d", ErrShiftChanged, n)
		}
		if sh.Removed {
			return fmt.Errorf("%w: shift %d", ErrNotFound, n)
		}
		if inTeam != nil {
			switch in, err := inTeam.Result(); {
			case err != nil:
				return err // a failed read is not a "not in the team"
			case !in:
				return fmt.Errorf("%w: shift %d", ErrNotInTeam, n)
			}
		}
		start, ok := sh.StartOn(d)
		if !ok {
			return fmt.Errorf("%w: shift %d on %s", ErrNoOccurrence, n, day)
		}
		if !start.After(now) {
			return fmt.Errorf("%w: shift %d on %s", ErrShiftStarted, n, day)
		}
		var mine []OccurrenceRef
		for _, r := range occurrenceRefs(mineCmd.Val()) {
			if !r.Start.Before(start.Add(-MaxShiftDuration)) && r.Start.Before(start.Add(sh.Duration)) {
				mine = append(mine, r)
			}
		}
		if err := s.checkOverlap(ctx, st, mine, n, day, start, start.Add(sh.Duration)); err != nil {
			return err
		}
		o := occurrenceFromHash(n, day, occCmd.Val())
		if o.Closed {
			return fmt.Errorf("%w: shift %d on %s", ErrShiftStarted, n, day)
		}
		if o.Holds(user.Key()) || o.WaitPosition(user.Key()) > 0 {
			return fmt.Errorf("%w: shift %d on %s", ErrAlreadySignedUp, n, day)
		}
		res = &SignupResult{Shift: sh, Start: start, Taken: len(o.On)}
		field := occOn + user.Key()
		if len(o.On) >= sh.Places {
			res.Waiting, res.Position = true, len(o.Waiting)+1
			field = occWait + user.Key()
		} else {
			res.Taken++
		}
		if res.Taken == 1 && !res.Waiting && also.First != nil {
			if err := also.First(ctx, res); err != nil {
				return err
			}
		}
		e := ShiftEntry{Name: user.Name, Chat: chat, AtMS: ms(now), Seq: o.lastSeq() + 1}
		return s.writeLast(ctx, "", l, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.k.shiftOcc(st, n, day), field, entryValue(e))
			p.ZAdd(ctx, s.k.shiftOccs(st, n), redis.Z{Score: float64(ms(start)), Member: day})
			p.ZAdd(ctx, s.k.shiftsOf(st, user.Key()), redis.Z{Score: float64(ms(start)), Member: volunteerMember(n, day)})
			s.countPeople(ctx, p, st, now, user.Key())
			l.giveUpIn(ctx, p)
			return nil
		})
	})
	return res, err
}

// checkOverlap fails with an *OverlapError when one of mine, the
// occurrences the volunteer holds or waits for that start from a longest
// shift before start to end, other than n on day, overlaps [start, end);
// with ErrAlreadySignedUp when they are on n on day itself.
func (s *Store) checkOverlap(ctx context.Context, st int64, mine []OccurrenceRef, n int64, day string, start, end time.Time) error {
	shifts := map[int64]*Shift{}
	for _, r := range mine {
		if r.N == n && r.Day == day {
			return fmt.Errorf("%w: shift %d on %s", ErrAlreadySignedUp, n, day)
		}
		other, ok := shifts[r.N]
		if !ok {
			var err error
			if other, err = s.Shift(ctx, st, r.N); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			shifts[r.N] = other
		}
		if other == nil || other.Removed {
			continue
		}
		if r.Start.Before(end) && start.Before(r.Start.Add(other.Duration)) {
			return &OverlapError{With: r, Duration: other.Duration}
		}
	}
	return nil
}

// CancelResult is what a cancellation changed.
type CancelResult struct {
	Shift *Shift
	Start time.Time
	// WasWaiting is true when the volunteer only left the waitlist.
	WasWaiting bool
	// Promoted is the first waiting volunteer, who now holds the freed
	// place; nil when nobody was waiting.
	Promoted *ShiftEntry
	// Taken is how many places are held afterwards.
	Taken int
}

// CancelSignup frees userKey's place (or waitlist place) on occurrence day
// of slot n, before it starts. A freed place goes to the first volunteer on
// the waitlist in the same transaction.
func (s *Store) CancelSignup(ctx context.Context, st, n int64, day, userKey string, now time.Time) (*CancelResult, error) {
	var res *CancelResult
	err := s.withLease(ctx, s.volunteerLease(st, userKey), func() error {
		return s.withLease(ctx, s.shiftLease(st, n), func() error {
			sh, start, err := s.activeShift(ctx, st, n, day)
			if err != nil {
				return err
			}
			o, err := s.Occurrence(ctx, st, n, day)
			if err != nil {
				return err
			}
			holds, waits := o.Holds(userKey), o.WaitPosition(userKey) > 0
			if !holds && !waits {
				return fmt.Errorf("%w: shift %d on %s", ErrNotSignedUp, n, day)
			}
			if !start.After(now) {
				return fmt.Errorf("%w: shift %d on %s", ErrShiftStarted, n, day)
			}
			res = &CancelResult{Shift: sh, Start: start, WasWaiting: waits, Taken: len(o.On)}
			if holds {
				res.Taken--
				if len(o.Waiting) > 0 && res.Taken < sh.Places {
					first := o.Waiting[0]
					res.Promoted = &first
					res.Taken++
				}
			}
			occ := s.k.shiftOcc(st, n, day)
			_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
				if holds {
					p.HDel(ctx, occ, occOn+userKey)
				} else {
					p.HDel(ctx, occ, occWait+userKey)
				}
				p.ZRem(ctx, s.k.shiftsOf(st, userKey), volunteerMember(n, day))
				if pr := res.Promoted; pr != nil {
					p.HDel(ctx, occ, occWait+pr.UserKey)
					p.HSet(ctx, occ, occOn+pr.UserKey, entryValue(*pr))
				}
				return nil
			})
			return err
		})
	})
	return res, err
}

// CheckIn records that user came to occurrence day of slot n at now, late
// when after the start plus grace, and credits them the minutes from then
// (or the start, if earlier) to the end, in the month the shift started.
func (s *Store) CheckIn(ctx context.Context, st, n int64, day string, user bot.User, now time.Time, grace time.Duration) (*ShiftCheckIn, error) {
	var res *ShiftCheckIn
	err := s.withLease(ctx, s.shiftLease(st, n), func() error {
		sh, start, err := s.activeShift(ctx, st, n, day)
		if err != nil {
			return err
		}
		end := start.Add(sh.Duration)
		o, err := s.Occurrence(ctx, st, n, day)
		if err != nil {
			return err
		}
		switch {
		case o.Closed || !now.Before(end):
			return fmt.Errorf("%w: shift %d on %s", ErrShiftOver, n, day)
		case o.WaitPosition(user.Key()) > 0:
			return fmt.Errorf("%w: shift %d on %s", ErrOnWaitlist, n, day)
		case !o.Holds(user.Key()):
			return fmt.Errorf("%w: shift %d on %s", ErrNotSignedUp, n, day)
		}
		if _, ok := o.In[user.Key()]; ok {
			return fmt.Errorf("%w: shift %d on %s", ErrAlreadyCheckedIn, n, day)
		}
		from := start
		if now.After(start) {
			from = now
		}
		res = &ShiftCheckIn{AtMS: ms(now), Late: now.After(start.Add(grace)), Minutes: int(end.Sub(from) / time.Minute)}
		b, _ := json.Marshal(res)
		hours := s.k.teamHours(st, sh.Team, statMonth(start))
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.k.shiftOcc(st, n, day), occIn+user.Key(), string(b))
			p.HIncrBy(ctx, hours, "min:"+user.Key(), int64(res.Minutes))
			p.HIncrBy(ctx, hours, "shifts:"+user.Key(), 1)
			if res.Late {
				p.HIncrBy(ctx, hours, "late:"+user.Key(), 1)
			}
			p.HSet(ctx, hours, "name:"+user.Key(), user.Name)
			p.HIncrBy(ctx, s.k.monthStats(st, statMonth(start)), "volunteer_minutes", int64(res.Minutes))
			p.HIncrBy(ctx, s.k.shift(st, n), "served_min", int64(res.Minutes))
			s.countPeople(ctx, p, st, now, user.Key())
			return nil
		})
		return err
	})
	return res, err
}

// CloseOccurrence ends occurrence day of slot n: everyone holding a place
// who did not check in is recorded absent, once. It returns them; closing
// again returns none.
func (s *Store) CloseOccurrence(ctx context.Context, st, n int64, day string) ([]ShiftEntry, error) {
	var absent []ShiftEntry
	err := s.withLease(ctx, s.shiftLease(st, n), func() error {
		sh, err := s.Shift(ctx, st, n)
		if err != nil {
			return err
		}
		o, err := s.Occurrence(ctx, st, n, day)
		if err != nil || o.Closed {
			return err
		}
		for _, e := range o.On {
			if _, ok := o.In[e.UserKey]; !ok {
				absent = append(absent, e)
			}
		}
		d, err := ParseDayKey(day)
		if err != nil {
			return err
		}
		hours := s.k.teamHours(st, sh.Team, statMonth(d))
		occ := s.k.shiftOcc(st, n, day)
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, occ, occClosed, 1)
			for _, e := range absent {
				p.HSet(ctx, occ, occAbsent+e.UserKey, 1)
				p.HIncrBy(ctx, hours, "absent:"+e.UserKey, 1)
				p.HSet(ctx, hours, "name:"+e.UserKey, e.Name)
			}
			return nil
		})
		return err
	})
	return absent, err
}

// AffectedOccurrence is a future occurrence a removed or moved slot
// changed, with the volunteers who were on it.
type AffectedOccurrence struct {
	Day      string
	OldStart time.Time
	// NewStart is the start after a move; zero when the occurrence is gone.
	NewStart time.Time
	On       []ShiftEntry
	Waiting  []ShiftEntry
}

// RemoveShift takes slot n off the rota. Its occurrences that have not
// started are emptied and returned, so their volunteers can be told and
// their reminders cancelled; past ones keep their record.
func (s *Store) RemoveShift(ctx context.Context, st, n int64, now time.Time) ([]AffectedOccurrence, error) {
	var out []AffectedOccurrence
	err := s.withLease(ctx, s.shiftLease(st, n), func() error {
		_, err := s.liveShift(ctx, st, n)
		if err != nil {
			return err
		}
		future, err := s.futureOccurrences(ctx, st, n, now)
		if err != nil {
			return err
		}
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.k.shift(st, n), "removed", 1)
			p.ZRem(ctx, s.k.shiftsActive(st), n)
			for _, a := range future {
				s.dropOccurrence(ctx, p, st, n, a)
			}
			return nil
		})
		out = future
		return err
	})
	return out, err
}

// MoveShift gives slot n a new time (spec and duration). Occurrences that
// have not started and still fall on their day keep their volunteers at the
// new time; those whose day the slot no longer falls on (or whose new time
// has passed) are emptied. Both are returned, the moved ones with NewStart
// set.
func (s *Store) MoveShift(ctx context.Context, st, n int64, spec string, dur time.Duration, now time.Time) ([]AffectedOccurrence, error) {
	var out []AffectedOccurrence
	err := s.withLease(ctx, s.shiftLease(st, n), func() error {
		_, err := s.liveShift(ctx, st, n)
		if err != nil {
			return err
		}
		future, err := s.futureOccurrences(ctx, st, n, now)
		if err != nil {
			return err
		}
		moved := Shift{Spec: spec, Duration: dur}
		for i, a := range future {
			d, err := ParseDayKey(a.Day)
			if err != nil {
				continue
			}
			if start, ok := moved.StartOn(d); ok && start.After(now) {
				future[i].NewStart = start
			}
		}
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.k.shift(st, n), "spec", spec, "dur_min", int64(dur/time.Minute))
			for _, a := range future {
				if a.NewStart.IsZero() {
					s.dropOccurrence(ctx, p, st, n, a)
					continue
				}
				score := float64(ms(a.NewStart))
				p.ZAdd(ctx, s.k.shiftOccs(st, n), redis.Z{Score: score, Member: a.Day})
				for _, e := range slices.Concat(a.On, a.Waiting) {
					p.ZAdd(ctx, s.k.shiftsOf(st, e.UserKey), redis.Z{Score: score, Member: volunteerMember(n, a.Day)})
				}
			}
			return nil
		})
		out = future
		return err
	})
	return out, err
}

// futureOccurrences returns the occurrences of slot n that anyone signed
// up for and that start after now.
func (s *Store) futureOccurrences(ctx context.Context, st, n int64, now time.Time) ([]AffectedOccurrence, error) {
	zs, err := s.rdb.ZRangeByScoreWithScores(ctx, s.k.shiftOccs(st, n), &redis.ZRangeBy{
		Min: strconv.FormatInt(ms(now)+1, 10), Max: "+inf",
	}).Result()
	if err != nil {
		return nil, err
	}
	refs := make([]OccurrenceRef, len(zs))
	for i, z := range zs {
		day, _ := z.Member.(string)
		refs[i] = OccurrenceRef{N: n, Day: day, Start: time.UnixMilli(int64(z.Score)).In(calendar.Shanghai)}
	}
	occs, err := s.Occurrences(ctx, st, refs)
	if err != nil {
		return nil, err
	}
	out := make([]AffectedOccurrence, 0, len(refs))
	for i, o := range occs {
		if len(o.On)+len(o.Waiting) == 0 {
			continue
		}
		out = append(out, AffectedOccurrence{Day: refs[i].Day, OldStart: refs[i].Start, On: o.On, Waiting: o.Waiting})
	}
	return out, nil
}

// dropOccurrence queues the commands that empty occurrence a of slot n.
func (s *Store) dropOccurrence(ctx context.Context, p redis.Pipeliner, st, n int64, a AffectedOccurrence) {
	p.Del(ctx, s.k.shiftOcc(st, n, a.Day))
	p.ZRem(ctx, s.k.shiftOccs(st, n), a.Day)
	for _, e := range slices.Concat(a.On, a.Waiting) {
		p.ZRem(ctx, s.k.shiftsOf(st, e.UserKey), volunteerMember(n, a.Day))
	}
}

// VolunteerHours is one volunteer's month in one team, or summed over
// several.
type VolunteerHours struct {
	UserKey string
	Name    string
	Minutes int64
	Shifts  int64 // checked in
	Late    int64
	Absent  int64
}

// Add adds o's record to v's, for a volunteer's total over teams.
func (v *VolunteerHours) Add(o VolunteerHours) {
	v.Minutes, v.Shifts, v.Late, v.Absent = v.Minutes+o.Minutes, v.Shifts+o.Shifts, v.Late+o.Late, v.Absent+o.Absent
}

// TeamHours returns the volunteers of team id with anything recorded in the
// month containing t, most minutes first.
func (s *Store) TeamHours(ctx context.Context, st, id int64, t time.Time) ([]VolunteerHours, error) {
	h, err := s.rdb.HGetAll(ctx, s.k.teamHours(st, id, statMonth(t))).Result()
	if err != nil {
		return nil, err
	}
	byUser := map[string]*VolunteerHours{}
	get := func(key string) *VolunteerHours {
		v, ok := byUser[key]
		if !ok {
			v = &VolunteerHours{UserKey: key}
			byUser[key] = v
		}
		return v
	}
	for f, val := range h {
		kind, key, ok := strings.Cut(f, ":")
		if !ok {
			continue
		}
		switch kind {
		case "min":
			get(key).Minutes = atoi(val)
		case "shifts":
			get(key).Shifts = atoi(val)
		case "late":
			get(key).Late = atoi(val)
		case "absent":
			get(key).Absent = atoi(val)
		case "name":
			get(key).Name = val
		}
	}
	out := make([]VolunteerHours, 0, len(byUser))
	for _, v := range byUser {
		out = append(out, *v)
	}
	SortHours(out)
	return out, nil
}

// SortHours orders a leaderboard: most minutes first, then most shifts,
// then by name.
func SortHours(vs []VolunteerHours) {
	slices.SortFunc(vs, func(a, b VolunteerHours) int {
		return cmp.Or(cmp.Compare(b.Minutes, a.Minutes), cmp.Compare(b.Shifts, a.Shifts),
			strings.Compare(a.Name, b.Name), strings.Compare(a.UserKey, b.UserKey))
	})
}
