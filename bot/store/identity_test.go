package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/metrics"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// TestIdentifyAhead: the identity read with the message's claim is the one
// Identify reads on its own, in no round trip of its own once the station
// is known, and a group bound to another station since (by any instance)
// is seen at once.
func TestIdentifyAhead(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		m := metrics.New(nil)
		b.Client.AddHook(m.RedisHook())
		s := newStore(b)
		st1 := mustStation(t, s, "幸福里", group1)
		st2 := mustStation(t, s, "和平里", group2)
		identify := func(msg string) (*store.Identity, int64) {
			t.Helper()
			var trips atomic.Int64
			ctx := metrics.CountRoundTrips(store.WithIdentity(ctx, group1, alice), &trips)
			if _, err := s.ClaimMessage(ctx, group1.Key()+":"+msg); err != nil {
				t.Fatal(err)
			}
			id, err := s.Identify(ctx, group1, alice)
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.Identify(context.Background(), group1, alice)
			if err != nil {
				t.Fatal(err)
			}
			if id.Station == nil || want.Station == nil || id.Station.ID != want.Station.ID || id.Chat.Station != want.Chat.Station {
				t.Fatalf("identified ahead as %+v; on its own as %+v", id.Station, want.Station)
			}
			return id, trips.Load()
		}
		if id, _ := identify("m1"); id.Station.ID != st1.ID {
			t.Fatalf("station %d; want %d", id.Station.ID, st1.ID)
		}
		if id, trips := identify("m2"); id.Station.ID != st1.ID || trips != 1 {
			t.Errorf("station %d in %d round trips; want %d in 1", id.Station.ID, trips, st1.ID)
		}
		// Another instance binds the group elsewhere.
		other := newStore(b)
		if err := b.Client.HSet(ctx, b.Prefix+store.KeyVersion+"chat:"+group1.Key(), "station", st2.ID).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := other.Identify(ctx, group1, alice); err != nil {
			t.Fatal(err)
		}
		if id, trips := identify("m3"); id.Station.ID != st2.ID || trips != 2 {
			t.Errorf("after the move: station %d in %d round trips; want %d in 2", id.Station.ID, trips, st2.ID)
		}
		if id, trips := identify("m4"); id.Station.ID != st2.ID || trips != 1 {
			t.Errorf("then: station %d in %d round trips; want %d in 1", id.Station.ID, trips, st2.ID)
		}
	})
}

// TestCardAhead: a problem's card read with the message's claim is the one
// IssueCard reads on its own, in no round trip of its own when the station
// was guessed right; asked for another problem or station, IssueCard reads
// afresh, and a card read ahead is used once.
func TestCardAhead(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		m := metrics.New(nil)
		b.Client.AddHook(m.RedisHook())
		s := newStore(b)
		st := mustStation(t, s, "幸福里", group1)
		for _, text := range []string{"路灯坏了", "楼道堆物"} {
			if _, err := s.ReportIssue(ctx, st.ID, store.NewIssue{Reporter: alice, Text: text, Category: "other"}, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		// The first message teaches the store the group's station.
		if _, err := s.ClaimMessage(store.WithIdentity(ctx, group1, alice), group1.Key()+":m0"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Identify(ctx, group1, alice); err != nil {
			t.Fatal(err)
		}
		card := func(msg string, ahead, asked, station int64) (string, int64) {
			t.Helper()
			var trips atomic.Int64
			ctx := metrics.CountRoundTrips(store.WithCardAhead(store.WithIdentity(ctx, group1, alice), ahead), &trips)
			if _, err := s.ClaimMessage(ctx, group1.Key()+":"+msg); err != nil {
				t.Fatal(err)
			}
			before := trips.Load()
			is, _, _, err := s.IssueCard(ctx, station, asked)
			if errors.Is(err, store.ErrNotFound) {
				return "", trips.Load() - before
			}
			if err != nil {
				t.Fatal(err)
			}
			again, _, _, err := s.IssueCard(ctx, station, asked)
			if err != nil || again.Text != is.Text {
				t.Fatalf("card read again: %v, %+v; want %q", err, again, is.Text)
			}
			return is.Text, trips.Load() - before - 1
		}
		if text, trips := card("m1", 2, 2, st.ID); text != "楼道堆物" || trips != 0 {
			t.Errorf("read ahead: %q in %d round trips; want 楼道堆物 in 0", text, trips)
		}
		if text, trips := card("m2", 2, 1, st.ID); text != "路灯坏了" || trips != 1 {
			t.Errorf("another problem asked: %q in %d round trips; want 路灯坏了 in 1", text, trips)
		}
		if text, trips := card("m3", 2, 2, st.ID+1); text != "" || trips != 1 {
			t.Errorf("another station asked: %q in %d round trips; want not found in 1", text, trips)
		}
		if text, trips := card("m4", 9, 9, st.ID); text != "" || trips != 0 {
			t.Errorf("a problem that is not there, read ahead: %q in %d round trips; want not found in 0", text, trips)
		}
	})
}

// saddRecorder counts the SADDs sent through a client to keys ending in
// suffix, alone or in pipelines.
type saddRecorder struct {
	suffix string
	n      atomic.Int64
}

func (r *saddRecorder) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *saddRecorder) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.count(cmd)
		return next(ctx, cmd)
	}
}
func (r *saddRecorder) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			r.count(c)
		}
		return next(ctx, cmds)
	}
}

