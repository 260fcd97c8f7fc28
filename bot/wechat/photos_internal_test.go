package wechat

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func pictureResponse(status int, length int64, body []byte) *http.Response {
	return &http.Response{StatusCode: status, Status: http.StatusText(status), ContentLength: length,
		Body: io.NopCloser(bytes.NewReader(body))}
}

func TestReadPicture(t *testing.T) {
	jpeg := func(n int) []byte {
		b := make([]byte, n)
		copy(b, "\xff\xd8\xff\xe0\x00\x10JFIF\x00")
		return b
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 40)...)
	for _, tc := range []struct {
		name   string
		resp   *http.Response
		want   int // bytes read; -1 for an error
		tooBig bool
	}{
		{"jpeg", pictureResponse(200, 5000, jpeg(5000)), 5000, false},
		{"png, length unknown", pictureResponse(200, -1, png), len(png), false},
		{"at the limit", pictureResponse(200, MaxPhotoBytes, jpeg(MaxPhotoBytes)), MaxPhotoBytes, false},
		{"declared over the limit", pictureResponse(200, MaxPhotoBytes+1, jpeg(10)), -1, true},
		{"over the limit, length unknown", pictureResponse(200, -1, jpeg(MaxPhotoBytes+1)), -1, true},
		{"not found", pictureResponse(404, 3, []byte("nope")), -1, false},
		{"empty", pictureResponse(200, 0, nil), -1, false},
		{"an error page, not a picture", pictureResponse(200, -1, []byte("<html>login expired</html>")), -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := readPicture(tc.resp)
			switch {
			case tc.want < 0 && err == nil:
				t.Fatalf("readPicture = %d bytes; want an error", len(data))
			case tc.want >= 0 && (err != nil || len(data) != tc.want):
				t.Fatalf("readPicture = %d bytes, %v; want %d", len(data), err, tc.want)
			}
			if got := errors.Is(err, errPhotoTooBig); got != tc.tooBig {
				t.Errorf("err = %v; too big %v, want %v", err, got, tc.tooBig)
			}
		})
	}
}

// FuzzReadPicture: whatever WeChat answers, readPicture returns an image of
// at most MaxPhotoBytes, or an error.
func FuzzReadPicture(f *testing.F) {
	f.Add(200, int64(-1), []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"))
	f.Add(200, int64(12), []byte("GIF89a"))
	f.Add(302, int64(0), []byte(""))
	f.Add(200, int64(-1), []byte("<html>"))
	f.Fuzz(func(t *testing.T, status int, length int64, body []byte) {
		data, err := readPicture(pictureResponse(status, length, body))
		if err != nil {
			return
		}
		if len(data) == 0 || len(data) > MaxPhotoBytes || !bytes.Equal(data, body) ||
			!strings.HasPrefix(http.DetectContentType(data), "image/") || status != http.StatusOK {
			t.Fatalf("readPicture(%d, %d, %q) = %d bytes, no error", status, length, body, len(data))
		}
	})
}
