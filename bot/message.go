package bot

import (
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// ChatKind tells a group chat from a private one.
type ChatKind int

const (
	// Group is a group chat: residents talk freely and only commands are answered.
	Group ChatKind = iota
	// Private is a one-to-one chat between a person and the bot.
	Private
)

// String returns "group" or "private".
func (k ChatKind) String() string {
	if k == Private {
		return "private"
	}
	return "group"
}

// Chat is where a message was written or where one is sent. Platform plus
// ID is unique across every platform huzhu serves.
type Chat struct {
	Platform string
	ID       string
	Kind     ChatKind
	Title    string
}

// Key returns "platform:id", the chat's identity in the store.
func (c Chat) Key() string { return c.Platform + ":" + c.ID }

// User is a person on a platform. ID is the platform's stable id for them
// (on WeChat the adapter maps unstable web ids to a stable one).
type User struct {
	Platform string
	ID       string
	Name     string
}

// Key returns "platform:id", the user's identity in the store.
func (u User) Key() string { return u.Platform + ":" + u.ID }

// PrivateChat returns the chat for a one-to-one conversation with u.
func (u User) PrivateChat() Chat {
	return Chat{Platform: u.Platform, ID: u.ID, Kind: Private, Title: u.Name}
}

// AttachmentKind names what an attachment holds.
type AttachmentKind string

// AttachmentPhoto is a picture sent with or right after a message.
const AttachmentPhoto AttachmentKind = "photo"

// Attachment is a file sent with a message. Ref is the platform's handle
// for it (a Telegram file id, a WeChat media id, a console file name), kept
// so the photo can be shown again later. An empty Ref is a photo that was
// sent but could not be fetched or kept: the sender is asked to send it
// again, never left without an answer.
type Attachment struct {
	Kind AttachmentKind
	Ref  string
}

// Message is one inbound message, the same for every platform.
type Message struct {
	// ID is the platform's message id, used to drop redelivered messages.
	ID       string
	Chat     Chat
	Sender   User
	Text     string
	Time     time.Time
	Mentions []User
	// Attachments are photos and files sent with the message.
	Attachments []Attachment
	// AddressedToBot is true when the message mentions the bot or replies
	// to it, so plain text in a group is still taken as meant for it.
	AddressedToBot bool
	// Press is the platform's id for the button press this message stands
	// for (Text is then the button's data); "" for a message someone typed.
	// A Toaster answers a press by this id.
	Press string

	// Command and Args are filled in by the Router: the canonical command
	// name (such as "report") and the normalised text after it, for
	// parsing (see Normalize; traditional characters made simplified).
	Command string
	Args    string
	// RawArgs is Args as the sender typed it: their own ，？ and
	// characters, with only invisible characters removed and spaces
	// collapsed. It has as many runes as Args, rune i standing for rune i,
	// so a part parsed from Args is shown as typed with Raw. Free text a
	// handler stores or repeats (a report, a note, a title) comes from it.
	RawArgs string
	// Unsure is set by the Router for a line in a group that is only a
	// keyword where the command needs more after it (报事 alone): it
	// plausibly was a command, so an error in it is told to the sender
	// privately, not to the group.
	Unsure bool
	// Suggestion is set by the Router for a line that names no command but
	// starts with a keyword one homophone away (抱事 楼道灯坏了): the line
	// corrected (报事 楼道灯坏了), for the NotFound handler to offer.
	Suggestion string

	// routed is the Router's reading of Text, kept so that asking whether
	// the bot wants the message (Router.Wants) and serving it read the
	// text once.
	routed routeMemo
}

// Raw returns part, a part of m.Args, as the sender typed it (see
// RawArgs): the same runes of RawArgs. part is found where it lies in Args
// when it was cut from it (strings.Cut, TrimSpace, Fields keep pointing
// into Args), else as Args' suffix, else as its first occurrence; a part not
// in Args at all is returned as it is.
func (m *Message) Raw(part string) string {
	if part == "" || m.RawArgs == "" {
		return part
	}
	i, ok := offsetIn(m.Args, part)
	switch {
	case ok:
	case strings.HasSuffix(m.Args, part):
		i = len(m.Args) - len(part)
	default:
		if i = strings.Index(m.Args, part); i < 0 {
			return part
		}
	}
	start := utf8.RuneCountInString(m.Args[:i])
	n := utf8.RuneCountInString(part)
	raw := []rune(m.RawArgs)
	if start+n > len(raw) {
		return part
	}
	return string(raw[start : start+n])
}

// offsetIn returns where part lies in s when part is a substring cut from
// s, sharing its bytes.
func offsetIn(s, part string) (int, bool) {
	if s == "" || part == "" {
		return 0, false
	}
	base := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	p := uintptr(unsafe.Pointer(unsafe.StringData(part)))
	if p < base || p-base+uintptr(len(part)) > uintptr(len(s)) {
		return 0, false
	}
	i := int(p - base)
	return i, s[i:i+len(part)] == part
}

// IsPrivate reports whether the message was written in a private chat.
func (m *Message) IsPrivate() bool { return m.Chat.Kind == Private }

// IsPress reports whether the message is a button press, not typed text.
func (m *Message) IsPress() bool { return m.Press != "" }
