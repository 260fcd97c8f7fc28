package slips_test

import (
	"bytes"
	"image/png"
	"net/url"
	"testing"

	"github.com/huzhu-station/huzhu/bot/numerals"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/handlers/slips"
)

func TestMake(t *testing.T) {
	got, err := slips.Make("zh-CN", "https://hz.example.org/s/7?lang=zh", []store.IssuedCode{
		{Room: numerals.Room{Building: "3", Unit: "1", Number: "1201"}, Code: "7KQ2M9XD"},
	})
	if err != nil || len(got) != 1 {
		t.Fatalf("Make = %+v, %v", got, err)
	}
	s := got[0]
	if s.Room != "3幢1单元1201" || s.Code != "7KQ2 M9XD" || len(s.Lines) != 2 {
		t.Errorf("slip = %+v", s)
	}
	u, err := url.Parse(s.Link)
	if err != nil || u.Query().Get(slips.CodeParam) != "7KQ2M9XD" || u.Query().Get("lang") != "zh" || u.Path != "/s/7" {
		t.Errorf("link = %q, %v", s.Link, err)
	}
	img, err := png.Decode(bytes.NewReader(s.QR))
	if err != nil || img.Bounds().Dx() != slips.QRSize {
		t.Errorf("QR is no %d px PNG: %v", slips.QRSize, err)
	}
}
