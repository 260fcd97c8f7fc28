package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// The privacy rule, enforced by Dispatcher.Send for every message huzhu
// sends:
//
//   - A message addressed to a person (Outgoing.Chat is a private chat) is
//     for that person alone. It is never re-addressed to a group, whatever
//     goes wrong.
//   - When it cannot be delivered privately (on Telegram the person never
//     pressed Start or blocked the bot; on WeChat they are not the account's
//     friend), it is kept by a Keeper and delivered the next time the person
//     writes to the bot privately. The group it came from (Outgoing.Fallback)
//     gets at most a short pointer that mentions the person and says only
//     that a private message waits and how to open it (on Telegram a
//     t.me/<bot>?start=inbox link) — never any of the content.
//   - When the person asked in a group and the answer went privately
//     (Outgoing.Ack), the group is told only that it was sent privately.
//
// Content for a group is the sender's responsibility: handlers put nothing
// personal in a group message, and the transcript check in cmd/huzhu tests
// that they don't.

// Keeper holds private messages that could not be delivered until their
// addressee writes to the bot. Implementations must be safe for concurrent
// use.
type Keeper interface {
	// Keep stores out for the person out.Chat belongs to and returns how
	// many messages now wait for them, out included.
	Keep(ctx context.Context, out Outgoing) (int, error)
	// Kept returns the messages waiting for u, oldest first, without
	// removing them.
	Kept(ctx context.Context, u User) ([]Outgoing, error)
	// DropKept removes the oldest n messages waiting for u, once they have
	// been delivered.
	DropKept(ctx context.Context, u User, n int) error
}

// PrivacyWording says the two content-free lines the privacy rule lets into
// a group, in the language ctx carries. Both are posted with the person
// mentioned.
type PrivacyWording interface {
	// Pointer tells a person that a private message waits for them; link,
	// when not empty, opens the private chat with the bot.
	Pointer(ctx context.Context, link string) string
	// Ack tells a person that the answer to what they asked in the group
	// was sent to them privately.
	Ack(ctx context.Context) string
}

// PrivateLinker is implemented by platforms that can give a link which opens
// a private chat with the bot and asks it for the messages kept there
// (Telegram: https://t.me/<bot>?start=inbox).
type PrivateLinker interface {
	PrivateLink(ctx context.Context) string
}

// InboxPayload is the start parameter of a PrivateLinker's link: a message
// "/start inbox" asks for the kept messages.
const InboxPayload = "inbox"

// ErrNotKept is returned when a private message could not be delivered and
// no Keeper could hold it; the caller should retry later. Nothing was posted
// in a group.
var ErrNotKept = errors.New("private message undeliverable and not kept")

// UsePrivacy gives d the Keeper that holds undeliverable private messages
// and the wording of the lines it may post in a group instead. Without a
// Keeper an undeliverable private message is an error, never a group post.
func (d *Dispatcher) UsePrivacy(k Keeper, w PrivacyWording) {
	d.keeper, d.wording = k, w
}

// sendPrivate delivers out, addressed to a private chat, under the privacy
// rule.
func (d *Dispatcher) sendPrivate(ctx context.Context, s Sender, out Outgoing) error {
	group := out.Fallback
	ack := out.Ack
	out.Fallback, out.Ack = nil, false
	person := User{Platform: out.Chat.Platform, ID: out.Chat.ID}
	if len(out.Mentions) == 1 && out.Mentions[0].Key() == person.Key() {
		person = out.Mentions[0]
	}

	err := ErrUnreachable
	if r, ok := d.reach[out.Chat.Platform]; !ok || r.CanReachPrivately(ctx, person) {
		err = s.Send(ctx, out)
	}
	if err == nil {
		if ack && group != nil && d.wording != nil {
			return d.tellGroup(ctx, s, *group, person, d.wording.Ack(ctx))
		}
		return nil
	}
	if !errors.Is(err, ErrUnreachable) {
		return err
	}
	if d.keeper == nil {
		return fmt.Errorf("%w: %w", ErrNotKept, err)
	}
	waiting, kerr := d.keeper.Keep(ctx, out)
	if kerr != nil {
		return fmt.Errorf("%w: %w", ErrNotKept, kerr)
	}
	d.log.Info("private message kept until its addressee writes", "chat", out.Chat.Key(), "waiting", waiting)
	// One pointer per waiting batch, unless the person is waiting for an
	// answer right now: a round of reminders to many people must not fill
	// the group with pointers.
	if group == nil || d.wording == nil || (waiting > 1 && !ack) {
		return nil
	}
	link := ""
	if l, ok := d.links[out.Chat.Platform]; ok {
		link = l.PrivateLink(ctx)
	}
	return d.tellGroup(ctx, s, *group, person, d.wording.Pointer(ctx, link))
}

// tellGroup posts one of the privacy rule's content-free lines in group,
// mentioning person. The private message is out (or kept) by then: a
// caller that records what is left to send (the outbox, see
// WithRemainder) is told that the line is all that is left.
func (d *Dispatcher) tellGroup(ctx context.Context, s Sender, group Chat, person User, text string) error {
	if group.Platform != person.Platform || group.Kind != Group || text == "" {
		return nil
	}
	line := Outgoing{Chat: group, Text: text, Mentions: []User{person}}
	if left, ok := ctx.Value(remainderKey{}).(func(context.Context, Outgoing) error); ok {
		if err := left(ctx, line); err != nil {
			return err
		}
	}
	return s.Send(ctx, line)
}

type remainderKey struct{}

// WithRemainder returns ctx under which the Dispatcher, sending a private
// message that is followed by a line in a group (the privacy rule's
// "answered privately" or pointer line), calls left with that line once the
// private message is delivered or kept and before the line is sent: the
// outbox then keeps only the line, so a process that dies between the two
// sends the line alone, not the private message again.
func WithRemainder(ctx context.Context, left func(context.Context, Outgoing) error) context.Context {
	return context.WithValue(ctx, remainderKey{}, left)
}

// MemoryKeeper is a Keeper in memory, for tests and tools that run without
// a store. Its zero value is ready to use.
type MemoryKeeper struct {
	mu   sync.Mutex
	kept map[string][]Outgoing // by user key
}

// Keep implements Keeper.
func (k *MemoryKeeper) Keep(_ context.Context, out Outgoing) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.kept == nil {
		k.kept = map[string][]Outgoing{}
	}
	key := out.Chat.Platform + ":" + out.Chat.ID
	k.kept[key] = append(k.kept[key], out)
	return len(k.kept[key]), nil
}

// Kept implements Keeper.
func (k *MemoryKeeper) Kept(_ context.Context, u User) ([]Outgoing, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.kept[u.Key()]), nil
}

// DropKept implements Keeper.
func (k *MemoryKeeper) DropKept(_ context.Context, u User, n int) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	list := k.kept[u.Key()]
	k.kept[u.Key()] = list[min(n, len(list)):]
	return nil
}

// FixedWording is a PrivacyWording with set texts; a pointer ends with the
// link when there is one. It is for tests and tools; the bot speaks through
// handlers.PrivacyWording.
type FixedWording struct {
	PointerText, AckText string
}

// Pointer implements PrivacyWording.
func (w FixedWording) Pointer(_ context.Context, link string) string {
	return strings.TrimSpace(w.PointerText + " " + link)
}

// Ack implements PrivacyWording.
func (w FixedWording) Ack(context.Context) string { return w.AckText }
