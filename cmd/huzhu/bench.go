package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/scheduler"
)

// benchOptions are the flags of `huzhu bench reminders` and `huzhu bench
// mix`.
type benchOptions struct {
	what      string // the benchmark: "reminders" or "mix"
	pending   int
	deliver   int
	instances int
	batch     int
	redis     string // --redis URL, in place of REDIS_URL
	trickle   int    // reminders falling due one by one, for the lag outside a burst
	likeAsynq bool   // pending reminders carry the peer benchmark's payload
	mix       *mixOptions
}

// benchFlags takes the benchmark's name off args and adds its flags to fs.
func benchFlags(fs *flag.FlagSet, args []string) (*benchOptions, []string) {
	o := &benchOptions{}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		o.what, args = args[0], args[1:]
	}
	fs.IntVar(&o.pending, "pending", 100_000, "bench: reminders kept pending far in the future")
	fs.IntVar(&o.deliver, "deliver", 10_000, "bench: reminders falling due at once and delivered")
	fs.IntVar(&o.instances, "instances", 3, "bench: scheduler instances delivering")
	fs.IntVar(&o.batch, "batch", 100, "bench: reminders per ScheduleAll")
	fs.StringVar(&o.redis, "redis", "", "bench: the Redis to measure on (redis://HOST:PORT), in place of REDIS_URL")
	fs.IntVar(&o.trickle, "trickle", 300, "bench: reminders falling due 20 ms apart after the burst, for the lag outside a burst")
	fs.BoolVar(&o.likeAsynq, "like-asynq", false, "bench: pending reminders carry the asynq peer's payload (one-off, chat g<i%1000>, text 疫苗到期提醒 <i>)")
	o.mix = &mixOptions{}
	o.mix.flags(fs)
	return o, args
}

// singleSchedules is how many of the pending reminders are scheduled one at
// a time, for comparison with ScheduleAll.
const singleSchedules = 1000

// benchTimeout replaces go-redis's 3-second read and write timeouts: a
// ScheduleAll of 100 is a MULTI of 300 commands, which redka on a loaded
// machine (or under -race) can take longer than that to run.
const benchTimeout = 30 * time.Second

// runBench runs `huzhu bench reminders` on backend: everything it writes is
// under a key prefix of its own, deleted at the end, so real data is never
// touched.
func runBench(ctx context.Context, cfg *Config, stdout io.Writer, log *slog.Logger) (err error) {
	o := cfg.Bench
	if o != nil && o.what == "mix" {
		return runBenchMix(ctx, cfg, stdout, log)
	}
	switch {
	case o == nil || o.what != "reminders":
		return fmt.Errorf("usage: huzhu bench reminders [--pending N] [--deliver M] [--instances K] [--batch B]\n" +
			"       huzhu bench mix [--stations S] [--residents R] [--concurrency C] [--messages N | --duration D]")
	case o.pending < 0 || o.deliver < 1 || o.instances < 1 || o.batch < 1:
		return errors.New("bench: --pending must be 0 or more, --deliver, --instances and --batch 1 or more")
	}
	backend, err := store.Open(ctx, cfg.Store, log.With("component", "store"))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, backend.Close()) }()
	rdb, closeRdb := ownClient(backend.Client)
	defer closeRdb()
	b := &bench{o: o, backend: backend, rdb: rdb, out: stdout, log: log, dataDir: cfg.Store.DataDir}
	if b.dataDir == "" {
		b.dataDir = store.DefaultDataDir
	}
	b.prefix = "bench:" + randomHex(6) + ":"
	b.rem = &remindersResult{Mode: "reminders", Store: backend.Describe(), Pending: o.pending,
		Deliver: o.deliver, Instances: o.instances, GoMaxProcs: runtime.GOMAXPROCS(0)}
	defer func() {
		// Clean up even after Ctrl-C.
		if cerr := b.cleanup(context.WithoutCancel(ctx)); cerr != nil {
			err = errors.Join(err, cerr)
		}
		if err == nil {
			err = b.result(stdout)
		}
	}()
	b.printf("store: %s", backend.Describe())
	b.printf("key prefix: %s (deleted at the end)", b.prefix)
	if err := b.enqueue(ctx); err != nil {
		return err
	}
	if err := b.delivery(ctx); err != nil {
		return err
	}
	return b.lagOutsideBurst(ctx)
}

