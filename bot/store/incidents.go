package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
)

// Incident is one entry in a patrol's log (劝导记录): what a volunteer saw,
// where, and what was said.
type Incident struct {
	Station    int64
	N          int64
	Text       string
	Author     string // user key
	AuthorName string
	Chat       string // chat key it was logged in
	Photos     []string
	Created    time.Time
	// Issue is the number of the problem (报事) it was turned into, 0 when
	// none.
	Issue int64
}

// ErrIncidentReported is returned when an incident has already been turned
// into a problem.
var ErrIncidentReported = fmt.Errorf("%w: incident already reported", ErrConflict)

// LogIncident adds an entry to station st's patrol log and returns it with
// its number.
func (s *Store) LogIncident(ctx context.Context, st int64, in Incident, now time.Time) (*Incident, error) {
	n, err := s.rdb.Incr(ctx, s.k.incidentSeq(st)).Result()
	if err != nil {
		return nil, err
	}
	in.Station, in.N, in.Created, in.Issue = st, n, now, 0
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.k.incident(st, n), "n", n, "text", in.Text, "author", in.Author,
			"author_name", in.AuthorName, "chat", in.Chat, "photos", strings.Join(in.Photos, "\n"),
			"created", ms(now), "issue", 0)
		p.ZAdd(ctx, s.k.incidents(st), redis.Z{Score: float64(n), Member: n})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &in, nil
}

// Incident returns entry n of station st's patrol log.
func (s *Store) Incident(ctx context.Context, st, n int64) (*Incident, error) {
	h, err := s.record(ctx, s.k.incident(st, n), fmt.Sprintf("incident %d", n))
	if err != nil {
		return nil, err
	}
	return incidentFromHash(st, h), nil
}

func incidentFromHash(st int64, h map[string]string) *Incident {
	in := &Incident{Station: st, N: atoi(h["n"]), Text: h["text"], Author: h["author"],
		AuthorName: h["author_name"], Chat: h["chat"], Created: fromMS(h["created"]), Issue: atoi(h["issue"])}
	if h["photos"] != "" {
		in.Photos = strings.Split(h["photos"], "\n")
	}
	return in
}

// Incidents returns up to limit entries of station st's patrol log, newest
// first, and how many there are in all.
func (s *Store) Incidents(ctx context.Context, st int64, limit int) ([]*Incident, int64, error) {
	if limit < 1 {
		return nil, 0, nil
	}
	// Newest first by rank: redka serves ZREVRANGE correctly, not
	// ZREVRANGEBYSCORE.
	nums, err := s.rdb.ZRevRange(ctx, s.k.incidents(st), 0, int64(limit-1)).Result()
	if err != nil {
		return nil, 0, err
	}
	total, err := s.rdb.ZCard(ctx, s.k.incidents(st)).Result()
	if err != nil {
		return nil, 0, err
	}
	out, err := records(ctx, s, nums, func(n string) string { return s.k.incident(st, atoi(n)) },
		func(_ string, h map[string]string) *Incident { return incidentFromHash(st, h) })
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// ReportIncident turns incident n into a problem (报事) filed by by in chat
// reportChat, with the incident's text and photos and the given category,
// and returns both. It happens once: an incident already turned into a
// problem gives ErrIncidentReported with the incident, so the caller can
// name the problem.
func (s *Store) ReportIncident(ctx context.Context, st, n int64, by bot.User, reportChat, category, text string, now time.Time) (*Incident, *Issue, error) {
	var in *Incident
	var is *Issue
	err := s.withLease(ctx, s.k.lease(st, "incident:"+strconv.FormatInt(n, 10)), func() error {
		var err error
		if in, err = s.Incident(ctx, st, n); err != nil {
			return err
		}
		if in.Issue != 0 {
			return fmt.Errorf("%w: incident %d is problem %d", ErrIncidentReported, n, in.Issue)
		}
		// A patrol note names neighbours and rooms: the problem made of it
		// shows its text only to staff, in private.
		is, err = s.ReportIssue(ctx, st, NewIssue{Reporter: by, ReportChat: reportChat, Text: text,
			Category: category, Photos: in.Photos, Confidential: true}, now)
		if err != nil {
			return err
		}
		in.Issue = is.N
		return s.rdb.HSet(ctx, s.k.incident(st, n), "issue", is.N).Err()
	})
	if err != nil && in != nil && in.Issue != 0 && is == nil {
		return in, nil, err
	}
	if err != nil {
		return nil, nil, err
	}
	return in, is, nil
}
