package telegram

import (
	"context"
	"sync"
	"time"
)

// chatQueues runs the jobs of one chat one after another, in the order they
// were submitted, and the jobs of different chats in parallel.
//
// The library hands over updates in the order Telegram sent them but would
// serve each on its own goroutine, so a pledge could overtake the poll it
// answers. A queue per chat keeps order where it matters without letting one
// busy group (a handler waiting for its group's send limit) hold up the
// others. Both bounds are fixed: at most parallel chats are served at once,
// and at most pending jobs wait in all; submit blocks beyond that, which
// slows reading updates instead of piling them up in memory.
type chatQueues struct {
	slots   chan struct{} // one per chat being served
	pending chan struct{} // one per job submitted and not finished

	mu    sync.Mutex
	chats map[int64][]func() // a chat is present while its drain runs
	wg    sync.WaitGroup
}

func newChatQueues(parallel, pending int) *chatQueues {
	return &chatQueues{
		slots:   make(chan struct{}, parallel),
		pending: make(chan struct{}, pending),
		chats:   map[int64][]func(){},
	}
}

// submit queues job behind the chat's earlier jobs. It waits while too many
// jobs are pending, and returns ctx.Err() if ctx is done first.
func (q *chatQueues) submit(ctx context.Context, chat int64, job func()) error {
	select {
	case q.pending <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	q.mu.Lock()
	jobs, running := q.chats[chat]
	q.chats[chat] = append(jobs, job)
	if !running {
		q.wg.Add(1)
	}
	q.mu.Unlock()
	if !running {
		go q.drain(chat)
	}
	return nil
}

// drain runs the chat's jobs until its queue is empty.
func (q *chatQueues) drain(chat int64) {
	defer q.wg.Done()
	q.slots <- struct{}{}
	defer func() { <-q.slots }()
	for {
		q.mu.Lock()
		jobs := q.chats[chat]
		if len(jobs) == 0 {
			delete(q.chats, chat)
			q.mu.Unlock()
			return
		}
		job := jobs[0]
		jobs[0] = nil
		q.chats[chat] = jobs[1:]
		q.mu.Unlock()
		job()
		<-q.pending
	}
}

// wait waits up to d for every submitted job to finish and reports whether
// they did.
func (q *chatQueues) wait(d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		q.wg.Wait()
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
