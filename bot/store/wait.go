package store

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultWaitTimeout bounds how long a write that acknowledges something to
// a resident waits for its replicas (WAIT) when REDIS_WAIT_TIMEOUT is unset.
// A replica on the same network acknowledges in about a millisecond, so the
// bound matters only when one lags or is gone: then each such write is at
// most this much slower, and the resident is still answered.
const DefaultWaitTimeout = 100 * time.Millisecond

// Wait says how many replicas a write that acknowledges something to a
// resident (a pledge or payment, a vote, a problem reported or its state
// changed, a me-too) waits for with WAIT before the bot answers, and for
// how long at most. Redis replicates asynchronously: without WAIT, a
// failover can promote a replica that never received a write the bot had
// already confirmed. WAIT runs on the connection that ran the MULTI, after
// its EXEC, since it counts the replicas that have that connection's
// writes. Too few replicas within Timeout is logged as a warning; the write
// stands and the command succeeds.
type Wait struct {
	Replicas int           // 0: no WAIT
	Timeout  time.Duration // 0: DefaultWaitTimeout
}

// defaultWait is the Wait for a kind of backend when REDIS_WAIT_REPLICAS is
// unset: one replica on Sentinel and Cluster, which exist to fail over to
// one, and none on a single Redis (usually without replicas) or the
// embedded store (redka has no replication, nor WAIT).
func defaultWait(kind string) Wait {
	switch kind {
	case KindSentinel, KindCluster:
		return Wait{Replicas: 1, Timeout: DefaultWaitTimeout}
	}
	return Wait{}
}

// resolveWait applies cfg's WAIT settings to the default of kind.
func resolveWait(cfg Config, kind string) Wait {
	w := defaultWait(kind)
	if cfg.WaitReplicas != nil {
		w.Replicas = *cfg.WaitReplicas
	}
	if cfg.WaitTimeout > 0 {
		w.Timeout = cfg.WaitTimeout
	}
	if w.Timeout <= 0 {
		w.Timeout = DefaultWaitTimeout
	}
	if kind == KindEmbedded {
		w.Replicas = 0
	}
	return w
}

// WithWait makes the writes that acknowledge something to a resident wait
// for w.Replicas replicas (see Wait); log receives the warning when fewer
// answer in time. Backend.Wait is the setting Open chose.
func WithWait(w Wait, log *slog.Logger) Option {
	return func(s *Store) {
		if w.Timeout <= 0 {
			w.Timeout = DefaultWaitTimeout
		}
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		s.wait, s.log = w, log
	}
}

// Acknowledged runs fn's commands in one MULTI/EXEC, as TxPipelined does,
// and then, when the Store waits for replicas, WAIT on the same connection.
// key is one of the keys fn writes: on a Cluster it names the master that
// runs the MULTI. A MULTI the Cluster redirects (a slot that moved) was not
// run, and runs again through the Cluster client, which follows the
// redirection, without WAIT. Packages keeping records beside the store's
// on its client use it too (the scheduler's acks).
func (s *Store) Acknowledged(ctx context.Context, key string, fn func(redis.Pipeliner) error) ([]redis.Cmder, error) {
	if s.wait.Replicas <= 0 {
		return s.rdb.TxPipelined(ctx, fn)
	}
	node, err := s.masterFor(ctx, key)
	if err != nil || node == nil {
		return s.rdb.TxPipelined(ctx, fn)
	}
	conn := node.Conn()
	defer conn.Close()
	cmds, err := conn.TxPipelined(ctx, fn)
	if err != nil {
		if notRun(err) && node != s.rdb {
			return s.rdb.TxPipelined(ctx, fn)
		}
		return cmds, err
	}
	s.waitReplicas(ctx, conn, key)
	return cmds, nil
}

// masterFor returns the client of the server that holds key: the one
// server of a single or Sentinel client, the slot's master of a Cluster. It
// returns nil for a client it does not know.
func (s *Store) masterFor(ctx context.Context, key string) (*redis.Client, error) {
	switch c := s.rdb.(type) {
	case *redis.Client:
		return c, nil
	case *redis.ClusterClient:
		return c.MasterForKey(ctx, key)
	}
	return nil, nil
}

// waitReplicas sends WAIT on conn and logs a warning when fewer replicas
// than wanted have the connection's writes within the timeout, or when WAIT
// itself fails. It never fails the write, which the master has made.
func (s *Store) waitReplicas(ctx context.Context, conn *redis.Conn, key string) {
	// Do, not conn.Wait: Wait sets the read deadline to the WAIT timeout
	// itself, so a reply arriving on time would race the deadline.
	got, err := conn.Do(ctx, "wait", s.wait.Replicas, s.wait.Timeout.Milliseconds()).Int64()
	switch {
	case err != nil:
		s.log.Warn("WAIT for replicas failed; the write stands but a failover now could lose it",
			"key", key, "err", err)
	case got < int64(s.wait.Replicas):
		s.log.Warn("fewer replicas than wanted have an acknowledged write; a failover now could lose it",
			"key", key, "replicas", got, "wanted", s.wait.Replicas, "timeout", s.wait.Timeout)
	}
}

// notRun reports whether err says a MULTI was refused before any of it ran:
// a Cluster redirection or a node that could not be reached at all.
func notRun(err error) bool {
	for _, p := range []string{"MOVED ", "ASK ", "TRYAGAIN", "CLUSTERDOWN", "EXECABORT"} {
		if strings.HasPrefix(err.Error(), p) {
			return true
		}
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
