package store

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// tempShortDir returns a new empty directory with a path short enough for
// a unix socket inside it, removed when the test ends.
func tempShortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hz")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// combineBatch writes batch on a connection of its own to the redka behind
// e, as one combined write, and returns what each pipeline was answered.
func combineBatch(t *testing.T, dir string, batch []*combineReq) [][]string {
	t.Helper()
	cc, err := dialCombineConn(filepath.Join(dir, redkaSocketFile))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.conn.Close()
	if err := cc.write(batch); err != nil {
		t.Fatal(err)
	}
	out := make([][]string, len(batch))
	for i, b := range batch {
		if b.err != nil {
			t.Fatalf("pipeline %d: %v", i, b.err)
		}
		for _, r := range b.replies {
			out[i] = append(out[i], strings.ReplaceAll(string(r), "\r\n", " "))
		}
	}
	return out
}

// block is a MULTI of cmds; writes are cmds alone.
func block(cmds ...[]string) *combineReq {
	r := &combineReq{block: true, cmds: [][]byte{respMulti}}
	for _, c := range cmds {
		r.cmds = append(r.cmds, respCommand(c...))
	}
	r.cmds = append(r.cmds, respExec)
	return r
}

func writes(cmds ...[]string) *combineReq {
	r := &combineReq{}
	for _, c := range cmds {
		r.cmds = append(r.cmds, respCommand(c...))
	}
	return r
}

// TestCombinedWritesAnswerEachAsAlone checks that pipelines written as one
// transaction are each answered as redka answers them alone, a command
// redka cannot read included.
func TestCombinedWritesAnswerEachAsAlone(t *testing.T) {
	dir := filepath.Join(tempShortDir(t), "data")
	_, _, direct := startEmbeddedDirect(t, dir)
	got := combineBatch(t, dir, []*combineReq{
		block([]string{"set", "a", "1"}, []string{"incr", "n"}),
		writes([]string{"hset", "h", "f", "v"}, []string{"incr", "n"}),
		block([]string{"set", "b"}, []string{"set", "c", "3"}),
	})
	want := [][]string{
		{"+OK ", "+QUEUED ", "+QUEUED ", "*2 +OK :1 "},
		{":1 ", ":2 "},
		{"+OK ", "", "+QUEUED ", "*1 +OK "},
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("pipeline %d answered %q, want %q", i, got[i], want[i])
		}
		for j := range want[i] {
			if want[i][j] == "" {
				if !strings.HasPrefix(got[i][j], "-ERR") {
					t.Errorf("pipeline %d, answer %d = %q, want an error", i, j, got[i][j])
				}
				continue
			}
			if got[i][j] != want[i][j] {
				t.Errorf("pipeline %d, answer %d = %q, want %q", i, j, got[i][j], want[i][j])
			}
		}
	}
	if n, err := direct.Get(t.Context(), "n").Int(); err != nil || n != 2 {
		t.Errorf("n = %d, %v; want 2", n, err)
	}
}

// TestCombinedWriteRolledBackIsWrittenAlone checks that when one pipeline
// of a combined write fails, rolling the transaction back, the others are
// written once each, and the failing one is answered with an error and
// leaves nothing.
func TestCombinedWriteRolledBackIsWrittenAlone(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(tempShortDir(t), "data")
	_, _, direct := startEmbeddedDirect(t, dir)
	if err := direct.Set(ctx, "s", "a string", 0).Err(); err != nil {
		t.Fatal(err)
	}
	got := combineBatch(t, dir, []*combineReq{
		block([]string{"incr", "n"}),
		block([]string{"set", "x", "1"}, []string{"hset", "s", "f", "v"}),
		writes([]string{"incr", "m"}),
	})
	if a := got[0]; len(a) != 3 || a[2] != "*1 :1 " {
		t.Errorf("first pipeline answered %q, want its EXEC *1 :1", a)
	}
	if b := got[1]; len(b) != 4 || !strings.HasPrefix(b[3], "-ERR") {
		t.Errorf("failing pipeline answered %q, want an error for its EXEC", b)
	}
	if c := got[2]; len(c) != 1 || c[0] != ":1 " {
		t.Errorf("third pipeline answered %q, want :1", c)
	}
	for key, want := range map[string]string{"n": "1", "m": "1", "s": "a string"} {
		if v, err := direct.Get(ctx, key).Result(); err != nil || v != want {
			t.Errorf("%s = %q, %v; want %q", key, v, err, want)
		}
	}
	if n, err := direct.Exists(ctx, "x").Result(); err != nil || n != 0 {
		t.Errorf("EXISTS x = %d, %v; want 0 (rolled back)", n, err)
	}
}

