package wechat

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// idHarness resolves identities across simulated logins: each login gives
// everyone new UserNames.
type idHarness struct {
	t      *testing.T
	r      *identities
	login  int
	alerts []string
}

func newIDHarness(t *testing.T) *idHarness {
	b := storetest.Miniredis(t)
	h := &idHarness{t: t}
	h.r = &identities{store: store.New(b.Client, store.WithKeyPrefix(b.Prefix)), account: "acct",
		log: slog.New(slog.DiscardHandler), alert: func(_ context.Context, text string) { h.alerts = append(h.alerts, text) },
		say: func(key string, args map[string]any) string { return i18n.T(bot.DefaultLocale, key, args) }}
	h.relogin()
	return h
}

func (h *idHarness) relogin() {
	h.t.Helper()
	h.login++
	if err := h.r.startSession(context.Background(), fmt.Sprintf("sid%d", h.login), "@self"); err != nil {
		h.t.Fatal(err)
	}
}

// seen resolves a person called who in this login (who stands for their
// UserName: one per person and login).
func (h *idHarness) seen(who string, o person) string {
	h.t.Helper()
	o.UserName = fmt.Sprintf("@%d-%s", h.login, who)
	id, err := h.r.person(context.Background(), o)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *idHarness) group(who string, o group) string {
	h.t.Helper()
	o.UserName = fmt.Sprintf("@@%d-%s", h.login, who)
	id, err := h.r.group(context.Background(), o)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

func roster(members ...string) []string {
	var out []string
	for _, m := range members {
		out = append(out, memberPrint(m, 1))
	}
	return out
}

func TestNamesakesToldApartAcrossLogins(t *testing.T) {
	h := newIDHarness(t)
	z1 := h.seen("z1", person{Nick: "张阿姨", Attr: 7, Group: "g1", Display: "3-2-301 张"})
	z2 := h.seen("z2", person{Nick: "张阿姨", Attr: 7, Group: "g1", Display: "5-1-102 张"})
	if z1 == z2 {
		t.Fatal("namesakes share an id")
	}
	if again := h.seen("z1", person{Nick: "张阿姨", Attr: 7, Group: "g1", Display: "3-2-301 张"}); again != z1 {
		t.Errorf("same UserName, new id %s", again)
	}
	h.relogin()
	if got := h.seen("z2", person{Nick: "张阿姨", Attr: 7, Group: "g1", Display: "5-1-102 张"}); got != z2 {
		t.Errorf("5-1-102 张 after re-login = %s; want %s", got, z2)
	}
	if got := h.seen("z1", person{Nick: "张阿姨", Attr: 7, Group: "g1", Display: "3-2-301 张"}); got != z1 {
		t.Errorf("3-2-301 张 after re-login = %s; want %s", got, z1)
	}
	if len(h.alerts) != 0 {
		t.Errorf("alerts %v", h.alerts)
	}
}

func TestIndistinguishableNamesakesGetNewIdentity(t *testing.T) {
	h := newIDHarness(t)
	a := h.seen("a", person{Nick: "张阿姨", Attr: 7, Group: "g1", Display: "张"})
	b := h.seen("b", person{Nick: "张阿姨", Attr: 7, Group: "g1", Display: "张"})
	h.relogin()
	got := h.seen("b", person{Nick: "张阿姨", Attr: 7, Group: "g1", Display: "张"})
	if got == a || got == b {
		t.Errorf("a guess: %s got %s (of %s, %s); want a new identity", "b", got, a, b)
	}
	if len(h.alerts) != 1 || !strings.Contains(h.alerts[0], "张阿姨") {
		t.Errorf("alerts = %v; want one about 张阿姨", h.alerts)
	}
}

func TestIdentityFollowsChanges(t *testing.T) {
	h := newIDHarness(t)
	li := h.seen("li", person{Nick: "李阿姨", Attr: 9, Group: "g1", Display: "1-1-101 李"})
	other := h.seen("x", person{Nick: "李阿姨", Attr: 10, Group: "g2"})
	if other == li {
		t.Fatal("a different AttrStatus was taken for the same person")
	}
	zhao := h.seen("zhao", person{Nick: "赵大爷", Attr: 11, Remark: "2-1-201 赵"})

	h.relogin()
	// A new nickname, the same 群昵称 and AttrStatus.
	if got := h.seen("li", person{Nick: "李姐", Attr: 9, Group: "g1", Display: "1-1-101 李"}); got != li {
		t.Errorf("李 with a new nickname = %s; want %s", got, li)
	}
	// Everything changed but the remark the operator gave.
	if got := h.seen("zhao", person{Nick: "老赵", Attr: 11, Remark: "2-1-201 赵"}); got != zhao {
		t.Errorf("赵 with his remark = %s; want %s", got, zhao)
	}
	// Seen in another group: the same person, now known there too.
	if got := h.seen("x", person{Nick: "李阿姨", Attr: 10, Group: "g3", Display: "9-9-909"}); got != other {
		t.Errorf("李阿姨 (10) in another group = %s; want %s", got, other)
	}

	h.relogin()
	// Both names changed and no remark: a new person, as documented.
	if got := h.seen("li", person{Nick: "李老师", Attr: 9, Group: "g1", Display: "101 李"}); got == li {
		t.Errorf("李 with nothing in common kept %s", li)
	}
}

func TestRestartInSameSessionKeepsUserNames(t *testing.T) {
	h := newIDHarness(t)
	a := h.seen("a", person{Nick: "张阿姨", Attr: 7, Group: "g1", Display: "张"})
	b := h.seen("b", person{Nick: "张阿姨", Attr: 7, Group: "g1", Display: "张"})
	// A restart hot-logs in to the same session: the aliases are exact, even
	// for namesakes no fingerprint tells apart.
	if err := h.r.startSession(context.Background(), fmt.Sprintf("sid%d", h.login), "@self"); err != nil {
		t.Fatal(err)
	}
	if id, ok := h.r.known(fmt.Sprintf("@%d-b", h.login)); !ok || id != b {
		t.Errorf("after restart b = %s, %v; want %s", id, ok, b)
	}
	if u, ok := h.r.userName(a); !ok || u != fmt.Sprintf("@%d-a", h.login) {
		t.Errorf("after restart a's UserName = %s, %v", u, ok)
	}
}

func TestGroupsAcrossLogins(t *testing.T) {
	h := newIDHarness(t)
	one := h.group("1", group{Name: "阳光1幢", Roster: roster("a", "b", "c", "d")})
	twinA := h.group("2", group{Name: "3幢", Roster: roster("e", "f", "g")})
	twinB := h.group("3", group{Name: "3幢", Roster: roster("h", "i", "j")})
	happy := h.group("5", group{Name: "幸福里", Roster: roster("s", "t")})
	if twinA == twinB {
		t.Fatal("two groups of one name share an id")
	}

	h.relogin()
	// Renamed while the bot was away: found by its members.
	if got := h.group("1", group{Name: "阳光一幢", Roster: roster("a", "b", "c", "d", "k")}); got != one {
		t.Errorf("renamed group = %s; want %s", got, one)
	}
	if got := h.group("3", group{Name: "3幢", Roster: roster("h", "i", "j")}); got != twinB {
		t.Errorf("second 3幢 = %s; want %s", got, twinB)
	}
	if got := h.group("2", group{Name: "3幢", Roster: roster("e", "f", "x")}); got != twinA {
		t.Errorf("first 3幢 = %s; want %s", got, twinA)
	}
	// A group of another compound with a known name is not that group.
	if got := h.group("4", group{Name: "阳光一幢", Roster: roster("p", "q", "r")}); got == one {
		t.Error("a stranger group inherited a known group's id by name")
	}
	// Without members (a message before the member list came), the name
	// decides, when it is unique.
	h.relogin()
	if got := h.group("5", group{Name: "幸福里"}); got != happy {
		t.Errorf("by name alone = %s; want %s", got, happy)
	}
	// Two groups are called 阳光一幢 now: no guess.
	if got := h.group("1", group{Name: "阳光一幢"}); got == one {
		t.Error("an ambiguous name was resolved without members")
	}
	if len(h.alerts) != 1 || !strings.Contains(h.alerts[0], "阳光一幢") {
		t.Errorf("alerts = %v; want one about 阳光一幢", h.alerts)
	}
}
