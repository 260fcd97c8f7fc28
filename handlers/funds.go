package handlers

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/handlers/chart"
)

// Limits on what a campaign's words may be.
const (
	maxFundTitleRunes = 30
	maxSpendRunes     = 100
	// ledgerDetailLimit is how many of the latest ledger entries 账目 N 明细
	// shows; the export has them all.
	ledgerDetailLimit = 60
)

// fund serves /fund [N], /fund new …, /fund close N and /fund list.
func (a *App) fund(ctx context.Context, r bot.Responder, m *bot.Message) error {
	args := strings.TrimSpace(m.Args)
	sub, rest, _ := strings.Cut(args, " ")
	rest = strings.TrimSpace(rest)
	if _, _, about, _ := cutAbout(args); about {
		// 众筹 关于 #12 安全门 …: the 新建 left out.
		return a.openFund(ctx, r, m, args)
	}
	switch strings.ToLower(sub) {
	case "new", "新建", "发起", "开":
		return a.openFund(ctx, r, m, rest)
	case "close", "结束", "关闭":
		return a.closeFund(ctx, r, m, rest)
	case "list", "列表", "全部":
		return a.listFunds(ctx, r)
	case "":
		return a.fundProgress(ctx, r, m, 0)
	}
	n, err := parseKindRef(args, fundRef)
	if wrong := wrongKind(ctx, args, fundRef); wrong != nil {
		return wrong
	}
	if err != nil {
		return badForm("usage_fund", "unknown_subcommand", i18n.Args{"Word": clip(sub)})
	}
	return a.fundProgress(ctx, r, m, n)
}

func (a *App) openFund(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, _, err := requireAny(ctx)
	if err != nil {
		return err
	}
	about, args, err := a.aboutProblem(ctx, st.ID, args, "usage_fund_new")
	if err != nil {
		return err
	}
	form, err := parseFundForm(args, a.now())
	var de *dateArgError
	if errors.As(err, &de) {
		return whenError(ctx, de.err, "usage_fund_new")
	}
	if err != nil {
		return err
	}
	chat := groupOf(m)
	f, err := a.store.CreateFund(ctx, st.ID, store.NewFund{Title: bot.OneLine(m.Raw(form.Title)), Goal: form.Goal, PerHousehold: form.Per,
		Deadline: form.Deadline, Buildings: form.Buildings, By: m.Sender, Chat: chat, About: about}, a.now())
	if err != nil {
		return err
	}
	a.linked(ctx, st, about)
	if err := a.scheduleFundChase(ctx, f); err != nil {
		a.log.Warn("chasing reminders not scheduled", "campaign", f.N, "err", err)
	}
	open, err := a.store.OpenFunds(ctx, st.ID)
	if err != nil {
		return err
	}
	notice := a.fundArgs(ctx, f)
	notice["Example"] = pledgeExample(ctx, f, len(open))
	example := numerals.Room{Building: "3", Unit: "2", Number: "301"}
	if len(f.Buildings) > 0 {
		example.Building = f.Buildings[0]
	}
	notice["ExampleRoom"], notice["ExampleRoomKey"] = roomName(ctx, example), example.Key()
	notice["Weekday"] = weekdayName(ctx, f.Created)
	a.broadcast(ctx, st, tr(ctx, "fund_notice", notice))
	return r.ReplyPrivately(ctx, tr(ctx, "fund_opened", notice))
}

// pledgeExample is what a resident types to pledge the suggested amount:
// the campaign's number is needed only when several are open.
func pledgeExample(ctx context.Context, f *store.Fund, open int) string {
	amount := f.PerHousehold
	if amount == 0 {
		amount = 100_00
	}
	if open > 1 {
		return kindRefText(ctx, fundRef, f.N) + " " + yuanNumber(amount)
	}
	return yuanNumber(amount)
}

