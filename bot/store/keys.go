package store

import (
	"strconv"
	"strings"
)

// KeyVersion is the first part of every key. It changes when the layout of
// records changes in a way old code cannot read.
const KeyVersion = "hz1:"

// keys builds every Redis key huzhu uses; no other file spells a key.
// Station data carries the hash tag {st:N}, so all of one station's keys
// share a cluster slot and one MULTI can change several of them.
type keys struct {
	prefix string // usually empty; tests put a unique prefix in front
}

func (k keys) global(parts ...string) string { return k.build("", "", parts) }

func (k keys) station(st int64, parts ...string) string {
	var n [20]byte
	return k.build("st", string(strconv.AppendInt(n[:0], st, 10)), parts)
}

// build makes a key in one allocation: the prefix, KeyVersion, the hash
// tag {tag:name} when tag is given, and parts joined by ":". Every message
// builds a few dozen keys.
func (k keys) build(tag, name string, parts []string) string {
	size := len(k.prefix) + len(KeyVersion) + len(parts)
	if tag != "" {
		size += len(tag) + len(name) + len("{:}:")
	}
	for _, p := range parts {
		size += len(p)
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteString(k.prefix)
	b.WriteString(KeyVersion)
	if tag != "" {
		b.WriteByte('{')
		b.WriteString(tag)
		b.WriteByte(':')
		b.WriteString(name)
		b.WriteString("}:")
	}
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(p)
	}
	return b.String()
}

// Global keys.
func (k keys) stationSeq() string             { return k.global("station", "seq") }
func (k keys) stationIDs() string             { return k.global("stations") }
func (k keys) stationCode(code string) string { return k.global("station", "code", code) }
func (k keys) chat(chatKey string) string     { return k.global("chat", chatKey) }
func (k keys) officeStations(chatKey string) string {
	return k.global("chat", chatKey, "stations")
}
func (k keys) user(userKey string) string { return k.global("user", userKey) }
func (k keys) kept(userKey string) string { return k.global("kept", userKey) }
func (k keys) chatLease(chatKey string) string {
	return k.global("lease", "chat", chatKey)
}

// Outbox keys (outbox.go): one hash tag per platform, so a message's served
// mark and the replies it leaves in its chat's outbox are written in one
// MULTI on Redis Cluster too. A message key and an outbox's chat key both
// start with the platform's name.
func (k keys) outbox(platform string, parts ...string) string {
	return k.build("out", platform, parts)
}
func (k keys) seen(msgKey string) string { return k.outbox(platformOf(msgKey), "seen", msgKey) }

// seenBefore is where a message's mark was kept before the outbox, still
// read for a day after an upgrade (servedTTL): a message served just before
// it is not served again. seenMoved records when that day began (see
// oldMarks).
func (k keys) seenBefore(msgKey string) string { return k.global("seen", msgKey) }
func (k keys) seenMoved() string               { return k.global("seenmoved") }
func (k keys) outboxDue(platform string) string {
	return k.outbox(platform, "due")
}
func (k keys) outboxReplies(chatKey string) string {
	return k.outbox(platformOf(chatKey), "chat", chatKey)
}
func (k keys) outboxLease(chatKey string) string {
	return k.outbox(platformOf(chatKey), "lease", chatKey)
}

// platformOf returns the platform a chat or message key ("platform:…")
// belongs to.
func platformOf(key string) string {
	platform, _, _ := strings.Cut(key, ":")
	return platform
}

// Station keys.
func (k keys) stationInfo(st int64) string { return k.station(st, "info") }
func (k keys) stationChats(st int64) string {
	return k.station(st, "chats")
}
func (k keys) member(st int64, userKey string) string { return k.station(st, "member", userKey) }
func (k keys) members(st int64) string                { return k.station(st, "members") }
func (k keys) households(st int64) string             { return k.station(st, "households") }
func (k keys) household(st int64, room string) string {
	return k.station(st, "household", room)
}
func (k keys) lease(st int64, entity string) string { return k.station(st, "lease", entity) }
func (k keys) joinSeq(st int64) string              { return k.station(st, "join", "seq") }
func (k keys) joinsPending(st int64) string         { return k.station(st, "joins", "pending") }
func (k keys) join(st, n int64) string {
	return k.station(st, "join", strconv.FormatInt(n, 10))
}

