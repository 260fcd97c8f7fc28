package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/bot/telegram/telegramtest"
	"github.com/huzhu-station/huzhu/bot/wechat"
	"github.com/huzhu-station/huzhu/bot/wechat/wechattest"
)

// A convStep is one thing a person says in the conversation.
type convStep struct {
	who     string
	private bool // to the bot privately, not in the group
	// text is what the person types, as in a console transcript: "@NAME "
	// mentions NAME, picked from the platform's list of members.
	text string
	// button, when set, is the label of a button under the bot's last
	// private message to who: where the platform shows buttons, the person
	// presses it instead of typing text.
	button string
}

// conversation is the script every platform plays: a head sets up a
// station, the duty staff-to-be makes themselves known with 本站 and is
// appointed, a resident reports a problem and a neighbour says 同问, the
// duty staff accepts and resolves it, the reporter
// rates it 满意, the head looks at its timeline with a slash command, the
// neighbour reports a problem of his own, which is accepted, and sends a
// command in the wrong form, which gets its usage.
//
// The two people the bot writes to privately first start it: on Telegram a
// bot may only write to someone who has, and on WeChat only to the
// account's friends (the fakes are scripted so). /start makes the three
// platforms comparable without a prologue of their own. 李伯伯 does neither,
// so his notice about #2 is kept for him and the group gets only a pointer
// mentioning him (the console is told so with :unreachable; see
// samePointers).
var conversation = []convStep{
	{who: "张站长", private: true, text: "/start"},
	{who: "王阿姨", private: true, text: "/start"},
	{who: "张站长", text: "建站 阳光互助站"},
	{who: "值班老赵", text: "本站"}, // the station must know a person before they are appointed
	{who: "张站长", text: "任命 @值班老赵 值班"},
	{who: "王阿姨", text: "报事 3幢楼道灯坏了"},
	{who: "李伯伯", text: "同问 1"},
	{who: "值班老赵", text: "受理 1"},
	{who: "值班老赵", text: "办结 1 灯已换好"},
	{who: "王阿姨", private: true, text: "评价 1 满意", button: "满意"},
	{who: "张站长", text: "/issue 1"},
	{who: "李伯伯", text: "报事 东门路灯不亮"},
	{who: "值班老赵", text: "受理 2"},
	{who: "李伯伯", text: "同问"},
}

// convResidents are everyone in the conversation's group; convStarted are
// the ones who started the Telegram bot and are the WeChat account's
// friends.
var (
	convResidents = []string{"张站长", "王阿姨", "李伯伯", "值班老赵"}
	convStarted   = []string{"张站长", "王阿姨"}
)

const conversationGroup = "阳光小区群"

// conversationStart is the fake clock's time for every platform's run.
var conversationStart = time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai)

// conversationTimeout bounds one platform's run; each takes well under a
// second.
const conversationTimeout = 15 * time.Second

// A convReply is one message the bot sent, in a form every platform can be
// brought to: the chat ("group", or "private-to-NAME") and the text, its
// lines trimmed, blank lines and buttons dropped, a mention spelt "@NAME ".
type convReply struct {
	Chat, Text string
}

// String shows r on one line, quoted, so that unusual spaces show.
func (r convReply) String() string { return fmt.Sprintf("[%s] %q", r.Chat, r.Text) }