type bench struct {
	o       *benchOptions
	backend *store.Backend
	rdb     redis.UniversalClient // backend's server, with benchTimeout
	out     io.Writer
	log     *slog.Logger
	dataDir string
	prefix  string

	batchRate float64          // reminders/s of ScheduleAll, from enqueue
	mix       *mixResult       // the figures of `bench mix`, printed last
	rem       *remindersResult // the figures of `bench reminders`, printed last
}

// remindersResult is the last line of `huzhu bench reminders`, one JSON
// object. Rates are per second; lags are from each reminder's due time to
// its send; duplicates and missing count both deliveries, the burst and the
// trickle. RedisBytesPerReminder is Redis's used_memory (the SQLite files'
// size on the embedded store) grown per pending reminder.
type remindersResult struct {
	Mode                  string  `json:"mode"`
	Store                 string  `json:"store"`
	Pending               int     `json:"pending"`
	Deliver               int     `json:"deliver"`
	Instances             int     `json:"instances"`
	EnqueuePerS           float64 `json:"enqueue_per_s"`
	EnqueueSinglePerS     float64 `json:"enqueue_one_at_a_time_per_s"`
	RedisBytesPerReminder float64 `json:"redis_bytes_per_reminder"`
	DeliverPerS           float64 `json:"deliver_per_s"`
	LagP50ms              float64 `json:"lag_p50_ms"`
	LagP99ms              float64 `json:"lag_p99_ms"`
	// TrickleLag*: reminders due 20 ms apart, not part of a burst.
	TrickleLagP50ms float64 `json:"trickle_lag_p50_ms,omitempty"`
	TrickleLagP99ms float64 `json:"trickle_lag_p99_ms,omitempty"`
	Duplicates      int     `json:"duplicates"`
	Missing         int     `json:"missing"`
	// GoMaxProcs is as in mixResult.
	GoMaxProcs int `json:"gomaxprocs"`
}

func (b *bench) printf(format string, args ...any) {
	fmt.Fprintf(b.out, format+"\n", args...)
}

func (b *bench) scheduler(rdb redis.UniversalClient, send bot.Sender) *scheduler.Scheduler {
	return scheduler.New(rdb, send, bot.SystemClock{}, b.log, scheduler.WithKeyPrefix(b.prefix))
}

// benchMessage is a typical reminder's message.
func benchMessage(text string) bot.Outgoing {
	return bot.Outgoing{
		Chat: bot.Chat{Platform: "telegram", ID: "-1001234567890", Kind: bot.Group, Title: "幸福里3号楼"},
		Text: text,
	}
}

// pendingReminder is the i-th reminder kept pending: 30 days or more ahead,
// one in four recurring (Wednesdays 19:30, first fire given so it stays far).
// likeAsynq gives it instead the payload of the asynq peer benchmark: one-off,
// a short chat id and a short text.
func pendingReminder(i int, now time.Time, likeAsynq bool) scheduler.Reminder {
	if likeAsynq {
		return scheduler.Reminder{
			ID: "r" + strconv.Itoa(i), At: now.Add(30*24*time.Hour + time.Duration(i)*time.Second),
			Message: bot.Outgoing{Chat: bot.Chat{Platform: "telegram", ID: "g" + strconv.Itoa(i%1000), Kind: bot.Group},
				Text: "疫苗到期提醒 " + strconv.Itoa(i)},
		}
	}
	r := scheduler.Reminder{
		ID:      "pending:" + strconv.Itoa(i),
		At:      now.Add(30*24*time.Hour + time.Duration(i)*time.Second),
		Message: benchMessage("提醒：3号楼居民议事会周三19:30在活动室召开，请准时参加。#" + strconv.Itoa(i)),
	}
	if i%4 == 0 {
		r.Spec = "30 19 * * 3"
	}
	return r
}

