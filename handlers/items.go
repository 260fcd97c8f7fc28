package handlers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/scheduler"
)

// jobLendChase is the scheduler job that asks a borrower to bring an item
// back.
const jobLendChase = "lendchase"

// Lending limits: an item out this long is chased, at this hour; one
// command lends at most maxLendCount and adds at most maxStockAdd.
const (
	lendChaseAfter = 7 * 24 * time.Hour
	lendChaseHour  = 10
	maxLendCount   = 100
	maxStockAdd    = 10000
)

// The items every dog patrol lends, by the name they are stored under, with
// the words residents use for them and the catalogue key of their name.
var builtinItems = []struct {
	name       string
	nameKey    string // catalogue key of its name in the reader's language
	unitKey    string // catalogue key of its measure word
	consumable bool
	words      []string
}{
	{"牵引绳", "item_name_leash", "item_unit_leash", false,
		[]string{"牵引绳", "狗绳", "绳子", "遛狗绳", "牵狗绳", "leash", "leashes"}},
	{"夹便器", "item_name_scooper", "item_unit_scooper", false,
		[]string{"夹便器", "拾便器", "捡便器", "夹子", "便夹", "scooper", "scoopers", "pooper-scooper"}},
	{"清理袋", "item_name_bags", "item_unit_bags", true,
		[]string{"清理袋", "拾便袋", "捡便袋", "便袋", "袋子", "垃圾袋", "bag", "bags", "poop-bags"}},
}

// canonicalItem returns the name item word is stored under: a built-in
// item's for any of its words, else the word itself.
func canonicalItem(word string) string {
	for _, b := range builtinItems {
		for _, w := range b.words {
			if strings.EqualFold(word, w) {
				return b.name
			}
		}
	}
	return word
}

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

// itemRequest is ITEM [N] as typed after 借, 还 and 物品 新增.
type itemRequest struct {
	Item  string // canonical name
	Count int64  // 0 when not given
	Word  string // as typed, for replies about an unknown item
}

// parseItemRequest reads an item and an optional count in either order:
// 清理袋 5, 5个清理袋, 牵引绳 一根, 两根牵引绳. Extra words are refused (ok
// false), as is a count of 0.
func parseItemRequest(args string) (itemRequest, bool) {
	var req itemRequest
	for _, w := range strings.Fields(bot.Normalize(args)) {
		if n, rest, ok := cutCount(w); ok {
			if req.Count != 0 || n < 1 {
				return itemRequest{}, false
			}
			req.Count = n
			if rest == "" {
				continue
			}
			w = rest
		}
		if req.Word != "" {
			return itemRequest{}, false
		}
		req.Word = w
	}
	if req.Count > 0 {
		// "5 个清理袋": the measure word went with the item.
		for _, u := range itemUnits {
			if r, ok := strings.CutPrefix(req.Word, u); ok && isBuiltinItem(canonicalItem(r)) && !isBuiltinItem(canonicalItem(req.Word)) {
				req.Word = r
				break
			}
		}
	}
	if req.Word == "" {
		return itemRequest{}, false
	}
	req.Item = canonicalItem(req.Word)
	return req, true
}

// itemUnits are the measure words a count may carry.
var itemUnits = []string{"个", "根", "条", "只", "把", "卷", "包", "袋", "件", "副", "pcs", "x"}

// cutCount reads a count at the start of w, with an optional measure word,
// and returns it with the rest of w: "5个清理袋" gives 5 and "清理袋", "两根"
// gives 2 and "". It fails when w does not start with a number.
func cutCount(w string) (int64, string, bool) {
	rs := []rune(w)
	end := 0
	for end < len(rs) && isCountRune(rs[end]) {
		end++
	}
	if end == 0 {
		return 0, w, false
	}
	n, err := numerals.ParseChineseInt(string(rs[:end]))
	if err != nil {
		return 0, w, false
	}
	rest := string(rs[end:])
	for _, u := range itemUnits {
		if r, ok := strings.CutPrefix(rest, u); ok {
			rest = r
			break
		}
	}
	return n, rest, true
}

func isCountRune(r rune) bool {
	return r >= '0' && r <= '9' || strings.ContainsRune("零一二两三四五六七八九十百千", r)
}

// lendWantsQuiet reports whether a group message that merely starts with a
// single-character keyword (借, 还) and names no item the station has is
// chat rather than a command: "还,有人在吗", "借5块钱". Such a message
// was not addressed to the bot, and the keyword was glued to what follows.
func lendWantsQuiet(m *bot.Message) bool {
	if m.IsPrivate() || m.AddressedToBot {
		return false
	}
	t := bot.Normalize(m.Text)
	for _, k := range []string{"借", "还"} {
		if rest, ok := strings.CutPrefix(t, k); ok {
			for _, b := range builtinItems {
				if strings.HasPrefix(rest, b.name) {
					return false // 借牵引绳: a command, glued as people type it
				}
			}
			r, _ := utf8.DecodeRuneInString(rest)
			return r != ' '
		}
	}
	return false
}

// errChatNotCommand is findItem's answer for an unknown item in a message
// that lendWantsQuiet takes for chat: nothing is replied.
var errChatNotCommand = errors.New("chat, not a command")

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

func lendChaseJobID(st int64, item, userKey string) string {
	return jobPayload("lend", st, item, userKey)
}

// lendChaseTime is when a loan since since is chased: the first
// lendChaseHour o'clock once it has been out lendChaseAfter.
func lendChaseTime(since time.Time) time.Time {
	t := since.Add(lendChaseAfter).In(calendar.Shanghai)
	at := time.Date(t.Year(), t.Month(), t.Day(), lendChaseHour, 0, 0, 0, calendar.Shanghai)
	if at.Before(t) {
		at = at.AddDate(0, 0, 1)
	}
	return at
}

// scheduleLendChase sets the reminder that chases loan once it has been out
// a week; borrowing more keeps the time of the oldest.
func (a *App) scheduleLendChase(ctx context.Context, st int64, loan *store.Loan) {
	id := lendChaseJobID(st, loan.Item, loan.User)
	err := a.sched.Schedule(ctx, scheduler.Reminder{ID: id, At: lendChaseTime(loan.Since), Job: jobLendChase, Payload: id})
	if err != nil {
		a.log.Warn("lend chase not scheduled", "item", loan.Item, "err", err)
	}
}

// fireLendChase asks a borrower, privately where possible, to bring back an
// item out for a week.
func (a *App) fireLendChase(ctx context.Context, rem scheduler.Reminder) error {
	st, rest, err := splitJob(rem.Payload, "lend")
	if err == nil && len(rest) != 2 {
		err = fmt.Errorf("lend chase job %q: malformed", rem.Payload)
	}
	if err != nil {
		return err
	}
	item, userKey := rest[0], rest[1]
	ctx, station, err := a.stationCtx(ctx, st)
	if err != nil {
		return err
	}
	loan, err := a.store.Loan(ctx, st, item, userKey)
	if errors.Is(err, store.ErrNotBorrowed) {
		return nil // brought back meanwhile
	}
	if err != nil {
		return err
	}
	ctx = bot.WithLocale(ctx, a.personLocale(ctx, userKey, station))
	args := itemArgs(ctx, item, loan.Count)
	args["Who"], args["Since"], args["Days"] = loan.Name, formatDate(ctx, loan.Since), daysBetween(loan.Since, a.now())
	a.notifyPerson(ctx, userKey, loan.Name, loan.Chat, tr(ctx, "lend_chase", args))
	return nil
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
