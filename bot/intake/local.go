package intake

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Local is an Intake in memory, for a platform run without a store: Add
// returns once the entry is queued in this process, and nothing survives
// it. When Serve stops, the entries already added are served within the
// grace period, since nothing else keeps them; an entry its handler did not
// finish is not served again.
type Local struct {
	parallel int
	grace    time.Duration
	pending  chan struct{} // one per entry added and not yet served

	mu    sync.Mutex
	lanes *lanes        // nil unless Serve runs
	ready chan struct{} // closed while Serve runs
}

var _ Intake = (*Local)(nil)

// ErrServeRunning is returned by Serve while another Serve of the same
// intake runs.
var ErrServeRunning = errors.New("intake: Serve is already running")

// NewLocal returns a Local serving up to parallel chats at once (zero means
// DefaultParallel); Add waits while DefaultPending entries are waiting.
func NewLocal(parallel int) *Local {
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	return &Local{parallel: parallel, grace: DefaultGrace,
		pending: make(chan struct{}, DefaultPending), ready: make(chan struct{})}
}

// Add queues entries behind their chats' earlier ones. It waits until Serve
// runs and while too many entries are waiting, and returns ctx.Err() if ctx
// is done first; the entries queued until then stay queued.
func (l *Local) Add(ctx context.Context, entries ...Entry) error {
	for _, e := range entries {
		select {
		case l.pending <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		lanes, err := l.running(ctx)
		if err != nil {
			<-l.pending
			return err
		}
		lanes.submit(job{e: e, finish: func(bool) { <-l.pending }})
	}
	return nil
}

// running waits until Serve runs and returns its lanes.
func (l *Local) running(ctx context.Context) (*lanes, error) {
	for {
		l.mu.Lock()
		lanes, ready := l.lanes, l.ready
		l.mu.Unlock()
		if lanes != nil {
			return lanes, nil
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Serve serves what Add queues until ctx is done, then serves what is left
// for up to the grace period before cancelling the handlers' context.
func (l *Local) Serve(ctx context.Context, handle Handler) error {
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	lanes := newLanes(hctx, l.parallel, handle)
	l.mu.Lock()
	if l.lanes != nil {
		l.mu.Unlock()
		return ErrServeRunning
	}
	l.lanes = lanes
	close(l.ready)
	l.mu.Unlock()

	<-ctx.Done()
	l.mu.Lock()
	l.lanes, l.ready = nil, make(chan struct{})
	l.mu.Unlock()
	lanes.stop(l.grace, cancel)
	return nil
}
