package store_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huzhu-station/huzhu/bot/store"
)

// shortDir returns a new empty directory with a short path: unix socket
// paths are limited to about 100 bytes, and t.TempDir() grows with the
// test's name. The data directory itself is left for StartEmbedded to create.
func shortDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hz")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// startEmbedded starts the embedded store in dir and returns a client for
// it; both are closed when the test ends unless closed before.
func startEmbedded(t *testing.T, dir string) (*store.Embedded, *redis.Client) {
	t.Helper()
	e, err := store.StartEmbedded(dir, nil)
	if err != nil {
		t.Fatalf("StartEmbedded(%s): %v", dir, err)
	}
	c := store.NewEmbeddedClient(e.SocketPath())
	t.Cleanup(func() {
		_ = c.Close()
		_ = e.Close()
	})
	return e, c
}

func TestEmbeddedDurableAcrossRestart(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(shortDir(t), "data")

	e, c := startEmbedded(t, dir)
	if err := c.Set(ctx, "hz1:k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.HSet(ctx, "hz1:{st:1}:issue:1", "state", "open", "pledged", 250).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ZAdd(ctx, "hz1:{st:1}:due", redis.Z{Score: 42, Member: "1"}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := os.Stat(e.SocketPath()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("socket after Close: stat err = %v, want not exist", err)
	}

	_, c = startEmbedded(t, dir)
	if got, err := c.Get(ctx, "hz1:k").Result(); err != nil || got != "v" {
		t.Fatalf("GET after restart = %q, %v; want v", got, err)
	}
	if got, err := c.HGet(ctx, "hz1:{st:1}:issue:1", "pledged").Result(); err != nil || got != "250" {
		t.Fatalf("HGET after restart = %q, %v; want 250", got, err)
	}
	if got, err := c.ZScore(ctx, "hz1:{st:1}:due", "1").Result(); err != nil || got != 42 {
		t.Fatalf("ZSCORE after restart = %v, %v; want 42", got, err)
	}
}