// fundArgs are the template arguments every sentence about f may use.
func (a *App) fundArgs(ctx context.Context, f *store.Fund) i18n.Args {
	args := i18n.Args{"N": f.N, "Title": f.Title, "Goal": fundMoney(ctx, f.Goal), "Per": "", "Deadline": "",
		"Buildings": "", "Pledged": fundMoney(ctx, f.Pledged), "Paid": fundMoney(ctx, f.Paid),
		"Spent": fundMoney(ctx, f.Spent), "Balance": fundMoney(ctx, f.Balance()),
		"Closed": f.Status == store.FundClosed, "HasSpent": f.Spent > 0, "About": f.About}
	if f.PerHousehold > 0 {
		args["Per"] = fundMoney(ctx, f.PerHousehold)
	}
	if !f.Deadline.IsZero() {
		args["Deadline"] = formatDateWeekday(ctx, f.Deadline)
	}
	if len(f.Buildings) > 0 {
		args["Buildings"] = buildingNames(ctx, f.Buildings)
	}
	return args
}

// buildingNames writes buildings as residents read them: 3幢、5幢.
func buildingNames(ctx context.Context, bs []string) string {
	names := make([]string, len(bs))
	for i, b := range bs {
		names[i] = tr(ctx, "fund_building", i18n.Args{"Building": b})
	}
	return strings.Join(names, tr(ctx, "list_sep"))
}

// pickFund returns campaign n, or with n = 0 the one open campaign; the
// error is the reply that says why there is none. With open set, a closed
// campaign is refused. example is the catalogue key of the command written
// with a campaign's number ({{.N}}), shown when several are open and the
// number was left out.
func (a *App) pickFund(ctx context.Context, st, n int64, open bool, example string) (*store.Fund, error) {
	if n == 0 {
		list, err := a.store.OpenFunds(ctx, st)
		if err != nil {
			return nil, err
		}
		switch len(list) {
		case 0:
			return nil, say("fund_none_open")
		case 1:
			return list[0], nil
		}
		return nil, say("fund_which", i18n.Args{"List": fundList(ctx, list),
			"Example": tr(ctx, example, i18n.Args{"N": list[0].N})})
	}
	f, err := a.store.Fund(ctx, st, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, say("fund_not_found", i18n.Args{"N": n})
	}
	if err != nil {
		return nil, err
	}
	if open && f.Status != store.FundOpen {
		return nil, say("fund_closed", i18n.Args{"N": n, "Title": f.Title})
	}
	return f, nil
}

func fundList(ctx context.Context, list []*store.Fund) string {
	names := make([]string, len(list))
	for i, f := range list {
		names[i] = tr(ctx, "fund_ref", i18n.Args{"N": f.N, "Title": f.Title})
	}
	return strings.Join(names, tr(ctx, "list_sep"))
}

// fundError words the store's refusals of a change to a campaign.
func fundError(ctx context.Context, err error, f *store.Fund, room numerals.Room) error {
	switch {
	case errors.Is(err, store.ErrFundClosed):
		return say("fund_closed", i18n.Args{"N": f.N, "Title": f.Title})
	case errors.Is(err, store.ErrRoomUnknown):
		return say("room_not_in_roster", i18n.Args{"Room": roomName(ctx, room)})
	}
	return err
}

// pledge serves /pledge [N] AMOUNT [ROOM]: a resident for their own
// household, a building leader for any household of their building, the
// head for any. Pledging again changes the pledge.
func (a *App) pledge(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	args, err := parseMoneyArgs(m.Args, true, "usage_pledge")
	if err != nil {
		return err
	}
	me := sessionFrom(ctx).member()
	if room, bindFirst, err := pledgeRoom(ctx, me, args.Room); err == nil && !bindFirst {
		// The campaign is read with the pledges under its lease, and
		// checked there: one read for the whole pledge.
		ch, err := a.store.PledgeChecked(ctx, st.ID, args.N, room, args.Amount, m.Sender, a.now(), func(f *store.Fund) error {
			return fundCovers(ctx, f, room)
		})
		if errors.Is(err, store.ErrNotOneOpenFund) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrFundClosed) {
			// Worded as the campaign is now, as when it is read first.
			f, ferr := a.pickFund(ctx, st.ID, args.N, true, "fund_example_pledge")
			if ferr != nil {
				return ferr
			}
			return fundError(ctx, err, f, room)
		}
		if err != nil {
			return err
		}
		return a.pledged(ctx, r, m, st, ch, args.Amount, "")
	}
	f, err := a.pickFund(ctx, st.ID, args.N, true, "fund_example_pledge")
	if err != nil {
		return err
	}
	room, bindFirst, err := pledgeRoom(ctx, me, args.Room)
	if err != nil {
		return err
	}
	if err := fundCovers(ctx, f, room); err != nil {
		return err
	}
	bound := ""
	if bindFirst {
		// A resident who never said where they live names their room by
		// pledging for it: that is their household from now on, unless
		// someone already lives there. Joining a household with members
		// takes their confirmation (登记), so a stranger cannot pledge or
		// vote for it.
		members, err := a.store.HouseholdMembers(ctx, st.ID, room.Key())
		if err != nil {
			return err
		}
		if len(members) > 0 {
			return sayPrivately("fund_pledge_household_has_members", i18n.Args{"Room": roomName(ctx, room)})
		}
		err = a.store.BindRoom(ctx, st.ID, m.Sender, room, a.now())
		if errors.Is(err, store.ErrRoomUnknown) {
			return say("room_not_in_roster", i18n.Args{"Room": roomName(ctx, room)})
		}
		if err != nil {
			return err
		}
		bound = tr(ctx, "bound", i18n.Args{"Name": m.Sender.Name, "Room": roomName(ctx, room)}) + "\n"
	}
	ch, err := a.store.Pledge(ctx, st.ID, f.N, room, args.Amount, m.Sender, a.now())
	if err != nil {
		return fundError(ctx, err, f, room)
	}
	return a.pledged(ctx, r, m, st, ch, args.Amount, bound)
}

