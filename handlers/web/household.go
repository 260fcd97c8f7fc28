package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/handlers/icalfeed"
	"github.com/huzhu-station/huzhu/handlers/slips"
)

// A household acts from the station's link with its code (store's
// household codes): the slip's link carries the code (slips.CodeParam), or
// the resident types it once into 「输入住户码」. The code is redeemed
// (handlers.App.RedeemCode, limited per address), and the phone remembers
// a session, not the code: a cookie, kept only for the station link's
// pages, holding the token of a resident link (store.WebLink) of the
// household's web person. Before every page and action the household's code
// is checked to be still live (WebHousehold): a revoked or re-issued code
// ends every phone's session at once, and the store deletes the sessions
// made with it.

// homeCookie is the cookie a phone remembers its household by.
const homeCookie = "huzhu_home"

// homeSessionDays is how long a phone remembers its household.
const homeSessionDays = 365

// household is the household a phone acts for.
type household struct {
	user    bot.User
	room    numerals.Room
	session string // the token of its session link
}

// Inbox is the Sender of the web platform (store.WebPlatform): a message
// to a household's web person is kept in the household's inbox
// (store.AddWebMessage), shown on its page 「我家」. There are no web
// groups.
type Inbox struct {
	Store *store.Store
	Clock bot.Clock
}

// Send keeps out for the household it is addressed to.
func (i Inbox) Send(ctx context.Context, out bot.Outgoing) error {
	if out.Chat.Kind != bot.Private {
		return fmt.Errorf("%w: the web has no groups: %s", bot.ErrUnreachable, out.Chat.Key())
	}
	return i.Store.AddWebMessage(ctx, bot.User{Platform: out.Chat.Platform, ID: out.Chat.ID}, out.Text, i.Clock.Now())
}

