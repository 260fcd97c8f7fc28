package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// hashCacheCounts are the hits and misses of e's HGETALL cache.
func hashCacheCounts(e *Embedded) (hits, misses int64) {
	return e.proxy.cache.hits.Load(), e.proxy.cache.misses.Load()
}

// cachedHash reads key twice through c and fails unless the second read
// was answered from memory with want.
func cachedHash(t *testing.T, e *Embedded, c *redis.Client, key string, want map[string]string) {
	t.Helper()
	ctx := t.Context()
	if _, err := c.HGetAll(ctx, key).Result(); err != nil {
		t.Fatal(err)
	}
	hits, _ := hashCacheCounts(e)
	got, err := c.HGetAll(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := hashCacheCounts(e); after != hits+1 {
		t.Fatalf("HGETALL %s was not answered from memory (hits %d, then %d)", key, hits, after)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("HGETALL %s from memory = %v, want %v", key, got, want)
	}
}

// TestHashCacheWritesDropTheKey checks, for each kind of write, that an
// HGETALL answered from memory before it is answered afresh after it:
// the write's own value, or no hash at all.
func TestHashCacheWritesDropTheKey(t *testing.T) {
	e, c, _ := startEmbeddedDirect(t, filepath.Join(tempShortDir(t), "data"))
	ctx := t.Context()
	tests := []struct {
		name  string
		write func(key string) error
		want  map[string]string
		ttl   bool // the key has a TTL afterwards: never cached
	}{
		{"HSET", func(k string) error { return c.HSet(ctx, k, "f", "new").Err() },
			map[string]string{"f": "new"}, false},
		{"HDEL", func(k string) error { return c.HDel(ctx, k, "f").Err() },
			map[string]string{}, false},
		{"HINCRBY", func(k string) error { return c.HIncrBy(ctx, k, "n", 2).Err() },
			map[string]string{"f": "old", "n": "2"}, false},
		{"HSETNX", func(k string) error { return c.HSetNX(ctx, k, "g", "x").Err() },
			map[string]string{"f": "old", "g": "x"}, false},
		{"DEL", func(k string) error { return c.Del(ctx, k).Err() },
			map[string]string{}, false},
		{"EXPIRE", func(k string) error { return c.Expire(ctx, k, time.Hour).Err() },
			map[string]string{"f": "old"}, true},
		{"PEXPIRE", func(k string) error { return c.PExpire(ctx, k, time.Hour).Err() },
			map[string]string{"f": "old"}, true},
		{"SET EX", func(k string) error {
			// redka sets no string over a hash.
			if err := c.Del(ctx, k).Err(); err != nil {
				return err
			}
			return c.Set(ctx, k, "a string", time.Hour).Err()
		}, map[string]string{}, true}, // redka reads a string as no hash
		{"RENAME onto it", func(k string) error {
			if err := c.HSet(ctx, k+":other", "f", "renamed").Err(); err != nil {
				return err
			}
			return c.Rename(ctx, k+":other", k).Err()
		}, map[string]string{"f": "renamed"}, false},
		{"RENAME away", func(k string) error { return c.Rename(ctx, k, k+":away").Err() },
			map[string]string{}, false},
		{"FLUSHDB", func(string) error { return c.FlushDB(ctx).Err() },
			map[string]string{}, false},
		{"MULTI/EXEC", func(k string) error {
			_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, k, "f", "new")
				p.HIncrBy(ctx, k, "n", 1)
				return nil
			})
			return err
		}, map[string]string{"f": "new", "n": "1"}, false},
		{"pipelined writes (combined)", func(k string) error {
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, k, "f", "new")
				p.HIncrBy(ctx, k, "n", 1)
				return nil
			})
			return err
		}, map[string]string{"f": "new", "n": "1"}, false},
		{"another client's write", func(k string) error {
			other := NewEmbeddedClient(e.SocketPath())
			defer other.Close()
			return other.HSet(ctx, k, "f", "new").Err()
		}, map[string]string{"f": "new"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "hz1:{st:1}:h:" + strings.ReplaceAll(tt.name, " ", "_")
			if err := c.HSet(ctx, key, "f", "old").Err(); err != nil {
				t.Fatal(err)
			}
			cachedHash(t, e, c, key, map[string]string{"f": "old"})
			if err := tt.write(key); err != nil {
				t.Fatal(err)
			}
			hits, _ := hashCacheCounts(e)
			got, err := c.HGetAll(ctx, key).Result()
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("HGETALL after the write = %v, %v; want %v", got, err, tt.want)
			}
			if after, _ := hashCacheCounts(e); after != hits {
				t.Fatal("the HGETALL after the write was answered from memory")
			}
			if tt.ttl {
				_, _ = c.HGetAll(ctx, key).Result()
				if after, _ := hashCacheCounts(e); after != hits {
					t.Error("a key with a TTL, or none, was answered from memory")
				}
				return
			}
			cachedHash(t, e, c, key, tt.want)
			// Cached, even as no hash at all, it is dropped by the next
			// write too.
			if err := c.HSet(ctx, key, "then", "1").Err(); err != nil {
				t.Fatal(err)
			}
			if got, err := c.HGetAll(ctx, key).Result(); err != nil || got["then"] != "1" {
				t.Fatalf("HGETALL after a later HSET = %v, %v; want it to hold then=1", got, err)
			}
		})
	}
}

