package telegram

import (
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"

	"github.com/huzhu-station/huzhu/bot"
)

// Identity on Telegram: a person is "telegram:<numeric user id>" and a chat
// "telegram:<numeric chat id>" (negative for groups; a private chat's id is
// the person's id). Numeric ids never change, whatever the person renames
// themselves to, so they are the only thing stored. An @username is only a
// way to point at a person: it is resolved through Handles to the numeric
// id of whoever last used it where the bot could see, and a username never
// seen is left out of Message.Mentions rather than stored as a person who
// would never match anyone (a command that needs a person then answers with
// its usage). People without a username are mentioned by Telegram's
// text_mention, which carries their id.

func userOf(u models.User) bot.User {
	return bot.User{Platform: PlatformName, ID: strconv.FormatInt(u.ID, 10), Name: displayName(u)}
}

// displayName is how a person appears in replies: their name, or their
// username, or their id.
func displayName(u models.User) string {
	if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
		return n
	}
	if u.Username != "" {
		return u.Username
	}
	return strconv.FormatInt(u.ID, 10)
}

func chatKey(id int64) string { return PlatformName + ":" + strconv.FormatInt(id, 10) }

func chatOf(c models.Chat, sender bot.User) bot.Chat {
	if c.Type == models.ChatTypePrivate {
		chat := sender.PrivateChat()
		chat.ID = strconv.FormatInt(c.ID, 10)
		return chat
	}
	return bot.Chat{Platform: PlatformName, ID: strconv.FormatInt(c.ID, 10), Kind: bot.Group, Title: c.Title}
}

// updateChat returns the chat an update belongs to, whose updates are
// served one at a time (each sender's in order), and false for updates huzhu does not read.
func updateChat(u *models.Update) (int64, bool) {
	switch {
	case u.Message != nil:
		return u.Message.Chat.ID, true
	case u.CallbackQuery != nil:
		if c, ok := callbackChat(u.CallbackQuery); ok {
			return c.ID, true
		}
		return u.CallbackQuery.From.ID, true
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat.ID, true
	}
	return 0, false
}

// updateSender returns who wrote or pressed an update, "" when none did
// (the bot's membership changed), for the intake to let a chat's senders
// take turns.
func updateSender(u *models.Update) string {
	switch {
	case u.Message != nil && u.Message.From != nil:
		return strconv.FormatInt(u.Message.From.ID, 10)
	case u.CallbackQuery != nil:
		return strconv.FormatInt(u.CallbackQuery.From.ID, 10)
	}
	return ""
}

// callbackChat returns the chat of the message whose button was pressed.
func callbackChat(cq *models.CallbackQuery) (models.Chat, bool) {
	switch {
	case cq.Message.Message != nil:
		return cq.Message.Message.Chat, true
	case cq.Message.InaccessibleMessage != nil:
		return cq.Message.InaccessibleMessage.Chat, true
	}
	return models.Chat{}, false
}

// convertCallback turns a button press into the message it stands for:
// the button's data, typed by the presser where the button was.
func convertCallback(cq *models.CallbackQuery, now time.Time) *bot.Message {
	if cq.Data == "" || cq.From.IsBot {
		return nil
	}
	sender := userOf(cq.From)
	chat := sender.PrivateChat()
	if c, ok := callbackChat(cq); ok {
		chat = chatOf(c, sender)
	}
	return &bot.Message{
		ID:             "cb" + cq.ID,
		Chat:           chat,
		Sender:         sender,
		Text:           cq.Data,
		Time:           now,
		AddressedToBot: true,
		Press:          cq.ID,
	}
}

// resolver finds the person an @username names.
type resolver func(handle string) (bot.User, bool)

