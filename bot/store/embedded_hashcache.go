package store

import (
	"bytes"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// The embedded store's HGETALL cache. Every message reads a handful of
// hashes whole (the chat's record, the person's, the station's info, the
// membership), most of them written rarely, and redka answers each with
// SQLite queries. The proxy keeps redka's answer to HGETALL per key and
// answers the next HGETALL of that key from memory.
//
// Why it can be exact: the proxy's process owns the data directory (it is
// locked) and every client of the store goes through the proxy, so every
// command that can change a key passes the proxy on its way to redka,
// except redka's own expiry of keys with a TTL. Only keys without a TTL
// are cached (a missed HGETALL is sent with a TTL of the same key, and
// cached only when that says -1; redka has no PTTL), and a key gets a TTL
// only from a command that names it, so expiry never removes a cached key.
// A key that does not exist (-2) is cached as an empty hash: only a command
// that names it can make it, and that drops it like any other write.
//
// The rule: every command not on the short list of those that change
// nothing (hashCacheReads) is a write. A write drops every cached key
// equal to any of its arguments, without knowing which arguments are
// keys: a command can change only the keys it names. A write naming no
// key (FLUSHDB, FLUSHALL, SWAPDB, and any unknown command without
// arguments) drops them all. This happens twice: when the write is handed
// on (to redka or the writeCombiner; inside MULTI, when it is queued) and
// again when its answer comes back (for MULTI, EXEC's answer), after
// redka committed it. In between, the key counts as being written, and no
// answer to HGETALL is cached for it.
//
// A read that was sent before a write committed may answer after it with
// what the write replaced. So each missed HGETALL registers in reads
// before it is sent, with the generation then; dropping a key with a read
// under way bumps the generation and marks the key's reads. The answer is
// cached only when the key was not dropped since its read registered, and
// no write of it (nor one that drops everything) is under way. Then no
// write of the key committed between redka's read and the caching: one
// handed on after the read registered was seen dropping the key, one
// handed on before was still under way at registration, and so either
// still is or was seen dropping the key when its answer came. Thereafter
// any write of the key drops it before it commits. So a cached answer is
// always what redka holds for the key right now.
//
// Only answers on database 0 are used (redka has no other, but a client
// that SELECTs another bypasses the cache), never inside MULTI (there a
// read is queued, and answered by EXEC), and, as for the commands kept in
// memory, a hit is answered only once redka answered the commands before
// it in the pipeline (see proxyConn.serveHashRead): a hit after a command
// sent to redka costs that pipeline one round trip more, never a stale
// answer.

// hashCacheMaxEntries bounds the keys cached; beyond it, one at random
// makes way for the next.
const hashCacheMaxEntries = 20000

// hashCacheMaxReply is the largest answer cached, in bytes of RESP.
const hashCacheMaxReply = 8 << 10

// hashCacheMaxKey is the longest key cached. Arguments longer than it are
// not looked at when a write drops keys: they cannot be a cached key.
const hashCacheMaxKey = 512

// hashCacheReads are the commands that change no key: they neither drop
// cached keys nor wait for anything. Everything else is a write.
var hashCacheReads = map[string]bool{
	"hgetall": true, "hget": true, "hmget": true, "hlen": true, "hexists": true,
	"hkeys": true, "hvals": true, "hscan": true,
	"get": true, "mget": true, "strlen": true, "exists": true, "ttl": true, "pttl": true, "type": true,
	"lrange": true, "llen": true, "lindex": true,
	"smembers": true, "sismember": true, "scard": true, "sscan": true,
	"zrange": true, "zrevrange": true, "zrangebyscore": true, "zrevrangebyscore": true,
	"zscore": true, "zcard": true, "zcount": true, "zrank": true, "zrevrank": true, "zscan": true,
	"scan": true, "keys": true, "randomkey": true, "dbsize": true,
	// The connection's own commands. MULTI, EXEC and DISCARD are handled
	// apart (see multiState), and SELECT in proxyConn.serve.
	"ping": true, "echo": true, "select": true, "hello": true, "client": true,
	"info": true, "command": true, "quit": true,
	"multi": true, "exec": true, "discard": true,
}

// hashCacheClears are the writes that may change any key.
var hashCacheClears = map[string]bool{"flushdb": true, "flushall": true, "swapdb": true}

// hashCache is the proxy's cache of HGETALL answers, shared by all its
// connections.
type hashCache struct {
	mu      sync.Mutex
	entries map[string]*hashEntry
	keys    []string              // the keys of entries, for dropping one at random
	reads   map[string]*hashReads // missed HGETALLs under way, by key
	writes  map[string]int        // writes under way, by argument
	clears  int                   // writes under way that drop everything
	gen     uint64

	// hits and misses count the HGETALLs answered from memory and sent to
	// redka.
	hits, misses atomic.Int64
}

// hashEntry is a cached answer, at keys[idx].
type hashEntry struct {
	reply []byte
	idx   int
}

// hashReads are the missed HGETALLs of one key under way: n of them, and
// the generation when the key was last dropped while they were.
type hashReads struct {
	n       int
	dropped uint64
}

// hashRead is one missed HGETALL under way, registered at generation gen.
type hashRead struct {
	key string
	gen uint64
}

// hashWrite is a write under way: the arguments it may change, or all.
type hashWrite struct {
	args []string
	all  bool
}

func newHashCache() *hashCache {
	return &hashCache{
		entries: make(map[string]*hashEntry),
		reads:   make(map[string]*hashReads),
		writes:  make(map[string]int),
	}
}

// lookup returns the cached answer to HGETALL key, or nil.
func (h *hashCache) lookup(key []byte) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e := h.entries[string(key)]; e != nil {
		return e.reply
	}
	return nil
}

