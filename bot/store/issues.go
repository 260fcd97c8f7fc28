package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
)

// IssueStatus is where a problem (报事) is in its lifecycle.
type IssueStatus string

// Problem statuses. Open, accepted and escalated problems are on the open
// governance list; resolved and closed ones are on the closed list.
const (
	IssueOpen      IssueStatus = "open"      // 待受理
	IssueAccepted  IssueStatus = "accepted"  // 处理中
	IssueEscalated IssueStatus = "escalated" // 已上报
	IssueResolved  IssueStatus = "resolved"  // 已办结, waiting for the reporter's rating
	IssueClosed    IssueStatus = "closed"    // rated 满意 or 基本满意
)

// IsOpen reports whether a problem in status s still needs work.
func (s IssueStatus) IsOpen() bool {
	return s == IssueOpen || s == IssueAccepted || s == IssueEscalated
}

// Rating is a reporter's satisfaction with how a problem was solved.
type Rating string

// Ratings, from the station's satisfaction survey.
const (
	RatingSatisfied   Rating = "satisfied"   // 满意
	RatingFair        Rating = "fair"        // 基本满意
	RatingUnsatisfied Rating = "unsatisfied" // 不满意
)

// Issue is one problem a resident reported.
type Issue struct {
	// Fresh is set on the problem ReportIssue returns when that call made
	// it, not an earlier try of the same message: nothing else (no
	// reminder) exists for it yet.
	Fresh        bool
	Station      int64
	N            int64
	Text         string
	Category     string
	Status       IssueStatus
	Reporter     string // user key
	ReporterName string
	ReportChat   string // chat key it was reported in
	// Anonymous reports (made privately, or marked 匿名) name the reporter
	// only to the station's staff, in private.
	Anonymous bool
	// Confidential problems (made from a patrol note, which names
	// neighbours) show their text only to the station's staff, in private.
	Confidential bool
	Assignee     string
	AssigneeName string
	EscalatedTo  OfficeLevel
	Rating       Rating
	Supporters   int64 // "me too" count, not including the reporter
	Photos       []string
	Created      time.Time
	Updated      time.Time
	// ResolvedAt is when it was last resolved (办结), zero if it never was.
	ResolvedAt time.Time
	// RatedAt is when Rating was given, zero if it never was.
	RatedAt time.Time
	// EscalatedAt is when it was first handed to an office, zero if it never
	// was.
	EscalatedAt time.Time
	// Office is where it is at the office it was last handed to (office.go),
	// "" if it never was.
	Office OfficeState
	// OfficeAt is when it was last handed to the office or the office last
	// took a step on it: the office's deadline counts from there.
	OfficeAt time.Time
	// OfficeHandler (a user key) and OfficeHandlerName are who at the
	// office took it on.
	OfficeHandler     string
	OfficeHandlerName string
	// ResolvedBy is the office whose resolution was the last one, "" when
	// the station resolved it (or nobody has).
	ResolvedBy OfficeLevel
}

// IssueEventKind names a step in a problem's timeline.
type IssueEventKind string

// Timeline steps.
const (
	EventReported  IssueEventKind = "reported"
	EventMeToo     IssueEventKind = "metoo"
	EventAccepted  IssueEventKind = "accepted"
	EventUpdate    IssueEventKind = "update"
	EventResolved  IssueEventKind = "resolved"
	EventRated     IssueEventKind = "rated"
	EventEscalated IssueEventKind = "escalated"
	EventReopened  IssueEventKind = "reopened"
	EventPhoto     IssueEventKind = "photo"
	// Steps the office takes in its own group (office.go).
	EventOfficeAccepted IssueEventKind = "office_accepted"
	EventOfficeUpdate   IssueEventKind = "office_update"
	EventOfficeResolved IssueEventKind = "office_resolved"
	EventOfficeReturned IssueEventKind = "office_returned"
)

