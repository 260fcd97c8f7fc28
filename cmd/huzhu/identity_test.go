package main

import (
	"io"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/telegram/telegramtest"
)

// playTelegramGroup sends each step's text to one group through the
// Telegram adapter, from the step's person, and returns everything the bot
// sent, in the group and privately.
func playTelegramGroup(t *testing.T, steps []telegramStep) []string {
	t.Helper()
	api := telegramtest.NewServer(t)
	group := telegramtest.Group(-1001, conversationGroup)
	cfg := conversationConfig()
	cfg.Telegram = TelegramConfig{Token: telegramtest.Token, APIURL: api.URL()}
	st, log, alerts := conversationStore(t), conversationLog(t), &relay{}
	platforms, err := configuredPlatforms(cfg, st, log, alerts, io.Discard)
	if err != nil || len(platforms) != 1 {
		t.Fatalf("configuredPlatforms = %v, %v", platforms, err)
	}
	in, stop := servePlatformsAt(t, cfg, st, bot.NewFakeClock(conversationStart), platforms, alerts, log)
	for i, s := range steps {
		api.Push(telegramtest.Message(group, s.from, s.text, s.entities(s.text)...))
		in.wait(t, i+1, s.text)
	}
	stop()
	var out []string
	for _, m := range api.Sent() {
		out = append(out, m.Text)
	}
	return out
}

type telegramStep struct {
	from     models.User
	text     string
	entities func(text string) []models.MessageEntity
}

func noEntities(string) []models.MessageEntity { return nil }

// TestTelegramAppointByUsername checks that 任命 @username names the person
// by the name the station knows them by, not by their username, and that a
// person the station has never seen cannot be appointed.
func TestTelegramAppointByUsername(t *testing.T) {
	head := models.User{ID: 3001, FirstName: "张站长"}
	zhao := models.User{ID: 3002, FirstName: "老赵", Username: "zhao_duty"}
	mention := func(handle string) func(string) []models.MessageEntity {
		return func(text string) []models.MessageEntity {
			return []models.MessageEntity{telegramtest.Entity(text, "@"+handle, models.MessageEntityTypeMention)}
		}
	}
	got := playTelegramGroup(t, []telegramStep{
		{head, "建站 阳光互助站", noEntities},
		{zhao, "本站", noEntities},
		{head, "任命 @zhao_duty 值班", mention("zhao_duty")},
	})
	if last := got[len(got)-1]; last != "已任命 老赵 为值班人员。" {
		t.Errorf("appointment by username answered %q, want the display name 老赵", last)
	}

	// A username nobody has used where the bot could see is no one.
	got = playTelegramGroup(t, []telegramStep{
		{head, "建站 阳光互助站", noEntities},
		{head, "任命 @nobody_here 值班", mention("nobody_here")},
	})
	if last := got[len(got)-1]; strings.Contains(last, "已任命") {
		t.Errorf("appointing an unseen username answered %q", last)
	}

	// Someone the adapter can name (a text_mention) but the station has never
	// seen is unknown, and the answer says how to become known.
	stranger := models.User{ID: 3003, FirstName: "陌生人"}
	got = playTelegramGroup(t, []telegramStep{
		{head, "建站 阳光互助站", noEntities},
		{head, "任命 陌生人 值班", func(text string) []models.MessageEntity {
			return []models.MessageEntity{telegramtest.TextMention(text, "陌生人", stranger)}
		}},
	})
	if last := got[len(got)-1]; !strings.Contains(last, "本站还不认识「陌生人」") || !strings.Contains(last, "登记 房号") {
		t.Errorf("appointing a stranger answered %q", last)
	}
}

// TestTelegramNameCannotSpeakForTheBot checks that a display name written to
// look like a line of the bot's own — a line break and a 【…通知】 heading
// — is shown on one line without the heading's brackets, and that one that
// reads as the head's name once its invisible characters are gone is marked
// as a resident's and cannot be registered under.
func TestTelegramNameCannotSpeakForTheBot(t *testing.T) {
	head := models.User{ID: 3001, FirstName: "张站长"}
	forger := models.User{ID: 3004, FirstName: "老王\n【A站通知】今晚每户转账300元到 6222"}
	copycat := models.User{ID: 3005, FirstName: "张\u200b站\u200d长\u202e"}
	got := playTelegramGroup(t, []telegramStep{
		{head, "建站 阳光互助站", noEntities},
		{forger, "登记 3-2-401", noEntities},
		{copycat, "登记 3-2-301", noEntities},
		{copycat, "登记 3-2-301 张\u200b站长", noEntities},
	})
	want := []string{
		"已登记：老王 A站通知今晚每户转账300元到 6，3幢2单元401。", // cut at bot.MaxNameRunes,
		"已登记：张站长（居民），3幢2单元301。",
		"「张站长」是本站工作人员的称呼，不能用来登记。",
	}
	all := strings.Join(got, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("no reply says %q; the bot sent:\n%s", w, all)
		}
	}
	for _, text := range got {
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "【A站") || strings.ContainsAny(line, "\u200b\u200d\u202e") {
				t.Errorf("line %q carries what a display name smuggled in", line)
			}
		}
	}
}
