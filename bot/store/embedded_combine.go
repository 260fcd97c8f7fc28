package store

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"
)

// Combined writes: redka runs each write command, and each MULTI, as a
// SQLite transaction of its own on its one read-write connection, so the
// writes of all clients wait for each other and each pays for a commit.
// The proxy instead hands the writes of a client's pipeline (a whole
// MULTI … EXEC, or write commands alone) to a writeCombiner, which sends
// those that come while it is busy to redka as one MULTI: one transaction,
// one commit, for several clients. Each client is answered as if its
// writes had gone alone. When the combined transaction fails (redka rolls
// it back whole and stops its answer at the failing command), each
// client's writes are sent again, alone, so that one client's failure is
// not another's. A client's pipeline of several writes outside MULTI goes
// as one MULTI too, even alone: redka would make each write a transaction,
// and a commit of its own, where one commit serves them all.

// combineConns is how many combined writes may be under way at once, each
// on a connection of its own: while one commits, the next is read and
// queued by redka.
const combineConns = 2

// combineMax bounds the pipelines one combined write takes.
const combineMax = 32

// combinedWrites are the commands outside MULTI whose pipelines are
// combined: writes, which redka runs in a transaction of their own anyway.
// Reads stay on the client's own connection, where redka serves them from
// its read-only pool.
var combinedWrites = map[string]bool{
	"set": true, "incr": true, "incrby": true, "decr": true, "decrby": true,
	"hset": true, "hdel": true, "hincrby": true,
	"zadd": true, "zrem": true, "sadd": true, "srem": true,
	"rpush": true, "lpush": true, "del": true, "unlink": true,
}

// combineReq is one client pipeline's writes: cmds as sent (a MULTI block
// from MULTI to EXEC, or write commands), and once done, redka's answer to
// each, or err.
type combineReq struct {
	cmds    [][]byte
	block   bool
	replies [][]byte
	err     error
	done    chan struct{}
}

// writeCombiner combines the writes of the proxy's clients.
type writeCombiner struct {
	inner string // redka's socket

	mu     sync.Mutex
	queue  []*combineReq
	free   []*combineConn
	open   int
	closed bool
}

// do has r written, with whatever else is waiting, and returns once it is.
// A write that comes while a connection is free is sent at once.
func (w *writeCombiner) do(r *combineReq) {
	r.done = make(chan struct{})
	w.mu.Lock()
	w.queue = append(w.queue, r)
	cc, ok := w.take()
	w.mu.Unlock()
	if ok {
		w.drain(cc, r)
	}
	<-r.done
}

// take returns a free connection, or nil for one to dial, and false when
// all are busy. Under w.mu.
func (w *writeCombiner) take() (*combineConn, bool) {
	if n := len(w.free); n > 0 {
		cc := w.free[n-1]
		w.free = w.free[:n-1]
		return cc, true
	}
	if w.open < combineConns {
		w.open++
		return nil, true
	}
	return nil, false
}

// drain writes what is queued on cc (dialed first if nil) until r is done;
// what is queued after that is left to a goroutine of its own, so that r's
// client need not wait for it. With r nil, it writes until nothing is
// queued.
func (w *writeCombiner) drain(cc *combineConn, r *combineReq) {
	for {
		w.mu.Lock()
		batch := w.queue[:min(len(w.queue), combineMax)]
		w.queue = w.queue[len(batch):]
		if len(batch) == 0 {
			w.release(cc)
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		if cc == nil {
			var err error
			if cc, err = dialCombineConn(w.inner); err != nil {
				for _, b := range batch {
					b.err = err
				}
			}
		}
		if cc != nil {
			if err := cc.write(batch); err != nil {
				_ = cc.conn.Close()
				cc = nil // dialed again for the next batch
			}
		}
		for _, b := range batch {
			close(b.done)
		}
		if r == nil {
			continue
		}
		select {
		case <-r.done:
			w.mu.Lock()
			if len(w.queue) == 0 {
				w.release(cc)
				w.mu.Unlock()
				return
			}
			w.mu.Unlock()
			go w.drain(cc, nil)
			return
		default:
		}
	}
}

// release gives cc back, or its place when it is nil. Under w.mu.
func (w *writeCombiner) release(cc *combineConn) {
	if cc != nil && !w.closed {
		w.free = append(w.free, cc)
		return
	}
	if cc != nil {
		_ = cc.conn.Close()
	}
	w.open--
}

// Close closes the free connections; those under way close after their
// write.
func (w *writeCombiner) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for _, cc := range w.free {
		_ = cc.conn.Close()
	}
	w.free = nil
}

// combineConn is a connection to redka for combined writes.
type combineConn struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
}

func dialCombineConn(inner string) (*combineConn, error) {
	conn, err := net.Dial("unix", inner)
	if err != nil {
		return nil, err
	}
	return &combineConn{conn: conn, r: bufio.NewReader(conn), w: bufio.NewWriter(conn)}, nil
}

var (
	respMulti = respCommand("multi")
	respExec  = respCommand("exec")
)

