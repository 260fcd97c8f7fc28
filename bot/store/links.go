package store

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// This file keeps one thread from a problem to its result: a poll, a
// meeting, a campaign or a shift opened about a problem (关于 #12) holds the
// problem's number in its own record, and the problem holds a set of links
// to them, both written in the MULTI that creates the record. Closing the
// poll or the campaign and holding the meeting write their outcome into the
// problem's timeline in the MULTI that records them.

// LinkKind names the kind of record a link points to.
type LinkKind string

// Kinds of records that can be opened about a problem.
const (
	LinkPoll    LinkKind = "poll"
	LinkMeeting LinkKind = "meeting"
	LinkFund    LinkKind = "fund"
	LinkShift   LinkKind = "shift"
)

// Timeline steps of a thread.
const (
	// EventLinked: a poll, meeting, campaign or shift was opened about the
	// problem; Ref names it.
	EventLinked IssueEventKind = "linked"
	// EventOutcome: a linked poll or campaign closed, or a linked meeting
	// was held; Ref names it, Text and Value carry the result.
	EventOutcome IssueEventKind = "outcome"
)

// Link is one record opened about a problem.
type Link struct {
	Kind LinkKind
	N    int64
}

// String writes the link as stored: "poll:3".
func (l Link) String() string { return string(l.Kind) + ":" + strconv.FormatInt(l.N, 10) }

// ParseLink reads a link as stored; false for anything else.
func ParseLink(s string) (Link, bool) {
	kind, num, ok := strings.Cut(s, ":")
	n := atoi(num)
	switch LinkKind(kind) {
	case LinkPoll, LinkMeeting, LinkFund, LinkShift:
	default:
		return Link{}, false
	}
	if !ok || n < 1 {
		return Link{}, false
	}
	return Link{Kind: LinkKind(kind), N: n}, true
}

// decides reports whether a link of this kind makes its problem one decided
// together: by a campaign or a vote.
func (k LinkKind) decides() bool { return k == LinkFund || k == LinkPoll }

// linkToIssue queues, in p, that record l was opened about problem issue by
// byKey: the link in the problem's set, a step in its timeline, and the
// time it was last worked on.
func (s *Store) linkToIssue(ctx context.Context, p redis.Pipeliner, st, issue int64, l Link, byKey, byName string, now time.Time) {
	if issue < 1 {
		return
	}
	p.SAdd(ctx, s.k.issueLinks(st, issue), l.String())
	// Opening something about a problem is a step of its work: the clock of
	// "untouched for N days" starts again.
	p.HSet(ctx, s.k.issue(st, issue), "updated", ms(now))
	if l.Kind.decides() {
		p.SAdd(ctx, s.k.issuesDecided(st), issue)
	}
	s.appendEvent(ctx, p, st, issue, IssueEvent{By: byKey, ByName: byName, Kind: EventLinked, Ref: l.String()}, now)
}

// noteOutcome queues, in p, the outcome of record l in problem issue's
// timeline.
func (s *Store) noteOutcome(ctx context.Context, p redis.Pipeliner, st, issue int64, l Link, text string, value int64, now time.Time) {
	if issue < 1 {
		return
	}
	s.appendEvent(ctx, p, st, issue, IssueEvent{Kind: EventOutcome, Ref: l.String(), Text: text, Value: value}, now)
}

// IssueLinks returns what was opened about problem n, by kind (polls,
// meetings, campaigns, shifts) and number.
func (s *Store) IssueLinks(ctx context.Context, st, n int64) ([]Link, error) {
	raw, err := s.rdb.SMembers(ctx, s.k.issueLinks(st, n)).Result()
	if err != nil {
		return nil, err
	}
	return parseLinks(raw), nil
}

// parseLinks reads a problem's links, polls first, then meetings,
// campaigns and shifts, each by number.
func parseLinks(raw []string) []Link {
	order := map[LinkKind]int{LinkPoll: 0, LinkMeeting: 1, LinkFund: 2, LinkShift: 3}
	out := make([]Link, 0, len(raw))
	for _, r := range raw {
		if l, ok := ParseLink(r); ok {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b Link) int {
		if c := order[a.Kind] - order[b.Kind]; c != 0 {
			return c
		}
		return int(a.N - b.N)
	})
	return out
}

// HoldMeeting records that meeting n was held, with how many had said they
// would come, in the timeline of the problem it is about; once. It reports
// whether this call recorded it.
func (s *Store) HoldMeeting(ctx context.Context, st, n int64, now time.Time) (bool, error) {
	held := false
	err := s.withLease(ctx, s.k.lease(st, "meeting:"+strconv.FormatInt(n, 10)), func() error {
		mt, err := s.Meeting(ctx, st, n)
		if err != nil || mt.Held || mt.Cancelled {
			return err
		}
		att, err := s.Attendance(ctx, st, n)
		if err != nil {
			return err
		}
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.k.meeting(st, n), "held", 1)
			s.noteOutcome(ctx, p, st, mt.About, Link{LinkMeeting, n}, "", int64(len(att.Coming)), now)
			return nil
		})
		held = err == nil
		return err
	})
	return held, err
}