// TestConversationSamePlatforms plays one conversation through the console,
// through the Telegram adapter against a fake Bot API and through the
// WeChat adapter against a fake web WeChat, each served by the production
// handler chain on its own store, and expects the same replies from all
// three.
//
// What legitimately differs is brought together, not hidden:
//   - Buttons: the console lists them on a line of their own, Telegram sends
//     an inline keyboard, WeChat drops them (the text says what to type).
//     They are not compared; on Telegram the reporter rates by pressing the
//     button, on the others by typing what its text asks for.
//   - Mentions: Telegram names a person "@Name " with a text_mention entity,
//     WeChat "@群昵称\u2005"; both are compared as "@NAME ". People are
//     mentioned from the member list: a text_mention on Telegram (nobody
//     here has a username), "@NAME\u2005" on WeChat.
//   - Slash commands in a Telegram group carry the bot's name
//     (/issue@huzhu_test_bot), as Telegram's command menu writes them.
//   - Private messages: the console reaches everyone privately; Telegram
//     only people who started the bot, WeChat only the account's friends.
//     The people written to privately do both (see conversation), except
//     one, whose notice Telegram (after a 403) and WeChat post in the group,
//     mentioning him; unreachedAsInGroup expects the same of the console's.
//
// Photos are left out here (a WeChat message is a text or a picture, never
// both); wechat_photo_test.go follows a picture after a report.
func TestConversationSamePlatforms(t *testing.T) {
	console := samePointers(playConsole(t))
	if !slices.ContainsFunc(console, func(r convReply) bool { return r.Chat == "group" && strings.HasPrefix(r.Text, "@李伯伯 ") }) {
		t.Fatalf("the conversation no longer mentions anyone in the group, so mentions go untested:\n%v", console)
	}
	for _, p := range []struct {
		name string
		play func(t *testing.T) []convReply
	}{
		{"telegram", playTelegram},
		{"wechat", playWeChat},
	} {
		t.Run(p.name, func(t *testing.T) {
			got := samePointers(p.play(t))
			if !slices.Equal(got, console) {
				t.Errorf("%s replied differently from the console:\n%s", p.name, replyDiff(console, got))
			}
		})
	}
}

// samePointers writes every pointer to a kept private message the same way:
// Telegram's carries a link to the bot's private chat, the console's and
// WeChat's tell the person to send 取信 there. Each must mention the person
// and carry none of the kept message.
func samePointers(replies []convReply) []convReply {
	out := make([]convReply, 0, len(replies))
	for _, r := range replies {
		if r.Chat == "group" && strings.Contains(r.Text, "有一条给你的私信还没送到") {
			name, _, _ := strings.Cut(r.Text, " ")
			r.Text = name + " <pointer to a kept private message>"
		}
		out = append(out, r)
	}
	return out
}

// conversationStore is a fresh store whose station codes come out the same
// in every run, as in the transcripts.
func conversationStore(t *testing.T) *store.Store {
	b := storetest.Miniredis(t)
	return store.New(b.Client, store.WithKeyPrefix(b.Prefix), store.WithRandom(rand.NewChaCha8([32]byte{})))
}

func conversationConfig() *Config {
	return &Config{Command: "run", BotName: "huzhu", FakeClock: conversationStart}
}

// conversationLog keeps the run's log, shows it when the test failed, and
// fails the test if anything was logged as an error.
func conversationLog(t *testing.T) *slog.Logger {
	var buf syncBuffer
	t.Cleanup(func() {
		logs := buf.String()
		if strings.Contains(logs, "level=ERROR") {
			t.Errorf("errors were logged")
		}
		if t.Failed() {
			t.Log("log:\n" + logs)
		}
	})
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// playConsole plays the conversation through serveConsole, as `huzhu
// console --fake-clock` runs it, and reads the replies from what it prints.
func playConsole(t *testing.T) []convReply {
	var in strings.Builder
	in.WriteString(":chat " + conversationGroup + "\n")
	for _, name := range convResidents {
		if !slices.Contains(convStarted, name) {
			in.WriteString(":unreachable " + name + "\n")
		}
	}
	for _, s := range conversation {
		sep := ": "
		if s.private {
			sep = "> "
		}
		in.WriteString(s.who + sep + s.text + "\n")
	}
	var out strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), conversationTimeout)
	defer cancel()
	if err := serveConsole(ctx, conversationConfig(), conversationStore(t), strings.NewReader(in.String()), &out, conversationLog(t)); err != nil {
		t.Fatalf("console: %v", err)
	}
	return consoleReplies(t, out.String())
}

