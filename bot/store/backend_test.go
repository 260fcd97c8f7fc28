package store_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     store.Config
		wantErr string // "" for valid
	}{
		{"embedded", store.Config{}, ""},
		{"embedded with dir", store.Config{DataDir: "/var/lib/huzhu"}, ""},
		{"url", store.Config{URL: "redis://127.0.0.1:6379/0"}, ""},
		{"url tls", store.Config{URL: "rediss://:pw@redis.example:6380/1"}, ""},
		{"url unix", store.Config{URL: "unix:///run/redis.sock?db=2"}, ""},
		{"cluster", store.Config{Addrs: []string{"a:7000", "b:7000"}, Password: "pw"}, ""},
		{"sentinel", store.Config{SentinelMaster: "mymaster", SentinelAddrs: []string{"s:26379"}}, ""},

		{"url and cluster", store.Config{URL: "redis://h:6379", Addrs: []string{"a:7000"}}, "only one of REDIS_URL, REDIS_ADDRS"},
		{"cluster and sentinel", store.Config{Addrs: []string{"a:7000"}, SentinelMaster: "m", SentinelAddrs: []string{"s:1"}}, "only one of"},
		{"url and sentinel", store.Config{URL: "redis://h:6379", SentinelMaster: "m", SentinelAddrs: []string{"s:1"}}, "only one of"},
		{"bad scheme", store.Config{URL: "http://h:6379"}, "invalid URL scheme"},
		{"bad url", store.Config{URL: "redis://:s3cret@h:6379/%zz"}, "REDIS_URL"},
		{"bad db", store.Config{URL: "redis://:s3cret@h:6379/x"}, "invalid database"},
		{"unknown option", store.Config{URL: "redis://h:6379/0?nonsense=1"}, "nonsense"},
		{"url with REDIS_PASSWORD", store.Config{URL: "redis://h:6379", Password: "pw"}, "put the password in REDIS_URL"},
		{"password alone", store.Config{Password: "pw"}, "REDIS_PASSWORD is set"},
		{"sentinel without master", store.Config{SentinelAddrs: []string{"s:1"}}, "REDIS_SENTINEL_MASTER"},
		{"sentinel without addrs", store.Config{SentinelMaster: "m"}, "needs REDIS_SENTINEL_ADDRS"},
		{"empty cluster addr", store.Config{Addrs: []string{"a:7000", ""}}, "REDIS_ADDRS entry 2 is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error containing %q", tt.wantErr)
			}
			if !errors.Is(err, store.ErrConfig) {
				t.Errorf("Validate() = %v, does not wrap ErrConfig", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %q, want it to contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("Validate() = %q leaks the password", err)
			}
		})
	}
}

