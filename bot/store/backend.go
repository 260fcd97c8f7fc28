package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultDataDir is the directory the embedded store uses when Config.DataDir
// is empty.
const DefaultDataDir = "huzhu-data"

// Kinds of Backend, as reported in Backend.Kind.
const (
	KindEmbedded = "embedded" // redka on SQLite, started in-process
	KindRedis    = "redis"    // one Redis server (REDIS_URL)
	KindCluster  = "cluster"  // Redis Cluster (REDIS_ADDRS)
	KindSentinel = "sentinel" // Redis behind Sentinel (REDIS_SENTINEL_MASTER)
)

// pingTimeout bounds the connection check in Open when ctx has no earlier
// deadline, so a black-holed address fails start-up instead of hanging it.
const pingTimeout = 10 * time.Second

// clusterReloadInterval is how often a Cluster client reads the slot map
// again while it is in use. A master that dies answers no MOVED, so the
// client finds the replica that took its slots over only at a reload;
// go-redis's default of a minute would keep a failed-over slot unavailable
// that long. The read is one CLUSTER SLOTS in the background.
const clusterReloadInterval = time.Second

// ErrConfig is wrapped by every error Config.Validate returns.
var ErrConfig = errors.New("store: invalid configuration")

// Config says which Redis huzhu talks to. Exactly one of URL, Addrs (cluster),
// or SentinelMaster+SentinelAddrs may be set; with none, the embedded store
// runs in DataDir.
type Config struct {
	URL            string   // REDIS_URL: redis://, rediss://, unix:// (parsed with redis.ParseURL)
	Addrs          []string // REDIS_ADDRS: cluster seed nodes
	SentinelMaster string   // REDIS_SENTINEL_MASTER
	SentinelAddrs  []string // REDIS_SENTINEL_ADDRS
	Password       string   // REDIS_PASSWORD for cluster/sentinel data nodes (URL carries its own)
	DataDir        string   // embedded store directory, default "huzhu-data"
	// WaitReplicas (REDIS_WAIT_REPLICAS) is how many replicas a write that
	// acknowledges something to a resident waits for (see Wait); nil takes
	// the default: 1 on Sentinel and Cluster, 0 (no WAIT) on a single Redis.
	// The embedded store never waits.
	WaitReplicas *int
	// WaitTimeout (REDIS_WAIT_TIMEOUT) bounds that wait; 0 means
	// DefaultWaitTimeout.
	WaitTimeout time.Duration
}

// Validate reports whether c names at most one Redis and names it well. Its
// errors wrap ErrConfig and never contain a password.
func (c Config) Validate() error {
	var modes []string
	if c.URL != "" {
		modes = append(modes, "REDIS_URL")
	}
	if len(c.Addrs) > 0 {
		modes = append(modes, "REDIS_ADDRS")
	}
	if c.SentinelMaster != "" || len(c.SentinelAddrs) > 0 {
		modes = append(modes, "REDIS_SENTINEL_MASTER/REDIS_SENTINEL_ADDRS")
	}
	if len(modes) > 1 {
		return fmt.Errorf("%w: set only one of %s", ErrConfig, strings.Join(modes, ", "))
	}
	if c.URL != "" {
		if _, err := redis.ParseURL(c.URL); err != nil {
			return fmt.Errorf("%w: REDIS_URL %s: %s", ErrConfig, redactURL(c.URL), urlErrorText(err))
		}
		if c.Password != "" {
			return fmt.Errorf("%w: REDIS_PASSWORD is for REDIS_ADDRS and Sentinel; put the password in REDIS_URL (redis://:PASSWORD@host:port/0)", ErrConfig)
		}
	}
	if err := checkAddrs("REDIS_ADDRS", c.Addrs); err != nil {
		return err
	}
	if c.SentinelMaster != "" || len(c.SentinelAddrs) > 0 {
		if c.SentinelMaster == "" {
			return fmt.Errorf("%w: REDIS_SENTINEL_ADDRS is set but REDIS_SENTINEL_MASTER (the master name) is not", ErrConfig)
		}
		if len(c.SentinelAddrs) == 0 {
			return fmt.Errorf("%w: REDIS_SENTINEL_MASTER %q needs REDIS_SENTINEL_ADDRS (host:port of the sentinels)", ErrConfig, c.SentinelMaster)
		}
		if err := checkAddrs("REDIS_SENTINEL_ADDRS", c.SentinelAddrs); err != nil {
			return err
		}
	}
	if c.WaitReplicas != nil && *c.WaitReplicas < 0 {
		return fmt.Errorf("%w: REDIS_WAIT_REPLICAS is %d; it counts replicas, 0 for none", ErrConfig, *c.WaitReplicas)
	}
	if c.WaitTimeout < 0 {
		return fmt.Errorf("%w: REDIS_WAIT_TIMEOUT is negative", ErrConfig)
	}
	if c.Password != "" && len(c.Addrs) == 0 && c.SentinelMaster == "" {
		return fmt.Errorf("%w: REDIS_PASSWORD is set but neither REDIS_ADDRS nor REDIS_SENTINEL_MASTER is", ErrConfig)
	}
	return nil
}

