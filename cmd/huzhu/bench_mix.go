package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/console"
	"github.com/huzhu-station/huzhu/bot/metrics"
	"github.com/huzhu-station/huzhu/bot/store"
)

// mixOptions are the flags of `huzhu bench mix`.
type mixOptions struct {
	stations, residents, concurrency, messages int
	duration                                   time.Duration
	trace                                      bool
	floor                                      bool // serve bench_floor.go's messages instead of the mix
	floorCommands                              int  // commands of a floor message, at least floorCommands
	cpuProfile                                 string
	memProfile                                 string
}

func (o *mixOptions) flags(fs interface {
	IntVar(*int, string, int, string)
	DurationVar(*time.Duration, string, time.Duration, string)
	BoolVar(*bool, string, bool, string)
	StringVar(*string, string, string, string)
}) {
	fs.IntVar(&o.stations, "stations", 50, "bench mix: stations, each one group")
	fs.IntVar(&o.residents, "residents", 200, "bench mix: residents registered in each station")
	fs.IntVar(&o.concurrency, "concurrency", 8, "bench mix: messages served at once")
	fs.IntVar(&o.messages, "messages", 10_000, "bench mix: messages to serve (after the set-up)")
	fs.DurationVar(&o.duration, "duration", 0, "bench mix: serve for this long instead of --messages")
	fs.BoolVar(&o.floor, "floor", false, "bench mix: serve no command, only the round trips a writing command cannot do without (claim, write, removal of the reply): the ceiling for the mix on this machine")
	fs.IntVar(&o.floorCommands, "floor-commands", floorCommands, "bench mix --floor: commands a message sends, MULTI and EXEC counted (the mix sends about 25); more than 12 adds writes to its MULTI")
	fs.BoolVar(&o.trace, "trace", false, "bench mix: before measuring, list the round trips of one message of each command")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "bench mix: write a CPU profile of the measured part to this file (go tool pprof)")
	fs.StringVar(&o.memProfile, "memprofile", "", "bench mix: write an allocation profile of the measured part to this file (go tool pprof -sample_index=alloc_space)")
}

// mixCommand is one kind of message in the mix, with its share in percent.
type mixCommand struct {
	name  string
	share int
	text  func(r *rand.Rand, resident int) string
}

// setupProblems is how many problems each station's head reports in the
// set-up, for me-too and detail to name.
const setupProblems = 5

// setupShifts is how many shifts each station's team has, each with
// shiftPlaces places a day.
const (
	setupShifts = 3
	shiftPlaces = 50
)

// theMix is what residents send most, as issue 12 measures it: report 20%,
// me-too 10%, detail 20%, pledge 15%, vote 15%, sign-up 10%, help 10%.
var theMix = []mixCommand{
	{"report", 20, func(r *rand.Rand, _ int) string {
		return "报事 " + strconv.Itoa(r.IntN(9)+1) + "幢楼道灯坏了，晚上看不见路"
	}},
	{"metoo", 10, func(r *rand.Rand, _ int) string { return "同问 " + strconv.Itoa(r.IntN(setupProblems)+1) }},
	{"detail", 20, func(r *rand.Rand, _ int) string { return "事项 " + strconv.Itoa(r.IntN(setupProblems)+1) }},
	{"pledge", 15, func(r *rand.Rand, _ int) string { return "认捐 " + strconv.Itoa(100*(r.IntN(5)+1)) }},
	{"vote", 15, func(r *rand.Rand, _ int) string { return "投 票1 " + string(rune('A'+r.IntN(2))) }},
	{"signup", 10, func(r *rand.Rand, _ int) string {
		day := time.Now().In(calendar.Shanghai).AddDate(0, 0, r.IntN(6)+1)
		return fmt.Sprintf("报名 班%d %d月%d日", r.IntN(setupShifts)+1, day.Month(), day.Day())
	}},
	{"help", 10, func(*rand.Rand, int) string { return "帮助" }},
}