// enqueue schedules the pending reminders, the first thousand one at a time
// and the rest with ScheduleAll, and prints the rates and the memory they
// take.
func (b *bench) enqueue(ctx context.Context) error {
	n := b.o.pending
	memBefore, memWhat, err := b.memory(ctx)
	if err != nil {
		return err
	}
	s := b.scheduler(b.rdb, bot.SenderFunc(func(context.Context, bot.Outgoing) error {
		return errors.New("bench: a pending reminder fell due")
	}))
	now := time.Now()
	single := min(singleSchedules, n)
	start := time.Now()
	for i := range single {
		if err := s.Schedule(ctx, pendingReminder(i, now, b.o.likeAsynq)); err != nil {
			return err
		}
	}
	if single > 0 {
		d := time.Since(start)
		b.rem.EnqueueSinglePerS = rate(single, d)
		b.printf("enqueue with Schedule (one at a time): %d reminders in %s = %.0f reminders/s", single, round(d), b.rem.EnqueueSinglePerS)
	}

	progress := time.Now()
	start = time.Now()
	batch := make([]scheduler.Reminder, 0, b.o.batch)
	for i := single; i < n; i += b.o.batch {
		batch = batch[:0]
		for j := i; j < min(i+b.o.batch, n); j++ {
			batch = append(batch, pendingReminder(j, now, b.o.likeAsynq))
		}
		if err := s.ScheduleAll(ctx, batch...); err != nil {
			return err
		}
		if time.Since(progress) > 10*time.Second {
			progress = time.Now()
			b.log.Info("bench: enqueueing", "done", i+len(batch), "of", n,
				"rate", fmt.Sprintf("%.0f/s", rate(i+len(batch)-single, time.Since(start))))
		}
	}
	d := time.Since(start)
	b.batchRate = rate(n-single, d)
	b.rem.EnqueuePerS = b.batchRate
	if n > single {
		b.printf("enqueue with ScheduleAll (batches of %d): %d reminders in %s = %.0f reminders/s", b.o.batch, n-single, round(d), b.batchRate)
	}

	memAfter, _, err := b.memory(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		b.rem.RedisBytesPerReminder = float64(memAfter-memBefore) / float64(n)
		b.printf("memory per pending reminder: %.0f bytes (%s grew %s for %d reminders)",
			float64(memAfter-memBefore)/float64(n), memWhat, mib(memAfter-memBefore), n)
	}
	return nil
}

// memory returns what the store takes now: used_memory for a Redis, the
// size of the SQLite files for the embedded store.
func (b *bench) memory(ctx context.Context) (int64, string, error) {
	if b.backend.Kind == store.KindEmbedded {
		var total int64
		for _, f := range []string{"huzhu.db", "huzhu.db-wal"} {
			fi, err := os.Stat(filepath.Join(b.dataDir, f))
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return 0, "", fmt.Errorf("bench: %w", err)
			}
			total += fi.Size()
		}
		return total, "huzhu.db + huzhu.db-wal", nil
	}
	info, err := b.rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, "", fmt.Errorf("bench: INFO memory: %w", err)
	}
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, "", fmt.Errorf("bench: INFO memory: used_memory %q: %w", v, err)
			}
			return n, "Redis used_memory", nil
		}
	}
	return 0, "", errors.New("bench: INFO memory has no used_memory")
}

// deliveries counts what the bench instances sent: reminder "due:<i>" is
// index i.
type deliveries struct {
	due   time.Time
	dues  []time.Time // when set, each one's own due time
	count []atomic.Int32
	total atomic.Int64
	extra atomic.Int64

	mu   sync.Mutex
	lags []time.Duration
	last time.Time
}

// tally counts the reminders delivered more than once (each extra
// delivery) and those never delivered.
func (d *deliveries) tally() (dup, missing int) {
	for i := range d.count {
		switch n := int(d.count[i].Load()); {
		case n == 0:
			missing++
		case n > 1:
			dup += n - 1
		}
	}
	return dup, missing
}

