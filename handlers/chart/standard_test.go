package chart_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/handlers/chart"
)

// TestStandardCharts reports problems at two stations over two months and
// checks the standard charts read the store's figures: the month's problems
// by category, most first, and a label and value per month, summed over the
// stations.
func TestStandardCharts(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := store.New(b.Client, store.WithKeyPrefix(b.Prefix))
		oct := time.Date(2026, 10, 20, 10, 0, 0, 0, calendar.Shanghai)
		nov := time.Date(2026, 11, 3, 10, 0, 0, 0, calendar.Shanghai)
		head := bot.User{Platform: "console", ID: "head", Name: "张站长"}
		var stations []int64
		for i, name := range []string{"一站", "二站"} {
			st, err := s.CreateStation(ctx, name, bot.Chat{Platform: "console", ID: name, Kind: bot.Group}, head, oct)
			if err != nil {
				t.Fatal(err)
			}
			stations = append(stations, st.ID)
			reports := []struct {
				at       time.Time
				category string
			}{{oct, "leak"}, {nov, "leak"}, {nov, "greenery"}, {nov.Add(time.Hour), "leak"}}
			if i == 1 {
				reports = reports[:2]
			}
			for _, r := range reports {
				if _, err := s.ReportIssue(ctx, st.ID, store.NewIssue{Reporter: head, Text: "x", Category: r.category}, r.at); err != nil {
					t.Fatal(err)
				}
			}
		}
		f, err := chart.Load(ctx, s, stations, nov, 3)
		if err != nil {
			t.Fatal(err)
		}
		byCat := f.ProblemsByCategory("zh-CN")
		if byCat.Title != "2026年11月各类报事" || !slices.Equal(byCat.Labels, []string{"漏水", "绿化"}) ||
			!slices.Equal(byCat.Series[0].Values, []float64{3, 1}) {
			t.Errorf("by category: %q %q %v", byCat.Title, byCat.Labels, byCat.Series[0].Values)
		}
		per := f.SolvedPerMonth("zh-CN")
		if !slices.Equal(per.Labels, []string{"9月", "10月", "11月"}) || !slices.Equal(per.Series[0].Values, []float64{0, 2, 4}) ||
			per.Series[1].Name != "办结" {
			t.Errorf("per month: %q %v %q", per.Labels, per.Series[0].Values, per.Series[1].Name)
		}
		if sat := f.SatisfactionTrend("zh-CN"); sat.Max != 100 || !math.IsNaN(sat.Series[0].Values[2]) {
			t.Errorf("satisfaction with no ratings: %v", sat.Series[0].Values)
		}
		if en := f.SolvedPerMonth("en"); !slices.Equal(en.Labels, []string{"Sep", "Oct", "Nov"}) || en.Unit != " problems" {
			t.Errorf("English labels %q unit %q", en.Labels, en.Unit)
		}
		if got := len(f.Standard("zh-CN")); got != 4 {
			t.Errorf("%d standard charts, want 4", got)
		}
		empty, err := chart.Load(ctx, s, stations, nov.AddDate(0, 1, 0), 1)
		if err != nil {
			t.Fatal(err)
		}
		if c := empty.ProblemsByCategory("zh-CN"); len(c.Labels) != 0 || c.Note != "这个月还没有人报事" {
			t.Errorf("empty month: %q %q", c.Labels, c.Note)
		}
	})
}

// TestVolunteerHoursTenths rounds minutes to the tenth the chat shows.
func TestVolunteerHoursTenths(t *testing.T) {
	f := &chart.Figures{Months: []chart.MonthFigures{{Month: time.Date(2026, 11, 1, 0, 0, 0, 0, calendar.Shanghai),
		Stats: store.MonthStats{VolunteerMinutes: 95}}}}
	if v := f.VolunteerHours("zh-CN").Series[0].Values[0]; v != 1.6 {
		t.Errorf("95 minutes = %v hours, want 1.6", v)
	}
}

// TestSatisfactionWithNoRatings: months with no rating at all draw a clear
// note, in the reader's language, instead of an empty axis; one rated month
// draws the line and no note.
func TestSatisfactionWithNoRatings(t *testing.T) {
	months := func(rated int64) *chart.Figures {
		f := &chart.Figures{}
		for m := 9; m <= 11; m++ {
			f.Months = append(f.Months, chart.MonthFigures{Month: time.Date(2026, time.Month(m), 1, 0, 0, 0, 0, calendar.Shanghai),
				Stats: store.MonthStats{Filed: 3, Rated: rated, Satisfied: rated}})
		}
		return f
	}
	for _, tc := range []struct{ locale, note string }{{"zh-CN", "暂无评价"}, {"en", "No ratings yet"}} {
		c := months(0).SatisfactionTrend(tc.locale)
		svg := string(c.SVG())
		if !strings.Contains(svg, ">"+tc.note+"</text>") || !strings.Contains(svg, "<desc>"+tc.note+"</desc>") {
			t.Errorf("%s satisfaction with no ratings does not say %q:\n%s", tc.locale, tc.note, svg)
		}
		if strings.Contains(svg, "<circle") || strings.Contains(svg, ">"+c.Labels[0]+"</text>") {
			t.Errorf("%s satisfaction with no ratings draws points or month labels:\n%s", tc.locale, svg)
		}
		rated := string(months(2).SatisfactionTrend(tc.locale).SVG())
		if strings.Contains(rated, tc.note) || !strings.Contains(rated, "<circle") {
			t.Errorf("%s satisfaction with ratings:\n%s", tc.locale, rated)
		}
	}
}
