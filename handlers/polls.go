package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/scheduler"
)

// Limits on a poll's words.
const (
	maxPollQuestionRunes = 100
	maxPollOptionRunes   = 30
	maxPollOptions       = 10
	// maxNonVotersShown bounds the names in one private list of who has not
	// voted.
	maxNonVotersShown = 100
)

// poll serves /poll QUESTION | A | B …, /poll [list], /poll N, /poll remind
// N and /poll close N.
func (a *App) poll(ctx context.Context, r bot.Responder, m *bot.Message) error {
	args := strings.TrimSpace(m.Args)
	sub, rest, _ := strings.Cut(args, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(sub) {
	case "", "list", "列表":
		return a.listPolls(ctx, r)
	case "remind", "提醒", "催":
		return a.remindPoll(ctx, r, m, rest)
	case "close", "结束", "关闭":
		return a.closePollNow(ctx, r, m, rest)
	}
	if n, err := parseKindRef(args, pollRef); err == nil {
		return a.pollResults(ctx, r, m, n)
	}
	if wrong := wrongKind(ctx, args, pollRef); wrong != nil {
		return wrong
	}
	return a.openPoll(ctx, r, m, args)
}

func (a *App) openPoll(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, _, err := requireAny(ctx, store.RoleDeputy)
	if err != nil {
		return err
	}
	about, args, err := a.aboutProblem(ctx, st.ID, args, "usage_poll")
	if err != nil {
		return err
	}
	form, err := parsePollForm(args, a.now())
	var de *dateArgError
	if errors.As(err, &de) {
		return whenError(ctx, de.err, "usage_poll")
	}
	if err != nil {
		return err
	}
	chat := groupOf(m)
	p, err := a.store.CreatePoll(ctx, st.ID, store.NewPoll{Question: bot.OneLine(m.Raw(form.Question)), Options: oneLines(rawParts(m, form.Options)),
		Deadline: form.Deadline, PerHousehold: form.PerHousehold, By: m.Sender, Chat: chat, About: about}, a.now())
	if err != nil {
		return err
	}
	a.linked(ctx, st, about)
	if !p.Deadline.IsZero() {
		id := pollCloseJobID(st.ID, p.N)
		if err := a.sched.Schedule(ctx, scheduler.Reminder{ID: id, At: p.Deadline, Job: jobPollClose, Payload: id}); err != nil {
			return err
		}
	}
	a.broadcast(ctx, st, tr(ctx, "poll_notice", a.pollArgs(ctx, p)), voteButtons(p)...)
	return r.ReplyPrivately(ctx, tr(ctx, "poll_opened", a.pollArgs(ctx, p)))
}

// voteButtons offer each option on a row of its own; pressing one sends
// /vote N K.
func voteButtons(p *store.Poll) [][]bot.Button {
	out := make([][]bot.Button, len(p.Options))
	for i, o := range p.Options {
		out[i] = []bot.Button{{Label: o, Data: fmt.Sprintf("/vote %d %d", p.N, i+1)}}
	}
	return out
}

// pollArgs are the template arguments every sentence about p may use.
func (a *App) pollArgs(ctx context.Context, p *store.Poll) i18n.Args {
	lines := make([]string, len(p.Options))
	for i, o := range p.Options {
		lines[i] = fmt.Sprintf("%d. %s", i+1, o)
	}
	args := i18n.Args{"N": p.N, "Question": p.Question, "Options": strings.Join(lines, "\n"),
		"OptionsInline": strings.Join(lines, "  "), "PerHousehold": p.PerHousehold, "Deadline": "",
		"Closed": p.Closed || !p.Open(a.now()), "About": p.About}
	if !p.Deadline.IsZero() {
		args["Deadline"] = formatWhen(ctx, p.Deadline)
	}
	return args
}

// findPoll returns poll n, or the reply that it does not exist.
func (a *App) findPoll(ctx context.Context, st, n int64) (*store.Poll, error) {
	p, err := a.store.Poll(ctx, st, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, say("poll_not_found", i18n.Args{"N": n})
	}
	return p, err
}

// listPolls answers /poll with no number: the polls still open.
func (a *App) listPolls(ctx context.Context, r bot.Responder) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	list, err := a.store.OpenPolls(ctx, st.ID)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return r.Reply(ctx, tr(ctx, "poll_none_open"))
	}
	shown := newest(list, groupListMax)
	return r.Reply(ctx, listText(tr(ctx, "poll_list_header", i18n.Args{"Count": len(list)}), shown, func(p *store.Poll) string {
		return tr(ctx, "poll_list_line", a.pollArgs(ctx, p))
	}, moreLine(ctx, "poll_list_more", len(shown), int64(len(list))), tr(ctx, "poll_list_footer")))
}

