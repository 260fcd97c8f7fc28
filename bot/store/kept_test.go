package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

func TestKeptMessagesWaitInOrderAndAreDroppedOnceDelivered(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		buttons := [][]bot.Button{{{Label: "是", Data: "是"}}}
		for i, text := range []string{"未缴名单", "投票确认"} {
			out := bot.Outgoing{Chat: alice.PrivateChat(), Text: text, Mentions: []bot.User{alice}, Buttons: buttons}
			n, err := s.Keep(ctx, out)
			if err != nil || n != i+1 {
				t.Fatalf("Keep %q = %d, %v; want %d", text, n, err, i+1)
			}
		}
		if kept, err := s.Kept(ctx, bob); err != nil || len(kept) != 0 {
			t.Fatalf("Kept(bob) = %v, %v; want none: one person's messages are theirs alone", kept, err)
		}
		kept, err := s.Kept(ctx, alice)
		if err != nil || len(kept) != 2 {
			t.Fatalf("Kept(alice) = %v, %v", kept, err)
		}
		first := kept[0]
		if first.Text != "未缴名单" || first.Chat.Key() != alice.PrivateChat().Key() || first.Chat.Kind != bot.Private || len(first.Buttons) != 1 ||
			len(first.Mentions) != 1 || first.Mentions[0].Name != alice.Name || first.Fallback != nil {
			t.Errorf("kept[0] = %+v; want the private message as it was, with no group", first)
		}
		if err := s.DropKept(ctx, alice, 1); err != nil {
			t.Fatal(err)
		}
		if kept, _ := s.Kept(ctx, alice); len(kept) != 1 || kept[0].Text != "投票确认" {
			t.Errorf("after DropKept(1): %+v; want the second left", kept)
		}
		if ttl := b.Client.TTL(ctx, b.Prefix+store.KeyVersion+"kept:"+alice.Key()).Val(); ttl <= 0 {
			t.Errorf("kept list TTL = %v; want it to expire", ttl)
		}
	})
}

func TestKeptMessagesAreBounded(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		for i := range store.MaxKept + 5 {
			if _, err := s.Keep(ctx, bot.Outgoing{Chat: alice.PrivateChat(), Text: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		kept, err := s.Kept(ctx, alice)
		if err != nil || len(kept) != store.MaxKept || kept[0].Text != "5" {
			t.Fatalf("kept %d (first %q), %v; want the newest %d", len(kept), kept[0].Text, err, store.MaxKept)
		}
	})
}