// write writes batch: combined, and again alone each if the combined
// transaction failed; alone if it is one pipeline that a MULTI would not
// make fewer transactions (a MULTI block, or a single write). It tells
// each its answers; an error means the connection is no longer usable, and
// is told to every pipeline not yet answered.
func (cc *combineConn) write(batch []*combineReq) error {
	if len(batch) > 1 || batch[0].severalWrites() {
		ok, err := cc.combined(batch)
		if err != nil || ok {
			if err != nil {
				for _, b := range batch {
					b.err = err
				}
			}
			return err
		}
	}
	for i, b := range batch {
		if err := cc.alone(b); err != nil {
			for _, rest := range batch[i:] {
				rest.err = err
			}
			return err
		}
	}
	return nil
}

// alone sends b's commands as they came and reads their answers.
func (cc *combineConn) alone(b *combineReq) error {
	for _, c := range b.cmds {
		_, _ = cc.w.Write(c)
	}
	if err := cc.send(); err != nil {
		return err
	}
	b.replies = make([][]byte, len(b.cmds))
	for i := range b.cmds {
		var err error
		if b.block && i == len(b.cmds)-1 {
			b.replies[i], _, err = readExecReply(cc.r)
		} else {
			b.replies[i], err = readReply(cc.r, nil)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (cc *combineConn) send() error {
	if err := cc.w.Flush(); err != nil {
		return err
	}
	return cc.conn.SetReadDeadline(time.Now().Add(innerTimeout))
}

// combined sends batch as one MULTI and answers each pipeline from redka's
// answer. It returns false, having answered none, if the transaction
// failed and was rolled back.
func (cc *combineConn) combined(batch []*combineReq) (bool, error) {
	_, _ = cc.w.Write(respMulti)
	for _, b := range batch {
		for _, c := range b.writes() {
			_, _ = cc.w.Write(c)
		}
	}
	_, _ = cc.w.Write(respExec)
	if err := cc.send(); err != nil {
		return false, err
	}
	r, err := readReply(cc.r, nil)
	if err != nil {
		return false, err
	}
	if !bytes.Equal(r, respOK) {
		return false, fmt.Errorf("combined MULTI answered %q", r)
	}
	// What each write was answered when queued: QUEUED, or an error for
	// one redka could not read, which it leaves out of the transaction.
	queued := make([][][]byte, len(batch))
	n := 0
	for i, b := range batch {
		for range b.writes() {
			if r, err = readReply(cc.r, nil); err != nil {
				return false, err
			}
			if bytes.Equal(r, respQueued) {
				r = nil
				n++
			}
			queued[i] = append(queued[i], r)
		}
	}
	exec, rolledBack, err := readExecReply(cc.r)
	if err != nil || rolledBack {
		return false, err
	}
	elems, ok := splitArray(exec)
	if !ok || len(elems) != n {
		return false, fmt.Errorf("combined EXEC answered %.40q for %d commands", exec, n)
	}
	for i, b := range batch {
		results := [][]byte{}
		for _, q := range queued[i] {
			if q == nil {
				results = append(results, elems[0])
				elems = elems[1:]
			}
		}
		b.replies = b.answers(queued[i], results)
	}
	return true, nil
}

// severalWrites tells whether b is writes outside MULTI, more than one:
// redka makes each a transaction of its own.
func (b *combineReq) severalWrites() bool { return !b.block && len(b.cmds) > 1 }

// writes are the commands of b that go into a combined MULTI: a block's
// without its MULTI and EXEC.
func (b *combineReq) writes() [][]byte {
	if b.block {
		return b.cmds[1 : len(b.cmds)-1]
	}
	return b.cmds
}

// answers makes b's answers, as redka would have given them to b alone,
// from what each write was answered when queued (nil for QUEUED) and the
// results of those queued.
func (b *combineReq) answers(queued, results [][]byte) [][]byte {
	out := make([][]byte, 0, len(b.cmds))
	if !b.block {
		for _, q := range queued {
			if q == nil {
				q, results = results[0], results[1:]
			}
			out = append(out, q)
		}
		return out
	}
	out = append(out, respOK)
	for _, q := range queued {
		if q == nil {
			q = respQueued
		}
		out = append(out, q)
	}
	exec := []byte("*" + strconv.Itoa(len(results)) + "\r\n")
	for _, r := range results {
		exec = append(exec, r...)
	}
	return append(out, exec)
}

// readExecReply reads redka's answer to EXEC. redka stops the answer at
// the first command that fails, having rolled the transaction back, short
// of the count it announced: readExecReply returns an error reply then,
// and true.
func readExecReply(r *bufio.Reader) (reply []byte, rolledBack bool, err error) {
	if b, err := r.Peek(1); err != nil || b[0] != '*' {
		reply, err = readReply(r, nil)
		return reply, false, err
	}
	head, err := r.ReadBytes('\n')
	if err != nil {
		return nil, false, err
	}
	n, err := strconv.Atoi(string(bytes.TrimSuffix(head[1:], []byte("\r\n"))))
	if err != nil {
		return nil, false, fmt.Errorf("bad RESP array length %q", head)
	}
	out := head
	for range max(n, 0) {
		start := len(out)
		if out, err = readReply(r, out); err != nil {
			return nil, false, err
		}
		if out[start] == '-' {
			return respError("transaction rolled back: " +
				string(bytes.TrimSuffix(out[start+1:], []byte("\r\n")))), true, nil
		}
	}
	return out, false, nil
}
