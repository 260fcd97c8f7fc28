package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/huzhu-station/huzhu/bot"
)

// maxTextUnits is the longest message text the Bot API takes, in UTF-16
// code units; longer texts are sent as several messages.
const maxTextUnits = 4096

// maxCallbackData is the most bytes a button's callback data may hold. A
// button with longer data is left out: the text says how to type it.
const maxCallbackData = 64

// maxMentions bounds the names put in front of one message.
const maxMentions = 20

// partRetries is how many times a later part of a long message is retried
// after a 429 before Send gives up (see Send).
const partRetries = 3

// Send delivers out: in a group the people in out.Mentions are named in
// front of the text (and notified), and out.Buttons become an inline
// keyboard under the last part. A picture (out.ImagePNG) is sent as a photo
// with the text as its caption, or before the text when that is too long
// for a caption. It returns a *bot.RetryAfterError when
// Telegram asks to slow down, an error wrapping bot.ErrUnreachable when the
// chat refused the bot (now or earlier, until it writes again), and follows
// a group that became a supergroup.
func (t *Telegram) Send(ctx context.Context, out bot.Outgoing) error {
	if out.Chat.Platform != PlatformName {
		return fmt.Errorf("telegram: %w: %q", bot.ErrUnknownPlatform, out.Chat.Platform)
	}
	id, err := strconv.ParseInt(out.Chat.ID, 10, 64)
	if err != nil {
		return fmt.Errorf("telegram: %q is no Telegram chat id: %w", out.Chat.ID, bot.ErrUnreachable)
	}
	id = t.alias(id)
	if ok, known := t.rec.reachable(ctx, chatKey(id)); known && !ok {
		return fmt.Errorf("telegram: %s refused the bot earlier: %w", chatKey(id), bot.ErrUnreachable)
	}
	parts := compose(out)
	var photo *tgbot.SendPhotoParams
	if len(out.ImagePNG) > 0 {
		photo, parts = composePhoto(out, parts)
	}
	if len(parts) == 0 && photo == nil {
		return fmt.Errorf("telegram: nothing to send to %s", chatKey(id))
	}
	if photo != nil {
		// The picture goes first: a 429 for it is the Pacer's to retry,
		// since nothing of the message is out yet.
		if err := t.sendPhoto(ctx, &id, photo); err != nil {
			return err
		}
	}
	for i, p := range parts {
		later := i > 0 || photo != nil // something of the message is out
		err := t.sendPart(ctx, &id, p)
		// The Pacer resends the whole message after a 429; once a part is
		// out, the rest waits here instead, so no part is sent twice.
		var ra *bot.RetryAfterError
		for try := 0; later && try < partRetries && errors.As(err, &ra); try++ {
			if err := sleep(ctx, ra.After); err != nil {
				return err
			}
			err = t.sendPart(ctx, &id, p)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sendPart sends one message to *id, following the chat to its new id when
// Telegram says it moved.
func (t *Telegram) sendPart(ctx context.Context, id *int64, p *tgbot.SendMessageParams) error {
	p.ChatID = *id
	_, err := t.api.SendMessage(ctx, p)
	var moved *tgbot.MigrateError
	if errors.As(err, &moved) && moved.MigrateToChatID != 0 {
		to := int64(moved.MigrateToChatID)
		t.migrate(ctx, *id, to, "")
		*id, p.ChatID = to, to
		_, err = t.api.SendMessage(ctx, p)
	}
	return t.sendError(ctx, *id, err)
}

// maxCaptionUnits is the longest photo caption the Bot API takes, in UTF-16
// code units.
const maxCaptionUnits = 1024

// composePhoto makes the sendPhoto that carries out's picture. When the
// text, with its names in front and its buttons, fits one caption, it is
// the caption and no message is left to send; otherwise the picture goes
// alone, before the messages parts are.
func composePhoto(out bot.Outgoing, parts []*tgbot.SendMessageParams) (*tgbot.SendPhotoParams, []*tgbot.SendMessageParams) {
	p := &tgbot.SendPhotoParams{Photo: &models.InputFileUpload{Filename: out.Image + ".png", Data: bytes.NewReader(out.ImagePNG)}}
	if len(parts) == 1 && utf16Count(parts[0].Text) <= maxCaptionUnits {
		p.Caption, p.CaptionEntities, p.ReplyMarkup = parts[0].Text, parts[0].Entities, parts[0].ReplyMarkup
		return p, nil
	}
	return p, parts
}

// sendPhoto sends a picture to *id, following the chat to its new id when
// Telegram says it moved. The upload is read again for the second try.
func (t *Telegram) sendPhoto(ctx context.Context, id *int64, p *tgbot.SendPhotoParams) error {
	upload := p.Photo.(*models.InputFileUpload)
	data, _ := io.ReadAll(upload.Data)
	p.ChatID = *id
	upload.Data = bytes.NewReader(data)
	_, err := t.api.SendPhoto(ctx, p)
	var moved *tgbot.MigrateError
	if errors.As(err, &moved) && moved.MigrateToChatID != 0 {
		to := int64(moved.MigrateToChatID)
		t.migrate(ctx, *id, to, "")
		*id, p.ChatID = to, to
		upload.Data = bytes.NewReader(data)
		_, err = t.api.SendPhoto(ctx, p)
	}
	return t.sendError(ctx, *id, err)
}

// sendError turns the library's error into huzhu's: 429 into a
// *bot.RetryAfterError, a refusal into bot.ErrUnreachable (recorded, so
// nothing more is sent there until the chat writes again).
func (t *Telegram) sendError(ctx context.Context, id int64, err error) error {
	if err == nil {
		return nil
	}
	key := chatKey(id)
	// The library's IsTooManyRequestsError fails on wrapped errors.
	var tooMany *tgbot.TooManyRequestsError
	switch {
	case errors.As(err, &tooMany):
		// Telegram does not say whether the limit hit was the chat's or the
		// bot's; holding the one chat is right for a busy group and, for the
		// global limit, the pacer's own windows keep the rest in check.
		after := max(time.Duration(tooMany.RetryAfter)*time.Second, time.Second)
		return &bot.RetryAfterError{After: after, Err: err}
	case errors.Is(err, tgbot.ErrorForbidden) || isChatNotFound(err):
		if t.rec.setReachable(ctx, key, false) {
			t.log.Info("chat refused the bot; no more sends there until it writes again", "chat", key, "reason", err.Error())
		}
		return fmt.Errorf("telegram: send to %s: %w: %w", key, bot.ErrUnreachable, err)
	}
	return fmt.Errorf("telegram: send to %s: %w", key, err)
}

// isChatNotFound reports Telegram's answer for a chat the bot has never
// been in, or a person it has never met.
func isChatNotFound(err error) bool {
	return errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(strings.ToLower(err.Error()), "chat not found")
}

// compose builds the messages out is sent as, without their chat id.
func compose(out bot.Outgoing) []*tgbot.SendMessageParams {
	prefix, entities := mentionPrefix(out)
	text := strings.TrimSpace(out.Text)
	if prefix == "" && text == "" {
		return nil
	}
	var parts []*tgbot.SendMessageParams
	for i, chunk := range splitText(prefix+text, maxTextUnits) {
		p := &tgbot.SendMessageParams{Text: chunk}
		if i == 0 {
			p.Entities = entities
		}
		parts = append(parts, p)
	}
	if kb := keyboard(out.Buttons); kb != nil {
		parts[len(parts)-1].ReplyMarkup = kb
	}
	return parts
}

// mentionPrefix names out.Mentions in front of a group message. A person
// with a numeric id is named with a text_mention, which notifies them
// whether or not they have a username.
func mentionPrefix(out bot.Outgoing) (string, []models.MessageEntity) {
	if out.Chat.Kind == bot.Private || len(out.Mentions) == 0 {
		return "", nil
	}
	var b strings.Builder
	var entities []models.MessageEntity
	for i, u := range out.Mentions {
		if i == maxMentions {
			break
		}
		name := compact(u.Name)
		if name == "" {
			name = u.ID
		}
		label := "@" + name
		if id, err := strconv.ParseInt(u.ID, 10, 64); err == nil && u.Platform == PlatformName {
			entities = append(entities, models.MessageEntity{
				Type:   models.MessageEntityTypeTextMention,
				Offset: utf16Count(b.String()),
				Length: utf16Count(label),
				User:   &models.User{ID: id},
			})
		}
		b.WriteString(label + " ")
	}
	return b.String(), entities
}

// keyboard returns out.Buttons as an inline keyboard, or nil when no button
// fits.
func keyboard(buttons [][]bot.Button) *models.InlineKeyboardMarkup {
	var rows [][]models.InlineKeyboardButton
	for _, row := range buttons {
		var r []models.InlineKeyboardButton
		for _, b := range row {
			if strings.HasPrefix(b.WebApp, "https://") && strings.TrimSpace(b.Label) != "" {
				r = append(r, models.InlineKeyboardButton{Text: b.Label, WebApp: &models.WebAppInfo{URL: b.WebApp}})
				continue
			}
			if b.Data == "" || len(b.Data) > maxCallbackData {
				continue
			}
			label := b.Label
			if strings.TrimSpace(label) == "" {
				label = b.Data
			}
			r = append(r, models.InlineKeyboardButton{Text: label, CallbackData: b.Data})
		}
		if len(r) > 0 {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

// splitText cuts s into parts of at most limit UTF-16 code units, between
// lines where it can and between characters where a line is longer.
func splitText(s string, limit int) []string {
	var parts []string
	var cur strings.Builder
	n := 0
	flush := func() {
		if p := strings.TrimSpace(cur.String()); p != "" {
			parts = append(parts, p)
		}
		cur.Reset()
		n = 0
	}
	for _, line := range strings.SplitAfter(s, "\n") {
		ln := utf16Count(line)
		if n+ln > limit {
			flush()
		}
		if ln <= limit {
			cur.WriteString(line)
			n += ln
			continue
		}
		for _, r := range line {
			if n+utf16Len(r) > limit {
				flush()
			}
			cur.WriteRune(r)
			n += utf16Len(r)
		}
	}
	flush()
	return parts
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
