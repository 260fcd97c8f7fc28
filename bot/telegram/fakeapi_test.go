package telegram_test

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
)

// fakeAPI is a Bot API server on loopback for the real library to talk to.
// It reads the library's multipart requests as Telegram would, hands out
// queued updates to getUpdates (holding an empty poll briefly), records what
// is sent, and answers sendMessage with scripted failures when told to.
type fakeAPI struct {
	t     testing.TB
	srv   *httptest.Server
	token string
	me    models.User

	mu       sync.Mutex
	nextID   int64
	pending  []queued
	wake     chan struct{} // closed and replaced when an update is queued
	sent     []sentMessage
	answered []string
	webhook  map[string]string // the last setWebhook's fields
	failures map[int64][]apiFailure
	calls    map[string]int
	msgID    int
}

// pollHold bounds how long an empty getUpdates is held, so tests never wait
// for the library's minute-long poll.
const pollHold = 200 * time.Millisecond

type queued struct {
	id    int64
	raw   json.RawMessage
	again bool // delivered once more whatever the offset: a redelivery
}

// sentMessage is one sendMessage the fake received.
type sentMessage struct {
	ChatID   int64
	Text     string
	Entities []models.MessageEntity
	Markup   *models.InlineKeyboardMarkup
}

// apiFailure is an error answer for the next sendMessage to a chat.
type apiFailure struct {
	code        int
	description string
	retryAfter  int
	migrateTo   int64
}

var botUser = models.User{ID: 777, IsBot: true, FirstName: "互助", Username: "huzhu_test_bot"}

const testToken = "777:test-token"

func newFakeAPI(t testing.TB) *fakeAPI {
	f := &fakeAPI{
		t: t, token: testToken, me: botUser,
		wake: make(chan struct{}), failures: map[int64][]apiFailure{},
		calls: map[string]int{}, webhook: map[string]string{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) URL() string { return f.srv.URL }

// push queues an update, numbering it, and returns its id.
func (f *fakeAPI) push(u models.Update) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	u.ID = f.nextID
	raw, err := json.Marshal(u)
	if err != nil {
		f.t.Fatalf("fake: marshal update: %v", err)
	}
	f.pending = append(f.pending, queued{id: u.ID, raw: raw})
	close(f.wake)
	f.wake = make(chan struct{})
	return u.ID
}

// redeliver queues update id once more, as Telegram does after a timeout.
func (f *fakeAPI) redeliver(u models.Update) {
	f.mu.Lock()
	defer f.mu.Unlock()
	raw, err := json.Marshal(u)
	if err != nil {
		f.t.Fatalf("fake: marshal update: %v", err)
	}
	f.pending = append(f.pending, queued{id: u.ID, raw: raw, again: true})
	close(f.wake)
	f.wake = make(chan struct{})
}

// fail makes the next sendMessage calls to chat fail, in order.
func (f *fakeAPI) fail(chat int64, fs ...apiFailure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[chat] = append(f.failures[chat], fs...)
}

// revoke makes the fake refuse the token from now on, as Telegram does
// after BotFather revokes it.
func (f *fakeAPI) revoke() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token = "revoked"
}

// redeliveriesPending reports how many redeliveries were not yet handed
// out.
func (f *fakeAPI) redeliveriesPending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, q := range f.pending {
		if q.again {
			n++
		}
	}
	return n
}

func (f *fakeAPI) sentMessages() []sentMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentMessage(nil), f.sent...)
}

func (f *fakeAPI) callCount(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fakeAPI) answeredIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.answered...)
}

func (f *fakeAPI) webhookFields() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for k, v := range f.webhook {
		out[k] = v
	}
	return out
}

