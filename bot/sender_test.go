package bot_test

import (
	"context"
	"errors"
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

func TestDispatcherPrivateFallback(t *testing.T) {
	ctx := context.Background()
	private := tgAlice.PrivateChat()
	group := tgGroup
	tests := []struct {
		name     string
		platform *fakePlatform
		reacher  bool // register the platform as a PrivateReacher
		out      bot.Outgoing
		want     []string // chat keys sent to
		wantErr  error
	}{
		{
			name:     "reachable privately",
			platform: &fakePlatform{private: map[string]bool{"telegram:42": true}},
			reacher:  true,
			out:      bot.Outgoing{Chat: private, Fallback: &group},
			want:     []string{"telegram:42"},
		},
		{
			name:     "PrivateReacher says no",
			platform: &fakePlatform{},
			reacher:  true,
			out:      bot.Outgoing{Chat: private, Fallback: &group},
			want:     []string{"telegram:-100"},
		},
		{
			name:     "platform answers ErrUnreachable",
			platform: &fakePlatform{unreachable: map[string]bool{"telegram:42": true}},
			out:      bot.Outgoing{Chat: private, Fallback: &group},
			want:     []string{"telegram:-100"},
		},
		{
			name:     "reacher says yes but platform refuses",
			platform: &fakePlatform{private: map[string]bool{"telegram:42": true}, unreachable: map[string]bool{"telegram:42": true}},
			reacher:  true,
			out:      bot.Outgoing{Chat: private, Fallback: &group},
			want:     []string{"telegram:-100"},
		},
		{
			name:     "unreachable without fallback",
			platform: &fakePlatform{unreachable: map[string]bool{"telegram:42": true}},
			out:      bot.Outgoing{Chat: private},
			wantErr:  bot.ErrUnreachable,
		},
		{
			name:     "group and fallback both unreachable",
			platform: &fakePlatform{unreachable: map[string]bool{"telegram:42": true, "telegram:-100": true}},
			out:      bot.Outgoing{Chat: private, Fallback: &group},
			wantErr:  bot.ErrUnreachable,
		},
		{
			name:     "other errors do not fall back",
			platform: &fakePlatform{err: errors.New("network down")},
			out:      bot.Outgoing{Chat: private, Fallback: &group},
			wantErr:  errors.New("network down"),
		},
		{
			name:     "PrivateReacher is not asked about groups",
			platform: &fakePlatform{},
			reacher:  true,
			out:      bot.Outgoing{Chat: group, Fallback: &wxGroup},
			want:     []string{"telegram:-100"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := bot.NewDispatcher(discards)
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
			if got := tt.platform.chats(); !slices.Equal(got, tt.want) {
				t.Errorf("sent to %v; want %v", got, tt.want)
			}
			for _, o := range tt.platform.sent {
				if o.Chat.Key() != tt.out.Chat.Key() && o.Fallback != nil {
					t.Errorf("fallback message to %s still carries a fallback", o.Chat.Key())
				}
			}
		})
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
		if o.Chat != tgAlice.PrivateChat() || o.Fallback == nil || *o.Fallback != tgGroup ||
			len(o.Mentions) != 1 || o.Mentions[0] != tgAlice {
			t.Errorf("sent %+v; want a private message to Alice with the group as fallback", o)
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