// vote serves /vote N OPTION: voting again replaces the vote; in a
// per-household poll the household's last vote counts, whoever cast it, and
// a change is told privately to the others bound to the household. Ballots
// are secret: only the voter reads the confirmation.
func (a *App) vote(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	first, _, _ := strings.Cut(strings.TrimSpace(m.Args), " ")
	if wrong := wrongKind(ctx, first, pollRef); wrong != nil {
		return wrong
	}
	args, err := parseVoteArgs(m.Args)
	if err != nil {
		return err
	}
	n := args.N
	if n == 0 {
		p, err := a.pickPoll(ctx, st.ID, 0)
		if err != nil {
			return err
		}
		n = p.N
	}
	me := sessionFrom(ctx).member()
	// The option is matched against the poll as it is read under its
	// lease, with the earlier votes, in one round trip.
	choose := func(p *store.Poll) (int, error) {
		opt, ok := matchOption(p.Options, args.Option)
		if !ok {
			pa := a.pollArgs(ctx, p)
			pa["Word"] = clip(args.Option)
			return 0, say("poll_unknown_option", pa)
		}
		if p.PerHousehold && me.Room == "" {
			return 0, say("poll_needs_room", i18n.Args{"N": p.N})
		}
		return opt, nil
	}
	ballot := store.Ballot{User: m.Sender, Room: me.Room}
	p, prev, err := a.store.CastVoteChoosing(ctx, st.ID, n, ballot, a.now(), choose)
	switch {
	case errors.Is(err, store.ErrPollClosed):
		return say("poll_closed", i18n.Args{"N": n})
	case errors.Is(err, store.ErrNotFound):
		return say("poll_not_found", i18n.Args{"N": n})
	case err != nil:
		return err
	}
	opt, _ := matchOption(p.Options, args.Option)
	reply := i18n.Args{"N": p.N, "Option": p.Options[opt], "Room": roomKeyText(ctx, me.Room),
		"Prev": "", "PrevWho": "", "Told": false}
	key := "poll_voted"
	if p.PerHousehold {
		key = "poll_voted_household"
	}
	if prev != nil && prev.Option >= 0 && prev.Option < len(p.Options) {
		reply["Prev"], reply["PrevWho"] = p.Options[prev.Option], prev.Name
		switch {
		case prev.Option == opt && prev.UserKey == m.Sender.Key():
			key = "poll_vote_same"
		case prev.Option == opt:
			key = "poll_vote_same_household"
		case prev.UserKey != m.Sender.Key():
			key = "poll_vote_replaced_household"
		default:
			key = "poll_vote_changed"
		}
		if p.PerHousehold && prev.Option != opt {
			// The vote is already counted, so a failure to tell is logged,
			// not answered.
			reply["Told"] = a.tellHousehold(ctx, st, me.Room, m.Sender, func(ctx context.Context) string {
				return tr(ctx, "poll_household_changed", i18n.Args{"N": p.N, "Question": p.Question,
					"Room": roomKeyText(ctx, me.Room), "Who": m.Sender.Name, "Option": p.Options[opt], "Prev": p.Options[prev.Option]})
			}) > 0
		}
	}
	// The group reads only that the answer went privately: a ballot is
	// secret, and so is who in a household voted what.
	return replyPersonal(ctx, r, m, "", tr(ctx, key, reply))
}

// pickPoll returns poll n, or with n = 0 the one open poll.
func (a *App) pickPoll(ctx context.Context, st, n int64) (*store.Poll, error) {
	if n != 0 {
		return a.findPoll(ctx, st, n)
	}
	list, err := a.store.OpenPolls(ctx, st)
	if err != nil {
		return nil, err
	}
	switch len(list) {
	case 0:
		return nil, say("poll_none_open")
	case 1:
		return list[0], nil
	}
	refs := make([]string, len(list))
	for i, p := range list {
		refs[i] = tr(ctx, "poll_ref", i18n.Args{"N": p.N, "Question": clipN(p.Question, 12)})
	}
	return nil, say("poll_which", i18n.Args{"List": strings.Join(refs, tr(ctx, "list_sep"))})
}

