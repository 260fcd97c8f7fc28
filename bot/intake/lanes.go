package intake

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Entry is one message as a platform read it.
type Entry struct {
	// ID is unique among the platform's entries, such as Telegram's
	// update_id: an entry added twice is kept once.
	ID string
	// Chat groups the entries served one at a time: an entry is served
	// only after every earlier entry of its chat from the same Sender was.
	Chat string
	// Sender is who wrote the entry, if known, such as a Telegram user id.
	// The senders of a chat with a backlog take turns, one entry each, so
	// one person's flood does not hold up everyone else's; the entries of
	// an empty Sender take their turns as one sender.
	Sender string
	// Data is the message in the platform's own encoding.
	Data []byte
}

// Handler serves one entry. It reports false when it could not finish (its
// context was cancelled first, or the message is being served elsewhere):
// a Queue then keeps the entry, and the chat's later ones, and serves them
// again later, in order.
type Handler func(ctx context.Context, e Entry) bool

// Intake is where a platform keeps what it read until it has been served:
// a *Queue, kept in the store, or a *Local, kept in memory.
type Intake interface {
	// Add keeps entries and returns once they are kept (or were kept
	// before); only then may the platform confirm them.
	Add(ctx context.Context, entries ...Entry) error
	// Serve hands every entry to handle, each chat's in order, until ctx is
	// done; then it lets the handlers in flight finish for a grace period
	// before cancelling their context, and returns.
	Serve(ctx context.Context, handle Handler) error
}

// Defaults for Options and NewLocal.
const (
	DefaultParallel = 32               // chats served at once
	DefaultPending  = 1024             // entries taken to serve at once
	DefaultGrace    = 10 * time.Second // to finish handlers after Serve's ctx is done
)

// job is one entry to serve and what to do once it was (or was skipped).
type job struct {
	e      Entry
	finish func(handled bool)
}

// lanes serves the jobs of one chat one after another, and the jobs of
// different chats in parallel, at most parallel chats at once. One busy
// chat (a handler waiting for its group's send limit) never holds up the
// others. Within a chat, each sender's jobs are served in the order they
// were submitted, and the senders with jobs waiting take turns: the first
// to have submitted goes first, then the next, one job each, so a
// resident's single command waits for one of a flood's, not for all of it.
// Without a backlog, or with one job per sender, that is the order of
// submission.
type lanes struct {
	ctx    context.Context // the handlers'
	handle Handler
	slots  chan struct{} // one per chat being served
	// idle is called, without lanes' lock held, when a chat's lane ran
	// empty.
	idle func(chat string)
	// skipQueued is for entries kept elsewhere: the jobs not yet started
	// are dropped once stopping is set instead of being served, and a
	// chat's later jobs are dropped when one was not handled, so that they
	// are taken again after it, in order.
	skipQueued bool
	stopping   atomic.Bool

	mu    sync.Mutex
	chats map[string]*lane // a chat is present while its lane runs
	wg    sync.WaitGroup
}

// lane is one chat's jobs not yet started: each sender's in the order
// submitted, and the senders in the order of their turns.
type lane struct {
	turns []string         // senders with jobs queued; the first goes next
	jobs  map[string][]job // by sender
}

// push queues j behind its sender's earlier jobs; a sender with none
// queued takes the last turn.
func (q *lane) push(j job) {
	s := j.e.Sender
	if len(q.jobs[s]) == 0 {
		q.turns = append(q.turns, s)
	}
	q.jobs[s] = append(q.jobs[s], j)
}

// pop takes the next job: the first of the sender whose turn it is, who
// then goes to the back if they have more. It reports false when the lane
// is empty.
func (q *lane) pop() (job, bool) {
	if len(q.turns) == 0 {
		return job{}, false
	}
	s := q.turns[0]
	q.turns = q.turns[1:]
	jobs := q.jobs[s]
	j := jobs[0]
	jobs[0] = job{}
	if jobs = jobs[1:]; len(jobs) > 0 {
		q.jobs[s] = jobs
		q.turns = append(q.turns, s)
	} else {
		delete(q.jobs, s)
	}
	return j, true
}

// empty removes and returns every job queued, each sender's in order.
func (q *lane) empty() []job {
	var all []job
	for _, s := range q.turns {
		all = append(all, q.jobs[s]...)
	}
	q.turns, q.jobs = nil, map[string][]job{}
	return all
}

func newLanes(ctx context.Context, parallel int, handle Handler) *lanes {
	return &lanes{ctx: ctx, handle: handle, slots: make(chan struct{}, parallel), chats: map[string]*lane{}}
}

// submit queues j behind the earlier jobs of its chat and sender.
func (l *lanes) submit(j job) {
	l.mu.Lock()
	q, running := l.chats[j.e.Chat]
	if !running {
		q = &lane{jobs: map[string][]job{}}
		l.chats[j.e.Chat] = q
		l.wg.Add(1)
	}
	q.push(j)
	l.mu.Unlock()
	if !running {
		go l.drain(j.e.Chat)
	}
}

// busy reports whether chat has jobs queued or in flight.
func (l *lanes) busy(chat string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.chats[chat]
	return ok
}

// drain runs chat's jobs until its lane is empty.
func (l *lanes) drain(chat string) {
	defer l.wg.Done()
	l.slots <- struct{}{}
	defer func() { <-l.slots }()
	for {
		l.mu.Lock()
		q := l.chats[chat]
		j, ok := q.pop()
		if !ok {
			delete(l.chats, chat)
			l.mu.Unlock()
			if l.idle != nil {
				l.idle(chat)
			}
			return
		}
		l.mu.Unlock()
		if l.skipQueued && l.stopping.Load() {
			j.finish(false)
			continue
		}
		handled := l.run(j.e)
		j.finish(handled)
		if !handled && l.skipQueued {
			// Served again later, so the chat's later entries wait too.
			l.mu.Lock()
			rest := q.empty()
			l.mu.Unlock()
			for _, j := range rest {
				j.finish(false)
			}
		}
	}
}

// run serves one entry; a panic counts as served, so one bad entry cannot
// come back for ever, and is the handler's to report.
func (l *lanes) run(e Entry) (handled bool) {
	defer func() {
		if r := recover(); r != nil {
			handled = true
		}
	}()
	return l.handle(l.ctx, e)
}

// wait waits up to d for every submitted job to finish and reports whether
// they did.
func (l *lanes) wait(d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		l.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// stop marks the lanes stopping, waits up to grace for the jobs in flight
// (and, unless skipQueued, the queued ones), then cancels the handlers'
// context and waits up to grace again. It reports whether everything
// finished within the first grace.
func (l *lanes) stop(grace time.Duration, cancel context.CancelFunc) bool {
	l.stopping.Store(true)
	if l.wait(grace) {
		return true
	}
	cancel()
	l.wait(grace)
	return false
}