// startRead registers a missed HGETALL of key, before it is sent.
func (h *hashCache) startRead(key []byte) *hashRead {
	r := &hashRead{key: string(key)}
	h.mu.Lock()
	defer h.mu.Unlock()
	rs := h.reads[r.key]
	if rs == nil {
		rs = &hashReads{}
		h.reads[r.key] = rs
	}
	rs.n++
	r.gen = h.gen
	return r
}

// finishRead ends r with redka's answers to the HGETALL and the TTL sent
// with it, and caches the first if that is exact (see the rule above). A
// read that got no answer ends with nil answers.
func (h *hashCache) finishRead(r *hashRead, reply, ttl []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	rs := h.reads[r.key]
	intact := rs.dropped <= r.gen
	if rs.n--; rs.n == 0 {
		delete(h.reads, r.key)
	}
	if !intact || h.writes[r.key] > 0 || h.clears > 0 ||
		!(bytes.Equal(ttl, respNoTTL) || bytes.Equal(ttl, respNoKey) && bytes.Equal(reply, respEmptyArray)) ||
		len(reply) == 0 || reply[0] != '*' || len(reply) > hashCacheMaxReply {
		return
	}
	if e := h.entries[r.key]; e != nil {
		e.reply = reply
		return
	}
	if len(h.keys) >= hashCacheMaxEntries {
		k := h.keys[rand.IntN(len(h.keys))]
		h.removeLocked(k, h.entries[k])
	}
	h.entries[r.key] = &hashEntry{reply: reply, idx: len(h.keys)}
	h.keys = append(h.keys, r.key)
}

var (
	respNoTTL      = respInt(-1)
	respNoKey      = respInt(-2)
	respEmptyArray = []byte("*0\r\n")
)

