package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
)

// maxNameRunes bounds the names of stations, teams and places. (People's
// names are bounded by bot.MaxNameRunes.)
const maxNameRunes = 30

// station serves /station and its subcommands: the card, create, link, code.
func (a *App) station(ctx context.Context, r bot.Responder, m *bot.Message) error {
	sub, rest, _ := strings.Cut(m.Args, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(sub) {
	case "":
		return a.stationCard(ctx, r)
	case "create", "新建", "创建":
		return a.createStation(ctx, r, m, rest)
	case "link", "关联":
		return a.linkChat(ctx, r, m, rest)
	case "code", "代码", "站码":
		return a.stationCode(ctx, r)
	case "overdue", "逾期":
		return a.setOverdue(ctx, r, rest)
	case "web", "网页":
		return a.stationWeb(ctx, r, rest)
	}
	return badForm("usage_station", "unknown_subcommand", i18n.Args{"Word": sub})
}

func (a *App) createStation(ctx context.Context, r bot.Responder, m *bot.Message, name string) error {
	if m.IsPrivate() {
		return say("station_create_in_group")
	}
	if name == "" || utf8.RuneCountInString(name) > maxNameRunes {
		return badForm("usage_station_create", "station_name_length", i18n.Args{"Max": maxNameRunes})
	}
	if st := sessionFrom(ctx).station(); st != nil {
		return say("station_exists", i18n.Args{"Name": st.Name})
	}
	st, err := a.store.CreateStation(ctx, name, m.Chat, m.Sender, a.now())
	if errors.Is(err, store.ErrChatTaken) {
		return say("chat_taken")
	}
	if err != nil {
		return err
	}
	if err := a.scheduleMonthlyReport(ctx, st.ID); err != nil {
		return err
	}
	if err := r.Reply(ctx, tr(ctx, "station_created", i18n.Args{"Name": st.Name, "Head": m.Sender.Name})); err != nil {
		return err
	}
	return r.ReplyPrivately(ctx, tr(ctx, "station_code", i18n.Args{"Name": st.Name, "Code": st.Code}))
}

func (a *App) linkChat(ctx context.Context, r bot.Responder, m *bot.Message, args string) error {
	if m.IsPrivate() {
		return say("link_in_group")
	}
	fields := strings.Fields(args)
	if len(fields) == 0 || len(fields) > 2 {
		return badForm("usage_station_link", "link_needs_code")
	}
	st, err := a.store.StationByCode(ctx, fields[0])
	if errors.Is(err, store.ErrNotFound) {
		return badForm("usage_station_link", "unknown_code", i18n.Args{"Code": fields[0]})
	}
	if err != nil {
		return err
	}
	me, err := a.store.Member(ctx, st.ID, m.Sender)
	if err != nil {
		return err
	}
	if !me.Has(store.RoleHead) {
		return needRole(store.RoleHead)
	}
	if len(fields) == 2 {
		level, ok := parseOfficeLevel(fields[1])
		if !ok {
			return badForm("usage_station_link", "unknown_office", i18n.Args{"Word": fields[1]})
		}
		err := a.store.LinkOffice(ctx, st.ID, m.Chat, level)
		if errors.Is(err, store.ErrChatTaken) {
			return say("chat_taken")
		}
		if err != nil {
			return err
		}
		return a.officeLinked(ctx, r, m, st, level)
	}
	err = a.store.LinkChat(ctx, st.ID, m.Chat)
	if errors.Is(err, store.ErrChatTaken) {
		return say("chat_taken")
	}
	if err != nil {
		return err
	}
	return r.Reply(ctx, tr(ctx, "chat_linked", i18n.Args{"Name": st.Name}))
}

func parseOfficeLevel(s string) (store.OfficeLevel, bool) {
	switch strings.ToLower(s) {
	case "社区", "居委会", "community":
		return store.Community, true
	case "街道", "subdistrict":
		return store.Subdistrict, true
	}
	return "", false
}

func (a *App) stationCode(ctx context.Context, r bot.Responder) error {
	st, _, err := requireAny(ctx)
	if err != nil {
		return err
	}
	return r.ReplyPrivately(ctx, tr(ctx, "station_code", i18n.Args{"Name": st.Name, "Code": st.Code}))
}

func (a *App) stationCard(ctx context.Context, r bot.Responder) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	chats, err := a.store.StationChats(ctx, st.ID)
	if err != nil {
		return err
	}
	stats, err := a.store.MonthStats(ctx, st.ID, a.now())
	if err != nil {
		return err
	}
	return r.Reply(ctx, tr(ctx, "station_card", i18n.Args{
		"Name": st.Name, "Head": st.HeadName, "Groups": len(chats),
		"Filed": stats.Filed, "Solved": stats.Solved, "Escalated": stats.Escalated,
		"Satisfaction": satisfaction(ctx, stats),
	}))
}

// satisfaction renders the share of rated problems rated 满意 or 基本满意.
func satisfaction(ctx context.Context, s store.MonthStats) string {
	pct, ok := s.SatisfactionPercent()
	if !ok {
		return tr(ctx, "no_ratings_yet")
	}
	return fmt.Sprintf("%d%%", pct)
}