// checkAddrs rejects empty entries, which a trailing comma in an environment
// variable easily produces.
func checkAddrs(name string, addrs []string) error {
	for i, a := range addrs {
		if strings.TrimSpace(a) == "" {
			return fmt.Errorf("%w: %s entry %d is empty", ErrConfig, name, i+1)
		}
	}
	return nil
}

// RedisOnThisMachine reports whether every Redis server c names is reached
// over loopback or a Unix socket, so that it shares this machine's cores
// with huzhu. It is false for the embedded store, which runs inside huzhu,
// and for a configuration that does not parse.
func (c Config) RedisOnThisMachine() bool {
	var addrs []string
	switch {
	case c.URL != "":
		opt, err := redis.ParseURL(c.URL)
		if err != nil {
			return false
		}
		if opt.Network == "unix" {
			return true
		}
		addrs = []string{opt.Addr}
	case len(c.Addrs) > 0:
		addrs = c.Addrs
	case len(c.SentinelAddrs) > 0:
		addrs = c.SentinelAddrs
	default:
		return false
	}
	for _, a := range addrs {
		if !isLoopback(strings.TrimSpace(a)) {
			return false
		}
	}
	return true
}

// isLoopback reports whether the host of addr (host:port) is localhost or a
// loopback IP address.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Backend is an open connection to the store's Redis, embedded or not.
type Backend struct {
	// Client is the one go-redis client all of package store goes through.
	Client redis.UniversalClient
	// Kind is one of KindEmbedded, KindRedis, KindCluster or KindSentinel.
	Kind string
	// Wait is how acknowledged writes wait for replicas on this backend:
	// Config's setting over the kind's default. Give it to New with
	// WithWait.
	Wait Wait

	desc string
	emb  *Embedded // nil unless Kind is KindEmbedded
}

// resp is the protocol huzhu speaks to Redis: RESP2. huzhu uses nothing
// of RESP3's (push messages, client-side caching), and with RESP3 go-redis
// looks for push messages around every round trip: RESP2 served the mix of
// `huzhu bench mix` about 5% faster, for less CPU per message.
const resp = 2

