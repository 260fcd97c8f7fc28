package bot

import "time"

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
// so the photo can be shown again later.
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
	// name (such as "report") and the normalised text after it.
	Command string
	Args    string
}

// IsPrivate reports whether the message was written in a private chat.
func (m *Message) IsPrivate() bool { return m.Chat.Kind == Private }

// IsPress reports whether the message is a button press, not typed text.
func (m *Message) IsPress() bool { return m.Press != "" }
