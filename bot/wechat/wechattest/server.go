package wechattest

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

// The bot account as a Server describes it.
const (
	// SelfNick is the bot account's nickname.
	SelfNick = "互助"
	// SelfDisplay is the bot account's group nickname (群昵称) in every
	// group; a message starting "@" + SelfDisplay + "\u2005" mentions it.
	SelfDisplay = "互助小助手"
	// Uin is the bot account's uin.
	Uin = 2100001
)

// waitTimeout bounds every wait for openwechat to do something.
const waitTimeout = 4 * time.Second

// Server is a fake web WeChat on loopback. Its zero value is not usable;
// NewServer starts one. It is safe for concurrent use.
type Server struct {
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	gen     int    // logins so far
	sid     string // the valid session, "" once expired
	uuids   []string
	scanned map[string]int // uuid → times polled since the scan; -1 expired
	people  []*Person
	groups  []*Group
	queue   []map[string]any
	sent    []Sent
	inits   int // successful webwxinit calls
	polled  int // the newest generation that polled (synccheck)
	msgSeq  int
	bad     []string // requests the fake does not know
	refuse  int      // the next send is answered with this ret
	wake    chan struct{}
	// pictures are the pictures sent so far, by MsgId; fetched counts
	// their downloads.
	pictures map[string]Picture
	fetched  int
}

// Picture is an image message's picture: the full one, and the thumbnail
// web WeChat also serves for it (type=slave).
type Picture struct{ Full, Thumb []byte }

// Person is someone the bot account sees: a friend, a group member, or
// both. Set its fields before AddPerson; the Server reads them from then on.
type Person struct {
	Nick string
	// Attr is the AttrStatus web WeChat reports for the person.
	Attr int64
	// Remark is the name the bot account gave a friend.
	Remark string
	// Friend puts the person in the bot account's contact list, so the bot
	// can write to them privately.
	Friend bool
}

// Group is a group chat the bot account is in. Set its fields before
// AddGroup.
type Group struct {
	Name string
	// Saved puts the group in the contact list (保存到通讯录), so it can be
	// found by name before it speaks.
	Saved   bool
	Members []Member
}

// Member is a person in a group, with their group nickname (群昵称), if
// any.
type Member struct {
	Person  *Person
	Display string
}

// Sent is one message the bot sent: from its own UserName to a person's or
// group's, with the text.
type Sent struct{ From, To, Content string }

// NewServer starts a Server on loopback; it is closed when the test ends,
// and the test fails then if openwechat made a request the Server does not
// know.
func NewServer(t testing.TB) *Server {
	s := &Server{t: t, scanned: map[string]int{}, wake: make(chan struct{}, 1), pictures: map[string]Picture{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.bad) > 0 {
			t.Errorf("wechattest: requests the fake does not know: %v", s.bad)
		}
	})
	return s
}

// Transport returns a RoundTripper that sends every request, whatever its
// host, to the Server, keeping path and query.
func (s *Server) Transport() http.RoundTripper {
	return rewriteTransport{host: s.srv.Listener.Addr().String(), next: s.srv.Client().Transport}
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

// AddPerson makes p known to the Server and returns it.
func (s *Server) AddPerson(p *Person) *Person {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.people = append(s.people, p)
	return p
}

// AddGroup makes g known to the Server and returns it. Its members must
// have been added with AddPerson.
func (s *Server) AddGroup(g *Group) *Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups = append(s.groups, g)
	return g
}

// UserNames of the current generation. The caller holds s.mu.
func (s *Server) selfName() string { return fmt.Sprintf("@s%dself", s.gen) }

func (s *Server) personName(p *Person) string {
	for i, q := range s.people {
		if q == p {
			return fmt.Sprintf("@s%dp%d", s.gen, i)
		}
	}
	s.t.Fatalf("wechattest: unknown person %+v", p)
	return ""
}

func (s *Server) groupName(g *Group) string {
	for i, q := range s.groups {
		if q == g {
			return fmt.Sprintf("@@s%dg%d", s.gen, i)
		}
	}
	s.t.Fatalf("wechattest: unknown group %+v", g)
	return ""
}

// SelfUserName returns the bot account's UserName in the current login.
func (s *Server) SelfUserName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.selfName()
}

