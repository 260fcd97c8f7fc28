package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
)

// ErrPollClosed is returned for a vote on a poll that is closed or past its
// deadline.
var ErrPollClosed = fmt.Errorf("%w: poll closed", ErrConflict)

// Poll is a question residents decide by vote (众议): one vote per person,
// or one per household where whoever in it votes last counts.
type Poll struct {
	Station      int64
	N            int64
	Question     string
	Options      []string
	Deadline     time.Time // zero: open until closed by hand
	PerHousehold bool
	Closed       bool
	ClosedAt     time.Time
	By           string
	ByName       string
	Chat         string
	Created      time.Time
	// About is the problem the poll was opened about, 0 for none.
	About int64
}

// Open reports whether the poll takes votes at now.
func (p *Poll) Open(now time.Time) bool {
	return !p.Closed && (p.Deadline.IsZero() || now.Before(p.Deadline))
}

// NewPoll is what the head gives when opening a poll.
type NewPoll struct {
	Question     string
	Options      []string
	Deadline     time.Time
	PerHousehold bool
	By           bot.User
	Chat         string
	About        int64 // the problem it is about, 0 for none
}

// Vote is one counted vote. Voter is the household key for a
// per-household poll and the user key otherwise.
type Vote struct {
	Voter   string    `json:"-"`
	Option  int       `json:"o"` // index into Poll.Options
	UserKey string    `json:"u"`
	Name    string    `json:"name"`
	Room    string    `json:"room,omitempty"`
	At      time.Time `json:"-"`
	AtMS    int64     `json:"at"`
}

// CreatePoll opens a poll in station st and returns it with its number.
func (s *Store) CreatePoll(ctx context.Context, st int64, in NewPoll, now time.Time) (*Poll, error) {
	p := &Poll{Station: st, Question: in.Question, Options: in.Options, Deadline: in.Deadline,
		PerHousehold: in.PerHousehold, By: in.By.Key(), ByName: in.By.Name, Chat: in.Chat, Created: now, About: in.About}
	perHousehold := 0
	if p.PerHousehold {
		perHousehold = 1
	}
	n, existed, err := s.numbered(ctx, st, "poll", s.k.pollSeq(st), func(pl redis.Pipeliner, n int64) {
		p.N = n
		pl.HSet(ctx, s.k.poll(st, n), "n", n, "question", p.Question, "options", strings.Join(p.Options, "\n"),
			"deadline", msOrZero(p.Deadline), "per_household", perHousehold, "closed", 0, "closed_at", 0,
			"by", p.By, "by_name", p.ByName, "chat", p.Chat, "created", ms(now), "about", p.About)
		pl.ZAdd(ctx, s.k.pollsOpen(st), redis.Z{Score: float64(n), Member: n})
		pl.ZAdd(ctx, s.k.pollsAll(st), redis.Z{Score: float64(n), Member: n})
		s.linkToIssue(ctx, pl, st, p.About, Link{LinkPoll, n}, p.By, p.ByName, now)
	})
	switch {
	case err != nil:
		return nil, err
	case existed:
		return s.Poll(ctx, st, n)
	}
	return p, nil
}

func pollFromHash(st int64, h map[string]string) *Poll {
	return &Poll{Station: st, N: atoi(h["n"]), Question: h["question"], Options: strings.Split(h["options"], "\n"),
		Deadline: fromMS(h["deadline"]), PerHousehold: h["per_household"] == "1", Closed: h["closed"] == "1",
		ClosedAt: fromMS(h["closed_at"]), By: h["by"], ByName: h["by_name"], Chat: h["chat"],
		Created: fromMS(h["created"]), About: atoi(h["about"])}
}

// Poll returns poll n of station st.
func (s *Store) Poll(ctx context.Context, st, n int64) (*Poll, error) {
	h, err := s.record(ctx, s.k.poll(st, n), fmt.Sprintf("poll %d", n))
	if err != nil {
		return nil, err
	}
	return pollFromHash(st, h), nil
}

// OpenPolls returns the polls not yet closed, oldest first. A poll past its
// deadline stays here until it is closed.
func (s *Store) OpenPolls(ctx context.Context, st int64) ([]*Poll, error) {
	nums, err := s.rdb.ZRange(ctx, s.k.pollsOpen(st), 0, maxListed-1).Result()
	if err != nil {
		return nil, err
	}
	return records(ctx, s, nums, func(n string) string { return s.k.poll(st, atoi(n)) },
		func(_ string, h map[string]string) *Poll { return pollFromHash(st, h) })
}

// RecentPolls returns the newest n polls of station st, open or closed,
// newest first.
func (s *Store) RecentPolls(ctx context.Context, st int64, n int) ([]*Poll, error) {
	total, err := s.rdb.ZCard(ctx, s.k.pollsAll(st)).Result()
	if err != nil || total == 0 || n <= 0 {
		return nil, err
	}
	nums, err := s.rdb.ZRange(ctx, s.k.pollsAll(st), max(total-int64(n), 0), total-1).Result()
	if err != nil {
		return nil, err
	}
	slices.Reverse(nums)
	return records(ctx, s, nums, func(n string) string { return s.k.poll(st, atoi(n)) },
		func(_ string, h map[string]string) *Poll { return pollFromHash(st, h) })
}

// Ballot is a vote as cast.
type Ballot struct {
	User   bot.User
	Room   string // the voter's household key; required for a per-household poll
	Option int
}

// CastVote records b on poll n and returns the vote it replaced, if any: the
// voter's own earlier vote, or for a per-household poll whoever in the
// household voted before. It runs under the poll's lease, so a vote never
// lands on a poll being closed: the lease, the poll and the earlier votes
// are one round trip, the vote and the lease's release another.
func (s *Store) CastVote(ctx context.Context, st, n int64, b Ballot, now time.Time) (*Vote, error) {
	_, prev, err := s.CastVoteChoosing(ctx, st, n, b, now, func(*Poll) (int, error) { return b.Option, nil })
	return prev, err
}

