package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// TestFiguresMatchHistory is a property test of the monthly figures: it
// plays random histories through the store — problems reported, accepted,
// escalated, resolved (again and again), rated and re-rated, reopened, and
// every kind of participation — across month boundaries, then recomputes
// every figure of every month from the list of what happened, by plain Go
// that shares nothing with the store (wantFigures), and compares.
//
// It can fail, and was seen to with each of these changes to the store:
// dropping the SRem of the solved set in recountIssue (a problem resolved,
// reopened and resolved again counts in both months, and a reopened one
// still looks solved); dropping the SRem of the rated set (a 不满意 later
// corrected to 满意 still counts); counting only 满意 as satisfied;
// counting people a few days off (or all time, as MonthStats once did,
// which gives people to the month before the station existed); counting
// the leader who recorded a payment instead of the household that paid.
func TestFiguresMatchHistory(t *testing.T) {
	const histories, steps = 5, 60
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		s := newStore(b)
		for seed := uint64(1); seed <= histories; seed++ {
			h := playHistory(t, s, seed, steps)
			for _, month := range h.months() {
				got, err := s.MonthStats(context.Background(), h.station, month)
				if err != nil {
					t.Fatal(err)
				}
				if want := wantFigures(h.events, month); got != want {
					t.Errorf("seed %d, %s: MonthStats = %+v\nwant %+v\nhistory:\n%s",
						seed, month.Format("2006-01"), got, want, h)
				}
			}
		}
	})
}

// figureEvent is one thing that happened in a generated history, as the
// store accepted it.
type figureEvent struct {
	at   time.Time
	kind string // report accept escalate update resolve rate reopen bind pledge pay vote join signup checkin rsvp about-fund about-poll about-meeting
	who  string // user key of whoever acted
	n    int64  // the problem
	// rating of a "rate"; room of a bind, pledge or payment; amount of a
	// pledge or payment; start and minutes of a check-in's occurrence.
	rating  store.Rating
	room    string
	amount  int64
	start   time.Time
	minutes int64
}

func (e figureEvent) String() string {
	return fmt.Sprintf("%s %-8s %s #%d %s %s %d", e.at.In(calendar.Shanghai).Format("01-02 15:04"), e.kind,
		e.who, e.n, e.rating, e.room, e.amount)
}

// history is a generated history and the station it was played on.
type history struct {
	station int64
	first   time.Time
	events  []figureEvent
}

func (h *history) String() string {
	var b strings.Builder
	for _, e := range h.events {
		b.WriteString("  " + e.String() + "\n")
	}
	return b.String()
}

// months are the months to compare: the one before the station was
// created (which must show nothing), and every month an event fell in or
// credited.
func (h *history) months() []time.Time {
	first := monthOf(h.first).AddDate(0, -1, 0)
	last := first
	for _, e := range h.events {
		for _, t := range []time.Time{e.at, e.start} {
			if m := monthOf(t); !t.IsZero() && m.After(last) {
				last = m
			}
		}
	}
	var out []time.Time
	for m := first; !m.After(last); m = m.AddDate(0, 1, 0) {
		out = append(out, m)
	}
	return out
}

func monthOf(t time.Time) time.Time {
	t = t.In(calendar.Shanghai)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, calendar.Shanghai)
}

func sameMonth(t, month time.Time) bool { return !t.IsZero() && monthOf(t).Equal(month) }