// pollResultText writes the count for each option and what came first.
func (a *App) pollResultText(ctx context.Context, p *store.Poll, votes []store.Vote) string {
	counts := p.Tally(votes)
	total := len(votes)
	var b strings.Builder
	for i, o := range p.Options {
		pct := 0
		if total > 0 {
			pct = (counts[i]*200 + total) / (2 * total) // rounded: 2 of 3 is 67%
		}
		b.WriteString("\n" + tr(ctx, "poll_result_line", i18n.Args{"K": i + 1, "Option": o, "Count": counts[i], "Percent": pct,
			"Bar": shareBar(int64(counts[i]), int64(total))}))
	}
	b.WriteString("\n" + tr(ctx, "poll_result_total", i18n.Args{"Count": total, "PerHousehold": p.PerHousehold}))
	top, best := p.Leaders(votes)
	switch {
	case len(top) == 1:
		b.WriteString("\n" + tr(ctx, "poll_result_leader", i18n.Args{"Option": top[0], "Count": best, "Closed": p.Closed}))
	case len(top) > 1:
		b.WriteString("\n" + tr(ctx, "poll_result_tie", i18n.Args{"Options": quoteOptions(ctx, top), "Count": best, "Closed": p.Closed}))
	}
	return b.String()
}

// quoteOptions writes options as the reader's language quotes them:
// 「王力」、「步阳」.
func quoteOptions(ctx context.Context, options []string) string {
	quoted := make([]string, len(options))
	for i, o := range options {
		quoted[i] = tr(ctx, "poll_quoted", i18n.Args{"Option": o})
	}
	return strings.Join(quoted, tr(ctx, "list_sep"))
}

// pollResults answers /poll N: the count so far, which is all a group
// reads. Asked privately, it also tells the asker their own vote; staff also
// get, privately, who has not voted.
func (a *App) pollResults(ctx context.Context, r bot.Responder, m *bot.Message, n int64) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	p, err := a.findPoll(ctx, st.ID, n)
	if err != nil {
		return err
	}
	votes, err := a.store.Votes(ctx, st.ID, n)
	if err != nil {
		return err
	}
	text := tr(ctx, "poll_results_header", a.pollArgs(ctx, p)) + a.pollResultText(ctx, p, votes)
	me := sessionFrom(ctx).member()
	if m.IsPrivate() {
		if own := a.ownVoteText(ctx, p, votes, m.Sender, me); own != "" {
			text += "\n" + own
		}
	}
	if err := r.Reply(ctx, text); err != nil {
		return err
	}
	if !me.IsStaff() || !p.Open(a.now()) {
		return nil
	}
	missing, err := a.nonVoters(ctx, p, votes)
	if err != nil {
		return err
	}
	if len(missing) == 0 {
		return r.ReplyPrivately(ctx, tr(ctx, "poll_all_voted", i18n.Args{"N": p.N}))
	}
	labels := make([]string, 0, len(missing))
	for _, nv := range missing {
		labels = append(labels, nv.label)
	}
	if len(labels) > maxNonVotersShown {
		labels = append(labels[:maxNonVotersShown], "…")
	}
	return r.ReplyPrivately(ctx, tr(ctx, "poll_non_voters", i18n.Args{"N": p.N, "Count": len(missing),
		"PerHousehold": p.PerHousehold, "List": strings.Join(labels, tr(ctx, "list_sep"))}))
}

// ownVoteText tells the asker what they (or, in a per-household poll, their
// household) voted on p, or that they have not; "" when they cannot vote on
// it. It is for the asker alone.
func (a *App) ownVoteText(ctx context.Context, p *store.Poll, votes []store.Vote, u bot.User, me *store.Member) string {
	voter := u.Key()
	if p.PerHousehold {
		if me == nil || me.Room == "" {
			return ""
		}
		voter = me.Room
	}
	for _, v := range votes {
		if v.Voter != voter || v.Option < 0 || v.Option >= len(p.Options) {
			continue
		}
		who := ""
		if v.UserKey != u.Key() {
			who = v.Name
		}
		return tr(ctx, "poll_your_vote", i18n.Args{"Household": p.PerHousehold, "Option": p.Options[v.Option], "Who": who})
	}
	return tr(ctx, "poll_your_no_vote", i18n.Args{"Household": p.PerHousehold, "N": p.N, "Open": p.Open(a.now())})
}

// nonVoter is a person, or a household with the people bound to it, that
// has not voted.
type nonVoter struct {
	label  string
	people []*store.Member
}

