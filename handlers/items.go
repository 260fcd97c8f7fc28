package handlers

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
)

// Lending limits: an item out this long is chased, at this hour; one
// command lends at most maxLendCount and adds at most maxStockAdd.
const (
	lendChaseAfter = 7 * 24 * time.Hour
	lendChaseHour  = 10
	maxLendCount   = 100
	maxStockAdd    = 10000
)

// isBuiltinItem reports whether name is one of the items every dog patrol
// lends.
func isBuiltinItem(name string) bool { return builtinRank(name) < len(builtinItems) }

// sortItems puts the dog patrol's own items first, then the station's in
// the order they were added.
func sortItems(items []*store.Item) {
	slices.SortStableFunc(items, func(x, y *store.Item) int {
		return cmp.Or(cmp.Compare(builtinRank(x.Name), builtinRank(y.Name)), x.Created.Compare(y.Created))
	})
}

// builtinRank orders the built-in items first, in their usual order.
func builtinRank(name string) int {
	for i, b := range builtinItems {
		if b.name == name {
			return i
		}
	}
	return len(builtinItems)
}

// itemName shows an item's name in the reader's language.
func itemName(ctx context.Context, name string) string {
	if i := builtinRank(name); i < len(builtinItems) {
		return tr(ctx, builtinItems[i].nameKey)
	}
	return name
}

// itemUnit is the measure word counted items take (根, 个, 只).
func itemUnit(ctx context.Context, name string) string {
	if i := builtinRank(name); i < len(builtinItems) {
		return tr(ctx, builtinItems[i].unitKey)
	}
	return tr(ctx, "item_unit_other")
}

// itemArgs are the arguments every item sentence may use.
func itemArgs(ctx context.Context, name string, count int64) i18n.Args {
	return i18n.Args{"Item": itemName(ctx, name), "Unit": itemUnit(ctx, name), "Count": count}
}

// findItem returns the station's item req names, or the reply that there
// is none; m, when not nil, is the message asking, which may turn out to be
// chat.
func (a *App) findItem(ctx context.Context, st *store.Station, req itemRequest, usage string, m *bot.Message) (*store.Item, error) {
	it, err := a.store.Item(ctx, st.ID, req.Item)
	if errors.Is(err, store.ErrNotFound) {
		if !isBuiltinItem(req.Item) && m != nil && lendWantsQuiet(m) {
			return nil, errChatNotCommand
		}
		if isBuiltinItem(req.Item) {
			return nil, say("item_no_stock_yet", itemArgs(ctx, req.Item, 0))
		}
		return nil, badForm(usage, "item_unknown", i18n.Args{"Word": clip(req.Word), "Items": a.itemChoices(ctx, st)})
	}
	return it, err
}

// itemChoices lists the items a station has, for a reply about one it does
// not.
func (a *App) itemChoices(ctx context.Context, st *store.Station) string {
	items, _, err := a.store.Items(ctx, st.ID)
	if err != nil || len(items) == 0 {
		var names []string
		for _, b := range builtinItems {
			names = append(names, itemName(ctx, b.name))
		}
		return strings.Join(names, tr(ctx, "list_sep"))
	}
	sortItems(items)
	names := make([]string, len(items))
	for i, it := range items {
		names[i] = itemName(ctx, it.Name)
	}
	return strings.Join(names, tr(ctx, "list_sep"))
}

// lend serves /lend ITEM [N] [@who]: a resident borrows (or takes bags);
// a patrol volunteer may lend to someone they mention.
func (a *App) lend(ctx context.Context, r bot.Responder, m *bot.Message) error {
	const usage = "usage_lend"
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	args, who := cutMentions(m, m.Args)
	req, ok := parseItemRequest(args)
	if !ok {
		if lendWantsQuiet(m) {
			return nil
		}
		return badForm(usage, "lend_needs_item")
	}
	if req.Count == 0 {
		req.Count = 1
	}
	if req.Count > maxLendCount {
		return badForm(usage, "lend_too_many", i18n.Args{"Max": maxLendCount})
	}
	to := m.Sender
	if len(who) > 0 {
		if _, err := a.requirePatrol(ctx); err != nil {
			return err
		}
		to = who[0]
	}
	it, err := a.findItem(ctx, st, req, usage, m)
	if errors.Is(err, errChatNotCommand) {
		return nil
	}
	if err != nil {
		return err
	}
	chat := ""
	if !m.IsPrivate() {
		chat = m.Chat.Key()
	}
	it, loan, err := a.store.Lend(ctx, st.ID, it.Name, to, chat, req.Count, a.now())
	if errors.Is(err, store.ErrNoStock) {
		cur, _ := a.store.Item(ctx, st.ID, req.Item)
		args := itemArgs(ctx, req.Item, req.Count)
		args["Left"] = int64(0)
		if cur != nil {
			args["Left"] = cur.Available()
		}
		return badForm(usage, "lend_no_stock", args)
	}
	if err != nil {
		return err
	}
	reply := itemArgs(ctx, it.Name, req.Count)
	reply["Who"], reply["Left"] = to.Name, it.Available()
	if it.Consumable {
		return r.Reply(ctx, tr(ctx, "lend_handed_out", reply))
	}
	a.scheduleLendChase(ctx, st.ID, loan)
	reply["Total"] = int64(0) // what they hold in all, said only when it differs
	if loan.Count != req.Count {
		reply["Total"] = loan.Count
	}
	reply["Days"] = int(lendChaseAfter.Hours() / 24)
	return r.Reply(ctx, tr(ctx, "lent", reply))
}

