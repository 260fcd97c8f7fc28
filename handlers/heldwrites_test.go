package handlers_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// TestSignupAfterTheSlotMoved: a sign-up is worked out with the slot as this
// instance last read it; when another instance has moved the slot since,
// the slot read under the lease tells, and the sign-up is worked out again
// with the slot as it is.
func TestSignupAfterTheSlotMoved(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		h := newHarness(t, b)
		h.send(benchHead, "建队 督导队")
		h.send(benchHead, "排班 新增 督导队 每天 06:00-08:00 1号垃圾点 5人")
		for i, who := range []string{"bob", "alice"} {
			u := benchBob
			if who == "alice" {
				u = benchAlice
			}
			h.send(u, "登记 1幢1单元10"+string(rune('1'+i)))
			h.send(u, "入队 督导队")
		}
		h.send(benchBob, "报名 班1 11月27日") // this instance now knows the slot
		h.sent.texts()

		other := store.New(b.Client, store.WithKeyPrefix(b.Prefix)) // another instance
		if _, err := other.MoveShift(context.Background(), h.station(), 1, "0 7 * * *", 2*time.Hour, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		h.send(benchAlice, "报名 班1 11月27日")
		got := strings.Join(h.sent.texts(), "\n")
		if !strings.Contains(got, "07:00-09:00") || strings.Contains(got, "06:00-08:00") {
			t.Errorf("sign-up after the slot moved to 07:00 answered:\n%s", got)
		}
	})
}

// TestHeldSignupNotInTeam: a volunteer outside the slot's team is told to
// join it, and nothing is written.
func TestHeldSignupNotInTeam(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		h := newHarness(t, b)
		h.send(benchHead, "建队 督导队")
		h.send(benchHead, "排班 新增 督导队 每天 06:00-08:00 1号垃圾点 5人")
		h.send(benchAlice, "登记 1幢1单元101")
		h.sent.texts()
		h.send(benchAlice, "报名 班1 11月27日")
		got := strings.Join(h.sent.texts(), "\n")
		if !strings.Contains(got, "督导队") {
			t.Errorf("sign-up outside the team answered:\n%s", got)
		}
		o, err := h.store.Occurrence(context.Background(), h.station(), 1, "20261127")
		if err != nil || len(o.On) != 0 {
			t.Errorf("occurrence after a refused sign-up: %+v, %v; want nobody on it", o, err)
		}
	})
}

// TestMarkLostTakesTheChange: when the write that saves a me-too with its
// served mark fails (the store gone in the middle), the person is told the
// system is busy, not that it was recorded, nothing is recorded, and the
// message redelivered is served whole.
func TestMarkLostTakesTheChange(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		h := newHarness(t, b)
		h.send(benchAlice, "报事 3幢楼道灯坏了")
		fail := &storetest.FailWrites{Key: ":seen:", MultiOnly: true}
		b.Client.AddHook(fail)
		h.sent.texts()

		fail.On.Store(true)
		m := &bot.Message{ID: "lost-1", Chat: benchGroup, Sender: benchBob, Text: "同问 1", Time: h.clock.Now()}
		err := h.handler.ServeMessage(bot.WithCourier(context.Background(), h.courier), bot.NewResponder(h.sender, m), m)
		if !errors.Is(err, bot.ErrNotSaved) {
			t.Errorf("serve with the mark failing: err = %v; want ErrNotSaved", err)
		}
		got := strings.Join(h.sent.texts(), "\n")
		if !strings.Contains(got, "系统忙") || strings.Contains(got, "同问") {
			t.Errorf("told, with the mark failing:\n%s\nwant the busy answer alone", got)
		}
		supporters := func() int64 {
			is, err := h.store.Issue(context.Background(), h.station(), 1)
			if err != nil {
				t.Fatal(err)
			}
			return is.Supporters
		}
		if n := supporters(); n != 0 {
			t.Errorf("supporters after the failed write: %d; want 0", n)
		}

		fail.On.Store(false)
		if err := h.handler.ServeMessage(bot.WithCourier(context.Background(), h.courier), bot.NewResponder(h.sender, m), m); err != nil {
			t.Fatalf("redelivered: %v", err)
		}
		if n := supporters(); n != 1 {
			t.Errorf("supporters after the redelivery: %d; want 1", n)
		}
	})
}