// pick returns a command of the mix, drawn by share.
func pick(r *rand.Rand) *mixCommand {
	n := r.IntN(100)
	for i := range theMix {
		if n < theMix[i].share {
			return &theMix[i]
		}
		n -= theMix[i].share
	}
	return &theMix[len(theMix)-1]
}

// mixResult is the last line of `huzhu bench mix`, one JSON object.
type mixResult struct {
	Mode                  string  `json:"mode"`
	Store                 string  `json:"store"`
	Stations              int     `json:"stations"`
	Residents             int     `json:"residents"`
	Concurrency           int     `json:"concurrency"`
	Messages              int     `json:"messages"`
	Seconds               float64 `json:"seconds"`
	MsgsPerS              float64 `json:"msgs_per_s"`
	P50ms                 float64 `json:"p50_ms"`
	P99ms                 float64 `json:"p99_ms"`
	RedisRoundTripsPerMsg float64 `json:"redis_round_trips_per_msg"`
	// DeliveryRoundTripsPerMsg are those of sending the replies from the
	// outbox, after the message was served (see deliveryCounted).
	DeliveryRoundTripsPerMsg float64 `json:"delivery_round_trips_per_msg"`
	AllocsPerMsg             float64 `json:"allocs_per_msg"`
	// CPUmsPerMsg is the process's CPU time (user and system) per message
	// while measuring: the bot's alone on Redis, the bot's and the embedded
	// server's together on the embedded store.
	CPUmsPerMsg float64 `json:"cpu_ms_per_msg"`
	// GoMaxProcs is how many goroutines ran at once: one core fewer than
	// the machine's beside a Redis on it (procsBesideRedis).
	GoMaxProcs int `json:"gomaxprocs"`
	// SQLiteWriteTxPerMsg is, on the embedded store, how many SQLite write
	// transactions (each a commit) the messages cost.
	SQLiteWriteTxPerMsg float64               `json:"sqlite_write_transactions_per_msg,omitempty"`
	RSSMB               float64               `json:"rss_mb"`
	Errors              int64                 `json:"errors"`
	PerCommand          map[string]*mixFigure `json:"per_command,omitempty"`
}

// mixFigure is one command's figures.
type mixFigure struct {
	Count                    int                `json:"count"`
	RedisRoundTripsPerMsg    float64            `json:"redis_round_trips_per_msg"`
	DeliveryRoundTripsPerMsg float64            `json:"delivery_round_trips_per_msg"`
	P50ms                    float64            `json:"p50_ms"`
	P99ms                    float64            `json:"p99_ms"`
	Outcomes                 map[string]float64 `json:"outcomes"`

	trips     int64
	delivery  int64
	latencies []time.Duration
	command   string // the router's name for it, in the outcome counts
}

// mixBench is one run of `huzhu bench mix`.
type mixBench struct {
	o       mixOptions
	handler bot.Handler
	courier *bot.Courier
	sender  bot.Sender
	obs     *metrics.Metrics
	seq     atomic.Int64
	run     string // makes message ids unique to this run
	locks   []sync.Mutex
	errs    atomic.Int64
	log     *slog.Logger
	// writeTx counts the embedded store's SQLite write transactions (false
	// on Redis).
	writeTx func() (int64, bool)
}

// discard is the platform of the bench: it reaches everyone and sends
// nowhere.
type discard struct{}

func (discard) Send(context.Context, bot.Outgoing) error         { return nil }
func (discard) CanReachPrivately(context.Context, bot.User) bool { return true }

func (b *mixBench) group(s int) bot.Chat {
	return bot.Chat{Platform: console.PlatformName, ID: "bench-s" + strconv.Itoa(s), Kind: bot.Group, Title: "压测" + strconv.Itoa(s) + "群"}
}

func (b *mixBench) head(s int) bot.User {
	return bot.User{Platform: console.PlatformName, ID: "s" + strconv.Itoa(s) + "-head", Name: "站长" + strconv.Itoa(s)}
}

