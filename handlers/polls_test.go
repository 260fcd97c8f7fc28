package handlers_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

var (
	pollWangBo = bot.User{Platform: "console", ID: "wangbo", Name: "王大伯"}
	pollZhao   = bot.User{Platform: "console", ID: "zhao", Name: "赵师傅"}
)

// newPollBench is a station with one household of two (王阿姨 and 王大伯,
// 3幢1单元101), a neighbour (赵师傅, 3幢1单元102) and an open
// per-household poll #1 「子母门」/「单开门」.
func newPollBench(t *testing.T, b storetest.Backend) *dogBench {
	t.Helper()
	d := newDogBench(t, b, sh(2026, 11, 25, 9))
	d.say(dogWang, "登记 3幢1单元101")
	d.say(pollWangBo, "登记 3-1-101")
	d.say(dogWang, "确认入户 1") // joining a household with members needs a member's word
	d.say(pollZhao, "登记 3-1-102")
	d.say(dogHead, "投票 安全门选什么款式 | 子母门 | 单开门 截止 明天 20:00 每户一票")
	return d
}

// sayPrivately serves one message who writes to the bot privately and
// returns what the bot sent.
func (d *dogBench) sayPrivately(who bot.User, text string) []bot.Outgoing {
	d.t.Helper()
	d.seq++
	m := &bot.Message{ID: "p" + strconv.Itoa(d.seq), Chat: who.PrivateChat(), Sender: who, Text: text, Time: d.clock.Now()}
	before := d.count()
	if err := d.handler.ServeMessage(context.Background(), bot.NewResponder(d.sender, m), m); err != nil {
		d.t.Fatalf("%s: %v", text, err)
	}
	return d.since(before)
}

// to returns what of out went to who privately.
func to(out []bot.Outgoing, who bot.User) []bot.Outgoing {
	var mine []bot.Outgoing
	for _, o := range out {
		if o.Chat.Kind == bot.Private && o.Chat.ID == who.ID {
			mine = append(mine, o)
		}
	}
	return mine
}

// TestGroupVoteConfirmationNamesNoOne votes in the group as a household's
// first vote, a change by another member, the same vote again and a vote in
// a per-person poll: the group reads neither the household, nor a choice,
// nor who voted what; the voter reads their choice privately.
func TestGroupVoteConfirmationNamesNoOne(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		d := newPollBench(t, b)
		d.say(dogHead, "投票 安全门选哪个品牌 | 盼盼 | 王力")
		secret := []string{"3幢1单元101", "子母门", "单开门", "盼盼", "王力", dogWang.Name, pollWangBo.Name}
		for _, step := range []struct {
			who  bot.User
			text string
			want string // in the voter's private confirmation
		}{
			{dogWang, "投 1 子母门", "你家（3幢1单元101）投「子母门」"},
			{pollWangBo, "投 1 2", "之前 王阿姨 投的是「子母门」"},
			{dogWang, "投 1 单开门", "已经投了「单开门」（王大伯 投的）"},
			{pollWangBo, "投 2 王力", "你投「王力」"},
			{pollWangBo, "投 2 盼盼", "已改为「盼盼」"},
		} {
			out := d.say(step.who, step.text)
			for _, o := range out {
				if o.Chat.Kind != bot.Group {
					continue
				}
				for _, s := range secret {
					if strings.Contains(o.Text, s) {
						t.Errorf("%s %s: the group read %q, which gives away %q", step.who.Name, step.text, o.Text, s)
					}
				}
			}
			mine := to(out, step.who)
			if len(mine) != 1 || !strings.Contains(mine[0].Text, step.want) || !mine[0].Ack {
				t.Errorf("%s %s: sent the voter %+v; want one private confirmation saying %q, acknowledged in the group",
					step.who.Name, step.text, mine, step.want)
			}
		}
	})
}

// TestHouseholdToldPrivatelyOfChangedVote checks that when one member of a
// household changes its vote, the others bound to it are told privately,
// with no group fallback, and nobody else is; a vote that changes nothing
// tells no one.
func TestHouseholdToldPrivatelyOfChangedVote(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		d := newPollBench(t, b)
		if out := d.say(dogWang, "投 1 子母门"); len(to(out, pollWangBo)) != 0 {
			t.Errorf("a household's first vote told 王大伯 %+v; want nothing", to(out, pollWangBo))
		}

		out := d.say(pollWangBo, "投 1 单开门")
		told := to(out, dogWang)
		if len(told) != 1 {
			t.Fatalf("王大伯 changed the household's vote; 王阿姨 was sent %+v, want one private message", told)
		}
		if m := told[0]; m.Fallback != nil || m.Ack ||
			!strings.Contains(m.Text, "你家（3幢1单元101）在投票 票1「安全门选什么款式」的选择已由 王大伯 改为「单开门」") ||
			!strings.Contains(m.Text, "原来是「子母门」") {
			t.Errorf("王阿姨 was told %+v; want privately, with no group fallback, who changed it to what", m)
		}
		if mine := to(out, pollWangBo); len(mine) != 1 || !strings.Contains(mine[0].Text, "已私信告诉家里其他人") {
			t.Errorf("王大伯 was sent %+v; want his confirmation saying his household was told", mine)
		}
		if n := len(to(out, pollZhao)); n != 0 {
			t.Errorf("a neighbour in another household was sent %d messages", n)
		}

		// Changing it back tells 王大伯 in turn; voting the same again tells
		// no one.
		if told := to(d.say(dogWang, "投 1 1"), pollWangBo); len(told) != 1 || !strings.Contains(told[0].Text, "已由 王阿姨 改为「子母门」") {
			t.Errorf("王阿姨 changed it back; 王大伯 was sent %+v", told)
		}
		if told := to(d.say(pollWangBo, "投 1 子母门"), dogWang); len(told) != 0 {
			t.Errorf("the same vote again told 王阿姨 %+v; want nothing", told)
		}
	})
}

// TestOwnVoteOnlyPrivately checks that 投票 N asked privately tells the
// asker their household's vote, and asked in a group it does not.
func TestOwnVoteOnlyPrivately(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		d := newPollBench(t, b)
		d.say(dogWang, "投 1 单开门")
		out := d.sayPrivately(pollWangBo, "投票 1")
		if len(out) != 1 || !strings.Contains(out[0].Text, "1票") || !strings.Contains(out[0].Text, "你家投的是「单开门」（王阿姨 投的）") {
			t.Errorf("asked privately, 王大伯 read %+v; want the count and his household's vote", out)
		}
		if out := d.sayPrivately(pollZhao, "投票 1"); len(out) != 1 || !strings.Contains(out[0].Text, "你家还没投") {
			t.Errorf("asked privately, 赵师傅 read %+v; want that his household has not voted", out)
		}
		for _, o := range d.say(pollWangBo, "投票 1") {
			if strings.Contains(o.Text, "投的是") || strings.Contains(o.Text, "王阿姨") {
				t.Errorf("asked in the group, the bot sent %+v; want the count only", o)
			}
		}
	})
}
