package handlers_test

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/metrics"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
	"github.com/huzhu-station/huzhu/handlers"
	"github.com/huzhu-station/huzhu/scheduler"
)

var (
	benchGroup = bot.Chat{Platform: "console", ID: "bench-group", Kind: bot.Group, Title: "测试群"}
	benchHead  = bot.User{Platform: "console", ID: "head", Name: "站长"}
	benchAlice = bot.User{Platform: "console", ID: "alice", Name: "Alice"}
	benchBob   = bot.User{Platform: "console", ID: "bob", Name: "Bob"}
)

// roundTrips counts the requests a go-redis client makes: each command
// sent on its own, and each pipeline or MULTI/EXEC, is one round trip.
type roundTrips struct{ n atomic.Int64 }

func (c *roundTrips) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return next(ctx, network, addr)
	}
}

func (c *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !metrics.Handshake(cmd) { // a connection the pool opens is not the command's
			c.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (c *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) == 0 || !metrics.Handshake(cmds[0]) {
			c.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

// harness drives the full handler chain the way a platform does, replies
// going through the outbox to a Sender that drops every reply.
type harness struct {
	tb      testing.TB
	handler bot.Handler
	courier *bot.Courier
	sender  bot.Sender
	store   *store.Store
	clock   *bot.FakeClock
	trips   *roundTrips
	seq     int64
	sent    *sentLog // what the bot sent, in order
}

// sentLog keeps what a harness's bot sent.
type sentLog struct {
	mu  sync.Mutex
	out []bot.Outgoing
}

// texts returns the texts sent so far and forgets them.
func (l *sentLog) texts() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, o := range l.out {
		out = append(out, o.Text)
	}
	l.out = nil
	return out
}

// newHarness wires an App on backend b and creates the station every
// command needs, so the figures measured are those of a station in use.
func newHarness(tb testing.TB, b storetest.Backend) *harness {
	tb.Helper()
	trips := &roundTrips{}
	b.Client.AddHook(trips)
	st := store.New(b.Client, store.WithKeyPrefix(b.Prefix))
	sent := &sentLog{}
	sender := bot.SenderFunc(func(_ context.Context, out bot.Outgoing) error {
		sent.mu.Lock()
		sent.out = append(sent.out, out)
		sent.mu.Unlock()
		return nil
	})
	clock := bot.NewFakeClock(time.Date(2026, 11, 25, 9, 0, 0, 0, calendar.Shanghai))
	deps := handlers.Deps{
		Store:     st,
		Sender:    sender,
		Clock:     clock,
		Scheduler: scheduler.New(b.Client, sender, clock, nil, scheduler.WithKeyPrefix(b.Prefix)),
		Log:       slog.New(slog.DiscardHandler),
		RateBurst: 1 << 30,
	}
	courier := &bot.Courier{Outbox: st, Sender: sender, Clock: clock, Log: deps.Log}
	h := &harness{tb: tb, handler: handlers.New(deps).Handler(deps), courier: courier, sender: sender, store: st, clock: clock, trips: trips, sent: sent}
	h.send(benchHead, "建站 测试站")
	rec, err := st.Chat(context.Background(), benchGroup.Key())
	if err != nil || rec.Station == 0 {
		tb.Fatalf("no station after 建站: %+v, %v", rec, err)
	}
	return h
}

// send serves one message from who in the group, with a new id.
func (h *harness) send(who bot.User, text string) {
	h.seq++
	m := &bot.Message{
		ID:     "m" + strconv.FormatInt(h.seq, 10),
		Chat:   benchGroup,
		Sender: who,
		Text:   text,
		Time:   h.clock.Now(),
	}
	ctx := bot.WithCourier(context.Background(), h.courier)
	if err := h.handler.ServeMessage(ctx, bot.NewResponder(h.sender, m), m); err != nil {
		h.tb.Fatalf("%s: %v", text, err)
	}
}

// station returns the id of the harness's station.
func (h *harness) station() int64 {
	rec, err := h.store.Chat(context.Background(), benchGroup.Key())
	if err != nil {
		h.tb.Fatal(err)
	}
	return rec.Station
}

// BenchmarkRouter measures messages served per second through the whole
// chain (dedupe, identify, rate limit, route, store) for a mix of the
// commands residents send most: one report, the list, a me-too and a detail
// view per iteration.
func BenchmarkRouter(b *testing.B) {
	run := func(b *testing.B, backend storetest.Backend) {
		h := newHarness(b, backend)
		const perIteration = 4
		var n int64
		start := h.trips.n.Load()
		for b.Loop() {
			n++
			ref := strconv.FormatInt(n, 10)
			h.send(benchAlice, "/report 3栋楼道漏水")
			h.send(benchAlice, "/issues")
			h.send(benchBob, "/metoo "+ref)
			h.send(benchBob, "/issue "+ref)
		}
		msgs := float64(n * perIteration)
		b.ReportMetric(msgs/b.Elapsed().Seconds(), "msgs/s")
		b.ReportMetric(float64(h.trips.n.Load()-start)/msgs, "roundtrips/msg")
	}
	b.Run("embedded", func(b *testing.B) { run(b, storetest.Redka(b)) })
	b.Run("redis", func(b *testing.B) {
		backend, ok := storetest.RealRedis(b)
		if !ok {
			b.Skip("no real Redis: set REDIS_URL or put redis-server on PATH")
		}
		run(b, backend)
	})
}

// maxReportRoundTrips bounds the Redis round trips one /report may take:
// ten today, the last of them the reply's removal from the outbox once sent
// (its lease given up in the same MULTI).
const maxReportRoundTrips = 10

// reportRoundTrips sends warm-up messages, so connections are open and the
// sender is a known member, then returns the round trips of each of n
// reports.
func reportRoundTrips(tb testing.TB, b storetest.Backend, n int) []int64 {
	h := newHarness(tb, b)
	h.send(benchAlice, "/report 热身")
	counts := make([]int64, n)
	for i := range counts {
		before := h.trips.n.Load()
		h.send(benchAlice, "/report 3栋楼道漏水")
		counts[i] = h.trips.n.Load() - before
	}
	if _, err := h.store.Issue(context.Background(), h.station(), int64(n+1)); err != nil {
		tb.Fatalf("report #%d was not filed: %v", n+1, err)
	}
	return counts
}

// TestReportRoundTrips keeps /report cheap on a remote Redis, where every
// round trip is network latency a resident waits for.
func TestReportRoundTrips(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		for i, c := range reportRoundTrips(t, b, 3) {
			t.Logf("/report #%d took %d Redis round trips on %s", i+2, c, b.Name)
			if c > maxReportRoundTrips {
				t.Errorf("/report took %d round trips; want at most %d", c, maxReportRoundTrips)
			}
		}
	})
}