func TestEmbeddedDataDirInUse(t *testing.T) {
	dir := filepath.Join(shortDir(t), "data")
	first, _ := startEmbedded(t, dir)

	// flock belongs to the open file description, so a second open in the
	// same process conflicts just as another process would.
	_, err := store.StartEmbedded(dir, nil)
	if !errors.Is(err, store.ErrDataDirInUse) {
		t.Fatalf("second StartEmbedded: err = %v, want ErrDataDirInUse", err)
	}
	for _, want := range []string{dir, "--data", fmt.Sprintf("pid %d", os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// The refused start must not have touched the running server's socket.
	if _, err := os.Stat(first.SocketPath()); err != nil {
		t.Fatalf("first server's socket: %v", err)
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	startEmbedded(t, dir) // free again
}

func TestEmbeddedPermissionsAndStaleSocket(t *testing.T) {
	dir := filepath.Join(shortDir(t), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// What a killed process leaves behind (a regular file stands in for the
	// socket; Remove treats both alike).
	if err := os.WriteFile(filepath.Join(dir, "redka.sock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	e, c := startEmbedded(t, dir)
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("PING: %v", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("data directory mode = %v, want 0700", perm)
	}
	fi, err = os.Stat(e.SocketPath())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		t.Errorf("%s is %v, want a socket", e.SocketPath(), fi.Mode().Type())
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("socket mode = %v, want 0600", perm)
	}
}

func TestEmbeddedDatabaseFilesAreOwnerOnly(t *testing.T) {
	// A wide umask must not widen the files, nor must files left wider by
	// an older huzhu stay so.
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	dir := filepath.Join(shortDir(t), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "huzhu.db")
	e, c := startEmbedded(t, dir)
	if err := c.Set(t.Context(), "hz1:k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	checkModes := func(when string) {
		t.Helper()
		for _, p := range []string{db, db + "-wal", db + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Errorf("%s: %s mode = %v, want 0600", when, filepath.Base(p), perm)
			}
		}
	}
	checkModes("new store")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	// Closing removes the -wal and -shm files; an older huzhu killed while
	// running leaves them behind.
	for _, p := range []string{db + "-wal", db + "-shm"} {
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, c = startEmbedded(t, dir)
	if got, err := c.Get(t.Context(), "hz1:k").Result(); err != nil || got != "v" {
		t.Fatalf("GET after restart = %q, %v; want v", got, err)
	}
	checkModes("files left 0644")
}

func TestEmbeddedRefusesAnotherAccountsDirectory(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("making a directory that belongs to another account needs root")
	}
	const nobody = 65534
	dir := filepath.Join(shortDir(t), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	_, err := store.StartEmbedded(dir, nil)
	if err == nil {
		t.Fatal("StartEmbedded on another account's directory succeeded")
	}
	for _, want := range []string{dir, "another account", "uid 65534", "--data"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o755 {
		t.Errorf("refused directory's mode changed to %v", perm)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("refused directory gained %d files", len(entries))
	}

	// The same directory, given back, is accepted.
	if err := os.Chown(dir, 0, 0); err != nil {
		t.Fatal(err)
	}
	startEmbedded(t, dir)
}

func TestEmbeddedPathTooLong(t *testing.T) {
	dir := filepath.Join(shortDir(t), strings.Repeat("d", 100))
	_, err := store.StartEmbedded(dir, nil)
	if err == nil || !strings.Contains(err.Error(), "--data") {
		t.Fatalf("StartEmbedded with a long path: err = %v, want one suggesting --data", err)
	}
	if _, statErr := os.Stat(dir); !errors.Is(statErr, fs.ErrNotExist) {
		t.Errorf("StartEmbedded created %s before refusing it", dir)
	}
}

// TestEmbeddedLogs checks that redka's log reaches the given logger tagged
// component=redka, at Warn and above only, and without the warning every
// new go-redis connection would cause (redka does not know HELLO).
func TestEmbeddedLogs(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e, err := store.StartEmbedded(filepath.Join(shortDir(t), "data"), log)
	if err != nil {
		t.Fatal(err)
	}
	c := store.NewEmbeddedClient(e.SocketPath())
	ctx := t.Context()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	_ = c.Do(ctx, "getdel", "k").Err() // unknown to redka: a warning
	_ = c.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	out := buf.String()
	if !strings.Contains(out, "component=redka") || !strings.Contains(out, "name=getdel") {
		t.Errorf("log lacks the GETDEL warning:\n%s", out)
	}
	for _, noise := range []string{"name=hello", "level=INFO", "level=DEBUG"} {
		if strings.Contains(out, noise) {
			t.Errorf("log contains %q:\n%s", noise, out)
		}
	}
}

// childDirEnv tells the test binary, re-executed by TestEmbeddedSurvivesKill,
// to act as the child that writes and is then killed.
const childDirEnv = "HUZHU_STORE_TEST_CHILD_DIR"

// childKeys are what the child writes and the parent expects to find.
var childKeys = map[string]string{"hz1:a": "1", "hz1:{st:7}:b": "two"}

// TestEmbeddedChild is the child half of TestEmbeddedSurvivesKill. It opens
// the store, writes, says READY and waits to be killed.
func TestEmbeddedChild(t *testing.T) {
	dir := os.Getenv(childDirEnv)
	if dir == "" {
		t.Skip("helper process for TestEmbeddedSurvivesKill")
	}
	e, err := store.StartEmbedded(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := store.NewEmbeddedClient(e.SocketPath())
	ctx := context.Background()
	for k, v := range childKeys {
		if err := c.Set(ctx, k, v, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// The last write goes through MULTI, as the store's writes do.
	if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "hz1:{st:7}:n")
		p.HSet(ctx, "hz1:{st:7}:h", "f", "v")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	fmt.Println("READY")
	time.Sleep(time.Minute) // killed long before this ends
	t.Error("child was not killed")
}

// TestEmbeddedSurvivesKill runs the embedded store in a child process,
// kills it with SIGKILL after it has written, and checks that the writes
// survive and the directory is free again: the kernel drops the flock with
// the process, and the stale socket is removed on the next start.
func TestEmbeddedSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := filepath.Join(shortDir(t), "data")
	cmd := exec.Command(os.Args[0], "-test.run=^TestEmbeddedChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{})
	var output bytes.Buffer
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		found := false
		for sc.Scan() {
			output.WriteString(sc.Text() + "\n")
			if !found && sc.Text() == "READY" {
				found = true
				ready <- true
			}
		}
		if !found {
			ready <- false
		}
		_ = cmd.Wait() // after stdout is drained, as StdoutPipe requires
		close(waited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-waited
	})

	select {
	case ok := <-ready:
		if !ok {
			<-waited
			t.Fatalf("child exited before READY:\n%s%s", output.String(), stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("child not READY within 10s; stderr:\n%s", stderr.String())
	}

	// While the child lives, its lock holds across processes too.
	_, err = store.StartEmbedded(dir, nil)
	if !errors.Is(err, store.ErrDataDirInUse) {
		t.Fatalf("StartEmbedded while the child runs: err = %v, want ErrDataDirInUse", err)
	}
	if want := "pid " + strconv.Itoa(cmd.Process.Pid); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name the child (%s)", err, want)
	}

	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Fatal("child did not die within 5s of SIGKILL")
	}
	if _, err := os.Stat(filepath.Join(dir, "redka.sock")); err != nil {
		t.Logf("no stale socket left behind (%v); the test still checks the restart", err)
	}

	_, c := startEmbedded(t, dir)
	ctx := t.Context()
	for k, want := range childKeys {
		if got, err := c.Get(ctx, k).Result(); err != nil || got != want {
			t.Errorf("GET %s after kill -9 = %q, %v; want %q", k, got, err, want)
		}
	}
	if got, err := c.HGet(ctx, "hz1:{st:7}:h", "f").Result(); err != nil || got != "v" {
		t.Errorf("HGET from the child's MULTI after kill -9 = %q, %v; want v", got, err)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
