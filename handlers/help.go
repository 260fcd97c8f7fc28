package handlers

import (
	"context"
	"strings"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
)

// helpTopics maps the words people ask help about to catalogue sections.
var helpTopics = map[string]string{
	"报事": "issues", "问题": "issues", "issues": "issues", "report": "issues", "清单": "issues",
	"站": "station", "本站": "station", "station": "station", "登记": "station", "任命": "station",
	"语言": "lang", "lang": "lang", "language": "lang",
	"众筹": "funds", "认捐": "funds", "投票": "funds", "funds": "funds", "fund": "funds", "polls": "funds",
	"志愿": "teams", "队伍": "teams", "排班": "teams", "报名": "teams", "teams": "teams", "shifts": "teams",
	"养犬": "dogs", "犬只": "dogs", "借还": "dogs", "物品": "dogs", "dogs": "dogs", "lending": "dogs",
	"通知": "notices", "开会": "notices", "会议": "notices", "notices": "notices", "meetings": "notices",
}

// help serves /help [TOPIC]: the commands the sender's role may use, with
// examples.
func (a *App) help(ctx context.Context, r bot.Responder, m *bot.Message) error {
	topic := strings.ToLower(strings.TrimSpace(m.Args))
	if topic == bot.InboxPayload { // Telegram's /start inbox, from a pointer's link
		return a.inbox(ctx, r, m)
	}
	if topic != "" {
		section, ok := helpTopics[topic]
		if !ok {
			return badForm("usage_help", "unknown_help_topic", i18n.Args{"Word": clip(topic)})
		}
		return r.Reply(ctx, tr(ctx, "help_"+section))
	}
	sess := sessionFrom(ctx)
	if sess.station() == nil {
		if sess.private {
			return r.Reply(ctx, tr(ctx, "no_station_private"))
		}
		return r.Reply(ctx, tr(ctx, "help_no_station"))
	}
	parts := []string{tr(ctx, "help_intro", i18n.Args{"Station": sess.station().Name}), tr(ctx, "help_resident")}
	me := sess.member()
	if me.Has(store.RoleDuty) || me.IsStaff() {
		parts = append(parts, tr(ctx, "help_duty"))
	}
	if me.Has(store.RoleLeader) || me.IsStaff() {
		parts = append(parts, tr(ctx, "help_leader"))
	}
	if me.IsStaff() {
		parts = append(parts, tr(ctx, "help_head"))
	}
	parts = append(parts, tr(ctx, "help_outro"))
	return r.Reply(ctx, strings.Join(parts, "\n\n"))
}

// notFound answers a message meant for the bot that names no command, and
// a near miss (bot.Message.Suggestion: 抱事 楼道灯坏了) with the line it
// probably meant. Privately the corrected line comes with a button that
// sends it; in a group it is only shown, to be sent again: anyone in the
// group may press a button, and the command would then run as them.
func (a *App) notFound(ctx context.Context, r bot.Responder, m *bot.Message) error {
	if m.Suggestion != "" {
		line := i18n.Args{"Line": bot.Quote(clipN(m.Suggestion, maxSuggestionRunes))}
		if !m.IsPrivate() {
			return r.Reply(ctx, tr(ctx, "near_miss", line))
		}
		return r.Reply(ctx, tr(ctx, "near_miss_button", line),
			[]bot.Button{{Label: tr(ctx, "near_miss_press"), Data: m.Suggestion}})
	}
	if strings.TrimSpace(m.Args) == "" && len(m.Attachments) > 0 {
		return nil // a photo with nothing to attach it to
	}
	return r.Reply(ctx, tr(ctx, "help_pointer"))
}

// maxSuggestionRunes bounds the corrected line shown back: a long report
// is shown clipped, and the button still sends it whole.
const maxSuggestionRunes = 40
