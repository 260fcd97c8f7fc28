package export

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// This file has the exports of a campaign's accounts and a poll's record.

// fundTables are campaign n's summary, every household of its scope with
// what it pledged and paid, and the whole ledger.
func (x exporter) fundTables(ctx context.Context, station *store.Station, n int64) ([]Table, error) {
	f, err := x.s.Fund(ctx, station.ID, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: station %d has no campaign %d", ErrBadRequest, station.ID, n)
	}
	if err != nil {
		return nil, err
	}
	cs, err := x.s.Contributions(ctx, station.ID, n)
	if err != nil {
		return nil, err
	}
	hs, err := x.s.Households(ctx, station.ID)
	if err != nil {
		return nil, err
	}
	names, err := x.s.HouseholdNames(ctx, station.ID)
	if err != nil {
		return nil, err
	}
	ledger, err := x.s.FundLedger(ctx, station.ID, n)
	if err != nil {
		return nil, err
	}
	status := x.status(f.Status == store.FundClosed, f.Closed)
	scope := x.t("export_fund_whole_station")
	if len(f.Buildings) > 0 {
		scope = x.t("export_fund_buildings", i18n.Args{"Buildings": strings.Join(f.Buildings, x.t("list_sep"))})
	}
	deadline := ""
	if !f.Deadline.IsZero() {
		deadline = f.Deadline.In(calendar.Shanghai).Format("2006-01-02")
	}
	byRoom := map[string]store.Contribution{}
	for _, c := range cs {
		byRoom[c.Room.Key()] = c
	}
	households := x.table("export_households_sheet", "export_household_building", "export_household_unit",
		"export_room", "export_household_name", "export_household_pledged", "export_household_paid",
		"export_household_owed", "export_household_state")
	pledgedCount := 0
	seen := map[string]bool{}
	addRow := func(room numerals.Room, c store.Contribution) {
		seen[room.Key()] = true
		state := x.t("export_household_no_pledge")
		switch owed := c.Owed(); {
		case c.Pledged == 0:
		case owed == 0:
			state = x.t("export_household_paid_up")
		case owed < 0:
			state = x.t("export_household_overpaid", i18n.Args{"Amount": Money(-owed).String()})
		case c.Paid == 0:
			state = x.t("export_household_unpaid")
		default:
			state = x.t("export_household_part_paid")
		}
		if c.Pledged > 0 {
			pledgedCount++
		}
		households.Rows = append(households.Rows, []any{room.Building, room.Unit, room.Number, names[room.Key()],
			Money(c.Pledged), Money(c.Paid), Money(max(c.Owed(), 0)), state})
	}
	for _, h := range hs {
		if f.Covers(h.Room.Building) {
			addRow(h.Room, byRoom[h.Room.Key()])
		}
	}
	for _, c := range cs { // pledged households no longer in the roster stay on the record
		if !seen[c.Room.Key()] {
			addRow(c.Room, c)
		}
	}
	summary := x.summary([]summaryRow{
		{"export_station", station.Name}, {"export_fund_number", f.N}, {"export_fund_title", f.Title},
		{"export_fund_scope", scope}, {"export_fund_goal", Money(f.Goal)},
		{"export_fund_per_household", Money(f.PerHousehold)}, {"export_deadline", deadline},
		{"export_status", status}, {"export_fund_pledged_households", pledgedCount},
		{"export_fund_pledged_total", Money(f.Pledged)}, {"export_fund_paid_total", Money(f.Paid)},
		{"export_fund_spent_total", Money(f.Spent)}, {"export_fund_balance", Money(f.Balance())},
		{"export_started_by", f.ByName}, {"export_started_at", exportTime(f.Created)},
	})
	entries := x.table("export_ledger_sheet", "export_time", "export_ledger_by", "export_ledger_kind", "export_room",
		"export_ledger_amount", "export_ledger_prev", "export_ledger_text")
	kinds := map[store.LedgerKind]string{store.LedgerOpened: "export_ledger_opened",
		store.LedgerPledged: "export_ledger_pledged", store.LedgerPaid: "export_ledger_paid",
		store.LedgerSpent: "export_ledger_spent", store.LedgerClosed: "export_ledger_closed"}
	for _, e := range ledger {
		room := x.roomText(e.Room)
		kindKey, prev, text := kinds[e.Kind], any(""), e.Text
		switch {
		case e.Kind == store.LedgerPledged && e.Prev > 0:
			kindKey, prev = "export_ledger_pledge_changed", Money(e.Prev)
		case e.Kind == store.LedgerPledged && e.Text == "paid":
			text = x.t("export_ledger_pledged_with_payment")
		case e.Kind == store.LedgerClosed:
			text = x.t("export_ledger_balance")
		}
		kind := ""
		if kindKey != "" {
			kind = x.t(kindKey)
		}
		entries.Rows = append(entries.Rows, []any{exportTime(e.At), e.ByName, kind, room, Money(e.Amount), prev, text})
	}
	return []Table{summary, households, entries}, nil
}

// pollTables are poll n's summary, the count per option and every counted
// vote with who cast it, for the record the community office keeps.
func (x exporter) pollTables(ctx context.Context, station *store.Station, n int64) ([]Table, error) {
	p, err := x.s.Poll(ctx, station.ID, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: station %d has no poll %d", ErrBadRequest, station.ID, n)
	}
	if err != nil {
		return nil, err
	}
	votes, err := x.s.Votes(ctx, station.ID, n)
	if err != nil {
		return nil, err
	}
	how := x.t("export_poll_per_person")
	if p.PerHousehold {
		how = x.t("export_poll_per_household")
	}
	summary := x.summary([]summaryRow{
		{"export_station", station.Name}, {"export_poll_number", p.N}, {"export_poll_question", p.Question},
		{"export_poll_how", how}, {"export_deadline", exportTime(p.Deadline)},
		{"export_status", x.status(p.Closed, p.ClosedAt)}, {"export_poll_votes", len(votes)},
		{"export_started_by", p.ByName}, {"export_started_at", exportTime(p.Created)},
	})
	counts := p.Tally(votes)
	results := x.table("export_results_sheet", "export_number", "export_option", "export_result_count", "export_result_share")
	for i, o := range p.Options {
		share := "0%"
		if len(votes) > 0 {
			share = fmt.Sprintf("%.1f%%", float64(counts[i])*100/float64(len(votes)))
		}
		results.Rows = append(results.Rows, []any{i + 1, o, counts[i], share})
	}
	cast := x.table("export_votes_sheet", "export_room", "export_vote_voter", "export_option", "export_time")
	for _, v := range votes {
		room := x.roomText(v.Room)
		option := ""
		if v.Option >= 0 && v.Option < len(p.Options) {
			option = p.Options[v.Option]
		}
		cast.Rows = append(cast.Rows, []any{room, v.Name, option, exportTime(v.At)})
	}
	return []Table{summary, results, cast}, nil
}