// fundCovers refuses a pledge for room when campaign f is for other
// buildings.
func fundCovers(ctx context.Context, f *store.Fund, room numerals.Room) error {
	if f.Covers(room.Building) {
		return nil
	}
	return sayPrivately("fund_outside_scope", i18n.Args{"N": f.N, "Title": f.Title, "Room": roomName(ctx, room),
		"Buildings": buildingNames(ctx, f.Buildings)})
}

// pledged answers a pledge of amount that made ch, after bound (the line
// telling the resident their household is now the one they pledged for),
// and tells the household's other members privately.
func (a *App) pledged(ctx context.Context, r bot.Responder, m *bot.Message, st *store.Station, ch *store.ContributionChange, amount int64, bound string) error {
	progress := fundProgressLine(ctx, ch)
	reply := a.contributionArgs(ctx, ch)
	key := "fund_pledged"
	switch {
	case ch.PrevPledged == amount:
		key = "fund_pledge_same"
	case ch.PrevPledged > 0:
		key = "fund_pledge_changed"
	}
	if ch.PrevPledged != amount {
		reply["Who"], reply["Changed"] = m.Sender.Name, ch.PrevPledged > 0
		a.tellMembers(ctx, st, ch.Members, m.Sender, func(ctx context.Context) string {
			return tr(ctx, "fund_household_pledge", reply)
		})
	}
	return replyPersonal(ctx, r, m, "", bound+tr(ctx, key, reply)+"\n"+progress)
}

// pledgeRoom decides whose household a pledge is for: the one named, if the
// sender may pledge for it, or else the sender's own. bindFirst is set when
// a resident with no household names one: it becomes theirs.
func pledgeRoom(ctx context.Context, me *store.Member, named *numerals.Room) (room numerals.Room, bindFirst bool, err error) {
	if named == nil {
		if me.Room == "" {
			return room, false, badForm("usage_pledge", "fund_pledge_needs_room")
		}
		room, err = numerals.ParseRoom(me.Room)
		return room, false, err
	}
	room = *named
	switch {
	case room.Key() == me.Room, me.IsStaff(), me.LeadsBuilding(room.Building):
		return room, false, nil
	case me.Room == "":
		return room, true, nil
	}
	own, _ := numerals.ParseRoom(me.Room)
	return room, false, sayPrivately("fund_pledge_not_yours", i18n.Args{"Room": roomName(ctx, room), "Own": roomName(ctx, own)})
}

// contributionArgs are the arguments of a reply about one household's part.
func (a *App) contributionArgs(ctx context.Context, ch *store.ContributionChange) i18n.Args {
	h := ch.Household
	args := a.fundArgs(ctx, ch.Fund)
	args["Room"] = roomName(ctx, h.Room)
	args["Amount"] = fundMoney(ctx, h.Pledged)
	args["Prev"] = fundMoney(ctx, ch.PrevPledged)
	args["HouseholdPaid"] = ""
	if h.Paid > 0 {
		args["HouseholdPaid"] = fundMoney(ctx, h.Paid)
	}
	args["Short"], args["Over"] = "", ""
	if owed := h.Owed(); owed > 0 && h.Paid > 0 {
		args["Short"] = fundMoney(ctx, owed)
	} else if owed < 0 {
		args["Over"] = fundMoney(ctx, -owed)
	}
	return args
}

