package wechat_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeWeChat is web WeChat as far as openwechat uses it: the QR login, the
// session (wxsid), the sync loop, contacts, group member lists and sending.
// Every login is a new generation, and every UserName carries it, as the
// real ones change at every login. The real openwechat talks to it through
// a Transport that sends every request, whatever its host, to the server.
type fakeWeChat struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	gen     int    // logins so far
	sid     string // the valid session, "" once expired
	uuids   []string
	scanned map[string]int // uuid → times polled since the scan; -1 expired
	people  []*fakePerson
	groups  []*fakeGroup
	queue   []map[string]any
	sent    []sentMsg
	inits   int // successful webwxinit calls
	polled  int // the newest generation that polled (synccheck)
	msgSeq  int
	bad     []string // requests the fake does not know
	refuse  int      // the next sends answered with this ret
	wake    chan struct{}
}

type fakePerson struct {
	Nick   string
	Attr   int64
	Remark string // the bot account's remark, for a friend
	Friend bool
}

type fakeGroup struct {
	Name    string
	Saved   bool // saved to contacts, so it is in the contact list
	Members []fakeMember
}

type fakeMember struct {
	P       *fakePerson
	Display string
}

type sentMsg struct{ From, To, Content string }

const (
	fakeSelfNick    = "互助"
	fakeSelfDisplay = "互助小助手"
	fakeUin         = 2100001
)

func newFakeWeChat(t *testing.T) *fakeWeChat {
	f := &fakeWeChat{t: t, scanned: map[string]int{}, wake: make(chan struct{}, 1)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.bad) > 0 {
			t.Errorf("fake WeChat got requests it does not know: %v", f.bad)
		}
	})
	return f
}

// transport sends every request to the fake, keeping path and query.
func (f *fakeWeChat) transport() http.RoundTripper {
	return rewriteTransport{host: f.srv.Listener.Addr().String(), next: f.srv.Client().Transport}
}

type rewriteTransport struct {
	host string
	next http.RoundTripper
}

func (r rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context()) // the cookie jar keeps seeing the real host
	out.URL.Scheme, out.URL.Host, out.Host = "http", r.host, r.host
	return r.next.RoundTrip(out)
}

func (f *fakeWeChat) person(p *fakePerson) *fakePerson {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.people = append(f.people, p)
	return p
}

func (f *fakeWeChat) group(g *fakeGroup) *fakeGroup {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups = append(f.groups, g)
	return g
}

// UserNames of the current generation. The caller holds f.mu.
func (f *fakeWeChat) selfName() string { return fmt.Sprintf("@s%dself", f.gen) }

func (f *fakeWeChat) personName(p *fakePerson) string {
	for i, q := range f.people {
		if q == p {
			return fmt.Sprintf("@s%dp%d", f.gen, i)
		}
	}
	f.t.Fatalf("fake: unknown person %+v", p)
	return ""
}

func (f *fakeWeChat) groupName(g *fakeGroup) string {
	for i, q := range f.groups {
		if q == g {
			return fmt.Sprintf("@@s%dg%d", f.gen, i)
		}
	}
	f.t.Fatalf("fake: unknown group %+v", g)
	return ""
}

// GroupUserName and PersonUserName are for assertions.
func (f *fakeWeChat) GroupUserName(g *fakeGroup) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.groupName(g)
}

func (f *fakeWeChat) PersonUserName(p *fakePerson) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.personName(p)
}

// Scan approves the newest login QR code, waiting for one to be shown, and
// then for the login it allows.
func (f *fakeWeChat) Scan() {
	f.t.Helper()
	waitFor(f.t, "a QR code", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.uuids) > 0 && f.scanned[f.uuids[len(f.uuids)-1]] == 0
	})
	f.mu.Lock()
	f.scanned[f.uuids[len(f.uuids)-1]] = 1
	gen := f.gen
	f.mu.Unlock()
	f.poke()
	f.waitSyncing(gen + 1)
}

// waitSyncing waits for login generation gen to poll for messages: then the
// login is complete, the session stored and adopted for sending.
func (f *fakeWeChat) waitSyncing(gen int) {
	f.t.Helper()
	waitFor(f.t, fmt.Sprintf("login %d to poll for messages", gen), func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.polled >= gen
	})
}

// ExpireQR lets the newest QR code time out unscanned, waiting for one to be
// shown.
func (f *fakeWeChat) ExpireQR() {
	f.t.Helper()
	waitFor(f.t, "a QR code", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.uuids) > 0 && f.scanned[f.uuids[len(f.uuids)-1]] == 0
	})
	f.mu.Lock()
	f.scanned[f.uuids[len(f.uuids)-1]] = -1
	f.mu.Unlock()
	f.poke()
}

