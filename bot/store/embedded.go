package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nalgeon/redka/redsrv"
	"github.com/redis/go-redis/v9"
)

// Files inside the data directory.
const (
	lockFile   = "LOCK"
	dbFile     = "huzhu.db"
	socketFile = "redka.sock"
	// redkaSocketFile is redka's own socket, behind the one clients use
	// (see embeddedProxy); no longer than socketFile.
	redkaSocketFile = "db.sock"
)

// maxSocketPath is the longest unix socket path every unix accepts (sun_path
// is 104 bytes on the BSDs and macOS, 108 on Linux, both counting the NUL).
const maxSocketPath = 103

// embeddedStartTimeout bounds how long StartEmbedded waits for the server to
// listen and Close waits for it to stop.
const embeddedStartTimeout = 5 * time.Second

// ErrDataDirInUse is wrapped by StartEmbedded's error when another process
// holds the data directory's lock.
var ErrDataDirInUse = errors.New("data directory is in use by another huzhu")

// sqlitePragmas apply to every SQLite connection: modernc's driver runs each
// as a _pragma DSN parameter, where redka's own fallback sets them on one
// connection per pool only. WAL with synchronous=normal survives a killed
// process (not a power cut, which may lose the last transactions);
// busy_timeout keeps the read-only pool from failing while a write commits.
// cache_size lets each connection keep up to 64 MiB of pages (SQLite's
// default is 2 MiB): a district's whole database, read from memory instead
// of the file and decoded again; memory is taken only as pages are read.
var sqlitePragmas = map[string]string{
	"busy_timeout": "5000",
	"journal_mode": "wal",
	"synchronous":  "normal",
	"foreign_keys": "on",
	"temp_store":   "memory",
	"cache_size":   "-65536",
}

// Embedded is the redka server huzhu runs in-process when no Redis is
// configured: SQLite in a data directory, served over a unix socket inside it.
type Embedded struct {
	dir    string
	socket string
	inner  string // redka's socket
	lock   *os.File
	srv    *redsrv.Server
	ckpt   *walCheckpointer
	proxy  *embeddedProxy
	log    *slog.Logger
	served chan error   // receives what the server goroutine returned
	writes atomic.Int64 // SQLite write transactions begun

	closeOnce sync.Once
	closeErr  error
}

// StartEmbedded takes the data directory dir (created, or narrowed, to mode
// 0700; one that belongs to another account is refused), locks it against a
// second huzhu, opens dir/huzhu.db (mode 0600, as are its -wal and -shm
// files) with redka and serves it on the unix socket dir/redka.sock. It
// returns once the server accepts connections. If another process has dir
// open, the error wraps ErrDataDirInUse.
func StartEmbedded(dir string, log *slog.Logger) (*Embedded, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	socket := filepath.Join(dir, socketFile)
	if len(socket) > maxSocketPath {
		return nil, fmt.Errorf("store: data directory path %q is too long for a unix socket (%d bytes, at most %d with %q); pick a shorter one with --data DIR",
			dir, len(socket), maxSocketPath, "/"+socketFile)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	if err := checkDataDirOwner(dir); err != nil {
		return nil, err
	}
	// MkdirAll leaves an existing directory's mode alone: set it so no other
	// local user can reach the socket or the database.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: restrict data directory: %w", err)
	}

	lock, err := lockDataDir(dir)
	if err != nil {
		return nil, err
	}
	inner := filepath.Join(dir, redkaSocketFile)
	e := &Embedded{dir: dir, socket: socket, inner: inner, lock: lock, log: log, served: make(chan error, 1)}
	fail := func(err error) (*Embedded, error) {
		_ = os.Remove(socket)
		_ = os.Remove(inner)
		return nil, errors.Join(err, e.unlock())
	}

	// A socket left by a killed process would make listen fail with "address
	// already in use". The lock proves no live huzhu is serving it.
	for _, s := range []string{socket, inner} {
		if err := os.Remove(s); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fail(fmt.Errorf("store: remove stale socket: %w", err))
		}
	}

	dbPath := filepath.Join(dir, dbFile)
	if err := restrictDBFiles(dbPath, true); err != nil {
		return fail(err)
	}
	db, err := openRedka(dbPath, redkaLogger(log), &e.writes)
	if err != nil {
		return fail(fmt.Errorf("store: open %s: %w", dbPath, err))
	}
	// SQLite gives the -wal and -shm files it creates the database file's
	// mode; files left by an older huzhu may still be wider.
	if err := restrictDBFiles(dbPath, false); err != nil {
		_ = db.Close()
		return fail(err)
	}
	e.ckpt, err = startWALCheckpointer(dbPath, log.With("component", "sqlite"))
	if err != nil {
		_ = db.Close()
		return fail(fmt.Errorf("store: open %s: %w", dbPath, err))
	}

	e.srv = redsrv.New("unix", inner, db)
	ready := make(chan error, 1)
	go func() { e.served <- e.srv.Start(ready) }()
	select {
	case err = <-ready:
	case <-time.After(embeddedStartTimeout):
		err = fmt.Errorf("no answer after %v", embeddedStartTimeout)
	}
	if err != nil {
		// Stop fails with "not serving" when listen failed; the database
		// still needs closing then.
		if stopErr := e.srv.Stop(); stopErr != nil {
			_ = db.Close()
		}
		_ = e.ckpt.Close()
		return fail(fmt.Errorf("store: start embedded server on %s: %w", inner, err))
	}
	e.proxy, err = startEmbeddedProxy(socket, inner, newVolatileStore())
	if err != nil {
		return nil, errors.Join(fmt.Errorf("store: listen on %s: %w", socket, err), e.Close())
	}
	// The 0700 directory already keeps others out; this is belt and braces
	// for a directory someone widens later.
	for _, s := range []string{socket, inner} {
		if err := os.Chmod(s, 0o600); err != nil {
			return nil, errors.Join(fmt.Errorf("store: restrict socket: %w", err), e.Close())
		}
	}
	return e, nil
}

