package handlers

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
)

// Viewer is who reads a web page (handlers/web): the public, as a
// station's group reads it, or a member of staff, as they read the bot in a
// private chat.
type Viewer struct {
	Station *store.Station
	// Staff is the member of staff reading; nil for the public. A page
	// read by the public says only what the station's group is told.
	Staff *store.Member
	// Locale is the page's language; "" for the default.
	Locale string
}

// ReadCommand is a command whose answer a web page shows. Only these can be
// rendered: they change nothing.
type ReadCommand string

// The commands a page can show, by their slash names.
const (
	ReadStation ReadCommand = "station"
	ReadIssue   ReadCommand = "issue"
	ReadFund    ReadCommand = "fund"
	ReadLedger  ReadCommand = "ledger"
	ReadPoll    ReadCommand = "poll"
	ReadShifts  ReadCommand = "shifts"
	ReadItems   ReadCommand = "items"
	ReadHours   ReadCommand = "hours"
	ReadStats   ReadCommand = "stats"
)

// takesNumber are the read commands that need a number after them.
var takesNumber = map[ReadCommand]bool{ReadIssue: true, ReadLedger: true, ReadPoll: true}

// Render returns what the bot answers cmd (with number n when it takes one,
// 0 for none) for v: the same words, from the same code, as the chat
// reads, so a page shows nothing the group (or, for staff, a private chat)
// would not. Nothing is sent and nothing is recorded.
func (a *App) Render(ctx context.Context, v Viewer, cmd ReadCommand, n int64) (string, error) {
	line := "/" + string(cmd)
	switch {
	case takesNumber[cmd] && n <= 0:
		return "", fmt.Errorf("render %s: needs a number", cmd)
	case n > 0:
		line += " " + strconv.FormatInt(n, 10)
	}
	if c, _, _ := a.router.Match(line); c == nil || c.Name != string(cmd) {
		return "", fmt.Errorf("render %s: not a command", cmd)
	}
	chat := bot.Chat{Platform: "web", ID: "station-" + strconv.FormatInt(v.Station.ID, 10), Kind: bot.Group}
	reader := bot.User{Platform: "web", ID: "public"}
	member := &store.Member{Station: v.Station.ID}
	if v.Staff != nil {
		reader = userFromKey(v.Staff.UserKey, v.Staff.Name)
		chat, member = reader.PrivateChat(), v.Staff
	}
	locale := v.Locale
	if locale == "" {
		locale = bot.DefaultLocale
	}
	ctx = bot.WithLocale(withClock(ctx, a.clock), locale)
	ctx = withSession(ctx, &session{user: reader, private: v.Staff != nil, page: true, id: &store.Identity{
		Chat:    &store.ChatRecord{Key: chat.Key(), Station: v.Station.ID},
		User:    &store.UserRecord{Station: v.Station.ID},
		Station: v.Station, Member: member,
	}})
	rec := &recorder{chat: chat}
	m := &bot.Message{Chat: chat, Sender: reader, Text: line, Time: a.now()}
	if err := a.replyToErrors(a.router).ServeMessage(ctx, rec, m); err != nil {
		return "", err
	}
	return rec.text(), nil
}

// recorder is a Responder that keeps what is said in its chat and drops
// the rest (a read command sends nothing elsewhere).
type recorder struct {
	chat  bot.Chat
	mu    sync.Mutex
	parts []string
}

func (r *recorder) Send(_ context.Context, out bot.Outgoing) error {
	if out.Chat.Key() == r.chat.Key() {
		r.mu.Lock()
		r.parts = append(r.parts, out.Text)
		r.mu.Unlock()
	}
	return nil
}

func (r *recorder) Reply(ctx context.Context, text string, _ ...[]bot.Button) error {
	return r.Send(ctx, bot.Outgoing{Chat: r.chat, Text: text})
}

func (r *recorder) ReplyPrivately(ctx context.Context, text string, _ ...[]bot.Button) error {
	if r.chat.Kind != bot.Private {
		return nil // personal: never on a public page
	}
	return r.Reply(ctx, text)
}

func (r *recorder) Toast(ctx context.Context, text string) error { return r.Reply(ctx, text) }

func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := ""
	for i, p := range r.parts {
		if i > 0 {
			out += "\n\n"
		}
		out += p
	}
	return out
}