// Expire ends the session, as logging out on the phone does.
func (f *fakeWeChat) Expire() {
	f.mu.Lock()
	f.sid = ""
	f.mu.Unlock()
	f.poke()
}

// Say posts text in group g as p; Private sends it to the bot as p.
func (f *fakeWeChat) Say(g *fakeGroup, p *fakePerson, text string) {
	f.mu.Lock()
	from := f.groupName(g)
	f.enqueue(from, f.personName(p)+":<br/>"+text)
	f.mu.Unlock()
	f.poke()
}

func (f *fakeWeChat) Private(p *fakePerson, text string) {
	f.mu.Lock()
	f.enqueue(f.personName(p), text)
	f.mu.Unlock()
	f.poke()
}

func (f *fakeWeChat) enqueue(from, content string) {
	f.msgSeq++
	f.queue = append(f.queue, map[string]any{
		"MsgId": fmt.Sprint(9000 + f.msgSeq), "NewMsgId": 9000 + f.msgSeq, "MsgType": 1,
		"FromUserName": from, "ToUserName": f.selfName(), "Content": content,
		"CreateTime": time.Now().Unix(), "Status": 3,
	})
}

func (f *fakeWeChat) Sent() []sentMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentMsg(nil), f.sent...)
}

func (f *fakeWeChat) QRCodes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.uuids)
}

func (f *fakeWeChat) Inits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inits
}

func (f *fakeWeChat) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// hold waits up to d for something to change, as WeChat's long polls do
// (for 25 seconds; here briefly, so a test ends quickly).
func (f *fakeWeChat) hold(r *http.Request, d time.Duration) {
	select {
	case <-f.wake:
	case <-time.After(d):
	case <-r.Context().Done():
	}
}

func (f *fakeWeChat) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		BaseRequest struct{ Sid string }
		Msg         struct{ FromUserName, ToUserName, Content string }
		List        []struct{ UserName string }
	}
	if len(body) > 0 {
		_ = json.Unmarshal(body, &req)
	}
	switch path := r.URL.Path; {
	case strings.HasSuffix(path, "/jslogin"):
		f.mu.Lock()
		uuid := fmt.Sprintf("QR%d", len(f.uuids)+1)
		f.uuids = append(f.uuids, uuid)
		f.mu.Unlock()
		fmt.Fprintf(w, `window.QRLogin.code = 200; window.QRLogin.uuid = "%s";`, uuid)
	case strings.HasSuffix(path, "/mmwebwx-bin/login"):
		f.checkLogin(w, r)
	case strings.HasSuffix(path, "/webwxnewloginpage"):
		f.mu.Lock()
		f.gen++
		f.sid = fmt.Sprintf("sid%d", f.gen)
		sid := f.sid
		f.mu.Unlock()
		for name, v := range map[string]string{"wxsid": sid, "wxuin": fmt.Sprint(fakeUin), "webwx_data_ticket": "dt" + sid} {
			http.SetCookie(w, &http.Cookie{Name: name, Value: v, Path: "/"})
		}
		fmt.Fprintf(w, `<error><ret>0</ret><message></message><skey>@crypt_%s</skey><wxsid>%s</wxsid><wxuin>%d</wxuin><pass_ticket>pt%s</pass_ticket><isgrayscale>1</isgrayscale></error>`,
			sid, sid, fakeUin, sid)
	case strings.HasSuffix(path, "/webwxinit"):
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.valid(req.BaseRequest.Sid) {
			writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 1101, "ErrMsg": ""}})
			return
		}
		f.inits++
		writeJSON(w, map[string]any{
			"BaseResponse": map[string]any{"Ret": 0},
			"User":         map[string]any{"UserName": f.selfName(), "NickName": fakeSelfNick, "Uin": fakeUin},
			"SyncKey":      syncKey(f.msgSeq),
			"ContactList":  []any{},
		})
	case strings.HasSuffix(path, "/webwxstatusnotify"):
		writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 0}, "MsgID": "1"})
	case strings.HasSuffix(path, "/synccheck"):
		f.syncCheck(w, r)
	case strings.HasSuffix(path, "/webwxsync"):
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.valid(r.URL.Query().Get("sid")) {
			writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 1101}})
			return
		}
		msgs := f.queue
		f.queue = nil
		writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 0}, "AddMsgCount": len(msgs),
			"AddMsgList": msgs, "SyncKey": syncKey(f.msgSeq)})
	case strings.HasSuffix(path, "/webwxgetcontact"):
		f.mu.Lock()
		defer f.mu.Unlock()
		var list []any
		for _, p := range f.people {
			if p.Friend {
				list = append(list, f.userJSON(p, ""))
			}
		}
		for _, g := range f.groups {
			if g.Saved {
				list = append(list, map[string]any{"UserName": f.groupName(g), "NickName": g.Name, "MemberList": []any{}})
			}
		}
		writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 0}, "MemberCount": len(list), "MemberList": list, "Seq": 0})
	case strings.HasSuffix(path, "/webwxbatchgetcontact"):
		f.mu.Lock()
		defer f.mu.Unlock()
		var list []any
		for _, item := range req.List {
			list = append(list, f.detail(item.UserName))
		}
		writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 0}, "Count": len(list), "ContactList": list})
	case strings.HasSuffix(path, "/webwxsendmsg"):
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.valid(req.BaseRequest.Sid) {
			writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 1101}})
			return
		}
		if f.refuse != 0 {
			writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": f.refuse}})
			f.refuse = 0
			return
		}
		f.sent = append(f.sent, sentMsg{From: req.Msg.FromUserName, To: req.Msg.ToUserName, Content: req.Msg.Content})
		writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 0}, "MsgID": fmt.Sprint(len(f.sent)), "LocalID": "1"})
	case strings.HasSuffix(path, "/webwxpushloginurl"):
		writeJSON(w, map[string]any{"ret": "1", "msg": "push login is off in the fake"})
	default:
		f.mu.Lock()
		f.bad = append(f.bad, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		http.NotFound(w, r)
	}
}

