package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
)

// Button is one choice offered under a message. Pressing it sends Data back
// to the bot as if the presser had typed it, so every button has a typed
// equivalent and platforms without buttons lose nothing.
type Button struct {
	Label string
	Data  string
	// WebApp, when set, is an https:// page the button opens in the
	// platform's own browser (a Telegram Mini App) instead of sending
	// Data. Platforms that cannot open one drop the button, so Text must
	// carry the link too.
	WebApp string `json:",omitempty"`
}

// Outgoing is one message the bot sends.
type Outgoing struct {
	Chat Chat
	Text string
	// Buttons are rows of choices; platforms without buttons drop them, so
	// Text must always say how to answer by typing.
	Buttons [][]Button
	// Mentions are people to notify by name in a group.
	Mentions []User
	// Fallback is the group a private message concerns: when the message
	// cannot reach the person privately it is kept for them, and the group
	// gets only a content-free pointer mentioning them (see the privacy
	// rule in privacy.go). The message itself never goes to Fallback.
	Fallback *Chat
	// Ack asks for a content-free "sent to you privately" line in Fallback
	// once a private message is delivered: the person asked in the group
	// and is waiting for an answer there.
	Ack bool
	// Image names a picture sent with Text (a chart, as PNG), kept by the
	// Dispatcher's Images under that name: a reply waiting in the outbox
	// or kept for its addressee holds only the name. Platforms that send
	// photos (PhotoSender) send it with Text; the others send Text alone,
	// so Text must say everything the picture shows.
	Image string `json:",omitempty"`
	// ImagePNG is Image's bytes, filled in by the Dispatcher just before
	// a platform that sends photos gets the message. It is never stored.
	ImagePNG []byte `json:"-"`
}

// Sender delivers outgoing messages. Every part of huzhu that speaks (replies,
// broadcasts, reminders) goes through one Sender so pacing applies to all.
type Sender interface {
	Send(ctx context.Context, out Outgoing) error
}

// SenderFunc adapts a function to a Sender.
type SenderFunc func(ctx context.Context, out Outgoing) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, out Outgoing) error { return f(ctx, out) }

// Responder answers the message being served.
type Responder interface {
	Sender
	// Reply posts text in the chat the message came from.
	Reply(ctx context.Context, text string, buttons ...[]Button) error
	// ReplyPrivately sends text to the sender alone. Asked in a group, the
	// group is told only that the answer went privately, or, when it cannot
	// be delivered yet, how to open it; the text never goes to the group.
	ReplyPrivately(ctx context.Context, text string, buttons ...[]Button) error
	// Toast answers a button press pressed in a group with a short note
	// for the presser alone (see Toaster), for an answer the group need not
	// read: the button is stale, or the press was refused. Where no note
	// can be shown (a typed message, a private chat, a platform without
	// notes, a text too long for one) it replies as Reply does.
	Toast(ctx context.Context, text string) error
}

type tapKey struct{}

// WithTap returns ctx under which see is shown every message a Responder
// sends, as well as sending it: a web page that acted through the chat's
// commands shows the answer the chat gets.
func WithTap(ctx context.Context, see func(Outgoing)) context.Context {
	return context.WithValue(ctx, tapKey{}, see)
}

// NewResponder returns the Responder for m that speaks through s.
func NewResponder(s Sender, m *Message) Responder {
	return responder{Sender: s, msg: m}
}

type responder struct {
	Sender
	msg *Message
}

// Send sends out, or, while a message is served with an outbox (see
// Dedupe), keeps it with the message's replies.
func (r responder) Send(ctx context.Context, out Outgoing) error {
	if see, ok := ctx.Value(tapKey{}).(func(Outgoing)); ok {
		see(out)
	}
	if collect(ctx, out) {
		return nil
	}
	return r.Sender.Send(ctx, out)
}

func (r responder) Reply(ctx context.Context, text string, buttons ...[]Button) error {
	return r.Send(ctx, Outgoing{Chat: r.msg.Chat, Text: text, Buttons: buttons})
}

func (r responder) ReplyPrivately(ctx context.Context, text string, buttons ...[]Button) error {
	if r.msg.IsPrivate() {
		return r.Reply(ctx, text, buttons...)
	}
	group := r.msg.Chat
	return r.Send(ctx, Outgoing{
		Chat:     r.msg.Sender.PrivateChat(),
		Text:     text,
		Buttons:  buttons,
		Mentions: []User{r.msg.Sender},
		Fallback: &group,
		Ack:      true,
	})
}

