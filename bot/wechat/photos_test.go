package wechat_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/wechat"
	"github.com/huzhu-station/huzhu/bot/wechat/wechattest"
)

// stubPhotos awaits photos from the people in awaiting (by user key) and
// keeps what it is given.
type stubPhotos struct {
	mu       sync.Mutex
	awaiting map[string]bool
	kept     map[string][]byte
}

func (s *stubPhotos) AwaitsPhoto(_ context.Context, _ bot.Chat, u bot.User) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.awaiting[u.Key()], nil
}

func (s *stubPhotos) SaveWeChatPhoto(_ context.Context, name string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kept[name] = data
	return nil
}

func (s *stubPhotos) await(u bot.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.awaiting[u.Key()] = true
}

func (s *stubPhotos) keptUnder(ref string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, ok := bytes.CutPrefix([]byte(ref), []byte(wechat.PhotoRefPrefix))
	if !ok {
		return nil
	}
	return s.kept[string(name)]
}

// jpeg returns n bytes that read as a JPEG picture, marked with b.
func jpeg(n int, b byte) []byte {
	data := bytes.Repeat([]byte{b}, n)
	copy(data, "\xff\xd8\xff\xe0\x00\x10JFIF\x00")
	return data
}

func refOf(data []byte) string {
	sum := sha256.Sum256(data)
	return wechat.PhotoRefPrefix + hex.EncodeToString(sum[:])
}

// A picture is downloaded only when it is awaited, becomes a message with
// the picture attached and kept, and is kept small: a picture over the
// limit is kept as its thumbnail, or not at all.
func TestPicturesAttachedWhenAwaited(t *testing.T) {
	h := newHarness(t)
	f := h.f
	photos := &stubPhotos{awaiting: map[string]bool{}, kept: map[string][]byte{}}
	h.photos = photos
	li := f.AddPerson(&wechattest.Person{Nick: "李阿姨", Attr: 101})
	zhao := f.AddPerson(&wechattest.Person{Nick: "赵大爷", Attr: 404, Friend: true})
	g := f.AddGroup(&wechattest.Group{Name: "阳光小区1幢", Members: []wechattest.Member{{Person: li}, {Person: zhao}}})

	_, stop := h.start()
	defer stop()
	f.Scan()
	ctx := context.Background()

	small := wechattest.Picture{Full: jpeg(2000, 'a'), Thumb: jpeg(100, 'b')}
	// A picture in a group bound to no station is never looked at.
	f.SayPicture(g, li, small)
	f.Say(g, li, "建站 阳光站")
	m := h.next()
	if len(m.Attachments) != 0 || m.Text != "建站 阳光站" {
		t.Fatalf("got %+v; want the text after the picture in an unbound group", m)
	}
	if _, err := h.st.CreateStation(ctx, "阳光站", m.Chat, m.Sender, time.Now()); err != nil {
		t.Fatal(err)
	}
	group, liUser := m.Chat, m.Sender

	// Not awaited: dropped without a download.
	f.SayPicture(g, li, small)
	f.Say(g, li, "大家好")
	if m := h.next(); m.Text != "大家好" {
		t.Fatalf("got %+v; want the picture nobody awaits dropped", m)
	}
	if n := f.PictureFetches(); n != 0 {
		t.Errorf("%d pictures downloaded; want none", n)
	}

	photos.await(liUser)
	f.SayPicture(g, li, small)
	m = h.next()
	if m.Chat != group || m.Sender != liUser || m.Text != "" || m.AddressedToBot ||
		len(m.Attachments) != 1 || m.Attachments[0] != (bot.Attachment{Kind: bot.AttachmentPhoto, Ref: refOf(small.Full)}) {
		t.Fatalf("picture = %+v; want %s from %s with the picture attached", m, group.Key(), liUser.Key())
	}
	if !bytes.Equal(photos.keptUnder(m.Attachments[0].Ref), small.Full) {
		t.Error("the picture kept is not the one sent")
	}

	// Over the limit: its thumbnail is kept.
	big := wechattest.Picture{Full: jpeg(wechat.MaxPhotoBytes+1, 'c'), Thumb: jpeg(300, 'd')}
	f.SayPicture(g, li, big)
	m = h.next()
	if len(m.Attachments) != 1 || m.Attachments[0].Ref != refOf(big.Thumb) || !bytes.Equal(photos.keptUnder(m.Attachments[0].Ref), big.Thumb) {
		t.Fatalf("big picture = %+v; want its thumbnail attached and kept", m)
	}
	// Even the thumbnail over the limit: not kept, delivered as a photo
	// with no Ref, so its sender is asked to send it again.
	huge := wechattest.Picture{Full: jpeg(wechat.MaxPhotoBytes+1, 'e'), Thumb: jpeg(wechat.MaxPhotoBytes+1, 'f')}
	f.SayPicture(g, li, huge)
	if m := h.next(); len(m.Attachments) != 1 || m.Attachments[0] != (bot.Attachment{Kind: bot.AttachmentPhoto}) {
		t.Fatalf("got %+v; want the picture too big to keep delivered with no Ref", m)
	}

	// Privately, the same.
	f.Private(zhao, "你好")
	zhaoUser := h.next().Sender
	photos.await(zhaoUser)
	f.PrivatePicture(zhao, small)
	m = h.next()
	if m.Chat != zhaoUser.PrivateChat() || m.Sender != zhaoUser || len(m.Attachments) != 1 || m.Attachments[0].Ref != refOf(small.Full) {
		t.Fatalf("private picture = %+v; want it attached, from %s", m, zhaoUser.Key())
	}
	for name, data := range photos.kept {
		if len(data) > wechat.MaxPhotoBytes {
			t.Errorf("kept %s: %d bytes, over the limit", name, len(data))
		}
	}
}

// Without Options.Photos pictures are ignored and never downloaded.
func TestPicturesIgnoredWithoutPhotos(t *testing.T) {
	h := newHarness(t)
	f := h.f
	li := f.AddPerson(&wechattest.Person{Nick: "李阿姨", Attr: 101, Friend: true})
	_, stop := h.start()
	defer stop()
	f.Scan()
	f.PrivatePicture(li, wechattest.Picture{Full: jpeg(100, 'a'), Thumb: jpeg(10, 'b')})
	f.Private(li, "帮助")
	if m := h.next(); m.Text != "帮助" || len(m.Attachments) != 0 {
		t.Fatalf("got %+v; want the picture ignored", m)
	}
	if n := f.PictureFetches(); n != 0 {
		t.Errorf("%d pictures downloaded; want none", n)
	}
}
