package store

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Held writes: while a message is served through the outbox (see
// bot.WriteHolder), the last write of its command is not made at once but
// held, and made in the MULTI that marks the message served and keeps its
// replies (FinishServed). The command's effects and its served mark are then
// one write: an instance that dies while serving leaves either both or
// neither, so a redelivered message never runs its command a second time,
// and the command costs one round trip less.
//
// A held write is made first, in a MULTI of its own, as soon as anything
// else goes to the store under the message's context (a read that must see
// it, another write, a lease): so a command reads what it wrote, exactly as
// if the write had been made at once. Only a write that nothing follows
// waits for the mark. Only what the caller of a write does not read back
// can be held (see writeLast): the MULTI's replies are not seen.
//
// On a Redis Cluster the mark and a station's records live in different
// slots, which no MULTI spans: there, writes are made at once.

// heldWrite is one write held back, with the lease it gives up.
type heldWrite struct {
	// cmds are the write's commands, made when it was held: what they
	// write is what the caller meant then, whatever changes later.
	cmds   []redis.Cmder
	ackKey string // "" unless the write waits for replicas (Acknowledged)
	lease  *lease // nil unless the write gives up a lease (lease.giveUpIn)
}

// holdWrite returns the commands write queues, to be sent later.
func (s *Store) holdWrite(write func(redis.Pipeliner) error) ([]redis.Cmder, error) {
	p := s.rdb.Pipeline()
	if err := write(p); err != nil {
		return nil, err
	}
	cmds := slices.Clone(p.Cmds())
	p.Discard()
	return cmds, nil
}

// heldWrites are the writes held back for one message.
type heldWrites struct {
	s  *Store
	mu sync.Mutex // held while the writes are made, so a read waits for them
	w  []heldWrite
}

type heldKey struct{}

// heldIn returns the held writes of the message ctx serves, or nil.
func heldIn(ctx context.Context) *heldWrites {
	h, _ := ctx.Value(heldKey{}).(*heldWrites)
	return h
}

// notHolding returns ctx under which writes are made at once, for the
// commands that make the held writes themselves.
func notHolding(ctx context.Context) context.Context {
	return context.WithValue(ctx, heldKey{}, (*heldWrites)(nil))
}

// HoldWrites implements bot.WriteHolder: the last write of the command
// served under the returned context waits for FinishServed, which makes it
// with the served mark. On a Redis Cluster it returns ctx unchanged.
func (s *Store) HoldWrites(ctx context.Context) context.Context {
	if _, cluster := s.rdb.(*redis.ClusterClient); cluster {
		return ctx
	}
	holdBeforeOthers(s.rdb)
	return context.WithValue(ctx, heldKey{}, &heldWrites{s: s})
}

// MakeHeldWrites implements bot.WriteHolder: the writes held under ctx are
// made now, as they would have been without holding (the command failed
// after them, so the message is not marked served).
func (s *Store) MakeHeldWrites(ctx context.Context) error {
	if h := heldIn(ctx); h != nil {
		return h.make(ctx)
	}
	return nil
}

// writeLast runs write's commands in one MULTI, waiting for replicas when
// ackKey is given (see Acknowledged), at once or, while a message is served
// with its writes held, with the message's served mark. l, when given, is
// the lease the write gives up (write calls l.giveUpIn, or the held write
// does); withLeaseRead leaves it to the held write. write is called at once
// either way; the caller must not read the results of its commands.
func (s *Store) writeLast(ctx context.Context, ackKey string, l *lease, write func(redis.Pipeliner) error) error {
	if h := heldIn(ctx); h != nil {
		if l != nil {
			l.held = true
		}
		cmds, err := s.holdWrite(write)
		if err != nil {
			if l != nil {
				l.held = false
			}
			return err
		}
		h.hold(heldWrite{cmds: cmds, ackKey: ackKey, lease: l})
		return nil
	}
	if ackKey == "" {
		_, err := s.rdb.TxPipelined(ctx, write)
		return err
	}
	_, err := s.Acknowledged(ctx, ackKey, write)
	return err
}

// hold keeps w to be made later.
func (h *heldWrites) hold(w heldWrite) {
	h.mu.Lock()
	h.w = append(h.w, w)
	h.mu.Unlock()
}

// make makes the held writes now, in one MULTI.
func (h *heldWrites) make(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	w := h.w
	h.w = nil
	if len(w) == 0 {
		return nil
	}
	return h.s.makeWith(ctx, w, "", nil)
}

// take returns the writes held and holds no more; the caller makes them
// (FinishServed) and then settles them.
func (h *heldWrites) take() []heldWrite {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	w := h.w
	h.w = nil
	return w
}

type acrossSlotsKey struct{}

// AcrossSlots reports whether ctx is that of a MULTI making a message's held
// writes, perhaps with its served mark: its keys may lie in several Cluster
// slots, as a Cluster never holds writes (see HoldWrites). Each held write
// alone is in one slot, as it is made alone on a Cluster.
func AcrossSlots(ctx context.Context) bool {
	across, _ := ctx.Value(acrossSlotsKey{}).(bool)
	return across
}

// makeWith makes writes and then more (the served mark's commands, when
// FinishServed makes them) in one MULTI, acknowledged when any of writes
// or ackKey asks for it, and gives up their leases.
func (s *Store) makeWith(ctx context.Context, writes []heldWrite, ackKey string, more func(redis.Pipeliner)) error {
	f := &batchedWrite{held: writes, ackKey: ackKey, more: more}
	s.makeAll(ctx, []*batchedWrite{f})
	return f.err
}

// batchedWrite is one write made in a MULTI, perhaps with others (makeAll):
// a message's held writes and the commands that follow them (its served
// mark, its replies), or a delivery's write to the outbox (no held writes;
// more removes what was sent, or writes a reply's remainder).
type batchedWrite struct {
	held   []heldWrite
	ackKey string
	more   func(redis.Pipeliner)
	err    error // the first error of its own commands
}

// makeAll makes every write of all in one MULTI, acknowledged when any
// asks for it, tells each the outcome of its own commands, and gives up
// their leases.
func (s *Store) makeAll(ctx context.Context, all []*batchedWrite) {
	ctx = notHolding(ctx)
	ackKey := ""
	for _, f := range all {
		if len(f.held) > 0 {
			ctx = context.WithValue(ctx, acrossSlotsKey{}, true)
		}
		for _, w := range f.held {
			f.ackKey = cmp.Or(f.ackKey, w.ackKey)
		}
		ackKey = cmp.Or(ackKey, f.ackKey)
	}
	own := make([][]redis.Cmder, len(all))
	var built error
	tx := func(p redis.Pipeliner) error {
		for i, f := range all {
			from := p.Len()
			for _, w := range f.held {
				if built = p.BatchProcess(ctx, w.cmds...); built != nil {
					return built
				}
				if w.lease != nil {
					w.lease.releaseIn(ctx, p)
				}
			}
			if f.more != nil {
				f.more(p)
			}
			own[i] = p.Cmds()[from:]
		}
		return nil
	}
	var err error
	if ackKey == "" {
		_, err = s.rdb.TxPipelined(ctx, tx)
	} else {
		_, err = s.Acknowledged(ctx, ackKey, tx)
	}
	told := false
	for i, f := range all {
		for _, c := range own[i] {
			if cerr := c.Err(); cerr != nil && !errors.Is(cerr, redis.Nil) {
				f.err, told = cerr, true
				break
			}
		}
	}
	for _, f := range all {
		switch {
		case built != nil:
			f.err = built // the MULTI was not sent
		case err != nil && !told:
			f.err = err // a failure no command of it was told of
		}
		for _, w := range f.held {
			if w.lease != nil {
				s.giveUp(ctx, w.lease, f.err)
			}
		}
	}
}

// flushHooked remembers the clients holdBeforeOthers hooked.
var flushHooked sync.Map

// holdBeforeOthers hooks rdb, once, so that any command sent under a
// message's context makes the writes held there first (see above).
func holdBeforeOthers(rdb redis.UniversalClient) {
	if _, done := flushHooked.LoadOrStore(rdb, true); !done {
		rdb.AddHook(heldFirstHook{})
	}
}

// heldFirstHook makes a context's held writes before any other command
// under it.
type heldFirstHook struct{}

func (heldFirstHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (heldFirstHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h := heldIn(ctx); h != nil {
			if err := h.make(ctx); err != nil {
				cmd.SetErr(err)
				return err
			}
		}
		return next(ctx, cmd)
	}
}

func (heldFirstHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h := heldIn(ctx); h != nil {
			if err := h.make(ctx); err != nil {
				for _, c := range cmds {
					c.SetErr(err)
				}
				return err
			}
		}
		return next(ctx, cmds)
	}
}
