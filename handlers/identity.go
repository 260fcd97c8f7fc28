package handlers

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// No one speaks or votes for someone else: a person is named only as the
// station knows them, cannot register under a name that passes for a member
// of staff or for the bot, and joins a household that already has members
// only when one of them (or the building's leader, or the station's staff)
// confirms it.

// knownPerson returns u as station st knows them, with the name the station
// has for them rather than however the platform spelled the mention (a
// Telegram @username, say). A person the station has never seen is an
// error that says how to make them known.
func (a *App) knownPerson(ctx context.Context, st *store.Station, u bot.User) (bot.User, error) {
	rec, err := a.store.Member(ctx, st.ID, u)
	if err != nil {
		return bot.User{}, err
	}
	if rec.Joined.IsZero() {
		return bot.User{}, say("person_unknown", i18n.Args{"Name": u.Name})
	}
	u.Name = rec.Name
	return u, nil
}

// errSeveralNames is returned by parseClaimedName for "王阿姨 李伯伯 张三".
var errSeveralNames = errors.New("several names")

// errNameTooLong is returned by parseClaimedName for a name longer than
// bot.MaxNameRunes.
var errNameTooLong = errors.New("name too long")

// parseClaimedName reads the name a person gives themselves in
// "登记 ROOM NAME": one name, at most bot.MaxNameRunes long, cleaned as
// display names are. Several names ("王阿姨 李伯伯", "王阿姨、李伯伯") are
// refused: registering names the sender, never others.
func parseClaimedName(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if utf8.RuneCountInString(raw) > bot.MaxNameRunes {
		return "", errNameTooLong
	}
	name := bot.CleanName(raw)
	if severalNames(name) {
		return "", errSeveralNames
	}
	return name, nil
}

// severalNames reports whether s lists more than one name: parts separated
// by a list separator, or Chinese words of two characters or more separated
// by spaces ("王阿姨 李伯伯"). "王 阿姨" and "Alice Smith" are one name.
func severalNames(s string) bool {
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("、,，;；/", r) })
	if len(parts) > 1 {
		return true
	}
	words := strings.Fields(s)
	if len(words) < 2 {
		return false
	}
	han := false
	for _, w := range words {
		if utf8.RuneCountInString(w) < 2 {
			return false
		}
		han = han || strings.IndexFunc(w, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
	}
	return han
}

// reservedWords may not appear in a name a person gives themselves: they
// are how staff, the station and the bot sign.
var reservedWords = []string{"站长", "楼组长", "楼长", "值班", "管理员", "系统", "通知", "客服", "机器人", "助手", "官方", "互助站"}

// reservedLatin may not be a name a person gives themselves. They are
// compared whole, since as parts they occur in ordinary names (Abbott).
var reservedLatin = []string{"huzhu", "bot", "admin", "administrator", "system", "official"}

// claimName checks the name the sender gives themselves in station st and
// returns it cleaned. It may not pass for the bot, the station or a member
// of staff who is someone else: after cleaning and folding case and width it
// may not equal a staff member's name, and it may contain none of the words
// staff and the bot sign with — unless it is already the sender's own name.
func (a *App) claimName(ctx context.Context, st *store.Station, raw string) (string, error) {
	name, err := parseClaimedName(raw)
	switch {
	case errors.Is(err, errNameTooLong):
		return "", badForm("usage_bind", "name_too_long", i18n.Args{"Max": bot.MaxNameRunes})
	case errors.Is(err, errSeveralNames):
		return "", badForm("usage_bind", "bind_one_name")
	}
	me := sessionFrom(ctx).member()
	key := bot.NameKey(name)
	members, err := a.store.Members(ctx, st.ID)
	if err != nil {
		return "", err
	}
	for _, o := range members {
		if o.UserKey != me.UserKey && len(o.Roles) > 0 && bot.NameKey(o.Name) == key {
			return "", badForm("usage_bind", "name_taken_by_staff", i18n.Args{"Name": name})
		}
	}
	if key != bot.NameKey(me.Name) && a.imitatesStation(st, key) {
		return "", badForm("usage_bind", "name_reserved", i18n.Args{"Name": name})
	}
	return name, nil
}

// imitatesStation reports whether a name, as a NameKey, reads as the bot's
// or the station's own.
func (a *App) imitatesStation(st *store.Station, key string) bool {
	for _, w := range reservedWords {
		if strings.Contains(key, w) {
			return true
		}
	}
	for _, w := range append(slices.Clone(reservedLatin), a.botNames...) {
		if k := bot.NameKey(w); k != "" && key == k {
			return true
		}
	}
	k := bot.NameKey(st.Name)
	return k != "" && strings.Contains(key, k)
}

