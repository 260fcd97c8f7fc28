package export

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// This file has the exports of a campaign's accounts and a poll's record.

// fundTables are campaign n's summary, every household of its scope with
// what it pledged and paid, and the whole ledger.
func fundTables(ctx context.Context, st *store.Store, station *store.Station, n int64) ([]Table, error) {
	f, err := st.Fund(ctx, station.ID, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: station %d has no campaign %d", ErrBadRequest, station.ID, n)
	}
	if err != nil {
		return nil, err
	}
	cs, err := st.Contributions(ctx, station.ID, n)
	if err != nil {
		return nil, err
	}
	hs, err := st.Households(ctx, station.ID)
	if err != nil {
		return nil, err
	}
	names, err := st.HouseholdNames(ctx, station.ID)
	if err != nil {
		return nil, err
	}
	ledger, err := st.FundLedger(ctx, station.ID, n)
	if err != nil {
		return nil, err
	}
	status := "进行中"
	if f.Status == store.FundClosed {
		status = "已结束 " + exportTime(f.Closed)
	}
	scope := "全站"
	if len(f.Buildings) > 0 {
		scope = strings.Join(f.Buildings, "、") + "幢"
	}
	deadline := ""
	if !f.Deadline.IsZero() {
		deadline = f.Deadline.In(calendar.Shanghai).Format("2006-01-02")
	}
	byRoom := map[string]store.Contribution{}
	for _, c := range cs {
		byRoom[c.Room.Key()] = c
	}
	households := Table{Name: "住户", Header: []string{"楼栋", "单元", "房号", "户主", "认捐(元)", "已交(元)", "还差(元)", "情况"}}
	pledgedCount := 0
	seen := map[string]bool{}
	addRow := func(room numerals.Room, c store.Contribution) {
		seen[room.Key()] = true
		state := "未认捐"
		switch owed := c.Owed(); {
		case c.Pledged == 0:
		case owed == 0:
			state = "已交齐"
		case owed < 0:
			state = "多交 " + Money(-owed).String()
		case c.Paid == 0:
			state = "未交"
		default:
			state = "未交齐"
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
	summary := Table{Name: "汇总", Header: []string{"项目", "内容"}, Rows: [][]any{
		{"互助站", station.Name}, {"众筹编号", f.N}, {"名称", f.Title}, {"范围", scope},
		{"目标(元)", Money(f.Goal)}, {"每户(元)", Money(f.PerHousehold)}, {"截止", deadline}, {"状态", status},
		{"认捐户数", pledgedCount}, {"认捐合计(元)", Money(f.Pledged)}, {"实收合计(元)", Money(f.Paid)},
		{"支出合计(元)", Money(f.Spent)}, {"结余(元)", Money(f.Balance())},
		{"发起人", f.ByName}, {"发起时间", exportTime(f.Created)},
	}}
	entries := Table{Name: "账目", Header: []string{"时间", "经手人", "类型", "房号", "金额(元)", "原认捐(元)", "说明"}}
	kinds := map[store.LedgerKind]string{store.LedgerOpened: "发起", store.LedgerPledged: "认捐",
		store.LedgerPaid: "收款", store.LedgerSpent: "支出", store.LedgerClosed: "结束"}
	for _, e := range ledger {
		room := roomText(e.Room)
		kind, prev, text := kinds[e.Kind], any(""), e.Text
		switch {
		case e.Kind == store.LedgerPledged && e.Prev > 0:
			kind, prev = "改认捐", Money(e.Prev)
		case e.Kind == store.LedgerPledged && e.Text == "paid":
			text = "交款时一并认捐"
		case e.Kind == store.LedgerClosed:
			text = "结余"
		}
		entries.Rows = append(entries.Rows, []any{exportTime(e.At), e.ByName, kind, room, Money(e.Amount), prev, text})
	}
	return []Table{summary, households, entries}, nil
}

// pollTables are poll n's summary, the count per option and every counted
// vote with who cast it, for the record the community office keeps.
func pollTables(ctx context.Context, st *store.Store, station *store.Station, n int64) ([]Table, error) {
	p, err := st.Poll(ctx, station.ID, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: station %d has no poll %d", ErrBadRequest, station.ID, n)
	}
	if err != nil {
		return nil, err
	}
	votes, err := st.Votes(ctx, station.ID, n)
	if err != nil {
		return nil, err
	}
	how := "每人一票"
	if p.PerHousehold {
		how = "每户一票"
	}
	status := "进行中"
	if p.Closed {
		status = "已结束 " + exportTime(p.ClosedAt)
	}
	summary := Table{Name: "汇总", Header: []string{"项目", "内容"}, Rows: [][]any{
		{"互助站", station.Name}, {"投票编号", p.N}, {"问题", p.Question}, {"方式", how},
		{"截止", exportTime(p.Deadline)}, {"状态", status}, {"投票数", len(votes)},
		{"发起人", p.ByName}, {"发起时间", exportTime(p.Created)},
	}}
	counts := p.Tally(votes)
	results := Table{Name: "结果", Header: []string{"编号", "选项", "票数", "占比"}}
	for i, o := range p.Options {
		share := "0%"
		if len(votes) > 0 {
			share = fmt.Sprintf("%.1f%%", float64(counts[i])*100/float64(len(votes)))
		}
		results.Rows = append(results.Rows, []any{i + 1, o, counts[i], share})
	}
	cast := Table{Name: "投票记录", Header: []string{"房号", "投票人", "选项", "时间"}}
	for _, v := range votes {
		room := roomText(v.Room)
		option := ""
		if v.Option >= 0 && v.Option < len(p.Options) {
			option = p.Options[v.Option]
		}
		cast.Rows = append(cast.Rows, []any{room, v.Name, option, exportTime(v.At)})
	}
	return []Table{summary, results, cast}, nil
}
