package storetest_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// TestContract runs every command package store relies on against each
// backend, so that a store written to it works on all of them. Findings
// about redka v1.0.1 (the embedded default) are recorded where they bite.
func TestContract(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		c := b.Client
		k := func(s string) string { return b.Prefix + s }

		t.Run("lease SET NX PX", func(t *testing.T) {
			ok, err := c.SetNX(ctx, k("lease"), "a", 150*time.Millisecond).Result()
			check(t, err, ok, true)
			ok, err = c.SetNX(ctx, k("lease"), "b", 150*time.Millisecond).Result()
			check(t, err, ok, false)
			got, err := c.Get(ctx, k("lease")).Result()
			check(t, err, got, "a")
			// A lease the holder never releases must expire by itself.
			time.Sleep(300 * time.Millisecond)
			ok, err = c.SetNX(ctx, k("lease"), "b", time.Second).Result()
			check(t, err, ok, true)
			// Release.
			n, err := c.Del(ctx, k("lease")).Result()
			check(t, err, n, int64(1))
		})

		t.Run("lease race", func(t *testing.T) {
			var wg sync.WaitGroup
			var wins atomic.Int32
			for range 20 {
				wg.Go(func() {
					ok, err := c.SetNX(ctx, k("race"), "x", 5*time.Second).Result()
					if err != nil {
						t.Error(err)
					}
					if ok {
						wins.Add(1)
					}
				})
			}
			wg.Wait()
			if n := wins.Load(); n != 1 {
				t.Fatalf("%d of 20 concurrent SET NX won, want 1", n)
			}
		})

		t.Run("GET missing is redis.Nil", func(t *testing.T) {
			_, err := c.Get(ctx, k("missing")).Result()
			if !errors.Is(err, redis.Nil) {
				t.Fatalf("GET missing: err = %v, want redis.Nil", err)
			}
		})

		t.Run("SET GET DEL", func(t *testing.T) {
			check(t, c.Set(ctx, k("s"), "v", 0).Err(), true, true)
			got, err := c.Get(ctx, k("s")).Result()
			check(t, err, got, "v")
			n, err := c.Del(ctx, k("s"), k("missing")).Result()
			check(t, err, n, int64(1))
			n, err = c.Del(ctx, k("s")).Result()
			check(t, err, n, int64(0))
		})

		t.Run("INCR", func(t *testing.T) {
			n, err := c.Incr(ctx, k("n")).Result()
			check(t, err, n, int64(1))
			n, err = c.Incr(ctx, k("n")).Result()
			check(t, err, n, int64(2))
			c.Set(ctx, k("text"), "abc", 0)
			if err := c.Incr(ctx, k("text")).Err(); err == nil {
				t.Fatal("INCR on a non-integer: no error")
			}
		})

		t.Run("hash", func(t *testing.T) {
			n, err := c.HSet(ctx, k("h"), "a", "1", "b", "2").Result()
			check(t, err, n, int64(2))
			n, err = c.HSet(ctx, k("h"), "b", "3", "c", "4").Result()
			check(t, err, n, int64(1))
			all, err := c.HGetAll(ctx, k("h")).Result()
			check(t, err, len(all), 3)
			if all["a"] != "1" || all["b"] != "3" || all["c"] != "4" {
				t.Fatalf("HGETALL = %v", all)
			}
			n, err = c.HIncrBy(ctx, k("h"), "a", 5).Result()
			check(t, err, n, int64(6))
			n, err = c.HIncrBy(ctx, k("h"), "new", -2).Result()
			check(t, err, n, int64(-2))
			ok, err := c.HSetNX(ctx, k("h"), "d", "x").Result()
			check(t, err, ok, true)
			ok, err = c.HSetNX(ctx, k("h"), "d", "y").Result()
			check(t, err, ok, false)
			got, err := c.HGet(ctx, k("h"), "d").Result()
			check(t, err, got, "x")
			all, err = c.HGetAll(ctx, k("missing")).Result()
			check(t, err, len(all), 0)
		})

		t.Run("set", func(t *testing.T) {
			n, err := c.SAdd(ctx, k("set"), "m1").Result()
			check(t, err, n, int64(1))
			n, err = c.SAdd(ctx, k("set"), "m1").Result()
			check(t, err, n, int64(0))
			c.SAdd(ctx, k("set"), "m2", "m3")
			ok, err := c.SIsMember(ctx, k("set"), "m2").Result()
			check(t, err, ok, true)
			ok, err = c.SIsMember(ctx, k("set"), "zz").Result()
			check(t, err, ok, false)
			members, err := c.SMembers(ctx, k("set")).Result()
			slices.Sort(members)
			check(t, err, slices.Equal(members, []string{"m1", "m2", "m3"}), true)
			n, err = c.SCard(ctx, k("set")).Result()
			check(t, err, n, int64(3))
			n, err = c.SRem(ctx, k("set"), "m1", "zz").Result()
			check(t, err, n, int64(1))
			n, err = c.SCard(ctx, k("set")).Result()
			check(t, err, n, int64(2))
		})

		t.Run("sorted set", func(t *testing.T) {
			n, err := c.ZAdd(ctx, k("z"),
				redis.Z{Score: 30, Member: "c"},
				redis.Z{Score: 10, Member: "a"},
				redis.Z{Score: 20, Member: "b"},
				redis.Z{Score: 40, Member: "d"},
			).Result()
			check(t, err, n, int64(4))
			n, err = c.ZAdd(ctx, k("z"), redis.Z{Score: 15, Member: "a"}).Result()
			check(t, err, n, int64(0)) // updated, not added
			score, err := c.ZScore(ctx, k("z"), "a").Result()
			check(t, err, score, float64(15))
			if _, err := c.ZScore(ctx, k("z"), "zz").Result(); !errors.Is(err, redis.Nil) {
				t.Fatalf("ZSCORE missing member: err = %v, want redis.Nil", err)
			}
			got, err := c.ZRangeByScore(ctx, k("z"), &redis.ZRangeBy{Min: "-inf", Max: "30"}).Result()
			check(t, err, slices.Equal(got, []string{"a", "b", "c"}), true)
			got, err = c.ZRangeByScore(ctx, k("z"), &redis.ZRangeBy{Min: "-inf", Max: "+inf", Offset: 1, Count: 2}).Result()
			check(t, err, slices.Equal(got, []string{"b", "c"}), true)
			withScores, err := c.ZRangeByScoreWithScores(ctx, k("z"), &redis.ZRangeBy{Min: "0", Max: "20", Count: 1}).Result()
			check(t, err, len(withScores), 1)
			if withScores[0].Member != "a" || withScores[0].Score != 15 {
				t.Fatalf("ZRANGEBYSCORE WITHSCORES LIMIT 0 1 = %v", withScores)
			}
			n, err = c.ZRem(ctx, k("z"), "a", "zz").Result()
			check(t, err, n, int64(1))
			n, err = c.ZCard(ctx, k("z")).Result()
			check(t, err, n, int64(3))
		})

		t.Run("list", func(t *testing.T) {
			// One element per RPUSH: redka rejects several (see
			// TestRedkaQuirks).
			for i, v := range []string{"1", "2", "3"} {
				n, err := c.RPush(ctx, k("l"), v).Result()
				check(t, err, n, int64(i+1))
			}
			got, err := c.LRange(ctx, k("l"), 0, 1).Result()
			check(t, err, slices.Equal(got, []string{"1", "2"}), true)
			got, err = c.LRange(ctx, k("l"), 0, 99).Result()
			check(t, err, slices.Equal(got, []string{"1", "2", "3"}), true)
			// Negative indexes work on a list that exists, but not on a
			// missing key on redka (see TestRedkaQuirks).
			got, err = c.LRange(ctx, k("l"), 0, -1).Result()
			check(t, err, slices.Equal(got, []string{"1", "2", "3"}), true)
			got, err = c.LRange(ctx, k("missing"), 0, 99).Result()
			check(t, err, len(got), 0)
		})

		t.Run("EXPIRE", func(t *testing.T) {
			c.Set(ctx, k("e"), "v", 0)
			ok, err := c.Expire(ctx, k("e"), 10*time.Second).Result()
			check(t, err, ok, true)
			// TTL rounds differently (miniredis floors, Redis rounds), so
			// only the range is part of the contract.
			ttl, err := c.TTL(ctx, k("e")).Result()
			if err != nil || ttl < 9*time.Second || ttl > 10*time.Second {
				t.Fatalf("TTL = %v, %v; want [9s, 10s]", ttl, err)
			}
			ok, err = c.Expire(ctx, k("missing"), time.Second).Result()
			check(t, err, ok, false)
			// A hash, the type most records use, expires as a whole.
			// PEXPIRE because go-redis rounds EXPIRE below 1s up to 1s.
			c.HSet(ctx, k("eh"), "f", "v")
			ok, err = c.PExpire(ctx, k("eh"), 100*time.Millisecond).Result()
			check(t, err, ok, true)
			time.Sleep(250 * time.Millisecond)
			n, err := c.Exists(ctx, k("eh")).Result()
			check(t, err, n, int64(0))
			all, err := c.HGetAll(ctx, k("eh")).Result()
			check(t, err, len(all), 0)
		})

		t.Run("MULTI EXEC", func(t *testing.T) {
			// One hash tag, so the keys share a cluster slot.
			tag := k("{st:42}:")
			var incr *redis.IntCmd
			var sadd *redis.IntCmd
			cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, tag+"issue:7", "state", "open", "pledged", 0)
				incr = p.Incr(ctx, tag+"seq")
				sadd = p.SAdd(ctx, tag+"open", "7")
				p.ZAdd(ctx, tag+"due", redis.Z{Score: 1700000000000, Member: "7"})
				p.Expire(ctx, tag+"seq", time.Hour)
				return nil
			})
			check(t, err, len(cmds), 5)
			check(t, incr.Err(), incr.Val(), int64(1))
			check(t, sadd.Err(), sadd.Val(), int64(1))
			state, err := c.HGet(ctx, tag+"issue:7", "state").Result()
			check(t, err, state, "open")
			n, err := c.ZCard(ctx, tag+"due").Result()
			check(t, err, n, int64(1))
		})

		t.Run("SCAN MATCH", func(t *testing.T) {
			want := []string{k("{st:1}:a"), k("{st:1}:b"), k("{st:1}:c")}
			for _, key := range want {
				c.Set(ctx, key, "v", 0)
			}
			c.Set(ctx, k("{st:2}:a"), "v", 0)
			// An expired key that redka has not yet swept must not show.
			c.Set(ctx, k("{st:1}:gone"), "v", 50*time.Millisecond)
			time.Sleep(150 * time.Millisecond)
			var got []string
			var cursor uint64
			for {
				keys, next, err := c.Scan(ctx, cursor, k("{st:1}:*"), 2).Result()
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, keys...)
				if next == 0 {
					break
				}
				cursor = next
			}
			slices.Sort(got)
			got = slices.Compact(got) // SCAN may return a key twice
			if !slices.Equal(got, want) {
				t.Fatalf("SCAN MATCH = %v, want %v", got, want)
			}
		})
	})
}

