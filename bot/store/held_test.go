package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

var (
	dave = bot.User{Platform: "console", ID: "dave", Name: "Dave"}
	erin = bot.User{Platform: "console", ID: "erin", Name: "Erin"}
)

// TestHeldWrites: a command's last write, held while its message is served,
// is made with the served mark; anything the command sends to the store
// after it sees it; a failed command makes it as it would have been made;
// a mark that cannot be written takes the write with it.
func TestHeldWrites(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		s := newStore(b)
		st := mustStation(t, s, "幸福里", group1)
		is := mustReport(t, s, st.ID, alice, "3幢楼道灯坏了")
		chat := group1.Key()
		supporters := func() int64 {
			t.Helper()
			got, err := s.Issue(context.Background(), st.ID, is.N)
			if err != nil {
				t.Fatal(err)
			}
			return got.Supporters
		}

		t.Run("made with the mark", func(t *testing.T) {
			ctx := s.HoldWrites(context.Background())
			token, err := s.ClaimMessage(ctx, chat+":h1")
			if err != nil {
				t.Fatal(err)
			}
			if _, added, err := s.AddSupporter(ctx, st.ID, is.N, bob, t0); err != nil || !added {
				t.Fatalf("AddSupporter = %v, %v", added, err)
			}
			if n := supporters(); n != 0 {
				t.Errorf("before the mark, read elsewhere: %d supporters; want the write held", n)
			}
			if _, _, err := s.FinishServed(ctx, chat+":h1", token, chat, []bot.KeptReply{{Out: groupNotice}}); err != nil {
				t.Fatal(err)
			}
			if n := supporters(); n != 1 {
				t.Errorf("after the mark: %d supporters; want 1", n)
			}
			// The problem's lease went with the write: the next change
			// does not wait for it.
			if _, err := s.ChangeIssue(context.Background(), st.ID, is.N, t0, neutral); err != nil {
				t.Errorf("ChangeIssue after the held write: %v", err)
			}
		})

		t.Run("seen by what follows", func(t *testing.T) {
			ctx := s.HoldWrites(context.Background())
			if _, _, err := s.AddSupporter(ctx, st.ID, is.N, carol, t0); err != nil {
				t.Fatal(err)
			}
			got, err := s.Issue(ctx, st.ID, is.N)
			if err != nil || got.Supporters != 2 {
				t.Errorf("read under the same context: %+v, %v; want 2 supporters", got, err)
			}
		})

		t.Run("made for a failed command", func(t *testing.T) {
			ctx := s.HoldWrites(context.Background())
			if _, _, err := s.AddSupporter(ctx, st.ID, is.N, dave, t0); err != nil {
				t.Fatal(err)
			}
			if err := s.MakeHeldWrites(ctx); err != nil {
				t.Fatal(err)
			}
			if n := supporters(); n != 3 {
				t.Errorf("after MakeHeldWrites: %d supporters; want 3", n)
			}
		})

		t.Run("lost with the mark", func(t *testing.T) {
			ctx := s.HoldWrites(context.Background())
			token, err := s.ClaimMessage(ctx, chat+":h2")
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.AddSupporter(ctx, st.ID, is.N, erin, t0); err != nil {
				t.Fatal(err)
			}
			fail := &storetest.FailWrites{Key: ":h2", MultiOnly: true}
			fail.On.Store(true)
			b.Client.AddHook(fail)
			_, _, err = s.FinishServed(ctx, chat+":h2", token, chat, []bot.KeptReply{{Out: groupNotice}})
			if !errors.Is(err, bot.ErrNotSaved) {
				t.Fatalf("FinishServed whose MULTI failed: err = %v; want ErrNotSaved", err)
			}
			if n := supporters(); n != 3 {
				t.Errorf("after a failed mark: %d supporters; want 3 (the held write not made)", n)
			}
			if _, err := s.ChangeIssue(context.Background(), st.ID, is.N, t0, neutral); err != nil {
				t.Errorf("ChangeIssue after the failed write: %v; want the lease given up", err)
			}
		})
	})
}
