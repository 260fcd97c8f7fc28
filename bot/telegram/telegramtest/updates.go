package telegramtest

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-telegram/bot/models"
)

// messageSeq numbers the messages and button presses built here, across
// every test in the process, as Telegram numbers them within a chat.
var messageSeq atomic.Int64

func nextID() int { return int(messageSeq.Add(1)) }

// Message returns an update with a text message from u in chat, dated now.
func Message(chat models.Chat, u models.User, text string, entities ...models.MessageEntity) models.Update {
	from := u
	return models.Update{Message: &models.Message{
		ID: nextID(), Date: int(time.Now().Unix()), Chat: chat, From: &from, Text: text, Entities: entities,
	}}
}

// Photo returns an update with a photo from u in chat, captioned with
// caption. Like Telegram, it offers the photo in two sizes: a thumbnail and
// fileID, the largest.
func Photo(chat models.Chat, u models.User, fileID, caption string, entities ...models.MessageEntity) models.Update {
	upd := Message(chat, u, "")
	upd.Message.Caption, upd.Message.CaptionEntities = caption, entities
	upd.Message.Photo = []models.PhotoSize{
		{FileID: fileID + "-thumb", FileUniqueID: fileID + "-thumb", Width: 90, Height: 90},
		{FileID: fileID, FileUniqueID: fileID, Width: 1280, Height: 960},
	}
	return upd
}

// Press returns an update with u pressing the button carrying data under a
// message the bot sent in chat. Its callback query id is new for each
// press.
func Press(chat models.Chat, u models.User, data string) models.Update {
	id := nextID()
	return models.Update{CallbackQuery: &models.CallbackQuery{
		ID: fmt.Sprintf("cq-%d", id), From: u, Data: data, ChatInstance: fmt.Sprint(chat.ID),
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage,
			Message: &models.Message{ID: id, Date: int(time.Now().Unix()), Chat: chat, From: &BotUser}},
	}}
}

// Group returns a basic group chat called title; Telegram gives groups
// negative ids.
func Group(id int64, title string) models.Chat {
	return models.Chat{ID: id, Type: models.ChatTypeGroup, Title: title}
}

// PrivateChat returns u's private chat with the bot, whose id is u's.
func PrivateChat(u models.User) models.Chat {
	return models.Chat{ID: u.ID, Type: models.ChatTypePrivate, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username}
}

// Entity marks the first occurrence of word in text as typ, counting UTF-16
// code units as Telegram does. It panics when word is not in text.
func Entity(text, word string, typ models.MessageEntityType) models.MessageEntity {
	i := strings.Index(text, word)
	if i < 0 {
		panic("telegramtest: " + word + " is not in " + text)
	}
	return models.MessageEntity{Type: typ, Offset: UTF16Units(text[:i]), Length: UTF16Units(word)}
}

// TextMention marks the first occurrence of word in text as a mention of
// u, as Telegram sends a mention of a person without a username picked from
// the list.
func TextMention(text, word string, u models.User) models.MessageEntity {
	e := Entity(text, word, models.MessageEntityTypeTextMention)
	e.User = &u
	return e
}

// UTF16Units returns the length of s in UTF-16 code units, the unit of
// Telegram's offsets and length limits.
func UTF16Units(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}