// check fails t when err is not nil or got is not want.
func check[T comparable](t *testing.T, err error, got, want T) {
	t.Helper()
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	if got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestRedkaQuirks records, as assertions, where redka v1.0.1 (the embedded
// default) departs from Redis in ways package store must design around. It
// fails when an upgrade of redka changes one: then update this test and the
// Storage section of DESIGN.md.
func TestRedkaQuirks(t *testing.T) {
	b := storetest.Redka(t)
	ctx := t.Context()
	c := b.Client
	k := func(s string) string { return b.Prefix + s }

	// wantErr asserts that err is an error whose text contains substr.
	wantErr := func(t *testing.T, what string, err error, substr string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), substr) {
			t.Fatalf("%s: err = %v, want one containing %q", what, err, substr)
		}
	}

	t.Run("unsupported commands", func(t *testing.T) {
		// Also HELLO and CLIENT SETINFO, which NewEmbeddedClient avoids or
		// survives. Use SET NX PX leases instead of WATCH or Lua, GET then
		// DEL in a MULTI instead of GETDEL, TTL instead of PTTL,
		// ZRANGEBYSCORE ... LIMIT 0 1 then ZREM instead of ZPOPMIN, and
		// SISMEMBER per member instead of SMISMEMBER.
		for _, args := range [][]any{
			{"watch", k("a")},
			{"eval", "return 1", 0},
			{"getdel", k("a")},
			{"pttl", k("a")},
			{"zpopmin", k("z")},
			{"smismember", k("s"), "a"},
			{"unlink", k("a")},
		} {
			wantErr(t, args[0].(string), c.Do(ctx, args...).Err(), "unknown command")
		}
	})

	t.Run("RPUSH takes one element", func(t *testing.T) {
		wantErr(t, "RPUSH two elements", c.RPush(ctx, k("l"), "1", "2").Err(), "syntax error")
		wantErr(t, "LPUSH two elements", c.LPush(ctx, k("l"), "1", "2").Err(), "syntax error")
		check(t, c.RPush(ctx, k("l"), "1").Err(), true, true)
	})

	t.Run("LRANGE with a negative index on a missing key fails", func(t *testing.T) {
		// "datatype mismatch (20)" comes from SQLite; Redis returns an
		// empty list. On an existing list negative indexes work. Use
		// explicit non-negative bounds.
		wantErr(t, "LRANGE missing 0 -1", c.LRange(ctx, k("nolist"), 0, -1).Err(), "datatype mismatch")
	})

	t.Run("ZRANGE ignores negative ranks", func(t *testing.T) {
		c.ZAdd(ctx, k("z"), redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"})
		got, err := c.ZRange(ctx, k("z"), 0, -1).Result()
		check(t, err, len(got), 0) // Redis: [a b]
	})

	t.Run("ZRANGEBYSCORE has no exclusive bounds", func(t *testing.T) {
		// Scores are integers (Unix ms, fen), so use min+1 instead of "(min".
		err := c.ZRangeByScore(ctx, k("z"), &redis.ZRangeBy{Min: "(1", Max: "+inf"}).Err()
		wantErr(t, "ZRANGEBYSCORE (1 +inf", err, "not a float")
	})

	t.Run("ZREVRANGEBYSCORE takes min before max", func(t *testing.T) {
		// Redis takes max then min; redka answers that with nothing.
		got, err := c.ZRevRangeByScore(ctx, k("z"), &redis.ZRangeBy{Min: "-inf", Max: "+inf"}).Result()
		check(t, err, len(got), 0) // Redis: [b a]
	})

	t.Run("ZADD and EXPIRE take no flags", func(t *testing.T) {
		wantErr(t, "ZADD NX", c.ZAddNX(ctx, k("z"), redis.Z{Score: 3, Member: "c"}).Err(), "syntax error")
		wantErr(t, "ZADD GT", c.ZAddGT(ctx, k("z"), redis.Z{Score: 3, Member: "c"}).Err(), "syntax error")
		c.Set(ctx, k("e"), "v", 0)
		wantErr(t, "EXPIRE NX", c.ExpireNX(ctx, k("e"), time.Minute).Err(), "syntax error")
	})

	t.Run("reads of the wrong type are silent", func(t *testing.T) {
		// Redis answers WRONGTYPE; redka reports the key as missing. Writes
		// do fail, with texts of their own ("key type mismatch", "invalid
		// value type"), so match errors with errors.Is, never by text.
		c.HSet(ctx, k("h"), "f", "1")
		c.Set(ctx, k("str"), "v", 0)
		if err := c.Get(ctx, k("h")).Err(); !errors.Is(err, redis.Nil) {
			t.Fatalf("GET on a hash: err = %v, want redis.Nil", err)
		}
		all, err := c.HGetAll(ctx, k("str")).Result()
		check(t, err, len(all), 0)
		wantErr(t, "INCR on a hash", c.Incr(ctx, k("h")).Err(), "key type mismatch")
		wantErr(t, "INCR on text", c.Incr(ctx, k("str")).Err(), "invalid value type")
	})

	t.Run("a failing command inside MULTI fails the whole MULTI", func(t *testing.T) {
		// Redis runs the other commands and reports the one error. redka
		// rolls the whole transaction back (good) but answers EXEC with
		// fewer replies than it announced; the embedded store's proxy reads
		// that short answer and fails EXEC with the error, well before the
		// client's read timeout. Every command in a MULTI must still be
		// supported and unable to fail (right key types, integer fields for
		// INCR/HINCRBY), as none of the MULTI is written.
		opt := *c.(*redis.Client).Options()
		opt.ReadTimeout = 200 * time.Millisecond
		short := redis.NewClient(&opt)
		defer short.Close()
		c.HSet(ctx, k("th"), "f", "1")
		_, err := short.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, k("ta"), "1", 0)
			p.Incr(ctx, k("th")) // fails: a hash
			p.Set(ctx, k("tb"), "2", 0)
			return nil
		})
		wantErr(t, "EXEC with a failing INCR", err, "key type mismatch")
		n, err := c.Exists(ctx, k("ta"), k("tb")).Result()
		check(t, err, n, int64(0)) // rolled back; Redis would have set both
	})
}

