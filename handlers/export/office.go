package export

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// This file has the exports of the month's figures, the problems, the
// volunteer hours and the dogs due.

// zh is the catalogue's name for a stored value ("cat_leak": 漏水), or the
// value itself where the catalogue has none.
func zh(prefix, value string) string {
	if value == "" {
		return ""
	}
	if i18n.Has("zh-CN", prefix+value) {
		return i18n.T("zh-CN", prefix+value)
	}
	return value
}

// statsTables are the month's figures of each station, with their total
// when there are several, and the month's problems by category.
func statsTables(ctx context.Context, s *store.Store, stations []*store.Station, month time.Time) ([]Table, error) {
	label := month.Format("2006-01")
	figures := Table{Name: "统计", Header: []string{"互助站", "月份", "报事(件)", "办结(件)", "其中靠众筹或投票解决(件)",
		"上报(件)", "评价(件)", "满意(件)", "满意率", "众筹收款(元)", "志愿服务(小时)", "参与居民(人)"}}
	row := func(name string, m store.MonthStats) []any {
		pct := ""
		if p, ok := m.SatisfactionPercent(); ok {
			pct = fmt.Sprintf("%d%%", p)
		}
		return []any{name, label, m.Filed, m.Solved, m.SolvedTogether, m.Escalated, m.Rated, m.Satisfied, pct,
			Money(m.CollectedFen), Hours(m.VolunteerMinutes), m.People}
	}
	byCategory := map[string][]int64{}
	var total store.MonthStats
	for i, st := range stations {
		m, err := s.MonthStats(ctx, st.ID, month)
		if err != nil {
			return nil, err
		}
		total.Add(m)
		figures.Rows = append(figures.Rows, row(st.Name, m))
		counts, err := s.FiledByCategory(ctx, st.ID, month)
		if err != nil {
			return nil, err
		}
		for c, n := range counts {
			if byCategory[c] == nil {
				byCategory[c] = make([]int64, len(stations))
			}
			byCategory[c][i] = n
		}
	}
	several := len(stations) > 1
	if several {
		figures.Rows = append(figures.Rows, row("合计", total))
	}
	categories := Table{Name: "分类", Header: []string{"分类"}}
	for _, st := range stations {
		categories.Header = append(categories.Header, st.Name+"(件)")
	}
	if several {
		categories.Header = append(categories.Header, "合计(件)")
	}
	for _, c := range slices.Sorted(maps.Keys(byCategory)) {
		r := []any{zh("cat_", c)}
		var sum int64
		for _, n := range byCategory[c] {
			r = append(r, n)
			sum += n
		}
		if several {
			r = append(r, sum)
		}
		categories.Rows = append(categories.Rows, r)
	}
	return []Table{figures, categories}, nil
}

// withheld stands for a confidential problem's text, which names neighbours.
const withheld = "（巡查记录转来，涉及邻里，内容不导出）"

// issueTables are station st's problems, newest first: all of them, or
// those reported in month when it is set. No private reporter is named.
func issueTables(ctx context.Context, s *store.Store, st *store.Station, month time.Time) ([]Table, error) {
	t := Table{Name: "报事", Header: []string{"编号", "报事时间", "分类", "内容", "状态", "报事人", "附和(人)",
		"负责人", "上报至", "上报处办理", "办结时间", "评价", "照片(张)"}}
	want := ""
	if !month.IsZero() {
		want = month.Format("200601")
	}
	const page = 200
	for offset := 0; ; offset += page {
		issues, total, err := s.ListIssuesPage(ctx, st.ID, store.FilterAll, "", offset, page)
		if err != nil {
			return nil, err
		}
		for _, is := range issues {
			if m := MonthStart(is.Created).Format("200601"); want != "" && m != want {
				if m < want {
					return []Table{t}, nil // older ones follow
				}
				continue
			}
			t.Rows = append(t.Rows, issueRow(is))
		}
		if len(issues) < page || int64(offset+page) >= total {
			return []Table{t}, nil
		}
	}
}