func (b *mixBench) resident(s, r int) bot.User {
	return bot.User{Platform: console.PlatformName, ID: "s" + strconv.Itoa(s) + "-r" + strconv.Itoa(r), Name: "居民" + strconv.Itoa(r)}
}

// room is resident r's own household: ten to a building.
func room(r int) string { return fmt.Sprintf("%d幢1单元%d", r/10+1, 101+r%10) }

// serve serves text from who in station s's group, as a platform hands it
// over: one message of a chat at a time.
func (b *mixBench) serve(ctx context.Context, s int, who bot.User, text string) error {
	m := &bot.Message{
		ID:     b.run + strconv.FormatInt(b.seq.Add(1), 10),
		Chat:   b.group(s),
		Sender: who,
		Text:   text,
		Time:   time.Now(),
	}
	b.locks[s].Lock()
	defer b.locks[s].Unlock()
	err := b.handler.ServeMessage(bot.WithCourier(ctx, b.courier), bot.NewResponder(b.sender, m), m)
	if err != nil {
		b.errs.Add(1)
		b.log.Warn("bench: message failed", "text", text, "err", err)
	}
	return err
}

// setUp gives station s what the mix works on: the station, its residents
// registered and in the team, three shifts, a campaign, a poll and some
// problems.
func (b *mixBench) setUp(ctx context.Context, s int) {
	head := b.head(s)
	deadline := time.Now().In(calendar.Shanghai).AddDate(0, 2, 0).Format("2006-01-02")
	lines := []string{
		"建站 压测站" + strconv.Itoa(s),
		"建队 督导队",
		"众筹 新建 安全门 目标 1000000 每户 300 截止 " + deadline,
		"投票 选哪种款式 | 不锈钢 | 铝合金",
	}
	for i := range setupShifts {
		lines = append(lines, fmt.Sprintf("排班 新增 督导队 每天 %02d:00-%02d:00 %d号垃圾点 %d人", 6+2*i, 8+2*i, i+1, shiftPlaces))
	}
	for i := range setupProblems {
		lines = append(lines, fmt.Sprintf("报事 %d幢楼道灯坏了", i+1))
	}
	for _, l := range lines {
		_ = b.serve(ctx, s, head, l)
	}
	for r := range b.o.residents {
		_ = b.serve(ctx, s, b.resident(s, r), "登记 "+room(r))
		_ = b.serve(ctx, s, b.resident(s, r), "入队 督导队")
	}
}