// GroupUserName returns g's UserName in the current login.
func (s *Server) GroupUserName(g *Group) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.groupName(g)
}

// PersonUserName returns p's UserName in the current login.
func (s *Server) PersonUserName(p *Person) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.personName(p)
}

// Scan approves the newest login QR code, waiting for one to be shown, and
// then waits for the login it allows to poll for messages.
func (s *Server) Scan() {
	s.t.Helper()
	s.waitFor("a QR code", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.uuids) > 0 && s.scanned[s.uuids[len(s.uuids)-1]] == 0
	})
	s.mu.Lock()
	s.scanned[s.uuids[len(s.uuids)-1]] = 1
	gen := s.gen
	s.mu.Unlock()
	s.poke()
	s.WaitSyncing(gen + 1)
}

// WaitSyncing waits for login generation gen (1 for the first login) to
// poll for messages: then the login is complete, the session stored and
// adopted for sending.
func (s *Server) WaitSyncing(gen int) {
	s.t.Helper()
	s.waitFor(fmt.Sprintf("login %d to poll for messages", gen), func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.polled >= gen
	})
}

// ExpireQR lets the newest QR code time out unscanned, waiting for one to be
// shown.
func (s *Server) ExpireQR() {
	s.t.Helper()
	s.waitFor("a QR code", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.uuids) > 0 && s.scanned[s.uuids[len(s.uuids)-1]] == 0
	})
	s.mu.Lock()
	s.scanned[s.uuids[len(s.uuids)-1]] = -1
	s.mu.Unlock()
	s.poke()
}

// Expire ends the session, as logging out on the phone does: openwechat is
// then answered ret 1101.
func (s *Server) Expire() {
	s.mu.Lock()
	s.sid = ""
	s.mu.Unlock()
	s.poke()
}

// Refuse answers the next send with ret instead of sending it, as WeChat
// answers 1205 to an account that sends too often.
func (s *Server) Refuse(ret int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = ret
}

// Say posts text in group g as member p. A mention is written as WeChat
// writes one picked from the list: "@" + name + "\u2005".
func (s *Server) Say(g *Group, p *Person, text string) {
	s.mu.Lock()
	from := s.groupName(g)
	s.enqueue(from, s.personName(p)+":<br/>"+text)
	s.mu.Unlock()
	s.poke()
}

// Private sends text to the bot account from p, privately.
func (s *Server) Private(p *Person, text string) {
	s.mu.Lock()
	s.enqueue(s.personName(p), text)
	s.mu.Unlock()
	s.poke()
}

// SayPicture posts a picture in group g as member p, as an image message
// (MsgType 3) whose picture the bot then downloads.
func (s *Server) SayPicture(g *Group, p *Person, pic Picture) {
	s.mu.Lock()
	id := s.enqueueMsg(msgTypeImage, s.groupName(g), s.personName(p)+":<br/>"+pictureContent(pic))
	s.pictures[id] = pic
	s.mu.Unlock()
	s.poke()
}

// PrivatePicture sends a picture to the bot account from p, privately.
func (s *Server) PrivatePicture(p *Person, pic Picture) {
	s.mu.Lock()
	id := s.enqueueMsg(msgTypeImage, s.personName(p), pictureContent(pic))
	s.pictures[id] = pic
	s.mu.Unlock()
	s.poke()
}

// PictureFetches reports how many times a picture (full or thumbnail) was
// downloaded.
func (s *Server) PictureFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetched
}

// pictureContent is the description web WeChat sends as an image message's
// content, escaped as it arrives.
func pictureContent(pic Picture) string {
	return fmt.Sprintf(`&lt;?xml version="1.0"?&gt;<br/>&lt;msg&gt;&lt;img length="%d" hdlength="%d" /&gt;&lt;/msg&gt;`,
		len(pic.Full), len(pic.Full))
}

// Message types the fake sends.
const (
	msgTypeText  = 1
	msgTypeImage = 3
)

// enqueue queues a text message for the sync loop. The caller holds s.mu.
func (s *Server) enqueue(from, content string) { s.enqueueMsg(msgTypeText, from, content) }