// convertMessage turns a Telegram message into a bot.Message, or nil when
// there is nothing for huzhu in it: a message from a bot (including an
// anonymous group admin, who writes as @GroupAnonymousBot), a command for
// another bot, or neither text nor photo. me is the bot itself.
//
// The text is rewritten so that the router and handlers see what a console
// user would type: "/cmd@thisbot" loses its suffix, a mention of the bot is
// removed (and marks the message addressed to it), and a text_mention of a
// person without a username becomes "@Name" so that "/role 张阿姨 值班"
// picked from Telegram's mention list reads "/role @张阿姨 值班".
func convertMessage(msg *models.Message, me *models.User, resolve resolver) *bot.Message {
	if msg.From == nil || msg.From.IsBot {
		return nil
	}
	text, entities := msg.Text, msg.Entities
	if text == "" {
		text, entities = msg.Caption, msg.CaptionEntities
	}
	var atts []bot.Attachment
	if ref := photoRef(msg); ref != "" {
		atts = append(atts, bot.Attachment{Kind: bot.AttachmentPhoto, Ref: ref})
	}
	sender := userOf(*msg.From)
	m := &bot.Message{
		ID:          strconv.Itoa(msg.ID),
		Chat:        chatOf(msg.Chat, sender),
		Sender:      sender,
		Time:        time.Unix(int64(msg.Date), 0),
		Attachments: atts,
	}
	if r := msg.ReplyToMessage; r != nil && r.From != nil && me != nil && r.From.ID == me.ID {
		m.AddressedToBot = true
	}

	var edits []edit
	for _, e := range entities {
		start, end, ok := utf16Span(text, e.Offset, e.Length)
		if !ok {
			continue
		}
		word := text[start:end]
		switch e.Type {
		case models.MessageEntityTypeBotCommand:
			cmd, target, found := strings.Cut(word, "@")
			if start != 0 || !found {
				continue
			}
			if me == nil || !strings.EqualFold(target, me.Username) {
				return nil // "/help@otherbot" is for another bot in the group
			}
			edits = append(edits, edit{start + len(cmd), end, ""})
		case models.MessageEntityTypeMention:
			handle := strings.TrimPrefix(word, "@")
			if me != nil && strings.EqualFold(handle, me.Username) {
				m.AddressedToBot = true
				edits = append(edits, removal(text, start, end))
				continue
			}
			if u, ok := resolve(handle); ok {
				u.Name = handle // handlers match "@alice" in the text by name
				m.Mentions = append(m.Mentions, u)
			}
		case models.MessageEntityTypeTextMention:
			if e.User == nil {
				continue
			}
			if me != nil && e.User.ID == me.ID {
				m.AddressedToBot = true
				edits = append(edits, removal(text, start, end))
				continue
			}
			u := userOf(*e.User)
			u.Name = compact(strings.TrimPrefix(word, "@"))
			if u.Name == "" {
				u.Name = compact(displayName(*e.User))
			}
			m.Mentions = append(m.Mentions, u)
			edits = append(edits, edit{start, end, "@" + u.Name})
		}
	}
	m.Text = strings.TrimSpace(applyEdits(text, edits))
	if m.Text == "" && len(m.Attachments) == 0 {
		return nil
	}
	return m
}

// photoRef returns the file id of the largest size of the message's photo,
// or of an image sent as a file, or "".
func photoRef(msg *models.Message) string {
	if n := len(msg.Photo); n > 0 {
		best := msg.Photo[0]
		for _, p := range msg.Photo[1:] {
			if p.Width*p.Height >= best.Width*best.Height {
				best = p
			}
		}
		return best.FileID
	}
	if d := msg.Document; d != nil && strings.HasPrefix(d.MimeType, "image/") {
		return d.FileID
	}
	return ""
}

// compact joins the words of a name, so that it survives as one "@word".
func compact(name string) string { return strings.Join(strings.Fields(name), "") }

// edit replaces text[start:end] with repl.
type edit struct {
	start, end int
	repl       string
}

// removal removes text[start:end] and one space after it, so "报事 @bot 漏水"
// becomes "报事 漏水".
func removal(text string, start, end int) edit {
	if end < len(text) && text[end] == ' ' {
		end++
	}
	return edit{start, end, ""}
}

// applyEdits applies non-overlapping edits to text; an edit overlapping an
// earlier one is skipped.
func applyEdits(text string, edits []edit) string {
	if len(edits) == 0 {
		return text
	}
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var b strings.Builder
	at := 0
	for _, e := range edits {
		if e.start < at {
			continue
		}
		b.WriteString(text[at:e.start])
		b.WriteString(e.repl)
		at = e.end
	}
	b.WriteString(text[at:])
	return b.String()
}

// utf16Span converts an entity's offset and length, counted in UTF-16 code
// units as the Bot API counts them, to byte offsets in text. ok is false
// when the span does not fall on characters of text.
func utf16Span(text string, offset, length int) (start, end int, ok bool) {
	if offset < 0 || length <= 0 {
		return 0, 0, false
	}
	start, end = -1, -1
	units := 0
	for i, r := range text {
		if units == offset {
			start = i
		}
		if units == offset+length {
			end = i
			break
		}
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(text[i:]); size == 1 {
				return 0, 0, false // not UTF-8: the offsets cannot be trusted
			}
		}
		units += utf16Len(r)
	}
	if end < 0 && units == offset+length {
		end = len(text)
	}
	return start, end, start >= 0 && end > start
}

func utf16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// utf16Count is how many UTF-16 code units s takes.
func utf16Count(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Len(r)
	}
	return n
}