// TestHashCachePipelineOrder checks that an HGETALL in a pipeline or a
// MULTI sees the writes before it and not those after it.
func TestHashCachePipelineOrder(t *testing.T) {
	e, c, _ := startEmbeddedDirect(t, filepath.Join(tempShortDir(t), "data"))
	ctx := t.Context()
	key := "hz1:{st:1}:info"
	if err := c.HSet(ctx, key, "v", "1").Err(); err != nil {
		t.Fatal(err)
	}
	cachedHash(t, e, c, key, map[string]string{"v": "1"})
	var before, between, after *redis.MapStringStringCmd
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		before = p.HGetAll(ctx, key)
		p.HSet(ctx, key, "v", "2")
		between = p.HGetAll(ctx, key)
		p.HSet(ctx, key, "v", "3")
		after = p.HGetAll(ctx, key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if b, m, a := before.Val()["v"], between.Val()["v"], after.Val()["v"]; b != "1" || m != "2" || a != "3" {
		t.Errorf("pipeline read %s, %s, %s; want 1, 2, 3", b, m, a)
	}
	cachedHash(t, e, c, key, map[string]string{"v": "3"})
	if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		before = p.HGetAll(ctx, key)
		p.HSet(ctx, key, "v", "4")
		after = p.HGetAll(ctx, key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if b, a := before.Val()["v"], after.Val()["v"]; b != "3" || a != "4" {
		t.Errorf("MULTI read %s, %s; want 3, 4", b, a)
	}
	cachedHash(t, e, c, key, map[string]string{"v": "4"})

	// Another database bypasses the cache (redka has only one: the write
	// still drops the key).
	conn := c.Conn()
	defer conn.Close()
	hits, misses := hashCacheCounts(e)
	if err := conn.Select(ctx, 1).Err(); err != nil {
		t.Fatal(err)
	}
	if err := conn.HGetAll(ctx, key).Err(); err != nil {
		t.Fatal(err)
	}
	if h, m := hashCacheCounts(e); h != hits || m != misses {
		t.Error("an HGETALL on database 1 went through the cache")
	}
	if err := conn.HSet(ctx, key, "v", "5").Err(); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.HGet(ctx, key, "v").Result(); v == "5" { // redka's SELECT does nothing
		cachedHash(t, e, c, key, map[string]string{"v": "5"})
	}
}

// TestHashCacheFreshAfterWrites runs writers and readers of the same
// hashes at once, in pipelines, MULTIs and alone: once a writer's HSET has
// returned, every HGETALL begun after it sees that value or a later one.
func TestHashCacheFreshAfterWrites(t *testing.T) {
	e, c, _ := startEmbeddedDirect(t, filepath.Join(tempShortDir(t), "data"))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	const nKeys, nWriters, nReaders, rounds = 3, 3, 6, 150
	key := func(i int) string { return "hz1:{st:" + strconv.Itoa(i) + "}:info" }
	// written[k][w] is the last value writer w's HSET of key k returned.
	var written [nKeys][nWriters]atomic.Int64
	failed := make(chan error, 1)
	fail := func(err error) {
		select {
		case failed <- err:
		default:
		}
		cancel()
	}

	var writers, readers sync.WaitGroup
	for w := range nWriters {
		writers.Go(func() {
			for n := int64(1); n <= rounds && ctx.Err() == nil; n++ {
				k := int(n) % nKeys
				field, val := "w"+strconv.Itoa(w), strconv.FormatInt(n, 10)
				var err error
				switch n % 3 {
				case 0:
					err = c.HSet(ctx, key(k), field, val).Err()
				case 1:
					_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
						p.HSet(ctx, key(k), field, val)
						return nil
					})
				default:
					_, err = c.Pipelined(ctx, func(p redis.Pipeliner) error {
						p.HSet(ctx, key(k), field, val)
						p.HIncrBy(ctx, key(k), "writes", 1)
						return nil
					})
				}
				if err != nil {
					fail(err)
					return
				}
				written[k][w].Store(n)
				time.Sleep(time.Millisecond) // leave time for hits
			}
		})
	}
	stop := make(chan struct{})
	for r := range nReaders {
		readers.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := (r + i) % nKeys
				var floor [nWriters]int64
				for w := range nWriters {
					floor[w] = written[k][w].Load()
				}
				var h *redis.MapStringStringCmd
				if i%2 == 0 {
					h = c.HGetAll(ctx, key(k))
				} else {
					// After another command in a pipeline.
					_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
						p.Get(ctx, "hz1:x")
						h = p.HGetAll(ctx, key(k))
						return nil
					})
				}
				if err := h.Err(); err != nil {
					fail(err)
					return
				}
				for w := range nWriters {
					got, _ := strconv.ParseInt(h.Val()["w"+strconv.Itoa(w)], 10, 64)
					if got < floor[w] {
						fail(fmt.Errorf("HGETALL %s saw writer %d at %d after its HSET of %d returned", key(k), w, got, floor[w]))
						return
					}
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	readers.Wait()
	select {
	case err := <-failed:
		t.Fatal(err)
	default:
	}
	if hits, misses := hashCacheCounts(e); hits == 0 {
		t.Errorf("no HGETALL was answered from memory (%d misses): the test proved nothing", misses)
	} else {
		t.Logf("%d hits, %d misses", hits, misses)
	}
	if n := len(e.proxy.cache.reads) + len(e.proxy.cache.writes); n != 0 {
		t.Errorf("%d reads or writes still counted as under way", n)
	}
}

