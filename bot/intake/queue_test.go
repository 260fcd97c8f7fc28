package intake_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/huzhu-station/huzhu/bot/intake"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// served records what handlers saw, per chat, in order.
type served struct {
	mu     sync.Mutex
	byChat map[string][]string
	count  map[string]int
	all    chan string
}

func newServed() *served {
	return &served{byChat: map[string][]string{}, count: map[string]int{}, all: make(chan string, 10000)}
}

func (s *served) handler(ctx context.Context, e intake.Entry) bool {
	s.mu.Lock()
	s.byChat[e.Chat] = append(s.byChat[e.Chat], string(e.Data))
	s.count[e.ID]++
	s.mu.Unlock()
	s.all <- e.ID
	return true
}

// wait waits until n entries were served, failing the test after a while.
func (s *served) wait(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for i := 0; i < n; i++ {
		select {
		case <-s.all:
		case <-deadline:
			t.Fatalf("served %d of %d entries", i, n)
		}
	}
}

// entries returns n entries spread over chats, numbered from first; each
// entry's data is its chat and its place in the chat.
func entries(first, n, chats int) []intake.Entry {
	var out []intake.Entry
	for i := first; i < first+n; i++ {
		chat := "c" + strconv.Itoa(i%chats)
		out = append(out, intake.Entry{ID: strconv.Itoa(i), Chat: chat, Data: []byte(fmt.Sprintf("%s#%05d", chat, i))})
	}
	return out
}

// inOrder fails the test unless every chat's entries were served in the
// order added, each once.
func inOrder(t *testing.T, s *served, want []intake.Entry) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	byChat := map[string][]string{}
	for _, e := range want {
		byChat[e.Chat] = append(byChat[e.Chat], string(e.Data))
	}
	for chat, w := range byChat {
		if got := s.byChat[chat]; !slices.Equal(got, w) {
			t.Errorf("chat %s served %v, want %v", chat, got, w)
		}
	}
	for id, n := range s.count {
		if n != 1 {
			t.Errorf("entry %s served %d times", id, n)
		}
	}
}

// serve runs q.Serve until the test ends (or stop is called) and returns
// stop, which waits for Serve to return.
func serve(t *testing.T, q intake.Intake, h intake.Handler) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := q.Serve(ctx, h); err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

func newQueue(b storetest.Backend, opts intake.Options) *intake.Queue {
	opts.Prefix, opts.Name = b.Prefix, "test"
	if opts.Lease == 0 {
		opts.Lease = 600 * time.Millisecond
	}
	if opts.Poll == 0 {
		opts.Poll = 100 * time.Millisecond
	}
	return intake.NewQueue(b.Client, opts)
}

func TestQueueServesEachChatInOrder(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		q := newQueue(b, intake.Options{Parallel: 4})
		s := newServed()
		serve(t, q, s.handler)
		all := entries(1, 200, 7)
		for i := 0; i < len(all); i += 25 {
			if err := q.Add(t.Context(), all[i:i+25]...); err != nil {
				t.Fatal(err)
			}
		}
		s.wait(t, len(all))
		inOrder(t, s, all)
		waitEmpty(t, q)
	})
}

func TestQueueKeepsAnIDOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		q := newQueue(b, intake.Options{})
		batch := entries(1, 5, 2)
		// A batch read twice, and an id twice in one batch, are kept once.
		if err := q.Add(t.Context(), append(batch, batch[0])...); err != nil {
			t.Fatal(err)
		}
		if err := q.Add(t.Context(), batch...); err != nil {
			t.Fatal(err)
		}
		if n, err := q.Len(t.Context()); err != nil || n != 5 {
			t.Fatalf("queued %d (%v), want 5", n, err)
		}
		s := newServed()
		serve(t, q, s.handler)
		s.wait(t, 5)
		waitEmpty(t, q)
		// Sent again once served (a webhook redelivered late): still once.
		if err := q.Add(t.Context(), batch[2]); err != nil {
			t.Fatal(err)
		}
		if n, err := q.Len(t.Context()); err != nil || n != 0 {
			t.Fatalf("a served id was queued again: %d (%v)", n, err)
		}
		inOrder(t, s, batch)
	})
}

