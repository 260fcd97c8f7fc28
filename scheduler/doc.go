// Package scheduler owns huzhu's reminders: a durable due-queue in Redis that
// every instance polls, the reminder records behind it, and the leases and
// done markers that let several instances deliver each occurrence once.
//
// A reminder is one-off (At) or recurring (a cron spec run in Shanghai, see
// calendar.NextFire). Its ID is chosen by the caller, such as
// "meeting:3:7:dayBefore", so the caller can move it (Schedule again) or
// Cancel it without keeping anything else.
//
// Delivery: an instance claims a due occurrence with a lease on its ID
// (SET NX PX), sends it through a bot.Sender, then acks in one MULTI/EXEC
// that removes it from the queue, marks it done, releases the lease and, for a
// recurring reminder, enqueues the next occurrence. An instance that dies
// holding a lease delays the occurrence until the lease expires; nothing is
// lost. A crash (or a send outliving its lease) between send and ack is the
// only way one occurrence is sent twice.
//
// Catch-up: everything past due when an instance starts is delivered. A
// recurring reminder that missed several occurrences fires once, for the
// latest missed one, and continues with the next future occurrence. An
// occurrence more than StaleAfter past its fire time is dropped with an Info
// log line instead of being sent late.
//
// It speaks only the Redis subset redka supports (see package store). Every
// key carries the hash tag {rm}, so the MULTI of an ack is valid on a Redis
// Cluster.
//
// Package scheduler imports only bot and bot/store of huzhu's packages; it
// must never import handlers or a platform.
package scheduler