// TestHashCacheRace checks the cache's own bookkeeping: an answer is kept
// only when no write of its key came between its read and its answer, nor
// is under way; it stays within its bounds.
func TestHashCacheRace(t *testing.T) {
	reply := []byte("*2\r\n$1\r\nf\r\n$1\r\nv\r\n")
	arg := func(s ...string) [][]byte {
		var out [][]byte
		for _, a := range s {
			out = append(out, []byte(a))
		}
		return out
	}
	tests := []struct {
		name string
		run  func(h *hashCache) // reads k, with writes around the read
		kept bool
	}{
		{"read alone", func(h *hashCache) {
			h.finishRead(h.startRead([]byte("k")), reply, respNoTTL)
		}, true},
		{"write ended before the read", func(h *hashCache) {
			h.endWrite(h.beginWrite("hset", arg("hset", "k", "f", "v")))
			h.finishRead(h.startRead([]byte("k")), reply, respNoTTL)
		}, true},
		{"write during the read", func(h *hashCache) {
			r := h.startRead([]byte("k"))
			h.endWrite(h.beginWrite("hset", arg("hset", "k", "f", "v")))
			h.finishRead(r, reply, respNoTTL)
		}, false},
		{"write begun before, ended during the read", func(h *hashCache) {
			w := h.beginWrite("del", arg("del", "k"))
			r := h.startRead([]byte("k"))
			h.endWrite(w)
			h.finishRead(r, reply, respNoTTL)
		}, false},
		{"write under way at the answer", func(h *hashCache) {
			w := h.beginWrite("del", arg("del", "k"))
			h.finishRead(h.startRead([]byte("k")), reply, respNoTTL)
			h.endWrite(w)
		}, false},
		{"a write of another key", func(h *hashCache) {
			r := h.startRead([]byte("k"))
			h.endWrite(h.beginWrite("hset", arg("hset", "other", "k2", "v")))
			h.finishRead(r, reply, respNoTTL)
		}, true},
		{"FLUSHDB during the read", func(h *hashCache) {
			r := h.startRead([]byte("k"))
			h.endWrite(h.beginWrite("flushdb", arg("flushdb")))
			h.finishRead(r, reply, respNoTTL)
		}, false},
		{"an unknown command without arguments under way", func(h *hashCache) {
			w := h.beginWrite("save", arg("save"))
			h.finishRead(h.startRead([]byte("k")), reply, respNoTTL)
			h.endWrite(w)
		}, false},
		{"a read begun after another's write", func(h *hashCache) {
			first := h.startRead([]byte("k"))
			h.endWrite(h.beginWrite("hset", arg("hset", "k", "f", "v")))
			second := h.startRead([]byte("k"))
			h.finishRead(first, reply, respNoTTL)
			h.finishRead(second, reply, respNoTTL)
		}, true},
		{"a key with a TTL", func(h *hashCache) {
			h.finishRead(h.startRead([]byte("k")), reply, respInt(5000))
		}, false},
		{"an error", func(h *hashCache) {
			h.finishRead(h.startRead([]byte("k")), respError("WRONGTYPE"), respNoTTL)
		}, false},
		{"no answer", func(h *hashCache) {
			h.finishRead(h.startRead([]byte("k")), nil, nil)
		}, false},
		{"too long an answer", func(h *hashCache) {
			long := respBulk(strings.Repeat("x", hashCacheMaxReply))
			h.finishRead(h.startRead([]byte("k")), append([]byte("*1\r\n"), long...), respNoTTL)
		}, false},
		{"cached, then written", func(h *hashCache) {
			h.finishRead(h.startRead([]byte("k")), reply, respNoTTL)
			h.endWrite(h.beginWrite("rename", arg("rename", "j", "k")))
		}, false},
		{"cached, then read", func(h *hashCache) {
			h.finishRead(h.startRead([]byte("k")), reply, respNoTTL)
			if h.beginWrite("hgetall", arg("hgetall", "k")) != nil {
				panic("HGETALL counted as a write")
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHashCache()
			tt.run(h)
			if kept := h.lookup([]byte("k")) != nil; kept != tt.kept {
				t.Errorf("kept = %v, want %v", kept, tt.kept)
			}
			if len(h.reads)+len(h.writes)+h.clears != 0 {
				t.Errorf("left under way: %d reads, %d writes, %d clears", len(h.reads), len(h.writes), h.clears)
			}
		})
	}

	t.Run("bounded", func(t *testing.T) {
		h := newHashCache()
		for i := range hashCacheMaxEntries + 100 {
			h.finishRead(h.startRead([]byte("k"+strconv.Itoa(i))), reply, respNoTTL)
			if i%1000 == 0 {
				h.endWrite(h.beginWrite("del", arg("del", "k"+strconv.Itoa(i/2))))
			}
		}
		if len(h.entries) != hashCacheMaxEntries || len(h.keys) != hashCacheMaxEntries {
			t.Errorf("%d entries, %d keys; want %d", len(h.entries), len(h.keys), hashCacheMaxEntries)
		}
		for i, k := range h.keys {
			if e := h.entries[k]; e == nil || e.idx != i {
				t.Fatalf("keys[%d] = %q, not its entry's place", i, k)
			}
		}
	})
}
