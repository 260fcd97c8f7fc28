package main

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// `huzhu bench mix --floor` serves no command: each message makes only the
// round trips a writing command cannot do without, as the store makes them,
// and nothing else. Its rate is what the Redis client, the server and the
// machine allow at the bench's concurrency, the ceiling the mix is compared
// with in the same run.

// floorTrips are the floor's round trips to serve a message (its claim with
// the sender's record, then its write with the served mark and the reply)
// and to deliver the reply (its removal once sent).
const floorTrips, floorDeliveryTrips = 2, 1

// benchFloor runs `huzhu bench mix --floor` on rdb, under prefix.
func benchFloor(ctx context.Context, rdb redis.UniversalClient, prefix string, o mixOptions, log *slog.Logger) (*mixResult, error) {
	f := &floorBench{rdb: rdb, prefix: prefix, o: o, log: log}
	if err := f.setUp(ctx); err != nil {
		return nil, err
	}
	return f.measure(ctx)
}

// floorBench is one run of the floor.
type floorBench struct {
	rdb    redis.UniversalClient
	prefix string
	o      mixOptions
	log    *slog.Logger
}

// key returns the key name of station s under the prefix: one hash tag per
// station, as the store's keys have.
func (f *floorBench) key(s int, name string) string {
	return f.prefix + "{fl" + strconv.Itoa(s) + "}:" + name
}

// setUp gives every resident a member record, as the mix's set-up does.
func (f *floorBench) setUp(ctx context.Context) error {
	for s := range f.o.stations {
		_, err := f.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for r := range f.o.residents {
				p.HSet(ctx, f.key(s, "member:"+strconv.Itoa(r)), "name", "居民"+strconv.Itoa(r), "room", room(r), "joined", "1796000000000")
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("bench floor: set-up: %w", err)
		}
	}
	return nil
}

// floorCommands is how many commands the floor's message sends, MULTI and
// EXEC counted as `redis-cli monitor` counts them; --floor-commands asks
// for more, and the rest are writes of floorExtra in the command's MULTI.
const floorCommands = 12

// floorExtra are the writes a busier command adds to its MULTI, in turn:
// its entry in the record's log, the resident's list and last report, the
// month's counter and a reminder's due entry. station is the prefix of
// the station's keys.
var floorExtra = []func(ctx context.Context, p redis.Pipeliner, station, id, resident string, i int){
	func(ctx context.Context, p redis.Pipeliner, station, id, _ string, _ int) {
		p.RPush(ctx, station+"issue:"+id+":log", `{"at":1796000000000,"kind":"report"}`)
	},
	func(ctx context.Context, p redis.Pipeliner, station, id, resident string, i int) {
		p.ZAdd(ctx, station+"issues:by:"+resident, redis.Z{Score: float64(i), Member: id})
	},
	func(ctx context.Context, p redis.Pipeliner, station, id, resident string, _ int) {
		p.Set(ctx, station+"last:"+resident, id, time.Hour)
	},
	func(ctx context.Context, p redis.Pipeliner, station, _, _ string, _ int) {
		p.HIncrBy(ctx, station+"stats", "reports", 1)
	},
	func(ctx context.Context, p redis.Pipeliner, station, id, _ string, i int) {
		p.ZAdd(ctx, station+"due", redis.Z{Score: float64(i), Member: id})
	},
}

// serve makes message i's round trips: the claim with the sender's record
// and the station's; a problem's record, its place in the list, the served
// mark and the reply in one MULTI; the reply's removal in another.
func (f *floorBench) serve(ctx context.Context, i int) error {
	s, r := i%f.o.stations, (i/f.o.stations)%f.o.residents
	id := strconv.Itoa(i)
	_, err := f.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.SetNX(ctx, f.key(s, "claim:"+id), "1", time.Minute)
		p.HGetAll(ctx, f.key(s, "member:"+strconv.Itoa(r)))
		p.HGetAll(ctx, f.key(s, "station"))
		return nil
	})
	if err != nil {
		return err
	}
	_, err = f.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, f.key(s, "issue:"+id), "text", "楼道灯坏了", "by", strconv.Itoa(r), "at", id)
		p.ZAdd(ctx, f.key(s, "issues"), redis.Z{Score: float64(i), Member: id})
		p.Set(ctx, f.key(s, "seen:"+id), "1", time.Hour)
		p.HSet(ctx, f.key(s, "outbox"), id, "已登记报事 #"+id)
		for k := range f.o.floorCommands - floorCommands {
			floorExtra[k%len(floorExtra)](ctx, p, f.key(s, ""), id, strconv.Itoa(r), i)
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = f.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HDel(ctx, f.key(s, "outbox"), id)
		return nil
	})
	return err
}

// measure serves the floor's messages at the bench's concurrency. A message
// that fails is logged and counted in Errors, as in the mix.
func (f *floorBench) measure(ctx context.Context) (*mixResult, error) {
	n, until := f.o.messages, time.Time{}
	if f.o.duration > 0 {
		n, until = 1<<62, time.Now().Add(f.o.duration)
	}
	var mu sync.Mutex
	var all []time.Duration
	var failed atomic.Int64
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	mallocs, cpu := mem.Mallocs, processCPU()
	start := time.Now()
	parallel(f.o.concurrency, n, func(i int) bool {
		if !until.IsZero() && time.Now().After(until) || ctx.Err() != nil {
			return false
		}
		t0 := time.Now()
		if err := f.serve(ctx, i); err != nil {
			failed.Add(1)
			f.log.Warn("bench floor: message failed", "message", i, "err", err)
			return true
		}
		took := time.Since(t0)
		mu.Lock()
		all = append(all, took)
		mu.Unlock()
		return true
	})
	elapsed := time.Since(start)
	runtime.ReadMemStats(&mem)
	slices.Sort(all)
	msgs := len(all)
	if msgs == 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("bench floor: all %d messages failed (see the log)", failed.Load())
	}
	return &mixResult{
		Mode: "floor", Stations: f.o.stations, Residents: f.o.residents, Concurrency: f.o.concurrency,
		Messages: msgs, Seconds: elapsed.Seconds(), MsgsPerS: rate(msgs, elapsed),
		P50ms: msOf(percentile(all, 50)), P99ms: msOf(percentile(all, 99)),
		RedisRoundTripsPerMsg: floorTrips, DeliveryRoundTripsPerMsg: floorDeliveryTrips,
		AllocsPerMsg: float64(mem.Mallocs-mallocs) / float64(msgs),
		CPUmsPerMsg:  msOf(processCPU()-cpu) / float64(msgs),
		GoMaxProcs:   runtime.GOMAXPROCS(0), RSSMB: rssMB(), Errors: failed.Load(),
	}, nil
}