func (r *saddRecorder) count(cmd redis.Cmder) {
	if args := cmd.Args(); cmd.Name() == "sadd" && len(args) > 1 && strings.HasSuffix(fmt.Sprint(args[1]), r.suffix) {
		r.n.Add(1)
	}
}

// TestCountedAhead: a member the station has met is counted among its
// people once a month: the add is left out once their record says they
// were counted that month, and is made again in another month. Someone the
// station has no record of is added every time, and no record is made for
// them. The month's people are counted right throughout.
func TestCountedAhead(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newStore(b)
		st := mustStation(t, s, "幸福里", group1)
		now := time.Now()
		for _, u := range []bot.User{alice, bob} {
			if err := s.Touch(ctx, st.ID, u, now); err != nil {
				t.Fatal(err)
			}
		}
		month := now.In(calendar.Shanghai).Format("200601")
		adds := &saddRecorder{suffix: ":stats:" + month + ":people"}
		b.Client.AddHook(adds)
		report := func(msg string, who bot.User, at time.Time) int64 {
			t.Helper()
			ctx := store.WithIdentity(ctx, group1, who)
			if _, err := s.ClaimMessage(ctx, group1.Key()+":"+msg); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Identify(ctx, group1, who); err != nil {
				t.Fatal(err)
			}
			before := adds.n.Load()
			if _, err := s.ReportIssue(ctx, st.ID, store.NewIssue{Reporter: who, Text: "路灯坏了", Category: "other"}, at); err != nil {
				t.Fatal(err)
			}
			return adds.n.Load() - before
		}
		people := func(at time.Time) int64 {
			t.Helper()
			m, err := s.MonthStats(ctx, st.ID, at)
			if err != nil {
				t.Fatal(err)
			}
			return m.People
		}
		for _, c := range []struct {
			msg    string
			who    bot.User
			at     time.Time
			adds   int64
			people int64
		}{
			{"m1", alice, now, 1, 1},                   // not counted yet
			{"m2", alice, now, 0, 1},                   // counted this month
			{"m3", bob, now, 1, 2},                     // someone else
			{"m4", bob, now, 0, 2},                     // counted
			{"m5", alice, now.AddDate(0, -2, 0), 0, 2}, // another month: added there
			{"m6", carol, now, 1, 3},                   // no record in the station
			{"m7", carol, now, 1, 3},                   // still none: added again
		} {
			if got := report(c.msg, c.who, c.at); got != c.adds {
				t.Errorf("%s by %s: %d adds to this month's people; want %d", c.msg, c.who.ID, got, c.adds)
			}
			if got := people(now); got != c.people {
				t.Errorf("after %s: %d people this month; want %d", c.msg, got, c.people)
			}
		}
		if got := people(now.AddDate(0, -2, 0)); got != 1 {
			t.Errorf("%d people two months ago; want 1 (alice)", got)
		}
		record := func(u bot.User) int64 {
			key := b.Prefix + store.KeyVersion + fmt.Sprintf("{st:%d}:member:%s", st.ID, u.Key())
			n, err := b.Client.Exists(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if record(alice) != 1 || record(carol) != 0 {
			t.Errorf("records: alice %d, carol %d; want 1 and 0 (none made for someone the station has none of)", record(alice), record(carol))
		}
	})
}
