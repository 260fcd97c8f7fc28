// Package store owns every Redis key, record and atomic operation of huzhu,
// and the embedded default server (redka on SQLite) used when no Redis is
// configured.
//
// It speaks only the subset of Redis that redka v1 supports: no Lua, no WATCH,
// no ZPOPMIN, no GETDEL, no PTTL and no negative ranks; and redka's
// ZREVRANGEBYSCORE answers nothing, so newest-first lists use ZREVRANGE. Conditional updates
// take a short per-entity lease (SET NX PX) around a read, a check and a
// MULTI/EXEC write. While a message is served through the outbox, a
// command's last write is held and made in the MULTI that marks the message
// served (held.go), and messages marked at the same moment share that MULTI
// (group.go). redis.Nil never leaves the package: it becomes ErrNotFound.
//
// Package store imports only package bot of huzhu's packages.
package store