// enqueueMsg queues a message of type kind for the sync loop and returns its
// MsgId. The caller holds s.mu.
func (s *Server) enqueueMsg(kind int, from, content string) string {
	s.msgSeq++
	id := fmt.Sprint(9000 + s.msgSeq)
	s.queue = append(s.queue, map[string]any{
		"MsgId": id, "NewMsgId": 9000 + s.msgSeq, "MsgType": kind,
		"FromUserName": from, "ToUserName": s.selfName(), "Content": content,
		"CreateTime": time.Now().Unix(), "Status": 3,
	})
	return id
}

// Sent returns every message sent so far, in the order sent.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// WaitSent waits until n messages were sent and returns them all; it fails
// the test after a few seconds.
func (s *Server) WaitSent(n int) []Sent {
	s.t.Helper()
	s.waitFor(fmt.Sprintf("%d sent messages", n), func() bool { return len(s.Sent()) >= n })
	return s.Sent()
}

// QRCodes reports how many login QR codes were shown.
func (s *Server) QRCodes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.uuids)
}

// Inits reports how many logins (fresh or hot) were initialised.
func (s *Server) Inits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inits
}

func (s *Server) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// hold waits up to d for something to change, as WeChat's long polls do
// (for 25 seconds; here briefly, so a test ends quickly).
func (s *Server) hold(r *http.Request, d time.Duration) {
	select {
	case <-s.wake:
	case <-time.After(d):
	case <-r.Context().Done():
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
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
		s.mu.Lock()
		uuid := fmt.Sprintf("QR%d", len(s.uuids)+1)
		s.uuids = append(s.uuids, uuid)
		s.mu.Unlock()
		fmt.Fprintf(w, `window.QRLogin.code = 200; window.QRLogin.uuid = "%s";`, uuid)
	case strings.HasSuffix(path, "/mmwebwx-bin/login"):
		s.checkLogin(w, r)
	case strings.HasSuffix(path, "/webwxnewloginpage"):
		s.mu.Lock()
		s.gen++
		s.sid = fmt.Sprintf("sid%d", s.gen)
		sid := s.sid
		s.mu.Unlock()
		for name, v := range map[string]string{"wxsid": sid, "wxuin": fmt.Sprint(Uin), "webwx_data_ticket": "dt" + sid} {
			http.SetCookie(w, &http.Cookie{Name: name, Value: v, Path: "/"})
		}
		fmt.Fprintf(w, `<error><ret>0</ret><message></message><skey>@crypt_%s</skey><wxsid>%s</wxsid><wxuin>%d</wxuin><pass_ticket>pt%s</pass_ticket><isgrayscale>1</isgrayscale></error>`,
			sid, sid, Uin, sid)
	case strings.HasSuffix(path, "/webwxinit"):
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.valid(req.BaseRequest.Sid) {
			writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 1101, "ErrMsg": ""}})
			return
		}
		s.inits++
		writeJSON(w, map[string]any{
			"BaseResponse": map[string]any{"Ret": 0},
			"User":         map[string]any{"UserName": s.selfName(), "NickName": SelfNick, "Uin": Uin},
			"SyncKey":      syncKey(s.msgSeq),
			"ContactList":  []any{},
		})
	case strings.HasSuffix(path, "/webwxstatusnotify"):
		writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 0}, "MsgID": "1"})
	case strings.HasSuffix(path, "/synccheck"):
		s.syncCheck(w, r)
	case strings.HasSuffix(path, "/webwxsync"):
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.valid(r.URL.Query().Get("sid")) {
			writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 1101}})
			return
		}
		msgs := s.queue
		s.queue = nil
		writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 0}, "AddMsgCount": len(msgs),
			"AddMsgList": msgs, "SyncKey": syncKey(s.msgSeq)})
	case strings.HasSuffix(path, "/webwxgetcontact"):
		s.mu.Lock()
		defer s.mu.Unlock()
		var list []any
		for _, p := range s.people {
			if p.Friend {
				list = append(list, s.userJSON(p, ""))
			}
		}
		for _, g := range s.groups {
			if g.Saved {
				list = append(list, map[string]any{"UserName": s.groupName(g), "NickName": g.Name, "MemberList": []any{}})
			}
		}
		writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 0}, "MemberCount": len(list), "MemberList": list, "Seq": 0})
	case strings.HasSuffix(path, "/webwxbatchgetcontact"):
		s.mu.Lock()
		defer s.mu.Unlock()
		var list []any
		for _, item := range req.List {
			list = append(list, s.detail(item.UserName))
		}
		writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 0}, "Count": len(list), "ContactList": list})
	case strings.HasSuffix(path, "/webwxsendmsg"):
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.valid(req.BaseRequest.Sid) {
			writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 1101}})
			return
		}
		if s.refuse != 0 {
			writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": s.refuse}})
			s.refuse = 0
			return
		}
		s.sent = append(s.sent, Sent{From: req.Msg.FromUserName, To: req.Msg.ToUserName, Content: req.Msg.Content})
		writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 0}, "MsgID": fmt.Sprint(len(s.sent)), "LocalID": "1"})
	case strings.HasSuffix(path, "/webwxgetmsgimg"):
		s.servePicture(w, r)
	case strings.HasSuffix(path, "/webwxpushloginurl"):
		writeJSON(w, map[string]any{"ret": "1", "msg": "push login is off in the fake"})
	default:
		s.mu.Lock()
		s.bad = append(s.bad, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		http.NotFound(w, r)
	}
}

