package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/redcon"
)

// embeddedProxy serves the embedded store's socket: it answers the commands
// on leases and message claims from its volatileStore and passes every
// other command, unchanged and in order, to redka on its own socket. Each
// client connection gets one connection to redka; a pipeline goes to redka
// as one write, so it stays one round trip. A pipeline of writes, or a
// whole MULTI, goes through the writeCombiner instead, which may make it
// one transaction with those of other clients (see embedded_combine.go).
//
// The order of a pipeline holds: a command kept in memory runs only after
// redka answered the commands before it in the pipeline. Inside MULTI, a
// command kept in memory is answered QUEUED and runs only once redka's EXEC
// has run the rest (a lease given up in the MULTI that writes what it
// guards is given up after the write, and not at all if EXEC fails), and
// its result takes its place in EXEC's answer.
//
// HGETALL of a key without a TTL is answered from a hashCache of redka's
// answers when it can be, exactly (see embedded_hashcache.go).
type embeddedProxy struct {
	vol   *volatileStore
	ln    net.Listener
	inner string // redka's socket
	comb  *writeCombiner
	cache *hashCache

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// startEmbeddedProxy listens on the unix socket socket and serves it in
// front of redka's socket inner.
func startEmbeddedProxy(socket, inner string, vol *volatileStore) (*embeddedProxy, error) {
	ln, err := net.Listen("unix", socket)
	if err != nil {
		return nil, err
	}
	p := &embeddedProxy{vol: vol, ln: ln, inner: inner, comb: &writeCombiner{inner: inner}, cache: newHashCache(), conns: make(map[net.Conn]struct{})}
	p.wg.Go(p.accept)
	return p, nil
}

func (p *embeddedProxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		inner, err := net.Dial("unix", p.inner)
		if err != nil {
			_ = client.Close()
			continue
		}
		if !p.track(client, inner) {
			return
		}
		br := bufio.NewReaderSize(client, clientReadBuffer)
		c := &proxyConn{
			vol:    p.vol,
			comb:   p.comb,
			cache:  p.cache,
			client: client,
			br:     br,
			cr:     redcon.NewReader(br),
			cw:     bufio.NewWriter(client),
			inner:  inner,
			ir:     bufio.NewReader(inner),
			iw:     bufio.NewWriter(inner),
		}
		p.wg.Go(func() {
			c.run()
			p.untrack(client, inner)
		})
	}
}

