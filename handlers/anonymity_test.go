package handlers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// newAnonymousReport starts a station where 王阿姨, registered in the
// group, reports problem 1 privately: an anonymous report.
func newAnonymousReport(t *testing.T, b storetest.Backend) *fundChat {
	c := newFundChat(t, b)
	c.send("m1", fundHead, "建站 清川佳园互助站")
	c.send("m2", fundWang, "登记 5-1-201")
	c.sendPrivately("m3", fundWang, "报事 5幢302群租，住了十几个人")
	return c
}

// TestMeTooNamesStayPrivate: who joined a complaint is as private as who
// made it. A problem reported privately gets twelve me-toos, half of them
// sent privately. The card in the group counts them and names none of them;
// the head's card, privately, names the first ten and counts the rest.
func TestMeTooNamesStayPrivate(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		c := newAnonymousReport(t, b)
		var names []string
		for i := range 12 {
			who := bot.User{Platform: "console", ID: fmt.Sprintf("n%d", i), Name: fmt.Sprintf("邻居%02d", i)}
			names = append(names, who.Name)
			c.send(fmt.Sprintf("s%d", i), who, "本站")
			if i%2 == 0 {
				c.sendPrivately(fmt.Sprintf("t%d", i), who, "同问 1")
			} else {
				c.send(fmt.Sprintf("t%d", i), who, "同问 1")
			}
		}

		at := c.mark()
		c.send("g1", fundWangBo, "事项 1")
		group, _ := c.sentSince(at)
		card := strings.Join(group, "\n")
		if !strings.Contains(card, "12位邻居同问") {
			t.Errorf("the group's card:\n%s\nwant the me-toos counted", card)
		}
		for _, name := range append(names, fundWang.Name) {
			if strings.Contains(card, name) {
				t.Errorf("the group's card names %s:\n%s", name, card)
			}
		}

		at = c.mark()
		c.sendPrivately("p1", fundHead, "事项 1")
		_, private := c.sentSince(at)
		card = strings.Join(private[fundHead.ID], "\n")
		if want := strings.Join(names[:10], "、") + "等12人 同问"; !strings.Contains(card, want) {
			t.Errorf("the head's card:\n%s\nwant %q", card, want)
		}
		if strings.Contains(card, names[10]) || strings.Contains(card, names[11]) {
			t.Errorf("the head's card names more than ten:\n%s", card)
		}
	})
}

// TestGroupCannotTellTheAnonymousReporter: the reporter of an anonymous
// problem and a neighbour type the same commands about it in the group.
// Only the reporter may rate or reopen it and not 同问 it, so the answers
// differ, but they go privately: the group reads the same for both, save
// the name it mentions.
func TestGroupCannotTellTheAnonymousReporter(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		c := newAnonymousReport(t, b)
		c.send("m5", fundWangBo, "登记 5-1-202")
		for i, text := range []string{"同问 1", "评价 1 满意", "重开 1 还是有人住", "清单 我的"} {
			groupRead := func(who bot.User) string {
				at := c.mark()
				c.send(fmt.Sprintf("t%d-%s", i, who.ID), who, text)
				group, private := c.sentSince(at)
				if len(private[who.ID]) == 0 {
					t.Errorf("%s: %s was told nothing privately", text, who.Name)
				}
				return strings.ReplaceAll(strings.Join(group, "\n"), who.Name, "NAME")
			}
			if reporter, neighbour := groupRead(fundWang), groupRead(fundWangBo); reporter != neighbour {
				t.Errorf("%s: the group read %q after the reporter, %q after a neighbour", text, reporter, neighbour)
			}
		}
	})
}
