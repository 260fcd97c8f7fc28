package store

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/nalgeon/redka"
	"modernc.org/sqlite"
)

// How the embedded store talks to SQLite. redka runs every command as SQL
// text through database/sql, and modernc's driver compiles the text afresh
// on every call: compiling, not running, took about 40% of the embedded
// store's CPU. openRedka hands redka connection pools whose connections keep
// what they compiled (stmtCache), and answers redka's ZRANGE and ZREVRANGE by
// rank with a query that reads only the asked-for range (rankRangeQueries).

// stmtCacheSize bounds the statements each SQLite connection keeps compiled.
// redka v1.0.1 has about a hundred distinct statements; commands with a list
// of members (ZREM a b c) make one more per list length.
const stmtCacheSize = 256

// openRedka opens the redka database at path (a file) on modernc's driver,
// with sqlitePragmas on every connection: one read-write connection, whose
// transactions begin IMMEDIATE, and a pool of read-only ones, as redka.Open
// would make them, but with each connection's statements kept compiled.
// writes counts the transactions begun on the read-write connection.
func openRedka(path string, log *slog.Logger, writes *atomic.Int64) (*redka.DB, error) {
	rw, err := openSQLite(sqliteDSN(path, false), writes)
	if err != nil {
		return nil, err
	}
	ro, err := openSQLite(sqliteDSN(path, true), nil)
	if err != nil {
		return nil, errors.Join(err, rw.Close())
	}
	db, err := redka.OpenDB(rw, ro, &redka.Options{
		DriverName: "sqlite",
		Pragma:     sqlitePragmas,
		Logger:     log,
	})
	if err != nil {
		return nil, errors.Join(err, rw.Close(), ro.Close())
	}
	return db, nil
}

// sqliteDSN is the data source redka.Open builds for path (see redka's
// internal/sqlx sqliteDataSource): a file: URI with every pragma of
// sqlitePragmas, read-only or with IMMEDIATE transactions (and checkpoints
// left to walCheckpointer).
func sqliteDSN(path string, readOnly bool) string {
	params := url.Values{}
	params.Set("_mutex", "no") // database/sql never shares a connection
	for name, val := range sqlitePragmas {
		params.Add("_pragma", name+"="+val)
	}
	if readOnly {
		params.Set("mode", "ro")
	} else {
		params.Set("_txlock", "immediate")
		// Checkpoints are walCheckpointer's.
		params.Add("_pragma", "wal_autocheckpoint="+strconv.Itoa(walBackstopPages))
	}
	return "file:" + path + "?" + params.Encode()
}

// openSQLite returns a pool on dsn whose connections keep their statements
// compiled and count the transactions they begin in begun, unless nil.
func openSQLite(dsn string, begun *atomic.Int64) (*sql.DB, error) {
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(cachingConnector{Connector: base, begun: begun}), nil
}

// cachingConnector opens modernc connections wrapped in a cachingConn.
type cachingConnector struct {
	driver.Connector
	begun *atomic.Int64
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	cc, err := newCachingConn(conn)
	if err != nil {
		return nil, err
	}
	cc.begun = c.begun
	return cc, nil
}

// modernConn is what a modernc connection offers and cachingConn relies on.
type modernConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is a modernc connection that runs each single statement
// through a prepared statement it keeps for the next call with the same
// text, instead of compiling the text every time. database/sql uses a
// connection from one goroutine at a time, so it needs no lock.
type cachingConn struct {
	modernConn
	stmts *stmtCache
	begun *atomic.Int64 // nil: not counted
}

func newCachingConn(conn driver.Conn) (*cachingConn, error) {
	mc, ok := conn.(modernConn)
	if !ok {
		_ = conn.Close()
		return nil, errors.New("store: the SQLite driver's connection lacks the context methods")
	}
	return &cachingConn{modernConn: mc, stmts: newStmtCache(stmtCacheSize)}, nil
}

// BeginTx begins a transaction on the modernc connection, counted.
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.begun != nil {
		c.begun.Add(1)
	}
	return c.modernConn.BeginTx(ctx, opts)
}

// Unwrap returns the modernc connection, for the driver's own helpers.
func (c *cachingConn) Unwrap() driver.Conn { return c.modernConn }

// ExecContext runs query on the statement kept for it.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.take(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.modernConn.ExecContext(ctx, query, args)
	}
	res, err := s.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
	c.give(s, err)
	return res, err
}

// QueryContext runs query on the statement kept for it; the statement is
// kept again once the rows are closed.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.take(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.modernConn.QueryContext(ctx, rewriteQuery(query), args)
	}
	rows, err := s.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		c.give(s, err)
		return nil, err
	}
	return &cachedRows{Rows: rows, conn: c, stmt: s}, nil
}

// take returns query's statement, compiled now if none is kept, and no
// longer kept while the caller runs it. It returns nil for a script of
// several statements (redka's schema, its pragmas), which modernc runs a
// statement at a time and cannot keep.
func (c *cachingConn) take(ctx context.Context, query string) (*keptStmt, error) {
	if s := c.stmts.take(query); s != nil {
		return s, nil
	}
	if strings.Contains(query, ";") {
		return nil, nil
	}
	st, err := c.PrepareContext(ctx, rewriteQuery(query))
	if err != nil {
		return nil, err
	}
	return &keptStmt{query: query, stmt: st}, nil
}

