package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot/console"
	"github.com/huzhu-station/huzhu/handlers/privacycheck"
)

// The privacy rule, checked over everything the bot says in the golden
// transcripts: no message posted in a group ties a person or a household to
// money, a vote, a complaint or a dog. A group message may name people (who
// was appointed, who borrowed a leash) and may speak of money, votes,
// problems and dogs (totals, counts, numbers); it may not do both.

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
		if line, ok := privacycheck.Leak(m.text, people); ok {
			leaks = append(leaks, groupMessage{line: m.line, text: line})
		}
	}
	return leaks
}

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