// servePicture answers webwxgetmsgimg: the picture of MsgID, or its
// thumbnail with type=slave, for the live session's skey.
func (s *Server) servePicture(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	pic, ok := s.pictures[q.Get("MsgID")]
	live := s.sid != "" && q.Get("skey") == "@crypt_"+s.sid
	if ok && live {
		s.fetched++
	}
	s.mu.Unlock()
	if !ok || !live {
		http.NotFound(w, r)
		return
	}
	data := pic.Full
	if q.Get("type") == "slave" {
		data = pic.Thumb
	}
	w.Header().Set("Content-Type", "image/jpeg")
	_, _ = w.Write(data)
}

// valid reports whether sid is the live session. The caller holds s.mu.
func (s *Server) valid(sid string) bool { return sid != "" && sid == s.sid }

func (s *Server) checkLogin(w http.ResponseWriter, r *http.Request) {
	uuid := r.URL.Query().Get("uuid")
	for range 2 {
		s.mu.Lock()
		n, ok := s.scanned[uuid]
		if ok && n > 0 {
			s.scanned[uuid] = n + 1
		}
		s.mu.Unlock()
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
		s.hold(r, 150*time.Millisecond)
	}
	fmt.Fprint(w, `window.code=408;`)
}

func (s *Server) syncCheck(w http.ResponseWriter, r *http.Request) {
	sid := r.URL.Query().Get("sid")
	s.mu.Lock()
	if s.valid(sid) {
		s.polled = s.gen
	}
	s.mu.Unlock()
	for range 2 {
		s.mu.Lock()
		valid, pending := s.valid(sid), len(s.queue) > 0
		s.mu.Unlock()
		switch {
		case !valid:
			fmt.Fprint(w, `window.synccheck={retcode:"1101",selector:"0"}`)
			return
		case pending:
			fmt.Fprint(w, `window.synccheck={retcode:"0",selector:"2"}`)
			return
		}
		s.hold(r, 100*time.Millisecond)
	}
	fmt.Fprint(w, `window.synccheck={retcode:"0",selector:"0"}`)
}

// detail is webwxbatchgetcontact's answer for one UserName. The caller
// holds s.mu.
func (s *Server) detail(userName string) any {
	for _, g := range s.groups {
		if s.groupName(g) != userName {
			continue
		}
		members := []any{map[string]any{"UserName": s.selfName(), "NickName": SelfNick, "DisplayName": SelfDisplay, "AttrStatus": 1}}
		for _, m := range g.Members {
			members = append(members, s.userJSON(m.Person, m.Display))
		}
		return map[string]any{"UserName": userName, "NickName": g.Name, "MemberCount": len(members),
			"MemberList": members, "EncryChatRoomId": "@enc" + userName[2:]}
	}
	for _, p := range s.people {
		if s.personName(p) == userName {
			return s.userJSON(p, "")
		}
	}
	return map[string]any{"UserName": userName}
}

// userJSON is p as a contact or member entry. The caller holds s.mu.
func (s *Server) userJSON(p *Person, display string) map[string]any {
	u := map[string]any{"UserName": s.personName(p), "NickName": p.Nick, "AttrStatus": p.Attr, "DisplayName": display,
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
func (s *Server) waitFor(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			s.t.Fatalf("wechattest: timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
