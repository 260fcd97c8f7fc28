package console_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/console"
)

// TestPictures checks that with an ImageDir a message's picture is written
// there and its path printed under the text, and that without one the text
// stands alone.
func TestPictures(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "images")
	var out bytes.Buffer
	c := console.New(console.Options{In: strings.NewReader(""), Out: &out, Clock: bot.SystemClock{}, ImageDir: dir})
	if !c.SupportsPhotos() {
		t.Fatal("SupportsPhotos = false with an ImageDir")
	}
	msg := bot.Outgoing{Chat: bot.Chat{Platform: "console", ID: "group", Kind: bot.Group}, Text: "统计",
		Image: "../ab12", ImagePNG: []byte("PNG")}
	if err := c.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ab12.png")
	if want := "[group] bot: 统计\n  [图片] " + path + "\n"; out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "PNG" {
		t.Errorf("picture file: %q, %v", b, err)
	}
	plain := console.New(console.Options{In: strings.NewReader(""), Out: &out, Clock: bot.SystemClock{}})
	if plain.SupportsPhotos() {
		t.Error("SupportsPhotos = true without an ImageDir")
	}
}