// IssueEvent is one entry in a problem's timeline. Entries are only ever
// appended, so the timeline is the audit trail.
type IssueEvent struct {
	At     time.Time      `json:"-"`
	AtMS   int64          `json:"at"`
	By     string         `json:"by"`
	ByName string         `json:"name"`
	Kind   IssueEventKind `json:"kind"`
	Text   string         `json:"text,omitempty"`
	// Ref names the record a thread step is about ("poll:3"), Value its
	// count or sum (links.go).
	Ref   string `json:"ref,omitempty"`
	Value int64  `json:"value,omitempty"`
	// Office is the office an office step was taken at.
	Office OfficeLevel `json:"office,omitempty"`
}

// NewIssue is what a resident's report holds.
type NewIssue struct {
	Reporter     bot.User
	ReportChat   string
	Text         string
	Category     string
	Photos       []string
	Anonymous    bool
	Confidential bool
}

// photoWindow is how long after a report a photo sent on its own is taken as
// belonging to it.
const photoWindow = 10 * time.Minute

// ReportIssue files a new problem in station st and returns it with its
// number. It takes two round trips: one to number it, one transaction to
// write it.
func (s *Store) ReportIssue(ctx context.Context, st int64, in NewIssue, now time.Time) (*Issue, error) {
	is := &Issue{Station: st, Text: in.Text, Category: in.Category, Status: IssueOpen,
		Reporter: in.Reporter.Key(), ReporterName: in.Reporter.Name, ReportChat: in.ReportChat,
		Anonymous: in.Anonymous, Confidential: in.Confidential, Photos: in.Photos, Created: now, Updated: now}
	ev := IssueEvent{By: is.Reporter, ByName: is.ReporterName, Kind: EventReported, Text: in.Text}
	n, existed, err := s.numbered(ctx, st, "issue", s.k.issueSeq(st), func(p redis.Pipeliner, n int64) {
		is.N = n
		p.HSet(ctx, s.k.issue(st, n), issueChanges(&Issue{}, is)...)
		s.appendEvent(ctx, p, st, n, ev, now)
		p.ZAdd(ctx, s.k.issuesOpen(st), redis.Z{Score: float64(n), Member: n})
		p.ZAdd(ctx, s.k.issuesBy(st, is.Reporter), redis.Z{Score: float64(n), Member: n})
		p.Set(ctx, s.k.lastReport(st, is.Reporter), n, photoWindow)
		p.HIncrBy(ctx, s.k.monthStats(st, statMonth(now)), "filed", 1)
		s.countPeople(ctx, p, st, now, is.Reporter)
	})
	switch {
	case err != nil:
		return nil, err
	case existed:
		return s.Issue(ctx, st, n)
	}
	is.Fresh = true
	return is, nil
}

// issueChanges returns the fields and values of after that differ from
// before's, for HSET: a new problem (before the zero Issue) writes only
// the fields it has, about half of them. A field left out reads as its
// zero value (issueFromHash), so a hash holds the problem either way.
func issueChanges(before, after *Issue) []any {
	was, is := issueFields(before), issueFields(after)
	changed := make([]any, 0, len(is))
	for i := 0; i < len(is); i += 2 {
		if fieldText(was[i+1]) != fieldText(is[i+1]) {
			changed = append(changed, is[i], is[i+1])
		}
	}
	return changed
}

// fieldText is v as a hash stores it.
func fieldText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	}
	return fmt.Sprint(v)
}

// issueFields lists every field of is with its value, for HSET.
func issueFields(is *Issue) []any {
	return []any{
		"n", is.N, "text", is.Text, "category", is.Category, "status", string(is.Status),
		"reporter", is.Reporter, "reporter_name", is.ReporterName, "chat", is.ReportChat,
		"anonymous", boolInt(is.Anonymous), "confidential", boolInt(is.Confidential),
		"assignee", is.Assignee, "assignee_name", is.AssigneeName, "escalated_to", string(is.EscalatedTo),
		"rating", string(is.Rating), "supporters", is.Supporters, "photos", strings.Join(is.Photos, "\n"),
		"created", ms(is.Created), "updated", ms(is.Updated), "resolved_at", msOrZero(is.ResolvedAt),
		"rated_at", msOrZero(is.RatedAt), "escalated_at", msOrZero(is.EscalatedAt),
		"office", string(is.Office), "office_at", msOrZero(is.OfficeAt), "office_handler", is.OfficeHandler, "office_handler_name", is.OfficeHandlerName,
		"resolved_by", string(is.ResolvedBy),
	}
}