// beginWrite drops what the command name with args may change, when it is
// handed on, and returns the write under way, for endWrite once its answer
// came back; nil for a command that changes nothing.
func (h *hashCache) beginWrite(name string, args [][]byte) *hashWrite {
	if hashCacheReads[name] {
		return nil
	}
	w := &hashWrite{all: len(args) < 2 || hashCacheClears[name]}
	if !w.all {
		w.args = make([]string, 0, len(args)-1)
		for _, a := range args[1:] {
			if len(a) <= hashCacheMaxKey {
				w.args = append(w.args, string(a))
			}
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.applyLocked(w, 1)
	return w
}

// endWrite drops again what w may have changed, now that it is answered
// (or its connection is gone), and ends it.
func (h *hashCache) endWrite(w *hashWrite) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.applyLocked(w, -1)
}

// applyLocked counts w as under way (delta 1) or no longer (-1) and drops
// what it may change.
func (h *hashCache) applyLocked(w *hashWrite, delta int) {
	if w.all {
		h.clears += delta
		clear(h.entries)
		clear(h.keys)
		h.keys = h.keys[:0]
		if len(h.reads) > 0 {
			h.gen++
			for _, rs := range h.reads {
				rs.dropped = h.gen
			}
		}
		return
	}
	for _, k := range w.args {
		if n := h.writes[k] + delta; n > 0 {
			h.writes[k] = n
		} else {
			delete(h.writes, k)
		}
		if e := h.entries[k]; e != nil {
			h.removeLocked(k, e)
		}
		if rs := h.reads[k]; rs != nil {
			h.gen++
			rs.dropped = h.gen
		}
	}
}

// removeLocked drops the entry e of key k, moving the last key into its
// place in keys.
func (h *hashCache) removeLocked(k string, e *hashEntry) {
	last := len(h.keys) - 1
	moved := h.keys[last]
	h.keys[e.idx] = moved
	h.entries[moved].idx = e.idx
	h.keys = h.keys[:last]
	delete(h.entries, k)
}

// serveHashRead answers HGETALL key in slot: from the cache once redka
// answered what came before it in the pipeline, or from redka, with a TTL
// of key to know whether its answer may be cached. It returns false, having
// done nothing, when the cache does not apply: inside MULTI, on another
// database than 0, for a key too long or one kept in memory.
func (c *proxyConn) serveHashRead(slot int, raw, key []byte) (bool, error) {
	if c.multi != nil || c.otherDB || len(key) > hashCacheMaxKey || kindOf(string(key)) != durableKey {
		return false, nil
	}
	if reply := c.cache.lookup(key); reply != nil {
		// Answered after the commands before it, as they would be: its
		// answer is what redka holds now.
		if err := c.flush(); err != nil {
			return true, err
		}
		// The commands just answered may have written the key.
		if reply = c.cache.lookup(key); reply != nil {
			c.cache.hits.Add(1)
			c.replies[slot] = reply
			return true, nil
		}
	}
	c.cache.misses.Add(1)
	r := c.cache.startRead(key)
	c.forward("hgetall", slot, raw, nil)
	c.forward("ttl", -1, respCommand("ttl", string(key)), nil)
	c.pending[len(c.pending)-1].read = r
	return true, nil
}

// handedOn ends the write w, of the command served in slot, when its
// answer comes back: EXEC's inside MULTI, its own if it went to redka, or
// at once if it was answered here.
func (c *proxyConn) handedOn(slot int, w *hashWrite) {
	switch n := len(c.pending); {
	case c.multi != nil:
		c.multi.writes = append(c.multi.writes, w)
	case n > 0 && c.pending[n-1].slot == slot:
		c.pending[n-1].writes = append(c.pending[n-1].writes, w)
	default:
		c.cache.endWrite(w)
	}
}

// releaseCache ends the reads of a connection that is gone without their
// answers, and the writes it queued in a MULTI that never ran. A write
// sent to redka whose answer never came (redka failed, or took longer than
// innerTimeout) stays under way for good: it may still commit, so its keys
// are never cached again.
func (c *proxyConn) releaseCache() {
	for _, p := range c.pending {
		if p.read != nil {
			c.cache.finishRead(p.read, nil, nil)
		}
	}
	c.pending = nil
	if c.multi != nil {
		for _, w := range c.multi.writes {
			c.cache.endWrite(w)
		}
		c.multi = nil
	}
}