func (r responder) Toast(ctx context.Context, text string) error {
	if t, ok := r.Sender.(Toaster); ok && r.msg.IsPress() && !r.msg.IsPrivate() {
		err := t.Toast(ctx, r.msg, text)
		if !errors.Is(err, ErrNoToast) {
			return err
		}
	}
	return r.Reply(ctx, text)
}

// ErrUnknownPlatform is returned when a message is addressed to a platform
// that is not running in this process.
var ErrUnknownPlatform = errors.New("unknown platform")

// ErrUnreachable is returned by a platform that cannot deliver to a chat:
// the bot was removed from the group or the user blocked it.
var ErrUnreachable = errors.New("chat unreachable")

// Dispatcher is the Sender that routes each message to the platform its chat
// belongs to. Every message huzhu sends passes through it, so it is where the
// privacy rule (privacy.go) is kept: a private message that cannot be
// delivered is kept for its addressee, never posted in a group.
type Dispatcher struct {
	senders map[string]Sender
	reach   map[string]PrivateReacher
	links   map[string]PrivateLinker
	toasts  map[string]Toaster
	photos  map[string]bool
	log     *slog.Logger
	keeper  Keeper
	wording PrivacyWording
	images  Images
}

// NewDispatcher returns a Dispatcher with no platforms.
func NewDispatcher(log *slog.Logger) *Dispatcher {
	return &Dispatcher{senders: map[string]Sender{}, reach: map[string]PrivateReacher{},
		links: map[string]PrivateLinker{}, toasts: map[string]Toaster{}, photos: map[string]bool{}, log: log}
}

// Add routes messages for platform name through s. reach may be nil when the
// platform can always deliver private messages; when it is also a
// PrivateLinker, pointers posted in groups carry its link, when it is a
// Toaster, button presses are answered through it, and when it is a
// PhotoSender that sends photos, messages' pictures go with their text.
// Every platform passes itself as reach.
func (d *Dispatcher) Add(name string, s Sender, reach PrivateReacher) {
	d.senders[name] = s
	if reach != nil {
		d.reach[name] = reach
	}
	if l, ok := reach.(PrivateLinker); ok {
		d.links[name] = l
	}
	if t, ok := reach.(Toaster); ok {
		d.toasts[name] = t
	}
	if p, ok := reach.(PhotoSender); ok && p.SupportsPhotos() {
		d.photos[name] = true
	}
}

// UseImages makes the Dispatcher send messages' pictures (Outgoing.Image)
// from im to the platforms that send photos.
func (d *Dispatcher) UseImages(im Images) { d.images = im }

// SendsPhotos reports whether messages to platform go with their
// pictures, so a picture that would be dropped need not be drawn.
func (d *Dispatcher) SendsPhotos(platform string) bool {
	return d.images != nil && d.photos[platform]
}

// withImage loads out's picture for a platform that sends photos, and
// drops it for one that does not. A picture that can no longer be read is
// dropped too: its text says everything.
func (d *Dispatcher) withImage(ctx context.Context, out Outgoing) Outgoing {
	out.ImagePNG = nil
	if out.Image == "" || !d.SendsPhotos(out.Chat.Platform) {
		return out
	}
	b, err := d.images.Image(ctx, out.Image)
	if err != nil {
		d.log.Warn("picture not sent, only its text", "image", out.Image, "chat", out.Chat.Key(), "err", err)
		return out
	}
	out.ImagePNG = b
	return out
}

// Toast answers the button press m stands for through its platform's
// Toaster. A note is not a message: it is shown at once, unpaced. It
// returns an error wrapping ErrNoToast for a platform that shows none.
func (d *Dispatcher) Toast(ctx context.Context, m *Message, text string) error {
	t, ok := d.toasts[m.Chat.Platform]
	if !ok {
		return fmt.Errorf("%w: %q shows no notes", ErrNoToast, m.Chat.Platform)
	}
	return t.Toast(ctx, m, text)
}

// Platforms returns the names of the platforms added, sorted.
func (d *Dispatcher) Platforms() []string {
	names := make([]string, 0, len(d.senders))
	for n := range d.senders {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Send delivers out through its platform, under the privacy rule.
func (d *Dispatcher) Send(ctx context.Context, out Outgoing) error {
	s, ok := d.senders[out.Chat.Platform]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownPlatform, out.Chat.Platform)
	}
	out = d.withImage(ctx, out)
	if out.Chat.Kind == Private {
		return d.sendPrivate(ctx, s, out)
	}
	out.Fallback, out.Ack = nil, false
	return s.Send(ctx, out)
}
