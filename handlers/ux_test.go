package handlers_test

import (
	"context"
	"log/slog"
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

var (
	uxGroup = bot.Chat{Platform: "console", ID: "ux-group", Kind: bot.Group, Title: "幸福里1群"}
	uxHead  = bot.User{Platform: "console", ID: "head", Name: "张站长"}
	uxWang  = bot.User{Platform: "console", ID: "wang", Name: "王阿姨"}
	uxLi    = bot.User{Platform: "console", ID: "li", Name: "李伯伯"}
)

// uxBench drives the full handler chain on a platform that shows notes for
// button presses (a bot.Toaster), remembering every message and note.
type uxBench struct {
	t       *testing.T
	handler bot.Handler
	mu      sync.Mutex
	sent    []bot.Outgoing
	notes   []string // "NAME: TEXT"
	seq     int
}

func (u *uxBench) Send(_ context.Context, out bot.Outgoing) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.sent = append(u.sent, out)
	return nil
}

func (u *uxBench) Toast(_ context.Context, m *bot.Message, text string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.notes = append(u.notes, m.Sender.Name+": "+text)
	return nil
}

func newUXBench(t *testing.T, b storetest.Backend) *uxBench {
	t.Helper()
	u := &uxBench{t: t}
	clock := bot.NewFakeClock(time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai))
	deps := handlers.Deps{
		Store:     store.New(b.Client, store.WithKeyPrefix(b.Prefix)),
		Sender:    u,
		Clock:     clock,
		Scheduler: scheduler.New(b.Client, u, clock, nil, scheduler.WithKeyPrefix(b.Prefix)),
		Log:       slog.New(slog.DiscardHandler),
		RateBurst: 1 << 30,
	}
	u.handler = handlers.New(deps).Handler(deps)
	u.say(uxHead, "建站 幸福里互助站")
	u.say(uxWang, "登记 3幢1单元101")
	u.say(uxLi, "登记 3-1-102")
	return u
}

// serve serves one message and returns the messages and notes it caused.
func (u *uxBench) serve(m *bot.Message) (sent []bot.Outgoing, notes []string) {
	u.t.Helper()
	u.seq++
	m.ID = "m" + strconv.Itoa(u.seq)
	u.mu.Lock()
	ns, nn := len(u.sent), len(u.notes)
	u.mu.Unlock()
	if err := u.handler.ServeMessage(context.Background(), bot.NewResponder(u, m), m); err != nil {
		u.t.Fatalf("%s: %v", m.Text, err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]bot.Outgoing(nil), u.sent[ns:]...), append([]string(nil), u.notes[nn:]...)
}

// say is who typing text in the group; it returns the texts sent.
func (u *uxBench) say(who bot.User, text string) []string {
	u.t.Helper()
	sent, notes := u.serve(&bot.Message{Chat: uxGroup, Sender: who, Text: text})
	if len(notes) > 0 {
		u.t.Errorf("%s typed %q and got notes %q", who.Name, text, notes)
	}
	return texts(sent)
}

// whisper is who typing text privately to the bot.
func (u *uxBench) whisper(who bot.User, text string) []string {
	u.t.Helper()
	sent, _ := u.serve(&bot.Message{Chat: who.PrivateChat(), Sender: who, Text: text})
	return texts(sent)
}

// press is who pressing a button with data in chat.
func (u *uxBench) press(chat bot.Chat, who bot.User, data string) ([]bot.Outgoing, []string) {
	u.t.Helper()
	u.seq++
	return u.serve(&bot.Message{Chat: chat, Sender: who, Text: data, AddressedToBot: true, Press: "p" + strconv.Itoa(u.seq)})
}

func texts(outs []bot.Outgoing) []string {
	var out []string
	for _, o := range outs {
		out = append(out, o.Text)
	}
	return out
}

// one checks that got is a single text containing every one of want.
func one(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if len(got) != 1 {
		t.Errorf("%s: got %d messages %q; want one", what, len(got), got)
		return
	}
	for _, w := range want {
		if !strings.Contains(got[0], w) {
			t.Errorf("%s: %q does not say %q", what, got[0], w)
		}
	}
}

