package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/wechat"
	"github.com/huzhu-station/huzhu/bot/wechat/wechattest"
)

// jpegOf returns n bytes that read as a JPEG picture, filled with b.
func jpegOf(n int, b byte) []byte {
	data := bytes.Repeat([]byte{b}, n)
	copy(data, "\xff\xd8\xff\xe0\x00\x10JFIF\x00")
	return data
}

// TestWeChatPhotoAfterReport follows pictures through the WeChat adapter
// and the production chain: a picture right after a report joins it
// (「照片已附到 #N」), in full or, when over the limit, as its thumbnail; a
// picture from someone with no recent report, or in another chat than the
// report's, is passed over in silence and not even downloaded.
func TestWeChatPhotoAfterReport(t *testing.T) {
	wx := wechattest.NewServer(t)
	head := wx.AddPerson(&wechattest.Person{Nick: "张站长", Attr: 301, Friend: true})
	wang := wx.AddPerson(&wechattest.Person{Nick: "王阿姨", Attr: 302, Friend: true})
	li := wx.AddPerson(&wechattest.Person{Nick: "李伯伯", Attr: 303})
	group := wx.AddGroup(&wechattest.Group{Name: conversationGroup,
		Members: []wechattest.Member{{Person: head}, {Person: wang}, {Person: li}}})
	st := conversationStore(t)
	in, stop := serveWeChat(t, wx, st)
	defer stop()

	served := 0
	say := func(p *wechattest.Person, text string) {
		t.Helper()
		wx.Say(group, p, text)
		served++
		in.wait(t, served, text)
	}
	private := func(p *wechattest.Person, text string) {
		t.Helper()
		wx.Private(p, text)
		served++
		in.wait(t, served, text)
	}
	// lastSent returns the newest message sent and where to.
	lastSent := func() wechattest.Sent {
		t.Helper()
		sent := wx.Sent()
		if len(sent) == 0 {
			t.Fatal("nothing sent")
		}
		return sent[len(sent)-1]
	}
	sentTo := func(to, want string) {
		t.Helper()
		if s := lastSent(); s.To != to || !strings.Contains(s.Content, want) {
			t.Fatalf("last sent %q to %s; want %q to %s", s.Content, s.To, want, to)
		}
	}
	// picture sends pic and waits for it to be served.
	picture := func(send func()) {
		t.Helper()
		send()
		served++
		in.wait(t, served, "a picture")
	}
	small := wechattest.Picture{Full: jpegOf(5000, 'a'), Thumb: jpegOf(200, 'b')}
	// unanswered sends a picture in the group from p, then chat from 李伯伯
	// to know it was read, and expects no reply to either.
	unanswered := func(p *wechattest.Person, what string) {
		t.Helper()
		before := len(wx.Sent())
		wx.SayPicture(group, p, small)
		say(li, "大家好")
		if n := len(wx.Sent()); n != before {
			t.Fatalf("%s: %d replies; want none", what, n-before)
		}
	}
	groupName, wangName := wx.GroupUserName(group), wx.PersonUserName(wang)

	say(head, "建站 阳光互助站")
	ids, err := st.StationIDs(context.Background())
	if err != nil || len(ids) != 1 {
		t.Fatalf("stations %v, %v; want one", ids, err)
	}
	station := ids[0]

	// Nobody reported anything: a picture in the group is chat.
	unanswered(li, "a picture with no report")
	if n := wx.PictureFetches(); n != 0 {
		t.Fatalf("a picture with no report was downloaded %d times", n)
	}

	say(wang, "报事 3幢楼道灯坏了")
	sentTo(groupName, "已登记报事 #1")
	picture(func() { wx.SayPicture(group, wang, small) })
	sentTo(groupName, "照片已附到 #1。")

	unanswered(li, "a neighbour's picture after 王阿姨's report")

	// An original over the limit joins as its thumbnail.
	big := wechattest.Picture{Full: jpegOf(wechat.MaxPhotoBytes+1, 'c'), Thumb: jpegOf(800, 'd')}
	picture(func() { wx.SayPicture(group, wang, big) })
	sentTo(groupName, "照片已附到 #1。")
	// One too big even as a thumbnail is not kept, and she is asked to
	// send it again rather than left without an answer.
	huge := wechattest.Picture{Full: jpegOf(wechat.MaxPhotoBytes+1, 'e'), Thumb: jpegOf(wechat.MaxPhotoBytes+1, 'f')}
	picture(func() { wx.SayPicture(group, wang, huge) })
	sentTo(groupName, "照片没收到，请再发一次")

	is, err := st.Issue(context.Background(), station, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(is.Photos) != 2 {
		t.Fatalf("#1 has photos %v; want two", is.Photos)
	}
	for i, want := range [][]byte{small.Full, big.Thumb} {
		name, ok := strings.CutPrefix(is.Photos[i], wechat.PhotoRefPrefix)
		got, err := st.WeChatPhoto(context.Background(), name)
		if !ok || err != nil || !bytes.Equal(got, want) {
			t.Errorf("photo %d (%s): %d bytes kept, %v; want the %d sent", i+1, is.Photos[i], len(got), err, len(want))
		}
		if len(got) > store.MaxWeChatPhotoBytes {
			t.Errorf("photo %d kept with %d bytes, over the limit", i+1, len(got))
		}
	}
	if n := wx.PictureFetches(); n != 5 {
		t.Errorf("%d downloads; want 5 (the picture, two originals and their thumbnails)", n)
	}
	say(head, "事项 1")
	sentTo(groupName, "照片2张")

	// A private report: a picture in the group does not join it (the reply
	// would tell the group who made it); a private one does.
	private(wang, "报事 楼上半夜装修")
	sentTo(wangName, "已登记报事 #2")
	unanswered(wang, "a picture in the group after a private report")
	picture(func() { wx.PrivatePicture(wang, small) })
	sentTo(wangName, "照片已附到 #2。")
}
