// Command huzhu runs the residents' mutual-aid station bot. With no
// configuration it starts the console on the embedded store, so
// `go run ./cmd/huzhu` is enough to try it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "huzhu:", err)
		os.Exit(1)
	}
}