// TestSeveralWritesAreOneTransaction checks that a client's pipeline of
// writes outside MULTI costs SQLite one transaction, not one per write, and
// is answered as if each had gone alone: when one fails, the others are
// still made.
func TestSeveralWritesAreOneTransaction(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(tempShortDir(t), "data")
	e, c, _ := startEmbeddedDirect(t, dir)
	if err := c.Set(ctx, "s", "a string", 0).Err(); err != nil {
		t.Fatal(err)
	}

	before := e.WriteTransactions()
	p := c.Pipeline()
	incr := p.Incr(ctx, "n")
	hset := p.HSet(ctx, "h", "f", "v")
	zadd := p.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "m"})
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if incr.Val() != 1 || hset.Val() != 1 || zadd.Val() != 1 {
		t.Errorf("answered %d, %d, %d; want 1 each", incr.Val(), hset.Val(), zadd.Val())
	}
	if n := e.WriteTransactions() - before; n != 1 {
		t.Errorf("three writes in a pipeline took %d transactions; want 1", n)
	}

	p = c.Pipeline()
	incr = p.Incr(ctx, "n")
	wrong := p.HSet(ctx, "s", "f", "v") // s holds a string
	zadd = p.ZAdd(ctx, "z", redis.Z{Score: 2, Member: "m2"})
	_, _ = p.Exec(ctx)
	if incr.Val() != 2 || wrong.Err() == nil || zadd.Val() != 1 {
		t.Errorf("answered %d, %v, %d; want 2, an error, 1", incr.Val(), wrong.Err(), zadd.Val())
	}
	if n, err := c.ZCard(ctx, "z").Result(); err != nil || n != 2 {
		t.Errorf("ZCARD z = %d, %v; want 2", n, err)
	}
	if v, err := c.Get(ctx, "s").Result(); err != nil || v != "a string" {
		t.Errorf("s = %q, %v; want it untouched", v, err)
	}
}

// TestEmbeddedConcurrentTransactions runs MULTIs and plain writes from many
// clients at once through the proxy, some of them failing: each that
// succeeds is written once, each that fails is told so and leaves nothing.
func TestEmbeddedConcurrentTransactions(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(tempShortDir(t), "data")
	e, _, direct := startEmbeddedDirect(t, dir)
	if err := direct.Set(ctx, "s", "a string", 0).Err(); err != nil {
		t.Fatal(err)
	}
	const clients, rounds = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, clients*rounds)
	for i := range clients {
		c := NewEmbeddedClient(e.SocketPath())
		defer c.Close()
		wg.Go(func() {
			for r := range rounds {
				if (i+r)%5 == 0 {
					_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
						p.Incr(ctx, "bad")
						p.HSet(ctx, "s", "f", "v")
						return nil
					})
					if err == nil {
						errs <- context.Canceled // a failing MULTI reported no error
					}
					continue
				}
				_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.Incr(ctx, "n")
					// Longer than the proxy's reader hands over at once.
					p.HSet(ctx, "big", strconv.Itoa(i), strings.Repeat("x", 10_000+r))
					p.HIncrBy(ctx, "h", "f", 1)
					return nil
				})
				if err == nil {
					err = c.Incr(ctx, "m").Err()
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	want := int64(clients * rounds * 4 / 5)
	for key, get := range map[string]func() (int64, error){
		"n":   func() (int64, error) { return direct.Get(ctx, "n").Int64() },
		"m":   func() (int64, error) { return direct.Get(ctx, "m").Int64() },
		"h.f": func() (int64, error) { return direct.HGet(ctx, "h", "f").Int64() },
	} {
		if v, err := get(); err != nil || v != want {
			t.Errorf("%s = %d, %v; want %d", key, v, err, want)
		}
	}
	for i := range clients {
		v, err := direct.HGet(ctx, "big", strconv.Itoa(i)).Result()
		if err != nil || len(v) < 10_000 || strings.Trim(v, "x") != "" {
			t.Errorf("HGET big %d: %d bytes, %v; want 10,000 or more x", i, len(v), err)
		}
	}
	if n, err := direct.Exists(ctx, "bad").Result(); err != nil || n != 0 {
		t.Errorf("EXISTS bad = %d, %v; want 0 (every MULTI that set it failed)", n, err)
	}
}