// TestRedisClusterFailsOver starts a cluster, kills the master that serves
// two hash tags kept together, and checks that its replica takes over with
// what was written before the kill.
func TestRedisClusterFailsOver(t *testing.T) {
	if testing.Short() {
		t.Skip("a failover takes seconds")
	}
	cl := storetest.StartRedisCluster(t, 3, "{a}", "{b}")
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs(), DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond,
		// A dead master is not a MOVED, so only a reload of the slots
		// finds its replica; go-redis reloads every minute by default.
		ClusterStateReloadInterval: time.Second})
	defer c.Close()
	ctx := t.Context()
	for _, key := range []string{"{a}x", "{b}x"} {
		if err := c.Set(ctx, key, "before", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// What the dead master confirmed must be on its replica.
	if err := redis.NewClient(&redis.Options{Addr: cl.Masters[0].Addr}).Do(ctx, "WAIT", 1, 2000).Err(); err != nil {
		t.Fatal(err)
	}
	cl.Masters[0].Kill()
	killed := time.Now()
	for {
		err := c.Set(ctx, "{b}y", "after", 0).Err()
		if err == nil {
			break
		}
		if time.Since(killed) > 10*time.Second {
			nodes, _ := redis.NewClient(&redis.Options{Addr: cl.Replicas[0].Addr}).ClusterNodes(ctx).Result()
			t.Fatalf("no write within 30 s of the kill: %v\n%s", err, nodes)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("writes served again %v after the master was killed", time.Since(killed).Round(time.Millisecond))
	for _, key := range []string{"{a}x", "{b}x"} {
		got, err := c.Get(ctx, key).Result()
		check(t, err, got, "before")
	}
}