// bind serves /bind ROOM [NAME] and, for staff, /bind @who ROOM. NAME is
// what the sender is to be called; it may not pass for a member of staff
// (see claimName). Joining a household that already has members is a
// request its members confirm (see requestJoin). The answer names the person
// with their room, so in a group it goes privately.
func (a *App) bind(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, err := needStation(ctx)
	if err != nil {
		return err
	}
	args, who := cutMentions(m, m.Args)
	if args == "" {
		return badForm("usage_bind", "bind_needs_room")
	}
	room, rest, err := numerals.CutRoom(args)
	if err != nil {
		return badForm("usage_bind", "bad_room", i18n.Args{"Text": clip(args)})
	}
	target := m.Sender
	if len(who) > 0 {
		me := sessionFrom(ctx).member()
		if !me.IsStaff() && !me.Has(store.RoleDuty) && !me.LeadsBuilding(room.Building) {
			return needRole(store.RoleHead, store.RoleDeputy, store.RoleDuty, store.RoleLeader)
		}
		// Staff and the building's leader vouch for the person themselves.
		if target, err = a.knownPerson(ctx, st, who[0]); err != nil {
			return err
		}
		return a.bindNow(ctx, r, m, st, target, room)
	}
	if rest != "" {
		if target.Name, err = a.claimName(ctx, st, rest); err != nil {
			return err
		}
	}
	members, err := a.store.HouseholdMembers(ctx, st.ID, room.Key())
	if err != nil {
		return err
	}
	if len(members) > 0 && !slices.Contains(members, target.Key()) {
		return a.requestJoin(ctx, r, m, st, target, room, members)
	}
	return a.bindNow(ctx, r, m, st, target, room)
}

// bindNow binds target to room and tells the asker, privately in a group.
func (a *App) bindNow(ctx context.Context, r bot.Responder, m *bot.Message, st *store.Station, target bot.User, room numerals.Room) error {
	err := a.store.BindRoom(ctx, st.ID, target, room, a.now())
	if errors.Is(err, store.ErrRoomUnknown) {
		return say("room_not_in_roster", i18n.Args{"Room": roomName(ctx, room)})
	}
	if err != nil {
		return err
	}
	return replyPersonal(ctx, r, m, "", tr(ctx, "bound", i18n.Args{"Name": target.Name, "Room": roomName(ctx, room)}))
}

// roster serves /roster: households per building, sent privately because it
// names people.
func (a *App) roster(ctx context.Context, r bot.Responder, m *bot.Message) error {
	st, _, err := requireAny(ctx, store.RoleDeputy)
	if err != nil {
		return err
	}
	hs, err := a.store.Households(ctx, st.ID)
	if err != nil {
		return err
	}
	if len(hs) == 0 {
		return r.ReplyPrivately(ctx, tr(ctx, "roster_empty"))
	}
	var b strings.Builder
	b.WriteString(tr(ctx, "roster_header", i18n.Args{"Name": st.Name, "Count": len(hs)}))
	building := ""
	for _, h := range hs {
		if h.Room.Building != building {
			building = h.Room.Building
			b.WriteString("\n" + tr(ctx, "roster_building", i18n.Args{"Building": building}))
		}
		b.WriteString("\n  " + tr(ctx, "roster_line", i18n.Args{"Room": roomName(ctx, h.Room), "People": len(h.Members)}))
	}
	return r.ReplyPrivately(ctx, b.String())
}

// lang serves /lang [en|中文] [群|本站]: a person's, a group's or the
// station's reply language.
func (a *App) lang(ctx context.Context, r bot.Responder, m *bot.Message) error {
	fields := strings.Fields(m.Args)
	if len(fields) == 0 || len(fields) > 2 {
		return badForm("usage_lang", "lang_needs_choice")
	}
	locale, ok := i18n.ParseLocale(fields[0])
	if !ok {
		return badForm("usage_lang", "unknown_lang", i18n.Args{"Word": clip(fields[0])})
	}
	scope := "me"
	if len(fields) == 2 {
		scope = fields[1]
	}
	ctx = bot.WithLocale(ctx, locale) // answer in the language just chosen
	switch strings.ToLower(scope) {
	case "me", "我", "自己":
		if err := a.store.SetUserLocale(ctx, m.Sender.Key(), locale); err != nil {
			return err
		}
		return r.Reply(ctx, tr(ctx, "lang_set_me"))
	case "group", "群", "本群":
		// In an office group anyone acts for the office (office.go).
		if _, _, err := requireAny(ctx, store.RoleDeputy); err != nil && !inOfficeGroup(ctx) {
			return err
		}
		if err := a.store.SetChatLocale(ctx, m.Chat.Key(), locale); err != nil {
			return err
		}
		return r.Reply(ctx, tr(ctx, "lang_set_group"))
	case "station", "站", "本站":
		st, _, err := requireAny(ctx)
		if err != nil {
			return err
		}
		if err := a.store.SetStationLocale(ctx, st.ID, locale); err != nil {
			return err
		}
		return r.Reply(ctx, tr(ctx, "lang_set_station"))
	}
	return badForm("usage_lang", "unknown_lang_scope", i18n.Args{"Word": clip(scope)})
}