// householdOf reads r's cookie for a station link: the household the phone
// acts for, nil with no cookie, or refused when the session or its code
// no longer works.
func (s *Server) householdOf(ctx context.Context, r *http.Request, link *store.WebLink) (h *household, refused bool, err error) {
	c, err := r.Cookie(homeCookie)
	if err != nil || c.Value == "" {
		return nil, false, nil
	}
	sess, err := s.o.Store.WebLinkFor(ctx, c.Value, s.o.Clock.Now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	platform, id, _ := strings.Cut(sess.User, ":")
	user := bot.User{Platform: platform, ID: id, Name: sess.Name}
	if sess.Kind != store.WebResident || sess.Station != link.Station || platform != store.WebPlatform {
		return nil, true, nil
	}
	st, room, err := s.o.App.WebHousehold(ctx, user)
	if errors.Is(err, store.ErrNotFound) || (err == nil && st != link.Station) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return &household{user: user, room: room, session: c.Value}, false, nil
}

// codeData is the code entry page.
type codeData struct {
	Message string
	Refused bool
}

// codePage answers with the code entry form, saying msg.
func (s *Server) codePage(w http.ResponseWriter, v *visitor, status int, msg string) error {
	if v.refused {
		forget(w, v)
		if msg == "" {
			msg = i18n.T(v.locale, "web_code_revoked")
		}
	}
	if status != http.StatusOK {
		w.WriteHeader(status)
	}
	p := s.page(v, "mine", "web_code_title")
	p.Data = codeData{Message: msg, Refused: v.refused}
	return s.render(w, "code", p)
}

// forget makes the phone forget its household.
func forget(w http.ResponseWriter, v *visitor) {
	http.SetCookie(w, &http.Cookie{Name: homeCookie, Value: "", Path: v.base, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// isHTTPS reports whether r reached the pages over https (directly or
// through a proxy that says so).
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

// secure reports whether a cookie set in answer to r must be sent only
// over https: when r came over https, or the pages' public address is one.
func (s *Server) secure(r *http.Request) bool {
	return isHTTPS(r) || strings.HasPrefix(s.o.PublicURL, "https://")
}

// redeem redeems code typed or scanned on a station link's page: a wrong
// or revoked code, or too many wrong ones, is said on the code entry page;
// a good one is remembered on the phone, which is sent on to 「我家」.
func (s *Server) redeem(w http.ResponseWriter, r *http.Request, v *visitor, code string) error {
	if v.link.Kind != store.WebStation {
		return errNotFound
	}
	red, err := s.o.App.RedeemCode(r.Context(), code, clientIP(r))
	switch {
	case errors.Is(err, store.ErrCodeLimited):
		return s.codePage(w, v, http.StatusTooManyRequests,
			i18n.T(v.locale, "web_code_limited", i18n.Args{"Minutes": int(store.CodeFailWindow.Minutes())}))
	case errors.Is(err, store.ErrCodeUnknown):
		return s.codePage(w, v, http.StatusForbidden, i18n.T(v.locale, "web_code_wrong"))
	case err != nil:
		return err
	case red.Station != v.station.ID:
		return s.codePage(w, v, http.StatusForbidden, i18n.T(v.locale, "web_code_wrong"))
	}
	now := s.o.Clock.Now()
	token, err := s.o.Store.IssueWebLink(r.Context(), store.WebLink{Kind: store.WebResident, Station: red.Station,
		User: red.User.Key(), Name: red.User.Name, Expires: now.Add(homeSessionDays * 24 * time.Hour)}, now)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: homeCookie, Value: token, Path: v.base, MaxAge: homeSessionDays * 24 * 3600,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, v.base+"mine", http.StatusSeeOther)
	return nil
}

// enterCode serves 「输入住户码」.
func (s *Server) enterCode(w http.ResponseWriter, r *http.Request, v *visitor) error {
	if err := stationOnly(v); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil || !v.csrfOK(r.PostForm.Get("csrf")) {
		return errBadInput
	}
	code := r.PostForm.Get("code")
	if len(code) > 40 {
		return errBadInput
	}
	return s.redeem(w, r, v, code)
}

// signOut makes this phone forget its household.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request, v *visitor) error {
	if err := r.ParseForm(); err != nil || !v.csrfOK(r.PostForm.Get("csrf")) {
		return errBadInput
	}
	forget(w, v)
	http.Redirect(w, r, v.base, http.StatusSeeOther)
	return nil
}

// mineData is 「我家」: the household's own records, for it alone.
type mineData struct {
	Room     string
	Messages []string
	Votes    []string
	Pledges  []string
	Shifts   []string
	Dogs     []string
	DogNames []string
	Teams    []string
	FeedWeb  template.URL // webcal://…, a scheme html/template does not know
	FeedURL  string       // https://…
}

// mine serves 「我家」, or the code entry form to a phone that has no
// household.
func (s *Server) mine(w http.ResponseWriter, r *http.Request, v *visitor) error {
	if err := stationOnly(v); err != nil {
		return err
	}
	if v.home == nil {
		if v.link.Kind != store.WebStation {
			return errNotFound
		}
		return s.codePage(w, v, http.StatusOK, "")
	}
	d, err := s.mineOf(r, v)
	if err != nil {
		return err
	}
	p := s.page(v, "mine", "web_nav_mine")
	p.Data = d
	return s.render(w, "mine", p)
}

func (s *Server) mineOf(r *http.Request, v *visitor) (*mineData, error) {
	ctx, st, room, l := r.Context(), v.station.ID, v.home.room, v.locale
	now := s.o.Clock.Now()
	d := &mineData{Room: roomText(l, room)}
	msgs, err := s.o.Store.WebMessages(ctx, v.home.user)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		d.Messages = append(d.Messages, m.At.In(calendar.Shanghai).Format("01-02 15:04")+"  "+m.Text)
	}
	polls, err := s.o.Store.RecentPolls(ctx, st, maxPolls)
	if err != nil {
		return nil, err
	}
	for _, pl := range polls {
		votes, err := s.o.Store.Votes(ctx, st, pl.N)
		if err != nil {
			return nil, err
		}
		for _, vt := range votes {
			if (vt.Room == room.Key() || vt.Voter == room.Key()) && vt.Option >= 0 && vt.Option < len(pl.Options) {
				d.Votes = append(d.Votes, i18n.T(l, "web_mine_vote", i18n.Args{"N": pl.N, "Question": pl.Question, "Option": pl.Options[vt.Option]}))
			}
		}
	}
	funds, err := s.o.Store.Funds(ctx, st)
	if err != nil {
		return nil, err
	}
	for _, f := range funds {
		cs, err := s.o.Store.Contributions(ctx, st, f.N)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if c.Room.Key() == room.Key() {
				d.Pledges = append(d.Pledges, i18n.T(l, "web_mine_pledge", i18n.Args{"N": f.N, "Title": f.Title, "Pledged": numerals.FormatAmount(c.Pledged), "Paid": numerals.FormatAmount(c.Paid)}))
			}
		}
	}
	members, err := s.o.Store.HouseholdMembers(ctx, st, room.Key())
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, key := range members {
		refs, err := s.o.Store.VolunteerShifts(ctx, st, key, now, now.Add(icalfeed.Horizon))
		if err != nil {
			return nil, err
		}
		for _, ref := range refs {
			sh, err := s.o.Store.Shift(ctx, st, ref.N)
			if err != nil {
				return nil, err
			}
			line := i18n.T(l, "web_mine_shift", i18n.Args{"N": ref.N, "Place": sh.Place, "At": ref.Start.In(calendar.Shanghai).Format("01-02 15:04")})
			if !seen[line] {
				seen[line] = true
				d.Shifts = append(d.Shifts, line)
			}
		}
	}
	dogs, err := s.o.Store.Dogs(ctx, st)
	if err != nil {
		return nil, err
	}
	for _, dg := range dogs {
		if dg.Room != room.Key() {
			continue
		}
		due := "—"
		if t := dg.ShotDue(); !t.IsZero() {
			due = t.In(calendar.Shanghai).Format("2006-01-02")
		}
		d.Dogs = append(d.Dogs, i18n.T(l, "web_mine_dog", i18n.Args{"Name": dg.Name, "Breed": dg.Breed, "Due": due}))
		d.DogNames = append(d.DogNames, dg.Name)
	}
	teams, err := s.o.Store.Teams(ctx, st)
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		d.Teams = append(d.Teams, t.Name)
	}
	slices.Sort(d.Teams)
	if tok, err := s.o.Store.FeedToken(ctx, st, room); err == nil {
		base := s.publicBase(r)
		d.FeedURL = base + feedPath + tok
		_, hostPath, _ := strings.Cut(base, "://")
		d.FeedWeb = template.URL("webcal://" + hostPath + feedPath + tok)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return d, nil
}