// Open connects to the Redis cfg names, or starts the embedded store in
// cfg.DataDir when it names none, and checks the connection with a PING. Its
// errors name the address (never a password). log may be nil; the embedded
// server logs through it with component=redka.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Backend{}
	switch {
	case cfg.URL != "":
		opt, err := redis.ParseURL(cfg.URL)
		if err != nil { // Validate parsed it already; kept for safety.
			return nil, fmt.Errorf("%w: REDIS_URL %s: %s", ErrConfig, redactURL(cfg.URL), urlErrorText(err))
		}
		if opt.Protocol == 0 { // not set in the URL (?protocol=3)
			opt.Protocol = resp
		}
		b.Client = redis.NewClient(opt)
		b.Kind = KindRedis
		b.desc = describeOptions(opt)
	case len(cfg.Addrs) > 0:
		b.Client = redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:                      cfg.Addrs,
			Password:                   cfg.Password,
			Protocol:                   resp,
			ClusterStateReloadInterval: clusterReloadInterval,
		})
		b.Kind = KindCluster
		b.desc = "Redis Cluster via " + strings.Join(cfg.Addrs, ", ")
	case cfg.SentinelMaster != "":
		// Password authenticates to the master and replicas only: sentinels
		// are usually run without one, and AUTH to a sentinel that has none
		// fails the connection.
		b.Client = redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName:    cfg.SentinelMaster,
			SentinelAddrs: cfg.SentinelAddrs,
			Password:      cfg.Password,
			Protocol:      resp,
		})
		b.Kind = KindSentinel
		b.desc = fmt.Sprintf("Redis master %q via Sentinel at %s", cfg.SentinelMaster, strings.Join(cfg.SentinelAddrs, ", "))
	default:
		dir := cfg.DataDir
		if dir == "" {
			dir = DefaultDataDir
		}
		emb, err := StartEmbedded(dir, log)
		if err != nil {
			return nil, err
		}
		b.emb = emb
		b.Client = NewEmbeddedClient(emb.SocketPath())
		b.Kind = KindEmbedded
		b.desc = "embedded store (redka/SQLite) in " + dir
	}

	b.Wait = resolveWait(cfg, b.Kind)

	pingCtx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := b.Client.Ping(pingCtx).Err(); err != nil {
		closeErr := b.Close()
		return nil, errors.Join(fmt.Errorf("store: cannot reach %s: %w", b.desc, err), closeErr)
	}
	return b, nil
}

// Describe returns one line for start-up logs saying which store is in use,
// such as "embedded store (redka/SQLite) in huzhu-data" or
// "Redis at 127.0.0.1:6379". It never contains a password.
func (b *Backend) Describe() string {
	return b.desc
}

// StoreOptions returns the options a Store on this backend's client
// should have: serial commits on the embedded store (WithSerialCommits).
func (b *Backend) StoreOptions() []Option {
	if b.emb != nil {
		return []Option{WithSerialCommits()}
	}
	return nil
}

// EmbeddedWriteTransactions returns the embedded store's count of SQLite
// write transactions (see Embedded.WriteTransactions), and false for any
// other store.
func (b *Backend) EmbeddedWriteTransactions() (int64, bool) {
	if b.emb == nil {
		return 0, false
	}
	return b.emb.WriteTransactions(), true
}

// Close closes the client and then, for the embedded store, stops the server,
// closes the database and releases the data directory.
func (b *Backend) Close() error {
	var errs []error
	if b.Client != nil {
		if err := b.Client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
			errs = append(errs, fmt.Errorf("store: close client: %w", err))
		}
	}
	if b.emb != nil {
		if err := b.emb.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// describeOptions says where a single-server client connects, without the
// password.
func describeOptions(opt *redis.Options) string {
	var s string
	if opt.Network == "unix" {
		s = "Redis on unix socket " + opt.Addr
	} else {
		s = "Redis at " + opt.Addr
	}
	var extra []string
	if opt.DB != 0 {
		extra = append(extra, fmt.Sprintf("db %d", opt.DB))
	}
	if opt.TLSConfig != nil {
		extra = append(extra, "TLS")
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

// redactURL returns raw with any password replaced, for error messages. A URL
// too broken to parse is not echoed at all, since the password could be
// anywhere in it.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return fmt.Sprintf("%q", u.Redacted())
}

// urlErrorText returns err's text without the URL that *url.Error embeds,
// which would leak the password.
func urlErrorText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
