package storetest

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/redis/go-redis/v9"
)

// FailWrites is a client hook that, while on, fails every pipeline naming a
// key that contains Key (only transactions, MULTI … EXEC, when MultiOnly)
// with a connection reset, as a store gone in the middle of it would: for
// tests of what a command does when one of its writes is lost. Add it with
// Client.AddHook and turn it on and off with On.
type FailWrites struct {
	Key       string
	MultiOnly bool
	On        atomic.Bool
}

// DialHook implements redis.Hook.
func (*FailWrites) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (*FailWrites) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

// ProcessPipelineHook implements redis.Hook.
func (f *FailWrites) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !f.On.Load() || len(cmds) == 0 || f.MultiOnly && !strings.EqualFold(cmds[0].Name(), "multi") {
			return next(ctx, cmds)
		}
		for _, c := range cmds {
			for _, a := range c.Args() {
				if k, ok := a.(string); ok && strings.Contains(k, f.Key) {
					err := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
					for _, c := range cmds {
						c.SetErr(err)
					}
					return err
				}
			}
		}
		return next(ctx, cmds)
	}
}