// consoleMessage matches the first line the console prints for a message,
// "[CHAT] bot: TEXT"; consoleButtons a line listing buttons, "[满意] [不满意]".
var (
	consoleMessage = regexp.MustCompile(`^\[([^\]]+)\] bot:(?: (.*))?$`)
	consoleButtons = regexp.MustCompile(`^\[[^\]]+\](?: \[[^\]]+\])*$`)
)

// consoleReplies parses the console's output. A message's continuation
// lines are indented by two spaces; its buttons, if any, are its last line.
func consoleReplies(t *testing.T, out string) []convReply {
	t.Helper()
	var replies []convReply
	var lines []string
	var chat string
	flush := func() {
		if chat != "" {
			replies = append(replies, convReply{Chat: chat, Text: neutralText(strings.Join(lines, "\n"))})
		}
		chat, lines = "", nil
	}
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if strings.HasPrefix(l, "> ") {
			flush() // an input line, echoed
			continue
		}
		if m := consoleMessage.FindStringSubmatch(l); m != nil {
			flush()
			chat, lines = "group", []string{m[2]}
			if name, ok := strings.CutPrefix(m[1], "@"); ok {
				chat = "private-to-" + name
			}
			continue
		}
		cont, ok := strings.CutPrefix(l, "  ")
		if !ok || chat == "" {
			t.Fatalf("console printed %q, which is no message of the bot's; output:\n%s", l, out)
		}
		if consoleButtons.MatchString(cont) {
			continue
		}
		lines = append(lines, cont)
	}
	flush()
	return replies
}

// neutralText trims each line of text and drops blank ones.
func neutralText(text string) string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if l = strings.TrimRight(l, " \t"); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// convSkipWait is the pacers' sleep: the clock is frozen, so a wait would never
// end on it, and in real time it would only slow the test. The Pacers still
// run with the platforms' own limits, so what they do with a message (and
// the order of sends) is what production does.
func convSkipWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// servedCounter counts the messages the handler chain has finished with: every
// reply to a message is sent before Receive returns, so once the count
// moves, the message's replies are at the fake.
type servedCounter struct {
	next bot.Receiver
	mu   sync.Mutex
	n    int
	more chan struct{} // closed and replaced when n grows
}

// Receive serves m through the handler chain, then counts it.
func (s *servedCounter) Receive(ctx context.Context, m *bot.Message) {
	s.next.Receive(ctx, m)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	close(s.more)
	s.more = make(chan struct{})
}

// wait waits until n messages were served.
func (s *servedCounter) wait(t *testing.T, n int, what string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		s.mu.Lock()
		have, more := s.n, s.more
		s.mu.Unlock()
		if have >= n {
			return
		}
		select {
		case <-more:
		case <-deadline:
			t.Fatalf("%q was not served within 5s", what)
		}
	}
}

// servePlatformsAt runs platforms as servePlatforms does (one core, every
// platform registered with the Dispatcher behind a Pacer with its limits
// unless it paces itself, each run under its own supervisor), with two
// differences a test needs: the clock is the fake one servePlatforms cannot
// be given, and the scheduler is not run, since on a frozen clock nothing
// falls due (the console's transcripts do not run it either). It returns
// the counter of served messages and a function that stops the platforms
// and waits for them.
func servePlatformsAt(t *testing.T, cfg *Config, st *store.Store, clock bot.Clock, platforms []platform, alerts *relay, log *slog.Logger) (*servedCounter, func()) {
	t.Helper()
	c := newCore(cfg, st, clock, log)
	alerts.to = c.disp
	for _, p := range platforms {
		reach, _ := p.Platform.(bot.PrivateReacher)
		var send bot.Sender = p.Platform
		if !p.selfPaced {
			send = bot.NewPacer(p.Platform, p.limits, clock, convSkipWait)
		}
		c.disp.Add(p.Name(), send, reach)
	}
	in := &servedCounter{next: c.receiver, more: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), conversationTimeout)
	var wg sync.WaitGroup
	for _, p := range platforms {
		wg.Go(func() {
			supervise(ctx, p.Platform, in, log.With("platform", p.Name()), platformBackoff, sleepCtx)
		})
	}
	stop := func() {
		cancel()
		wg.Wait()
	}
	t.Cleanup(stop)
	return in, stop
}