// playHistory makes a station and plays a random history of steps actions
// on it. The generator keeps just enough state to pick actions the
// handlers would allow (a problem is rated only when resolved, and so on).
func playHistory(t *testing.T, s *store.Store, seed uint64, steps int) *history {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	now := time.Date(2026, 1, 27, 9, 0, 0, 0, calendar.Shanghai)
	chat := bot.Chat{Platform: "console", ID: fmt.Sprintf("fig%d", seed), Kind: bot.Group, Title: "图表小区"}
	st, err := s.CreateStation(ctx, "图表站", chat, head, now)
	if err != nil {
		t.Fatal(err)
	}
	h := &history{station: st.ID, first: now}
	fund, err := s.CreateFund(ctx, st.ID, store.NewFund{Title: "安全门", Goal: 1_000_000, By: head}, now)
	if err != nil {
		t.Fatal(err)
	}
	poll, err := s.CreatePoll(ctx, st.ID, store.NewPoll{Question: "颜色", Options: []string{"灰", "绿"},
		By: head}, now)
	if err != nil {
		t.Fatal(err)
	}
	team, err := s.CreateTeam(ctx, st.ID, store.Team{Name: "督导队"}, now)
	if err != nil {
		t.Fatal(err)
	}
	shift, err := s.CreateShift(ctx, st.ID, store.Shift{Team: team.ID, Spec: "0 6 * * *", Duration: 2 * time.Hour,
		Places: 50}, now)
	if err != nil {
		t.Fatal(err)
	}
	meeting, err := s.CreateMeeting(ctx, st.ID, store.Meeting{At: now.AddDate(0, 6, 0), Topic: "议事"}, now)
	if err != nil {
		t.Fatal(err)
	}

	residents := make([]bot.User, 8)
	for i := range residents {
		residents[i] = bot.User{Platform: "console", ID: fmt.Sprintf("r%d", i), Name: fmt.Sprintf("居民%d", i)}
	}
	rooms := []string{"1-1-101", "1-1-102", "2-1-201"}
	type problem struct {
		status   store.IssueStatus
		reporter bot.User
	}
	var problems []*problem
	type occurrence struct {
		who bot.User
		day string
	}
	var signedUp []occurrence
	held := map[occurrence]bool{}

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %d: %v\nhistory so far:\n%s", seed, err, h)
		}
	}
	record := func(e figureEvent) {
		e.at = cmpOr(e.at, now)
		h.events = append(h.events, e)
	}
	// change plays one lifecycle step on problem n.
	change := func(n int64, by bot.User, kind store.IssueEventKind, apply func(is *store.Issue)) {
		_, err := s.ChangeIssue(ctx, st.ID, n, now, func(is *store.Issue) (store.IssueEvent, error) {
			apply(is)
			return store.IssueEvent{By: by.Key(), ByName: by.Name, Kind: kind}, nil
		})
		must(err)
	}
	pick := func(ok func(*problem) bool) int64 {
		var ns []int64
		for i, p := range problems {
			if ok(p) {
				ns = append(ns, int64(i+1))
			}
		}
		if len(ns) == 0 {
			return 0
		}
		return ns[rng.IntN(len(ns))]
	}

	for range steps {
		// Mostly hours apart, sometimes days, so histories cross months.
		now = now.Add(time.Duration(rng.IntN(50)) * time.Hour).Add(time.Duration(rng.IntN(60)) * time.Minute)
		who := residents[rng.IntN(len(residents))]
		room := rooms[rng.IntN(len(rooms))]
		switch rng.IntN(15) {
		case 0, 1:
			is, err := s.ReportIssue(ctx, st.ID, store.NewIssue{Reporter: who, Text: "问题", Category: "other"}, now)
			must(err)
			problems = append(problems, &problem{status: store.IssueOpen, reporter: who})
			record(figureEvent{kind: "report", who: who.Key(), n: is.N})
		case 2:
			if n := pick(func(p *problem) bool { return p.status.IsOpen() }); n != 0 {
				kind := []store.IssueEventKind{store.EventAccepted, store.EventEscalated, store.EventUpdate}[rng.IntN(3)]
				change(n, head, kind, func(is *store.Issue) {
					switch kind {
					case store.EventAccepted:
						is.Status = store.IssueAccepted
					case store.EventEscalated:
						is.Status, is.EscalatedTo = store.IssueEscalated, store.Community
					}
				})
				if kind != store.EventUpdate {
					problems[n-1].status = store.IssueAccepted
				}
				record(figureEvent{kind: map[store.IssueEventKind]string{store.EventAccepted: "accept",
					store.EventEscalated: "escalate", store.EventUpdate: "update"}[kind], who: head.Key(), n: n})
			}
		case 3, 4:
			if n := pick(func(p *problem) bool { return p.status.IsOpen() }); n != 0 {
				change(n, head, store.EventResolved, func(is *store.Issue) { is.Status = store.IssueResolved })
				problems[n-1].status = store.IssueResolved
				record(figureEvent{kind: "resolve", who: head.Key(), n: n})
			}
		case 5, 6:
			if n := pick(func(p *problem) bool { return p.status == store.IssueResolved }); n != 0 {
				p := problems[n-1]
				rating := []store.Rating{store.RatingSatisfied, store.RatingFair, store.RatingUnsatisfied}[rng.IntN(3)]
				p.status = store.IssueClosed
				if rating == store.RatingUnsatisfied {
					p.status = store.IssueOpen
				}
				change(n, p.reporter, store.EventRated, func(is *store.Issue) { is.Rating, is.Status = rating, p.status })
				record(figureEvent{kind: "rate", who: p.reporter.Key(), n: n, rating: rating})
			}
		case 7:
			if n := pick(func(p *problem) bool { return !p.status.IsOpen() }); n != 0 {
				p := problems[n-1]
				change(n, p.reporter, store.EventReopened, func(is *store.Issue) { is.Status, is.Rating = store.IssueOpen, "" })
				p.status = store.IssueOpen
				record(figureEvent{kind: "reopen", who: p.reporter.Key(), n: n})
			}
		case 8:
			must(s.BindRoom(ctx, st.ID, who, mustRoom(t, room), now))
			record(figureEvent{kind: "bind", who: who.Key(), room: room})
		case 9:
			amount := int64(1+rng.IntN(3)) * 10_000
			if rng.IntN(2) == 0 {
				_, err := s.Pledge(ctx, st.ID, fund.N, mustRoom(t, room), amount, who, now)
				must(err)
				record(figureEvent{kind: "pledge", who: who.Key(), room: room, amount: amount})
			} else {
				_, err := s.RecordPayment(ctx, st.ID, fund.N, mustRoom(t, room), amount, head, now)
				must(err)
				record(figureEvent{kind: "pay", who: head.Key(), room: room, amount: amount})
			}
		case 10:
			_, err := s.CastVote(ctx, st.ID, poll.N, store.Ballot{User: who, Option: rng.IntN(2)}, now)
			must(err)
			record(figureEvent{kind: "vote", who: who.Key()})
		case 11:
			if rng.IntN(2) == 0 {
				_, err := s.JoinTeam(ctx, st.ID, team.ID, who, now)
				must(err)
				record(figureEvent{kind: "join", who: who.Key()})
			} else {
				must(s.RSVP(ctx, st.ID, meeting.N, who, rng.IntN(2) == 0, now))
				record(figureEvent{kind: "rsvp", who: who.Key()})
			}
		case 12:
			o := occurrence{who: who, day: store.DayKey(now.AddDate(0, 0, 1))}
			if held[o] {
				continue
			}
			_, err := s.Signup(ctx, st.ID, shift.N, o.day, who, "", now)
			must(err)
			held[o] = true
			signedUp = append(signedUp, o)
			record(figureEvent{kind: "signup", who: who.Key()})
		case 13:
			if len(signedUp) == 0 {
				continue
			}
			i := rng.IntN(len(signedUp))
			o := signedUp[i]
			signedUp = append(signedUp[:i], signedUp[i+1:]...)
			day, err := store.ParseDayKey(o.day)
			must(err)
			start, _ := shift.StartOn(day)
			// From half an hour early to ten minutes before the end;
			// check-ins happen at the shift, not at the history's clock.
			at := start.Add(time.Duration(rng.IntN(140)-30) * time.Minute)
			res, err := s.CheckIn(ctx, st.ID, shift.N, o.day, o.who, at, 10*time.Minute)
			must(err)
			minutes := int64(shift.Duration / time.Minute)
			if at.After(start) {
				minutes = int64(start.Add(shift.Duration).Sub(at) / time.Minute)
			}
			if int64(res.Minutes) != minutes {
				t.Fatalf("seed %d: check-in at %s credited %d minutes; want %d", seed, at, res.Minutes, minutes)
			}
			record(figureEvent{at: at, kind: "checkin", who: o.who.Key(), start: start, minutes: minutes})
		case 14:
			// A campaign, a poll or a meeting opened about a problem; only
			// the first two make it one decided together.
			n := pick(func(*problem) bool { return true })
			if n == 0 {
				continue
			}
			kind := []string{"fund", "poll", "meeting"}[rng.IntN(3)]
			var err error
			switch kind {
			case "fund":
				_, err = s.CreateFund(ctx, st.ID, store.NewFund{Title: "安全门", Goal: 10_000, By: head, About: n}, now)
			case "poll":
				_, err = s.CreatePoll(ctx, st.ID, store.NewPoll{Question: "款式", Options: []string{"甲", "乙"}, By: head, About: n}, now)
			case "meeting":
				_, err = s.CreateMeeting(ctx, st.ID, store.Meeting{At: now.AddDate(0, 0, 3), Topic: "商量", About: n}, now)
			}
			must(err)
			record(figureEvent{kind: "about-" + kind, who: head.Key(), n: n})
		}
	}
	return h
}

