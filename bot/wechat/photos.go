package wechat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/huzhu-station/huzhu/bot"
)

// Photos decides which pictures are fetched from WeChat and keeps them.
// *store.Store implements it.
//
// Web WeChat hands out a picture only for a while and only to the login
// that received it, so unlike a Telegram file id its handle cannot be kept:
// the picture itself is. Downloading is the costly part, so a picture is
// fetched only when AwaitsPhoto says it would join a report (its sender
// reported a problem a moment ago in the same chat); any other picture in a
// group costs a few reads of the store and is dropped, like ordinary chat.
type Photos interface {
	// AwaitsPhoto reports whether a photo sender sends in chat now would
	// join a problem.
	AwaitsPhoto(ctx context.Context, chat bot.Chat, sender bot.User) (bool, error)
	// SaveWeChatPhoto keeps a picture's bytes under name, the hex SHA-256 of
	// the bytes.
	SaveWeChatPhoto(ctx context.Context, name string, data []byte) error
}

// PhotoRefPrefix starts the bot.Attachment Ref of a kept WeChat picture;
// the rest is the name it is kept under (see Photos).
const PhotoRefPrefix = "wechat-photo:"

// MaxPhotoBytes bounds a kept picture. A larger one (a photo sent as
// 原图, the original) is kept as WeChat's thumbnail of it instead; when even
// that is larger, the picture is not kept.
const MaxPhotoBytes = 1 << 20

// photoTimeout bounds fetching one picture. Pictures are fetched on
// openwechat's message loop, which must not stall for long.
const photoTimeout = 20 * time.Second

// errPhotoTooBig is a picture over MaxPhotoBytes.
var errPhotoTooBig = errors.New("picture larger than the limit")

// picture fills in m, the message a picture came in, with the picture as an
// attachment, and returns nil when it is not wanted. A wanted picture that
// cannot be fetched or kept comes as an attachment with no Ref, so its
// sender is asked to send it again. It runs on openwechat's message loop.
func (p *Platform) picture(ctx context.Context, msg *openwechat.Message, m *bot.Message) *bot.Message {
	if p.opts.Photos == nil {
		return nil
	}
	wanted, err := p.opts.Photos.AwaitsPhoto(ctx, m.Chat, m.Sender)
	if err != nil {
		p.log.Warn("wechat: cannot tell whether a picture is wanted; ignored", "chat", m.Chat.Key(), "err", err)
		return nil
	}
	if !wanted {
		p.log.Debug("wechat: picture not after a report, ignored", "chat", m.Chat.Key())
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, photoTimeout)
	defer cancel()
	data, err := fetchPicture(ctx, msg, "")
	if errors.Is(err, errPhotoTooBig) {
		p.log.Info("wechat: picture over the limit; keeping its thumbnail", "chat", m.Chat.Key(), "max", MaxPhotoBytes)
		data, err = fetchPicture(ctx, msg, "slave")
	}
	if errors.Is(err, errPhotoTooBig) {
		p.log.Warn("wechat: picture and its thumbnail over the limit; asking for it again", "chat", m.Chat.Key(), "max", MaxPhotoBytes)
		return notKept(m)
	}
	if err != nil {
		p.log.Error("wechat: picture not fetched; asking for it again", "chat", m.Chat.Key(), "err", redact(err))
		return notKept(m)
	}
	sum := sha256.Sum256(data)
	name := hex.EncodeToString(sum[:])
	if err := p.opts.Photos.SaveWeChatPhoto(ctx, name, data); err != nil {
		p.log.Error("wechat: picture not kept; asking for it again", "chat", m.Chat.Key(), "err", err)
		return notKept(m)
	}
	m.Text = ""
	m.Attachments = []bot.Attachment{{Kind: bot.AttachmentPhoto, Ref: PhotoRefPrefix + name}}
	return m
}

// notKept makes m a photo that was sent and awaited but not kept: an
// attachment with no Ref (see bot.Attachment).
func notKept(m *bot.Message) *bot.Message {
	m.Text = ""
	m.Attachments = []bot.Attachment{{Kind: bot.AttachmentPhoto}}
	return m
}

// fetchPicture downloads the picture of msg with the login that received
// it: the full picture, or with kind "slave" its thumbnail. It reads at
// most MaxPhotoBytes and fails with errPhotoTooBig beyond that.
func fetchPicture(ctx context.Context, msg *openwechat.Message, kind string) ([]byte, error) {
	b := msg.Bot()
	if b == nil || b.Storage == nil || b.Storage.LoginInfo == nil {
		return nil, errors.New("wechat: picture from no login")
	}
	// openwechat's Message.GetPicture asks for the full picture only, and
	// without a deadline of ours.
	q := url.Values{"MsgID": {msg.MsgId}, "skey": {b.Storage.LoginInfo.SKey}}
	if kind != "" {
		q.Set("type", kind)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		b.Caller.Client.Domain.BaseHost()+"/cgi-bin/mmwebwx-bin/webwxgetmsgimg?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := b.Caller.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	return readPicture(resp)
}

// readPicture reads a picture from resp: an image, at most MaxPhotoBytes.
func readPicture(resp *http.Response) ([]byte, error) {
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("wechat: picture: %s", resp.Status)
	}
	if resp.ContentLength > MaxPhotoBytes {
		return nil, fmt.Errorf("%w: %d bytes", errPhotoTooBig, resp.ContentLength)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxPhotoBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxPhotoBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", errPhotoTooBig, MaxPhotoBytes)
	}
	if len(data) == 0 || !strings.HasPrefix(http.DetectContentType(data), "image/") {
		return nil, fmt.Errorf("wechat: picture: not an image (%d bytes, %s)", len(data), http.DetectContentType(data))
	}
	return data, nil
}
