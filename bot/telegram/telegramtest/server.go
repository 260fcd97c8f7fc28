package telegramtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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

// Token is the bot token a Server accepts until Revoke.
const Token = "777:test-token"

// BotUser is the bot as a Server's getMe describes it.
var BotUser = models.User{ID: 777, IsBot: true, FirstName: "互助", Username: "huzhu_test_bot"}

// pollHold bounds how long an empty getUpdates is held, so tests never wait
// for the library's minute-long poll.
const pollHold = 200 * time.Millisecond

// waitTimeout bounds WaitSent.
const waitTimeout = 10 * time.Second

// Server is a fake Bot API server on loopback for the real library to talk
// to. It reads the library's multipart requests as Telegram would, hands out
// pushed updates to getUpdates (holding an empty poll briefly), records what
// is sent, and answers sendMessage with scripted failures when told to. It is
// safe for concurrent use.
type Server struct {
	t     testing.TB
	srv   *httptest.Server
	token string
	me    models.User

	mu       sync.Mutex
	nextID   int64
	pending  []queued
	wake     chan struct{} // closed and replaced when an update is queued
	sent     []SentMessage
	answered []Answer
	webhook  map[string]string // the last setWebhook's fields
	failures map[int64][]Failure
	calls    map[string]int
	files    map[string][]byte // file id → the file's bytes (AddFile)
	msgID    int
	hooking  bool // a goroutine delivers to the webhook
	closed   chan struct{}
}

type queued struct {
	id    int64
	chat  int64 // posted to a webhook in order within a chat
	raw   json.RawMessage
	again bool // delivered once more whatever the offset: a redelivery
}

// chatOf returns the chat an update belongs to.
func chatOf(u models.Update) int64 {
	switch {
	case u.Message != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil:
		if m := u.CallbackQuery.Message.Message; m != nil {
			return m.Chat.ID
		}
		return u.CallbackQuery.From.ID
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat.ID
	}
	return 0
}

// SentMessage is one sendMessage a Server received, or one sendPhoto:
// then Photo holds the uploaded picture and Text, Entities and Markup are
// its caption's.
type SentMessage struct {
	ChatID   int64
	Text     string
	Entities []models.MessageEntity
	Markup   *models.InlineKeyboardMarkup // nil without an inline keyboard
	Photo    []byte
}

// Answer is one answerCallbackQuery a Server received: the button press it
// answers and the note shown to the presser, if any.
type Answer struct {
	ID        string
	Text      string
	ShowAlert bool
}

// Failure is an error answer for a sendMessage, as the Bot API gives it.
type Failure struct {
	// Code is the HTTP status and error_code, such as 429 or 403.
	Code        int
	Description string
	// RetryAfter, when not zero, is the parameters' retry_after in seconds.
	RetryAfter int
	// MigrateTo, when not zero, is the parameters' migrate_to_chat_id: the
	// supergroup a group became.
	MigrateTo int64
}

// TooManyRequests returns Telegram's 429 answer asking to wait seconds.
func TooManyRequests(seconds int) Failure {
	return Failure{Code: 429, Description: fmt.Sprintf("Too Many Requests: retry after %d", seconds), RetryAfter: seconds}
}

// Forbidden returns Telegram's 403 answer, such as "bot can't initiate
// conversation with a user" for a person who never started the bot, or "bot
// was kicked from the group chat".
func Forbidden(reason string) Failure {
	return Failure{Code: 403, Description: "Forbidden: " + reason}
}

// NewServer starts a Server on loopback; it is closed when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{
		t: t, token: Token, me: BotUser,
		wake: make(chan struct{}), failures: map[int64][]Failure{},
		calls: map[string]int{}, webhook: map[string]string{}, closed: make(chan struct{}),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		close(s.closed)
		s.srv.Close()
	})
	return s
}

// URL is the server's address, for telegram.Options.APIURL.
func (s *Server) URL() string { return s.srv.URL }

// Push queues an update for getUpdates, numbering it, and returns its id.
func (s *Server) Push(u models.Update) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	u.ID = s.nextID
	raw, err := json.Marshal(u)
	if err != nil {
		s.t.Fatalf("telegramtest: marshal update: %v", err)
	}
	s.pending = append(s.pending, queued{id: u.ID, chat: chatOf(u), raw: raw})
	close(s.wake)
	s.wake = make(chan struct{})
	return u.ID
}