// Monthly figure keys (figures.go); month is "200601". The hash holds the
// counted figures, the sets the problems or people a figure counts.
func (k keys) monthStats(st int64, month string) string { return k.station(st, "stats", month) }
func (k keys) monthSolved(st int64, month string) string {
	return k.station(st, "stats", month, "solved")
}
func (k keys) monthRated(st int64, month string) string {
	return k.station(st, "stats", month, "rated")
}
func (k keys) monthSatisfied(st int64, month string) string {
	return k.station(st, "stats", month, "satisfied")
}
func (k keys) monthPeople(st int64, month string) string {
	return k.station(st, "stats", month, "people")
}

// Problem (报事) keys.
func (k keys) issueSeq(st int64) string { return k.station(st, "issue", "seq") }

// made remembers which record of kind a message made (see numbered).
func (k keys) made(st int64, kind, msg string) string { return k.station(st, "made", kind, msg) }
func (k keys) issue(st, n int64) string {
	return k.station(st, "issue", strconv.FormatInt(n, 10))
}
func (k keys) issueLog(st, n int64) string {
	return k.station(st, "issue", strconv.FormatInt(n, 10), "log")
}
func (k keys) issueSupporters(st, n int64) string {
	return k.station(st, "issue", strconv.FormatInt(n, 10), "metoo")
}
func (k keys) issuesOpen(st int64) string   { return k.station(st, "issues", "open") }
func (k keys) issuesClosed(st int64) string { return k.station(st, "issues", "closed") }
func (k keys) issuesBy(st int64, userKey string) string {
	return k.station(st, "issues", "by", userKey)
}
func (k keys) lastReport(st int64, userKey string) string {
	return k.station(st, "lastreport", userKey)
}

// Notice (通知) keys.
func (k keys) noticeSeq(st int64) string { return k.station(st, "notice", "seq") }
func (k keys) notice(st, n int64) string {
	return k.station(st, "notice", strconv.FormatInt(n, 10))
}
func (k keys) noticesActive(st int64) string { return k.station(st, "notices") }

// Meeting (开会) keys.
func (k keys) meetingSeq(st int64) string { return k.station(st, "meeting", "seq") }
func (k keys) meeting(st, n int64) string {
	return k.station(st, "meeting", strconv.FormatInt(n, 10))
}
func (k keys) meetingRSVP(st, n int64) string {
	return k.station(st, "meeting", strconv.FormatInt(n, 10), "rsvp")
}
func (k keys) meetings(st int64) string { return k.station(st, "meetings") }

// Dogs, lending and patrol log (文明养犬) keys.
func (k keys) dogSeq(st int64) string { return k.station(st, "dog", "seq") }
func (k keys) dog(st, n int64) string {
	return k.station(st, "dog", strconv.FormatInt(n, 10))
}
func (k keys) dogs(st int64) string        { return k.station(st, "dogs") }
func (k keys) dogsDue(st int64) string     { return k.station(st, "dogs", "due") }
func (k keys) dogIndex(st int64) string    { return k.station(st, "dogs", "index") }
func (k keys) dogSettings(st int64) string { return k.station(st, "dogs", "settings") }
func (k keys) items(st int64) string       { return k.station(st, "items") }
func (k keys) item(st int64, name string) string {
	return k.station(st, "item", name)
}
func (k keys) itemLoans(st int64, name string) string {
	return k.station(st, "item", name, "loans")
}
func (k keys) incidentSeq(st int64) string { return k.station(st, "incident", "seq") }
func (k keys) incident(st, n int64) string {
	return k.station(st, "incident", strconv.FormatInt(n, 10))
}
func (k keys) incidents(st int64) string { return k.station(st, "incidents") }

// Roster, crowdfunding (众筹) and poll (众议) keys.
func (k keys) householdNames(st int64) string { return k.station(st, "households", "names") }
func (k keys) fundSeq(st int64) string        { return k.station(st, "fund", "seq") }
func (k keys) fund(st, n int64) string {
	return k.station(st, "fund", strconv.FormatInt(n, 10))
}
func (k keys) fundHouseholds(st, n int64) string {
	return k.station(st, "fund", strconv.FormatInt(n, 10), "households")
}
func (k keys) fundLedger(st, n int64) string {
	return k.station(st, "fund", strconv.FormatInt(n, 10), "ledger")
}
func (k keys) fundsOpen(st int64) string { return k.station(st, "funds", "open") }
func (k keys) fundsAll(st int64) string  { return k.station(st, "funds", "all") }
func (k keys) pollSeq(st int64) string   { return k.station(st, "poll", "seq") }
func (k keys) poll(st, n int64) string {
	return k.station(st, "poll", strconv.FormatInt(n, 10))
}
func (k keys) pollVotes(st, n int64) string {
	return k.station(st, "poll", strconv.FormatInt(n, 10), "votes")
}
func (k keys) pollsOpen(st int64) string { return k.station(st, "polls", "open") }
func (k keys) pollsAll(st int64) string  { return k.station(st, "polls", "all") }