// fundProgressLine is the one line after a pledge or payment that says
// where the campaign stands.
func fundProgressLine(ctx context.Context, ch *store.ContributionChange) string {
	f := ch.Fund
	return tr(ctx, "fund_progress_line", i18n.Args{"N": f.N, "Households": ch.PledgedHouseholds,
		"Pledged": fundMoney(ctx, f.Pledged), "Paid": fundMoney(ctx, f.Paid), "Goal": fundMoney(ctx, f.Goal),
		"Percent": fundPercent(f.Paid, f.Goal)})
}

// countContributions returns how many households pledged and how many of
// them have paid in full.
func countContributions(cs []store.Contribution) (pledged, paidUp int) {
	for _, c := range cs {
		if c.Pledged > 0 {
			pledged++
			if c.Owed() <= 0 {
				paidUp++
			}
		}
	}
	return pledged, paidUp
}

func fundPercent(part, whole int64) int64 {
	if whole <= 0 {
		return 0
	}
	return part * 100 / whole
}

// paid serves /paid ROOM AMOUNT [N]: cash a building leader (or the head)
// collected from a household. Payments add up; more or less than pledged is
// shown and kept.
func (a *App) paid(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, me, err := requireAny(ctx, store.RoleLeader)
	if err != nil {
		return err
	}
	args, err := parseMoneyArgs(m.Args, false, "usage_paid")
	if err != nil {
		return err
	}
	if args.Room == nil {
		return badForm("usage_paid", "fund_paid_needs_room")
	}
	room := *args.Room
	if !me.Has(store.RoleHead) && !me.LeadsBuilding(room.Building) {
		return sayPrivately("fund_not_your_building", i18n.Args{"Room": roomName(ctx, room), "Buildings": buildingNames(ctx, me.Buildings)})
	}
	f, err := a.pickFund(ctx, st.ID, args.N, true, "fund_example_paid")
	if err != nil {
		return err
	}
	if !f.Covers(room.Building) {
		return sayPrivately("fund_outside_scope", i18n.Args{"N": f.N, "Title": f.Title, "Room": roomName(ctx, room),
			"Buildings": buildingNames(ctx, f.Buildings)})
	}
	ch, err := a.store.RecordPayment(ctx, st.ID, f.N, room, args.Amount, m.Sender, a.now())
	if err != nil {
		return fundError(ctx, err, f, room)
	}
	progress := fundProgressLine(ctx, ch)
	reply := a.contributionArgs(ctx, ch)
	reply["Received"] = fundMoney(ctx, args.Amount)
	key := "fund_paid_full"
	switch owed := ch.Household.Owed(); {
	case ch.PledgedByPayment:
		key = "fund_paid_as_pledge"
	case owed > 0:
		key = "fund_paid_short"
	case owed < 0:
		key = "fund_paid_over"
	}
	reply["Who"] = m.Sender.Name
	a.tellMembers(ctx, st, ch.Members, m.Sender, func(ctx context.Context) string {
		return tr(ctx, "fund_household_paid", reply)
	})
	return replyPersonal(ctx, r, m, "", tr(ctx, key, reply)+"\n"+progress)
}

// fundProgress answers /fund [N]: goal, pledged, paid, households, a bar.
func (a *App) fundProgress(ctx context.Context, r bot.Responder, m *bot.Message, n int64) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		list, err := a.store.OpenFunds(ctx, st.ID)
		if err != nil {
			return err
		}
		if len(list) != 1 {
			return a.listFunds(ctx, r)
		}
		n = list[0].N
	}
	f, err := a.pickFund(ctx, st.ID, n, false, "fund_example_progress")
	if err != nil {
		return err
	}
	args, err := a.fundCardArgs(ctx, f)
	if err != nil {
		return err
	}
	return a.replyWithChart(ctx, r, m, tr(ctx, "fund_card", args), func() string {
		return a.keepChart(ctx, chart.FundProgress(bot.LocaleFrom(ctx), f))
	})
}