// Redeliver queues update u, keeping its id, once more, as Telegram does
// after a timeout.
func (s *Server) Redeliver(u models.Update) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, err := json.Marshal(u)
	if err != nil {
		s.t.Fatalf("telegramtest: marshal update: %v", err)
	}
	s.pending = append(s.pending, queued{id: u.ID, chat: chatOf(u), raw: raw, again: true})
	close(s.wake)
	s.wake = make(chan struct{})
}

// Unconfirmed reports how many pushed updates were not yet confirmed: by a
// getUpdates with a later offset, or by a webhook's 200.
func (s *Server) Unconfirmed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, q := range s.pending {
		if !q.again {
			n++
		}
	}
	return n
}

// Fail makes the next sendMessage calls to chat fail with fs, in order.
func (s *Server) Fail(chat int64, fs ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[chat] = append(s.failures[chat], fs...)
}

// Revoke makes the server refuse the token from now on, as Telegram does
// after BotFather revokes it.
func (s *Server) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = "revoked"
}

// RedeliveriesPending reports how many redeliveries were not yet handed
// out.
func (s *Server) RedeliveriesPending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, q := range s.pending {
		if q.again {
			n++
		}
	}
	return n
}

// Sent returns every message sent so far, in the order received.
func (s *Server) Sent() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SentMessage(nil), s.sent...)
}

// CallCount reports how many times method was called with a valid token.
func (s *Server) CallCount(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Answered returns the ids of the button presses answered so far.
func (s *Server) Answered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, len(s.answered))
	for i, a := range s.answered {
		ids[i] = a.ID
	}
	return ids
}

// Answers returns every answerCallbackQuery so far, in the order received.
func (s *Server) Answers() []Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Answer(nil), s.answered...)
}