// Chat adapter keys (migrate.go): whether a chat can be sent to, and which
// user a platform handle (a Telegram @username) last named. Both are global:
// they belong to a platform's chats and people, not to a station.
func (k keys) reach(chatKey string) string { return k.global("reach", chatKey) }
func (k keys) handle(platform, handle string) string {
	return k.global("handle", platform, handle)
}

// WeChat keys (wechat.go): one hash tag per bot account, so a MULTI over an
// account's identities works on Redis Cluster; the id sequence is global so
// stable ids are unique across accounts.
func (k keys) wechat(account string, parts ...string) string {
	return k.build("wx", account, parts)
}
func (k keys) wxSeq() string                   { return k.global("wx", "seq") }
func (k keys) wxSession(account string) string { return k.wechat(account, "session") }
func (k keys) wxLease(account string) string   { return k.wechat(account, "lease") }
func (k keys) wxIdentity(account, id string) string {
	return k.wechat(account, "id", id)
}
func (k keys) wxFingerprint(account, fp string) string {
	return k.wechat(account, "fp", fp)
}
func (k keys) wxAliases(account, session string) string {
	return k.wechat(account, "alias", session)
}

// wxPhoto names a kept WeChat picture: global, since a picture's name is its
// content's hash, whichever account saw it.
func (k keys) wxPhoto(name string) string { return k.global("wx", "photo", name) }

// image names a picture a message carries (bot.Images): global, since its
// name is its content's hash and one chart goes to many chats.
func (k keys) image(name string) string { return k.global("img", name) }

// Team and shift (众行) keys. An occurrence of a shift is named by its
// slot's number and its Shanghai date ("20261126").
func (k keys) teamSeq(st int64) string   { return k.station(st, "team", "seq") }
func (k keys) teamNames(st int64) string { return k.station(st, "teams") }
func (k keys) team(st, id int64) string {
	return k.station(st, "team", strconv.FormatInt(id, 10))
}
func (k keys) teamMembers(st, id int64) string {
	return k.station(st, "team", strconv.FormatInt(id, 10), "members")
}
func (k keys) teamHours(st, id int64, month string) string {
	return k.station(st, "team", strconv.FormatInt(id, 10), "hours", month)
}
func (k keys) shiftSeq(st int64) string     { return k.station(st, "shift", "seq") }
func (k keys) shiftsActive(st int64) string { return k.station(st, "shifts") }
func (k keys) shift(st, n int64) string {
	return k.station(st, "shift", strconv.FormatInt(n, 10))
}
func (k keys) shiftOccs(st, n int64) string {
	return k.station(st, "shift", strconv.FormatInt(n, 10), "occs")
}
func (k keys) shiftOcc(st, n int64, day string) string {
	return k.station(st, "shift", strconv.FormatInt(n, 10), "occ", day)
}
func (k keys) shiftsOf(st int64, userKey string) string {
	return k.station(st, "shifts", "of", userKey)
}

// Thread keys (links.go): what was opened about a problem.
func (k keys) issueLinks(st, n int64) string {
	return k.station(st, "issue", strconv.FormatInt(n, 10), "links")
}

// issuesDecided holds the problems that have a campaign or a poll about
// them, for the monthly figure of problems solved that way.
func (k keys) issuesDecided(st int64) string { return k.station(st, "issues", "decided") }

// Office (社区/街道) keys (office.go). An office group serves many
// stations, so what belongs to the office alone is keyed by its chat and
// global: its table of station prefixes and its settings, written under the
// office chat's lease. What an escalation changes is per station, under the
// station's hash tag, so the problem, its timeline, the office's lists of it
// and the figures move in the station's one MULTI.
func (k keys) officeInfo(chatKey string) string { return k.global("chat", chatKey, "office") }

