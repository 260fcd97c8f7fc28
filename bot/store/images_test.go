package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// TestImages keeps a picture by its hash, once however often it is saved,
// and refuses one too large.
func TestImages(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		png := []byte("\x89PNG\r\n\x1a\nchart")
		name, err := s.SaveImage(ctx, png)
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.SaveImage(ctx, png)
		if err != nil || again != name || len(name) != 32 {
			t.Errorf("names %q and %q (%v)", name, again, err)
		}
		got, err := s.Image(ctx, name)
		if err != nil || string(got) != string(png) {
			t.Errorf("Image = %q, %v", got, err)
		}
		if _, err := s.Image(ctx, "0123"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing image: %v", err)
		}
		if _, err := s.SaveImage(ctx, make([]byte, store.MaxImageBytes+1)); err == nil {
			t.Error("a picture over MaxImageBytes was kept")
		}
	})
}
