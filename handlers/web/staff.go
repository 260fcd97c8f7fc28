package web

import (
	"context"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"sync"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/handlers"
	"github.com/huzhu-station/huzhu/handlers/slips"
)

// The staff page, for a station with no bot in its groups: household codes
// per building (住户码: issue, re-issue, revoke) printed as slips, the
// texts the bot would post, ready to paste (「复制到群里」), the day's
// reminders (「今天」), and forms for staff's commands. Codes are for the
// head and a building's leader, as in the chat; everything else staff may
// do is the chat command's to check.

// stationLinks remembers, per station, a station link this process issued
// for slips and pasted texts, so that each print or page view does not
// make another one. A link the head has reset since is replaced.
type stationLinks struct {
	mu sync.Mutex
	by map[int64]string
}

// stationURL is the station's public link (its page anyone may read), for
// slips and pasted texts.
func (s *Server) stationURL(r *http.Request, v *visitor) (string, error) {
	ctx := r.Context()
	s.links.mu.Lock()
	defer s.links.mu.Unlock()
	token, ok := s.links.by[v.station.ID]
	if ok {
		if l, err := s.o.Store.WebLinkFor(ctx, token, s.o.Clock.Now()); err != nil || l.Kind != store.WebStation || l.Station != v.station.ID {
			ok = false
		}
	}
	if !ok {
		var err error
		token, err = s.o.Store.IssueWebLink(ctx, store.WebLink{Kind: store.WebStation, Station: v.station.ID}, s.o.Clock.Now())
		if err != nil {
			return "", err
		}
		if s.links.by == nil {
			s.links.by = map[int64]string{}
		}
		s.links.by[v.station.ID] = token
	}
	return s.publicBase(r) + handlers.WebLinkPath(token), nil
}