// playTelegram plays the conversation through the Telegram adapter that
// configuredPlatforms builds for a token, polling a fake Bot API.
func playTelegram(t *testing.T) []convReply {
	api := telegramtest.NewServer(t)
	users := map[string]models.User{}
	names := map[int64]string{}
	for i, name := range convResidents {
		u := models.User{ID: int64(2001 + i), FirstName: name}
		users[name], names[u.ID] = u, name
		if !slices.Contains(convStarted, name) {
			api.Fail(u.ID, telegramtest.Forbidden("bot can't initiate conversation with a user"))
		}
	}
	group := telegramtest.Group(-1001, conversationGroup)

	cfg := conversationConfig()
	cfg.Telegram = TelegramConfig{Token: telegramtest.Token, APIURL: api.URL()}
	if err := cfg.Telegram.Validate(); err != nil {
		t.Fatal(err)
	}
	st, log, alerts := conversationStore(t), conversationLog(t), &relay{}
	platforms, err := configuredPlatforms(cfg, st, log, alerts, io.Discard)
	if err != nil || len(platforms) != 1 || platforms[0].Name() != "telegram" {
		t.Fatalf("configuredPlatforms = %v, %v; want Telegram alone", platforms, err)
	}
	in, stop := servePlatformsAt(t, cfg, st, bot.NewFakeClock(conversationStart), platforms, alerts, log)

	for i, s := range conversation {
		u := users[s.who]
		chat := group
		if s.private {
			chat = telegramtest.PrivateChat(u)
		}
		var upd models.Update
		if s.button != "" {
			upd = telegramtest.Press(chat, u, buttonData(t, api.Sent(), u.ID, s.button))
		} else {
			upd = telegramText(chat, u, s.text, users)
		}
		api.Push(upd)
		in.wait(t, i+1, s.text)
	}
	stop()

	var replies []convReply
	for _, m := range api.Sent() {
		r := convReply{Chat: "group", Text: neutralText(m.Text)}
		if m.ChatID > 0 {
			r.Chat = "private-to-" + names[m.ChatID]
		} else if m.ChatID != group.ID {
			t.Errorf("sent to chat %d, neither the group nor a person", m.ChatID)
		}
		replies = append(replies, r)
	}
	return replies
}

// telegramText is the update a Telegram client sends for text: a person
// mentioned as "@NAME " becomes a text_mention of NAME, as picking someone
// without a username from the member list writes it, and a slash command
// is marked as one, with the bot's name in a group.
func telegramText(chat models.Chat, from models.User, text string, users map[string]models.User) models.Update {
	var mentioned []models.User
	for _, name := range convResidents {
		if strings.Contains(text, "@"+name+" ") {
			text = strings.Replace(text, "@"+name+" ", name+" ", 1)
			mentioned = append(mentioned, users[name])
		}
	}
	var entities []models.MessageEntity
	if cmd, rest, ok := strings.Cut(text, " "); strings.HasPrefix(text, "/") {
		if chat.Type != models.ChatTypePrivate {
			cmd += "@" + telegramtest.BotUser.Username
		}
		text = cmd
		if ok {
			text += " " + rest
		}
		entities = append(entities, telegramtest.Entity(text, cmd, models.MessageEntityTypeBotCommand))
	}
	for _, u := range mentioned {
		entities = append(entities, telegramtest.TextMention(text, u.FirstName, u))
	}
	return telegramtest.Message(chat, from, text, entities...)
}

// buttonData returns the callback data of the button labelled label under
// the last message sent to chat.
func buttonData(t *testing.T, sent []telegramtest.SentMessage, chat int64, label string) string {
	t.Helper()
	for _, m := range slices.Backward(sent) {
		if m.ChatID != chat {
			continue
		}
		if m.Markup != nil {
			for _, row := range m.Markup.InlineKeyboard {
				for _, b := range row {
					if b.Text == label {
						return b.CallbackData
					}
				}
			}
		}
		break
	}
	t.Fatalf("no button %q under the last message to %d", label, chat)
	return ""
}

