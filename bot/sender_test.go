package bot_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
)

// fakePlatform records what it is asked to send and refuses chats listed in
// unreachable with ErrUnreachable.
type fakePlatform struct {
	mu          sync.Mutex
	sent        []bot.Outgoing
	unreachable map[string]bool // chat keys
	err         error           // returned for every send when set
	private     map[string]bool // user keys CanReachPrivately answers true for
}

func (p *fakePlatform) Send(_ context.Context, out bot.Outgoing) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if p.unreachable[out.Chat.Key()] {
		return errors.Join(errors.New("blocked by user"), bot.ErrUnreachable)
	}
	p.sent = append(p.sent, out)
	return nil
}

func (p *fakePlatform) CanReachPrivately(_ context.Context, u bot.User) bool {
	return p.private[u.Key()]
}

func (p *fakePlatform) chats() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var keys []string
	for _, o := range p.sent {
		keys = append(keys, o.Chat.Key())
	}
	return keys
}

var (
	tgGroup  = bot.Chat{Platform: "telegram", ID: "-100", Kind: bot.Group}
	tgAlice  = bot.User{Platform: "telegram", ID: "42", Name: "Alice"}
	wxGroup  = bot.Chat{Platform: "wechat", ID: "room1", Kind: bot.Group}
	discards = slog.New(slog.DiscardHandler)
)

func TestDispatcherRoutesByPlatform(t *testing.T) {
	ctx := context.Background()
	tg, wx := &fakePlatform{}, &fakePlatform{}
	d := bot.NewDispatcher(discards)
	d.Add("telegram", tg, nil)
	d.Add("wechat", wx, nil)

	if got := d.Platforms(); !slices.Equal(got, []string{"telegram", "wechat"}) {
		t.Errorf("Platforms() = %v", got)
	}
	for _, c := range []bot.Chat{tgGroup, wxGroup, tgAlice.PrivateChat()} {
		if err := d.Send(ctx, bot.Outgoing{Chat: c, Text: "hi"}); err != nil {
			t.Fatalf("Send to %s: %v", c.Key(), err)
		}
	}
	if got, want := tg.chats(), []string{"telegram:-100", "telegram:42"}; !slices.Equal(got, want) {
		t.Errorf("telegram got %v; want %v", got, want)
	}
	if got, want := wx.chats(), []string{"wechat:room1"}; !slices.Equal(got, want) {
		t.Errorf("wechat got %v; want %v", got, want)
	}

	err := d.Send(ctx, bot.Outgoing{Chat: bot.Chat{Platform: "signal", ID: "x"}, Text: "hi"})
	if !errors.Is(err, bot.ErrUnknownPlatform) {
		t.Errorf("Send to an unknown platform: err = %v; want ErrUnknownPlatform", err)
	}
}

// wording marks the privacy rule's group lines so tests can tell them from
// content.
var wording = bot.FixedWording{PointerText: "POINTER", AckText: "ACK"}

