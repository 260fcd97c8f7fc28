package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
)

// photoPlatform is a fakePlatform that sends photos.
type photoPlatform struct{ fakePlatform }

func (*photoPlatform) SupportsPhotos() bool { return true }

// memImages keeps pictures in a map.
type memImages map[string][]byte

func (m memImages) SaveImage(_ context.Context, png []byte) (string, error) {
	m["p1"] = png
	return "p1", nil
}

func (m memImages) Image(_ context.Context, name string) ([]byte, error) {
	if b, ok := m[name]; ok {
		return b, nil
	}
	return nil, errors.New("no such image")
}

// TestDispatcherSendsPicturesWherePhotosGo checks that a message's picture
// is loaded for a platform that sends photos, to a group or privately, and
// never for one that does not; a picture that is gone leaves the text.
func TestDispatcherSendsPicturesWherePhotosGo(t *testing.T) {
	ctx := context.Background()
	tg := &photoPlatform{fakePlatform{private: map[string]bool{tgAlice.Key(): true}}}
	wx := &fakePlatform{}
	d := bot.NewDispatcher(discards)
	d.Add("telegram", tg, tg)
	d.Add("wechat", wx, wx)
	if d.SendsPhotos("telegram") {
		t.Error("SendsPhotos before UseImages")
	}
	images := memImages{}
	d.UseImages(images)
	name, _ := images.SaveImage(ctx, []byte("PNG"))
	if !d.SendsPhotos("telegram") || d.SendsPhotos("wechat") {
		t.Errorf("SendsPhotos: telegram %v, wechat %v", d.SendsPhotos("telegram"), d.SendsPhotos("wechat"))
	}
	for _, out := range []bot.Outgoing{
		{Chat: tgGroup, Text: "统计", Image: name},
		{Chat: tgAlice.PrivateChat(), Text: "统计", Image: name},
		{Chat: tgGroup, Text: "gone", Image: "expired"},
		{Chat: wxGroup, Text: "统计", Image: name},
	} {
		if err := d.Send(ctx, out); err != nil {
			t.Fatal(err)
		}
	}
	if got := tg.sent; len(got) != 3 || string(got[0].ImagePNG) != "PNG" || string(got[1].ImagePNG) != "PNG" || got[2].ImagePNG != nil {
		t.Errorf("telegram got %+v", got)
	}
	if got := wx.sent; len(got) != 1 || got[0].ImagePNG != nil || got[0].Text != "统计" {
		t.Errorf("wechat got %+v", got)
	}
	// The bytes are never stored with a message: only the name is.
	b, _ := json.Marshal(tg.sent[0])
	var back bot.Outgoing
	if err := json.Unmarshal(b, &back); err != nil || back.Image != name || back.ImagePNG != nil {
		t.Errorf("stored as %s", b)
	}
}