// runBenchMix runs `huzhu bench mix`: the real handler chain and store,
// in-process, serving the mix from stations × residents at a concurrency.
// Everything it writes is under a key prefix of its own, deleted at the
// end; on the embedded store it works in a temporary directory unless
// --data names one.
func runBenchMix(ctx context.Context, cfg *Config, stdout io.Writer, log *slog.Logger) (err error) {
	o := cfg.Bench.mix
	if o.stations < 1 || o.residents < 1 || o.concurrency < 1 || (o.messages < 1 && o.duration <= 0) {
		return errors.New("bench mix: --stations, --residents, --concurrency and --messages (or --duration) must be 1 or more")
	}
	if o.floor && o.floorCommands < floorCommands {
		return fmt.Errorf("bench mix: --floor-commands must be %d or more: a message's claim, write and delivery send that many", floorCommands)
	}
	scfg := cfg.Store
	if scfg.URL == "" && len(scfg.Addrs) == 0 && !cfg.DataDirChosen {
		dir, err := os.MkdirTemp("", "huzhu-bench-")
		if err != nil {
			return fmt.Errorf("bench mix: %w", err)
		}
		defer os.RemoveAll(dir)
		scfg.DataDir = dir
	}
	backend, err := store.Open(ctx, scfg, log.With("component", "store"))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, backend.Close()) }()
	obs := newMetrics(backend.Client)
	cleaner := &bench{rdb: backend.Client, out: stdout, prefix: "bench:" + randomHex(6) + ":"}
	defer func() {
		if cerr := cleaner.cleanup(context.WithoutCancel(ctx)); cerr != nil {
			err = errors.Join(err, cerr)
		}
		if err == nil {
			err = cleaner.result(stdout)
		}
	}()
	fmt.Fprintf(stdout, "store: %s\nkey prefix: %s (deleted at the end)\n", backend.Describe(), cleaner.prefix)
	if o.floor {
		cleaner.mix, err = benchFloor(ctx, backend.Client, cleaner.prefix, *o, log)
		if cleaner.mix != nil {
			cleaner.mix.Store = backend.Describe()
		}
		return err
	}

	st := store.New(backend.Client, append(backend.StoreOptions(), store.WithKeyPrefix(cleaner.prefix))...)
	coreCfg := *cfg
	coreCfg.observe = obs
	coreCfg.RateBurst = 1 << 30 // residents here type faster than any person
	c := newCore(&coreCfg, st, bot.SystemClock{}, log)
	c.disp.Add(console.PlatformName, discard{}, discard{})
	// Messages are served as a platform's are (bot.Bot.ReceiveOrRetry):
	// through the outbox, whose delivery round trips are counted apart.
	courier := &bot.Courier{Outbox: deliveryCounted{st}, Sender: c.disp, Clock: bot.SystemClock{},
		Log: log.With("component", "outbox"), Platforms: c.disp.Platforms}
	b := &mixBench{o: *o, handler: c.receiver.Handler, courier: courier, sender: c.disp, obs: obs, run: randomHex(4) + "-",
		locks: make([]sync.Mutex, o.stations), log: log, writeTx: backend.EmbeddedWriteTransactions}

	start := time.Now()
	parallel(o.concurrency, o.stations, func(s int) bool { b.setUp(ctx, s); return ctx.Err() == nil })
	fmt.Fprintf(stdout, "set-up: %d stations, %d residents each, in %s (%d errors)\n", o.stations, o.residents, round(time.Since(start)), b.errs.Load())
	if err := ctx.Err(); err != nil {
		return err
	}

	if o.trace {
		b.trace(ctx, stdout)
	}
	if o.cpuProfile != "" {
		stop, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, stop()) }()
	}
	if o.memProfile != "" {
		runtime.MemProfileRate = 4096
		defer func() { err = errors.Join(err, writeAllocProfile(o.memProfile)) }()
	}
	res := b.measure(ctx)
	res.Store = backend.Describe()
	cleaner.mix = res
	return ctx.Err()
}

// trace serves one message of each command of the mix, one after another,
// and lists the round trips each made.
func (b *mixBench) trace(ctx context.Context, w io.Writer) {
	r := rand.New(rand.NewPCG(1, 12))
	for _, c := range theMix {
		var t, d metrics.Trace
		s, who := r.IntN(b.o.stations), r.IntN(b.o.residents)
		_ = b.serve(withDeliveryCount(metrics.TraceRoundTrips(ctx, &t), nil, &d), s, b.resident(s, who), c.text(r, who))
		trips := t.Trips()
		fmt.Fprintf(w, "%s: %d round trips to serve it, %d to deliver its replies\n", c.name, len(trips), len(d.Trips()))
		for i, trip := range trips {
			fmt.Fprintf(w, "  %2d. %s\n", i+1, trip)
		}
		for _, trip := range d.Trips() {
			fmt.Fprintf(w, "   +  %s\n", trip)
		}
	}
}

// parallel runs work(0..n-1) on concurrency goroutines, until work returns
// false.
func parallel(concurrency, n int, work func(i int) bool) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || !work(i) {
					return
				}
			}
		})
	}
	wg.Wait()
}

