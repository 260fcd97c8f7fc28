package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	tgbot "github.com/go-telegram/bot"
)

// MaxPhotoBytes bounds a picture fetched from Telegram: the largest size
// Telegram offers of a phone photo is well under it.
const MaxPhotoBytes = 10 << 20

// errPhotoTooBig is a file larger than MaxPhotoBytes.
var errPhotoTooBig = errors.New("telegram: picture larger than 10 MB")

// filesClient fetches files; a picture that takes longer is given up.
var filesClient = &http.Client{Timeout: 30 * time.Second}

// Photo fetches the picture with the file id ref (an attachment's Ref, as
// a resident sent it with a report) from Telegram, which keeps it, so a
// page can show it.
func (t *Telegram) Photo(ctx context.Context, ref string) ([]byte, error) {
	f, err := t.api.GetFile(ctx, &tgbot.GetFileParams{FileID: ref})
	if err != nil {
		return nil, fmt.Errorf("telegram: find a picture: %w", err)
	}
	if f.FileSize > MaxPhotoBytes {
		return nil, errPhotoTooBig
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.api.FileDownloadLink(f), nil)
	if err != nil {
		return nil, err
	}
	resp, err := filesClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("telegram: fetch a picture: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("telegram: fetch a picture: %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxPhotoBytes+1))
	if err != nil {
		return nil, fmt.Errorf("telegram: fetch a picture: %w", err)
	}
	if len(b) > MaxPhotoBytes {
		return nil, errPhotoTooBig
	}
	return b, nil
}
