package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/handlers"
)

// TelegramUser is the person a Mini App's initData names.
type TelegramUser struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username"`
}

// ErrInitData is initData that Telegram did not sign, or signed too long
// ago.
var ErrInitData = errors.New("telegram initData not valid")

// maxInitData bounds the initData read.
const maxInitData = 4096

// ValidateInitData checks a Mini App's initData as Telegram documents it:
// the fields but hash, sorted and joined "key=value" by newlines, signed
// with HMAC-SHA256 under the key HMAC-SHA256("WebAppData", bot token),
// must give hash; auth_date must be no older than maxAge at now. It
// returns the user the data names.
func ValidateInitData(initData, botToken string, now time.Time, maxAge time.Duration) (TelegramUser, error) {
	var u TelegramUser
	if botToken == "" || len(initData) > maxInitData {
		return u, ErrInitData
	}
	vals, err := url.ParseQuery(initData)
	if err != nil {
		return u, fmt.Errorf("%w: %v", ErrInitData, err)
	}
	hash := vals.Get("hash")
	if len(vals["hash"]) != 1 || len(hash) != 64 {
		return u, ErrInitData
	}
	lines := make([]string, 0, len(vals))
	for k, vs := range vals {
		if len(vs) != 1 {
			return u, ErrInitData
		}
		if k != "hash" {
			lines = append(lines, k+"="+vs[0])
		}
	}
	sort.Strings(lines)
	secret := hmac.New(sha256.New, []byte("WebAppData"))
	secret.Write([]byte(botToken))
	mac := hmac.New(sha256.New, secret.Sum(nil))
	mac.Write([]byte(strings.Join(lines, "\n")))
	want, err := hex.DecodeString(hash)
	if err != nil || !hmac.Equal(mac.Sum(nil), want) {
		return u, ErrInitData
	}
	auth, err := strconv.ParseInt(vals.Get("auth_date"), 10, 64)
	if err != nil {
		return u, ErrInitData
	}
	if age := now.Sub(time.Unix(auth, 0)); age > maxAge || age < -time.Minute {
		return u, fmt.Errorf("%w: signed %s ago", ErrInitData, age.Round(time.Second))
	}
	if err := json.Unmarshal([]byte(vals.Get("user")), &u); err != nil || u.ID <= 0 {
		return u, fmt.Errorf("%w: no user", ErrInitData)
	}
	return u, nil
}

// initDataMaxAge is how old a Mini App's initData may be.
const initDataMaxAge = time.Hour

// miniAppPage is what a Mini App button opens: a page whose script posts
// Telegram's initData back to /tg.
func (s *Server) miniAppPage(w http.ResponseWriter, r *http.Request) {
	if s.o.TelegramToken == "" {
		http.NotFound(w, r)
		return
	}
	if err := s.render(w, "miniapp", page{Locale: "zh-CN"}); err != nil {
		s.o.Log.Error("mini app page", "err", err)
	}
}

// miniAppLogin checks the initData posted by the Mini App and sends its
// person on to a personal page, the one `网页` would give them.
func (s *Server) miniAppLogin(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	if s.o.TelegramToken == "" || !s.bad.ok(ip) {
		http.NotFound(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxInitData+1024)
	if err := r.ParseForm(); err != nil {
		http.Error(w, http.StatusText(http.StatusBadRequest), http.StatusBadRequest)
		return
	}
	now := s.o.Clock.Now()
	u, err := ValidateInitData(r.PostForm.Get("initData"), s.o.TelegramToken, now, initDataMaxAge)
	if err != nil {
		s.bad.strike(ip)
		http.NotFound(w, r)
		return
	}
	token, err := s.personalToken(r, "telegram:"+strconv.FormatInt(u.ID, 10), strings.TrimSpace(u.FirstName+" "+u.LastName))
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.o.Log.Error("mini app link", "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, handlers.WebLinkPath(token), http.StatusSeeOther)
}

// personalToken gives userKey a link to their station's pages, as `网页`
// gives it: staff's when they hold a role, else a resident's.
func (s *Server) personalToken(r *http.Request, userKey, name string) (string, error) {
	ctx := r.Context()
	rec, err := s.o.Store.User(ctx, userKey)
	if err != nil {
		return "", err
	}
	if rec.Station == 0 {
		return "", fmt.Errorf("%w: no station", store.ErrNotFound)
	}
	m, err := s.o.Store.MemberByKey(ctx, rec.Station, userKey)
	if err != nil {
		return "", err
	}
	if m.Name != "" {
		name = m.Name
	}
	now := s.o.Clock.Now()
	l := store.WebLink{Kind: store.WebResident, Station: rec.Station, User: userKey, Name: name,
		Expires: now.Add(handlers.ResidentLinkDays * 24 * time.Hour)}
	if len(m.Roles) > 0 {
		l.Kind, l.Expires = store.WebStaff, time.Time{}
	}
	return s.o.Store.IssueWebLink(ctx, l, now)
}
