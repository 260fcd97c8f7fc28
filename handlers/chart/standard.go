package chart

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
)

// Figures are what the standard charts are drawn from: one station's
// figures, or several stations' added up (the subdistrict's), for a run of
// months, and the problems of the last of them by category. Every figure is
// the store's (README.md, "Figures"): nothing is counted here.
type Figures struct {
	// Months are oldest first; the last is the month asked about.
	Months []MonthFigures
	// Categories count the problems reported in the last month by
	// category ("leak"), as stored.
	Categories map[string]int64
}

// MonthFigures are the figures of the month starting at Month.
type MonthFigures struct {
	Month time.Time
	Stats store.MonthStats
}

// Load reads the figures of stations for the months months up to and
// including the one containing month (Shanghai calendar), added up over the
// stations.
func Load(ctx context.Context, s *store.Store, stations []int64, month time.Time, months int) (*Figures, error) {
	last := monthStart(month)
	f := &Figures{Categories: map[string]int64{}}
	for i := max(months, 1) - 1; i >= 0; i-- {
		m := MonthFigures{Month: last.AddDate(0, -i, 0)}
		for _, st := range stations {
			ms, err := s.MonthStats(ctx, st, m.Month)
			if err != nil {
				return nil, err
			}
			m.Stats.Add(ms)
		}
		f.Months = append(f.Months, m)
	}
	for _, st := range stations {
		counts, err := s.FiledByCategory(ctx, st, last)
		if err != nil {
			return nil, err
		}
		for c, n := range counts {
			f.Categories[c] += n
		}
	}
	return f, nil
}

// Standard are the charts a station's figures page shows, in order.
func (f *Figures) Standard(locale string) []*Chart {
	return []*Chart{f.ProblemsByCategory(locale), f.SolvedPerMonth(locale), f.SatisfactionTrend(locale), f.VolunteerHours(locale)}
}

// ProblemsByCategory is a bar per category of the last month's problems,
// the most reported first.
func (f *Figures) ProblemsByCategory(locale string) *Chart {
	type count struct {
		name string
		n    int64
	}
	var counts []count
	for c, n := range f.Categories {
		if n > 0 {
			counts = append(counts, count{c, n})
		}
	}
	slices.SortFunc(counts, func(a, b count) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.name, b.name))
	})
	c := &Chart{Kind: Bar, Unit: unit(locale, "chart_unit_problems"), Note: i18n.T(locale, "chart_no_problems")}
	var month time.Time
	if len(f.Months) > 0 {
		month = f.Months[len(f.Months)-1].Month
	}
	c.Title = i18n.T(locale, "chart_by_category", i18n.Args{"Month": month.In(calendar.Shanghai).Format(i18n.T(locale, "layout_month"))})
	values := make([]float64, len(counts))
	for i, x := range counts {
		c.Labels = append(c.Labels, categoryName(locale, x.name))
		values[i] = float64(x.n)
	}
	c.Series = []Series{{Name: i18n.T(locale, "chart_series_filed"), Values: values}}
	return c
}

// SolvedPerMonth sets the problems reported each month beside those solved.
func (f *Figures) SolvedPerMonth(locale string) *Chart {
	return f.perMonth(locale, Bar, "chart_per_month", "chart_unit_problems", 0,
		monthly{"chart_series_filed", func(s store.MonthStats) float64 { return float64(s.Filed) }},
		monthly{"chart_series_solved", func(s store.MonthStats) float64 { return float64(s.Solved) }})
}

// SatisfactionTrend is each month's satisfaction in percent, a line broken
// where a month had no ratings; with no ratings in any month it says so.
func (f *Figures) SatisfactionTrend(locale string) *Chart {
	c := f.perMonth(locale, Line, "chart_satisfaction", "chart_unit_percent", 100,
		monthly{"chart_satisfaction", func(s store.MonthStats) float64 {
			pct, ok := s.SatisfactionPercent()
			if !ok {
				return math.NaN()
			}
			return float64(pct)
		}})
	c.Note = i18n.T(locale, "chart_no_ratings")
	return c
}

// VolunteerHours is each month's volunteer service in hours, to a tenth.
func (f *Figures) VolunteerHours(locale string) *Chart {
	return f.perMonth(locale, Bar, "chart_hours", "chart_unit_hours", 0,
		monthly{"chart_hours", func(s store.MonthStats) float64 {
			return float64(s.VolunteerHoursTenths()) / 10
		}})
}

// monthly is a series of a per-month chart: its name in the catalogue and
// the figure it shows of each month.
type monthly struct {
	name   string
	figure func(store.MonthStats) float64
}

// perMonth is a chart with a label per month and a series per figure.
func (f *Figures) perMonth(locale string, kind Kind, title, unitKey string, top float64, series ...monthly) *Chart {
	c := &Chart{Kind: kind, Title: i18n.T(locale, title), Unit: unit(locale, unitKey), Max: top}
	layout := i18n.T(locale, "chart_layout_month")
	for _, m := range f.Months {
		c.Labels = append(c.Labels, m.Month.In(calendar.Shanghai).Format(layout))
	}
	for _, x := range series {
		s := Series{Name: i18n.T(locale, x.name)}
		for _, m := range f.Months {
			s.Values = append(s.Values, x.figure(m.Stats))
		}
		c.Series = append(c.Series, s)
	}
	return c
}

// categoryName is a stored category's name in the catalogue (cat_leak:
// 漏水), or the stored name where there is none.
func categoryName(locale, category string) string {
	if i18n.Has(locale, "cat_"+category) {
		return i18n.T(locale, "cat_"+category)
	}
	return category
}

// unit is a unit from the catalogue, with a space before a unit that is a
// word (3 hours, but 3件 and 80%).
func unit(locale, key string) string {
	u := i18n.T(locale, key)
	if r := []rune(u); len(r) > 0 && unicode.IsLetter(r[0]) && r[0] < 0x2e80 {
		return " " + u
	}
	return strings.TrimSpace(u)
}

// monthStart is midnight on the 1st of t's month in Shanghai.
func monthStart(t time.Time) time.Time {
	t = t.In(calendar.Shanghai)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, calendar.Shanghai)
}

// FundProgress is a campaign's money as bars, in yuan: its goal, what was
// pledged and paid, and, once money was spent, the spending and what is
// left. These are the totals every resident sees (no household's share).
func FundProgress(locale string, f *store.Fund) *Chart {
	labels := []string{"chart_fund_goal", "chart_fund_pledged", "chart_fund_paid"}
	fen := []int64{f.Goal, f.Pledged, f.Paid}
	if f.Spent > 0 {
		labels = append(labels, "chart_fund_spent", "chart_fund_balance")
		fen = append(fen, f.Spent, f.Balance())
	}
	c := &Chart{Kind: Bar, Unit: unit(locale, "chart_unit_yuan"),
		Title: i18n.T(locale, "chart_fund_title", i18n.Args{"N": f.N, "Title": f.Title})}
	s := Series{Name: i18n.T(locale, "chart_fund_paid")}
	for i, key := range labels {
		c.Labels = append(c.Labels, i18n.T(locale, key))
		s.Values = append(s.Values, float64(fen[i])/100)
	}
	c.Series = []Series{s}
	return c
}
