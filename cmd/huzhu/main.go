// Command huzhu runs the residents' mutual-aid station bot. With no
// configuration it starts the console on the embedded store, so
// `go run ./cmd/huzhu` is enough to try it.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/huzhu-station/huzhu/bot/store"
)

// gcPercent is the garbage collector's target unless GOGC is set. huzhu's
// live heap is small (tens of MiB), so Go's default of 100 runs the
// collector very often under load; 400 cut the CPU per message of
// `huzhu bench mix` by about a tenth, for a heap up to five times the live
// data instead of twice.
const gcPercent = 400

// processWide is set by main: the settings that hold for the whole process
// (GOMAXPROCS beside a Redis on the same machine) are made only there, as
// tests call run in a process of their own.
var processWide bool

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	processWide = true
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// procsBesideRedis returns how many goroutines huzhu should run at once
// (GOMAXPROCS), out of procs, when the Redis it uses is cfg's. Redis serves
// its commands on one core; when it runs on this machine, huzhu leaves it
// that core rather than contend for it. With both on every core, the
// scheduler's threads woke and spun on the core Redis needed: on a 2-core
// machine `huzhu bench mix` on a local Redis served 5,204–5,454 msgs/s at
// 0.20 ms of CPU per message with two, 6,887–7,024 at 0.14 ms with one
// (3 interleaved pairs), and `huzhu bench reminders` delivered 17,468–21,584
// reminders a second against 24,223–25,824. The embedded store runs inside
// huzhu and keeps every core: there one made the mix a quarter slower.
func procsBesideRedis(cfg store.Config, procs int) int {
	if procs < 2 || !cfg.RedisOnThisMachine() {
		return procs
	}
	return procs - 1
}

// leaveCoreForRedis applies procsBesideRedis unless GOMAXPROCS is set.
func leaveCoreForRedis(cfg store.Config, getenv func(string) string, log *slog.Logger) {
	if getenv("GOMAXPROCS") != "" {
		return
	}
	procs := runtime.GOMAXPROCS(0)
	if n := procsBesideRedis(cfg, procs); n != procs {
		runtime.GOMAXPROCS(n)
		log.Info("Redis runs on this machine: leaving it a core", "gomaxprocs", n, "cores", procs)
	}
}

// exitCode says err, if any, in one line on stderr and returns the process's
// exit code.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "huzhu:", err)
	return 1
}