// fundCardArgs are the arguments of campaign f's progress card: totals and
// household counts, public.
func (a *App) fundCardArgs(ctx context.Context, f *store.Fund) (i18n.Args, error) {
	cs, err := a.store.Contributions(ctx, f.Station, f.N)
	if err != nil {
		return nil, err
	}
	total, err := a.householdsInScope(ctx, f)
	if err != nil {
		return nil, err
	}
	pledged, paidUp := countContributions(cs)
	args := a.fundArgs(ctx, f)
	args["Households"], args["PaidUp"] = pledged, paidUp
	args["Total"] = 0
	if len(total) > pledged {
		args["Total"] = len(total)
	}
	args["Bar"], args["Percent"] = shareBar(f.Paid, f.Goal), fundPercent(f.Paid, f.Goal)
	return args, nil
}

// householdsInScope returns the households the station knows that belong to
// campaign f.
func (a *App) householdsInScope(ctx context.Context, f *store.Fund) ([]store.Household, error) {
	hs, err := a.store.Households(ctx, f.Station)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(hs, func(h store.Household) bool { return !f.Covers(h.Room.Building) }), nil
}

// listFunds answers /fund list: every open campaign, and the last closed.
func (a *App) listFunds(ctx context.Context, r bot.Responder) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	all, err := a.store.Funds(ctx, st.ID)
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return r.Reply(ctx, tr(ctx, "fund_none"))
	}
	shown := newest(all, groupListMax)
	return r.Reply(ctx, listText(tr(ctx, "fund_list_header", i18n.Args{"Count": len(all)}), shown, func(f *store.Fund) string {
		args := a.fundArgs(ctx, f)
		args["Percent"] = fundPercent(f.Paid, f.Goal)
		return tr(ctx, "fund_list_line", args)
	}, moreLine(ctx, "fund_list_more", len(shown), int64(len(all))), tr(ctx, "fund_list_footer")))
}

// unpaid serves /unpaid [N] [BUILDING]: privately, per building, the
// households that pledged but have not paid in full and those that have not
// pledged. A building leader sees their own buildings.
func (a *App) unpaid(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, me, err := requireAny(ctx, store.RoleLeader)
	if err != nil {
		return err
	}
	args, err := parseUnpaidArgs(m.Args)
	if err != nil {
		return err
	}
	f, err := a.pickFund(ctx, st.ID, args.N, false, "fund_example_unpaid")
	if err != nil {
		return err
	}
	buildings, err := a.fundBuildings(ctx, f)
	if err != nil {
		return err
	}
	if !me.Has(store.RoleHead) {
		buildings = slices.DeleteFunc(buildings, func(b string) bool { return !me.LeadsBuilding(b) })
	}
	if args.Building != "" {
		if !me.Has(store.RoleHead) && !me.LeadsBuilding(args.Building) {
			return say("fund_not_your_building_list", i18n.Args{"Building": tr(ctx, "fund_building", i18n.Args{"Building": args.Building}),
				"Buildings": buildingNames(ctx, me.Buildings)})
		}
		buildings = []string{args.Building}
	}
	lists, err := a.unpaidLists(ctx, f, buildings)
	if err != nil {
		return err
	}
	text := tr(ctx, "fund_unpaid_none", i18n.Args{"N": f.N, "Title": f.Title})
	if len(lists) > 0 {
		text = tr(ctx, "fund_unpaid_header", i18n.Args{"N": f.N, "Title": f.Title}) + "\n" + strings.Join(lists, "\n")
	}
	return r.ReplyPrivately(ctx, text)
}

// fundBuildings returns the buildings campaign f concerns: its own, or
// every building the station knows.
func (a *App) fundBuildings(ctx context.Context, f *store.Fund) ([]string, error) {
	if len(f.Buildings) > 0 {
		return f.Buildings, nil
	}
	hs, err := a.store.Households(ctx, f.Station)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, h := range hs {
		if !slices.Contains(out, h.Room.Building) {
			out = append(out, h.Room.Building)
		}
	}
	slices.SortFunc(out, compareFundBuildings)
	return out, nil
}

