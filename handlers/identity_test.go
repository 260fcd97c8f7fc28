package handlers_test

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/handlers"
	"github.com/huzhu-station/huzhu/scheduler"
)

// idChat serves messages through the whole chain and keeps everything the
// bot sent, with where it went.
type idChat struct {
	t     *testing.T
	bot   *bot.Bot
	store *store.Store
	mu    sync.Mutex
	sent  []bot.Outgoing
	seq   int
}

func newIDChat(t *testing.T, b storetest.Backend) *idChat {
	t.Helper()
	c := &idChat{t: t, store: store.New(b.Client, store.WithKeyPrefix(b.Prefix))}
	sender := bot.SenderFunc(func(_ context.Context, out bot.Outgoing) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.sent = append(c.sent, out)
		return nil
	})
	clock := bot.NewFakeClock(time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai))
	deps := handlers.Deps{Store: c.store, Sender: sender, Clock: clock,
		Scheduler: scheduler.New(b.Client, sender, clock, nil, scheduler.WithKeyPrefix(b.Prefix)),
		Log:       slog.New(slog.DiscardHandler), RateBurst: 1 << 20, BotNames: []string{"huzhu_bot"}}
	c.bot = &bot.Bot{Handler: handlers.New(deps).Handler(deps), Sender: sender, Log: deps.Log}
	c.say(idHead, "建站 阳光站")
	return c
}

var (
	idHead    = bot.User{Platform: "console", ID: "head", Name: "张站长"}
	idAlice   = bot.User{Platform: "console", ID: "alice", Name: "王阿姨"}
	idMallory = bot.User{Platform: "console", ID: "mallory", Name: "马某"}
	idBob     = bot.User{Platform: "console", ID: "bob", Name: "李伯伯"}
)

// say has who write text in the group (or privately), and returns what the
// bot sent while serving it.
func (c *idChat) say(who bot.User, text string, mentions ...bot.User) []bot.Outgoing {
	return c.serve(benchGroup, who, text, mentions...)
}

func (c *idChat) whisper(who bot.User, text string) []bot.Outgoing {
	return c.serve(who.PrivateChat(), who, text)
}

func (c *idChat) serve(chat bot.Chat, who bot.User, text string, mentions ...bot.User) []bot.Outgoing {
	c.mu.Lock()
	start := len(c.sent)
	c.seq++
	c.mu.Unlock()
	c.bot.Receive(context.Background(), &bot.Message{ID: "id" + strconv.Itoa(c.seq), Chat: chat, Sender: who,
		Text: text, Mentions: mentions})
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sent[start:])
}

func (c *idChat) station() int64 {
	rec, err := c.store.Chat(context.Background(), benchGroup.Key())
	if err != nil || rec.Station == 0 {
		c.t.Fatalf("no station: %+v, %v", rec, err)
	}
	return rec.Station
}

func (c *idChat) member(u bot.User) *store.Member {
	m, err := c.store.Member(context.Background(), c.station(), u)
	if err != nil {
		c.t.Fatal(err)
	}
	return m
}

func (c *idChat) household(room string) []string {
	ms, err := c.store.HouseholdMembers(context.Background(), c.station(), room)
	if err != nil {
		c.t.Fatal(err)
	}
	return ms
}

// sentTo returns the texts of out sent to chat.
func sentTo(out []bot.Outgoing, chat bot.Chat) []string {
	var texts []string
	for _, o := range out {
		if o.Chat.Key() == chat.Key() {
			texts = append(texts, o.Text)
		}
	}
	return texts
}