func cmpOr(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// wantFigures computes a month's figures from a history's events alone,
// following the definitions in README.md ("Figures") step by step.
func wantFigures(events []figureEvent, month time.Time) store.MonthStats {
	var out store.MonthStats
	type problemState struct {
		open          bool
		lastResolved  time.Time
		firstEscalate time.Time
		rating        store.Rating // the standing rating, "" after a reopen
		ratedAt       time.Time
		together      bool // a campaign or a poll was opened about it
	}
	problems := map[int64]*problemState{}
	people := map[string]bool{}
	roomOf := map[string]string{} // person -> household
	pledged := map[string]int64{} // household -> pledge
	inTeam := map[string]bool{}   // person -> member
	takesPart := func(at time.Time, who ...string) {
		if sameMonth(at, month) {
			for _, w := range who {
				people[w] = true
			}
		}
	}
	for _, e := range events {
		p := problems[e.n]
		switch e.kind {
		case "report":
			problems[e.n] = &problemState{open: true}
			if sameMonth(e.at, month) {
				out.Filed++
			}
			takesPart(e.at, e.who)
		case "escalate":
			if p.firstEscalate.IsZero() {
				p.firstEscalate = e.at
			}
		case "resolve":
			p.open, p.lastResolved = false, e.at
		case "rate":
			p.rating, p.ratedAt = e.rating, e.at
			p.open = e.rating == store.RatingUnsatisfied
			takesPart(e.at, e.who)
		case "reopen":
			p.open, p.rating = true, ""
		case "about-fund", "about-poll":
			p.together = true
		case "bind":
			roomOf[e.who] = e.room
		case "pledge":
			if pledged[e.room] != e.amount {
				pledged[e.room] = e.amount
				takesPart(e.at, e.who)
			}
		case "pay":
			if pledged[e.room] == 0 {
				pledged[e.room] = e.amount
			}
			if sameMonth(e.at, month) {
				out.CollectedFen += e.amount
			}
			for person, room := range roomOf {
				if room == e.room {
					takesPart(e.at, person)
				}
			}
		case "join":
			if !inTeam[e.who] {
				inTeam[e.who] = true
				takesPart(e.at, e.who)
			}
		case "checkin":
			if sameMonth(e.start, month) {
				out.VolunteerMinutes += e.minutes
			}
			takesPart(e.at, e.who)
		case "vote", "signup", "rsvp":
			takesPart(e.at, e.who)
		}
	}
	for _, p := range problems {
		if !p.open && sameMonth(p.lastResolved, month) {
			out.Solved++
			if p.together {
				out.SolvedTogether++
			}
		}
		if sameMonth(p.firstEscalate, month) {
			out.Escalated++
		}
		if p.rating != "" && sameMonth(p.ratedAt, month) {
			out.Rated++
			if p.rating != store.RatingUnsatisfied {
				out.Satisfied++
			}
		}
	}
	out.People = int64(len(people))
	return out
}
