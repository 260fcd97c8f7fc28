package telegram

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"

	"github.com/huzhu-station/huzhu/bot"
)

func TestUTF16Span(t *testing.T) {
	tests := []struct {
		text           string
		offset, length int
		want           string // "" when the span is not valid
	}{
		{"@bob hi", 0, 4, "@bob"},
		{"报事 @bob", 3, 4, "@bob"},
		{"😀 @bob", 3, 4, "@bob"}, // the emoji counts two units
		{"😀 @bob", 2, 4, " @bo"}, // counted in code points it would be "@bob"
		{"😀x", 1, 1, ""},         // inside the emoji
		{"abc", 1, 5, ""},        // past the end
		{"abc", -1, 2, ""},
		{"abc", 1, 0, ""},
		{"a\xffbc", 2, 1, ""}, // not UTF-8
	}
	for _, tt := range tests {
		start, end, ok := utf16Span(tt.text, tt.offset, tt.length)
		got := ""
		if ok {
			got = tt.text[start:end]
		}
		if tt.want == "" && ok {
			t.Errorf("utf16Span(%q, %d, %d) = %q, want invalid", tt.text, tt.offset, tt.length, got)
		}
		if tt.want != "" && got != tt.want {
			t.Errorf("utf16Span(%q, %d, %d) = %q, want %q", tt.text, tt.offset, tt.length, got, tt.want)
		}
	}
}

func TestSplitText(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{"short", "一行\n两行", 10, []string{"一行\n两行"}},
		{"at lines", "aaaa\nbbbb\ncccc", 10, []string{"aaaa\nbbbb", "cccc"}},
		{"long line cut", "aaaaaaa", 3, []string{"aaa", "aaa", "a"}},
		{"emoji not split", "a😀😀", 2, []string{"a", "😀", "😀"}},
		{"blank lines dropped", "\n\n\n", 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitText(tt.text, tt.limit)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("splitText(%q, %d) = %q, want %q", tt.text, tt.limit, got, tt.want)
			}
		})
	}
}

func TestComposeMentionsOnlyInGroups(t *testing.T) {
	u := bot.User{Platform: PlatformName, ID: "42", Name: "Wang Wu"}
	private := compose(bot.Outgoing{Chat: u.PrivateChat(), Text: "hi", Mentions: []bot.User{u}})
	if len(private) != 1 || private[0].Text != "hi" || private[0].Entities != nil {
		t.Errorf("private message = %+v, want the text alone", private[0])
	}
	g := compose(bot.Outgoing{Chat: bot.Chat{Platform: PlatformName, ID: "-1"}, Text: "hi",
		Mentions: []bot.User{{Platform: PlatformName, ID: "@someone"}, u}})
	if g[0].Text != "@@someone @WangWu hi" || len(g[0].Entities) != 1 || g[0].Entities[0].Offset != 10 {
		t.Errorf("group message = %q %+v", g[0].Text, g[0].Entities)
	}
	if compose(bot.Outgoing{Chat: u.PrivateChat(), Text: "  "}) != nil {
		t.Error("an empty message was composed")
	}
}

// FuzzConvertMessage feeds arbitrary text and entity spans through the
// conversion: it must not panic, must keep the text valid UTF-8, and must
// name a mention only for people it knows.
func FuzzConvertMessage(f *testing.F) {
	f.Add("/report@huzhu_bot 3幢灯坏了", 0, 17, 0, "@huzhu_bot 报事", 0, 10)
	f.Add("任命 张阿姨 值班", 3, 3, 2, "😀 @bob_w", 3, 6)
	f.Add("x", 5, 9, 1, "", -1, 0)
	types := []models.MessageEntityType{models.MessageEntityTypeBotCommand, models.MessageEntityTypeMention,
		models.MessageEntityTypeTextMention, models.MessageEntityTypeBold}
	me := &models.User{ID: 7, IsBot: true, Username: "huzhu_bot"}
	known := map[string]bool{"bob_w": true}
	resolve := func(h string) (bot.User, bool) {
		return bot.User{Platform: PlatformName, ID: "3003", Name: h}, known[strings.ToLower(h)]
	}
	f.Fuzz(func(t *testing.T, text string, off, n, typ int, caption string, off2, n2 int) {
		if !utf8.ValidString(text) || !utf8.ValidString(caption) {
			return
		}
		ty := types[(typ%len(types)+len(types))%len(types)]
		msg := &models.Message{
			ID: 1, Date: 1, Chat: models.Chat{ID: -1, Type: models.ChatTypeGroup},
			From: &models.User{ID: 1, FirstName: "A"}, Text: text, Caption: caption,
			Entities: []models.MessageEntity{
				{Type: ty, Offset: off, Length: n, User: &models.User{ID: 9, FirstName: "Z Z"}},
				{Type: models.MessageEntityTypeMention, Offset: off2, Length: n2},
			},
			CaptionEntities: []models.MessageEntity{{Type: models.MessageEntityTypeMention, Offset: off2, Length: n2}},
		}
		m := convertMessage(msg, me, resolve)
		if m == nil {
			return
		}
		if !utf8.ValidString(m.Text) {
			t.Errorf("text %q is not UTF-8", m.Text)
		}
		for _, u := range m.Mentions {
			if u.ID != "3003" && u.ID != "9" {
				t.Errorf("unknown mention %+v", u)
			}
		}
	})
}