// measure serves the mix and returns its figures.
func (b *mixBench) measure(ctx context.Context) *mixResult {
	figures := map[string]*mixFigure{}
	for _, c := range theMix {
		figures[c.name] = &mixFigure{Outcomes: map[string]float64{}}
	}
	var mu sync.Mutex
	before := outcomeCounts(b.obs)
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	mallocs := mem.Mallocs
	cpu := processCPU()
	writeTx, embedded := b.writeTx()

	n := b.o.messages
	until := time.Time{}
	if b.o.duration > 0 {
		n, until = 1<<62, time.Now().Add(b.o.duration)
	}
	var served atomic.Int64
	start := time.Now()
	parallel(b.o.concurrency, n, func(i int) bool {
		if !until.IsZero() && time.Now().After(until) || ctx.Err() != nil {
			return false
		}
		r := rand.New(rand.NewPCG(uint64(i), 12))
		c := pick(r)
		s, who := r.IntN(b.o.stations), r.IntN(b.o.residents)
		var trips, delivery atomic.Int64
		t0 := time.Now()
		mctx := withDeliveryCount(metrics.CountRoundTrips(ctx, &trips), &delivery, nil)
		_ = b.serve(mctx, s, b.resident(s, who), c.text(r, who))
		took := time.Since(t0)
		served.Add(1)
		mu.Lock()
		f := figures[c.name]
		f.Count++
		f.trips += trips.Load()
		f.delivery += delivery.Load()
		f.latencies = append(f.latencies, took)
		mu.Unlock()
		return true
	})
	elapsed := time.Since(start)
	runtime.ReadMemStats(&mem)
	msgs := int(served.Load())

	res := &mixResult{
		Mode: "mix", Stations: b.o.stations, Residents: b.o.residents, Concurrency: b.o.concurrency,
		Messages: msgs, Seconds: elapsed.Seconds(), MsgsPerS: rate(msgs, elapsed),
		AllocsPerMsg: float64(mem.Mallocs-mallocs) / float64(max(msgs, 1)),
		CPUmsPerMsg:  msOf(processCPU()-cpu) / float64(max(msgs, 1)),
		GoMaxProcs:   runtime.GOMAXPROCS(0), RSSMB: rssMB(), Errors: b.errs.Load(), PerCommand: figures,
	}
	if embedded {
		now, _ := b.writeTx()
		res.SQLiteWriteTxPerMsg = float64(now-writeTx) / float64(max(msgs, 1))
	}
	after := outcomeCounts(b.obs)
	var all []time.Duration
	var trips, delivery int64
	for name, f := range figures {
		slices.Sort(f.latencies)
		all = append(all, f.latencies...)
		trips += f.trips
		delivery += f.delivery
		if f.Count > 0 {
			f.RedisRoundTripsPerMsg = float64(f.trips) / float64(f.Count)
			f.DeliveryRoundTripsPerMsg = float64(f.delivery) / float64(f.Count)
			f.P50ms, f.P99ms = msOf(percentile(f.latencies, 50)), msOf(percentile(f.latencies, 99))
		}
		for key, v := range after {
			if cmd, outcome, _ := strings.Cut(key, " "); cmd == routerName(name) && v > before[key] {
				f.Outcomes[outcome] = v - before[key]
			}
		}
	}
	slices.Sort(all)
	if len(all) > 0 {
		res.P50ms, res.P99ms = msOf(percentile(all, 50)), msOf(percentile(all, 99))
		res.RedisRoundTripsPerMsg = float64(trips) / float64(len(all))
		res.DeliveryRoundTripsPerMsg = float64(delivery) / float64(len(all))
	}
	return res
}

// routerName is the router's name for a command of the mix.
func routerName(mix string) string {
	if mix == "detail" {
		return "issue"
	}
	return mix
}

// outcomeCounts reads huzhu_messages_total back: "command outcome" → count.
func outcomeCounts(m *metrics.Metrics) map[string]float64 {
	out := map[string]float64{}
	families, err := m.Registry().Gather()
	if err != nil {
		return out
	}
	for _, f := range families {
		if f.GetName() != "huzhu_messages_total" {
			continue
		}
		for _, metric := range f.GetMetric() {
			var cmd, outcome string
			for _, l := range metric.GetLabel() {
				switch l.GetName() {
				case "command":
					cmd = l.GetValue()
				case "outcome":
					outcome = l.GetValue()
				}
			}
			out[cmd+" "+outcome] = metric.GetCounter().GetValue()
		}
	}
	return out
}