// dbFileMode is the mode of the database and its -wal and -shm files: the
// residents' records are for huzhu's account alone.
const dbFileMode fs.FileMode = 0o600

// restrictDBFiles sets the database file at path and its -wal and -shm
// files, those that exist, to dbFileMode whatever the umask, creating the
// database file first if create is set so that SQLite never creates it
// with its default 0644.
func restrictDBFiles(path string, create bool) error {
	if create {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, dbFileMode)
		if err != nil {
			return fmt.Errorf("store: create %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("store: create %s: %w", path, err)
		}
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, dbFileMode); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("store: restrict %s: %w", p, err)
		}
	}
	return nil
}

// SocketPath returns the path of the unix socket the server listens on.
func (e *Embedded) SocketPath() string {
	return e.socket
}

// Dir returns the data directory.
func (e *Embedded) Dir() string {
	return e.dir
}

// WriteTransactions returns how many write transactions SQLite has begun
// since the store started: each costs a commit, whose changed pages are
// written to the WAL.
func (e *Embedded) WriteTransactions() int64 { return e.writes.Load() }

// Close stops the server, closes the database, removes the socket and
// releases the data directory. It is safe to call more than once.
func (e *Embedded) Close() error {
	e.closeOnce.Do(func() {
		var errs []error
		if e.proxy != nil {
			if err := e.proxy.Close(); err != nil {
				errs = append(errs, fmt.Errorf("store: stop embedded proxy: %w", err))
			}
			if hits, misses := e.proxy.cache.hits.Load(), e.proxy.cache.misses.Load(); hits+misses > 0 {
				e.log.Debug("embedded store: HGETALL answers from memory", "hits", hits, "misses", misses)
			}
		}
		// Stopped first, so that the database closes last and the last
		// connection's own checkpoint empties the WAL.
		if err := e.ckpt.Close(); err != nil {
			errs = append(errs, fmt.Errorf("store: stop WAL checkpoints: %w", err))
		}
		if err := e.srv.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("store: stop embedded server: %w", err))
		}
		select {
		case err := <-e.served:
			if err != nil {
				errs = append(errs, fmt.Errorf("store: embedded server: %w", err))
			}
		case <-time.After(embeddedStartTimeout):
			errs = append(errs, fmt.Errorf("store: embedded server did not stop within %v", embeddedStartTimeout))
		}
		for _, s := range []string{e.socket, e.inner} {
			if err := os.Remove(s); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("store: remove socket: %w", err))
			}
		}
		errs = append(errs, e.unlock())
		e.closeErr = errors.Join(errs...)
	})
	return e.closeErr
}

// unlock releases the data directory lock; closing the file drops the flock.
func (e *Embedded) unlock() error {
	if e.lock == nil {
		return nil
	}
	err := e.lock.Close()
	e.lock = nil
	if err != nil {
		return fmt.Errorf("store: release data directory lock: %w", err)
	}
	return nil
}

// NewEmbeddedClient returns a go-redis client for the embedded server on
// socket. redka speaks RESP2 only and knows neither HELLO nor CLIENT SETINFO:
// Protocol 2 makes go-redis accept the error HELLO gets (go-redis v9.23 sends
// HELLO regardless), and DisableIdentity stops CLIENT SETINFO.
func NewEmbeddedClient(socket string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Network:         "unix",
		Addr:            socket,
		Protocol:        2,
		DisableIdentity: true,
	})
}

// redkaLogger returns log for redka, with component=redka and at Warn or
// above: redka logs every connection and command at Info and Debug.
func redkaLogger(log *slog.Logger) *slog.Logger {
	return slog.New(redkaHandler{log.With("component", "redka").Handler()})
}

// redkaHandler passes on Warn and above, except the warning redka logs for
// each new connection because go-redis opens it with HELLO, which redka does
// not know. The client copes with that error; logging it is only noise.
type redkaHandler struct{ next slog.Handler }

func (h redkaHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.next.Enabled(ctx, l)
}

func (h redkaHandler) Handle(ctx context.Context, r slog.Record) error {
	hello := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "name" && strings.EqualFold(a.Value.String(), "hello") {
			hello = true
			return false
		}
		return true
	})
	if hello {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h redkaHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return redkaHandler{h.next.WithAttrs(attrs)}
}

func (h redkaHandler) WithGroup(name string) slog.Handler {
	return redkaHandler{h.next.WithGroup(name)}
}
