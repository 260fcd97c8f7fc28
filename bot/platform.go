package bot

import (
	"context"
	"errors"
)

// Receiver takes every inbound message a platform reads. Receive returns
// when the message has been served, so a platform that needs order (one
// chat's messages in sequence) gets it by calling Receive in sequence.
type Receiver interface {
	Receive(ctx context.Context, m *Message)
}

// ReceiverFunc adapts a function to a Receiver.
type ReceiverFunc func(ctx context.Context, m *Message)

// Receive calls f.
func (f ReceiverFunc) Receive(ctx context.Context, m *Message) { f(ctx, m) }

// Platform is a chat network huzhu serves: it reads messages and hands them
// to a Receiver, and it sends. Capabilities that only some platforms have are
// the optional interfaces below, checked with a type assertion.
type Platform interface {
	// Name is the platform's short name, used in chat and user keys:
	// "telegram", "wechat", "console".
	Name() string
	// Run reads messages until ctx is done or the platform fails.
	Run(ctx context.Context, in Receiver) error
	Sender
}

// PrivateReacher is implemented by platforms where a private message may not
// reach a person (on Telegram, only people who started the bot can be
// messaged).
type PrivateReacher interface {
	CanReachPrivately(ctx context.Context, u User) bool
}

// ButtonSender is implemented by platforms that show Outgoing.Buttons.
type ButtonSender interface {
	SupportsButtons() bool
}

// PhotoSender is implemented by platforms that can send a picture with a
// message's text (Outgoing.ImagePNG, filled in by the Dispatcher). One that
// returns false, or a platform without the method, gets Text alone.
type PhotoSender interface {
	SupportsPhotos() bool
}

// Images keeps the pictures messages name (Outgoing.Image) until they are
// sent. Names are given by the keeper (the picture's hash), so the same
// chart sent to many groups is kept once.
type Images interface {
	SaveImage(ctx context.Context, png []byte) (name string, err error)
	Image(ctx context.Context, name string) ([]byte, error)
}

// Toaster is implemented by platforms that can answer a button press with a
// short note shown to the presser alone, over the chat, instead of a message
// posted in it (on Telegram, the answer to the callback query). A press
// whose answer changes nothing for the others, such as a vote on a closed
// poll, is answered that way, so a group does not fill with stale-button
// replies.
type Toaster interface {
	// Toast answers the press m stands for (m.Press) with text. It returns
	// an error wrapping ErrNoToast when it cannot, because the press was
	// answered already or text is too long for a note; the caller then
	// replies in the chat instead.
	Toast(ctx context.Context, m *Message, text string) error
}

// ErrNoToast is returned by a Toaster that could not answer a press with a
// note. Nothing was shown; the answer should be replied instead.
var ErrNoToast = errors.New("button press not answered with a note")