// unpaidLists writes, for each of buildings with anything outstanding, the
// households that owe money and those that have not pledged, with the names
// the roster gives them.
func (a *App) unpaidLists(ctx context.Context, f *store.Fund, buildings []string) ([]string, error) {
	hs, err := a.store.Households(ctx, f.Station)
	if err != nil {
		return nil, err
	}
	cs, err := a.store.Contributions(ctx, f.Station, f.N)
	if err != nil {
		return nil, err
	}
	names, err := a.store.HouseholdNames(ctx, f.Station)
	if err != nil {
		return nil, err
	}
	byRoom := map[string]store.Contribution{}
	for _, c := range cs {
		byRoom[c.Room.Key()] = c
	}
	label := func(room numerals.Room) string {
		if n := names[room.Key()]; n != "" {
			return tr(ctx, "room_with_names", i18n.Args{"Room": roomName(ctx, room), "Names": n})
		}
		return roomName(ctx, room)
	}
	var out []string
	for _, b := range buildings {
		var owing, notPledged []string
		for _, c := range cs {
			if c.Room.Building == b && c.Pledged > 0 && c.Owed() > 0 {
				owing = append(owing, "  "+tr(ctx, "fund_unpaid_owing_line", i18n.Args{"Room": label(c.Room),
					"Pledged": fundMoney(ctx, c.Pledged), "Paid": fundMoney(ctx, c.Paid), "Owed": fundMoney(ctx, c.Owed())}))
			}
		}
		for _, h := range hs {
			if h.Room.Building == b && byRoom[h.Room.Key()].Pledged == 0 {
				notPledged = append(notPledged, "  "+label(h.Room))
			}
		}
		if len(owing) == 0 && len(notPledged) == 0 {
			continue
		}
		var sb strings.Builder
		sb.WriteString(tr(ctx, "fund_unpaid_building", i18n.Args{"Building": b}))
		if len(owing) > 0 {
			sb.WriteString("\n" + tr(ctx, "fund_unpaid_owing", i18n.Args{"Count": len(owing)}) + "\n" + strings.Join(owing, "\n"))
		}
		if len(notPledged) > 0 {
			sb.WriteString("\n" + tr(ctx, "fund_unpaid_not_pledged", i18n.Args{"Count": len(notPledged)}) + "\n" + strings.Join(notPledged, "\n"))
		}
		out = append(out, sb.String())
	}
	return out, nil
}

// spend serves /spend N AMOUNT TEXT: an expense, by the head.
func (a *App) spend(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, _, err := requireAny(ctx)
	if err != nil {
		return err
	}
	args, err := parseSpendArgs(m.Args)
	if err != nil {
		return err
	}
	f, err := a.pickFund(ctx, st.ID, args.N, true, "fund_example_spend")
	if err != nil {
		return err
	}
	f, err = a.store.Spend(ctx, st.ID, f.N, args.Amount, bot.OneLine(m.Raw(args.Text)), m.Sender, a.now())
	if err != nil {
		return fundError(ctx, err, f, numerals.Room{})
	}
	reply := a.fundArgs(ctx, f)
	reply["Amount"], reply["Text"] = fundMoney(ctx, args.Amount), args.Text
	reply["Negative"] = f.Balance() < 0
	return r.Reply(ctx, tr(ctx, "fund_spent", reply))
}

