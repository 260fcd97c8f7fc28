package store

import (
	"context"
	"time"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/redis/go-redis/v9"
)

// This file keeps a station's monthly figures (统计), which stations are
// compared by. Each figure is defined in README.md ("Figures"). They are
// kept beside the records they count and changed in the same transactions,
// so every month's figures are right whenever they are read, past months
// included:
//
//   - counted figures (problems reported and escalated, money collected,
//     volunteer minutes) are facts that never change once they happen, and
//     are counters in the month's hash;
//   - figures a later step can revise (solved, rated, satisfied) are sets of
//     problem numbers: every change of a problem takes it out of the sets of
//     the month it counted in and puts it in those of the month it counts in
//     now (recountIssue);
//   - people who took part are a set of user keys per month, added to by
//     every action that counts (countPeople).

// MonthStats are one station's figures for one month (Shanghai calendar).
type MonthStats struct {
	// Filed is how many problems were reported in the month.
	Filed int64
	// Solved is how many problems are resolved now and were last resolved
	// in the month.
	Solved int64
	// SolvedTogether is how many of the Solved have a campaign or a poll
	// opened about them (关于 #N): problems residents solved by
	// crowdfunding or by a vote.
	SolvedTogether int64
	// Escalated is how many problems were first handed to an office in the
	// month.
	Escalated int64
	// Rated is how many problems hold a rating given in the month: their
	// latest rating, not withdrawn by reopening them since.
	Rated int64
	// Satisfied is how many of the Rated hold 满意 or 基本满意.
	Satisfied int64
	// CollectedFen is crowdfunding money recorded as collected in the month.
	CollectedFen int64
	// VolunteerMinutes are the minutes volunteers served on checked-in
	// shifts that started in the month.
	VolunteerMinutes int64
	// People is how many different people took part in the month: reported
	// or rated a problem, pledged, voted, signed up for a shift, joined a
	// team, checked in or answered a meeting notice, or belong to a
	// household whose payment was recorded.
	People int64
}

// Add adds o's figures to m, for a subdistrict's total over its stations.
// People are summed, so someone active at two stations counts twice.
func (m *MonthStats) Add(o MonthStats) {
	m.Filed += o.Filed
	m.Solved += o.Solved
	m.SolvedTogether += o.SolvedTogether
	m.Escalated += o.Escalated
	m.Rated += o.Rated
	m.Satisfied += o.Satisfied
	m.CollectedFen += o.CollectedFen
	m.VolunteerMinutes += o.VolunteerMinutes
	m.People += o.People
}

// SatisfactionPercent is the share of the rated problems rated 满意 or
// 基本满意, in whole percent rounded down; ok is false when none was rated.
func (m MonthStats) SatisfactionPercent() (pct int64, ok bool) {
	if m.Rated == 0 {
		return 0, false
	}
	return m.Satisfied * 100 / m.Rated, true
}

// VolunteerHoursTenths is VolunteerMinutes in tenths of an hour, rounded
// to the nearest: 90 minutes are 15.
func (m MonthStats) VolunteerHoursTenths() int64 { return HoursTenths(m.VolunteerMinutes) }

// HoursTenths writes minutes as tenths of an hour, rounded to the nearest.
func HoursTenths(minutes int64) int64 { return (minutes*10 + 30) / 60 }

// statMonth names the month of t in Shanghai as "200601".
func statMonth(t time.Time) string { return t.In(calendar.Shanghai).Format("200601") }

// MonthStats returns station st's figures for the month containing t, in
// one round trip.
func (s *Store) MonthStats(ctx context.Context, st int64, t time.Time) (MonthStats, error) {
	month := statMonth(t)
	var counted *redis.MapStringStringCmd
	var rated, satisfied, people *redis.IntCmd
	var solved, decided *redis.StringSliceCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		counted = p.HGetAll(ctx, s.k.monthStats(st, month))
		solved = p.SMembers(ctx, s.k.monthSolved(st, month))
		decided = p.SMembers(ctx, s.k.issuesDecided(st))
		rated = p.SCard(ctx, s.k.monthRated(st, month))
		satisfied = p.SCard(ctx, s.k.monthSatisfied(st, month))
		people = p.SCard(ctx, s.k.monthPeople(st, month))
		return nil
	}); err != nil {
		return MonthStats{}, err
	}
	h := counted.Val()
	together := map[string]bool{}
	for _, n := range decided.Val() {
		together[n] = true
	}
	var solvedTogether int64
	for _, n := range solved.Val() {
		if together[n] {
			solvedTogether++
		}
	}
	return MonthStats{Filed: atoi(h["filed"]), Solved: int64(len(solved.Val())), SolvedTogether: solvedTogether, Escalated: atoi(h["escalated"]),
		Rated: rated.Val(), Satisfied: satisfied.Val(), CollectedFen: atoi(h["collected_fen"]),
		VolunteerMinutes: atoi(h["volunteer_minutes"]), People: people.Val()}, nil
}

