//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// lockDataDir takes an exclusive, non-blocking flock on dir/LOCK and returns
// the open file that holds it; closing the file releases it, and so does the
// kernel when the process dies, so a kill -9 never leaves a stale lock. The
// file keeps the holder's pid for the error the next huzhu reports.
func lockDataDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: open lock file: %w", err)
	}
	if err := flock(f); err != nil {
		_ = f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: another huzhu%s is running on %s; stop it, or start this one on another directory with --data DIR",
				ErrDataDirInUse, holder(path), dir)
		}
		return nil, fmt.Errorf("store: lock %s: %w", path, err)
	}
	// The pid is informational only; failing to record it is no reason to
	// refuse to start.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

// flock retries the lock when a signal interrupts it.
func flock(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// holder returns " (pid N)" naming the process recorded in the lock file, or
// "" when it cannot be read.
func holder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return ""
	}
	return fmt.Sprintf(" (pid %d)", pid)
}