// WaitAnswer waits until the button press id was answered and returns the
// answer; it fails the test after a few seconds.
func (s *Server) WaitAnswer(id string) Answer {
	s.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		for _, a := range s.Answers() {
			if a.ID == id {
				return a
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("telegramtest: button press %s was not answered: %+v", id, s.Answers())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// WebhookFields returns the fields of the last setWebhook, empty after
// deleteWebhook.
func (s *Server) WebhookFields() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for k, v := range s.webhook {
		out[k] = v
	}
	return out
}

// WaitSent waits until n messages were sent and returns them all; it fails
// the test after a few seconds.
func (s *Server) WaitSent(n int) []SentMessage {
	s.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		if sent := s.Sent(); len(sent) >= n {
			return sent
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("telegramtest: waited for %d sent messages, have %d: %+v", n, len(s.Sent()), s.Sent())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// AddFile keeps data as the file with id, as Telegram keeps the pictures
// users send: getFile finds it and /file/bot<token>/<path> serves it.
func (s *Server) AddFile(id string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.files == nil {
		s.files = map[string][]byte{}
	}
	s.files[id] = data
}

// serveFile serves a file kept by AddFile at its download path.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	token, id, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/file/bot"), "/photos/")
	s.mu.Lock()
	data, ok := s.files[id]
	ok = ok && token == s.token
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write(data)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/file/bot") {
		s.serveFile(w, r)
		return
	}
	token, method, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/bot"), "/")
	if !ok || !strings.HasPrefix(r.URL.Path, "/bot") {
		s.reply(w, http.StatusNotFound, nil, Failure{Code: 404, Description: "Not Found"})
		return
	}
	s.mu.Lock()
	want := s.token
	s.mu.Unlock()
	if token != want {
		s.reply(w, http.StatusUnauthorized, nil, Failure{Code: 401, Description: "Unauthorized"})
		return
	}
	form, err := readForm(r)
	if err != nil {
		s.reply(w, http.StatusBadRequest, nil, Failure{Code: 400, Description: "Bad Request: " + err.Error()})
		return
	}
	s.mu.Lock()
	s.calls[method]++
	s.mu.Unlock()

	switch method {
	case "getMe":
		s.reply(w, http.StatusOK, s.me, Failure{})
	case "getWebhookInfo":
		s.mu.Lock()
		info := models.WebhookInfo{URL: s.webhook["url"]}
		s.mu.Unlock()
		s.reply(w, http.StatusOK, info, Failure{})
	case "deleteWebhook":
		s.mu.Lock()
		s.webhook = map[string]string{}
		s.mu.Unlock()
		s.reply(w, http.StatusOK, true, Failure{})
	case "setWebhook":
		s.mu.Lock()
		s.webhook = form
		start := !s.hooking && strings.HasPrefix(form["url"], "http://127.0.0.1:")
		s.hooking = s.hooking || start
		s.mu.Unlock()
		if start {
			go s.deliverWebhooks()
		}
		s.reply(w, http.StatusOK, true, Failure{})
	case "getUpdates":
		s.getUpdates(w, r, form)
	case "sendMessage":
		s.sendMessage(w, form, nil)
	case "sendPhoto":
		photo, err := uploaded(r, "photo")
		if err != nil {
			s.reply(w, http.StatusBadRequest, nil, Failure{Code: 400, Description: "Bad Request: " + err.Error()})
			return
		}
		s.sendMessage(w, form, photo)
	case "getFile":
		s.mu.Lock()
		data, ok := s.files[form["file_id"]]
		s.mu.Unlock()
		if !ok {
			s.reply(w, http.StatusBadRequest, nil, Failure{Code: 400, Description: "Bad Request: invalid file_id"})
			return
		}
		s.reply(w, http.StatusOK, models.File{FileID: form["file_id"], FileSize: int64(len(data)),
			FilePath: "photos/" + form["file_id"]}, Failure{})
	case "answerCallbackQuery":
		s.mu.Lock()
		s.answered = append(s.answered, Answer{ID: form["callback_query_id"], Text: form["text"],
			ShowAlert: form["show_alert"] == "true"})
		s.mu.Unlock()
		s.reply(w, http.StatusOK, true, Failure{})
	default:
		s.reply(w, http.StatusNotFound, nil, Failure{Code: 404, Description: "Not Found: method " + method})
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

func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, form map[string]string) {
	offset, _ := strconv.ParseInt(form["offset"], 10, 64)
	timeout, _ := strconv.Atoi(form["timeout"])
	hold := min(time.Duration(timeout)*time.Second, pollHold)
	deadline := time.NewTimer(hold)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		var out []json.RawMessage
		kept := s.pending[:0]
		for _, q := range s.pending {
			switch {
			case q.again:
				out = append(out, q.raw) // handed out once, then forgotten
			case q.id >= offset:
				out = append(out, q.raw)
				kept = append(kept, q) // until a later offset confirms it
			}
		}
		s.pending = kept
		wake := s.wake
		s.mu.Unlock()
		if len(out) > 0 {
			s.reply(w, http.StatusOK, out, Failure{})
			return
		}
		select {
		case <-wake:
		case <-deadline.C:
			s.reply(w, http.StatusOK, []json.RawMessage{}, Failure{})
			return
		case <-r.Context().Done():
			return
		}
	}
}

// webhookTimeout is how long a webhook delivery waits for its answer.
const webhookTimeout = 5 * time.Second

// webhookConns is how many webhook requests are open at once, as
// Telegram's default max_connections.
const webhookConns = 40

// deliverWebhooks posts pushed updates to the webhook while one on loopback
// is set, as Telegram does: several at once, one chat's in order (the next
// only once the one before was answered); an update is forgotten once
// answered 200, and posted again after any other answer, a timeout or a
// refused connection, until it is.
func (s *Server) deliverWebhooks() {
	client := &http.Client{Timeout: webhookTimeout}
	conns := make(chan struct{}, webhookConns)
	busy := map[int64]bool{} // chats with a request open; guarded by s.mu
	for {
		s.mu.Lock()
		hook, secret := s.webhook["url"], s.webhook["secret_token"]
		var batch []queued
		if hook != "" {
			blocked := map[int64]bool{}
			for i := range s.pending {
				q := &s.pending[i]
				if blocked[q.chat] || busy[q.chat] {
					blocked[q.chat] = true
					continue
				}
				blocked[q.chat] = true
				busy[q.chat] = true
				batch = append(batch, *q)
			}
		}
		wake := s.wake
		s.mu.Unlock()
		for _, q := range batch {
			id, again, chat, raw := q.id, q.again, q.chat, q.raw
			select {
			case conns <- struct{}{}:
			case <-s.closed:
				return
			}
			go func() {
				defer func() { <-conns }()
				ok := s.post(client, hook, secret, raw)
				s.mu.Lock()
				defer s.mu.Unlock()
				busy[chat] = false
				if !ok {
					return
				}
				for i, p := range s.pending {
					if p.id == id && p.again == again {
						s.pending = append(s.pending[:i], s.pending[i+1:]...)
						break
					}
				}
			}()
		}
		select {
		case <-wake:
		case <-time.After(20 * time.Millisecond):
		case <-s.closed:
			return
		}
	}
}

// post posts one update to the webhook and reports whether it was answered
// 200.
func (s *Server) post(client *http.Client, hook, secret string, raw json.RawMessage) bool {
	req, err := http.NewRequest(http.MethodPost, hook, bytes.NewReader(raw))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// uploaded returns the file sent in field of a parsed multipart form.
func uploaded(r *http.Request, field string) ([]byte, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File[field]) != 1 {
		return nil, fmt.Errorf("there is no photo in the request")
	}
	f, err := r.MultipartForm.File[field][0].Open()
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	return io.ReadAll(f)
}

// sendMessage answers sendMessage, or sendPhoto when photo is not nil (its
// caption standing for the text, which may then be empty).
func (s *Server) sendMessage(w http.ResponseWriter, form map[string]string, photo []byte) {
	if photo != nil {
		form["text"], form["entities"] = form["caption"], form["caption_entities"]
	}
	chat, err := strconv.ParseInt(form["chat_id"], 10, 64)
	if err != nil {
		s.reply(w, http.StatusBadRequest, nil, Failure{Code: 400, Description: "Bad Request: chat_id is empty"})
		return
	}
	if form["text"] == "" && photo == nil {
		s.reply(w, http.StatusBadRequest, nil, Failure{Code: 400, Description: "Bad Request: message text is empty"})
		return
	}
	msg := SentMessage{ChatID: chat, Text: form["text"], Photo: photo}
	if e := form["entities"]; e != "" {
		if err := json.Unmarshal([]byte(e), &msg.Entities); err != nil {
			s.reply(w, http.StatusBadRequest, nil, Failure{Code: 400, Description: "Bad Request: can't parse entities"})
			return
		}
	}
	if m := form["reply_markup"]; m != "" {
		msg.Markup = &models.InlineKeyboardMarkup{}
		if err := json.Unmarshal([]byte(m), msg.Markup); err != nil {
			s.reply(w, http.StatusBadRequest, nil, Failure{Code: 400, Description: "Bad Request: can't parse reply keyboard markup"})
			return
		}
	}
	s.mu.Lock()
	if fs := s.failures[chat]; len(fs) > 0 {
		s.failures[chat] = fs[1:]
		s.mu.Unlock()
		s.reply(w, fs[0].Code, nil, fs[0])
		return
	}
	s.sent = append(s.sent, msg)
	s.msgID++
	id := s.msgID
	s.mu.Unlock()
	chatType := models.ChatTypeSupergroup
	if chat > 0 {
		chatType = models.ChatTypePrivate
	}
	s.reply(w, http.StatusOK, models.Message{ID: id, Date: int(time.Now().Unix()),
		Chat: models.Chat{ID: chat, Type: chatType}, From: &s.me, Text: msg.Text}, Failure{})
}

// reply writes a Bot API answer: result when fail.Code is zero, else the
// error with its parameters.
func (s *Server) reply(w http.ResponseWriter, status int, result any, fail Failure) {
	body := map[string]any{"ok": fail.Code == 0}
	if fail.Code == 0 {
		body["result"] = result
	} else {
		body["error_code"] = fail.Code
		body["description"] = fail.Description
		params := map[string]any{}
		if fail.RetryAfter > 0 {
			params["retry_after"] = fail.RetryAfter
		}
		if fail.MigrateTo != 0 {
			params["migrate_to_chat_id"] = fail.MigrateTo
		}
		if len(params) > 0 {
			body["parameters"] = params
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(body); err != nil {
		s.t.Logf("telegramtest: write answer: %v", err)
	}
}
