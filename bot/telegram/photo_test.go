package telegram_test

import (
	"context"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/telegram"
	"github.com/huzhu-station/huzhu/bot/telegram/telegramtest"
)

// TestPhotos sends a message with a picture: a short text is the photo's
// caption, with the buttons under it; a text too long for a caption
// follows the photo as its own messages.
func TestPhotos(t *testing.T) {
	f := telegramtest.NewServer(t)
	tg := start(t, f, telegram.Options{}, newRecorder())
	if !tg.SupportsPhotos() {
		t.Error("SupportsPhotos = false")
	}
	ctx := context.Background()
	chat := bot.Chat{Platform: "telegram", ID: "-100", Kind: bot.Group}
	png := []byte("\x89PNG chart")
	err := tg.Send(ctx, bot.Outgoing{Chat: chat, Text: "【清川佳园互助站】2026年11月", Image: "ab", ImagePNG: png,
		Buttons: [][]bot.Button{{{Label: "上月", Data: "/stats last"}}}})
	if err != nil {
		t.Fatal(err)
	}
	sent := f.WaitSent(1)
	if string(sent[0].Photo) != string(png) || sent[0].Text != "【清川佳园互助站】2026年11月" || sent[0].Markup == nil {
		t.Errorf("photo sent as %+v", sent[0])
	}
	long := strings.Repeat("长", 1100)
	if err := tg.Send(ctx, bot.Outgoing{Chat: chat, Text: long, Image: "ab", ImagePNG: png}); err != nil {
		t.Fatal(err)
	}
	sent = f.WaitSent(3)
	if string(sent[1].Photo) != string(png) || sent[1].Text != "" || sent[2].Photo != nil || sent[2].Text != long {
		t.Errorf("long text with a photo sent as %+v / %+v", sent[1], sent[2])
	}
}

// TestPhotoFetched fetches a picture a resident sent, as a page shows it,
// and refuses a file id Telegram does not know.
func TestPhotoFetched(t *testing.T) {
	f := telegramtest.NewServer(t)
	tg := start(t, f, telegram.Options{}, newRecorder())
	f.AddFile("lamp", []byte("\xff\xd8\xff jpeg"))
	b, err := tg.Photo(context.Background(), "lamp")
	if err != nil || string(b) != "\xff\xd8\xff jpeg" {
		t.Errorf("Photo = %q, %v", b, err)
	}
	if _, err := tg.Photo(context.Background(), "nothing"); err == nil {
		t.Error("an unknown file id was fetched")
	}
}
