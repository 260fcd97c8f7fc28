package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
)

// Photos sent after a report. A photo sent on its own right after a report,
// by its reporter and in the chat it was made in, joins it (see
// AttachPhotoToLastReport). The problem keeps each photo's platform handle:
// a Telegram file id, which Telegram keeps for good; for WeChat, which
// keeps a picture only for a while and only for the login that saw it, the
// name of the picture's bytes kept here (SaveWeChatPhoto).

// MaxReportPhotos bounds the photos one problem takes, so a stream of
// pictures after a report is not all kept.
const MaxReportPhotos = 9

// MaxWeChatPhotoBytes bounds one kept WeChat picture.
const MaxWeChatPhotoBytes = 1 << 20

// takesPhoto reports whether problem is was reported in reportChat and takes
// one more photo.
func takesPhoto(is *Issue, reportChat string) bool {
	return is.ReportChat == reportChat && len(is.Photos) < MaxReportPhotos
}

// AwaitsPhoto reports whether a photo user sends in chat now would join a
// problem (see AttachPhotoToLastReport), so a platform that must download a
// picture before passing it on downloads only the ones that are wanted. It
// reads what the attaching reads; a photo it lets through may still find
// the report's window just closed, and is then ignored.
func (s *Store) AwaitsPhoto(ctx context.Context, chat bot.Chat, user bot.User) (bool, error) {
	id, err := s.Identify(ctx, chat, user)
	if err != nil || id.Station == nil {
		return false, err
	}
	st := id.Station.ID
	v, err := s.rdb.Get(ctx, s.k.lastReport(st, user.Key())).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil // no recent report
	}
	if err != nil {
		return false, err
	}
	is, err := s.Issue(ctx, st, atoi(v))
	if err != nil {
		return false, err
	}
	reportChat := chat.Key()
	if chat.Kind == bot.Private {
		reportChat = ""
	}
	return takesPhoto(is, reportChat), nil
}

// SaveWeChatPhoto keeps the bytes of a WeChat picture under name (package
// wechat names a picture by its content's hash, so a picture delivered twice
// is kept once). Pictures are kept as long as the problems that name them;
// each is at most MaxWeChatPhotoBytes.
func (s *Store) SaveWeChatPhoto(ctx context.Context, name string, data []byte) error {
	if len(data) > MaxWeChatPhotoBytes {
		return fmt.Errorf("wechat photo %s: %d bytes, more than %d", name, len(data), MaxWeChatPhotoBytes)
	}
	return s.rdb.Set(ctx, s.k.wxPhoto(name), data, 0).Err()
}

// WeChatPhoto returns the bytes of the WeChat picture kept under name.
func (s *Store) WeChatPhoto(ctx context.Context, name string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.k.wxPhoto(name)).Bytes()
	return b, notFound(err, "wechat photo "+name)
}
