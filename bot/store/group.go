package store

import (
	"cmp"
	"runtime"
	"sync"
)

// Group commit: what several goroutines want written at the same time goes
// to the store in one round trip. A write that comes while few of its group
// are under way is made at once; those that come while more are wait, and
// the first of them then makes them all together. At a quiet time a write
// costs what it did; under load, many messages share one round trip. Used
// per platform for the outbox's writes, which go together: the MULTIs that
// mark messages served (FinishServed), those that end deliveries
// (SentLast) and a reply's remainder written back (ReplaceReply). Each
// platform's outbox keys share a hash tag, so a group's MULTI holds on a
// Cluster too. The pipelines that claim messages, read under leases and
// number records go together the same way, in one group for the store
// (together.go).

// groupCommit is one group. Up to groupInFlight writes of a group are
// under way at once, each on its own connection; what comes while all are
// waits for the first of them to finish, and is made in the next batch. A
// write first lets the goroutines that are ready to run go ahead of it
// (runtime.Gosched), so that those among them that reach the group go in
// its batch: when the process is busy, the messages it is serving meet
// there instead of each taking a round trip of its own; when it is idle,
// nothing is ready and the write goes at once.
type groupCommit[T any] struct {
	mu       sync.Mutex
	limit    int // writes under way at once; 0 means groupInFlight
	inFlight int
	queue    []*groupEntry[T]
}

// groupInFlight is how many writes of one group may be under way at once.
// A write that comes while that many are under way waits for the first of
// them, about one round trip, and goes with everything else that came
// meanwhile. One took `huzhu bench mix` (concurrency 8) from 3.35 round
// trips per message, serving and delivery, to 2.9: fewer round trips cost
// less CPU, on both sides, than the waits. But with one, a core stood idle
// a third of the time while messages waited for the batch ahead of theirs;
// two let a second batch use it, for 3–17% more messages a second on Redis
// (7 interleaved pairs), at 1.8 round trips to serve a message instead of
// 1.3. The embedded store, whose SQLite commits one transaction at a time,
// keeps one (WithSerialCommits). Letting the ready goroutines go first took
// two from 1.8 round trips to serve a message to 1.28, for 2–20% more
// messages a second (6 interleaved pairs, one core beside a local Redis).
const groupInFlight = 2

type groupEntry[T any] struct {
	v      T
	lead   chan struct{} // closed when this entry is to make the next batch
	chosen bool          // lead is closed (under the group's mu)
	taken  bool          // in a batch under way (under the group's mu)
	done   chan struct{} // closed once made
}

// do has v made by write, with whatever else of the group is waiting, and
// returns once it is. write must tell each of its values its outcome.
func (g *groupCommit[T]) do(v T, write func([]T)) {
	e := &groupEntry[T]{v: v, lead: make(chan struct{}), done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, e)
	g.mu.Unlock()
	// Let the goroutines ready to run come first: those that reach this
	// group meanwhile join the batch.
	runtime.Gosched()
	g.mu.Lock()
	switch {
	case e.chosen:
		// A write ended and passed its place on to e: e makes the next
		// batch, even when e itself was made meanwhile.
	case !e.taken && g.inFlight < cmp.Or(g.limit, groupInFlight):
		g.inFlight++
	default:
		// e waits for the batch another took it into, or for a place.
		g.mu.Unlock()
		select {
		case <-e.done:
		case <-e.lead:
		}
		g.mu.Lock()
		if !e.chosen {
			g.mu.Unlock()
			return // made in another's batch, and given no place
		}
	}
	batch := g.queue
	g.queue = nil
	for _, b := range batch {
		b.taken = true
	}
	g.mu.Unlock()

	mine := false
	if len(batch) > 0 {
		vs := make([]T, len(batch))
		for i, b := range batch {
			vs[i] = b.v
			mine = mine || b == e
		}
		write(vs)
		for _, b := range batch {
			close(b.done)
		}
	}

	g.mu.Lock()
	passed := false
	for _, q := range g.queue {
		if !q.chosen { // its place passes on to the first waiting
			q.chosen, passed = true, true
			close(q.lead)
			break
		}
	}
	if !passed {
		g.inFlight--
	}
	g.mu.Unlock()
	if !mine {
		<-e.done // made in a batch another took meanwhile
	}
}

// groupCommits holds a group per name.
type groupCommits[T any] struct {
	mu    sync.Mutex
	limit int // each group's (see groupCommit)
	by    map[string]*groupCommit[T]
}

func (g *groupCommits[T]) of(name string) *groupCommit[T] {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.by == nil {
		g.by = map[string]*groupCommit[T]{}
	}
	c := g.by[name]
	if c == nil {
		c = &groupCommit[T]{limit: g.limit}
		g.by[name] = c
	}
	return c
}
