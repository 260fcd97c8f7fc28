package store

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// Reads together: the pipelines that start a message (its claim with the
// records that identify the sender, see ClaimMessage), those that read
// what a command needs under its leases (withLeaseRead) and those that
// number a new record (numbered) go to the store with whatever other such
// pipelines are waiting at the same moment, in one round trip (see
// groupCommit). Each pipeline's commands are its own: it reads their
// results and errors as if it had gone alone. A pipeline is not a MULTI:
// other clients' commands may run between its commands whether it goes
// alone or with others, so none of them relied on that.

// sharedPipe is one pipeline waiting to go with others.
type sharedPipe struct {
	ctx   context.Context
	queue func(redis.Pipeliner)
}

// pipelinedTogether sends what queue puts in a pipeline, with the other
// pipelines waiting, and returns once every command has its result. The
// writes held under ctx are made first, as they would be before any
// pipeline under it (see heldFirstHook).
func (s *Store) pipelinedTogether(ctx context.Context, queue func(redis.Pipeliner)) {
	if h := heldIn(ctx); h != nil {
		if err := h.make(ctx); err != nil {
			p := s.rdb.Pipeline()
			queue(p)
			for _, c := range p.Cmds() {
				c.SetErr(err)
			}
			p.Discard()
			return
		}
	}
	s.readsTogether.do(&sharedPipe{ctx: ctx, queue: queue}, func(batch []*sharedPipe) {
		ctx := notHolding(context.WithoutCancel(batch[0].ctx))
		_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, b := range batch {
				b.queue(p)
			}
			return nil
		})
	})
}