func issueRow(is *store.Issue) []any {
	text, reporter := is.Text, is.ReporterName
	if is.Anonymous {
		reporter = "匿名"
	}
	if is.Confidential {
		text = withheld
	}
	office := ""
	if is.Office != "" {
		office = zh("office_state_", string(is.Office))
	}
	resolved := ""
	if !is.Status.IsOpen() {
		resolved = exportTime(is.ResolvedAt)
	}
	return []any{fmt.Sprintf("#%d", is.N), exportTime(is.Created), zh("cat_", is.Category), text,
		zh("status_", string(is.Status)), reporter, is.Supporters, is.AssigneeName, zh("office_", string(is.EscalatedTo)),
		office, resolved, zh("rating_", string(is.Rating)), len(is.Photos)}
}

// shiftTables are the month's volunteer hours: per volunteer over every
// team, and per team.
func shiftTables(ctx context.Context, s *store.Store, st *store.Station, month time.Time) ([]Table, error) {
	teams, err := s.Teams(ctx, st.ID)
	if err != nil {
		return nil, err
	}
	label := month.Format("2006-01")
	header := []string{"志愿者", "月份", "时长(小时)", "签到(次)", "迟到(次)", "缺席(次)"}
	people := Table{Name: "志愿者", Header: header}
	byTeam := Table{Name: "按队伍", Header: append([]string{"队伍"}, header...)}
	sum := map[string]*store.VolunteerHours{}
	for _, team := range teams {
		vs, err := s.TeamHours(ctx, st.ID, team.ID, month)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			byTeam.Rows = append(byTeam.Rows, []any{team.Name, v.Name, label, Hours(v.Minutes), v.Shifts, v.Late, v.Absent})
			if sum[v.UserKey] == nil {
				sum[v.UserKey] = &store.VolunteerHours{UserKey: v.UserKey, Name: v.Name}
			}
			sum[v.UserKey].Add(v)
		}
	}
	all := make([]store.VolunteerHours, 0, len(sum))
	for _, v := range sum {
		all = append(all, *v)
	}
	store.SortHours(all)
	var minutes, shifts int64
	for _, v := range all {
		people.Rows = append(people.Rows, []any{v.Name, label, Hours(v.Minutes), v.Shifts, v.Late, v.Absent})
		minutes, shifts = minutes+v.Minutes, shifts+v.Shifts
	}
	people.Rows = append(people.Rows, []any{fmt.Sprintf("合计（%d人）", len(all)), label, Hours(minutes), shifts, "", ""})
	return []Table{people, byTeam}, nil
}

// dogTables are the dogs whose rabies shot is due within
// store.DogsDueDays of now, overdue ones included, soonest first, then
// those whose last shot is not known.
func dogTables(ctx context.Context, s *store.Store, st *store.Station, now time.Time) ([]Table, error) {
	day := MonthStart(now).AddDate(0, 0, now.In(calendar.Shanghai).Day()-1) // midnight today
	until := day.AddDate(0, 0, store.DogsDueDays+1).Add(-time.Second)
	due, err := s.DogsDue(ctx, st.ID, until)
	if err != nil {
		return nil, err
	}
	all, err := s.Dogs(ctx, st.ID)
	if err != nil {
		return nil, err
	}
	t := Table{Name: "犬只接种", Header: []string{"编号", "名字", "品种", "房号", "主人", "上次接种", "应接种", "情况", "绝育"}}
	row := func(d *store.Dog, state string) []any {
		return []any{fmt.Sprintf("犬%d", d.N), d.Name, d.Breed, roomText(d.Room), d.OwnerName, exportDate(d.LastShot),
			exportDate(d.ShotDue()), state, zh("dog_sterilised_", cmp.Or(string(d.Sterilised), "unknown"))}
	}
	for _, d := range due {
		switch left := int(d.ShotDue().Sub(day).Hours() / 24); {
		case left < 0:
			t.Rows = append(t.Rows, row(d, fmt.Sprintf("已过期%d天", -left)))
		case left == 0:
			t.Rows = append(t.Rows, row(d, "今天到期"))
		default:
			t.Rows = append(t.Rows, row(d, fmt.Sprintf("%d天后到期", left)))
		}
	}
	for _, d := range all {
		if d.LastShot.IsZero() {
			t.Rows = append(t.Rows, row(d, "接种日期未登记"))
		}
	}
	return []Table{t}, nil
}

// roomText writes a stored household key (3-2-301) as residents read it.
func roomText(key string) string {
	if r, err := numerals.ParseRoom(key); err == nil {
		return r.String()
	}
	return key
}