// CastVoteChoosing is CastVote where choose, given the poll as read under
// its lease, picks b's option, or refuses with an error that leaves
// everything as it was: so a command that must see the poll to understand
// the ballot (an option named by its words) reads it once. It returns the
// poll too.
func (s *Store) CastVoteChoosing(ctx context.Context, st, n int64, b Ballot, now time.Time, choose func(*Poll) (int, error)) (*Poll, *Vote, error) {
	var voted *Poll
	var prev *Vote
	var poll *redis.MapStringStringCmd
	var olds *redis.SliceCmd
	votes := s.k.pollVotes(st, n)
	read := func(p redis.Pipeliner) {
		poll = p.HGetAll(ctx, s.k.poll(st, n))
		// Both the person's and the household's: which counts depends
		// on the poll, read in the same round trip.
		olds = p.HMGet(ctx, votes, b.User.Key(), b.Room)
	}
	err := s.withLeaseRead(ctx, []string{s.k.lease(st, "poll:"+strconv.FormatInt(n, 10))}, read, func(l *lease) error {
		h, err := poll.Result()
		if err != nil {
			return err
		}
		if len(h) == 0 {
			return fmt.Errorf("%w: poll %d", ErrNotFound, n)
		}
		p := pollFromHash(st, h)
		voted = p
		if !p.Open(now) {
			return fmt.Errorf("%w: %d", ErrPollClosed, n)
		}
		if b.Option, err = choose(p); err != nil {
			return err
		}
		if b.Option < 0 || b.Option >= len(p.Options) {
			return fmt.Errorf("%w: poll %d has no option %d", ErrNotFound, n, b.Option+1)
		}
		voter, which := b.User.Key(), 0
		if p.PerHousehold {
			if b.Room == "" {
				return fmt.Errorf("%w: a household vote needs a room", ErrConflict)
			}
			voter, which = b.Room, 1
		}
		before, err := olds.Result()
		if err != nil {
			return err
		}
		if old, _ := before[which].(string); old != "" {
			if v, ok := decodeVote(voter, old); ok {
				prev = &v
			}
		}
		data, _ := json.Marshal(Vote{Option: b.Option, UserKey: b.User.Key(), Name: b.User.Name, Room: b.Room,
			AtMS: ms(now)})
		return s.writeLast(ctx, votes, l, func(pl redis.Pipeliner) error {
			pl.HSet(ctx, votes, voter, data)
			s.countPeople(ctx, pl, st, now, b.User.Key())
			l.giveUpIn(ctx, pl)
			return nil
		})
	})
	return voted, prev, err
}

func decodeVote(voter, data string) (Vote, bool) {
	var v Vote
	if json.Unmarshal([]byte(data), &v) != nil {
		return Vote{}, false
	}
	v.Voter, v.At = voter, time.UnixMilli(v.AtMS)
	return v, true
}

// Votes returns the counted votes of poll n, by voter.
func (s *Store) Votes(ctx context.Context, st, n int64) ([]Vote, error) {
	h, err := s.rdb.HGetAll(ctx, s.k.pollVotes(st, n)).Result()
	if err != nil {
		return nil, err
	}
	out := make([]Vote, 0, len(h))
	for voter, data := range h {
		if v, ok := decodeVote(voter, data); ok {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b Vote) int { return strings.Compare(a.Voter, b.Voter) })
	return out, nil
}

// Tally counts votes per option of p.
func (p *Poll) Tally(votes []Vote) []int {
	counts := make([]int, len(p.Options))
	for _, v := range votes {
		if v.Option >= 0 && v.Option < len(counts) {
			counts[v.Option]++
		}
	}
	return counts
}

// Leaders returns the options with the most votes (several when tied)
// and their count; none when nobody voted.
func (p *Poll) Leaders(votes []Vote) ([]string, int) {
	best := 0
	var top []string
	for i, c := range p.Tally(votes) {
		switch {
		case c > best:
			best, top = c, []string{p.Options[i]}
		case c == best && c > 0:
			top = append(top, p.Options[i])
		}
	}
	return top, best
}

// Leader returns the options with the most votes joined with "、", and
// their count; "" when nobody voted.
func (p *Poll) Leader(votes []Vote) (string, int64) {
	top, best := p.Leaders(votes)
	return strings.Join(top, "、"), int64(best)
}

// ClosePoll closes poll n and reports whether this call closed it (false
// when it was already closed, so the result is announced once).
func (s *Store) ClosePoll(ctx context.Context, st, n int64, now time.Time) (*Poll, bool, error) {
	var out *Poll
	closed := false
	err := s.withLease(ctx, s.k.lease(st, "poll:"+strconv.FormatInt(n, 10)), func() error {
		p, err := s.Poll(ctx, st, n)
		if err != nil {
			return err
		}
		out = p
		if p.Closed {
			return nil
		}
		p.Closed, p.ClosedAt = true, now
		var leader string
		var count int64
		if p.About > 0 {
			votes, err := s.Votes(ctx, st, n)
			if err != nil {
				return err
			}
			leader, count = p.Leader(votes)
		}
		_, err = s.rdb.TxPipelined(ctx, func(pl redis.Pipeliner) error {
			pl.HSet(ctx, s.k.poll(st, n), "closed", 1, "closed_at", ms(now))
			pl.ZRem(ctx, s.k.pollsOpen(st), n)
			s.noteOutcome(ctx, pl, st, p.About, Link{LinkPoll, n}, leader, count, now)
			return nil
		})
		closed = err == nil
		return err
	})
	return out, closed, err
}