// result prints the figures of the mix, or of the reminders, as the last
// line, one JSON object.
func (b *bench) result(w io.Writer) error {
	var res any
	switch {
	case b.mix != nil:
		res = b.mix
	case b.rem != nil:
		res = b.rem
	default:
		return nil
	}
	line, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", line)
	return err
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// processCPU is the CPU time this process has used, user and system; 0
// where getrusage fails.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssMB is the process's resident set (VmRSS), in MiB; 0 where /proc has
// none.
func rssMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}

// deliveryCounted is the bench's outbox: the store's, with the round trips
// of sending the replies (after the message was served and marked) counted
// apart from those of serving it, under the counters withDeliveryCount put
// on the message's context.
type deliveryCounted struct{ *store.Store }

type deliveryCountKey struct{}

type deliveryCount struct {
	tally *atomic.Int64
	trace *metrics.Trace
}

// withDeliveryCount makes the outbox's delivery under ctx count into tally
// and trace (either may be nil) instead of the message's own counters.
func withDeliveryCount(ctx context.Context, tally *atomic.Int64, trace *metrics.Trace) context.Context {
	return context.WithValue(ctx, deliveryCountKey{}, deliveryCount{tally, trace})
}

func delivering(ctx context.Context) context.Context {
	d, _ := ctx.Value(deliveryCountKey{}).(deliveryCount)
	if d.tally == nil {
		d.tally = new(atomic.Int64)
	}
	if d.trace == nil {
		d.trace = new(metrics.Trace)
	}
	return metrics.TraceRoundTrips(metrics.CountRoundTrips(ctx, d.tally), d.trace)
}

func (o deliveryCounted) DueOutboxes(ctx context.Context, platform string, now time.Time, n int) ([]string, error) {
	return o.Store.DueOutboxes(delivering(ctx), platform, now, n)
}

func (o deliveryCounted) TakeOutbox(ctx context.Context, chatKey string) (string, error) {
	return o.Store.TakeOutbox(delivering(ctx), chatKey)
}

func (o deliveryCounted) RenewOutbox(ctx context.Context, chatKey, lease string) error {
	return o.Store.RenewOutbox(delivering(ctx), chatKey, lease)
}

func (o deliveryCounted) ReleaseOutbox(ctx context.Context, chatKey, lease string) error {
	return o.Store.ReleaseOutbox(delivering(ctx), chatKey, lease)
}

func (o deliveryCounted) OutboxReplies(ctx context.Context, chatKey string) ([]bot.KeptReply, error) {
	return o.Store.OutboxReplies(delivering(ctx), chatKey)
}

func (o deliveryCounted) ReplaceReply(ctx context.Context, chatKey string, r bot.KeptReply) error {
	return o.Store.ReplaceReply(delivering(ctx), chatKey, r)
}

func (o deliveryCounted) SentReply(ctx context.Context, chatKey string, ids ...string) error {
	return o.Store.SentReply(delivering(ctx), chatKey, ids...)
}

func (o deliveryCounted) SentLast(ctx context.Context, chatKey, lease string, ids ...string) (bool, error) {
	return o.Store.SentLast(delivering(ctx), chatKey, lease, ids...)
}

func (o deliveryCounted) PostponeOutbox(ctx context.Context, chatKey string, until time.Time) error {
	return o.Store.PostponeOutbox(delivering(ctx), chatKey, until)
}

// writeAllocProfile writes the allocations made so far to path.
func writeAllocProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	return errors.Join(pprof.Lookup("allocs").WriteTo(f, 0), f.Close())
}

// startCPUProfile writes a CPU profile to path until the returned stop.
func startCPUProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}
