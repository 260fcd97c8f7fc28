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
	"github.com/huzhu-station/huzhu/bot/store"
)

// This file has the exports of the month's figures, the problems, the
// volunteer hours and the dogs due.

// statsTables are the month's figures of each station, with their total
// when there are several, and the month's problems by category.
func (x exporter) statsTables(ctx context.Context, stations []*store.Station, month time.Time) ([]Table, error) {
	label := month.Format("2006-01")
	figures := x.table("export_stats_sheet", "export_station", "export_month", "export_stats_filed",
		"export_stats_solved", "export_stats_solved_together", "export_stats_escalated", "export_stats_rated",
		"export_stats_satisfied", "export_stats_satisfaction", "export_stats_collected",
		"export_stats_volunteer_hours", "export_stats_people")
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
		m, err := x.s.MonthStats(ctx, st.ID, month)
		if err != nil {
			return nil, err
		}
		total.Add(m)
		figures.Rows = append(figures.Rows, row(st.Name, m))
		counts, err := x.s.FiledByCategory(ctx, st.ID, month)
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
		figures.Rows = append(figures.Rows, row(x.t("export_total"), total))
	}
	categories := x.table("export_categories_sheet", "export_category")
	for _, st := range stations {
		categories.Header = append(categories.Header, x.t("export_categories_station", i18n.Args{"Station": st.Name}))
	}
	if several {
		categories.Header = append(categories.Header, x.t("export_categories_total"))
	}
	for _, c := range slices.Sorted(maps.Keys(byCategory)) {
		r := []any{x.named("cat_", c)}
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

// issueTables are station st's problems, newest first: all of them, or
// those reported in month when it is set. No private reporter is named.
func (x exporter) issueTables(ctx context.Context, st *store.Station, month time.Time) ([]Table, error) {
	t := x.table("export_issues_sheet", "export_number", "export_issue_reported_at", "export_category",
		"export_issue_text", "export_status", "export_issue_reporter", "export_issue_supporters",
		"export_issue_assignee", "export_issue_escalated_to", "export_issue_office_state",
		"export_issue_resolved_at", "export_issue_rating", "export_issue_photos")
	want := ""
	if !month.IsZero() {
		want = month.Format("200601")
	}
	const page = 200
	for offset := 0; ; offset += page {
		issues, total, err := x.s.ListIssuesPage(ctx, st.ID, store.FilterAll, "", offset, page)
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
			t.Rows = append(t.Rows, x.issueRow(is))
		}
		if len(issues) < page || int64(offset+page) >= total {
			return []Table{t}, nil
		}
	}
}

// issueRow is one problem's row: an anonymous reporter is not named, and
// a confidential problem's text (from a patrol note, which names
// neighbours) is left out.
func (x exporter) issueRow(is *store.Issue) []any {
	text, reporter := is.Text, is.ReporterName
	if is.Anonymous {
		reporter = x.t("export_issue_anonymous")
	}
	if is.Confidential {
		text = x.t("export_issue_withheld")
	}
	office := x.named("office_state_", string(is.Office))
	resolved := ""
	if !is.Status.IsOpen() {
		resolved = exportTime(is.ResolvedAt)
	}
	return []any{fmt.Sprintf("#%d", is.N), exportTime(is.Created), x.named("cat_", is.Category), text,
		x.named("status_", string(is.Status)), reporter, is.Supporters, is.AssigneeName, x.named("office_", string(is.EscalatedTo)),
		office, resolved, x.named("rating_", string(is.Rating)), len(is.Photos)}
}

// shiftTables are the month's volunteer hours: per volunteer over every
// team, and per team.
func (x exporter) shiftTables(ctx context.Context, st *store.Station, month time.Time) ([]Table, error) {
	teams, err := x.s.Teams(ctx, st.ID)
	if err != nil {
		return nil, err
	}
	label := month.Format("2006-01")
	columns := []string{"export_volunteer", "export_month", "export_volunteer_hours", "export_volunteer_shifts",
		"export_volunteer_late", "export_volunteer_absent"}
	people := x.table("export_volunteers_sheet", columns...)
	byTeam := x.table("export_by_team_sheet", append([]string{"export_team"}, columns...)...)
	sum := map[string]*store.VolunteerHours{}
	for _, team := range teams {
		vs, err := x.s.TeamHours(ctx, st.ID, team.ID, month)
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
	people.Rows = append(people.Rows, []any{x.t("export_volunteers_total", i18n.Args{"N": len(all)}), label, Hours(minutes), shifts, "", ""})
	return []Table{people, byTeam}, nil
}

// dogTables are the dogs whose rabies shot is due within
// store.DogsDueDays of now, overdue ones included, soonest first, then
// those whose last shot is not known.
func (x exporter) dogTables(ctx context.Context, st *store.Station, now time.Time) ([]Table, error) {
	day := MonthStart(now).AddDate(0, 0, now.In(calendar.Shanghai).Day()-1) // midnight today
	until := day.AddDate(0, 0, store.DogsDueDays+1).Add(-time.Second)
	due, err := x.s.DogsDue(ctx, st.ID, until)
	if err != nil {
		return nil, err
	}
	all, err := x.s.Dogs(ctx, st.ID)
	if err != nil {
		return nil, err
	}
	t := x.table("export_dogs_sheet", "export_number", "export_dog_name", "export_dog_breed", "export_room",
		"export_dog_owner", "export_dog_last_shot", "export_dog_shot_due", "export_dog_state", "export_dog_sterilised")
	row := func(d *store.Dog, state string) []any {
		return []any{x.t("export_dog_ref", i18n.Args{"N": d.N}), d.Name, d.Breed, x.roomText(d.Room), d.OwnerName,
			exportDate(d.LastShot), exportDate(d.ShotDue()), state,
			x.named("dog_sterilised_", cmp.Or(string(d.Sterilised), "unknown"))}
	}
	for _, d := range due {
		switch left := int(d.ShotDue().Sub(day).Hours() / 24); {
		case left < 0:
			t.Rows = append(t.Rows, row(d, x.t("export_dog_overdue", i18n.Args{"Days": -left})))
		case left == 0:
			t.Rows = append(t.Rows, row(d, x.t("export_dog_due_today")))
		default:
			t.Rows = append(t.Rows, row(d, x.t("export_dog_due_in", i18n.Args{"Days": left})))
		}
	}
	for _, d := range all {
		if d.LastShot.IsZero() {
			t.Rows = append(t.Rows, row(d, x.t("export_dog_no_shot")))
		}
	}
	return []Table{t}, nil
}