// ledger serves /ledger N, the public ledger: what was paid in (by
// building when there are several), every expense, the balance. Which
// household paid what goes privately to whoever may see it: staff all,
// a building leader their buildings, a resident their own. /ledger N 明细 sends staff and building
// leaders the latest entries of the audit trail, privately.
func (a *App) ledger(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	args := strings.TrimSpace(m.Args)
	var n int64
	detail := false
	for _, f := range strings.Fields(args) {
		switch strings.ToLower(f) {
		case "明细", "流水", "detail", "log", "all":
			detail = true
			continue
		}
		v, err := parseKindRef(f, fundRef)
		if err != nil || n != 0 {
			return badForm("usage_ledger", "bad_number", i18n.Args{"Text": clip(f)})
		}
		n = v
	}
	f, err := a.pickFund(ctx, st.ID, n, false, "fund_example_ledger")
	if n == 0 && err != nil {
		// With no campaign open, the ledger people ask for is the last one.
		all, lerr := a.store.Funds(ctx, st.ID)
		if lerr != nil {
			return lerr
		}
		if len(all) > 0 {
			f, err = all[len(all)-1], nil
		}
	}
	if err != nil {
		return err
	}
	if detail {
		return a.ledgerDetail(ctx, r, m, f)
	}
	cs, err := a.store.Contributions(ctx, st.ID, f.N)
	if err != nil {
		return err
	}
	entries, err := a.store.FundLedger(ctx, st.ID, f.N)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(tr(ctx, "fund_ledger_header", a.fundArgs(ctx, f)))
	paying := 0
	for _, c := range cs {
		if c.Paid > 0 {
			paying++
		}
	}
	b.WriteString("\n" + tr(ctx, "fund_ledger_income", i18n.Args{"Paid": fundMoney(ctx, f.Paid), "Count": paying}))
	for _, line := range ledgerBuildingLines(ctx, f, cs) {
		b.WriteString("\n  " + line)
	}
	var spending []string
	for _, e := range entries {
		if e.Kind == store.LedgerSpent {
			spending = append(spending, "  "+tr(ctx, "fund_ledger_spend_line", i18n.Args{
				"When": formatDate(ctx, e.At), "Text": e.Text, "Amount": fundMoney(ctx, e.Amount), "Who": e.ByName}))
		}
	}
	b.WriteString("\n" + tr(ctx, "fund_ledger_spending", i18n.Args{"Spent": fundMoney(ctx, f.Spent), "Count": len(spending)}))
	for _, l := range spending {
		b.WriteString("\n" + l)
	}
	b.WriteString("\n" + tr(ctx, "fund_ledger_balance", i18n.Args{"Balance": fundMoney(ctx, f.Balance()), "N": f.N}))
	if err := r.Reply(ctx, b.String()); err != nil {
		return err
	}
	if own := ledgerHouseholdLines(ctx, f, cs, sessionFrom(ctx).member()); own != "" {
		return r.ReplyPrivately(ctx, own)
	}
	return nil
}

// ledgerBuildingLines are the public ledger's income by building, for a
// campaign over more than one: totals only, no household.
func ledgerBuildingLines(ctx context.Context, f *store.Fund, cs []store.Contribution) []string {
	paid := map[string]int64{}
	count := map[string]int{}
	var buildings []string
	for _, c := range cs {
		if c.Paid <= 0 {
			continue
		}
		if _, seen := paid[c.Room.Building]; !seen {
			buildings = append(buildings, c.Room.Building)
		}
		paid[c.Room.Building] += c.Paid
		count[c.Room.Building]++
	}
	if len(buildings) < 2 {
		return nil
	}
	slices.SortFunc(buildings, compareFundBuildings)
	lines := make([]string, len(buildings))
	for i, bd := range buildings {
		lines[i] = tr(ctx, "fund_ledger_building_line", i18n.Args{"Building": bd,
			"Amount": fundMoney(ctx, paid[bd]), "Count": count[bd]})
	}
	return lines
}

// ledgerHouseholdLines is the part of campaign f's ledger that names
// households, as the reader may see it, privately: staff see every
// household, a building leader the households of their buildings, a
// resident their own. "" when there is nothing for them.
func ledgerHouseholdLines(ctx context.Context, f *store.Fund, cs []store.Contribution, me *store.Member) string {
	var lines []string
	for _, c := range cs {
		if c.Pledged <= 0 && c.Paid <= 0 {
			continue
		}
		if me.IsStaff() || me.LeadsBuilding(c.Room.Building) || c.Room.Key() == me.Room {
			lines = append(lines, "  "+tr(ctx, "fund_ledger_household_line", i18n.Args{"Room": roomName(ctx, c.Room),
				"Pledged": fundMoney(ctx, c.Pledged), "Paid": fundMoney(ctx, c.Paid)}))
		}
	}
	switch {
	case len(lines) == 0:
		if room, err := numerals.ParseRoom(me.Room); err == nil && f.Covers(room.Building) {
			return tr(ctx, "fund_ledger_own_none", i18n.Args{"N": f.N, "Title": f.Title, "Room": roomName(ctx, room)})
		}
		return ""
	case me.IsStaff() || me.Has(store.RoleLeader):
		return tr(ctx, "fund_ledger_households_header", i18n.Args{"N": f.N, "Title": f.Title, "Count": len(lines)}) +
			"\n" + strings.Join(lines, "\n")
	}
	return tr(ctx, "fund_ledger_own_header", i18n.Args{"N": f.N, "Title": f.Title}) + "\n" + strings.Join(lines, "\n")
}