func (s *Store) appendEvent(ctx context.Context, p redis.Pipeliner, st, n int64, ev IssueEvent, now time.Time) {
	ev.AtMS = ms(now)
	b, _ := json.Marshal(ev) // plain struct of strings and ints: cannot fail
	p.RPush(ctx, s.k.issueLog(st, n), b)
}

// Issue returns problem n of station st.
func (s *Store) Issue(ctx context.Context, st, n int64) (*Issue, error) {
	h, err := s.record(ctx, s.k.issue(st, n), fmt.Sprintf("problem %d", n))
	if err != nil {
		return nil, err
	}
	return issueFromHash(st, h), nil
}

func issueFromHash(st int64, h map[string]string) *Issue {
	is := &Issue{Station: st, N: atoi(h["n"]), Text: h["text"], Category: h["category"],
		Status: IssueStatus(h["status"]), Reporter: h["reporter"], ReporterName: h["reporter_name"],
		ReportChat: h["chat"], Anonymous: h["anonymous"] == "1", Confidential: h["confidential"] == "1", Assignee: h["assignee"], AssigneeName: h["assignee_name"],
		EscalatedTo: OfficeLevel(h["escalated_to"]), Rating: Rating(h["rating"]),
		Supporters: atoi(h["supporters"]), Created: fromMS(h["created"]), Updated: fromMS(h["updated"]),
		ResolvedAt: fromMS(h["resolved_at"]), RatedAt: fromMS(h["rated_at"]), EscalatedAt: fromMS(h["escalated_at"]),
		Office: OfficeState(h["office"]), OfficeAt: fromMS(h["office_at"]), OfficeHandler: h["office_handler"], OfficeHandlerName: h["office_handler_name"],
		ResolvedBy: OfficeLevel(h["resolved_by"])}
	if h["photos"] != "" {
		is.Photos = strings.Split(h["photos"], "\n")
	}
	return is
}

// maxTimeline bounds how much of a timeline is read back; a problem with
// more steps than this shows the first ones.
const maxTimeline = 200

// IssueTimeline returns problem n's timeline, oldest first.
func (s *Store) IssueTimeline(ctx context.Context, st, n int64) ([]IssueEvent, error) {
	return readLog[IssueEvent](ctx, s, s.k.issueLog(st, n), maxTimeline)
}

// IssueCard returns problem n with its timeline (as IssueTimeline) and its
// links (as IssueLinks), in one round trip, or none when they were read
// ahead with the message's claim (WithCardAhead).
func (s *Store) IssueCard(ctx context.Context, st, n int64) (*Issue, []IssueEvent, []Link, error) {
	c := takeCard(ctx, st, n)
	if c == nil {
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			c = s.queueCard(ctx, p, st, n)
			return nil
		}); err != nil {
			return nil, nil, nil, err
		}
	}
	if len(c.rec.Val()) == 0 {
		return nil, nil, nil, fmt.Errorf("%w: problem %d", ErrNotFound, n)
	}
	return issueFromHash(st, c.rec.Val()), decodeLog[IssueEvent](c.log.Val()), parseLinks(c.link.Val()), nil
}

// stampTime fills At from the stored milliseconds.
func (ev *IssueEvent) stampTime() { ev.At = time.UnixMilli(ev.AtMS) }

// IssueFilter selects problems for the governance list.
type IssueFilter string

// Filters for ListIssues.
const (
	FilterOpen   IssueFilter = "open"
	FilterClosed IssueFilter = "closed"
	FilterMine   IssueFilter = "mine"
	FilterAll    IssueFilter = "all"
)

// ListIssues returns up to limit problems of station st, newest first.
// userKey is used by FilterMine.
func (s *Store) ListIssues(ctx context.Context, st int64, f IssueFilter, userKey string, limit int) ([]*Issue, int64, error) {
	return s.ListIssuesPage(ctx, st, f, userKey, 0, limit)
}

