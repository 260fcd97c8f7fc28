package store

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGroupCommit: every value is made once, by at most groupInFlight
// writes at a time (one with serial commits), and the group is idle again
// once all are done.
func TestGroupCommit(t *testing.T) {
	t.Run("default", func(t *testing.T) { testGroupCommit(t, 0, groupInFlight) })
	t.Run("serial", func(t *testing.T) {
		s := New(nil, WithSerialCommits())
		testGroupCommit(t, s.outboxWrites.of("console").limit, 1)
	})
}

func testGroupCommit(t *testing.T, limit int, want int64) {
	g := groupCommit[*int]{limit: limit}
	var made sync.Map
	var inFlight, most, writes atomic.Int64
	write := func(batch []*int) {
		n := inFlight.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		writes.Add(1)
		time.Sleep(100 * time.Microsecond) // a round trip
		for _, v := range batch {
			if _, again := made.LoadOrStore(v, true); again {
				t.Errorf("value %d made twice", *v)
			}
		}
		inFlight.Add(-1)
	}
	const n = 2000
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v := i
			g.do(&v, write)
			if _, ok := made.Load(&v); !ok {
				t.Errorf("value %d returned before it was made", v)
			}
		})
	}
	wg.Wait()
	if most.Load() > want {
		t.Errorf("%d writes under way at once; want at most %d", most.Load(), want)
	}
	if g.inFlight != 0 || len(g.queue) != 0 {
		t.Errorf("after all: %d in flight, %d queued; want none", g.inFlight, len(g.queue))
	}
	t.Logf("%d values in %d writes", n, writes.Load())
}

// TestGroupCommitGathersReady: writes that come from goroutines ready to
// run at the same moment go together, not one round trip each, even while
// no write is under way to hold them back. (The goroutine started last
// runs first and may go back on the scheduler's global queue, which is
// read before the local one now and then: two batches, not always one.)
func TestGroupCommitGathersReady(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var g groupCommit[int]
	var mu sync.Mutex
	var batches [][]int
	write := func(batch []int) {
		mu.Lock()
		batches = append(batches, batch)
		mu.Unlock()
	}
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { g.do(i, write) })
	}
	wg.Wait()
	if len(batches) > 2 {
		t.Errorf("%d writes made in batches %v; want them in one or two", n, batches)
	}
}