// feedPath is where a household's calendar feed is served, under its token.
const feedPath = "/feed/"

// feed serves a household's calendar feed; a wrong token counts against
// the client as a wrong link does.
func (s *Server) feed(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	if !s.bad.ok(ip) {
		http.Error(w, http.StatusText(http.StatusTooManyRequests), http.StatusTooManyRequests)
		return
	}
	token := r.PathValue("token")
	if token == "" || len(token) > 64 || r.URL.RawQuery != "" {
		s.bad.strike(ip)
		http.NotFound(w, r)
		return
	}
	b, err := icalfeed.ByToken(r.Context(), s.o.Store, token, s.o.Clock.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.bad.strike(ip)
		http.NotFound(w, r)
		return
	case err != nil:
		s.o.Log.Error("calendar feed", "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", icalfeed.ContentType)
	_, _ = w.Write(b)
}

// roomText shows a room as the catalogues do.
func roomText(locale string, room numerals.Room) string {
	return i18n.Room(locale, room.Building, room.Unit, room.Number)
}

// codeParam reads the one query parameter the station link's home page
// takes, the slip's code; ok is false when there is none.
func codeParam(q map[string][]string) (code string, ok bool, err error) {
	if len(q) == 0 {
		return "", false, nil
	}
	vs := q[slips.CodeParam]
	if len(q) != 1 || len(vs) != 1 || len(vs[0]) > 40 {
		return "", false, errBadInput
	}
	return vs[0], true, nil
}