// ListIssuesPage is ListIssues from the offset-th newest problem on (0 is
// the newest), for a list read a page at a time. The total counts them all.
func (s *Store) ListIssuesPage(ctx context.Context, st int64, f IssueFilter, userKey string, offset, limit int) ([]*Issue, int64, error) {
	var sets []string
	switch f {
	case FilterOpen:
		sets = []string{s.k.issuesOpen(st)}
	case FilterClosed:
		sets = []string{s.k.issuesClosed(st)}
	case FilterMine:
		sets = []string{s.k.issuesBy(st, userKey)}
	default:
		sets = []string{s.k.issuesOpen(st), s.k.issuesClosed(st)}
	}
	return s.newestIn(ctx, st, sets, offset, limit)
}

// newestIn returns up to limit of station st's problems on the sorted sets,
// newest first from the offset-th on, with how many the sets hold.
func (s *Store) newestIn(ctx context.Context, st int64, sets []string, offset, limit int) ([]*Issue, int64, error) {
	offset = max(offset, 0)
	var nums []int64
	var total int64
	for _, set := range sets {
		// Newest first: ZREVRANGE by rank, which redka serves correctly
		// (its ZREVRANGEBYSCORE returns nothing). With two sets, the page
		// can hold the first offset+limit of either.
		v, err := s.rdb.ZRevRange(ctx, set, 0, int64(offset+limit-1)).Result()
		if err != nil {
			return nil, 0, err
		}
		c, err := s.rdb.ZCard(ctx, set).Result()
		if err != nil {
			return nil, 0, err
		}
		total += c
		for _, x := range v {
			nums = append(nums, atoi(x))
		}
	}
	slices.SortFunc(nums, func(a, b int64) int { return cmp.Compare(b, a) })
	nums = nums[min(offset, len(nums)):min(offset+limit, len(nums))]
	issues, err := s.issues(ctx, st, nums)
	return issues, total, err
}

// issues reads several problems in one round trip.
func (s *Store) issues(ctx context.Context, st int64, nums []int64) ([]*Issue, error) {
	return records(ctx, s, nums, func(n int64) string { return s.k.issue(st, n) },
		func(_ int64, h map[string]string) *Issue { return issueFromHash(st, h) })
}

// IssueChange is what a lifecycle step did, for the handler to report.
type IssueChange struct {
	Issue *Issue
	Event IssueEvent
}

// ChangeIssue applies step to problem n under the problem's lease: step sees
// the current record, returns the timeline event (or an error, leaving the
// record untouched) and may change the record; the new record, the event,
// the list it belongs on and the monthly figures it counts in are written
// in one transaction. The event's kind stamps the record: a resolution sets
// ResolvedAt (and ResolvedBy: the office's, or none), a rating RatedAt, the
// first escalation EscalatedAt; an escalation puts it before the office
// (pending) and any office step restarts the office's clock (OfficeAt).
func (s *Store) ChangeIssue(ctx context.Context, st, n int64, now time.Time, step func(is *Issue) (IssueEvent, error)) (*IssueChange, error) {
	var change *IssueChange
	err := s.withLeaseRead(ctx, []string{s.k.lease(st, "issue:"+strconv.FormatInt(n, 10))}, nil, func(l *lease) error {
		is, err := s.Issue(ctx, st, n)
		if err != nil {
			return err
		}
		before := *is
		ev, err := step(is)
		if err != nil {
			return err
		}
		is.Updated = now
		stampIssue(is, ev.Kind, now)
		ev.AtMS, ev.At = ms(now), now
		change = &IssueChange{Issue: is, Event: ev}
		return s.writeLast(ctx, s.k.issue(st, n), l, func(p redis.Pipeliner) error {
			if changed := issueChanges(&before, is); len(changed) > 0 {
				p.HSet(ctx, s.k.issue(st, n), changed...)
			}
			s.appendEvent(ctx, p, st, n, ev, now)
			if before.Status.IsOpen() != is.Status.IsOpen() {
				from, to := s.k.issuesOpen(st), s.k.issuesClosed(st)
				if is.Status.IsOpen() {
					from, to = to, from
				}
				p.ZRem(ctx, from, n)
				p.ZAdd(ctx, to, redis.Z{Score: float64(n), Member: n})
			}
			s.recountIssue(ctx, p, &before, is)
			s.reindexEscalation(ctx, p, &before, is)
			if ev.Kind == EventRated {
				s.countPeople(ctx, p, st, now, ev.By)
			}
			l.giveUpIn(ctx, p)
			return nil
		})
	})
	return change, err
}

