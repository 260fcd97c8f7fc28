package scheduler

import (
	"strconv"
	"strings"
	"time"

	"github.com/huzhu-station/huzhu/bot/store"
)

// keys builds every Redis key the scheduler uses; no other file spells a key.
// The keys are global rather than per station, since one queue is polled
// across stations, and all carry the hash tag {rm}: an ack changes the queue,
// a record, a done marker and a lease in one MULTI, which a Redis Cluster
// accepts only within one slot.
type keys struct {
	prefix string // usually empty; tests put a unique prefix in front
}

func (k keys) key(parts ...string) string {
	return k.prefix + store.KeyVersion + "{rm}:" + strings.Join(parts, ":")
}

// due is the due-queue: a sorted set of occurrence members scored by fire
// time in Unix milliseconds.
func (k keys) due() string { return k.key("due") }

// reminder is the JSON record of one reminder.
func (k keys) reminder(id string) string { return k.key("r", id) }

// lease is held by whoever is changing or delivering reminder id.
func (k keys) lease(id string) string { return k.key("lease", id) }

// done marks an occurrence delivered (or dropped), so a late claim of the
// same member is refused.
func (k keys) done(member string) string { return k.key("done", member) }

// failures counts the failed deliveries of an occurrence and keeps the
// last error: a hash with fields n and err.
func (k keys) failures(member string) string { return k.key("fail", member) }

// sent is the set of recipients a job's occurrence has reached.
func (k keys) sent(member string) string { return k.key("sent", member) }

// dead is the dead-letter list, newest first.
func (k keys) dead() string { return k.key("dead") }

// occurrence returns the due-queue member for reminder id firing at fire:
// "<id>@<Unix ms>".
func occurrence(id string, fire time.Time) string {
	return id + "@" + strconv.FormatInt(fire.UnixMilli(), 10)
}

// parseOccurrence splits a due-queue member into its reminder ID and fire
// time. IDs may contain "@"; the time is after the last one.
func parseOccurrence(member string) (id string, fire time.Time, ok bool) {
	i := strings.LastIndexByte(member, '@')
	if i <= 0 {
		return "", time.Time{}, false
	}
	ms, err := strconv.ParseInt(member[i+1:], 10, 64)
	if err != nil {
		return "", time.Time{}, false
	}
	return member[:i], time.UnixMilli(ms), true
}