// waitSent waits until n messages were sent and returns them all.
func (f *fakeAPI) waitSent(n int) []sentMessage {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if s := f.sentMessages(); len(s) >= n {
			return s
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("fake: waited for %d sent messages, have %d: %+v", n, len(f.sentMessages()), f.sentMessages())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	token, method, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/bot"), "/")
	if !ok || !strings.HasPrefix(r.URL.Path, "/bot") {
		f.reply(w, http.StatusNotFound, nil, apiFailure{code: 404, description: "Not Found"})
		return
	}
	f.mu.Lock()
	want := f.token
	f.mu.Unlock()
	if token != want {
		f.reply(w, http.StatusUnauthorized, nil, apiFailure{code: 401, description: "Unauthorized"})
		return
	}
	form, err := readForm(r)
	if err != nil {
		f.reply(w, http.StatusBadRequest, nil, apiFailure{code: 400, description: "Bad Request: " + err.Error()})
		return
	}
	f.mu.Lock()
	f.calls[method]++
	f.mu.Unlock()

	switch method {
	case "getMe":
		f.reply(w, http.StatusOK, f.me, apiFailure{})
	case "getWebhookInfo":
		f.mu.Lock()
		info := models.WebhookInfo{URL: f.webhook["url"]}
		f.mu.Unlock()
		f.reply(w, http.StatusOK, info, apiFailure{})
	case "deleteWebhook":
		f.mu.Lock()
		f.webhook = map[string]string{}
		f.mu.Unlock()
		f.reply(w, http.StatusOK, true, apiFailure{})
	case "setWebhook":
		f.mu.Lock()
		f.webhook = form
		f.mu.Unlock()
		f.reply(w, http.StatusOK, true, apiFailure{})
	case "getUpdates":
		f.getUpdates(w, r, form)
	case "sendMessage":
		f.sendMessage(w, form)
	case "answerCallbackQuery":
		f.mu.Lock()
		f.answered = append(f.answered, form["callback_query_id"])
		f.mu.Unlock()
		f.reply(w, http.StatusOK, true, apiFailure{})
	default:
		f.reply(w, http.StatusNotFound, nil, apiFailure{code: 404, description: "Not Found: method " + method})
	}
}

// readForm reads a request's fields: multipart, as the library sends
// them, or none at all.
func readForm(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return out, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "multipart/form-data" {
		return nil, fmt.Errorf("content type %q is not multipart/form-data", ct)
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		return nil, err
	}
	for k, v := range r.MultipartForm.Value {
		if len(v) != 1 {
			return nil, fmt.Errorf("field %s sent %d times", k, len(v))
		}
		out[k] = v[0]
	}
	return out, nil
}

func (f *fakeAPI) getUpdates(w http.ResponseWriter, r *http.Request, form map[string]string) {
	offset, _ := strconv.ParseInt(form["offset"], 10, 64)
	timeout, _ := strconv.Atoi(form["timeout"])
	hold := min(time.Duration(timeout)*time.Second, pollHold)
	deadline := time.NewTimer(hold)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		var out []json.RawMessage
		kept := f.pending[:0]
		for _, q := range f.pending {
			switch {
			case q.again:
				out = append(out, q.raw) // handed out once, then forgotten
			case q.id >= offset:
				out = append(out, q.raw)
				kept = append(kept, q) // until a later offset confirms it
			}
		}
		f.pending = kept
		wake := f.wake
		f.mu.Unlock()
		if len(out) > 0 {
			f.reply(w, http.StatusOK, out, apiFailure{})
			return
		}
		select {
		case <-wake:
		case <-deadline.C:
			f.reply(w, http.StatusOK, []json.RawMessage{}, apiFailure{})
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (f *fakeAPI) sendMessage(w http.ResponseWriter, form map[string]string) {
	chat, err := strconv.ParseInt(form["chat_id"], 10, 64)
	if err != nil {
		f.reply(w, http.StatusBadRequest, nil, apiFailure{code: 400, description: "Bad Request: chat_id is empty"})
		return
	}
	if form["text"] == "" {
		f.reply(w, http.StatusBadRequest, nil, apiFailure{code: 400, description: "Bad Request: message text is empty"})
		return
	}
	msg := sentMessage{ChatID: chat, Text: form["text"]}
	if e := form["entities"]; e != "" {
		if err := json.Unmarshal([]byte(e), &msg.Entities); err != nil {
			f.reply(w, http.StatusBadRequest, nil, apiFailure{code: 400, description: "Bad Request: can't parse entities"})
			return
		}
	}
	if m := form["reply_markup"]; m != "" {
		msg.Markup = &models.InlineKeyboardMarkup{}
		if err := json.Unmarshal([]byte(m), msg.Markup); err != nil {
			f.reply(w, http.StatusBadRequest, nil, apiFailure{code: 400, description: "Bad Request: can't parse reply keyboard markup"})
			return
		}
	}
	f.mu.Lock()
	if fs := f.failures[chat]; len(fs) > 0 {
		f.failures[chat] = fs[1:]
		f.mu.Unlock()
		f.reply(w, fs[0].code, nil, fs[0])
		return
	}
	f.sent = append(f.sent, msg)
	f.msgID++
	id := f.msgID
	f.mu.Unlock()
	chatType := models.ChatTypeSupergroup
	if chat > 0 {
		chatType = models.ChatTypePrivate
	}
	f.reply(w, http.StatusOK, models.Message{ID: id, Date: int(time.Now().Unix()),
		Chat: models.Chat{ID: chat, Type: chatType}, From: &f.me, Text: msg.Text}, apiFailure{})
}

// reply writes a Bot API answer: result when fail.code is zero, else the
// error with its parameters.
func (f *fakeAPI) reply(w http.ResponseWriter, status int, result any, fail apiFailure) {
	body := map[string]any{"ok": fail.code == 0}
	if fail.code == 0 {
		body["result"] = result
	} else {
		body["error_code"] = fail.code
		body["description"] = fail.description
		params := map[string]any{}
		if fail.retryAfter > 0 {
			params["retry_after"] = fail.retryAfter
		}
		if fail.migrateTo != 0 {
			params["migrate_to_chat_id"] = fail.migrateTo
		}
		if len(params) > 0 {
			body["parameters"] = params
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(body); err != nil {
		f.t.Logf("fake: write answer: %v", err)
	}
}

// Builders of the updates Telegram sends.

var (
	alice = models.User{ID: 1001, FirstName: "Alice", LastName: "Wang", Username: "alice_w"}
	bob   = models.User{ID: 3003, FirstName: "Bob", Username: "bob_w"}
	zhang = models.User{ID: 4004, FirstName: "张阿姨"} // no username
	group = models.Chat{ID: -100, Type: models.ChatTypeGroup, Title: "阳光小区"}
)

var msgSeq struct {
	sync.Mutex
	n int
}

func nextMsgID() int {
	msgSeq.Lock()
	defer msgSeq.Unlock()
	msgSeq.n++
	return msgSeq.n
}

// message returns an update with a text message from u in chat.
func message(chat models.Chat, u models.User, text string, entities ...models.MessageEntity) models.Update {
	from := u
	return models.Update{Message: &models.Message{
		ID: nextMsgID(), Date: int(time.Now().Unix()), Chat: chat, From: &from, Text: text, Entities: entities,
	}}
}

// privateChat is u's private chat with the bot.
func privateChat(u models.User) models.Chat {
	return models.Chat{ID: u.ID, Type: models.ChatTypePrivate, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username}
}

// entity marks the first occurrence of word in text, counting UTF-16 units
// as Telegram does.
func entity(text, word string, typ models.MessageEntityType) models.MessageEntity {
	i := strings.Index(text, word)
	if i < 0 {
		panic("entity: " + word + " not in " + text)
	}
	return models.MessageEntity{Type: typ, Offset: utf16Units(text[:i]), Length: utf16Units(word)}
}

func utf16Units(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}