// stampIssue records on is when a step of kind, taken now, happened.
func stampIssue(is *Issue, kind IssueEventKind, now time.Time) {
	switch kind {
	case EventResolved:
		is.ResolvedAt, is.ResolvedBy = now, ""
	case EventOfficeResolved:
		is.ResolvedAt, is.ResolvedBy = now, is.EscalatedTo
		is.OfficeAt = now
	case EventRated:
		is.RatedAt = now
	case EventEscalated:
		if is.EscalatedAt.IsZero() {
			is.EscalatedAt = now
		}
		is.Office, is.OfficeAt, is.OfficeHandler, is.OfficeHandlerName = OfficePending, now, "", ""
	case EventOfficeAccepted, EventOfficeUpdate, EventOfficeReturned:
		is.OfficeAt = now
	}
}

// AddSupporter records that user has the same problem. It returns false
// when they had already said so.
func (s *Store) AddSupporter(ctx context.Context, st, n int64, user bot.User, now time.Time) (*Issue, bool, error) {
	// The set, the count and the timeline change together, under the
	// problem's lease: a crash can leave none of them changed, never one.
	// The lease, the problem and whether user is a supporter already are
	// one round trip; the change and the lease's release another.
	var rec *redis.MapStringStringCmd
	var known *redis.BoolCmd
	read := func(p redis.Pipeliner) {
		rec = p.HGetAll(ctx, s.k.issue(st, n))
		known = p.SIsMember(ctx, s.k.issueSupporters(st, n), user.Key())
	}
	var is *Issue
	added := false
	err := s.withLeaseRead(ctx, []string{s.k.lease(st, "issue:"+strconv.FormatInt(n, 10))}, read, func(l *lease) error {
		if err := errors.Join(rec.Err(), known.Err()); err != nil {
			return err
		}
		if len(rec.Val()) == 0 {
			return fmt.Errorf("%w: problem %d", ErrNotFound, n)
		}
		is = issueFromHash(st, rec.Val())
		if is.Reporter == user.Key() || known.Val() {
			return nil // the reporter is not their own supporter
		}
		err := s.writeLast(ctx, s.k.issueSupporters(st, n), l, func(p redis.Pipeliner) error {
			p.SAdd(ctx, s.k.issueSupporters(st, n), user.Key())
			p.HIncrBy(ctx, s.k.issue(st, n), "supporters", 1)
			s.appendEvent(ctx, p, st, n, IssueEvent{By: user.Key(), ByName: user.Name, Kind: EventMeToo}, now)
			l.giveUpIn(ctx, p)
			return nil
		})
		added = err == nil
		return err
	})
	if err != nil {
		return nil, false, err
	}
	if added {
		is.Supporters++
	}
	return is, added, nil
}

// IssueSupporters returns the user keys who said "me too" to problem n.
func (s *Store) IssueSupporters(ctx context.Context, st, n int64) ([]string, error) {
	return s.rdb.SMembers(ctx, s.k.issueSupporters(st, n)).Result()
}

// AttachPhotoToLastReport adds a photo to the problem user reported in the
// last few minutes in reportChat (the group's key; "" for a private chat),
// and returns its number. ErrNotFound when there is none: no recent report,
// or it was made in another chat (a photo in the group must not give away
// who made a private, anonymous report), or it already has MaxReportPhotos.
func (s *Store) AttachPhotoToLastReport(ctx context.Context, st int64, user bot.User, reportChat, ref string, now time.Time) (int64, error) {
	v, err := s.rdb.Get(ctx, s.k.lastReport(st, user.Key())).Result()
	if err != nil {
		return 0, notFound(err, "recent report")
	}
	n := atoi(v)
	_, err = s.ChangeIssue(ctx, st, n, now, func(is *Issue) (IssueEvent, error) {
		if !takesPhoto(is, reportChat) {
			return IssueEvent{}, fmt.Errorf("%w: recent report in this chat with room for a photo", ErrNotFound)
		}
		is.Photos = append(is.Photos, ref)
		return IssueEvent{By: user.Key(), ByName: user.Name, Kind: EventPhoto, Text: ref}, nil
	})
	return n, err
}
