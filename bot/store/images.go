package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/huzhu-station/huzhu/bot"
)

// Pictures messages carry (bot.Images): charts drawn for the monthly report
// and for 统计 and 众筹 N. A reply waits in the outbox, or is kept for a
// person who cannot be reached privately yet, with only the picture's
// name; the bytes are kept here under it for ImageTTL, after which a
// message still waiting goes out as its text alone.

var _ bot.Images = (*Store)(nil)

// ImageTTL is how long a picture is kept for the messages that name it.
const ImageTTL = 30 * 24 * time.Hour

// MaxImageBytes bounds one picture.
const MaxImageBytes = 2 << 20

// SaveImage keeps png and returns its name, its content's hash: the same
// chart saved twice is kept once, and its time is renewed.
func (s *Store) SaveImage(ctx context.Context, png []byte) (string, error) {
	if len(png) > MaxImageBytes {
		return "", fmt.Errorf("image of %d bytes, more than %d", len(png), MaxImageBytes)
	}
	sum := sha256.Sum256(png)
	name := hex.EncodeToString(sum[:16])
	return name, s.rdb.Set(ctx, s.k.image(name), png, ImageTTL).Err()
}

// Image returns the picture kept under name, ErrNotFound once it expired.
func (s *Store) Image(ctx context.Context, name string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.k.image(name)).Bytes()
	return b, notFound(err, "image "+name)
}
