// Package scheduler owns huzhu's reminders: a durable due-queue in Redis that
// every instance polls, and the claims that let several instances deliver
// each occurrence once. Its storage is store.Reminders behind the Queue
// interface; the scheduler decides what is due, stale or caught up.
//
// A reminder is one-off (At) or recurring (a cron spec run in Shanghai, see
// calendar.NextFire). Its ID is chosen by the caller, such as
// "meeting:3:7:dayBefore", so the caller can move it (Schedule again) or
// Cancel it without keeping anything else.
//
// Delivery, in rounds of many occurrences: an instance reads what is due in
// every shard (two round trips), claims it with a lease per reminder (SET
// NX PX) and reads, after the lease and in the same round trip, whether it
// is still queued, its record and whether it was already delivered. It
// sends what it holds in parallel through the bot.Sender (the pacer), and
// acks in one MULTI/EXEC per shard that takes the occurrences off the
// queue, marks them delivered, releases the leases and, for recurring
// reminders, queues the next occurrences. An instance that dies holding
// leases delays those occurrences until the leases expire; nothing is lost.
// A crash (or a send outliving its lease) between send and ack is the only
// way one occurrence is sent twice.
//
// Between polls an instance sleeps until the earliest occurrence it saw
// falls due, or until it schedules one due sooner, so a reminder is sent
// within milliseconds of its time unless a burst is ahead of it.
//
// Catch-up: everything past due when an instance starts is delivered. A
// recurring reminder that missed several occurrences fires once, for the
// latest missed one, and continues with the next future occurrence. An
// occurrence more than StaleAfter past its fire time is dropped with an Info
// log line instead of being sent late. Reminders kept by an older version
// in the layout before shards are moved into the shards when an instance
// first polls.
//
// It speaks only the Redis subset redka supports (see package store). The
// queue is spread over shards with the hash tags {rm:0}…{rm:N-1}, each
// MULTI within one, so reminders spread over a Redis Cluster.
//
// Package scheduler imports only bot and bot/store of huzhu's packages; it
// must never import handlers or a platform.
package scheduler
