// Command huzhu runs the residents' mutual-aid station bot. With no
// configuration it starts the console on the embedded store, so
// `go run ./cmd/huzhu` is enough to try it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// gcPercent is the garbage collector's target unless GOGC is set. huzhu's
// live heap is small (tens of MiB), so Go's default of 100 runs the
// collector very often under load; 400 cut the CPU per message of
// `huzhu bench mix` by about a tenth, for a heap up to five times the live
// data instead of twice.
const gcPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
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