// give keeps s for the next call with its text, unless running it failed:
// a failed statement is closed rather than trusted again.
func (c *cachingConn) give(s *keptStmt, runErr error) {
	if runErr != nil {
		_ = s.stmt.Close()
		return
	}
	for _, old := range c.stmts.put(s) {
		_ = old.stmt.Close()
	}
}

// Close closes the kept statements, then the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for _, s := range c.stmts.drain() {
		errs = append(errs, s.stmt.Close())
	}
	return errors.Join(append(errs, c.modernConn.Close())...)
}

// cachedRows are rows of a kept statement, which is kept again on Close.
type cachedRows struct {
	driver.Rows
	conn *cachingConn
	stmt *keptStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.conn.give(r.stmt, err)
	return err
}

// keptStmt is a prepared statement and the text it was asked for by (which
// a rewrite may have changed before it was prepared).
type keptStmt struct {
	query string
	stmt  driver.Stmt
	elem  *list.Element
}

// stmtCache keeps up to max idle statements by text, dropping the least
// recently used. A statement in use is not in it, so two uses of one text
// at once (rows still open when it is asked for again) get two statements.
type stmtCache struct {
	max     int
	byQuery map[string]*keptStmt
	recent  *list.List // of *keptStmt, most recently used first
}

func newStmtCache(max int) *stmtCache {
	return &stmtCache{max: max, byQuery: make(map[string]*keptStmt), recent: list.New()}
}

// take removes and returns the statement kept for query, or nil.
func (c *stmtCache) take(query string) *keptStmt {
	s := c.byQuery[query]
	if s == nil {
		return nil
	}
	delete(c.byQuery, query)
	c.recent.Remove(s.elem)
	s.elem = nil
	return s
}

// put keeps s and returns the statements the caller must close: one kept
// for the same text meanwhile, or the least recently used beyond max.
func (c *stmtCache) put(s *keptStmt) (drop []*keptStmt) {
	if old := c.take(s.query); old != nil {
		drop = append(drop, old)
	}
	c.byQuery[s.query] = s
	s.elem = c.recent.PushFront(s)
	for c.recent.Len() > c.max {
		last := c.recent.Back().Value.(*keptStmt)
		drop = append(drop, c.take(last.query))
	}
	return drop
}

// drain empties the cache and returns what it kept.
func (c *stmtCache) drain() []*keptStmt {
	var all []*keptStmt
	for _, s := range c.byQuery {
		all = append(all, s)
	}
	clear(c.byQuery)
	c.recent.Init()
	return all
}

// redka v1.0.1 reads ZRANGE and ZREVRANGE by rank (rzset's rangeRank query)
// by numbering every member of the set with a window function and keeping
// the ranks asked for: a page of the newest 10 of 10,000 problems numbered
// all 10,000, 30 times slower than at 100. rankRangeQueries maps that query,
// in both directions (redka turns every "asc" into "desc" for ZREVRANGE), to
// one returning the same rows in the same order that walks redka's
// rzset_score_idx (kid, score, elem) and stops after the range. Start and
// stop ($3, $4) are never negative here: redka answers those without SQL.
var rankRangeQueries = func() map[string]string {
	const redkaRangeRank = `
	with ranked as (
		select elem, score, (row_number() over w - 1) as rank
		from rzset join rkey on kid = rkey.id and type = 5
		where key = $1 and (etime is null or etime > $2)
		window w as (partition by kid order by score asc, elem asc)
	)
	select elem, score
	from ranked
	where rank between $3 and $4
	order by rank, elem asc`
	const byIndex = `
	select elem, score
	from rzset join rkey on kid = rkey.id and type = 5
	where key = $1 and (etime is null or etime > $2)
	order by score asc, elem asc
	limit max($4 - $3 + 1, 0) offset $3`
	desc := func(q string) string { return strings.ReplaceAll(q, "asc", "desc") }
	return map[string]string{
		normalizeSQL(redkaRangeRank):       byIndex,
		normalizeSQL(desc(redkaRangeRank)): desc(byIndex),
	}
}()

// rankRangeRewrites counts the queries rewriteQuery changed (once per
// connection that compiles one), for the test that checks redka still sends
// the text rankRangeQueries knows.
var rankRangeRewrites atomic.Int64

// rewriteQuery returns the query to run for query: its rankRangeQueries
// replacement, or query itself.
func rewriteQuery(query string) string {
	if !strings.Contains(query, "row_number()") {
		return query
	}
	if q, ok := rankRangeQueries[normalizeSQL(query)]; ok {
		rankRangeRewrites.Add(1)
		return q
	}
	return query
}

// normalizeSQL returns q with each run of white space made one space, so
// queries compare whatever their indentation.
func normalizeSQL(q string) string {
	return strings.Join(strings.Fields(q), " ")
}