// escalations are the problems of station st handed to its office of level,
// open (the office still has them) or done (solved or sent back by the
// office, or closed by the station), by problem number.
func (k keys) escalations(st int64, level OfficeLevel, state string) string {
	return k.station(st, "escalations", string(level), state)
}

// monthOfficeSolved are the problems counted in monthSolved whose last
// resolution was the office's of level.
func (k keys) monthOfficeSolved(st int64, month string, level OfficeLevel) string {
	return k.station(st, "stats", month, "solved", string(level))
}

// Household code keys (codes.go). A code and a feed token are found by
// their hash, globally, since the code alone must lead to its station; the
// station's table of codes, under its hash tag, is the truth they are
// checked against. Wrong codes are counted per client and per window.
func (k keys) householdCode(hash string) string { return k.global("hcode", hash) }
func (k keys) feedToken(hash string) string     { return k.global("feed", hash) }
func (k keys) codeFailures(client, window string) string {
	return k.global("codefail", client, window)
}
func (k keys) householdCodes(st int64) string { return k.station(st, "hcodes") }
func (k keys) webInbox(st int64, room string) string {
	return k.station(st, "webinbox", room)
}

// Web link keys (web.go): one hash tag for every link, so that a link and
// its owner's set change in one MULTI on Redis Cluster; a link is found by
// its token alone, before its station is known. hash is the SHA-256 of the
// token, never the token.
func (k keys) webToken(hash string) string  { return k.prefix + KeyVersion + "{web}:token:" + hash }
func (k keys) webOwner(owner string) string { return k.prefix + KeyVersion + "{web}:owner:" + owner }

// Reminder keys (reminders.go). The due-queue is split into shards, each
// with the hash tag {rm:N}, so reminders spread over the masters of a
// Cluster while everything one acknowledgement changes stays in one slot.
// The keys before the shards had the single tag {rm}; reminders.go still
// reads them to move what an older version left there.
func (k keys) reminderShard(shard int, parts ...string) string {
	return k.prefix + KeyVersion + "{rm:" + strconv.Itoa(shard) + "}:" + strings.Join(parts, ":")
}

// reminderBuckets is a shard's index of time buckets: a sorted set of
// bucket starts (Unix ms) scored by themselves.
func (k keys) reminderBuckets(shard int) string { return k.reminderShard(shard, "due") }

// reminderBucket is one time bucket: a sorted set of reminder IDs scored by
// when they fall due (Unix ms).
func (k keys) reminderBucket(shard int, startMs int64) string {
	return k.reminderShard(shard, "q", strconv.FormatInt(startMs, 10))
}

// reminderRecords is one of a shard's record hashes: reminder ID → packed
// record.
func (k keys) reminderRecords(shard, bucket int) string {
	return k.reminderShard(shard, "r", strconv.Itoa(bucket))
}

// reminderLease is held by whoever is changing or delivering reminder id.
func (k keys) reminderLease(shard int, id string) string { return k.reminderShard(shard, "lease", id) }

// reminderDone holds the occurrences delivered on one UTC day: reminder ID →
// fire time (Unix ms).
func (k keys) reminderDone(shard int, day int64) string {
	return k.reminderShard(shard, "done", strconv.FormatInt(day, 10))
}

// reminderFailures counts the failed deliveries of an occurrence and keeps
// the last error: a hash with fields n and err.
func (k keys) reminderFailures(shard int, member string) string {
	return k.reminderShard(shard, "fail", member)
}

// reminderSent is the set of recipients a job's occurrence has reached.
func (k keys) reminderSent(shard int, member string) string {
	return k.reminderShard(shard, "sent", member)
}

// reminderShards records how many shards the reminders are spread over.
func (k keys) reminderShards() string { return k.prefix + KeyVersion + "{rm}:shards" }

// remindersDead is the dead-letter list of reminders, newest first.
func (k keys) remindersDead() string { return k.prefix + KeyVersion + "{rm}:dead" }

// The layout before shards, read only to move it (migrateReminders).
func (k keys) legacyReminderDue() string { return k.prefix + KeyVersion + "{rm}:due" }
func (k keys) legacyReminder(id string) string {
	return k.prefix + KeyVersion + "{rm}:r:" + id
}
func (k keys) legacyReminderLease(id string) string {
	return k.prefix + KeyVersion + "{rm}:lease:" + id
}