// issueStanding is where one problem counts in the revisable figures.
type issueStanding struct {
	// solvedIn is the month of its last resolution while it is resolved or
	// closed, "" while it is open.
	solvedIn string
	// ratedIn is the month its rating was given, "" when it holds none.
	ratedIn   string
	satisfied bool
	// solvedBy is the office whose resolution counts in solvedIn, "" when
	// the station's does.
	solvedBy OfficeLevel
}

func standingOf(is *Issue) issueStanding {
	var st issueStanding
	if !is.Status.IsOpen() && !is.ResolvedAt.IsZero() {
		st.solvedIn = statMonth(is.ResolvedAt)
		st.solvedBy = is.ResolvedBy
	}
	if is.Rating != "" && !is.RatedAt.IsZero() {
		st.ratedIn = statMonth(is.RatedAt)
		st.satisfied = is.Rating == RatingSatisfied || is.Rating == RatingFair
	}
	return st
}

// recountIssue queues, in p, moving a problem that changed from before to
// after between the months' figures: out of the sets of the months it
// counted in, into those it counts in now; and an escalation counted in the
// month of the first one.
func (s *Store) recountIssue(ctx context.Context, p redis.Pipeliner, before, after *Issue) {
	st, n := after.Station, after.N
	was, is := standingOf(before), standingOf(after)
	if was.solvedIn != is.solvedIn {
		if was.solvedIn != "" {
			p.SRem(ctx, s.k.monthSolved(st, was.solvedIn), n)
		}
		if is.solvedIn != "" {
			p.SAdd(ctx, s.k.monthSolved(st, is.solvedIn), n)
		}
	}
	if was.solvedIn != is.solvedIn || was.solvedBy != is.solvedBy {
		if was.solvedIn != "" && was.solvedBy != "" {
			p.SRem(ctx, s.k.monthOfficeSolved(st, was.solvedIn, was.solvedBy), n)
		}
		if is.solvedIn != "" && is.solvedBy != "" {
			p.SAdd(ctx, s.k.monthOfficeSolved(st, is.solvedIn, is.solvedBy), n)
		}
	}
	if was.ratedIn != is.ratedIn || was.satisfied != is.satisfied {
		if was.ratedIn != "" {
			p.SRem(ctx, s.k.monthRated(st, was.ratedIn), n)
			p.SRem(ctx, s.k.monthSatisfied(st, was.ratedIn), n)
		}
		if is.ratedIn != "" {
			p.SAdd(ctx, s.k.monthRated(st, is.ratedIn), n)
			if is.satisfied {
				p.SAdd(ctx, s.k.monthSatisfied(st, is.ratedIn), n)
			}
		}
	}
	if before.EscalatedAt.IsZero() && !after.EscalatedAt.IsZero() {
		p.HIncrBy(ctx, s.k.monthStats(st, statMonth(after.EscalatedAt)), "escalated", 1)
	}
}

// countPeople queues, in p, that the people userKeys took part in station
// st's life in the month of now. The sender of the message being served
// (see WithIdentity) is counted once a month: their record in the station
// keeps the month they were last counted in (memberCounted), set in the
// same MULTI as the add, and read with the message's claim anyway. Adding
// them again that month would change nothing, and on the embedded store
// would still be a write.
func (s *Store) countPeople(ctx context.Context, p redis.Pipeliner, st int64, now time.Time, userKeys ...string) {
	month := statMonth(now)
	members := make([]any, 0, len(userKeys))
	for _, k := range userKeys {
		if k == "" {
			continue
		}
		if sender, ok := senderAhead(ctx, st, k); ok {
			if sender.counted == month {
				continue
			}
			if sender.member {
				// Only a record the station already has: this must not
				// make one.
				p.HSet(ctx, s.k.member(st, k), memberCounted, month)
			}
		}
		members = append(members, k)
	}
	if len(members) > 0 {
		p.SAdd(ctx, s.k.monthPeople(st, month), members...)
	}
}

// FiledByCategory counts station st's problems reported in the month
// containing t by category, from the problems themselves: the month's
// Filed, broken down. Problems are numbered as they are reported, so it
// reads newest first and stops at the first one reported before the month.
func (s *Store) FiledByCategory(ctx context.Context, st int64, t time.Time) (map[string]int64, error) {
	month := statMonth(t)
	counts := map[string]int64{}
	const page = 200
	for offset := 0; ; offset += page {
		issues, total, err := s.ListIssuesPage(ctx, st, FilterAll, "", offset, page)
		if err != nil {
			return nil, err
		}
		for _, is := range issues {
			switch m := statMonth(is.Created); {
			case m == month:
				counts[is.Category]++
			case m < month:
				return counts, nil
			}
		}
		if len(issues) < page || int64(offset+page) >= total {
			return counts, nil
		}
	}
}