// BenchmarkReportRoundTrips reports the round trips per /report as a
// benchmark metric, to be compared across changes with benchstat.
func BenchmarkReportRoundTrips(b *testing.B) {
	backend := storetest.Redka(b)
	h := newHarness(b, backend)
	h.send(benchAlice, "/report 热身")
	start, ops := h.trips.n.Load(), 0
	for b.Loop() {
		h.send(benchAlice, "/report 3栋楼道漏水")
		ops++
	}
	b.ReportMetric(float64(h.trips.n.Load()-start)/float64(ops), "roundtrips/op")
}

// mixRoundTrips bounds the Redis round trips of each command of the mix
// residents send most (see huzhu bench mix), served through the outbox: the
// claim with the sender's identity, the command's reads under its lease, the
// served mark with the command's last write and the replies, and the
// replies' removal once sent. A command that needs more has grown a round
// trip its writes do not need.
var mixRoundTrips = []struct {
	text string
	max  int64
}{
	{"帮助", 3},   // a private answer and its line in the group, removed together
	{"事项 1", 3}, // the card, read with the claim
	{"同问 1", 4},
	{"投 票1 A", 4},
	{"认捐 300", 5},       // the open campaign read first, as nothing here has guessed it yet
	{"报事 3幢楼道灯坏了", 4},   // the number, then the problem and its reminders with the mark
	{"报名 班1 11月27日", 5}, // the first on the occurrence: its reminders are read under the lease
	{"报名 班2 11月27日", 5},
}

// TestMixRoundTrips keeps the commands residents send most cheap on a
// remote Redis. It counts as huzhu's metrics do, leaving out the handshake
// of a connection the pool opens.
func TestMixRoundTrips(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		h := newHarness(t, b)
		b.Client.AddHook(metrics.New(nil).RedisHook())
		for _, l := range []string{"建队 督导队", "众筹 新建 安全门 目标 100000 每户 300 截止 2027-01-31",
			"投票 选哪种款式 | 不锈钢 | 铝合金", "排班 新增 督导队 每天 06:00-08:00 1号垃圾点 5人",
			"排班 新增 督导队 每天 08:00-10:00 2号垃圾点 5人", "报事 1幢楼道灯坏了"} {
			h.send(benchHead, l)
		}
		h.send(benchBob, "登记 1幢1单元101")
		h.send(benchBob, "入队 督导队")
		h.send(benchBob, "报名 班2 11月27日") // someone on shift 2 already
		h.send(benchAlice, "登记 2幢1单元101")
		h.send(benchAlice, "入队 督导队")
		for _, c := range mixRoundTrips {
			var trips atomic.Int64
			h.seq++
			m := &bot.Message{ID: "m" + strconv.FormatInt(h.seq, 10), Chat: benchGroup, Sender: benchAlice,
				Text: c.text, Time: h.clock.Now()}
			ctx := metrics.CountRoundTrips(bot.WithCourier(context.Background(), h.courier), &trips)
			if err := h.handler.ServeMessage(ctx, bot.NewResponder(h.sender, m), m); err != nil {
				t.Fatalf("%s: %v", c.text, err)
			}
			t.Logf("%s: %d round trips", c.text, trips.Load())
			if trips.Load() > c.max {
				t.Errorf("%s took %d round trips; want at most %d", c.text, trips.Load(), c.max)
			}
		}
	})
}