func TestJoiningAHouseholdNeedsAMember(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		c := newIDChat(t, b)
		// An empty household binds directly; the group reads no name or room.
		out := c.say(idAlice, "登记 3-2-301")
		if got := c.household("3-2-301"); !slices.Equal(got, []string{idAlice.Key()}) {
			t.Fatalf("household after the first registration: %v", got)
		}
		for _, text := range sentTo(out, benchGroup) {
			if strings.Contains(text, "301") || strings.Contains(text, idAlice.Name+"，") {
				t.Errorf("the group read %q", text)
			}
		}

		// A second person only asks; the member is told privately how to answer.
		out = c.say(idMallory, "登记 3-2-301")
		if got := c.household("3-2-301"); !slices.Equal(got, []string{idAlice.Key()}) {
			t.Errorf("a request made %v members", got)
		}
		if m := c.member(idMallory); m.Room != "" {
			t.Errorf("the asker is bound to %q before anyone confirmed", m.Room)
		}
		asked := strings.Join(sentTo(out, idAlice.PrivateChat()), "\n")
		if !strings.Contains(asked, "确认入户 1") || !strings.Contains(asked, idMallory.Name) {
			t.Errorf("the member was told %q", asked)
		}
		for _, text := range sentTo(out, benchGroup) {
			if strings.Contains(text, "301") || strings.Contains(text, "确认入户") {
				t.Errorf("the group read %q", text)
			}
		}

		// Neither the asker nor a neighbour may confirm.
		c.say(idMallory, "确认入户 1")
		c.say(idBob, "确认入户 1")
		if got := c.household("3-2-301"); len(got) != 1 {
			t.Errorf("confirmed by someone not in the household: %v", got)
		}
		// The member confirms; the asker is told and is a member now.
		out = c.whisper(idAlice, "确认入户 1")
		if got := c.household("3-2-301"); !slices.Contains(got, idMallory.Key()) {
			t.Errorf("after the confirmation the household is %v", got)
		}
		if told := sentTo(out, idMallory.PrivateChat()); len(told) != 1 || !strings.Contains(told[0], "已确认") {
			t.Errorf("the asker was told %q", told)
		}

		// A refused request binds nobody.
		c.say(idBob, "登记 3-2-301")
		c.whisper(idAlice, "拒绝入户 2")
		if got := c.household("3-2-301"); slices.Contains(got, idBob.Key()) {
			t.Errorf("a refused request joined: %v", got)
		}
		if got := sentTo(c.whisper(idAlice, "确认入户 2"), idAlice.PrivateChat()); len(got) != 1 || !strings.Contains(got[0], "没有待确认") {
			t.Errorf("confirming an answered request: %q", got)
		}
	})
}

func TestRegisteringCannotTakeAStaffName(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		c := newIDChat(t, b)
		for _, name := range []string{"张站长", "张\u200b站\u200d长", "张 站长", "HUZHU_BOT", "阳光站", "系统通知"} {
			out := c.say(idAlice, "登记 3-2-301 "+name)
			if m := c.member(idAlice); m.Room != "" || m.Name != idAlice.Name {
				t.Errorf("登记 … %q: alice is %q in %q; replies %q", name, m.Name, m.Room, sentTo(out, benchGroup))
			}
		}
		c.say(idAlice, "登记 3-2-301 王阿姨")
		if m := c.member(idAlice); m.Room != "3-2-301" {
			t.Errorf("her own name refused: %+v", m)
		}
		// The head may register under the head's own name.
		c.say(idHead, "登记 1-1-101 张站长")
		if m := c.member(idHead); m.Room != "1-1-101" || m.Name != "张站长" {
			t.Errorf("the head under their own name: %+v", m)
		}
	})
}

func TestHeadRegisteringOthersKeepsTheirName(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		c := newIDChat(t, b)
		for _, text := range []string{"登记 3幢2单元301 王阿姨 李伯伯 张三", "登记 3幢2单元301 王阿姨、李伯伯"} {
			out := c.say(idHead, text)
			if m := c.member(idHead); m.Name != idHead.Name || m.Room != "" {
				t.Errorf("%s: the head is now %q in %q", text, m.Name, m.Room)
			}
			if got := strings.Join(sentTo(out, benchGroup), "\n"); !strings.Contains(got, "登记 @某人 房号") {
				t.Errorf("%s: answered %q; want the way to register others", text, got)
			}
		}
	})
}

func TestAppointingSomeoneUnknown(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		c := newIDChat(t, b)
		ghost := bot.User{Platform: "console", ID: "ghost", Name: "不存在的人"}
		out := c.say(idHead, "任命 @不存在的人 值班", ghost)
		if got := strings.Join(sentTo(out, benchGroup), "\n"); !strings.Contains(got, "本站还不认识「不存在的人」") {
			t.Errorf("answered %q", got)
		}
		if m := c.member(ghost); m.Has(store.RoleDuty) {
			t.Error("an unknown person was appointed")
		}
		// Once they have used the bot in the group they are known, by the
		// name the station has for them, however the mention spelled it.
		c.say(ghost, "本站")
		out = c.say(idHead, "任命 @ghost_handle 值班", bot.User{Platform: "console", ID: "ghost", Name: "ghost_handle"})
		if got := strings.Join(sentTo(out, benchGroup), "\n"); got != "已任命 不存在的人 为值班人员。" {
			t.Errorf("answered %q", got)
		}
	})
}

// TestDisplayNameOfTheHead: someone whose display name reads as the head's
// is shown as a resident.
func TestDisplayNameOfTheHead(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		c := newIDChat(t, b)
		copycat := bot.User{Platform: "console", ID: "copycat", Name: "张\u200b站\u200d长"}
		c.say(copycat, "登记 3-2-302")
		if m := c.member(copycat); m.Name != "张站长（居民）" {
			t.Errorf("the copycat is known as %q", m.Name)
		}
		if m := c.member(idHead); m.Name != "张站长" {
			t.Errorf("the head is known as %q", m.Name)
		}
	})
}