// publicBase is Options.PublicURL, or where r was sent.
func (s *Server) publicBase(r *http.Request) string {
	if s.o.PublicURL != "" {
		return strings.TrimRight(s.o.PublicURL, "/")
	}
	if isHTTPS(r) {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// staffOnly refuses a page to anyone but staff.
func staffOnly(v *visitor) error {
	if v.station == nil || !v.staff {
		return errNotFound
	}
	return nil
}

// mayCode reports whether v may give out building's codes: the head, or
// its leader.
func mayCode(v *visitor, building string) bool {
	return v.member.Has(store.RoleHead) || v.member.LeadsBuilding(building)
}

// codeRoom is a household's row on the codes page.
type codeRoom struct {
	Room, Key string
	Live      bool
	Issued    string
}

// codeBuilding is a building's rows.
type codeBuilding struct {
	Building    string
	Live, Total int
	Rooms       []codeRoom
}

type codesData struct {
	Message   string
	Buildings []codeBuilding
}

// codes serves 住户码 on the staff page: per building the households
// with a live code (never the code), and the forms to issue, re-issue or
// revoke.
func (s *Server) codes(w http.ResponseWriter, r *http.Request, v *visitor) error {
	return s.codesPage(w, r, v, "")
}

func (s *Server) codesPage(w http.ResponseWriter, r *http.Request, v *visitor, msg string) error {
	if err := staffOnly(v); err != nil {
		return err
	}
	statuses, err := s.o.Store.CodeStatuses(r.Context(), v.station.ID, "")
	if err != nil {
		return err
	}
	d := codesData{Message: msg}
	for _, c := range statuses {
		if !mayCode(v, c.Room.Building) {
			continue
		}
		if len(d.Buildings) == 0 || d.Buildings[len(d.Buildings)-1].Building != c.Room.Building {
			d.Buildings = append(d.Buildings, codeBuilding{Building: c.Room.Building})
		}
		b := &d.Buildings[len(d.Buildings)-1]
		row := codeRoom{Room: roomText(v.locale, c.Room), Key: c.Room.Key(), Live: c.Live}
		if !c.Issued.IsZero() {
			row.Issued = c.Issued.In(calendar.Shanghai).Format("2006-01-02")
		}
		b.Total++
		if c.Live {
			b.Live++
		}
		b.Rooms = append(b.Rooms, row)
	}
	p := s.page(v, "codes", "web_nav_codes")
	p.Data = d
	return s.render(w, "codes", p)
}

// slipsData is the printable page of slips.
type slipsData struct {
	Slips []slipView
}

type slipView struct {
	slips.Slip
	QRData template.URL // data:image/png;base64,…
}

// codesAct serves the codes page's forms: issue or re-issue a building's
// codes, or one household's, which answer with the slips to print; revoke
// one household's.
func (s *Server) codesAct(w http.ResponseWriter, r *http.Request, v *visitor) error {
	if err := staffOnly(v); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil || !v.csrfOK(r.PostForm.Get("csrf")) {
		return errBadInput
	}
	ctx, st, now := r.Context(), v.station.ID, s.o.Clock.Now()
	var issued []store.IssuedCode
	switch action := r.PostForm.Get("action"); action {
	case "issue", "reissue":
		building := r.PostForm.Get("building")
		if !isBuilding(building) || !mayCode(v, building) || (action == "reissue" && r.PostForm.Get("sure") != "1") {
			return errBadInput
		}
		var err error
		if issued, err = s.o.Store.IssueHouseholdCodes(ctx, st, building, action == "reissue", now); err != nil {
			return err
		}
		if len(issued) == 0 {
			return s.codesPage(w, r, v, i18n.T(v.locale, "web_codes_none_new", i18n.Args{"Building": building}))
		}
	case "reissue_room", "revoke_room":
		room, err := numerals.ParseRoom(r.PostForm.Get("room"))
		if err != nil || !mayCode(v, room.Building) {
			return errBadInput
		}
		if action == "revoke_room" {
			if _, err := s.o.Store.RevokeHouseholdCode(ctx, st, room); err != nil {
				return err
			}
			return s.codesPage(w, r, v, i18n.T(v.locale, "web_codes_revoked", i18n.Args{"Room": roomText(v.locale, room)}))
		}
		one, err := s.o.Store.ReissueHouseholdCode(ctx, st, room, now)
		if errors.Is(err, store.ErrRoomUnknown) {
			return errBadInput
		}
		if err != nil {
			return err
		}
		issued = []store.IssuedCode{one}
	default:
		return errBadInput
	}
	link, err := s.stationURL(r, v)
	if err != nil {
		return err
	}
	made, err := slips.Make(v.locale, link, issued)
	if err != nil {
		return err
	}
	d := slipsData{}
	for _, sl := range made {
		d.Slips = append(d.Slips, slipView{Slip: sl, QRData: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(sl.QR))})
	}
	p := s.page(v, "codes", "web_slips_title")
	p.Data = d
	return s.render(w, "slips", p)
}

// isBuilding reports whether b is a building as rooms name them: 1 to 4
// digits.
func isBuilding(b string) bool {
	return b != "" && len(b) <= 4 && strings.Trim(b, "0123456789") == ""
}

// pasteView is one text to copy.
type pasteView struct {
	Title string
	Staff bool
	Text  string
}

type pasteData struct {
	New   *pasteView
	Today []pasteView
	All   []pasteView
	Days  []option
}

// maxPasteRecords bounds the meetings, polls and campaigns listed.
const maxPasteRecords = 10

// paste serves 「复制到群里」: the day's reminders, then what the bot would
// post about the station's scheduled notices, meetings, polls and
// campaigns and the month's report, each with a copy button; and a notice written here.
func (s *Server) paste(w http.ResponseWriter, r *http.Request, v *visitor) error {
	return s.pastePage(w, r, v, nil)
}

func (s *Server) pastePage(w http.ResponseWriter, r *http.Request, v *visitor, fresh *pasteView) error {
	if err := staffOnly(v); err != nil {
		return err
	}
	link, err := s.stationURL(r, v)
	if err != nil {
		return err
	}
	d, err := s.pastes(r.Context(), v, link)
	if err != nil {
		return err
	}
	d.New = fresh
	p := s.page(v, "paste", "web_nav_paste")
	p.Data = d
	return s.render(w, "paste", p)
}

func (s *Server) pastes(ctx context.Context, v *visitor, link string) (*pasteData, error) {
	app, st, l := s.o.App, v.station.ID, v.locale
	d := &pasteData{}
	view := func(p handlers.Paste) pasteView {
		return pasteView{Title: i18n.T(l, "web_paste_"+p.Kind, i18n.Args{"N": p.Ref}), Staff: p.Staff, Text: p.Text}
	}
	today, err := app.TodayTexts(ctx, st, link)
	if err != nil {
		return nil, err
	}
	for _, p := range today {
		d.Today = append(d.Today, view(p))
	}
	now := s.o.Clock.Now()
	notices, err := s.o.Store.ActiveNotices(ctx, st)
	if err != nil {
		return nil, err
	}
	for _, nt := range notices[:min(len(notices), maxPasteRecords)] {
		p, err := app.NoticeText(ctx, st, nt.N, link)
		if err != nil {
			return nil, err
		}
		d.All = append(d.All, view(p))
	}
	meetings, err := s.o.Store.UpcomingMeetings(ctx, st, now)
	if err != nil {
		return nil, err
	}
	for _, m := range meetings[:min(len(meetings), maxPasteRecords)] {
		p, err := app.MeetingText(ctx, st, m.N, link)
		if err != nil {
			return nil, err
		}
		d.All = append(d.All, view(p))
	}
	polls, err := s.o.Store.RecentPolls(ctx, st, maxPasteRecords)
	if err != nil {
		return nil, err
	}
	for _, pl := range polls {
		p, err := app.PollText(ctx, st, pl.N, link)
		if !pl.Open(now) {
			p, err = app.PollResultText(ctx, st, pl.N, link)
		}
		if err != nil {
			return nil, err
		}
		d.All = append(d.All, view(p))
	}
	funds, err := s.o.Store.OpenFunds(ctx, st)
	if err != nil {
		return nil, err
	}
	for _, f := range funds[:min(len(funds), maxPasteRecords)] {
		p, err := app.FundText(ctx, st, f.N, link)
		if err != nil {
			return nil, err
		}
		d.All = append(d.All, view(p))
	}
	month, err := app.MonthlyReportText(ctx, st, now, link)
	if err != nil {
		return nil, err
	}
	d.All = append(d.All, view(month))
	return d, nil
}

// maxNoticeRunes bounds a notice written on the staff page.
const maxNoticeRunes = 500

// composeNotice serves the staff page's notice form: the notice as it
// would be posted, to copy.
func (s *Server) composeNotice(w http.ResponseWriter, r *http.Request, v *visitor) error {
	if err := staffOnly(v); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil || !v.csrfOK(r.PostForm.Get("csrf")) {
		return errBadInput
	}
	text := strings.TrimSpace(r.PostForm.Get("text"))
	if text == "" || len([]rune(text)) > maxNoticeRunes {
		return errBadInput
	}
	link, err := s.stationURL(r, v)
	if err != nil {
		return err
	}
	p, err := s.o.App.NewNoticeText(r.Context(), v.station.ID, text, v.member.Name, link)
	if err != nil {
		return errBadInput
	}
	fresh := pasteView{Title: i18n.T(v.locale, "web_paste_new_notice"), Text: p.Text}
	return s.pastePage(w, r, v, &fresh)
}
