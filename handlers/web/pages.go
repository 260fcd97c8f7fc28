package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/handlers"
)

// page is what every template reads.
type page struct {
	Locale string
	Title  string
	Base   string
	Nav    string // the section shown
	CanAct bool
	Staff  bool
	// Codes is set on a station link's pages, where a household enters
	// its code; Home when the phone acts for a household.
	Codes   bool
	Home    bool
	CSRF    string
	Station string
	// Blocks are texts the chat also reads (handlers.Render), one card
	// each.
	Blocks []block
	Data   any
}

// block is one card of text the chat also reads, with what may be done
// about it from the page.
type block struct {
	Heading string
	Text    string
	Form    any
	// Chart is an SVG chart drawn by package chart, which escapes its
	// texts.
	Chart template.HTML
}

func (s *Server) page(v *visitor, nav, titleKey string) page {
	p := page{Locale: v.locale, Base: v.base, Nav: nav, CanAct: v.canAct(), Staff: v.staff, CSRF: v.csrf,
		Codes: v.link.Kind == store.WebStation, Home: v.home != nil}
	if v.station != nil {
		p.Station = v.station.Name
	}
	p.Title = i18n.T(v.locale, titleKey)
	return p
}

// stationOnly refuses the station pages to an administrator's link, which
// names no station.
func stationOnly(v *visitor) error {
	if v.station == nil {
		return errNotFound
	}
	return nil
}

// read is what the chat answers cmd for v.
func (s *Server) read(r *http.Request, v *visitor, cmd handlers.ReadCommand, n int64) (string, error) {
	return s.o.App.Render(r.Context(), v.viewer(), cmd, n)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, v *visitor) error {
	code, withCode, err := codeParam(r.URL.Query())
	if err != nil {
		return err
	}
	if v.link.Kind == store.WebAdmin {
		if withCode {
			return errBadInput
		}
		return s.adminHome(w, r, v)
	}
	if withCode {
		return s.redeem(w, r, v, code)
	}
	p := s.page(v, "home", "web_nav_home")
	card, err := s.read(r, v, handlers.ReadStation, 0)
	if err != nil {
		return err
	}
	p.Blocks = []block{{Text: card}}
	open, _, err := s.o.Store.ListIssues(r.Context(), v.station.ID, store.FilterOpen, "", homeIssues)
	if err != nil {
		return err
	}
	var rows []issueRow
	for _, is := range open {
		rows = append(rows, publicIssue(v.locale, is))
	}
	p.Data = rows
	return s.render(w, "home", p)
}

// homeIssues is how many open problems the home page lists.
const homeIssues = 5

// stationRow is one station's figures on an administrator's page.
type stationRow struct {
	Name                             string
	Filed, Solved, Escalated, People int64
	Satisfaction                     string
	Hours                            string
}