func TestQueueKeepsWhatWasNotServed(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		q := newQueue(b, intake.Options{Grace: 100 * time.Millisecond})
		all := entries(1, 6, 1)
		if err := q.Add(t.Context(), all...); err != nil {
			t.Fatal(err)
		}
		// The first Serve handles two entries, then is stopped while the
		// third's handler is stuck: the third is cancelled and the rest never
		// started. All four stay queued.
		started := make(chan struct{}, 10)
		var mu sync.Mutex
		var first []string
		stop := serve(t, q, func(ctx context.Context, e intake.Entry) bool {
			mu.Lock()
			n := len(first)
			first = append(first, e.ID)
			mu.Unlock()
			started <- struct{}{}
			if n < 2 {
				return true
			}
			<-ctx.Done()
			return false
		})
		for range 3 {
			<-started
		}
		stop()
		if n, err := q.Len(t.Context()); err != nil || n != 4 {
			t.Fatalf("queued after the stop: %d (%v), want 4", n, err)
		}
		s := newServed()
		serve(t, q, s.handler)
		s.wait(t, 4)
		inOrder(t, s, all[2:])
	})
}

func TestQueueTakesOverADeadInstancesChats(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		lease := 600 * time.Millisecond
		dead := newQueue(b, intake.Options{Lease: lease, Grace: 3 * time.Second})
		all := entries(1, 4, 1)
		if err := dead.Add(t.Context(), all...); err != nil {
			t.Fatal(err)
		}
		// An instance takes the chat and dies with its first entry in
		// flight: its lease is never renewed nor released.
		var once sync.Once
		took := make(chan struct{})
		stop := serve(t, dead, func(ctx context.Context, e intake.Entry) bool {
			once.Do(func() { close(took) })
			<-ctx.Done()
			return false
		})
		<-took
		// Its handlers' context ends only after the grace; the lease's
		// renewal stops with Serve, so leave it hanging as a dead process.
		go stop()

		began := time.Now()
		live := newQueue(b, intake.Options{Lease: lease})
		s := newServed()
		serve(t, live, s.handler)
		s.wait(t, len(all))
		if took := time.Since(began); took < lease/2 {
			t.Errorf("the chat was taken over after %v, before its lease of %v ran out", took, lease)
		}
		inOrder(t, s, all)
	})
}

func TestQueueTwoInstancesShareTheWork(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		s := newServed()
		a := newQueue(b, intake.Options{Parallel: 3, Lease: 2 * time.Second})
		c := newQueue(b, intake.Options{Parallel: 3, Lease: 2 * time.Second})
		slow := func(ctx context.Context, e intake.Entry) bool {
			time.Sleep(time.Millisecond)
			return s.handler(ctx, e)
		}
		serve(t, a, slow)
		serve(t, c, slow)
		all := entries(1, 150, 10)
		for i := 0; i < len(all); i += 10 {
			q := a
			if i%20 == 0 {
				q = c
			}
			if err := q.Add(t.Context(), all[i:i+10]...); err != nil {
				t.Fatal(err)
			}
		}
		s.wait(t, len(all))
		inOrder(t, s, all)
		waitEmpty(t, a)
	})
}

func TestLocalServesInOrderAndDrains(t *testing.T) {
	l := intake.NewLocal(3)
	s := newServed()
	stop := serve(t, l, func(ctx context.Context, e intake.Entry) bool {
		time.Sleep(100 * time.Microsecond)
		return s.handler(ctx, e)
	})
	all := entries(1, 100, 5)
	if err := l.Add(t.Context(), all...); err != nil {
		t.Fatal(err)
	}
	stop() // what was added is served before Serve returns
	if len(s.all) != len(all) {
		t.Fatalf("served %d of %d before Serve returned", len(s.all), len(all))
	}
	inOrder(t, s, all)
}

