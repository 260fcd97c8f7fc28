package web

import (
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/handlers/slips"
)

var codeLine = regexp.MustCompile(`(\S+)：([0-9A-Z]{4} [0-9A-Z]{4})`)

// phone is a browser with its own cookies.
type phone struct {
	t *testing.T
	c *http.Client
	w *world
}

func (w *world) phone() *phone {
	jar, _ := cookiejar.New(nil)
	return &phone{t: w.t, w: w, c: &http.Client{Jar: jar}}
}

func (p *phone) do(method, path string, form url.Values) (int, string) {
	p.t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = p.c.PostForm(p.w.http.URL+path, form)
	} else {
		resp, err = p.c.Get(p.w.http.URL + path)
	}
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func TestHouseholdActsWithItsCode(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		w.setUp()
		base := w.link("张站长", "本站 网页")
		codes := map[string]string{}
		for _, o := range w.say("张站长", true, "住户码 3幢") {
			for _, m := range codeLine.FindAllStringSubmatch(o.Text, -1) {
				codes[m[1]] = m[2]
			}
		}
		code := codes["3幢2单元301"]
		if code == "" {
			t.Fatalf("no code for 3幢2单元301 in %v", codes)
		}
		a, c := w.phone(), w.phone()
		// The slip's link: redeemed, remembered, sent on to 「我家」 without the code.
		st, page := a.do("GET", base+"?"+slips.CodeParam+"="+url.QueryEscape(code), nil)
		if st != http.StatusOK || !strings.Contains(page, `id="room"`) || !strings.Contains(page, "3幢2单元301") {
			t.Fatalf("slip link = %d:\n%s", st, page)
		}
		// The household's own vote (王阿姨's, from the chat) is on its page, and the feed link.
		if !strings.Contains(page, "古铜") || !strings.Contains(page, "webcal://") {
			t.Fatalf("「我家」 lacks the household's vote or feed:\n%s", page)
		}
		// The station's public page shows nothing of it.
		if _, pub := w.get(base + "polls"); strings.Contains(pub, "3幢2单元301") || strings.Contains(pub, `name="option"`) {
			t.Fatalf("the public page shows a household or a form:\n%s", pub)
		}
		// Another phone types the code once.
		_, form := c.do("GET", base+"mine", nil)
		m := csrfField.FindStringSubmatch(form)
		if m == nil {
			t.Fatalf("no code form:\n%s", form)
		}
		if st, page := c.do("POST", base+"code", url.Values{"csrf": {m[1]}, "code": {strings.ToLower(code)}}); st != http.StatusOK || !strings.Contains(page, `id="room"`) {
			t.Fatalf("typed code = %d:\n%s", st, page)
		}
		// The first phone changes the household's vote; the second sees it.
		_, pp := a.do("GET", base+"polls", nil)
		m = csrfField.FindStringSubmatch(pp)
		if m == nil || !strings.Contains(pp, `name="option"`) {
			t.Fatalf("no vote form for the household:\n%s", pp)
		}
		if st, done := a.do("POST", base+"act", url.Values{"csrf": {m[1]}, "nonce": {randomID()}, "action": {"vote"}, "n": {"1"}, "option": {"2"}}); st != http.StatusOK {
			t.Fatalf("vote = %d:\n%s", st, done)
		}
		if _, page := c.do("GET", base+"mine", nil); !strings.Contains(page, "银灰") {
			t.Fatalf("the other phone does not see the household's new vote:\n%s", page)
		}
		// A dog registered and its shot recorded from 「我家」, seen there.
		for _, f := range []url.Values{{"action": {"dog"}, "name": {"旺财"}, "breed": {"泰迪"}}, {"action": {"shot"}, "name": {"旺财"}}} {
			f.Set("csrf", m[1])
			f.Set("nonce", randomID())
			if st, done := a.do("POST", base+"act", f); st != http.StatusOK || !strings.Contains(done, "旺财") {
				t.Fatalf("%v = %d:\n%s", f, st, done)
			}
		}
		if _, page := c.do("GET", base+"mine", nil); !strings.Contains(page, "旺财（泰迪），狂犬疫苗到期：2027-11-25") {
			t.Fatalf("the dog is not on 「我家」:\n%s", page)
		}
		if _, pub := w.get(base + "stats"); strings.Contains(pub, "旺财") {
			t.Fatalf("the household's dog is on a public page")
		}
		// Someone asks to join the household; its phone confirms.
		w.say("王小妹", false, "登记 3幢2单元301")
		if st, done := a.do("POST", base+"act", url.Values{"csrf": {m[1]}, "nonce": {randomID()}, "action": {"joinyes"}, "n": {"1"}}); st != http.StatusOK || !strings.Contains(done, "王小妹") {
			t.Fatalf("confirming a join = %d:\n%s", st, done)
		}
		// A phone that signs out forgets the household; the other keeps it.
		_, mine := c.do("GET", base+"mine", nil)
		if m := csrfField.FindStringSubmatch(mine); m == nil {
			t.Fatalf("no sign-out form:\n%s", mine)
		} else if _, page := c.do("POST", base+"signout", url.Values{"csrf": {m[1]}}); strings.Contains(page, `id="nav-mine" class="on"`) {
			t.Fatalf("signed out:\n%s", page)
		}
		if _, page := c.do("GET", base+"mine", nil); !strings.Contains(page, `id="code"`) {
			t.Fatalf("a signed-out phone still acts for the household:\n%s", page)
		}
		if _, page := a.do("GET", base+"mine", nil); !strings.Contains(page, `id="room"`) {
			t.Fatalf("the other phone forgot the household:\n%s", page)
		}
		// Wrong codes are limited.
		x := w.phone()
		var last int
		var body string
		for range 10 {
			last, body = x.do("GET", base+"?c=AAAA0000", nil)
		}
		if last != http.StatusTooManyRequests || !strings.Contains(body, "分钟后再试") {
			t.Fatalf("10 wrong codes = %d:\n%s", last, body)
		}
		// A revoked code is refused on every phone.
		w.say("张站长", true, "住户码 3幢2单元301 作废")
		if st, page := a.do("GET", base+"mine", nil); st != http.StatusOK || !strings.Contains(page, "已作废") || strings.Contains(page, `id="room"`) {
			t.Fatalf("revoked code = %d:\n%s", st, page)
		}
		if st, _ := a.do("POST", base+"act", url.Values{"csrf": {m[1]}, "nonce": {randomID()}, "action": {"vote"}, "n": {"1"}, "option": {"1"}}); st == http.StatusOK {
			t.Fatalf("a revoked code's phone voted")
		}
	})
}

