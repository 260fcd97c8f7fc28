package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// benchLines are the figures `huzhu bench reminders` must print, with
// batches of batch.
func benchLines(batch string) []string {
	return []string{
		"store: ",
		"enqueue with Schedule (one at a time): 1000 reminders in ",
		"enqueue with ScheduleAll (batches of " + batch + "): 1000 reminders in ",
		"memory per pending reminder: ",
		"delivery: 300 due at once, 3 instances, 2000 others pending: ",
		"delivery lag (send - due): p50 ",
		"check: 300 delivered, 0 duplicates, 0 missing, 0 unexpected; pending ones untouched: true",
		"lag outside a burst: 300 due 20ms apart, 3 instances, 2000 others pending: p50 ",
		"check: 300 delivered, 0 duplicates, 0 missing\n",
		"cleanup: ",
	}
}

// raceBatch is the --batch under -race. redka runs a MULTI in one SQLite
// transaction with a 5-second limit, and one that overruns it is never
// answered (the client waits for its read timeout); under -race on a busy
// machine a ScheduleAll of 100 (a MULTI of 300 commands) has come close to
// and past that limit.
const raceBatch = "20"

func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// runBenchCommand runs the bench with env as the whole environment and
// returns what it printed and the key prefix it used.
func runBenchCommand(t *testing.T, env map[string]string, dataDir string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	args := []string{"bench", "reminders", "--pending", "2000", "--deliver", "300", "--data", dataDir}
	batch := "100"
	if raceEnabled() {
		batch = raceBatch
		args = append(args, "--batch", batch)
	}
	if err := run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("huzhu bench: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	got := out.String()
	t.Logf("huzhu %s:\n%s", strings.Join(args, " "), got)
	for _, want := range benchLines(batch) {
		if !strings.Contains(got, "\n"+want) && !strings.HasPrefix(got, want) {
			t.Errorf("output lacks a line starting %q", want)
		}
	}
	for _, re := range []string{
		`= \d+ reminders/s`,
		`memory per pending reminder: \d+ bytes`,
		`= \d+ deliveries/s`,
		`p50 [\d.]+ ms, p99 [\d.]+ ms`,
		`cleanup: \d+ keys under bench:`,
	} {
		if !regexp.MustCompile(re).MatchString(got) {
			t.Errorf("output does not match %s", re)
		}
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Errorf("last line is not one JSON object: %v", err)
	}
	for _, field := range []string{"enqueue_per_s", "deliver_per_s", "lag_p50_ms", "lag_p99_ms", "redis_bytes_per_reminder"} {
		if v, ok := last[field].(float64); !ok || v <= 0 {
			t.Errorf("last line: %s = %v, want a figure", field, last[field])
		}
	}
	if last["duplicates"] != 0.0 || last["missing"] != 0.0 {
		t.Errorf("last line: %v duplicates, %v missing; want 0 and 0", last["duplicates"], last["missing"])
	}
	m := regexp.MustCompile(`key prefix: (bench:[0-9a-f]{12}:)`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("no key prefix in the output")
	}
	return got, m[1]
}

func TestBenchRemindersEmbedded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	// Real data in the directory, which the bench must leave alone.
	seed := func(check bool) {
		e, err := store.StartEmbedded(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		c := store.NewEmbeddedClient(e.SocketPath())
		defer func() { _ = c.Close(); _ = e.Close() }()
		ctx := context.Background()
		if !check {
			if err := c.Set(ctx, "hz1:station:1", "3号楼", 0).Err(); err != nil {
				t.Fatal(err)
			}
			return
		}
		if v, err := c.Get(ctx, "hz1:station:1").Result(); err != nil || v != "3号楼" {
			t.Errorf("real data after the bench = %q, %v", v, err)
		}
		if n, err := c.DBSize(ctx).Result(); err != nil || n != 1 {
			t.Errorf("DBSIZE after the bench = %d, %v; want 1 (the bench's keys deleted)", n, err)
		}
	}
	seed(false)
	out, _ := runBenchCommand(t, nil, dir)
	if !strings.HasPrefix(out, "store: embedded store (redka/SQLite) in "+dir+"\n") {
		t.Errorf("first line does not describe the embedded store:\n%s", out)
	}
	if !strings.Contains(out, "(huzhu.db + huzhu.db-wal grew ") {
		t.Errorf("memory not measured from the SQLite files:\n%s", out)
	}
	seed(true)
}

func TestBenchRemindersRedis(t *testing.T) {
	b, ok := storetest.RealRedis(t)
	if !ok {
		t.Skip("no real Redis: set REDIS_URL or put redis-server on PATH")
	}
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://" + b.Client.(*redis.Client).Options().Addr + "/0"
	}
	ctx := context.Background()
	real := b.Prefix + "hz1:station:1"
	if err := b.Client.Set(ctx, real, "3号楼", 0).Err(); err != nil {
		t.Fatal(err)
	}
	out, prefix := runBenchCommand(t, map[string]string{"REDIS_URL": url}, t.TempDir())
	if !strings.HasPrefix(out, "store: Redis at ") {
		t.Errorf("first line does not describe the Redis:\n%s", out)
	}
	if !strings.Contains(out, "(Redis used_memory grew ") {
		t.Errorf("memory not measured with INFO:\n%s", out)
	}
	var left int
	for cursor := uint64(0); ; {
		keys, next, err := b.Client.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			t.Fatal(err)
		}
		left += len(keys)
		if cursor = next; cursor == 0 {
			break
		}
	}
	if left > 0 {
		t.Errorf("%d keys left under %s", left, prefix)
	}
	if v, err := b.Client.Get(ctx, real).Result(); err != nil || v != "3号楼" {
		t.Errorf("other data after the bench = %q, %v", v, err)
	}
}

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench"},
		{"bench", "meetings"},
		{"bench", "reminders", "--deliver", "0"},
		{"bench", "reminders", "extra"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, io.Discard)
		if err == nil {
			t.Errorf("huzhu %q succeeded, want an error", args)
		}
		if out.Len() > 0 {
			t.Errorf("huzhu %q printed %q", args, out.String())
		}
	}
}
