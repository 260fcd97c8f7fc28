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

func (k keys) global(parts ...string) string {
	return k.prefix + KeyVersion + strings.Join(parts, ":")
}

func (k keys) station(st int64, parts ...string) string {
	return k.prefix + KeyVersion + "{st:" + strconv.FormatInt(st, 10) + "}:" + strings.Join(parts, ":")
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
func (k keys) seen(msgKey string) string  { return k.global("seen", msgKey) }
func (k keys) chatLease(chatKey string) string {
	return k.global("lease", "chat", chatKey)
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
func (k keys) monthStats(st int64, month string) string { return k.station(st, "stats", month) }
func (k keys) lease(st int64, entity string) string     { return k.station(st, "lease", entity) }

// Problem (报事) keys.
func (k keys) issueSeq(st int64) string { return k.station(st, "issue", "seq") }
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
