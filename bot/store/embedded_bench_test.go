package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/huzhu-station/huzhu/bot/store"
)

// BenchmarkEmbeddedListIssues reads the first page of /issues from the
// embedded store holding 100 and 10,000 open problems: the page must cost
// the same however long the list grows.
//
//	go test ./bot/store -run '^$' -bench EmbeddedListIssues -benchtime 2000x
func BenchmarkEmbeddedListIssues(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("issues=%d", n), func(b *testing.B) {
			ctx := context.Background()
			e, err := store.StartEmbedded(filepath.Join(shortDir(b), "data"), nil)
			if err != nil {
				b.Fatal(err)
			}
			c := store.NewEmbeddedClient(e.SocketPath())
			b.Cleanup(func() {
				_ = c.Close()
				_ = e.Close()
			})
			s := store.New(c)
			if err := store.SeedIssues(ctx, s, 1, n, t0); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				list, total, err := s.ListIssuesPage(ctx, 1, store.FilterOpen, "", 0, 10)
				if err != nil || len(list) != 10 || total != int64(n) {
					b.Fatalf("ListIssuesPage: %d problems of %d, %v; want 10 of %d", len(list), total, err, n)
				}
			}
		})
	}
}
