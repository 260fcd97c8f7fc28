package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/handlers"
)

//go:embed templates/*.html static
var files embed.FS

// Options are what the pages are served from.
type Options struct {
	Store *store.Store
	// App renders the words pages share with the chat (handlers.Render).
	App *handlers.App
	// Receiver serves the commands a page's actions stand for: the
	// platforms' own handler chain.
	Receiver bot.Receiver
	Clock    bot.Clock
	// KeptPhoto names the picture the store keeps (Store.WeChatPhoto) for
	// a photo's attachment handle, and PhotoRef is the handle of a picture
	// kept under name: the naming of the platform that keeps its pictures
	// in the store, which only cmd knows. Nil shows and takes no photos.
	KeptPhoto func(ref string) (name string, ok bool)
	PhotoRef  func(name string) string
	// RemotePhoto fetches a photo the store does not keep from the
	// platform that holds it (Telegram keeps its users' pictures); nil
	// shows only the pictures the store keeps.
	RemotePhoto func(ctx context.Context, ref string) ([]byte, error)
	// PublicURL is the base of the links printed on slips and pasted into
	// groups; "" takes the address a request was sent to.
	PublicURL string
	// TelegramToken checks Mini App initData; "" turns /tg off.
	TelegramToken string
	Log           *slog.Logger
	// BadTokens bounds wrong tokens per client address: a burst, then one
	// per Every. Zero values pick 10 and 10 s.
	BadTokenBurst int
	BadTokenEvery time.Duration
}

// Server serves the pages. It is an http.Handler.
type Server struct {
	o     Options
	mux   *http.ServeMux
	pages *template.Template
	bad   *ipLimiter
	links stationLinks
}

// New returns the Server for o.
func New(o Options) (*Server, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.BadTokenBurst == 0 {
		o.BadTokenBurst = 10
	}
	if o.BadTokenEvery == 0 {
		o.BadTokenEvery = 10 * time.Second
	}
	pages, err := template.New("").Funcs(template.FuncMap{
		"T":      func(locale, key string, args ...any) string { return i18n.T(locale, key, pairs(args)) },
		"add1":   func(i int) int { return i + 1 },
		"formOf": formOf,
		"nonce":  randomID,
		"pasteOf": func(locale string, p pasteView) map[string]any {
			return map[string]any{"Locale": locale, "P": p}
		},
		"rowOf": func(locale, base string, row issueRow) map[string]any {
			return map[string]any{"Locale": locale, "Base": base, "Row": row}
		},
	}).ParseFS(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s := &Server{o: o, mux: http.NewServeMux(), pages: pages,
		bad: newIPLimiter(rate.Every(o.BadTokenEvery), o.BadTokenBurst)}
	s.routes()
	return s, nil
}

// pairs turns "Key", value, … into catalogue arguments.
func pairs(kv []any) i18n.Args {
	args := i18n.Args{}
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			args[k] = kv[i+1]
		}
	}
	return args
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /w/{token}/{$}", s.visitQuery(s.home))
	m.HandleFunc("GET /w/{token}/issues", s.visitQuery(s.issues))
	m.HandleFunc("GET /w/{token}/issue/{n}", s.visit(s.issue))
	m.HandleFunc("GET /w/{token}/photo/{n}/{i}", s.visit(s.photo))
	m.HandleFunc("GET /w/{token}/funds", s.visit(s.funds))
	m.HandleFunc("GET /w/{token}/polls", s.visit(s.polls))
	m.HandleFunc("GET /w/{token}/meetings", s.visit(s.meetings))
	m.HandleFunc("GET /w/{token}/shifts", s.visit(s.shifts))
	m.HandleFunc("GET /w/{token}/items", s.visit(s.items))
	m.HandleFunc("GET /w/{token}/stats", s.visit(s.stats))
	m.HandleFunc("GET /w/{token}/report", s.visit(s.reportForm))
	m.HandleFunc("POST /w/{token}/act", s.visit(s.act))
	m.HandleFunc("GET /w/{token}/mine", s.visit(s.mine))
	m.HandleFunc("POST /w/{token}/code", s.visit(s.enterCode))
	m.HandleFunc("POST /w/{token}/signout", s.visit(s.signOut))
	m.HandleFunc("GET "+feedPath+"{token}", s.feed)
	m.HandleFunc("GET /w/{token}/codes", s.visit(s.codes))
	m.HandleFunc("POST /w/{token}/codes", s.visit(s.codesAct))
	m.HandleFunc("GET /w/{token}/paste", s.visit(s.paste))
	m.HandleFunc("POST /w/{token}/paste", s.visit(s.composeNotice))
	m.HandleFunc("GET "+handlers.MiniAppPath, s.miniAppPage)
	m.HandleFunc("POST "+handlers.MiniAppPath, s.miniAppLogin)
	m.Handle("GET /static/", http.FileServerFS(files))
	s.officeRoutes()
}

// ServeHTTP serves r with the headers every answer carries.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "private, no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self' blob: data:; style-src 'self'; "+
		"script-src 'self' https://telegram.org; connect-src 'self'; form-action 'self'; base-uri 'none'; "+
		"frame-ancestors 'self' https://web.telegram.org")
	s.mux.ServeHTTP(w, r)
}

// visitor is who is reading, found from the link's token on every request.
type visitor struct {
	link    *store.WebLink
	station *store.Station
	// member is the link's person in its station (nil for a station or an
	// administrator's link); staff is set when they hold a role now.
	member *store.Member
	staff  bool
	locale string
	base   string // "/w/TOKEN/"
	csrf   string
	// home is the household a phone acts for on a station link with its
	// code; refused is set when the phone's code no longer works.
	home    *household
	refused bool
}

