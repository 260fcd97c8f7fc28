package store

import (
	"cmp"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestEmbeddedRankRangeByIndex checks that ZRANGE and ZREVRANGE by rank on
// the embedded store go through the rewritten query (redka still sends the
// text rankRangeQueries knows) and return what Redis would: members ordered
// by score, then by member, ties included, for ranges inside, across and
// beyond the end of the set.
func TestEmbeddedRankRangeByIndex(t *testing.T) {
	ctx := t.Context()
	dir, err := os.MkdirTemp("", "hz")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	e, err := StartEmbedded(filepath.Join(dir, "data"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := NewEmbeddedClient(e.SocketPath())
	t.Cleanup(func() {
		_ = c.Close()
		_ = e.Close()
	})

	const key = "hz1:{st:1}:ranked"
	var members []redis.Z
	for i := range 30 {
		// Scores repeat, so the member decides the order among equals.
		members = append(members, redis.Z{Score: float64(i % 7), Member: fmt.Sprintf("m%02d", (i*11)%30)})
	}
	if err := c.ZAdd(ctx, key, members...).Err(); err != nil {
		t.Fatal(err)
	}
	asc := slices.Clone(members)
	slices.SortFunc(asc, func(a, b redis.Z) int {
		return cmp.Or(cmp.Compare(a.Score, b.Score), cmp.Compare(a.Member.(string), b.Member.(string)))
	})
	desc := slices.Clone(asc)
	slices.Reverse(desc)
	want := func(sorted []redis.Z, start, stop int) []string {
		out := []string{}
		for i := start; i <= min(stop, len(sorted)-1); i++ {
			out = append(out, sorted[i].Member.(string))
		}
		return out
	}

	ranges := [][2]int{{0, 0}, {0, 9}, {5, 14}, {0, 29}, {25, 40}, {30, 35}, {7, 3}}
	for _, rev := range []bool{false, true} {
		before := rankRangeRewrites.Load()
		for _, r := range ranges {
			read, sorted, name := c.ZRange, asc, "ZRANGE"
			if rev {
				read, sorted, name = c.ZRevRange, desc, "ZREVRANGE"
			}
			got, err := read(ctx, key, int64(r[0]), int64(r[1])).Result()
			if err != nil || !slices.Equal(got, want(sorted, r[0], r[1])) {
				t.Errorf("%s %d %d = %v, %v; want %v", name, r[0], r[1], got, err, want(sorted, r[0], r[1]))
			}
		}
		// The rewrite happens when a connection compiles the query.
		if rankRangeRewrites.Load() == before {
			t.Errorf("rev=%v: not rewritten: redka's query is no longer the one rankRangeQueries knows", rev)
		}
	}
}

// TestCachedStatementUsedTwiceAtOnce runs a query while rows of the same
// query are still open on the same connection: the second use gets a
// statement of its own, and both read every row.
func TestCachedStatementUsedTwiceAtOnce(t *testing.T) {
	ctx := t.Context()
	db, err := openSQLite(sqliteDSN(filepath.Join(t.TempDir(), "t.db"), false), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "create table t (x integer); insert into t values (1), (2), (3)"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	const q = "select x from t where x >= $1 order by x"
	readAll := func() []int {
		rows, err := tx.QueryContext(ctx, q, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var xs []int
		for rows.Next() {
			var x int
			if err := rows.Scan(&x); err != nil {
				t.Fatal(err)
			}
			xs = append(xs, x)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return xs
	}
	outer, err := tx.QueryContext(ctx, q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for outer.Next() {
		var x int
		if err := outer.Scan(&x); err != nil {
			t.Fatal(err)
		}
		got = append(got, x)
		if inner := readAll(); !slices.Equal(inner, []int{1, 2, 3}) {
			t.Fatalf("inner read = %v, want [1 2 3]", inner)
		}
	}
	if err := outer.Close(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("outer read = %v, want [1 2 3]", got)
	}
	if again := readAll(); !slices.Equal(again, []int{1, 2, 3}) {
		t.Fatalf("read on the kept statement = %v, want [1 2 3]", again)
	}
}

// fakeStmt stands for a prepared statement the cache only holds.
type fakeStmt struct{ driver.Stmt }

// TestStmtCacheDropsLeastRecentlyUsed checks the cache keeps at most max
// statements, gives back the least recently used one to close, and hands a
// statement out only once.
func TestStmtCacheDropsLeastRecentlyUsed(t *testing.T) {
	c := newStmtCache(2)
	kept := func(q string) *keptStmt { return &keptStmt{query: q, stmt: &fakeStmt{}} }
	a, b, d := kept("a"), kept("b"), kept("d")
	if drop := c.put(a); len(drop) != 0 {
		t.Fatalf("put a dropped %v", drop)
	}
	c.put(b)
	if got := c.take("a"); got != a {
		t.Fatalf("take a = %v, want a", got)
	}
	if got := c.take("a"); got != nil {
		t.Fatalf("a handed out twice")
	}
	c.put(a) // a is now the most recently used
	if drop := c.put(d); len(drop) != 1 || drop[0] != b {
		t.Fatalf("put d dropped %v, want b", drop)
	}
	again := kept("d")
	if drop := c.put(again); len(drop) != 1 || drop[0] != d {
		t.Fatalf("second d dropped %v, want the first d", drop)
	}
	if all := c.drain(); len(all) != 2 || c.take("a") != nil {
		t.Fatalf("drain = %d statements, cache still holds a: %v", len(all), c.take("a"))
	}
}

// TestWALCheckpointerCopiesWrites checks that the read-write connection
// leaves its commits in the WAL and the checkpointer copies them all into
// the database file.
func TestWALCheckpointerCopiesWrites(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := openSQLite(sqliteDSN(path, false), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "create table t (x integer)"); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if _, err := db.ExecContext(ctx, "insert into t values ($1)", i); err != nil {
			t.Fatal(err)
		}
	}
	c, err := startWALCheckpointer(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	frames, copied, err := c.checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	if frames == 0 || copied != frames {
		t.Fatalf("checkpoint: %d of %d WAL pages copied; want all of them, and some", copied, frames)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