// returnItem serves /return ITEM [N] [@who]: the borrower (or a volunteer
// for them) brings items back.
func (a *App) returnItem(ctx context.Context, r bot.Responder, m *bot.Message) error {
	const usage = "usage_return"
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	args, who := cutMentions(m, m.Args)
	req, ok := parseItemRequest(args)
	if !ok {
		if lendWantsQuiet(m) {
			return nil
		}
		return badForm(usage, "return_needs_item")
	}
	from := m.Sender
	if len(who) > 0 {
		if _, err := a.requirePatrol(ctx); err != nil {
			return err
		}
		from = who[0]
	}
	it, err := a.findItem(ctx, st, req, usage, m)
	if errors.Is(err, errChatNotCommand) {
		return nil
	}
	if err != nil {
		return err
	}
	if it.Consumable {
		return say("return_consumable", itemArgs(ctx, it.Name, 0))
	}
	loan, err := a.store.Loan(ctx, st.ID, it.Name, from.Key())
	if errors.Is(err, store.ErrNotBorrowed) {
		args := itemArgs(ctx, it.Name, 0)
		args["Who"] = from.Name
		key := "return_not_borrowed"
		if from.Key() != m.Sender.Key() {
			key = "return_not_borrowed_by"
		}
		return badForm(usage, key, args)
	}
	if err != nil {
		return err
	}
	n := req.Count
	if n == 0 {
		n = loan.Count
		if n > 1 {
			n = 1 // "还 牵引绳" with two out returns one; "还 2根牵引绳" both
		}
	}
	if n > loan.Count {
		args := itemArgs(ctx, it.Name, loan.Count)
		args["Asked"], args["Who"] = n, from.Name
		return badForm(usage, "return_too_many", args)
	}
	it, loan, err = a.store.ReturnItem(ctx, st.ID, it.Name, from.Key(), n)
	if errors.Is(err, store.ErrNotBorrowed) {
		return badForm(usage, "return_not_borrowed", itemArgs(ctx, req.Item, 0))
	}
	if err != nil {
		return err
	}
	if loan.Count == 0 {
		if err := a.sched.Cancel(ctx, lendChaseJobID(st.ID, it.Name, from.Key())); err != nil && !errors.Is(err, store.ErrNotFound) {
			a.log.Warn("lend chase not cancelled", "item", it.Name, "err", err)
		}
	}
	reply := itemArgs(ctx, it.Name, n)
	reply["Who"], reply["Still"], reply["Left"] = from.Name, loan.Count, it.Available()
	return r.Reply(ctx, tr(ctx, "returned", reply))
}

// items serves /items: stock for everyone and what the asker has; the
// patrol and the head also get who has what, privately.
// /items add NAME N [消耗品] and /items remove NAME N change the stock.
func (a *App) items(ctx context.Context, r bot.Responder, m *bot.Message) error {
	sub, rest, _ := strings.Cut(strings.TrimSpace(m.Args), " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(sub) {
	case "":
		return a.listItems(ctx, r, m)
	case "add", "新增", "添加", "增加", "入库", "补充":
		return a.addItems(ctx, r, rest)
	case "remove", "减少", "报损", "出库", "丢失":
		return a.writeOffItems(ctx, r, rest)
	}
	return badForm("usage_items", "unknown_subcommand", i18n.Args{"Word": clip(sub)})
}