// valid reports whether sid is the live session. The caller holds f.mu.
func (f *fakeWeChat) valid(sid string) bool { return sid != "" && sid == f.sid }

func (f *fakeWeChat) checkLogin(w http.ResponseWriter, r *http.Request) {
	uuid := r.URL.Query().Get("uuid")
	for range 2 {
		f.mu.Lock()
		n, ok := f.scanned[uuid]
		if ok && n > 0 {
			f.scanned[uuid] = n + 1
		}
		f.mu.Unlock()
		switch {
		case ok && n < 0:
			fmt.Fprint(w, `window.code=400;`)
			return
		case ok && n == 1:
			fmt.Fprint(w, `window.code=201;window.userAvatar = 'data:img/jpg;base64,';`)
			return
		case ok && n > 1:
			fmt.Fprintf(w, "window.code=200;\nwindow.redirect_uri=\"https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxnewloginpage?ticket=T%s&uuid=%s&lang=zh_CN&scan=1\";", uuid, uuid)
			return
		}
		f.hold(r, 150*time.Millisecond)
	}
	fmt.Fprint(w, `window.code=408;`)
}

func (f *fakeWeChat) syncCheck(w http.ResponseWriter, r *http.Request) {
	sid := r.URL.Query().Get("sid")
	f.mu.Lock()
	if f.valid(sid) {
		f.polled = f.gen
	}
	f.mu.Unlock()
	for range 2 {
		f.mu.Lock()
		valid, pending := f.valid(sid), len(f.queue) > 0
		f.mu.Unlock()
		switch {
		case !valid:
			fmt.Fprint(w, `window.synccheck={retcode:"1101",selector:"0"}`)
			return
		case pending:
			fmt.Fprint(w, `window.synccheck={retcode:"0",selector:"2"}`)
			return
		}
		f.hold(r, 100*time.Millisecond)
	}
	fmt.Fprint(w, `window.synccheck={retcode:"0",selector:"0"}`)
}

// detail is webwxbatchgetcontact's answer for one UserName. The caller
// holds f.mu.
func (f *fakeWeChat) detail(userName string) any {
	for _, g := range f.groups {
		if f.groupName(g) != userName {
			continue
		}
		members := []any{map[string]any{"UserName": f.selfName(), "NickName": fakeSelfNick, "DisplayName": fakeSelfDisplay, "AttrStatus": 1}}
		for _, m := range g.Members {
			members = append(members, f.userJSON(m.P, m.Display))
		}
		return map[string]any{"UserName": userName, "NickName": g.Name, "MemberCount": len(members),
			"MemberList": members, "EncryChatRoomId": "@enc" + userName[2:]}
	}
	for _, p := range f.people {
		if f.personName(p) == userName {
			return f.userJSON(p, "")
		}
	}
	return map[string]any{"UserName": userName}
}

func (f *fakeWeChat) userJSON(p *fakePerson, display string) map[string]any {
	u := map[string]any{"UserName": f.personName(p), "NickName": p.Nick, "AttrStatus": p.Attr, "DisplayName": display,
		"Uin": 0, "VerifyFlag": 0}
	if p.Friend {
		u["RemarkName"] = p.Remark
		u["ContactFlag"] = 3
	}
	return u
}

func syncKey(n int) map[string]any {
	return map[string]any{"Count": 1, "List": []map[string]any{{"Key": 1, "Val": 1000 + n}}}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// waitFor polls cond until it holds, failing the test after a few seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(4 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