// csrfOK reports whether a form's token is v's.
func (v *visitor) csrfOK(token string) bool {
	return subtle.ConstantTimeCompare([]byte(token), []byte(v.csrf)) == 1
}

// actor is who acts from v's page: the link's person, or the household's
// web person.
func (v *visitor) actor() (bot.User, error) {
	if v.home != nil {
		return v.home.user, nil
	}
	platform, id, ok := strings.Cut(v.link.User, ":")
	if !ok {
		return bot.User{}, fmt.Errorf("web link names no user: %q", v.link.User)
	}
	return bot.User{Platform: platform, ID: id, Name: v.link.Name}, nil
}

// canAct reports whether the reader acts as a person from the page.
func (v *visitor) canAct() bool {
	return v.link.Kind == store.WebResident || v.link.Kind == store.WebStaff || v.home != nil
}

// viewer is how handlers.Render reads for v: as the station's group, or
// as a member of staff privately.
func (v *visitor) viewer() handlers.Viewer {
	hv := handlers.Viewer{Station: v.station, Locale: v.locale}
	if v.staff {
		hv.Staff = v.member
	}
	return hv
}

// errNotFound answers 404; anything else a page returns is a 500.
var errNotFound = errors.New("not found")

// visit resolves the token of r's path, or answers 404 (429 once the
// client has tried too many wrong ones), then serves page, which takes no
// query parameters: a request with any is answered 400.
func (s *Server) visit(page func(w http.ResponseWriter, r *http.Request, v *visitor) error) http.HandlerFunc {
	return s.visitQuery(func(w http.ResponseWriter, r *http.Request, v *visitor) error {
		if r.URL.RawQuery != "" {
			return errBadInput
		}
		return page(w, r, v)
	})
}

// visitQuery is visit for a page that reads (and checks) its own query
// parameters.
func (s *Server) visitQuery(page func(w http.ResponseWriter, r *http.Request, v *visitor) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ip := clientIP(r)
		if !s.bad.ok(ip) {
			http.Error(w, http.StatusText(http.StatusTooManyRequests), http.StatusTooManyRequests)
			return
		}
		token := r.PathValue("token")
		v, err := s.visitorFor(r, token)
		if errors.Is(err, store.ErrNotFound) {
			s.bad.strike(ip)
			http.NotFound(w, r)
			return
		}
		if err == nil {
			err = page(w, r, v)
		}
		switch {
		case err == nil:
		case errors.Is(err, errNotFound), errors.Is(err, store.ErrNotFound):
			http.NotFound(w, r)
		case errors.Is(err, errBadInput):
			http.Error(w, http.StatusText(http.StatusBadRequest), http.StatusBadRequest)
		default:
			s.o.Log.Error("web page", "path", r.URL.Path[:min(len(r.URL.Path), 3)], "err", err)
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		}
	}
}

// visitorFor looks token up; an unknown, revoked or expired one is
// store.ErrNotFound.
func (s *Server) visitorFor(r *http.Request, token string) (*visitor, error) {
	ctx := r.Context()
	link, err := s.o.Store.WebLinkFor(ctx, token, s.o.Clock.Now())
	if err != nil {
		return nil, err
	}
	v := &visitor{link: link, locale: bot.DefaultLocale, base: handlers.WebLinkPath(token), csrf: csrfFor(token)}
	if link.Kind == store.WebAdmin {
		return v, nil
	}
	if v.station, err = s.o.Store.Station(ctx, link.Station); err != nil {
		return nil, err
	}
	if v.station.Locale != "" {
		v.locale = v.station.Locale
	}
	if link.User != "" {
		if v.member, err = s.o.Store.MemberByKey(ctx, link.Station, link.User); err != nil {
			return nil, err
		}
		v.staff = link.Kind == store.WebStaff && len(v.member.Roles) > 0
		if v.member.Locale != "" {
			v.locale = v.member.Locale
		}
	}
	if link.Kind == store.WebStation {
		if v.home, v.refused, err = s.householdOf(ctx, r, link); err != nil {
			return nil, err
		}
		if v.home != nil {
			v.csrf = csrfFor(v.home.session)
		}
	}
	return v, nil
}

// csrfFor is the form token of a link's pages: tied to the link, so a
// form from another page (or another link) is refused.
func csrfFor(token string) string {
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("huzhu web form"))
	return hex.EncodeToString(mac.Sum(nil))[:32]
}

// clientIP is the address r came from. Behind a proxy that is the proxy's,
// so the limit is shared; X-Forwarded-For is not trusted, as anyone can
// write it.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ipLimiter counts wrong tokens per client address.
type ipLimiter struct {
	every rate.Limit
	burst int
	mu    sync.Mutex
	by    map[string]*rate.Limiter
}

func newIPLimiter(every rate.Limit, burst int) *ipLimiter {
	return &ipLimiter{every: every, burst: burst, by: map[string]*rate.Limiter{}}
}

// ok reports whether ip may still try a token.
func (l *ipLimiter) ok(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.by[ip]
	return lim == nil || lim.Tokens() >= 1
}

// strike counts a wrong token from ip.
func (l *ipLimiter) strike(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.by) > 10000 { // forget the addresses that have calmed down
		for k, lim := range l.by {
			if lim.Tokens() >= float64(l.burst) {
				delete(l.by, k)
			}
		}
	}
	lim := l.by[ip]
	if lim == nil {
		lim = rate.NewLimiter(l.every, l.burst)
		l.by[ip] = lim
	}
	lim.Allow()
}

// render writes the page name with data.
func (s *Server) render(w http.ResponseWriter, name string, data any) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	if err := s.pages.ExecuteTemplate(&b, name, data); err != nil {
		return err
	}
	_, err := w.Write([]byte(b.String()))
	return err
}