func (d *deliveries) Send(_ context.Context, out bot.Outgoing) error {
	now := time.Now()
	i, err := strconv.Atoi(strings.TrimPrefix(out.Text, "due:"))
	if err != nil || i < 0 || i >= len(d.count) {
		d.extra.Add(1)
		return nil
	}
	d.count[i].Add(1)
	due := d.due
	if d.dues != nil {
		due = d.dues[i]
	}
	d.mu.Lock()
	d.lags = append(d.lags, now.Sub(due))
	if now.After(d.last) {
		d.last = now
	}
	d.mu.Unlock()
	d.total.Add(1)
	return nil
}

// delivery schedules the due reminders for one moment, lets the instances
// deliver them while the pending ones stay queued, and prints the rate, the
// lag and the check that each was delivered once.
func (b *bench) delivery(ctx context.Context) error {
	m, k := b.o.deliver, b.o.instances
	// The due time leaves room to write them all first, so that they do
	// fall due at once.
	lead := 500 * time.Millisecond
	if b.batchRate > 0 {
		lead += time.Duration(2 * float64(m) / b.batchRate * float64(time.Second))
	} else {
		lead += time.Duration(m) * time.Millisecond
	}
	d := &deliveries{due: time.UnixMilli(time.Now().Add(lead).UnixMilli()), count: make([]atomic.Int32, m)}
	s := b.scheduler(b.rdb, d)
	start := time.Now()
	batch := make([]scheduler.Reminder, 0, b.o.batch)
	for i := 0; i < m; i += b.o.batch {
		batch = batch[:0]
		for j := i; j < min(i+b.o.batch, m); j++ {
			id := "due:" + strconv.Itoa(j)
			batch = append(batch, scheduler.Reminder{ID: id, At: d.due, Message: benchMessage(id)})
		}
		if err := s.ScheduleAll(ctx, batch...); err != nil {
			return err
		}
	}
	if late := time.Since(d.due); late > 0 {
		b.log.Warn("bench: writing the due reminders took longer than planned; the lag includes it",
			"took", round(time.Since(start)), "late", round(late))
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	errs := make(chan error, k)
	for range k {
		rdb, closeClient := ownClient(b.rdb)
		inst := b.scheduler(rdb, d)
		wg.Go(func() {
			defer closeClient()
			if err := inst.Run(runCtx); err != nil {
				errs <- err
				stop()
			}
		})
	}
	limit := time.Until(d.due) + 2*time.Minute + time.Duration(m)*5*time.Millisecond
	deadline := time.Now().Add(limit)
	for d.total.Load() < int64(m) && time.Now().Before(deadline) && runCtx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	// A few more passes: a duplicate would be sent now.
	select {
	case <-runCtx.Done():
	case <-time.After(200 * time.Millisecond):
	}
	stop()
	wg.Wait()
	close(errs)
	if err := errors.Join(<-errs, ctx.Err()); err != nil {
		return err
	}

	d.mu.Lock()
	lags, last := slices.Clone(d.lags), d.last
	d.mu.Unlock()
	dup, missing := d.tally()
	b.rem.Duplicates += dup
	b.rem.Missing += missing
	if len(lags) > 0 {
		took := last.Sub(d.due)
		slices.Sort(lags)
		b.rem.DeliverPerS = rate(m-missing, took)
		b.rem.LagP50ms, b.rem.LagP99ms = msOf(percentile(lags, 50)), msOf(percentile(lags, 99))
		b.printf("delivery: %d due at once, %d instances, %d others pending: %s = %.0f deliveries/s",
			m, k, b.o.pending, round(took), rate(m-missing, took))
		b.printf("delivery lag (send - due): p50 %s, p99 %s, max %s",
			ms(percentile(lags, 50)), ms(percentile(lags, 99)), ms(lags[len(lags)-1]))
	}
	next, ok, err := s.NextDue(ctx)
	if err != nil {
		return err
	}
	stillPending := ok && next.After(time.Now())
	b.printf("check: %d delivered, %d duplicates, %d missing, %d unexpected; pending ones untouched: %t",
		len(lags), dup, missing, d.extra.Load(), stillPending || b.o.pending == 0)
	if dup > 0 || missing > 0 || d.extra.Load() > 0 || (b.o.pending > 0 && !stillPending) {
		return errors.New("bench: deliveries were not exactly once")
	}
	return nil
}

// lagOutsideBurst measures how late reminders are sent when they are not
// part of a burst: --trickle reminders due 20 ms apart, written in one
// ScheduleAll two seconds ahead of the first, delivered by --instances
// instances polling as huzhu does (Run), with the pending ones still queued.
func (b *bench) lagOutsideBurst(ctx context.Context) error {
	m, k := b.o.trickle, b.o.instances
	if m <= 0 {
		return nil
	}
	const gap = 20 * time.Millisecond
	first := time.UnixMilli(time.Now().Add(2 * time.Second).UnixMilli())
	d := &deliveries{count: make([]atomic.Int32, m), dues: make([]time.Time, m)}
	rs := make([]scheduler.Reminder, m)
	for i := range rs {
		d.dues[i] = first.Add(time.Duration(i) * gap)
		id := "due:" + strconv.Itoa(i)
		rs[i] = scheduler.Reminder{ID: "trickle:" + strconv.Itoa(i), At: d.dues[i], Message: benchMessage(id)}
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	for range k {
		rdb, closeClient := ownClient(b.rdb)
		inst := b.scheduler(rdb, d)
		wg.Go(func() {
			defer closeClient()
			_ = inst.Run(runCtx)
		})
	}
	if err := b.scheduler(b.rdb, d).ScheduleAll(ctx, rs...); err != nil {
		return err
	}
	deadline := d.dues[m-1].Add(time.Minute)
	for d.total.Load() < int64(m) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-ctx.Done():
	case <-time.After(200 * time.Millisecond):
	}
	stop()
	wg.Wait()
	d.mu.Lock()
	lags := slices.Clone(d.lags)
	d.mu.Unlock()
	dup, missing := d.tally()
	b.rem.Duplicates += dup
	b.rem.Missing += missing
	if len(lags) > 0 {
		slices.Sort(lags)
		b.rem.TrickleLagP50ms, b.rem.TrickleLagP99ms = msOf(percentile(lags, 50)), msOf(percentile(lags, 99))
		b.printf("lag outside a burst: %d due %s apart, %d instances, %d others pending: p50 %s, p99 %s, max %s",
			m, gap, k, b.o.pending, ms(percentile(lags, 50)), ms(percentile(lags, 99)), ms(lags[len(lags)-1]))
	}
	b.printf("check: %d delivered, %d duplicates, %d missing", len(lags), dup, missing)
	if dup > 0 || missing > 0 {
		return errors.New("bench: deliveries outside a burst were not exactly once")
	}
	return nil
}

// ownClient returns a client with connections of its own to rdb's server,
// as another process would have, with benchTimeout, and a func closing it.
// A cluster or Sentinel client is shared as it is.
func ownClient(rdb redis.UniversalClient) (redis.UniversalClient, func()) {
	c, ok := rdb.(*redis.Client)
	if !ok {
		return rdb, func() {}
	}
	opt := *c.Options()
	opt.ReadTimeout, opt.WriteTimeout = benchTimeout, benchTimeout
	// Filled in by c's NewClient and holding c's handlers: a second client
	// sharing them logs that it cannot register its own.
	opt.MaintNotificationsConfig, opt.PushNotificationProcessor = nil, nil
	own := redis.NewClient(&opt)
	return own, func() { _ = own.Close() }
}

// cleanup deletes every key under the bench's prefix, on each master of a
// cluster.
func (b *bench) cleanup(ctx context.Context) error {
	start := time.Now()
	var deleted atomic.Int64
	del := func(ctx context.Context, c redis.Cmdable) error {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, b.prefix+"*", 1000).Result()
			if err != nil {
				return err
			}
			if len(keys) > 0 {
				n, err := c.Del(ctx, keys...).Result()
				if err != nil {
					return err
				}
				deleted.Add(n)
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	}
	var err error
	if cc, ok := b.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return del(ctx, c) })
	} else {
		err = del(ctx, b.rdb)
	}
	if err != nil {
		return fmt.Errorf("bench: delete keys under %s: %w", b.prefix, err)
	}
	b.printf("cleanup: %d keys under %s deleted in %s", deleted.Load(), b.prefix, round(time.Since(start)))
	return nil
}

func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100 // nearest rank
	return sorted[max(i-1, 0)]
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