// waitEmpty waits until q holds no entry.
func waitEmpty(t *testing.T, q *intake.Queue) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := q.Len(t.Context())
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue still holds %d entries (%v)", n, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestQueueServesAgainWhatCouldNotBeServedYet(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		q := newQueue(b, intake.Options{})
		all := entries(1, 4, 1)
		if err := q.Add(t.Context(), all...); err != nil {
			t.Fatal(err)
		}
		// The second entry is not served the first two times it is handed
		// over (its message is being served elsewhere); the chat's later
		// entries wait for it.
		s := newServed()
		var mu sync.Mutex
		refused := 0
		serve(t, q, func(ctx context.Context, e intake.Entry) bool {
			mu.Lock()
			if e.ID == "2" && refused < 2 {
				refused++
				mu.Unlock()
				return false
			}
			mu.Unlock()
			return s.handler(ctx, e)
		})
		s.wait(t, len(all))
		inOrder(t, s, all)
		waitEmpty(t, q)
	})
}

// TestSendersTakeTurns: in a chat with a backlog, one sender's flood does
// not hold up another's message, which is served after one of the flood's
// instead of after all of it; each sender's own entries keep their order.
func TestSendersTakeTurns(t *testing.T) {
	flood := func(n int) []intake.Entry {
		var out []intake.Entry
		for i := range n {
			out = append(out, intake.Entry{ID: "a" + strconv.Itoa(i), Chat: "g", Sender: "A", Data: []byte("清单")})
		}
		return out
	}
	others := []intake.Entry{{ID: "b0", Chat: "g", Sender: "B", Data: []byte("事项 1")},
		{ID: "c0", Chat: "g", Sender: "C", Data: []byte("事项 2")}}
	// recorder's handler keeps the order it served entries in; wait waits
	// for n and returns it.
	recorder := func() (handler intake.Handler, wait func(n int) []string) {
		var mu sync.Mutex
		var order []string
		done := make(chan struct{}, 100)
		handler = func(ctx context.Context, e intake.Entry) bool {
			if e.Sender == "A" {
				time.Sleep(10 * time.Millisecond) // a flood's command takes a while
			}
			mu.Lock()
			order = append(order, e.ID)
			mu.Unlock()
			done <- struct{}{}
			return true
		}
		wait = func(n int) []string {
			for range n {
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					t.Fatal("not every entry was served")
				}
			}
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(order)
		}
		return handler, wait
	}

	t.Run("local", func(t *testing.T) {
		// The flood's first is in flight when the rest arrive.
		in := intake.NewLocal(0)
		entered, hold := make(chan struct{}), make(chan struct{})
		h, wait := recorder()
		serve(t, in, func(ctx context.Context, e intake.Entry) bool {
			if e.ID == "a0" {
				close(entered)
				<-hold
			}
			return h(ctx, e)
		})
		all := flood(5)
		if err := in.Add(t.Context(), all[0]); err != nil {
			t.Fatal(err)
		}
		<-entered
		if err := in.Add(t.Context(), append(all[1:], others...)...); err != nil {
			t.Fatal(err)
		}
		close(hold)
		if got, want := wait(7), []string{"a0", "a1", "b0", "c0", "a2", "a3", "a4"}; !slices.Equal(got, want) {
			t.Errorf("served %v, want %v", got, want)
		}
	})
	t.Run("queue", func(t *testing.T) {
		// The whole backlog is in the store before serving starts: the
		// sender goes through the store with the entry.
		q := newQueue(storetest.Miniredis(t), intake.Options{})
		if err := q.Add(t.Context(), append(flood(5), others...)...); err != nil {
			t.Fatal(err)
		}
		h, wait := recorder()
		serve(t, q, h)
		got := wait(7)
		var a []string
		for _, id := range got {
			if id[0] == 'a' {
				a = append(a, id)
			}
		}
		if !slices.Equal(a, []string{"a0", "a1", "a2", "a3", "a4"}) {
			t.Errorf("the flood served as %v; want its order kept", a)
		}
		if i, j := slices.Index(got, "b0"), slices.Index(got, "c0"); i > 3 || j > 3 || i > j {
			t.Errorf("served %v; want b0, then c0, among the first four", got)
		}
	})
}
