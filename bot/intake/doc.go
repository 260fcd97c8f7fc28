// Package intake keeps the messages a platform has read until they have been
// served, so that a platform confirms a message to its network (Telegram's
// getUpdates offset, a webhook's HTTP 200) only once losing the process can
// no longer lose the message.
//
// A Queue keeps entries in the store: Add writes a batch in one MULTI and
// returns once it is kept; Serve takes the entries in the order they were
// added and hands each to a handler, one at a time within a chat and
// different chats in parallel, and removes an entry only after its handler
// returned. Within a chat each sender's entries are served in order, and
// when a chat has a backlog its senders take turns, one entry each, so one
// person's flood does not hold up everyone else's answer. A chat is served by one instance at a time, under a lease that
// the instance renews while it lives: when an instance dies, its lease runs
// out and whichever instance (or the restarted one) looks next takes the
// chat's backlog over, from the entry that was in flight.
//
// Each entry's id is its idempotency key. Add remembers the ids it kept for
// a day (SeenFor), in the same MULTI as the entries, and skips an id it
// already kept: a webhook Telegram sends again, or a getUpdates batch read
// twice, is queued once. An entry whose handler was interrupted (the process
// died, or was stopped before the handler returned) stays queued and is
// served again; the handlers' own dedupe decides whether it was applied.
//
// The queue uses only what miniredis, redka and Redis all support: a sorted
// set of ids in order, a hash of the entries, a sorted set of the ids seen,
// and SET NX PX leases. All of one platform's keys carry the hash tag
// {in:NAME}, so a Redis Cluster accepts the MULTIs.
//
// Local is the same contract in memory, for a platform run without a store:
// nothing survives the process.
//
// Package intake imports none of huzhu's packages.
package intake