// playWeChat plays the conversation through the WeChat adapter against a
// fake web WeChat, after a first login by QR code.
func playWeChat(t *testing.T) []convReply {
	wx := wechattest.NewServer(t)
	people := map[string]*wechattest.Person{}
	var members []wechattest.Member
	for i, name := range convResidents {
		p := wx.AddPerson(&wechattest.Person{Nick: name, Attr: int64(301 + i), Friend: slices.Contains(convStarted, name)})
		people[name] = p
		members = append(members, wechattest.Member{Person: p})
	}
	group := wx.AddGroup(&wechattest.Group{Name: conversationGroup, Members: members})

	in, stop := serveWeChat(t, wx, conversationStore(t))

	for i, s := range conversation {
		// A mention picked from the member list ends in U+2005.
		text := s.text
		for _, name := range convResidents {
			text = strings.ReplaceAll(text, "@"+name+" ", "@"+name+"\u2005")
		}
		if s.private {
			wx.Private(people[s.who], text)
		} else {
			wx.Say(group, people[s.who], text)
		}
		in.wait(t, i+1, s.text)
	}
	stop()

	chats := map[string]string{wx.GroupUserName(group): "group"}
	for name, p := range people {
		chats[wx.PersonUserName(p)] = "private-to-" + name
	}
	var replies []convReply
	for _, m := range wx.Sent() {
		chat, ok := chats[m.To]
		if !ok {
			t.Errorf("sent to %s, neither the group nor a person", m.To)
		}
		replies = append(replies, convReply{Chat: chat, Text: neutralText(strings.ReplaceAll(m.Content, "\u2005", " "))})
	}
	return replies
}

// serveWeChat serves the WeChat adapter against the fake wx through the
// production chain on st, as configuredPlatforms builds it, and logs in
// with a QR code. It returns the counter of served messages and a function
// that stops serving.
func serveWeChat(t *testing.T, wx *wechattest.Server, st *store.Store) (*servedCounter, func()) {
	t.Helper()
	cfg := conversationConfig()
	cfg.WeChat = WeChatConfig{Enabled: true}
	log, alerts := conversationLog(t), &relay{}
	clock := bot.NewFakeClock(conversationStart)
	// configuredPlatforms cannot be given the fake's Transport, so the
	// platform is built here with the options it passes, plus the
	// Transport and the fake clock (wechat.Limits as there, waits skipped).
	p := wechat.New(wechat.Options{
		Store:   st,
		Account: cfg.WeChat.Account,
		QR:      io.Discard,
		Chats: wechat.ChatLookupFunc(func(ctx context.Context, key string) (bool, error) {
			rec, err := st.Chat(ctx, key)
			if err != nil {
				return false, err
			}
			return rec.Station != 0 || rec.Office != "", nil
		}),
		Photos:    st,
		Alert:     alerts,
		AlertChat: cfg.AlertChat,
		Log:       log.With("component", "wechat"),
		Clock:     clock,
		Limits:    wechat.Limits,
		Sleep:     convSkipWait,
		Transport: wx.Transport(),
	})
	in, stop := servePlatformsAt(t, cfg, st, clock, []platform{{Platform: p, selfPaced: true}}, alerts, log)
	wx.Scan()
	return in, stop
}

// replyDiff lists want and got side by side from the first reply where they
// part.
func replyDiff(want, got []convReply) string {
	var b strings.Builder
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	fmt.Fprintf(&b, "the first %d replies agree; from there:\n", i)
	for j := i; j < max(len(want), len(got)) && j < i+5; j++ {
		w, g := "(none)", "(none)"
		if j < len(want) {
			w = want[j].String()
		}
		if j < len(got) {
			g = got[j].String()
		}
		fmt.Fprintf(&b, "  #%d want %s\n      got  %s\n", j+1, w, g)
	}
	return b.String()
}
