package store

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// GroupInFlight is how many round trips of one group may be under way at
// once (see groupCommit).
const GroupInFlight = groupInFlight

// seedBatch is how many problems SeedIssues writes per transaction.
const seedBatch = 500

// SeedIssues files n open problems in station st, each with its record and
// its place on the open list, in a few large transactions: a benchmark of a
// long list needs thousands, and filing each through ReportIssue would take
// most of its time. The problems are numbered on from the station's last
// number.
func SeedIssues(ctx context.Context, s *Store, st int64, n int, now time.Time) error {
	last, err := s.rdb.IncrBy(ctx, s.k.issueSeq(st), int64(n)).Result()
	if err != nil {
		return err
	}
	for first := last - int64(n) + 1; first <= last; first += seedBatch {
		_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for num := first; num <= min(first+seedBatch-1, last); num++ {
				is := &Issue{Station: st, N: num, Text: "楼道灯坏了", Category: "other", Status: IssueOpen,
					Reporter: "console:seed", ReporterName: "Seed", Created: now, Updated: now}
				p.HSet(ctx, s.k.issue(st, num), issueFields(is)...)
				p.ZAdd(ctx, s.k.issuesOpen(st), redis.Z{Score: float64(num), Member: num})
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// KeyFamily is one key builder of keys.go called with sample arguments, for
// the tests of package store_test that check the Cluster slot of every key.
type KeyFamily struct {
	Method string // the builder's name in keys.go
	Tag    string // the hash tag its keys must carry: "st:7", "wx:acct", or "" for a global key
	Key    string
}

// Sample arguments. The user key holds braces, as a platform's user id
// could, to show that only the first {…} of a key is its hash tag.
const (
	sampleStation = 7
	sampleAccount = "acct"
	sampleUser    = "tg:{42}"
	sampleMonth   = "202611"
)

// KeyFamilies calls every key builder of keys.go except the helpers
// (global, station, wechat, reminderShard) that the others are built with. A test
// parses keys.go and fails when a builder is missing here.
func KeyFamilies(prefix string) []KeyFamily {
	k := keys{prefix: prefix}
	const st, acct, user, month = sampleStation, sampleAccount, sampleUser, sampleMonth
	station, wechat := "st:7", "wx:"+acct
	return []KeyFamily{
		{"stationSeq", "", k.stationSeq()},
		{"stationIDs", "", k.stationIDs()},
		{"stationCode", "", k.stationCode("A7K2")},
		{"chat", "", k.chat("tg:-100")},
		{"officeStations", "", k.officeStations("tg:-100")},
		{"user", "", k.user(user)},
		{"kept", "", k.kept(user)},
		{"seen", "out:tg", k.seen("tg:-100:5")},
		{"seenBefore", "", k.seenBefore("tg:-100:5")},
		{"seenMoved", "", k.seenMoved()},
		{"outboxDue", "out:tg", k.outboxDue("tg")},
		{"outboxReplies", "out:tg", k.outboxReplies("tg:-100")},
		{"outboxLease", "out:tg", k.outboxLease("tg:-100")},
		{"chatLease", "", k.chatLease("tg:-100")},
		{"reach", "", k.reach("tg:-100")},
		{"handle", "", k.handle("tg", "wang")},
		{"wxSeq", "", k.wxSeq()},
		{"wxPhoto", "", k.wxPhoto("ab12.jpg")},
		{"image", "", k.image("0123abcd")},
		{"officeInfo", "", k.officeInfo("tg:-100")},
		{"householdCode", "", k.householdCode("ab12")},
		{"feedToken", "", k.feedToken("ab12")},
		{"codeFailures", "", k.codeFailures("203.0.113.9", "1963")},

		{"stationInfo", station, k.stationInfo(st)},
		{"stationChats", station, k.stationChats(st)},
		{"member", station, k.member(st, user)},
		{"members", station, k.members(st)},
		{"households", station, k.households(st)},
		{"household", station, k.household(st, "3-2-401")},
		{"lease", station, k.lease(st, "issue:3")},
		{"joinSeq", station, k.joinSeq(st)},
		{"joinsPending", station, k.joinsPending(st)},
		{"join", station, k.join(st, 3)},
		{"monthStats", station, k.monthStats(st, month)},
		{"monthSolved", station, k.monthSolved(st, month)},
		{"monthRated", station, k.monthRated(st, month)},
		{"monthSatisfied", station, k.monthSatisfied(st, month)},
		{"monthPeople", station, k.monthPeople(st, month)},
		{"monthOfficeSolved", station, k.monthOfficeSolved(st, month, OfficeLevel("street"))},
		{"issueSeq", station, k.issueSeq(st)},
		{"made", station, k.made(st, "issue", "tg:-100:5")},
		{"issue", station, k.issue(st, 3)},
		{"issueLog", station, k.issueLog(st, 3)},
		{"issueSupporters", station, k.issueSupporters(st, 3)},
		{"issueLinks", station, k.issueLinks(st, 3)},
		{"issuesOpen", station, k.issuesOpen(st)},
		{"issuesClosed", station, k.issuesClosed(st)},
		{"issuesBy", station, k.issuesBy(st, user)},
		{"issuesDecided", station, k.issuesDecided(st)},
		{"lastReport", station, k.lastReport(st, user)},
		{"escalations", station, k.escalations(st, OfficeLevel("street"), "open")},
		{"noticeSeq", station, k.noticeSeq(st)},
		{"notice", station, k.notice(st, 3)},
		{"noticesActive", station, k.noticesActive(st)},
		{"meetingSeq", station, k.meetingSeq(st)},
		{"meeting", station, k.meeting(st, 3)},
		{"meetingRSVP", station, k.meetingRSVP(st, 3)},
		{"meetings", station, k.meetings(st)},
		{"dogSeq", station, k.dogSeq(st)},
		{"dog", station, k.dog(st, 3)},
		{"dogs", station, k.dogs(st)},
		{"dogsDue", station, k.dogsDue(st)},
		{"dogIndex", station, k.dogIndex(st)},
		{"dogSettings", station, k.dogSettings(st)},
		{"items", station, k.items(st)},
		{"item", station, k.item(st, "轮椅")},
		{"itemLoans", station, k.itemLoans(st, "轮椅")},
		{"incidentSeq", station, k.incidentSeq(st)},
		{"incident", station, k.incident(st, 3)},
		{"incidents", station, k.incidents(st)},
		{"householdNames", station, k.householdNames(st)},
		{"householdCodes", station, k.householdCodes(st)},
		{"webInbox", station, k.webInbox(st, "3-2-401")},
		{"fundSeq", station, k.fundSeq(st)},
		{"fund", station, k.fund(st, 3)},
		{"fundHouseholds", station, k.fundHouseholds(st, 3)},
		{"fundLedger", station, k.fundLedger(st, 3)},
		{"fundsOpen", station, k.fundsOpen(st)},
		{"fundsAll", station, k.fundsAll(st)},
		{"pollSeq", station, k.pollSeq(st)},
		{"poll", station, k.poll(st, 3)},
		{"pollVotes", station, k.pollVotes(st, 3)},
		{"pollsOpen", station, k.pollsOpen(st)},
		{"pollsAll", station, k.pollsAll(st)},
		{"teamSeq", station, k.teamSeq(st)},
		{"teamNames", station, k.teamNames(st)},
		{"team", station, k.team(st, 3)},
		{"teamMembers", station, k.teamMembers(st, 3)},
		{"teamHours", station, k.teamHours(st, 3, month)},
		{"shiftSeq", station, k.shiftSeq(st)},
		{"shiftsActive", station, k.shiftsActive(st)},
		{"shift", station, k.shift(st, 3)},
		{"shiftOccs", station, k.shiftOccs(st, 3)},
		{"shiftOcc", station, k.shiftOcc(st, 3, "20261126")},
		{"shiftsOf", station, k.shiftsOf(st, user)},

		{"wxSession", wechat, k.wxSession(acct)},
		{"wxLease", wechat, k.wxLease(acct)},
		{"wxIdentity", wechat, k.wxIdentity(acct, "7")},
		{"wxFingerprint", wechat, k.wxFingerprint(acct, "f00d")},
		{"wxAliases", wechat, k.wxAliases(acct, "@abc")},

		{"webToken", "web", k.webToken("ab12")},
		{"webOwner", "web", k.webOwner("station:7")},
		{"reminderBuckets", "rm:3", k.reminderBuckets(3)},
		{"reminderBucket", "rm:3", k.reminderBucket(3, 1764000000000)},
		{"reminderRecords", "rm:3", k.reminderRecords(3, 511)},
		{"reminderLease", "rm:3", k.reminderLease(3, "meeting:3:7:dayBefore")},
		{"reminderDone", "rm:3", k.reminderDone(3, 20420)},
		{"reminderFailures", "rm:3", k.reminderFailures(3, "meeting:3:7:dayBefore@1764000000000")},
		{"reminderSent", "rm:3", k.reminderSent(3, "meeting:3:7:dayBefore@1764000000000")},
		{"reminderShards", "rm", k.reminderShards()},
		{"remindersDead", "rm", k.remindersDead()},
		{"legacyReminderDue", "rm", k.legacyReminderDue()},
		{"legacyReminder", "rm", k.legacyReminder("meeting:3:7:dayBefore")},
		{"legacyReminderLease", "rm", k.legacyReminderLease("meeting:3:7:dayBefore")},
	}
}

// ResolveWait is resolveWait, for the tests of the WAIT defaults.
var ResolveWait = resolveWait

// ForgetPledgedCount removes campaign n's count of households that pledged,
// as a campaign opened before the count was kept has none.
func ForgetPledgedCount(ctx context.Context, s *Store, st, n int64) error {
	return s.rdb.HDel(ctx, s.k.fund(st, n), pledgedHouseholdsField).Err()
}