// requestJoin asks the members of a household, and the leaders of its
// building (the head when there is none), to confirm that target belongs
// to it; until then target is not a member. They are told privately: which
// household someone lives in is not for the group.
func (a *App) requestJoin(ctx context.Context, r bot.Responder, m *bot.Message, st *store.Station, target bot.User, room numerals.Room, members []string) error {
	req, fresh, err := a.store.RequestJoin(ctx, st.ID, target, room, a.now())
	if errors.Is(err, store.ErrRoomUnknown) {
		return say("room_not_in_roster", i18n.Args{"Room": roomName(ctx, room)})
	}
	if err != nil {
		return err
	}
	if !fresh {
		return replyPersonal(ctx, r, m, "", tr(ctx, "join_waiting", i18n.Args{"Room": roomName(ctx, room), "N": req.N}))
	}
	deciders, err := a.joinDeciders(ctx, st, room, members)
	if err != nil {
		return err
	}
	text := tr(ctx, "join_asked", i18n.Args{"Name": target.Name, "Room": roomName(ctx, room), "N": req.N})
	for _, d := range deciders {
		if d.UserKey != target.Key() {
			a.notifyPerson(ctx, d.UserKey, d.Name, groupOf(m), text)
		}
	}
	return replyPersonal(ctx, r, m, "", tr(ctx, "join_requested", i18n.Args{"Room": roomName(ctx, room), "N": req.N}))
}

// joinDeciders are the people who may confirm a request to join room: its
// members and its building's leaders, or the station head when the building
// has no leader.
func (a *App) joinDeciders(ctx context.Context, st *store.Station, room numerals.Room, members []string) ([]*store.Member, error) {
	all, err := a.store.Members(ctx, st.ID)
	if err != nil {
		return nil, err
	}
	var out, leaders []*store.Member
	var head *store.Member
	for _, o := range all {
		switch {
		case slices.Contains(members, o.UserKey):
			out = append(out, o)
		case o.LeadsBuilding(room.Building):
			leaders = append(leaders, o)
		case o.UserKey == st.Head:
			head = o
		}
	}
	if len(leaders) == 0 && head != nil && !slices.Contains(members, head.UserKey) {
		leaders = append(leaders, head)
	}
	return append(out, leaders...), nil
}

// join serves /join confirm N and /join refuse N (确认入户 N, 拒绝入户 N):
// a member of the household, its building's leader or the station's staff
// answers someone's request to join it.
func (a *App) join(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	sub, rest, _ := strings.Cut(m.Args, " ")
	var confirm bool
	switch strings.ToLower(sub) {
	case "confirm", "确认", "同意":
		confirm = true
	case "refuse", "拒绝":
	default:
		return badForm("usage_join", "join_needs_answer")
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return badForm("usage_join", "join_needs_number")
	}
	n, err := numerals.ParseRef(rest)
	if err != nil {
		return badForm("usage_join", "bad_number", i18n.Args{"Text": clip(rest)})
	}
	req, err := a.store.JoinRequest(ctx, st.ID, n)
	if errors.Is(err, store.ErrNotFound) {
		return say("join_not_found", i18n.Args{"N": n})
	}
	if err != nil {
		return err
	}
	me := sessionFrom(ctx).member()
	members, err := a.store.HouseholdMembers(ctx, st.ID, req.Room.Key())
	if err != nil {
		return err
	}
	if me.UserKey == req.UserKey || !(slices.Contains(members, me.UserKey) || me.LeadsBuilding(req.Room.Building) || me.IsStaff()) {
		return say("join_not_yours", i18n.Args{"N": n})
	}
	if ok, err := a.store.DropJoinRequest(ctx, st.ID, n); err != nil {
		return err
	} else if !ok {
		return say("join_not_found", i18n.Args{"N": n}) // someone else answered it just now
	}
	person := userFromKey(req.UserKey, req.Name)
	args := i18n.Args{"Name": req.Name, "Room": roomName(ctx, req.Room), "N": n}
	if !confirm {
		a.notifyPerson(ctx, req.UserKey, req.Name, groupOf(m), tr(ctx, "join_refused_you", args))
		return replyPersonal(ctx, r, m, "", tr(ctx, "join_refused", args))
	}
	err = a.store.BindRoom(ctx, st.ID, person, req.Room, a.now())
	if errors.Is(err, store.ErrRoomUnknown) {
		return say("room_not_in_roster", i18n.Args{"Room": roomName(ctx, req.Room)})
	}
	if err != nil {
		return err
	}
	a.notifyPerson(ctx, req.UserKey, req.Name, groupOf(m), tr(ctx, "join_confirmed_you", args))
	return replyPersonal(ctx, r, m, "", tr(ctx, "join_confirmed", args))
}