// TestRateInEveryState: a rating is taken only once a problem is solved;
// before, the reporter is told where it stands; after, that it is closed
// and how to reopen it.
func TestRateInEveryState(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		u := newUXBench(t, b)
		u.say(uxWang, "报事 3幢楼道灯坏了")
		one(t, "open", u.say(uxWang, "评价 1 满意"), "待受理", "还没有办结")
		u.say(uxHead, "受理 1")
		one(t, "accepted", u.whisper(uxWang, "评价 1 满意"), "处理中", "还没有办结")
		u.say(uxHead, "办结 1 换了灯泡")
		one(t, "resolved", u.whisper(uxWang, "评价 1 满意"), "已记为：满意")
		for _, word := range []string{"满意", "不满意", "基本满意"} {
			// An old button in the private chat is replied there: the
			// first rating stands and the way back is 重开.
			sent, notes := u.press(uxWang.PrivateChat(), uxWang, "/rate 1 "+word)
			one(t, "closed, pressed "+word, texts(sent), "已经评价过（满意）", "已关闭", "重开 1")
			if len(notes) != 0 || sent[0].Chat != uxWang.PrivateChat() {
				t.Errorf("closed, pressed %s: sent %+v, notes %q; want a private reply", word, sent, notes)
			}
		}
		one(t, "closed, typed", u.say(uxWang, "评价 1 不满意"), "已经评价过", "重开 1")
		if got := u.say(uxWang, "重开 1 又坏了"); len(got) == 0 || !strings.Contains(got[len(got)-1], "已重新打开") {
			t.Errorf("reopen: %q", got)
		}
		one(t, "reopened", u.say(uxWang, "评价 1 满意"), "待受理", "还没有办结")
		u.say(uxHead, "办结 1 修好了")
		u.say(uxWang, "评价 1 不满意") // reopens it
		one(t, "unsatisfied", u.say(uxWang, "评价 1 满意"), "待受理")
	})
}

// TestStaleButtonsAreNotes: a button pressed in a group after what it
// stands for changed (a meeting called off, a poll closed, a problem
// closed) is answered with a note for the presser alone, and the group
// reads nothing; the same words typed are answered in the group.
func TestStaleButtonsAreNotes(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		u := newUXBench(t, b)
		u.say(uxHead, "开会 12月20日 19:00 活动室 加装电梯")
		u.say(uxHead, "取消 会议 1")
		u.say(uxHead, "投票 装不装声控灯 | 装 | 不装")
		u.say(uxHead, "投票 结束 1")
		u.say(uxWang, "报事 楼道灯坏了")
		u.say(uxHead, "办结 1 换了灯泡")
		u.whisper(uxWang, "评价 1 满意")

		for _, tt := range []struct {
			data, want string
		}{
			{"/rsvp 1 yes", "会议 会1 已经取消了"},
			{"/vote 1 1", "投票 票1 已经结束了"},
			{"/rate 1 满意", "#1 已经评价过（满意），已关闭。问题又出现的话，发「重开 1」"},
		} {
			sent, notes := u.press(uxGroup, uxWang, tt.data)
			if len(sent) != 0 {
				t.Errorf("pressing %s posted %q", tt.data, texts(sent))
			}
			if len(notes) != 1 || !strings.HasPrefix(notes[0], "王阿姨: "+tt.want) {
				t.Errorf("pressing %s noted %q; want %q for 王阿姨", tt.data, notes, tt.want)
			}
			one(t, "typed "+tt.data, u.say(uxWang, tt.data), tt.want)
		}

		// A press that does something is answered in the group as before.
		u.say(uxHead, "开会 12月21日 19:00 活动室 垃圾分类")
		sent, notes := u.press(uxGroup, uxLi, "/rsvp 2 yes")
		one(t, "live RSVP", texts(sent), "李伯伯 参加会议 会2")
		if len(notes) != 0 {
			t.Errorf("live RSVP noted %q", notes)
		}
	})
}

// TestWaitlistedSignUp: a volunteer on a waitlist who signs up again, for
// the same slot or another at the same time, is told they wait, not that
// they hold a place.
func TestWaitlistedSignUp(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		u := newUXBench(t, b)
		u.say(uxHead, "建队 楼道巡查队 @张站长")
		u.say(uxWang, "入队 楼道巡查队")
		u.say(uxLi, "入队 楼道巡查队")
		u.say(uxHead, "排班 新增 楼道巡查队 每天 08:00-09:00 3幢 1人")
		u.say(uxHead, "排班 新增 楼道巡查队 每天 08:00-09:00 5幢 1人")
		u.say(uxWang, "报名 1 明天")
		one(t, "full", u.say(uxLi, "报名 1 明天"), "候补第1位")
		one(t, "same slot", u.say(uxLi, "报名 1 明天"), "李伯伯 已经排在 班1", "候补第1位")
		one(t, "other slot", u.say(uxLi, "报名 2 明天"), "候补第1位", "时间重叠", "取消 班1 11月26日")
		if got := u.say(uxLi, "报名 2 明天"); strings.Contains(strings.Join(got, ""), "已经有") {
			t.Errorf("waitlisted volunteer told they hold a place: %q", got)
		}
		// The form the answer gives works, and then the other slot is free.
		one(t, "leave waitlist", u.say(uxLi, "取消 班1 11月26日"), "候补")
		one(t, "other slot after", u.say(uxLi, "报名 2 明天"), "李伯伯 报名了 班2")
		// One who holds a place is still told they hold it.
		one(t, "holder", u.say(uxWang, "报名 2 明天"), "已经有 班1", "时间重叠")
		one(t, "holder same slot", u.say(uxWang, "报名 1 明天"), "已经报了 班1")
	})
}
