package bot

import "context"

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