// ledgerDetail sends the latest entries of campaign f's audit trail to
// staff or a building leader, privately: it names who pledged what.
func (a *App) ledgerDetail(ctx context.Context, r bot.Responder, m *bot.Message, f *store.Fund) error {
	me := sessionFrom(ctx).member()
	if !me.IsStaff() && !me.Has(store.RoleLeader) {
		return needRole(store.RoleHead, store.RoleDeputy, store.RoleLeader)
	}
	entries, err := a.store.FundLedger(ctx, f.Station, f.N)
	if err != nil {
		return err
	}
	shown := entries
	if len(shown) > ledgerDetailLimit {
		shown = shown[len(shown)-ledgerDetailLimit:]
	}
	var b strings.Builder
	b.WriteString(tr(ctx, "fund_log_header", i18n.Args{"N": f.N, "Title": f.Title, "Count": len(entries), "Shown": len(shown)}))
	for _, e := range shown {
		b.WriteString("\n  " + ledgerEntryText(ctx, e))
	}
	return r.ReplyPrivately(ctx, b.String())
}

// ledgerEntryText is one ledger entry as a line: when, who, what.
func ledgerEntryText(ctx context.Context, e store.LedgerEntry) string {
	args := i18n.Args{"When": formatStamp(ctx, e.At), "Who": e.ByName, "Room": roomKeyText(ctx, e.Room),
		"Amount": fundMoney(ctx, e.Amount), "Prev": fundMoney(ctx, e.Prev), "Text": e.Text}
	switch e.Kind {
	case store.LedgerOpened:
		return tr(ctx, "fund_log_opened", args)
	case store.LedgerPledged:
		if e.Prev > 0 {
			return tr(ctx, "fund_log_pledge_changed", args)
		}
		return tr(ctx, "fund_log_pledged", args)
	case store.LedgerPaid:
		return tr(ctx, "fund_log_paid", args)
	case store.LedgerSpent:
		return tr(ctx, "fund_log_spent", args)
	case store.LedgerClosed:
		return tr(ctx, "fund_log_closed", args)
	}
	return string(e.Kind)
}

// closeFund serves /fund close N: no more pledges or payments, and the
// final report goes to every group of the station.
func (a *App) closeFund(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	st, _, err := requireAny(ctx)
	if err != nil {
		return err
	}
	n, _, err := parseKindRefArg(ctx, args, "usage_fund_close", fundRef)
	if err != nil {
		return err
	}
	f, err := a.pickFund(ctx, st.ID, n, true, "fund_example_close")
	if err != nil {
		return err
	}
	f, err = a.store.CloseFund(ctx, st.ID, f.N, m.Sender, a.now())
	if err != nil {
		return fundError(ctx, err, f, numerals.Room{})
	}
	if err := a.sched.CancelAll(ctx, fundChaseJobID(st.ID, f.N, "weekly"), fundChaseJobID(st.ID, f.N, "deadline")); err != nil {
		a.log.Warn("chasing reminders not cancelled", "campaign", f.N, "err", err)
	}
	cs, err := a.store.Contributions(ctx, st.ID, f.N)
	if err != nil {
		return err
	}
	report := a.fundArgs(ctx, f)
	pledged, paidUp := countContributions(cs)
	var overCount, shortCount int
	var over, short, paying int64
	for _, c := range cs {
		if c.Paid > 0 {
			paying++
		}
		switch owed := c.Owed(); {
		case owed < 0:
			overCount++
			over -= owed
		case owed > 0:
			shortCount++
			short += owed
		}
	}
	report["Households"], report["PaidUp"], report["Paying"] = pledged, paidUp, paying
	report["OverCount"], report["Over"] = overCount, fundMoney(ctx, over)
	report["ShortCount"], report["Short"] = shortCount, fundMoney(ctx, short)
	report["Negative"] = f.Balance() < 0
	sent := a.broadcast(ctx, st, tr(ctx, "fund_final_report", report))
	if m.IsPrivate() || sent == 0 {
		return r.Reply(ctx, tr(ctx, "fund_closed_done", report))
	}
	return nil
}