// nonVoters returns who has not voted on p: the station's households for a
// per-household poll, its members otherwise.
func (a *App) nonVoters(ctx context.Context, p *store.Poll, votes []store.Vote) ([]nonVoter, error) {
	voted := map[string]bool{}
	for _, v := range votes {
		voted[v.Voter] = true
	}
	members, err := a.store.Members(ctx, p.Station)
	if err != nil {
		return nil, err
	}
	var out []nonVoter
	if !p.PerHousehold {
		for _, mb := range members {
			if !voted[mb.UserKey] {
				out = append(out, nonVoter{label: mb.Name, people: []*store.Member{mb}})
			}
		}
		slices.SortStableFunc(out, func(x, y nonVoter) int { return strings.Compare(x.label, y.label) })
		return out, nil
	}
	hs, err := a.store.Households(ctx, p.Station)
	if err != nil {
		return nil, err
	}
	byRoom := map[string][]*store.Member{}
	for _, mb := range members {
		if mb.Room != "" {
			byRoom[mb.Room] = append(byRoom[mb.Room], mb)
		}
	}
	for _, h := range hs {
		if !voted[h.Room.Key()] {
			out = append(out, nonVoter{label: roomName(ctx, h.Room), people: byRoom[h.Room.Key()]})
		}
	}
	return out, nil
}

// remindPoll serves /poll remind N: privately reminds only those who have
// not voted. Households nobody is bound to are listed for the building
// leaders to visit.
func (a *App) remindPoll(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, _, err := requireAny(ctx, store.RoleDeputy)
	if err != nil {
		return err
	}
	n, _, err := parseKindRefArg(ctx, args, "usage_poll_remind", pollRef)
	if err != nil {
		return err
	}
	p, err := a.findPoll(ctx, st.ID, n)
	if err != nil {
		return err
	}
	if !p.Open(a.now()) {
		return say("poll_closed", i18n.Args{"N": n})
	}
	votes, err := a.store.Votes(ctx, st.ID, n)
	if err != nil {
		return err
	}
	missing, err := a.nonVoters(ctx, p, votes)
	if err != nil {
		return err
	}
	if len(missing) == 0 {
		return say("poll_all_voted", i18n.Args{"N": n})
	}
	text := tr(ctx, "poll_reminder", a.pollArgs(ctx, p))
	people := 0
	var unreachable []string
	for _, nv := range missing {
		if len(nv.people) == 0 {
			unreachable = append(unreachable, nv.label)
			continue
		}
		for _, mb := range nv.people {
			u := userFromKey(mb.UserKey, mb.Name)
			// No group fallback: a reminder that names a neighbour in the
			// group would be a public reproach.
			a.send(ctx, bot.Outgoing{Chat: u.PrivateChat(), Text: text, Buttons: voteButtons(p)})
			people++
		}
	}
	if err := r.Reply(ctx, tr(ctx, "poll_reminded", i18n.Args{"N": n, "People": people})); err != nil {
		return err
	}
	if len(unreachable) == 0 {
		return nil
	}
	if len(unreachable) > maxNonVotersShown {
		unreachable = append(unreachable[:maxNonVotersShown], "…")
	}
	return r.ReplyPrivately(ctx, tr(ctx, "poll_unreachable", i18n.Args{"N": n, "Count": len(unreachable),
		"List": strings.Join(unreachable, tr(ctx, "list_sep"))}))
}

// closePollNow serves /poll close N: the poll ends now and the result is
// posted in every group.
func (a *App) closePollNow(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, _, err := requireAny(ctx, store.RoleDeputy)
	if err != nil {
		return err
	}
	n, _, err := parseKindRefArg(ctx, args, "usage_poll_close", pollRef)
	if err != nil {
		return err
	}
	if _, err := a.findPoll(ctx, st.ID, n); err != nil {
		return err
	}
	p, closedNow, err := a.store.ClosePoll(ctx, st.ID, n, a.now())
	if err != nil {
		return err
	}
	if !closedNow {
		return say("poll_closed", i18n.Args{"N": n})
	}
	if err := a.sched.Cancel(ctx, pollCloseJobID(st.ID, n)); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	sent, err := a.announcePollResult(ctx, st, p)
	if err != nil {
		return err
	}
	if m.IsPrivate() || sent == 0 {
		return r.Reply(ctx, tr(ctx, "poll_closed_done", i18n.Args{"N": n}))
	}
	return nil
}

// announcePollResult posts the final result of p in every group.
func (a *App) announcePollResult(ctx context.Context, st *store.Station, p *store.Poll) (int, error) {
	votes, err := a.store.Votes(ctx, st.ID, p.N)
	if err != nil {
		return 0, err
	}
	text := tr(ctx, "poll_final_header", a.pollArgs(ctx, p)) + a.pollResultText(ctx, p, votes)
	return a.broadcast(ctx, st, text), nil
}