// addItems serves /items add NAME N [消耗品].
func (a *App) addItems(ctx context.Context, r bot.Responder, args string) error {
	const usage = "usage_items_add"
	st, _, err := requireAny(ctx, store.RoleDeputy, store.RoleTeamLead)
	if err != nil {
		return err
	}
	fields := strings.Fields(bot.Normalize(args))
	consumable := false
	kept := fields[:0]
	for _, f := range fields {
		switch strings.ToLower(f) {
		case "消耗品", "送", "发放", "赠送", "一次性", "consumable":
			consumable = true
		default:
			kept = append(kept, f)
		}
	}
	req, ok := parseItemRequest(strings.Join(kept, " "))
	if !ok || req.Count == 0 {
		return badForm(usage, "items_add_needs")
	}
	if !store.ValidItemName(req.Item) {
		return badForm(usage, "item_name_bad", i18n.Args{"Max": store.MaxItemNameRunes})
	}
	if req.Count > maxStockAdd {
		return badForm(usage, "items_add_too_many", i18n.Args{"Max": maxStockAdd})
	}
	if i := builtinRank(req.Item); i < len(builtinItems) && builtinItems[i].consumable {
		consumable = true
	}
	it, created, err := a.store.AddItemStock(ctx, st.ID, req.Item, req.Count, consumable, a.now())
	if err != nil {
		return err
	}
	reply := itemArgs(ctx, it.Name, req.Count)
	reply["Stock"], reply["Left"], reply["Consumable"], reply["New"] = it.Stock, it.Available(), it.Consumable, created
	return r.Reply(ctx, tr(ctx, "items_added", reply))
}

// writeOffItems serves /items remove NAME N: lost or worn-out items leave
// the stock.
func (a *App) writeOffItems(ctx context.Context, r bot.Responder, args string) error {
	const usage = "usage_items_remove"
	st, _, err := requireAny(ctx, store.RoleDeputy, store.RoleTeamLead)
	if err != nil {
		return err
	}
	req, ok := parseItemRequest(args)
	if !ok || req.Count == 0 {
		return badForm(usage, "items_remove_needs")
	}
	if _, err := a.findItem(ctx, st, req, usage, nil); err != nil {
		return err
	}
	it, err := a.store.WriteOffItems(ctx, st.ID, req.Item, req.Count)
	if errors.Is(err, store.ErrStockInUse) {
		cur, _ := a.store.Item(ctx, st.ID, req.Item)
		reply := itemArgs(ctx, req.Item, req.Count)
		reply["Left"] = int64(0)
		if cur != nil {
			reply["Left"] = cur.Available()
		}
		return badForm(usage, "items_remove_too_many", reply)
	}
	if err != nil {
		return err
	}
	reply := itemArgs(ctx, it.Name, req.Count)
	reply["Left"] = it.Available()
	return r.Reply(ctx, tr(ctx, "items_removed", reply))
}

// listItems answers /items: what is in stock, what the asker has, and for
// the patrol and the head who has what, privately since it names people.
func (a *App) listItems(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	items, loans, err := a.store.Items(ctx, st.ID)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return r.Reply(ctx, tr(ctx, "items_empty"))
	}
	sortItems(items)
	var b strings.Builder
	b.WriteString(tr(ctx, "items_header", i18n.Args{"Station": st.Name}))
	var mine []string
	for _, it := range items {
		args := itemArgs(ctx, it.Name, 0)
		args["Stock"], args["Out"], args["Left"], args["Given"] = it.Stock, it.Out, it.Available(), it.Given
		key := "items_line"
		if it.Consumable {
			key = "items_line_consumable"
		}
		b.WriteString("\n" + tr(ctx, key, args))
		for _, l := range loans[it.Name] {
			if l.User == m.Sender.Key() {
				mine = append(mine, tr(ctx, "items_mine_line", a.loanArgs(ctx, l)))
			}
		}
	}
	if len(mine) > 0 {
		b.WriteString("\n" + tr(ctx, "items_mine", i18n.Args{"Loans": strings.Join(mine, tr(ctx, "list_sep"))}))
	}
	b.WriteString("\n" + tr(ctx, "items_footer"))
	ok, err := a.onPatrol(ctx, st)
	if err != nil {
		return err
	}
	if !ok || len(loans) == 0 {
		return r.Reply(ctx, b.String())
	}
	if err := r.Reply(ctx, b.String()); err != nil {
		return err
	}
	var p strings.Builder
	p.WriteString(tr(ctx, "loans_header", i18n.Args{"Station": st.Name}))
	for _, it := range items {
		for _, l := range loans[it.Name] {
			p.WriteString("\n" + tr(ctx, "loans_line", a.loanArgs(ctx, l)))
		}
	}
	return r.ReplyPrivately(ctx, p.String())
}

func (a *App) loanArgs(ctx context.Context, l store.Loan) i18n.Args {
	args := itemArgs(ctx, l.Item, l.Count)
	days := daysBetween(l.Since, a.now())
	args["Who"], args["Since"], args["Days"] = l.Name, formatDate(ctx, l.Since), days
	args["Late"] = days >= int(lendChaseAfter.Hours()/24)
	return args
}