func (s *Server) adminHome(w http.ResponseWriter, r *http.Request, v *visitor) error {
	ids, err := s.o.Store.StationIDs(r.Context())
	if err != nil {
		return err
	}
	var rows []stationRow
	for _, id := range ids {
		st, err := s.o.Store.Station(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		ms, err := s.o.Store.MonthStats(r.Context(), id, s.o.Clock.Now())
		if err != nil {
			return err
		}
		tenths := ms.VolunteerHoursTenths()
		row := stationRow{Name: st.Name, Filed: ms.Filed, Solved: ms.Solved, Escalated: ms.Escalated, People: ms.People,
			Satisfaction: "—", Hours: fmt.Sprintf("%d.%d", tenths/10, tenths%10)}
		if pct, ok := ms.SatisfactionPercent(); ok {
			row.Satisfaction = fmt.Sprintf("%d%%", pct)
		}
		rows = append(rows, row)
	}
	p := s.page(v, "home", "web_admin_title")
	p.Data = rows
	if p.Blocks, err = s.chartBlocks(r, v); err != nil {
		return err
	}
	return s.render(w, "admin", p)
}

// issueRow is a problem as the governance list shows it to anyone.
type issueRow struct {
	N          int64
	Category   string
	Status     string
	StatusKey  string
	Text       string
	Supporters int64
	Photos     int
	Reported   string
}

// publicIssue is the one place a problem is stripped for a page anyone may
// read: its number, category, state, support, date and, unless it is
// confidential (made from a patrol note), its text. Who
// reported it, who handles it and where it was reported never leave here.
func publicIssue(locale string, is *store.Issue) issueRow {
	row := issueRow{N: is.N, Category: i18n.T(locale, "cat_"+is.Category),
		Status: i18n.T(locale, "status_"+string(is.Status)), StatusKey: string(is.Status),
		Supporters: is.Supporters, Reported: is.Created.In(calendar.Shanghai).Format("2006-01-02")}
	if is.Confidential {
		row.Text = i18n.T(locale, "issue_text_confidential")
		return row
	}
	row.Text = is.Text
	return row
}

// shownPhoto is a photo of a problem a page can show: kept in the store
// under name, or fetched from its platform by ref.
type shownPhoto struct{ name, ref string }

// shownPhotos are the photos of is a page can show: those whose pictures
// the store keeps (Options.KeptPhoto) and, when the platform's pictures can
// be fetched (Options.RemotePhoto), the others.
func (s *Server) shownPhotos(is *store.Issue) []shownPhoto {
	var out []shownPhoto
	for _, ref := range is.Photos {
		if s.o.KeptPhoto != nil {
			if name, ok := s.o.KeptPhoto(ref); ok {
				out = append(out, shownPhoto{name: name})
				continue
			}
		}
		if s.o.RemotePhoto != nil && ref != "" {
			out = append(out, shownPhoto{ref: ref})
		}
	}
	return out
}

// issueQuery is the governance list's filters, checked.
type issueQuery struct {
	Status   string // "", "open", "closed" or a store.IssueStatus
	Category string // "" or a category key
	Month    string // "" or "2006-01"
}

// errBadInput answers 400: a query parameter or a form field out of shape.
var errBadInput = errors.New("bad input")

var monthPattern = regexp.MustCompile(`^20[0-9]{2}-(0[1-9]|1[0-2])$`)

// issueStatuses are the states the list filters by, besides open and
// closed.
var issueStatuses = []string{string(store.IssueOpen), string(store.IssueAccepted), string(store.IssueEscalated),
	string(store.IssueResolved), string(store.IssueClosed)}

// parseIssueQuery reads the list's filters; anything unknown is
// errBadInput.
func parseIssueQuery(q map[string][]string) (issueQuery, error) {
	var out issueQuery
	for k, vs := range q {
		if len(vs) != 1 {
			return out, errBadInput
		}
		v := vs[0]
		switch k {
		case "status":
			if v != "" && v != "open" && v != "closed" && !slices.Contains(issueStatuses, v) {
				return out, errBadInput
			}
			out.Status = v
		case "category":
			if v != "" && !slices.Contains(handlers.Categories(), v) {
				return out, errBadInput
			}
			out.Category = v
		case "month":
			if v != "" && !monthPattern.MatchString(v) {
				return out, errBadInput
			}
			out.Month = v
		default:
			return out, errBadInput
		}
	}
	return out, nil
}

func (q issueQuery) keeps(is *store.Issue) bool {
	switch {
	case q.Status == "open" && !is.Status.IsOpen(),
		q.Status == "closed" && is.Status.IsOpen(),
		q.Status != "" && q.Status != "open" && q.Status != "closed" && string(is.Status) != q.Status,
		q.Category != "" && is.Category != q.Category,
		q.Month != "" && is.Created.In(calendar.Shanghai).Format("2006-01") != q.Month:
		return false
	}
	return true
}

// maxListed bounds the problems one list page reads.
const maxListed = 300

type option struct{ Value, Label string }

type issuesData struct {
	Query                  issueQuery
	Statuses, Cats, Months []option
	Rows                   []issueRow
}

func (s *Server) issues(w http.ResponseWriter, r *http.Request, v *visitor) error {
	if err := stationOnly(v); err != nil {
		return err
	}
	q, err := parseIssueQuery(r.URL.Query())
	if err != nil {
		return err
	}
	all, _, err := s.o.Store.ListIssues(r.Context(), v.station.ID, store.FilterAll, "", maxListed)
	if err != nil {
		return err
	}
	d := issuesData{Query: q}
	d.Statuses = append(d.Statuses, option{"open", i18n.T(v.locale, "web_filter_open")}, option{"closed", i18n.T(v.locale, "web_filter_closed")})
	for _, st := range issueStatuses {
		d.Statuses = append(d.Statuses, option{st, i18n.T(v.locale, "status_"+st)})
	}
	for _, c := range handlers.Categories() {
		d.Cats = append(d.Cats, option{c, i18n.T(v.locale, "cat_"+c)})
	}
	m := time.Date(s.o.Clock.Now().In(calendar.Shanghai).Year(), s.o.Clock.Now().In(calendar.Shanghai).Month(), 1, 0, 0, 0, 0, calendar.Shanghai)
	for i := 0; i < 12; i++ {
		d.Months = append(d.Months, option{m.Format("2006-01"), m.Format("2006-01")})
		m = m.AddDate(0, -1, 0)
	}
	for _, is := range all {
		if q.keeps(is) {
			row := publicIssue(v.locale, is)
			if !is.Confidential {
				row.Photos = len(s.shownPhotos(is))
			}
			d.Rows = append(d.Rows, row)
		}
	}
	p := s.page(v, "issues", "web_nav_issues")
	p.Data = d
	return s.render(w, "issues", p)
}

// number reads a path number: 1 to 9 digits.
func number(s string) (int64, error) {
	if len(s) == 0 || len(s) > 9 || strings.Trim(s, "0123456789") != "" {
		return 0, errNotFound
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, errNotFound
	}
	return n, nil
}

type issueData struct {
	N      int64
	Photos []int
}

func (s *Server) issue(w http.ResponseWriter, r *http.Request, v *visitor) error {
	if err := stationOnly(v); err != nil {
		return err
	}
	n, err := number(r.PathValue("n"))
	if err != nil {
		return err
	}
	is, err := s.o.Store.Issue(r.Context(), v.station.ID, n)
	if err != nil {
		return err
	}
	text, err := s.read(r, v, handlers.ReadIssue, n)
	if err != nil {
		return err
	}
	d := issueData{N: n}
	if v.staff || !is.Confidential {
		for i := range s.shownPhotos(is) {
			d.Photos = append(d.Photos, i)
		}
	}
	p := s.page(v, "issues", "web_nav_issues")
	p.Blocks = []block{{Text: text}}
	p.Data = d
	return s.render(w, "issue", p)
}

// photo serves the i-th kept picture of problem n, to whoever may see the
// problem's text.
func (s *Server) photo(w http.ResponseWriter, r *http.Request, v *visitor) error {
	if err := stationOnly(v); err != nil {
		return err
	}
	n, err := number(r.PathValue("n"))
	if err != nil {
		return err
	}
	i, err := strconv.Atoi(r.PathValue("i"))
	if err != nil || i < 0 || i >= store.MaxReportPhotos {
		return errNotFound
	}
	is, err := s.o.Store.Issue(r.Context(), v.station.ID, n)
	if err != nil {
		return err
	}
	photos := s.shownPhotos(is)
	if (is.Confidential && !v.staff) || i >= len(photos) {
		return errNotFound
	}
	var b []byte
	if p := photos[i]; p.name != "" {
		b, err = s.o.Store.WeChatPhoto(r.Context(), p.name)
	} else {
		b, err = s.o.RemotePhoto(r.Context(), p.ref)
	}
	if err != nil {
		return err
	}
	ct := http.DetectContentType(b)
	if !strings.HasPrefix(ct, "image/") {
		return errNotFound
	}
	w.Header().Set("Content-Type", ct)
	_, err = w.Write(b)
	return err
}

// pledgeForm, voteForm, rsvpForm and shiftForm are what a page offers to
// do about a card.
type (
	pledgeForm struct{ N int64 }
	voteForm   struct {
		N       int64
		Options []string
	}
	rsvpForm  struct{ N int64 }
	shiftForm struct {
		Shifts []option
		Days   []option
	}
)

func (s *Server) funds(w http.ResponseWriter, r *http.Request, v *visitor) error {
	if err := stationOnly(v); err != nil {
		return err
	}
	funds, err := s.o.Store.Funds(r.Context(), v.station.ID)
	if err != nil {
		return err
	}
	p := s.page(v, "funds", "web_nav_funds")
	for _, f := range slices.Backward(funds) {
		text, err := s.read(r, v, handlers.ReadLedger, f.N)
		if err != nil {
			return err
		}
		b := block{Text: text}
		if f.Status == store.FundOpen && v.canAct() {
			b.Form = pledgeForm{N: f.N}
		}
		p.Blocks = append(p.Blocks, b)
	}
	return s.render(w, "cards", p)
}

// maxPolls is how many polls the polls page shows, newest first, open or
// with their results.
const maxPolls = 20

func (s *Server) polls(w http.ResponseWriter, r *http.Request, v *visitor) error {
	if err := stationOnly(v); err != nil {
		return err
	}
	polls, err := s.o.Store.RecentPolls(r.Context(), v.station.ID, maxPolls)
	if err != nil {
		return err
	}
	p := s.page(v, "polls", "web_nav_polls")
	now := s.o.Clock.Now()
	for _, pl := range polls {
		text, err := s.read(r, v, handlers.ReadPoll, pl.N)
		if err != nil {
			return err
		}
		b := block{Text: text}
		if pl.Open(now) && v.canAct() {
			b.Form = voteForm{N: pl.N, Options: pl.Options}
		}
		p.Blocks = append(p.Blocks, b)
	}
	return s.render(w, "cards", p)
}

func (s *Server) meetings(w http.ResponseWriter, r *http.Request, v *visitor) error {
	if err := stationOnly(v); err != nil {
		return err
	}
	ms, err := s.o.Store.UpcomingMeetings(r.Context(), v.station.ID, s.o.Clock.Now())
	if err != nil {
		return err
	}
	p := s.page(v, "meetings", "web_nav_meetings")
	for _, m := range ms {
		b := block{Text: i18n.T(v.locale, "web_meeting", i18n.Args{"N": m.N,
			"At": m.At.In(calendar.Shanghai).Format("2006-01-02 15:04"), "Place": m.Place, "Topic": m.Topic})}
		if v.canAct() {
			b.Form = rsvpForm{N: m.N}
		}
		p.Blocks = append(p.Blocks, b)
	}
	return s.render(w, "cards", p)
}

// signupDays is how many days ahead a page offers to sign up for.
const signupDays = 7

func (s *Server) shifts(w http.ResponseWriter, r *http.Request, v *visitor) error {
	if err := stationOnly(v); err != nil {
		return err
	}
	text, err := s.read(r, v, handlers.ReadShifts, 0)
	if err != nil {
		return err
	}
	p := s.page(v, "shifts", "web_nav_shifts")
	b := block{Text: text}
	if v.canAct() {
		slots, err := s.o.Store.Shifts(r.Context(), v.station.ID)
		if err != nil {
			return err
		}
		var f shiftForm
		for _, sl := range slots {
			f.Shifts = append(f.Shifts, option{strconv.FormatInt(sl.N, 10),
				i18n.T(v.locale, "web_shift_option", i18n.Args{"N": sl.N, "Place": sl.Place})})
		}
		f.Days = append(f.Days, option{"", i18n.T(v.locale, "web_shift_next")})
		for _, d := range signupDates(s.o.Clock.Now()) {
			f.Days = append(f.Days, option{d, d})
		}
		if len(f.Shifts) > 0 {
			b.Form = f
		}
	}
	p.Blocks = []block{b}
	return s.render(w, "cards", p)
}

// signupDates are the days a page offers, as the chat writes them: 12月2日.
func signupDates(now time.Time) []string {
	var out []string
	d := now.In(calendar.Shanghai)
	for i := 0; i < signupDays; i++ {
		out = append(out, fmt.Sprintf("%d月%d日", d.Month(), d.Day()))
		d = d.AddDate(0, 0, 1)
	}
	return out
}

func (s *Server) items(w http.ResponseWriter, r *http.Request, v *visitor) error {
	return s.readPage(w, r, v, "items", "web_nav_items", nil, handlers.ReadItems)
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request, v *visitor) error {
	charts, err := s.chartBlocks(r, v)
	if err != nil {
		return err
	}
	return s.readPage(w, r, v, "stats", "web_nav_stats", charts, handlers.ReadStats, handlers.ReadHours)
}

// readPage is a page of what the chat answers cmds, followed by more.
func (s *Server) readPage(w http.ResponseWriter, r *http.Request, v *visitor, nav, title string, more []block, cmds ...handlers.ReadCommand) error {
	if err := stationOnly(v); err != nil {
		return err
	}
	p := s.page(v, nav, title)
	for _, c := range cmds {
		text, err := s.read(r, v, c, 0)
		if err != nil {
			return err
		}
		p.Blocks = append(p.Blocks, block{Text: text})
	}
	p.Blocks = append(p.Blocks, more...)
	return s.render(w, "cards", p)
}

func (s *Server) reportForm(w http.ResponseWriter, r *http.Request, v *visitor) error {
	if err := stationOnly(v); err != nil {
		return err
	}
	if !v.canAct() {
		return errNotFound
	}
	return s.render(w, "report", s.page(v, "report", "web_nav_report"))
}

// formView is a form as its template reads it.
type formView struct {
	Kind               string
	Form               any
	Locale, CSRF, Base string
}

// formOf names the form f for the template "form".
func formOf(p page, f any) formView {
	v := formView{Form: f, Locale: p.Locale, CSRF: p.CSRF, Base: p.Base}
	switch f.(type) {
	case voteForm:
		v.Kind = "vote"
	case pledgeForm:
		v.Kind = "pledge"
	case rsvpForm:
		v.Kind = "rsvp"
	case shiftForm:
		v.Kind = "shift"
	}
	return v
}