// track records a client's connections; it closes them and returns false
// once the proxy is closed.
func (p *embeddedProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range conns {
			_ = c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *embeddedProxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

// Close stops listening, closes every connection and waits for their
// goroutines.
func (p *embeddedProxy) Close() error {
	p.mu.Lock()
	p.closed = true
	err := p.ln.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	p.comb.Close()
	return err
}

// proxyConn is one client connection and its connection to redka.
type proxyConn struct {
	vol    *volatileStore
	comb   *writeCombiner
	cache  *hashCache
	client net.Conn
	br     *bufio.Reader // what cr reads from
	cr     *redcon.Reader
	cw     *bufio.Writer
	inner  net.Conn
	ir     *bufio.Reader
	iw     *bufio.Writer

	replies [][]byte       // the answers to the pipeline being served
	out     []byte         // commands for redka, not yet sent, one after another
	outEnds []int          // where each command in out ends
	sent    [][]byte       // the commands in out, while flush sends them
	pending []pendingReply // the commands for redka, not yet answered
	multi   *multiState    // inside MULTI
	otherDB bool           // SELECTed a database other than 0
}

// pendingReply is a command for redka, by name, whose answer goes to slot,
// after passing through after when it is set; nowhere for a slot below 0.
// A MULTI inside a MULTI is named "nested multi". For the hashCache: read
// is the missed HGETALL this TTL was sent with, and writes end when the
// answer comes.
type pendingReply struct {
	name   string
	slot   int
	after  func([]byte) []byte
	read   *hashRead
	writes []*hashWrite
}

// multiState is what a MULTI has queued: n commands, of which durable went
// to redka; local runs those kept in memory and afters rewrites redka's
// results, by their place in the MULTI. writes end with EXEC's or
// DISCARD's answer.
type multiState struct {
	n, durable int
	local      map[int]func() []byte
	afters     map[int]func([]byte) []byte
	writes     []*hashWrite
}

// clientReadBuffer is how much of a client's pipeline is read at once.
const clientReadBuffer = 64 << 10

// maxPipeline bounds the commands served before their answers are sent.
const maxPipeline = 4096

func (c *proxyConn) run() {
	defer c.releaseCache()
	for {
		c.replies = c.replies[:0]
		for {
			cmds, err := c.cr.ReadCommands()
			if err != nil {
				return
			}
			for _, cmd := range cmds {
				c.replies = append(c.replies, nil)
				if err := c.serve(len(c.replies)-1, cmd.Raw, cmd.Args); err != nil {
					return
				}
			}
			// redcon hands over at most 4 KB of commands at a time: the
			// rest of a longer pipeline, already read, is served with it,
			// so that a MULTI stays whole and one round trip to redka.
			if c.br.Buffered() == 0 || len(c.replies) >= maxPipeline {
				break
			}
		}
		if err := c.flush(); err != nil {
			return
		}
		for _, r := range c.replies {
			_, _ = c.cw.Write(r)
		}
		if err := c.cw.Flush(); err != nil {
			return
		}
	}
}

// forward queues raw, the command name, for redka; its answer goes to
// slot through after. raw is copied: the reader reuses it.
func (c *proxyConn) forward(name string, slot int, raw []byte, after func([]byte) []byte) {
	c.out = append(c.out, raw...)
	c.outEnds = append(c.outEnds, len(c.out))
	c.pending = append(c.pending, pendingReply{name: name, slot: slot, after: after})
}

// innerTimeout bounds the wait for redka's answers, which come within its
// own 5-second timeout.
const innerTimeout = 30 * time.Second

// flush sends what is queued for redka and reads its answers: writes
// through the writeCombiner, the rest on the client's own connection.
func (c *proxyConn) flush() error {
	if len(c.pending) == 0 {
		return nil
	}
	start := 0
	for _, end := range c.outEnds {
		c.sent = append(c.sent, c.out[start:end])
		start = end
	}
	var replies [][]byte
	if block, ok := c.combinable(); ok {
		r := &combineReq{cmds: c.sent, block: block}
		c.comb.do(r)
		if r.err != nil {
			return r.err
		}
		replies = r.replies
	} else {
		var err error
		if replies, err = c.roundTrip(); err != nil {
			return err
		}
	}
	for i, p := range c.pending {
		r := replies[i]
		if p.read != nil {
			c.cache.finishRead(p.read, replies[i-1], r)
		}
		for _, w := range p.writes {
			c.cache.endWrite(w)
		}
		if p.slot < 0 {
			continue
		}
		if p.after != nil {
			r = p.after(r)
		}
		c.replies[p.slot] = r
	}
	c.pending = c.pending[:0]
	clear(c.sent)
	c.sent = c.sent[:0]
	c.out = c.out[:0]
	c.outEnds = c.outEnds[:0]
	return nil
}

// roundTrip sends what is queued on the client's own connection to redka
// and reads the answers.
func (c *proxyConn) roundTrip() ([][]byte, error) {
	for _, raw := range c.sent {
		_, _ = c.iw.Write(raw)
	}
	if err := c.iw.Flush(); err != nil {
		return nil, err
	}
	if err := c.inner.SetReadDeadline(time.Now().Add(innerTimeout)); err != nil {
		return nil, err
	}
	replies := make([][]byte, len(c.pending))
	for i, p := range c.pending {
		var err error
		if p.name == "exec" {
			replies[i], _, err = readExecReply(c.ir)
		} else {
			replies[i], err = readReply(c.ir, nil)
		}
		if err != nil {
			return nil, err
		}
	}
	return replies, nil
}

// combinable tells whether what is queued for redka goes through the
// writeCombiner: a whole MULTI block (block), or write commands outside
// MULTI.
func (c *proxyConn) combinable() (block, ok bool) {
	if c.multi != nil {
		return false, false // a MULTI left open on the own connection
	}
	p := c.pending
	if len(p) >= 2 && p[0].name == "multi" && p[len(p)-1].name == "exec" {
		for _, q := range p[1 : len(p)-1] {
			if q.name == "multi" || q.name == "nested multi" || q.name == "exec" || q.name == "discard" {
				return false, false
			}
		}
		return true, true
	}
	for _, q := range p {
		if !combinedWrites[q.name] {
			return false, false
		}
	}
	return false, true
}

// serve answers the command args (raw as sent) in slot.
func (c *proxyConn) serve(slot int, raw []byte, args [][]byte) error {
	if len(args) == 0 {
		c.replies[slot] = respError("empty command")
		return nil
	}
	name := strings.ToLower(string(args[0]))
	switch {
	case name == "hgetall" && len(args) == 2:
		if ok, err := c.serveHashRead(slot, raw, args[1]); ok {
			return err
		}
	case name == "select" && len(args) == 2:
		c.otherDB = string(args[1]) != "0"
	}
	w := c.cache.beginWrite(name, args)
	err := c.serveCommand(slot, name, raw, args)
	if w != nil {
		c.handedOn(slot, w)
	}
	return err
}

// serveCommand answers the command name with args (raw as sent) in slot,
// apart from the hashCache.
func (c *proxyConn) serveCommand(slot int, name string, raw []byte, args [][]byte) error {
	switch name {
	case "multi":
		if c.multi != nil {
			c.forward("nested multi", slot, raw, nil)
			return nil
		}
		c.forward(name, slot, raw, nil)
		if c.multi == nil {
			c.multi = &multiState{local: map[int]func() []byte{}, afters: map[int]func([]byte) []byte{}}
		}
		return nil
	case "exec":
		var after func([]byte) []byte
		m := c.multi
		if m != nil {
			after = m.merge
		}
		c.multi = nil
		c.forward(name, slot, raw, after)
		c.endWithMulti(m)
		return nil
	case "discard":
		m := c.multi
		c.multi = nil
		c.forward(name, slot, raw, nil)
		c.endWithMulti(m)
		return nil
	}

	kind, err := commandKind(name, args)
	if err != nil {
		c.replies[slot] = respError(err.Error())
		return nil
	}
	now := time.Now()
	switch kind {
	case durableKey:
		c.forward(name, slot, raw, nil)
		c.queued(nil, nil)
		return nil
	case mixedKeys:
		c.forwardMaybeQueued(name, slot, raw, c.mixedOp(name, args))
		return nil
	case leaseKey:
		op, err := c.leaseOp(name, args)
		if err != nil {
			c.replies[slot] = respError(err.Error())
			return nil
		}
		if c.multi != nil {
			c.replies[slot] = respQueued
			c.queued(op, nil)
			return nil
		}
		if err := c.flush(); err != nil {
			return err
		}
		c.replies[slot] = op()
		return nil
	}

	// A message's seen key: claims ("serving:TOKEN", SET NX) in memory,
	// the rest in redka.
	key := string(args[1])
	switch {
	case name == "set" && len(args) > 3 && hasOption(args[3:], "nx") && bytes.HasPrefix(args[2], []byte("serving:")):
		if c.multi != nil {
			c.replies[slot] = respError("a message's claim cannot be taken inside MULTI")
			return nil
		}
		v, err := setValue(args, now)
		if err != nil {
			c.replies[slot] = respError(err.Error())
			return nil
		}
		if err := c.flush(); err != nil {
			return err
		}
		// Claimed in memory first, then checked against the durable mark:
		// whoever marks a message done does so before its claim goes, so
		// one of the two is always seen.
		if !c.vol.set(key, v, true, false, false, now) {
			c.replies[slot] = respNil
			return nil
		}
		c.forward("get", slot, respCommand("get", key), func(r []byte) []byte {
			if bytes.Equal(r, respNil) {
				return respOK
			}
			c.vol.delIf(key, v.val)
			if len(r) > 0 && r[0] == '-' {
				return r
			}
			return respNil
		})
		return nil
	case name == "get" && c.multi == nil:
		if err := c.flush(); err != nil {
			return err
		}
		if v, ok := c.vol.get(key, now); ok {
			c.replies[slot] = respBulk(v.val)
			return nil
		}
		c.forward(name, slot, raw, nil)
		return nil
	case name == "set":
		// The done mark: the claim goes once the mark is written.
		after := func(r []byte) []byte {
			if bytes.Equal(r, respOK) {
				c.vol.del(key, time.Now())
			}
			return r
		}
		c.forwardMaybeQueued(name, slot, raw, after)
		return nil
	case name == "del" || name == "unlink" || name == "exists":
		c.forwardMaybeQueued(name, slot, raw, c.mixedOp(name, args))
		return nil
	}
	c.forward(name, slot, raw, nil)
	c.queued(nil, nil)
	return nil
}

// endWithMulti has the writes queued in m end with the answer of the
// command just forwarded, its EXEC or DISCARD.
func (c *proxyConn) endWithMulti(m *multiState) {
	if m != nil && len(m.writes) > 0 {
		p := &c.pending[len(c.pending)-1]
		p.writes = append(p.writes, m.writes...)
	}
}

// forwardMaybeQueued sends raw to redka with after, which inside MULTI
// applies to its result in EXEC's answer instead.
func (c *proxyConn) forwardMaybeQueued(name string, slot int, raw []byte, after func([]byte) []byte) {
	if c.multi != nil {
		c.forward(name, slot, raw, nil)
		c.queued(nil, after)
		return
	}
	c.forward(name, slot, raw, after)
}

// queued counts a command queued inside MULTI: local if it is kept in
// memory, else sent to redka with after for its result.
func (c *proxyConn) queued(local func() []byte, after func([]byte) []byte) {
	m := c.multi
	if m == nil {
		return
	}
	if local != nil {
		m.local[m.n] = local
	} else {
		m.durable++
		if after != nil {
			m.afters[m.n] = after
		}
	}
	m.n++
}

// merge makes EXEC's answer from redka's: the results of the commands kept
// in memory, run now, in their places. A MULTI that did not run (an error,
// a nil answer) runs none of them.
func (m *multiState) merge(r []byte) []byte {
	elems, ok := splitArray(r)
	if !ok {
		return r
	}
	if len(elems) != m.durable {
		return respError(fmt.Sprintf("EXEC answered %d results for %d commands", len(elems), m.durable))
	}
	out := []byte("*" + strconv.Itoa(m.n) + "\r\n")
	d := 0
	for pos := range m.n {
		if f, ok := m.local[pos]; ok {
			out = append(out, f()...)
			continue
		}
		e := elems[d]
		d++
		if f := m.afters[pos]; f != nil {
			e = f(e)
		}
		out = append(out, e...)
	}
	return out
}

// multiKey are the commands whose every argument is a key.
var multiKey = map[string]bool{"del": true, "unlink": true, "exists": true, "mget": true, "watch": true}

// commandKind returns how the keys of the command are kept: all of one
// kind, mixedKeys for a DEL, UNLINK or EXISTS of keys of several kinds, or
// an error for another command that mixes them.
func commandKind(name string, args [][]byte) (volatileKind, error) {
	if len(args) < 2 {
		return durableKey, nil
	}
	keys := args[1:2]
	if multiKey[name] {
		keys = args[1:]
	}
	kind := kindOf(string(keys[0]))
	for _, k := range keys[1:] {
		if kindOf(string(k)) != kind {
			kind = mixedKeys
			break
		}
	}
	switch {
	case kind == mixedKeys && name != "del" && name != "unlink" && name != "exists":
		return 0, fmt.Errorf("%s mixes keys kept in memory and in the database", strings.ToUpper(name))
	case kind == seenKey && len(keys) > 1:
		return mixedKeys, nil
	}
	return kind, nil
}

// mixedOp is a DEL, UNLINK or EXISTS of keys of several kinds: redka
// answers for those it keeps, memory adds the leases and claims.
func (c *proxyConn) mixedOp(name string, args [][]byte) func([]byte) []byte {
	var mem []string
	for _, k := range args[1:] {
		if kindOf(string(k)) != durableKey {
			mem = append(mem, string(k))
		}
	}
	return func(r []byte) []byte {
		n, ok := respIntValue(r)
		if !ok {
			return r
		}
		now := time.Now()
		for _, k := range mem {
			var hit bool
			if name == "exists" {
				_, hit = c.vol.get(k, now)
			} else {
				hit = c.vol.del(k, now)
			}
			if hit {
				n++
			}
		}
		return respInt(n)
	}
}

// leaseOp returns the operation on memory that a command on leases makes.
func (c *proxyConn) leaseOp(name string, args [][]byte) (func() []byte, error) {
	vol := c.vol
	key := string(args[1])
	switch name {
	case "set":
		v, err := setValue(args, time.Now())
		if err != nil {
			return nil, err
		}
		opts := args[3:]
		nx, xx, keep := hasOption(opts, "nx"), hasOption(opts, "xx"), hasOption(opts, "keepttl")
		return func() []byte {
			now := time.Now()
			if !v.exp.IsZero() && !v.live(now) {
				// A TTL that ran out before the command ran: rare, and
				// only possible inside a slow MULTI.
				v.exp = now.Add(time.Millisecond)
			}
			if vol.set(key, v, nx, xx, keep, now) {
				return respOK
			}
			return respNil
		}, nil
	case "get":
		if len(args) != 2 {
			return nil, errors.New("wrong number of arguments for GET")
		}
		return func() []byte {
			if v, ok := vol.get(key, time.Now()); ok {
				return respBulk(v.val)
			}
			return respNil
		}, nil
	case "del", "unlink", "exists":
		keys := make([]string, len(args)-1)
		for i, k := range args[1:] {
			keys[i] = string(k)
		}
		return func() []byte {
			now := time.Now()
			var n int64
			for _, k := range keys {
				var ok bool
				if name == "exists" {
					_, ok = vol.get(k, now)
				} else {
					ok = vol.del(k, now)
				}
				if ok {
					n++
				}
			}
			return respInt(n)
		}, nil
	case "pexpire", "expire":
		if len(args) != 3 {
			return nil, fmt.Errorf("wrong number of arguments for %s", strings.ToUpper(name))
		}
		d, err := strconv.ParseInt(string(args[2]), 10, 64)
		if err != nil {
			return nil, errors.New("value is not an integer or out of range")
		}
		unit := time.Millisecond
		if name == "expire" {
			unit = time.Second
		}
		return func() []byte {
			now := time.Now()
			if vol.expire(key, now.Add(time.Duration(d)*unit), now) {
				return respInt(1)
			}
			return respInt(0)
		}, nil
	case "pttl", "ttl":
		return func() []byte {
			now := time.Now()
			v, ok := vol.get(key, now)
			switch {
			case !ok:
				return respInt(-2)
			case v.exp.IsZero():
				return respInt(-1)
			case name == "ttl":
				return respInt(int64((v.exp.Sub(now) + time.Second/2) / time.Second))
			}
			return respInt(v.exp.Sub(now).Milliseconds())
		}, nil
	}
	return nil, fmt.Errorf("%s is not kept for a lease (%s)", strings.ToUpper(name), key)
}

// setValue reads SET key value [NX|XX] [PX ms|EX s] [KEEPTTL]: the value
// and its expiry.
func setValue(args [][]byte, now time.Time) (volatileValue, error) {
	if len(args) < 3 {
		return volatileValue{}, errors.New("wrong number of arguments for SET")
	}
	v := volatileValue{val: string(args[2])}
	for i := 3; i < len(args); i++ {
		switch opt := strings.ToLower(string(args[i])); opt {
		case "nx", "xx", "keepttl":
		case "px", "ex":
			if i+1 >= len(args) {
				return v, errors.New("syntax error")
			}
			n, err := strconv.ParseInt(string(args[i+1]), 10, 64)
			if err != nil || n <= 0 {
				return v, errors.New("invalid expire time in SET")
			}
			unit := time.Millisecond
			if opt == "ex" {
				unit = time.Second
			}
			v.exp = now.Add(time.Duration(n) * unit)
			i++
		default:
			return v, fmt.Errorf("SET option %s is not kept in memory", strings.ToUpper(opt))
		}
	}
	return v, nil
}

func hasOption(opts [][]byte, name string) bool {
	for _, o := range opts {
		if strings.EqualFold(string(o), name) {
			return true
		}
	}
	return false
}

// respCommand encodes a command as RESP.
func respCommand(args ...string) []byte {
	b := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b = append(b, respBulk(a)...)
	}
	return b
}

// respIntValue reads an integer reply.
func respIntValue(r []byte) (int64, bool) {
	if len(r) < 3 || r[0] != ':' {
		return 0, false
	}
	n, err := strconv.ParseInt(string(bytes.TrimSuffix(r[1:], []byte("\r\n"))), 10, 64)
	return n, err == nil
}

// readReply appends one RESP2 reply read from r to out.
func readReply(r *bufio.Reader, out []byte) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	for errors.Is(err, bufio.ErrBufferFull) {
		out = append(out, line...)
		line, err = r.ReadSlice('\n')
	}
	if err != nil {
		return out, err
	}
	start := len(out)
	out = append(out, line...)
	head := out[start:]
	if len(head) < 3 {
		return out, errors.New("short RESP reply")
	}
	switch head[0] {
	case '+', '-', ':':
		return out, nil
	case '$':
		n, err := strconv.Atoi(string(head[1 : len(head)-2]))
		if err != nil {
			return out, fmt.Errorf("bad RESP bulk length %q", head)
		}
		if n < 0 {
			return out, nil
		}
		out = append(out, make([]byte, n+2)...)
		_, err = io.ReadFull(r, out[len(out)-n-2:])
		return out, err
	case '*':
		n, err := strconv.Atoi(string(head[1 : len(head)-2]))
		if err != nil {
			return out, fmt.Errorf("bad RESP array length %q", head)
		}
		for range max(n, 0) {
			if out, err = readReply(r, out); err != nil {
				return out, err
			}
		}
		return out, nil
	}
	return out, fmt.Errorf("unknown RESP reply %q", head)
}

// splitArray returns the elements of an array reply, as their RESP; false
// for anything else (an error, a nil array).
func splitArray(r []byte) ([][]byte, bool) {
	if len(r) == 0 || r[0] != '*' {
		return nil, false
	}
	br := bufio.NewReader(bytes.NewReader(r))
	head, err := br.ReadSlice('\n')
	if err != nil {
		return nil, false
	}
	n, err := strconv.Atoi(string(head[1 : len(head)-2]))
	if err != nil || n < 0 {
		return nil, false
	}
	elems := make([][]byte, n)
	for i := range n {
		if elems[i], err = readReply(br, nil); err != nil {
			return nil, false
		}
	}
	return elems, true
}
