package store

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"
)

// SQLite's WAL grows with every commit until a checkpoint copies its pages
// back into the database file. By default the connection that commits runs
// the checkpoint itself, after every 1,000 pages: with one read-write
// connection, every write then waited behind copying pages and two fsyncs,
// several times a second under load. The embedded store instead checkpoints
// from a connection of its own (walCheckpointer), which runs beside the
// writer: a PASSIVE checkpoint takes no lock a writer or reader waits for.
// Durability is the same either way: a commit is in the WAL, which SQLite
// replays after a crash, whether or not a checkpoint has copied it.

// walCheckpointEvery is how often the checkpointer runs.
const walCheckpointEvery = 100 * time.Millisecond

// walBackstopPages is the wal_autocheckpoint of the read-write connection:
// far beyond what the checkpointer lets the WAL reach, so that the writer
// checkpoints only should the checkpointer fall behind.
const walBackstopPages = 20000

// walCheckpointer runs PASSIVE checkpoints on its own connection until
// closed.
type walCheckpointer struct {
	db   *sql.DB
	log  *slog.Logger
	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// startWALCheckpointer opens a connection to the database at path and
// checkpoints its WAL every walCheckpointEvery.
func startWALCheckpointer(path string, log *slog.Logger) (*walCheckpointer, error) {
	db, err := openSQLite(sqliteDSN(path, false), nil)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &walCheckpointer{db: db, log: log, stop: make(chan struct{})}
	c.wg.Go(c.run)
	return c, nil
}

func (c *walCheckpointer) run() {
	t := time.NewTicker(walCheckpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		if _, _, err := c.checkpoint(); err != nil {
			c.log.Warn("WAL checkpoint failed", "err", err)
		}
	}
}

// checkpoint copies what it can of the WAL into the database file, without
// waiting for readers or the writer, and returns the pages in the WAL and
// how many of them are copied.
func (c *walCheckpointer) checkpoint() (frames, copied int, err error) {
	var busy int
	err = c.db.QueryRowContext(context.Background(), "pragma wal_checkpoint(passive)").Scan(&busy, &frames, &copied)
	return frames, copied, err
}

// Close stops the checkpoints and closes the connection. It is safe to call
// more than once.
func (c *walCheckpointer) Close() error {
	var err error
	c.once.Do(func() {
		close(c.stop)
		c.wg.Wait()
		err = c.db.Close()
	})
	return err
}