// TestDispatcherNeverPostsPrivateTextInAGroup is the privacy rule: a private
// message that cannot be delivered is kept, and the group it concerns gets
// only a content-free pointer (or an ack once delivered).
func TestDispatcherNeverPostsPrivateTextInAGroup(t *testing.T) {
	ctx := context.Background()
	private := tgAlice.PrivateChat()
	group := tgGroup
	const secret = "未缴：3-1-201 还差100元"
	type sent struct{ chat, text string }
	tests := []struct {
		name     string
		platform *fakePlatform
		reacher  bool // register the platform as a PrivateReacher
		out      bot.Outgoing
		want     []sent
		kept     int
		wantErr  error
	}{
		{
			name:     "reachable privately",
			platform: &fakePlatform{private: map[string]bool{"telegram:42": true}},
			reacher:  true,
			out:      bot.Outgoing{Chat: private, Text: secret, Fallback: &group},
			want:     []sent{{"telegram:42", secret}},
		},
		{
			name:     "reachable, asked in the group: ack there",
			platform: &fakePlatform{private: map[string]bool{"telegram:42": true}},
			reacher:  true,
			out:      bot.Outgoing{Chat: private, Text: secret, Fallback: &group, Ack: true},
			want:     []sent{{"telegram:42", secret}, {"telegram:-100", "ACK"}},
		},
		{
			name:     "PrivateReacher says no",
			platform: &fakePlatform{},
			reacher:  true,
			out:      bot.Outgoing{Chat: private, Text: secret, Fallback: &group, Ack: true},
			want:     []sent{{"telegram:-100", "POINTER"}},
			kept:     1,
		},
		{
			name:     "platform answers ErrUnreachable",
			platform: &fakePlatform{unreachable: map[string]bool{"telegram:42": true}},
			out:      bot.Outgoing{Chat: private, Text: secret, Fallback: &group},
			want:     []sent{{"telegram:-100", "POINTER"}},
			kept:     1,
		},
		{
			name:     "reacher says yes but platform refuses",
			platform: &fakePlatform{private: map[string]bool{"telegram:42": true}, unreachable: map[string]bool{"telegram:42": true}},
			reacher:  true,
			out:      bot.Outgoing{Chat: private, Text: secret, Fallback: &group},
			want:     []sent{{"telegram:-100", "POINTER"}},
			kept:     1,
		},
		{
			name:     "unreachable without a group: kept quietly",
			platform: &fakePlatform{unreachable: map[string]bool{"telegram:42": true}},
			out:      bot.Outgoing{Chat: private, Text: secret},
			kept:     1,
		},
		{
			name:     "group and private both unreachable: kept, the pointer's failure returned",
			platform: &fakePlatform{unreachable: map[string]bool{"telegram:42": true, "telegram:-100": true}},
			out:      bot.Outgoing{Chat: private, Text: secret, Fallback: &group},
			kept:     1,
			wantErr:  bot.ErrUnreachable,
		},
		{
			name:     "other errors are returned for a retry, nothing kept or posted",
			platform: &fakePlatform{err: errors.New("network down")},
			out:      bot.Outgoing{Chat: private, Text: secret, Fallback: &group},
			wantErr:  errors.New("network down"),
		},
		{
			name:     "PrivateReacher is not asked about groups",
			platform: &fakePlatform{},
			reacher:  true,
			out:      bot.Outgoing{Chat: group, Text: "通知", Fallback: &wxGroup},
			want:     []sent{{"telegram:-100", "通知"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := bot.NewDispatcher(discards)
			keeper := &bot.MemoryKeeper{}
			d.UsePrivacy(keeper, wording)
			var reach bot.PrivateReacher
			if tt.reacher {
				reach = tt.platform
			}
			d.Add("telegram", tt.platform, reach)
			err := d.Send(ctx, tt.out)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Send: %v", err)
			case tt.wantErr != nil && (err == nil || !errors.Is(err, tt.wantErr) && err.Error() != tt.wantErr.Error()):
				t.Fatalf("Send: err = %v; want %v", err, tt.wantErr)
			}
			var got []sent
			for _, o := range tt.platform.sent {
				got = append(got, sent{o.Chat.Key(), o.Text})
				if o.Chat.Kind == bot.Group && o.Text == secret {
					t.Errorf("the private text was posted in %s", o.Chat.Key())
				}
				if o.Chat.Kind == bot.Group && o.Text != tt.out.Text && (len(o.Mentions) != 1 || o.Mentions[0].Key() != tgAlice.Key()) {
					t.Errorf("group line %q does not mention the person it is for", o.Text)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("sent %v; want %v", got, tt.want)
			}
			kept, _ := keeper.Kept(ctx, tgAlice)
			if len(kept) != tt.kept {
				t.Fatalf("kept %d; want %d", len(kept), tt.kept)
			}
			for _, k := range kept {
				if k.Text != secret || k.Chat != private || k.Fallback != nil {
					t.Errorf("kept %+v; want the private message itself, without its group", k)
				}
			}
		})
	}
}

func TestDispatcherWithoutKeeperNeverFallsBackToTheGroup(t *testing.T) {
	p := &fakePlatform{unreachable: map[string]bool{"telegram:42": true}}
	d := bot.NewDispatcher(discards)
	d.Add("telegram", p, nil)
	group := tgGroup
	err := d.Send(context.Background(), bot.Outgoing{Chat: tgAlice.PrivateChat(), Text: "名单", Fallback: &group})
	if !errors.Is(err, bot.ErrNotKept) || !errors.Is(err, bot.ErrUnreachable) {
		t.Errorf("Send = %v; want ErrNotKept wrapping ErrUnreachable", err)
	}
	if len(p.sent) != 0 {
		t.Errorf("sent %+v; want nothing", p.sent)
	}
}

// linkingPlatform is a fakePlatform that can link to its private chat.
type linkingPlatform struct{ *fakePlatform }

func (linkingPlatform) PrivateLink(context.Context) string {
	return "https://t.me/huzhu_bot?start=inbox"
}

func TestDispatcherPointsOncePerWaitingBatchWithTheLink(t *testing.T) {
	ctx := context.Background()
	p := linkingPlatform{&fakePlatform{}}
	d := bot.NewDispatcher(discards)
	d.UsePrivacy(&bot.MemoryKeeper{}, wording)
	d.Add("telegram", p, p)
	group := tgGroup
	for _, text := range []string{"提醒一", "提醒二"} {
		if err := d.Send(ctx, bot.Outgoing{Chat: tgAlice.PrivateChat(), Text: text, Fallback: &group}); err != nil {
			t.Fatal(err)
		}
	}
	if len(p.sent) != 1 || p.sent[0].Text != "POINTER https://t.me/huzhu_bot?start=inbox" {
		t.Fatalf("sent %+v; want one pointer with the link for both reminders", p.sent)
	}
	// Someone waiting for an answer in the group is always told.
	if err := d.Send(ctx, bot.Outgoing{Chat: tgAlice.PrivateChat(), Text: "名单", Fallback: &group, Ack: true}); err != nil {
		t.Fatal(err)
	}
	if len(p.sent) != 2 {
		t.Errorf("sent %d; want a second pointer for an answer asked for", len(p.sent))
	}
}

func TestResponder(t *testing.T) {
	ctx := context.Background()
	var sent []bot.Outgoing
	s := bot.SenderFunc(func(_ context.Context, out bot.Outgoing) error {
		sent = append(sent, out)
		return nil
	})
	buttons := []bot.Button{{Label: "满意", Data: "/rate 1 满意"}}

	t.Run("reply in a group", func(t *testing.T) {
		sent = nil
		m := &bot.Message{Chat: tgGroup, Sender: tgAlice}
		if err := bot.NewResponder(s, m).Reply(ctx, "好的", buttons); err != nil {
			t.Fatal(err)
		}
		if len(sent) != 1 || sent[0].Chat != tgGroup || sent[0].Text != "好的" ||
			len(sent[0].Buttons) != 1 || sent[0].Buttons[0][0] != buttons[0] {
			t.Errorf("sent %+v", sent)
		}
	})
	t.Run("privately from a group", func(t *testing.T) {
		sent = nil
		m := &bot.Message{Chat: tgGroup, Sender: tgAlice}
		if err := bot.NewResponder(s, m).ReplyPrivately(ctx, "站码"); err != nil {
			t.Fatal(err)
		}
		if len(sent) != 1 {
			t.Fatalf("sent %d messages; want 1", len(sent))
		}
		o := sent[0]
		if o.Chat != tgAlice.PrivateChat() || o.Fallback == nil || *o.Fallback != tgGroup || !o.Ack ||
			len(o.Mentions) != 1 || o.Mentions[0] != tgAlice {
			t.Errorf("sent %+v; want a private message to Alice, acknowledged in the group", o)
		}
	})
	t.Run("privately in a private chat", func(t *testing.T) {
		sent = nil
		m := &bot.Message{Chat: tgAlice.PrivateChat(), Sender: tgAlice}
		if err := bot.NewResponder(s, m).ReplyPrivately(ctx, "站码"); err != nil {
			t.Fatal(err)
		}
		if len(sent) != 1 || sent[0].Chat != tgAlice.PrivateChat() || sent[0].Fallback != nil {
			t.Errorf("sent %+v; want a plain reply", sent)
		}
	})
}

// toastingPlatform is a fakePlatform that shows notes, refusing them with
// ErrNoToast when refuse is set.
type toastingPlatform struct {
	fakePlatform
	refuse bool
	toasts []string // "press: text"
}

func (p *toastingPlatform) Toast(_ context.Context, m *bot.Message, text string) error {
	if p.refuse {
		return fmt.Errorf("already answered: %w", bot.ErrNoToast)
	}
	p.toasts = append(p.toasts, m.Press+": "+text)
	return nil
}

func TestResponderToast(t *testing.T) {
	ctx := context.Background()
	press := &bot.Message{Chat: tgGroup, Sender: tgAlice, Text: "/vote 1 1", Press: "q7"}
	typed := &bot.Message{Chat: tgGroup, Sender: tgAlice, Text: "/vote 1 1"}
	privatePress := &bot.Message{Chat: tgAlice.PrivateChat(), Sender: tgAlice, Text: "/rate 1 满意", Press: "q8"}
	tests := []struct {
		name       string
		m          *bot.Message
		refuse     bool
		wantToasts []string
		wantSent   []string // chat keys
	}{
		{"a press in a group gets a note", press, false, []string{"q7: 投票已结束"}, nil},
		{"a typed command gets a reply", typed, false, nil, []string{tgGroup.Key()}},
		{"a press in a private chat gets a reply", privatePress, false, nil, []string{tgAlice.PrivateChat().Key()}},
		{"a note refused is replied instead", press, true, nil, []string{tgGroup.Key()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &toastingPlatform{refuse: tt.refuse}
			p.private = map[string]bool{tgAlice.Key(): true}
			d := bot.NewDispatcher(discards)
			d.Add("telegram", p, p)
			if err := bot.NewResponder(d, tt.m).Toast(ctx, "投票已结束"); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.toasts, tt.wantToasts) {
				t.Errorf("notes %q; want %q", p.toasts, tt.wantToasts)
			}
			if got := p.chats(); !slices.Equal(got, tt.wantSent) {
				t.Errorf("sent to %v; want %v", got, tt.wantSent)
			}
		})
	}

	t.Run("a platform without notes gets a reply", func(t *testing.T) {
		p := &fakePlatform{}
		d := bot.NewDispatcher(discards)
		d.Add("telegram", p, p)
		if err := bot.NewResponder(d, press).Toast(ctx, "投票已结束"); err != nil {
			t.Fatal(err)
		}
		if got := p.chats(); !slices.Equal(got, []string{tgGroup.Key()}) {
			t.Errorf("sent to %v; want the group", got)
		}
	})
}