func TestOpenEmbeddedByDefault(t *testing.T) {
	t.Chdir(shortDir(t))
	ctx := t.Context()
	b, err := store.Open(ctx, store.Config{}, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer b.Close()
	if b.Kind != store.KindEmbedded {
		t.Errorf("Kind = %q, want %q", b.Kind, store.KindEmbedded)
	}
	if got, want := b.Describe(), "embedded store (redka/SQLite) in huzhu-data"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
	if err := b.Client.Set(ctx, "hz1:k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("huzhu-data", "huzhu.db")); err != nil {
		t.Errorf("database file: %v", err)
	}

	// One process per data directory, also through Open.
	_, err = store.Open(ctx, store.Config{}, nil)
	if !errors.Is(err, store.ErrDataDirInUse) {
		t.Errorf("second Open: err = %v, want ErrDataDirInUse", err)
	}

	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(filepath.Join("huzhu-data", "redka.sock")); err == nil {
		t.Error("socket still there after Close")
	}
}

func TestOpenRedis(t *testing.T) {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://" + storetest.StartRedisServer(t) + "/0"
	} else if _, ok := storetest.RealRedis(t); !ok {
		t.Skip("REDIS_URL is set but does not answer")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.Open(t.Context(), store.Config{URL: url}, nil)
	if err != nil {
		t.Fatalf("Open(%s): %v", opt.Addr, err)
	}
	defer b.Close()
	if b.Kind != store.KindRedis {
		t.Errorf("Kind = %q, want %q", b.Kind, store.KindRedis)
	}
	if d := b.Describe(); !strings.HasPrefix(d, "Redis at "+opt.Addr) {
		t.Errorf("Describe() = %q, want it to start with %q", d, "Redis at "+opt.Addr)
	}
}

func TestOpenRedisPassword(t *testing.T) {
	const pw = "s3cret-pw"
	addr := storetest.StartRedisServer(t, "--requirepass", pw)
	ctx := t.Context()

	b, err := store.Open(ctx, store.Config{URL: "redis://:" + pw + "@" + addr + "/2"}, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer b.Close()
	if got, want := b.Describe(), "Redis at "+addr+" (db 2)"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}

	_, err = store.Open(ctx, store.Config{URL: "redis://:wrong-" + pw + "@" + addr + "/0"}, nil)
	if err == nil {
		t.Fatal("Open with a wrong password: no error")
	}
	if !strings.Contains(err.Error(), addr) || strings.Contains(err.Error(), pw) {
		t.Errorf("error %q should name %s and not contain the password", err, addr)
	}
}

// TestOpenUnixURL connects to redka's socket with go-redis defaults (RESP3,
// CLIENT SETINFO), as a user pointing REDIS_URL at a stand-alone redka
// would: go-redis must cope with the commands redka does not know.
func TestOpenUnixURL(t *testing.T) {
	e, _ := startEmbedded(t, filepath.Join(shortDir(t), "data"))
	b, err := store.Open(t.Context(), store.Config{URL: "unix://" + e.SocketPath()}, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer b.Close()
	if got, want := b.Describe(), "Redis on unix socket "+e.SocketPath(); got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
	if err := b.Client.Set(t.Context(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestOpenCluster runs a one-node Redis Cluster that owns every slot and
// checks that a MULTI over keys sharing a hash tag works through it.
func TestOpenCluster(t *testing.T) {
	storetest.RequireRedis(t, 7) // CLUSTER ADDSLOTSRANGE, --cluster-port
	busPort := freePort(t)       // the default, port+10000, may not exist
	addr := storetest.StartRedisServer(t, "--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(busPort))
	ctx := t.Context()
	admin := redis.NewClient(&redis.Options{Addr: addr})
	defer admin.Close()
	if err := admin.Do(ctx, "cluster", "addslotsrange", 0, 16383).Err(); err != nil {
		t.Fatalf("CLUSTER ADDSLOTSRANGE: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, err := admin.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster not ok within 5s: %v\n%s", err, info)
		}
		time.Sleep(50 * time.Millisecond)
	}

	b, err := store.Open(ctx, store.Config{Addrs: []string{addr}}, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer b.Close()
	if b.Kind != store.KindCluster {
		t.Errorf("Kind = %q, want %q", b.Kind, store.KindCluster)
	}
	if got, want := b.Describe(), "Redis Cluster via "+addr; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
	if _, err := b.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "hz1:{st:1}:a", "1", 0)
		p.HSet(ctx, "hz1:{st:1}:b", "f", "v")
		return nil
	}); err != nil {
		t.Fatalf("MULTI over one hash tag: %v", err)
	}
}

// TestOpenUnreachable checks that Open fails, naming the address, when
// nothing listens there, without hanging past the caller's deadline.
func TestOpenUnreachable(t *testing.T) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t))) // closed again: nothing listens
	tests := []struct {
		name    string
		cfg     store.Config
		timeout time.Duration
	}{
		{"url", store.Config{URL: "redis://:s3cret@" + addr + "/0?dial_timeout=200ms&max_retries=-1"}, 5 * time.Second},
		{"cluster", store.Config{Addrs: []string{addr}, Password: "s3cret"}, time.Second},
		{"sentinel", store.Config{SentinelMaster: "mymaster", SentinelAddrs: []string{addr}, Password: "s3cret"}, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), tt.timeout)
			defer cancel()
			start := time.Now()
			b, err := store.Open(ctx, tt.cfg, nil)
			if err == nil {
				b.Close()
				t.Fatal("Open: no error")
			}
			// Only a hang is a failure here: how long a refused dial
			// takes depends on the machine's load, so the time is logged,
			// not asserted against the deadline.
			took := time.Since(start)
			t.Logf("failed after %v: %v", took, err)
			if took > 30*time.Second {
				t.Errorf("Open hung for %v", took)
			}
			if !strings.Contains(err.Error(), "cannot reach") || !strings.Contains(err.Error(), addr) {
				t.Errorf("error %q should say it cannot reach %s", err, addr)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q leaks the password", err)
			}
		})
	}
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestRedisOnThisMachine(t *testing.T) {
	for _, tc := range []struct {
		cfg  store.Config
		want bool
	}{
		{store.Config{}, false}, // the embedded store runs inside huzhu
		{store.Config{URL: "redis://127.0.0.1:6379/0"}, true},
		{store.Config{URL: "redis://localhost"}, true},
		{store.Config{URL: "redis://user:pw@[::1]:6380"}, true},
		{store.Config{URL: "unix:///run/redis.sock"}, true},
		{store.Config{URL: "redis://10.0.0.5:6379"}, false},
		{store.Config{URL: "rediss://redis.example.org:6380"}, false},
		{store.Config{URL: "::not a url"}, false},
		{store.Config{Addrs: []string{"127.0.0.1:7000", " 127.0.0.1:7001"}}, true},
		{store.Config{Addrs: []string{"127.0.0.1:7000", "10.0.0.6:7001"}}, false},
		{store.Config{SentinelMaster: "m", SentinelAddrs: []string{"localhost:26379"}}, true},
		{store.Config{SentinelMaster: "m", SentinelAddrs: []string{"sentinel-a:26379"}}, false},
	} {
		if got := tc.cfg.RedisOnThisMachine(); got != tc.want {
			t.Errorf("%+v: RedisOnThisMachine() = %v, want %v", tc.cfg, got, tc.want)
		}
	}
}
