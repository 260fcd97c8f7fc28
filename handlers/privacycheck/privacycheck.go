// Package privacycheck is the privacy rule as the tests check it over what
// the bot says in a group: no group message ties a person or a household to
// money, a vote, a complaint or a dog. A group message may name people (who
// was appointed, who borrowed a leash) and may speak of money, votes,
// problems and dogs (totals, counts, numbers); it may not do both. The
// golden console transcripts and the texts ready to paste into a group
// (handlers/testdata/paste) are checked by the same words.
//
// It imports nothing of ours.
package privacycheck

import (
	"regexp"
	"slices"
	"strings"
)

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

// Leak returns the first line of a group message text that names one of
// people or a room in a personal context, and whether there is one.
func Leak(text string, people []string) (string, bool) {
	for _, line := range strings.Split(text, "\n") {
		if usageLine.MatchString(line) {
			continue
		}
		if clauseLeaks(timelineStamp.ReplaceAllString(quoted.ReplaceAllString(line, "「」"), ""), people) {
			return line, true
		}
	}
	return "", false
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
