package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot/console"
)

// The privacy rule, checked over everything the bot says in the golden
// transcripts: no message posted in a group ties a person or a household to
// money, a vote, a complaint or a dog. A group message may name people (who
// was appointed, who borrowed a leash) and may speak of money, votes,
// problems and dogs (totals, counts, numbers); it may not do both.

// personalContext are words that make a named person or room personal.
var personalContext = regexp.MustCompile(`\d+元|¥|缴|欠|还差|认捐|捐了|投了|投的是|投票人|选了|报事人|反映人|举报|主人|犬主|绝育|疫苗|` +
	`(?i)yuan|owes|paid|pledge|voted|votes|reported by|owner|sterilised|rabies`)

// quoted matches what the bot quotes: a command to type, a title, an
// example. Quotes are left out of the check, so 「登记犬只 旺财 泰迪
// 3幢2单元301」 in a usage line is not a person's dog.
var quoted = regexp.MustCompile(`「[^」]*」|“[^”]*”|"[^"]*"`)

// usageLine starts the right form of a command, which is all example.
var usageLine = regexp.MustCompile(`^(正确格式|Right form)`)

// roomPattern matches a room or household as people write it.
var roomPattern = regexp.MustCompile(`\d+幢|\d+栋|\d+单元|\d+号楼|\b\d+-\d+(-\d+)?\b`)

// timelineStamp matches the time a problem's timeline shows for a step
// ("11-29 11:55"), which is a date, not a room.
var timelineStamp = regexp.MustCompile(`\b\d{1,2}-\d{1,2} \d{1,2}:\d{2}\b`)

// isoDate matches a date written 2026-11-25, which roomPattern would take
// for building 2026, unit 11, room 25.
var isoDate = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}\b`)

// groupMessage is one message the bot posted in a group, as the console
// printed it.
type groupMessage struct {
	line int    // in the golden file
	text string // every line of it, joined
}

// groupMessages returns the group messages in a console transcript.
func groupMessages(out string) []groupMessage {
	var msgs []groupMessage
	inGroup := false
	for i, l := range strings.Split(out, "\n") {
		switch {
		case consoleMessage.MatchString(l):
			m := consoleMessage.FindStringSubmatch(l)
			// "[@NAME]" is a private message, "[toast @NAME]" a note only
			// the presser of a button sees.
			inGroup = !strings.HasPrefix(m[1], "@") && !strings.HasPrefix(m[1], "toast @")
			if inGroup {
				msgs = append(msgs, groupMessage{line: i + 1, text: m[2]})
			}
		case inGroup && strings.HasPrefix(l, "  "):
			msgs[len(msgs)-1].text += "\n" + strings.TrimSpace(l)
		default:
			inGroup = false
		}
	}
	return msgs
}

// speakers are everyone who writes in a transcript's input.
func speakers(input string) []string {
	var names []string
	for _, l := range strings.Split(input, "\n") {
		pl := console.ParseLine(l)
		if (pl.Kind == console.GroupLine || pl.Kind == console.PrivateLine) && !slices.Contains(names, pl.Name) {
			names = append(names, pl.Name)
		}
	}
	return names
}

// privacyLeaks returns the group messages of out that name one of people
// or a room in a personal context. The mention that opens a message (the
// person it answers) counts as naming them only if the rest is personal.
func privacyLeaks(out string, people []string) []groupMessage {
	var leaks []groupMessage
	for _, m := range groupMessages(out) {
		lines := strings.Split(m.text, "\n")
		for _, line := range lines {
			if usageLine.MatchString(line) {
				continue
			}
			if clauseLeaks(timelineStamp.ReplaceAllString(quoted.ReplaceAllString(line, "「」"), ""), people) {
				leaks = append(leaks, groupMessage{line: m.line, text: line})
				break
			}
		}
	}
	return leaks
}

// clauses splits a line where a sentence's parts part, so that "报事人：居民；
// 受理人：值班老赵" names the duty staff only as the one handling it.
var clauses = regexp.MustCompile(`[；;，,。]`)

// clauseLeaks reports whether one clause of line names a person or room
// together with a personal context.
func clauseLeaks(line string, people []string) bool {
	for _, c := range clauses.Split(line, -1) {
		if !personalContext.MatchString(c) {
			continue
		}
		if roomPattern.MatchString(isoDate.ReplaceAllString(c, "")) || slices.ContainsFunc(people, func(p string) bool { return namesPerson(c, p) }) {
			return true
		}
	}
	return false
}

// namesPerson reports whether clause c names person p: anywhere for a
// Chinese name, as a whole word for a Latin one (Eve is not in "Every").
func namesPerson(c, p string) bool {
	if !asciiName.MatchString(p) {
		return strings.Contains(c, p)
	}
	return regexp.MustCompile(`\b` + regexp.QuoteMeta(p) + `\b`).MatchString(c)
}

var asciiName = regexp.MustCompile(`^[A-Za-z][A-Za-z .'-]*$`)

func TestGroupMessagesKeepThePrivacyRule(t *testing.T) {
	goldens, err := filepath.Glob("testdata/transcripts/*.golden")
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no golden transcripts: %v", err)
	}
	for _, g := range goldens {
		out, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		input, err := os.ReadFile(strings.TrimSuffix(g, ".golden") + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range privacyLeaks(string(out), speakers(string(input))) {
			t.Errorf("%s:%d: a group reads a person or room with money, a vote, a complaint or a dog: %q",
				filepath.Base(g), leak.line, leak.text)
		}
	}
}

// TestPrivacyCheckCatchesLeaks shows the check above can fail: each of these
// group messages, all once sent by the bot, is caught.
func TestPrivacyCheckCatchesLeaks(t *testing.T) {
	people := []string{"王阿姨", "李伯伯"}
	for _, leak := range []string{
		"[群] bot: 已收 3-1-201 200元，还差100元。",
		"[群] bot: 已投票（之前 王阿姨 投的是不锈钢）",
		"[群] bot: #1 [群租] 待受理\n  5幢302群租\n  报事人：李伯伯",
		"[群] bot: 已登记犬只 #1：「旺财」（泰迪），3幢2单元301，主人 王阿姨，未绝育。",
		"[群] bot: @王阿姨 未缴：3幢2单元301、5幢101",
		"[Group] bot: Received ¥150 from 3-2-301 on 2026-11-25.",
	} {
		if got := privacyLeaks(leak+"\n", people); len(got) != 1 {
			t.Errorf("privacyLeaks(%q) = %v; want it caught", leak, got)
		}
	}
	for _, fine := range []string{
		"[群] bot: @王阿姨 已私信发给你，请看和我的私聊。",
		"[群] bot: 已登记犬只 #1「旺财」。",
		"[群] bot: 「换防盗门」已筹 2400元 / 目标 3000元，8户认捐。",
		"[群] bot: 已任命 李伯伯 为楼组长（3幢）。",
		"[@王阿姨] bot: 你家 3幢2单元301 还差100元。",
		"[toast @王阿姨] bot: 王阿姨 已经投过了（投的是不锈钢）。",
		"[Office] bot: [Escalated] #2\n  Reported by a resident on 2026-11-25; 0 neighbour(s) too",
	} {
		if got := privacyLeaks(fine+"\n", people); len(got) != 0 {
			t.Errorf("privacyLeaks(%q) = %v; want it allowed", fine, got)
		}
	}
}