func TestCodeParam(t *testing.T) {
	tests := []struct {
		q        string
		code     string
		ok, fail bool
	}{
		{"", "", false, false},
		{"c=7KQ2M9XD", "7KQ2M9XD", true, false},
		{"c=7kq2-m9xd", "7kq2-m9xd", true, false},
		{"c=7KQ2M9XD&c=AAAA0000", "", false, true},
		{"c=7KQ2M9XD&x=1", "", false, true},
		{"x=1", "", false, true},
		{"c=" + strings.Repeat("A", 41), "", false, true},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.q)
		code, ok, err := codeParam(q)
		if code != tt.code || ok != tt.ok || (err != nil) != tt.fail {
			t.Errorf("codeParam(%q) = %q, %v, %v", tt.q, code, ok, err)
		}
	}
}

func FuzzCodeParam(f *testing.F) {
	for _, s := range []string{"", "c=7KQ2M9XD", "c=7kq2 m9xd", "c=a&c=b", "c=%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		code, ok, err := codeParam(q)
		if err == nil && (len(code) > 40 || (ok && len(q) != 1) || (!ok && code != "")) {
			t.Errorf("codeParam(%q) = %q, %v", s, code, ok)
		}
	})
}

// TestHouseholdCookie checks what the phone keeps: a session, never the
// code; HttpOnly, SameSite=Lax, only for the station link's pages, and
// Secure behind an https address.
func TestHouseholdCookie(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		w := newWorldAt(t, b, "https://pages.test")
		w.setUp()
		base := w.link("张站长", "本站 网页")
		var code string
		for _, o := range w.say("张站长", true, "住户码 3幢") {
			if m := codeLine.FindStringSubmatch(o.Text); m != nil {
				code = strings.ReplaceAll(m[2], " ", "")
			}
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Get(w.http.URL + base + "?c=" + code)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != base+"mine" {
			t.Fatalf("redeem = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		cs := resp.Cookies()
		if len(cs) != 1 {
			t.Fatalf("cookies %v", cs)
		}
		c := cs[0]
		if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != base || strings.Contains(strings.ToUpper(c.Value), code) {
			t.Fatalf("cookie %+v", c)
		}
		if strings.Contains(c.Value, store.WebPlatform) {
			t.Fatalf("cookie names its person: %q", c.Value)
		}
	})
}

// TestRevokedCodeSessionGone: revoking a household's code deletes the
// sessions its phones made with it: the session's link opens nothing.
func TestRevokedCodeSessionGone(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		w.setUp()
		base := w.link("张站长", "本站 网页")
		var code string
		for _, o := range w.say("张站长", true, "住户码 3幢") {
			for _, m := range codeLine.FindAllStringSubmatch(o.Text, -1) {
				if m[1] == "3幢2单元301" {
					code = m[2]
				}
			}
		}
		a := w.phone()
		if st, page := a.do("GET", base+"?"+slips.CodeParam+"="+url.QueryEscape(code), nil); st != http.StatusOK || !strings.Contains(page, `id="room"`) {
			t.Fatalf("slip link = %d:\n%s", st, page)
		}
		u, _ := url.Parse(w.http.URL + base)
		var session string
		for _, c := range a.c.Jar.Cookies(u) {
			if c.Name == homeCookie {
				session = c.Value
			}
		}
		if session == "" {
			t.Fatal("the phone remembers no session")
		}
		w.say("张站长", true, "住户码 3幢2单元301 作废")
		if l, err := w.st.WebLinkFor(t.Context(), session, w.clock.Now()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the session after the revoke: %+v, %v; want it gone", l, err)
		}
		if st, page := w.get("/w/" + session + "/"); st != http.StatusNotFound {
			t.Errorf("the session's link after the revoke = %d:\n%s", st, page)
		}
	})
}
